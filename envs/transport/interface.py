"""Transport-v0's observation, goals and actions, declared once (numpy only).

The scripted pick-and-place and a deployment read observations through the
fields of :func:`observation_layout` (SI units, world frame: the arm's base
at the origin, table top z = 0).
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np

from robodojo.interface import ActionInterface, Field, Layout

OBS_LIMIT = 10.0  #: observation bounds (every value is clipped to ±this)

# ---- goals: parcel centre (m) and the "set down" flag (released, upright and at rest)
GOAL_SIZE = 4
SET_DOWN = 3

# ---- success
SUCCESS_DISTANCE = 0.05  #: m, parcel centre to goal
MAX_TILT_DEG = 15.0
REST_SPEED = 0.03  #: m/s
REST_SPIN = 0.5  #: rad/s

# ---- actions (control="ee": dx, dy, dz, dyaw, gripper, all in [-1, 1])
STEP_DISTANCE = 0.03  #: m of TCP displacement per control step at |a| = 1 (0.75 m/s at 25 Hz)
YAW_STEP = 0.08  #: rad of gripper yaw per control step at |a| = 1 (2 rad/s)
YAW_LIMIT = np.pi / 2 + 0.35  #: |gripper yaw| is kept below this (half a turn covers every grasp)
#: TCP target box (m): the fingertips stay above the table, the arm inside its work area
WORKSPACE_LOW = np.array([0.15, -0.50, 0.008])
WORKSPACE_HIGH = np.array([0.80, 0.50, 0.50])
EE_FIELDS = ["dx", "dy", "dz", "dyaw", "gripper"]

_FIELDS = (
    ("tcp_position", 3, "m", "forward kinematics"),
    ("tcp_velocity", 3, "m/s", "forward kinematics of joint velocities"),
    ("gripper_yaw_sin_cos", 2, "1", "forward kinematics"),
    ("gripper_width", 1, "m", "gripper driver"),
    ("gripper_width_rate", 1, "m/s", "gripper driver"),
    ("parcel_minus_tcp", 3, "m", "camera parcel pose"),
    (
        "parcel_x_axis",
        3,
        "1",
        "camera parcel pose",
    ),  # the parcel's x axis (its first side) in the world
    ("parcel_y_axis", 3, "1", "camera parcel pose"),  # its y axis; z = x × y is its "this side up"
    ("parcel_velocity", 3, "m/s", "camera tracking"),
    ("parcel_angular_velocity", 3, "rad/s", "camera tracking"),
    ("parcel_size", 3, "m", "camera / parcel label"),  # sides along its x, y, z axes
    ("fragile_label", 1, "0/1", "parcel label"),
    ("parcels_remaining", 1, "count", "cell controller"),  # still to place after this one
)


def observation_layout() -> Layout:
    """The ``observation`` key of the Dict observation: what a cell's camera and the arm report."""
    return Layout(
        Field(name, size, unit, source, -OBS_LIMIT, OBS_LIMIT)
        for name, size, unit, source in _FIELDS
    )


def goal_space() -> gym.spaces.Box:
    """``achieved_goal`` / ``desired_goal``: parcel centre (m) and the set-down flag (1 when
    released, upright, at rest)."""
    return gym.spaces.Box(-OBS_LIMIT, OBS_LIMIT, shape=(GOAL_SIZE,), dtype=np.float32)


def ee_actions(spec: Any, max_opening: float) -> ActionInterface:
    """control="ee": TCP displacement, yaw change and finger opening."""
    mapping = (
        f"TCP target = measured TCP + {STEP_DISTANCE} m × a[0:3] (clipped to the work box), "
        "gripper pointing down; "
        f"yaw target = measured yaw + {YAW_STEP} rad × a[3]; "
        f"finger opening = (a[4] + 1) / 2 × {max_opening} m"
    )
    return ActionInterface(
        "tcp_displacement", len(EE_FIELDS), _gripper_details(mapping, EE_FIELDS, spec)
    )


def joint_actions(spec: Any, max_opening: float) -> ActionInterface:
    """control="joint": joint position targets over the joint limits, then the opening."""
    mapping = (
        "joint targets = lower + (a[:n] + 1) / 2 × (upper − lower); "
        f"finger opening = (a[n] + 1) / 2 × {max_opening} m"
    )
    fields = [*spec.joint_names, "gripper"]
    return ActionInterface("joint_targets", len(fields), _gripper_details(mapping, fields, spec))


def _gripper_details(mapping: str, fields: list[str], spec: Any) -> dict[str, Any]:
    # "arm_joints", not "joints": the action has one more value (the gripper) than the arm has
    # joints
    return {"mapping": mapping, "fields": fields, "arm_joints": list(spec.joint_names)}
