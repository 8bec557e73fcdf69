"""Scripted pick-and-place for Transport-v0: a state machine over the observation alone.

It reads what a cell's camera and the arm report (TCP pose, finger opening,
parcel pose, size and label, the goal) — never the simulator — so the same
controller runs on a real cell. The parcel's mass and friction are unknown to
it: it checks its grasp by the finger opening and by whether the parcel
follows the hand, and starts over when a parcel slips out.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from robodojo.envs.transport_layout import (
    FRAGILE,
    GRIPPER_YAW,
    PARCEL_REL,
    PARCEL_SIZE,
    PARCEL_VEL,
    PARCEL_X_AXIS,
    PARCEL_Y_AXIS,
    REMAINING,
    STEP_DISTANCE,
    TCP_POS,
    WIDTH,
    WIDTH_RATE,
    YAW_LIMIT,
    YAW_STEP,
)  # fmt: skip

HOVER = 0.05  #: m above the parcel's top to line up before descending
CLEARANCE = 0.08  #: m the parcel's bottom is carried above its goal
GRASP_FLOOR = 0.018  #: the TCP stays this far above the parcel's bottom (fingertips clear the surface)
#: and at most this far below its top: the palm sits ~35 mm above the TCP, so tall parcels are gripped high
PALM_CLEARANCE = 0.028
#: largest change of the motion command per step, in action units: an acceleration limit (normal, fragile)
ACCEL_LIMIT = (0.3, 0.15)
#: motion command cap (normal, fragile): 0.75 m/s and 0.45 m/s
SPEED_LIMIT = (1.0, 0.6)


def _wrap_half_turn(angle: float) -> float:
    """Angle modulo π in (−π/2, π/2]: a parallel gripper is the same turned half a turn."""
    return angle - math.pi * math.floor(angle / math.pi + 0.5)


class PickAndPlace:
    """Approach, line up, descend, close, lift, carry, lower, release, retreat — then the next parcel.

    Args: ``spec`` and ``control_dt`` as every controller builder takes them (unused: the
    observation carries everything in SI units).
    """

    def __init__(self, spec: Any = None, control_dt: float = 0.04) -> None:
        self.control_dt = control_dt
        self.reset()

    def reset(self) -> None:
        self.phase = "approach"
        self.phase_steps = 0
        self.hold_offset = 0.0  # TCP z − parcel z while holding
        self.remaining: float | None = None
        self.motion = np.zeros(3)

    def _go(self, phase: str) -> None:
        self.phase, self.phase_steps = phase, 0

    def __call__(self, observation: dict[str, np.ndarray]) -> np.ndarray:
        o = np.asarray(observation["observation"], dtype=np.float64)
        goal = np.asarray(observation["desired_goal"], dtype=np.float64)[:3]
        tcp, parcel, size = o[TCP_POS], o[TCP_POS] + o[PARCEL_REL], o[PARCEL_SIZE]
        yaw = math.atan2(o[GRIPPER_YAW][0], o[GRIPPER_YAW][1])
        fragile = int(o[FRAGILE] > 0.5)
        narrow_axis, narrow = (o[PARCEL_X_AXIS], size[0]) if size[0] <= size[1] else (o[PARCEL_Y_AXIS], size[1])
        if self.remaining is not None and o[REMAINING] < self.remaining:  # the next parcel has arrived
            self._go("approach")
        self.remaining = o[REMAINING]
        self.phase_steps += 1

        # The fingers close along the TCP's y axis, at yaw + 90°: line it up with the parcel's narrow side.
        # Of the two yaws that do, the one in ±90° keeps the wrist inside its range.
        grasp_yaw = _wrap_half_turn(math.atan2(narrow_axis[1], narrow_axis[0]) + math.pi / 2)
        bottom = parcel[2] - size[2] / 2
        grasp_z = max(parcel[2], parcel[2] + size[2] / 2 - PALM_CLEARANCE, bottom + GRASP_FLOOR)
        lost = np.linalg.norm(parcel - tcp) > 0.06
        target, target_yaw, open_gripper, speed = tcp, yaw, True, SPEED_LIMIT[fragile]

        if self.phase == "approach":
            target = np.array([parcel[0], parcel[1], parcel[2] + size[2] / 2 + HOVER])
            if np.linalg.norm(target[:2] - tcp[:2]) > 0.02:  # travel above the parcel's top: never sweep into it
                target[2] = max(target[2], tcp[2])
                if tcp[2] < target[2] - 0.02:  # rise first
                    target[:2] = tcp[:2]
            target_yaw = grasp_yaw
            if np.linalg.norm(target[:2] - tcp[:2]) < 0.003 and abs(grasp_yaw - yaw) < 0.03 and abs(target[2] - tcp[2]) < 0.02:
                self._go("descend")
        elif self.phase == "descend":
            target, target_yaw = np.array([parcel[0], parcel[1], grasp_z]), grasp_yaw
            if np.linalg.norm(target - tcp) < 0.006 or (self.phase_steps > 30 and np.linalg.norm(o[3:6]) < 0.005):
                self._go("close")  # there, or as far as the servos get
        elif self.phase == "close":
            target, target_yaw, open_gripper = np.array([parcel[0], parcel[1], grasp_z]), grasp_yaw, False
            if o[WIDTH] < narrow - 0.01 or self.phase_steps > 25:  # closed on air, or jammed: try again
                self._go("approach")
            elif self.phase_steps >= 4 and abs(o[WIDTH_RATE]) < 0.005 and o[WIDTH] < narrow + 0.004:
                self.hold_offset = tcp[2] - parcel[2]
                self._go("lift")
        elif self.phase in ("lift", "carry", "lower"):
            open_gripper = False
            carry_z = goal[2] + self.hold_offset + CLEARANCE + (size[2] / 2)
            if lost or o[WIDTH] < narrow - 0.01:  # slipped out: open, and start over from above it
                self._go("approach")
                open_gripper = True
            elif self.phase == "lift":
                target = np.array([tcp[0], tcp[1], carry_z])
                if tcp[2] > carry_z - 0.02:
                    self._go("carry")
            elif self.phase == "carry":
                target = np.array([tcp[0] + goal[0] - parcel[0], tcp[1] + goal[1] - parcel[1], carry_z])
                if np.linalg.norm(goal[:2] - parcel[:2]) < 0.008 and np.linalg.norm(o[PARCEL_VEL]) < 0.05:
                    self._go("lower")
            else:
                # aim a little below the goal: the pallet stops the parcel, and it is released only once
                # resting there, so opening the fingers never drops it (fragile goods)
                target = tcp + (goal - parcel) - np.array([0.0, 0.0, 0.004])
                speed = min(speed, max(0.1, (parcel[2] - goal[2]) / 0.05))  # slow down for the touch-down
                if parcel[2] - goal[2] < 0.0015 or (self.phase_steps > 8 and abs(o[PARCEL_VEL][2]) < 0.003):
                    self._go("release")
        elif self.phase == "release":
            if o[WIDTH] > narrow + 0.015 or self.phase_steps > 15:
                self._go("retreat")
        else:  # retreat: straight up, clear of the parcel, and wait for the next one
            target = np.array([tcp[0], tcp[1], parcel[2] + size[2] / 2 + HOVER + 0.05])
            if self.phase_steps > 15 and np.linalg.norm(goal - parcel) > 0.03:  # it did not land well: redo it
                self._go("approach")

        return self._action(target - tcp, target_yaw - yaw, open_gripper, speed, fragile)

    def _action(self, offset: np.ndarray, yaw_error: float, open_gripper: bool, speed: float, fragile: int) -> np.ndarray:
        step = ACCEL_LIMIT[fragile]
        distance = float(np.linalg.norm(offset)) / STEP_DISTANCE  # in steps at full command
        # as fast as allowed, yet able to stop in time at the acceleration limit (with margin: the arm's
        # servos lag the command)
        magnitude = min(speed, distance, math.sqrt(step * distance))
        wanted = offset / STEP_DISTANCE * (magnitude / distance) if distance > 1e-9 else np.zeros(3)
        self.motion = self.motion + np.clip(wanted - self.motion, -step, step)
        turn = float(np.clip(yaw_error / YAW_STEP, -1.0, 1.0))
        grip = 1.0 if open_gripper else -1.0
        return np.array([*self.motion, turn, grip], dtype=np.float32)


__all__ = ["YAW_LIMIT", "PickAndPlace"]
