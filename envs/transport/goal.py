"""Transport-v0's goal reward, for one goal pair or a batch: what the env and a
hindsight-relabelling replay buffer both compute (numpy only)."""

from __future__ import annotations

import math

import numpy as np

from robodojo.envs.transport.interface import GOAL_SIZE, SET_DOWN, SUCCESS_DISTANCE

REWARD_TYPES = ("sparse", "dense")


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
    """:func:`goal_reward` for one goal pair, in plain floats (the env's per-step path; equal
    results)."""
    a, d = (
        np.asarray(achieved, dtype=np.float64).tolist(),
        np.asarray(desired, dtype=np.float64).tolist(),
    )
    if len(a) != GOAL_SIZE or len(d) != GOAL_SIZE:  # anything else goes through the array version
        return float(goal_reward(achieved, desired, reward_type))
    distance = math.sqrt((a[0] - d[0]) ** 2 + (a[1] - d[1]) ** 2 + (a[2] - d[2]) ** 2)
    missing = max(d[SET_DOWN] - a[SET_DOWN], 0.0)
    if reward_type == "sparse":
        return -1.0 if (distance > SUCCESS_DISTANCE or missing > 0.5) else 0.0
    return -distance - 0.1 * missing
