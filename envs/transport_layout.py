"""Transport-v0's observation layout, action scales and goal reward — numpy only.

The scripted controller and a deployment read observations through these
indices, and :func:`goal_reward` is the reward both the env and a
hindsight-relabelling replay buffer compute, so they live apart from the
simulation.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

# ---- the "observation" vector (SI units, world frame: the arm's base at the origin, table top z = 0)
TCP_POS = slice(0, 3)  #: gripper TCP position, m
TCP_VEL = slice(3, 6)  #: TCP velocity, m/s
GRIPPER_YAW = slice(6, 8)  #: sin, cos of the gripper's yaw about the vertical
WIDTH = 8  #: finger opening, m (0 … 0.08)
WIDTH_RATE = 9  #: finger opening rate, m/s
PARCEL_REL = slice(10, 13)  #: parcel centre − TCP, m
PARCEL_X_AXIS = slice(13, 16)  #: the parcel's x axis (its first side) in the world
PARCEL_Y_AXIS = slice(16, 19)  #: its y axis (second side); z = x × y is its "this side up"
PARCEL_VEL = slice(19, 22)  #: parcel linear velocity, m/s
PARCEL_SPIN = slice(22, 25)  #: parcel angular velocity, rad/s
PARCEL_SIZE = slice(25, 28)  #: parcel sides along its x, y, z axes, m (a camera measures them)
FRAGILE = 28  #: 1 when the parcel is labelled fragile
REMAINING = 29  #: parcels still to place after this one
OBS_SIZE = 30
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

REWARD_TYPES = ("sparse", "dense")


def observation_layout() -> list[dict[str, Any]]:
    """The observation vector's fields, in order, with units and where a real cell gets them."""
    fields = [
        ("tcp_position", 3, "m", "forward kinematics"),
        ("tcp_velocity", 3, "m/s", "forward kinematics of joint velocities"),
        ("gripper_yaw_sin_cos", 2, "1", "forward kinematics"),
        ("gripper_width", 1, "m", "gripper driver"),
        ("gripper_width_rate", 1, "m/s", "gripper driver"),
        ("parcel_minus_tcp", 3, "m", "camera parcel pose"),
        ("parcel_x_axis", 3, "1", "camera parcel pose"),
        ("parcel_y_axis", 3, "1", "camera parcel pose"),
        ("parcel_velocity", 3, "m/s", "camera tracking"),
        ("parcel_angular_velocity", 3, "rad/s", "camera tracking"),
        ("parcel_size", 3, "m", "camera / parcel label"),
        ("fragile_label", 1, "0/1", "parcel label"),
        ("parcels_remaining", 1, "count", "cell controller"),
    ]
    return [{"name": n, "size": s, "unit": u, "source": src} for n, s, u, src in fields]


def goal_reward(achieved: np.ndarray, desired: np.ndarray, reward_type: str) -> np.ndarray:
    """The goal term of the reward, for one goal pair or a batch (leading axes broadcast).

    sparse: 0 when the parcel is within SUCCESS_DISTANCE of the goal and at least as
    "set down" as the goal asks, else −1. dense: −distance (m) − 0.1 × the missing set-down.
    """
    achieved = np.asarray(achieved, dtype=np.float64)
    desired = np.asarray(desired, dtype=np.float64)
    delta = achieved[..., :3] - desired[..., :3]
    # component by component, in the order goal_reward_single adds them: bit-identical results
    distance = np.sqrt(delta[..., 0] ** 2 + delta[..., 1] ** 2 + delta[..., 2] ** 2)
    missing = np.maximum(desired[..., SET_DOWN] - achieved[..., SET_DOWN], 0.0)
    if reward_type == "sparse":
        return -((distance > SUCCESS_DISTANCE) | (missing > 0.5)).astype(np.float64)
    return -distance - 0.1 * missing


def goal_reward_single(achieved: np.ndarray, desired: np.ndarray, reward_type: str) -> float:
    """:func:`goal_reward` for one goal pair, in plain floats (the env's per-step path; equal results)."""
    a, d = np.asarray(achieved, dtype=np.float64).tolist(), np.asarray(desired, dtype=np.float64).tolist()
    if len(a) != GOAL_SIZE or len(d) != GOAL_SIZE:  # anything else goes through the array version
        return float(goal_reward(achieved, desired, reward_type))
    distance = math.sqrt((a[0] - d[0]) ** 2 + (a[1] - d[1]) ** 2 + (a[2] - d[2]) ** 2)
    missing = max(d[SET_DOWN] - a[SET_DOWN], 0.0)
    if reward_type == "sparse":
        return -1.0 if (distance > SUCCESS_DISTANCE or missing > 0.5) else 0.0
    return -distance - 0.1 * missing
