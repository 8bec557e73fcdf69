"""Weld-v0's observation and actions, declared once (numpy only).

The env assembles its observation from :func:`observation_layout`; the
scripted welding controllers, exported policies and a deployment read the
same fields by name.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from robodojo.interface import ActionInterface, Field, Layout

#: laser tracker look-ahead distances ahead of the torch, m
LOOKAHEAD = (0.010, 0.020, 0.030, 0.040)
#: twist control: a1..a4 × these = lateral, depth offset rates (m/s) and work, travel angle rates
#: (rad/s)
OFFSET_RATES = np.array([0.010, 0.010, math.radians(30.0), math.radians(30.0)])
#: the offsets are held within ± these (m, m, rad, rad)
OFFSET_LIMITS = np.array([0.020, 0.020, math.radians(30.0), math.radians(30.0)])
TWIST_FIELDS = [
    "travel_speed_factor",
    "lateral_rate",
    "depth_rate",
    "work_angle_rate",
    "travel_angle_rate",
]
TWIST_ACTION_SIZE = len(TWIST_FIELDS)
JOINT_RATE = 0.5  #: rad/s per unit action in joint control
MM_PER_UNIT = 5.0  #: observation scale of the millimetre fields
DEG_PER_UNIT = 10.0  #: observation scale of the angle fields
M_PER_PROGRESS_UNIT = 0.2
OBS_CLIP = 5.0  #: every observation value is clipped to ±this

_TRACKER = "laser seam tracker, corrected into the taught path frame by the cell controller"


def observation_layout(spec: Any, action_size: int) -> Layout:
    """The observation for an arm ``spec`` (its joints are observed) and an action of
    ``action_size`` values."""
    k = len(LOOKAHEAD)
    clip: dict[str, Any] = {"low": -OBS_CLIP, "high": OBS_CLIP}
    return Layout(
        [
            Field(
                "tracker_lateral",
                k,
                "mm / 5",
                _TRACKER,
                info={"lookahead_m": list(LOOKAHEAD)},
                **clip,
            ),
            Field(
                "tracker_depth",
                k,
                "mm / 5",
                _TRACKER,
                info={"lookahead_m": list(LOOKAHEAD)},
                **clip,
            ),
            Field("tracker_valid", k, "0/1", _TRACKER, **clip),
            Field(
                "torch_offset",
                2,
                "mm / 5",
                "forward kinematics vs the taught path (lateral, depth)",
                **clip,
            ),
            Field(
                "torch_angles",
                2,
                "deg / 10",
                "forward kinematics: work angle error, travel angle − nominal push",
                **clip,
            ),
            Field(
                "tcp_velocity",
                3,
                "mm/s / 10",
                "forward kinematics, taught path frame (along, lateral, depth)",
                **clip,
            ),
            Field(
                "progress",
                2,
                "m / 0.2",
                "robot program: travelled along the taught path, and left to go",
                **clip,
            ),
            Field(
                "joint_position",
                spec.num_joints,
                "normalised to the joint limits",
                "joint encoders",
                info={"joints": list(spec.joint_names)},
                **clip,
            ),
            Field("previous_action", action_size, "action", "the policy's last output", **clip),
        ]
    )


def twist_actions(travel_speed: float) -> ActionInterface:
    """control="twist": a twist in the taught path's frame, through the arm's IK."""
    return ActionInterface(
        "taught_path_twist",
        TWIST_ACTION_SIZE,
        {
            "mapping": "travel speed = travel_speed·(1 + a0); offset rates = a1..a4 · offset_rates "
            "(lateral, depth m/s; work, travel angle rad/s), offsets held within ±offset_limits; "
            "the pose goes through the arm's IK",
            "fields": TWIST_FIELDS,
            "travel_speed": travel_speed,
            "offset_rates": OFFSET_RATES.tolist(),
            "offset_limits": OFFSET_LIMITS.tolist(),
        },
    )


def joint_actions(spec: Any) -> ActionInterface:
    """control="joint": joint-rate commands."""
    return ActionInterface(
        "joint_delta", spec.num_joints, {"joints": list(spec.joint_names), "rate_rad_s": JOINT_RATE}
    )
