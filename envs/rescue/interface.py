"""QuadrupedRescue-v0's observation and its velocity-level action, declared once (numpy only).

The env assembles its observation from :func:`observation_layout`; the
scripted rescuer, an exported policy's spec and a deployment read the same
fields by name, so none of them hard-codes an index.
"""

from __future__ import annotations

import numpy as np

from robodojo.envs.rubble import BODY_VELOCITY
from robodojo.interface import ActionInterface, Field, Layout
from robodojo.robots.quadruped import QuadrupedSpec

#: Local height scan: terrain height − base height on a grid in the heading frame.
SCAN_X = np.linspace(
    -0.2, 0.8, 11
)  #: m ahead of the base (looks mostly forward, as a depth camera)
SCAN_Y = np.linspace(-0.3, 0.3, 7)  #: m to the left
SCAN_LOW, SCAN_HIGH = -1.0, 0.5  #: m: clipped (a gap deeper than 1 m reads −1)
POSE_RANGE = 10.0  #: m
MAX_AGE = 60.0  #: s: the age of a detection before any
#: action="velocity": a in [-1, 1]^3 -> (vx m/s, vy m/s, ωz rad/s) = a * COMMAND_SCALE
COMMAND_SCALE = np.array([0.5, 0.2, 0.8])
VELOCITY_COMMAND_FIELDS = ["linear_x", "linear_y", "angular_z"]


def observation_layout(
    spec: QuadrupedSpec, detector_range: float = 4.0, velocity: bool = True
) -> Layout:
    """The observation at either action level (``velocity`` adds the previous command at the end).

    The fields up to the height scan are the same at both levels, so a
    controller may read them from either layout.
    """
    scan = (
        f"ground height - base height at x in {np.round(SCAN_X, 2).tolist()} × "
        f"y in {np.round(SCAN_Y, 2).tolist()} m (x-major)"
    )
    fields = [
        *spec.proprioception(),
        BODY_VELOCITY,
        Field(
            "pose_from_start",
            5,
            "m, m, m, 1, 1",
            "odometry: x, y, z, cos yaw, sin yaw",
            [-POSE_RANGE] * 3 + [-1.0] * 2,
            [POSE_RANGE] * 3 + [1.0] * 2,
            frame="start",
        ),
        Field("victim_visible", 1, "1", "victim detector (thermal camera)", 0.0, 1.0),
        Field(
            "victim_detection",
            3,
            "m, 1, 1",
            "detector: range, cos, sin of bearing",
            [0.0, -1.0, -1.0],
            [detector_range * 1.5, 1.0, 1.0],
            frame="heading",
        ),
        Field(
            "victim_last_seen",
            2,
            "m",
            "last detection projected with odometry",
            -POSE_RANGE,
            POSE_RANGE,
            frame="start",
        ),
        Field(
            "victim_last_seen_age",
            1,
            "s",
            f"time since that detection ({MAX_AGE} before any)",
            0.0,
            MAX_AGE,
        ),
        Field("victim_ever_seen", 1, "1", "detector", 0.0, 1.0),
        Field(
            "height_scan",
            SCAN_X.size * SCAN_Y.size,
            "m",
            scan,
            SCAN_LOW,
            SCAN_HIGH,
            frame="heading",
        ),
    ]
    if velocity:
        fields.append(Field("previous_command", 3, "1", "the policy's own last output", -1.0, 1.0))
    return Layout(fields)


def velocity_actions(walker: str) -> ActionInterface:
    """action="velocity": a body-velocity command for the robot's walking controller."""
    return ActionInterface(
        "body_velocity_command",
        3,
        {
            "fields": VELOCITY_COMMAND_FIELDS,
            "mapping": "(vx m/s, vy m/s, yaw rate rad/s) = a * scale (geometry_msgs/Twist)",
            "scale": COMMAND_SCALE.tolist(),
            "controller": "the robot's walking skill: robodojo.skills.walking "
            "(scripted get-up after a fall)",
            "walker": walker,
        },
    )


def scan_grid(x: float, y: float, yaw: float) -> np.ndarray:
    """World (x, y) of the height-scan points for a base at (x, y) heading ``yaw``: (N, 2),
    x-major."""
    gx, gy = np.meshgrid(SCAN_X, SCAN_Y, indexing="ij")
    c, s = np.cos(yaw), np.sin(yaw)
    return np.stack(
        [x + c * gx.ravel() - s * gy.ravel(), y + s * gx.ravel() + c * gy.ravel()], axis=1
    )
