"""Scripted pick-and-place for Transport-v0: a state machine over the observation alone.

It reads what a cell's camera and the arm report (TCP pose, finger opening,
parcel pose, size and label, the goal) — never the simulator — so the same
controller runs on a real cell. The parcel's mass and friction are unknown to
it: it checks its grasp by the finger opening and by whether the parcel
follows the hand, and starts over when a parcel slips out.

Every distance, speed and wait it decides on is a named field of
:class:`PickAndPlaceTolerances`; each :class:`Phase` is one method.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum
from typing import Any

import numpy as np

from robodojo.envs.transport.interface import STEP_DISTANCE, YAW_LIMIT, YAW_STEP, observation_layout


class Phase(str, Enum):
    """Where the pick-and-place is: one parcel's cycle, in order (each compares equal to its
    name)."""

    APPROACH = "approach"  #: travel above the parcel and line the fingers up with its narrow side
    DESCEND = "descend"  #: down to the grasp height
    CLOSE = "close"  #: close the fingers, check the grip
    LIFT = "lift"  #: up to the carrying height
    CARRY = "carry"  #: over the goal
    LOWER = "lower"  #: down until the pallet stops the parcel
    RELEASE = "release"  #: open the fingers
    RETREAT = "retreat"  #: straight up, and wait for the next parcel


@dataclass(frozen=True)
class PickAndPlaceTolerances:
    """The state machine's thresholds (m, m/s, rad, control steps)."""

    hover: float = 0.05  #: above the parcel's top to line up before descending
    carry_clearance: float = 0.08  #: the parcel's bottom is carried this far above its goal
    #: the TCP stays this far above the parcel's bottom (fingertips clear the surface)
    grasp_floor: float = 0.018
    #: and at most this far below its top: the palm sits ~35 mm above the TCP, so tall parcels are
    #: gripped high
    palm_clearance: float = 0.028
    #: horizontally farther than this from the line-up point: travel above the parcel's top
    travel_above: float = 0.02
    rise_first: float = 0.02  #: more than this below the travel height: rise before moving sideways
    lined_up: float = 0.003  #: horizontal distance at which the fingers count as lined up
    lined_up_yaw: float = 0.03  #: and yaw error
    lined_up_height: float = 0.02  #: and height error
    at_grasp_height: float = 0.006  #: descend: close enough to the grasp point
    #: descend: after this many steps a TCP slower than ``stalled`` has gone as far as it can
    descend_steps: int = 30
    stalled: float = 0.005  #: TCP speed of servos that have stopped
    #: fingers this much narrower than the parcel have missed (or lost) it
    closed_on_air: float = 0.01
    close_steps: int = 25  #: close: jammed after this many steps
    close_min_steps: int = 4  #: close: the grip is checked after this many steps
    fingers_still: float = 0.005  #: close: finger opening rate of a settled grip
    gripped: float = 0.004  #: close: the fingers rest at most this much wider than the parcel
    lost: float = 0.06  #: a held parcel this far from the TCP has slipped out
    lifted: float = 0.02  #: lift: within this of the carrying height
    over_goal: float = 0.008  #: carry: horizontal distance to the goal at which lowering starts
    carry_settled: float = 0.05  #: carry: and the parcel's speed
    press: float = 0.004  #: lower: aim this far below the goal (the pallet stops the parcel)
    touchdown_speed: float = 0.1  #: lower: slowest speed command while touching down (action units)
    touchdown_distance: float = 0.05  #: lower: slow down over this last height
    landed: float = 0.0015  #: lower: the parcel is this close above its goal height
    lower_min_steps: int = 8  #: lower: or, after this many steps, it has stopped sinking:
    resting: float = 0.003  #: its vertical speed is below this
    released: float = 0.015  #: release: fingers this much wider than the parcel have let go
    release_steps: int = 15  #: release: or this many steps have passed
    retreat_height: float = 0.05  #: retreat: this far above the line-up height
    retreat_steps: int = 15  #: retreat: after this many steps, check where the parcel landed:
    misplaced: float = 0.03  #: farther than this from its goal: pick it again
    #: largest change of the motion command per step, in action units: an acceleration limit
    #: (normal, fragile)
    accel_limit: tuple[float, float] = (0.3, 0.15)
    #: motion command cap (normal, fragile): 0.75 m/s and 0.45 m/s
    speed_limit: tuple[float, float] = (1.0, 0.6)


DEFAULT_TOLERANCES = PickAndPlaceTolerances()


def _wrap_half_turn(angle: float) -> float:
    """Angle modulo π in (−π/2, π/2]: a parallel gripper is the same turned half a turn."""
    return angle - math.pi * math.floor(angle / math.pi + 0.5)


@dataclass
class _Scene:
    """What one observation says, in the terms the phases reason in (m, rad)."""

    tcp: np.ndarray
    tcp_speed: float
    parcel: np.ndarray
    size: np.ndarray
    parcel_velocity: np.ndarray
    yaw: float
    width: float
    width_rate: float
    narrow: float  #: the parcel's narrower horizontal side, which the fingers close on
    grasp_yaw: float
    grasp_z: float
    goal: np.ndarray
    fragile: int


@dataclass
class _Command:
    """What a phase asks for: a TCP target, a yaw, the gripper, a speed cap (action units)."""

    target: np.ndarray
    yaw: float
    open_gripper: bool
    speed: float


class PickAndPlace:
    """Approach, line up, descend, close, lift, carry, lower, release, retreat — then the next
    parcel.

    Args: ``spec`` and ``control_dt`` as every controller builder takes them (unused: the
    observation carries everything in SI units); ``tolerances`` the state machine's thresholds.
    """

    def __init__(
        self,
        spec: Any = None,
        control_dt: float = 0.04,
        tolerances: PickAndPlaceTolerances = DEFAULT_TOLERANCES,
    ) -> None:
        self.control_dt = control_dt
        self.tolerances = tolerances
        layout = observation_layout()
        self.fields = {item.name: layout.slice(item.name) for item in layout}
        self.reset()

    def reset(self) -> None:
        self.phase = Phase.APPROACH
        self.phase_steps = 0
        self.hold_offset = 0.0  # TCP z − parcel z while holding
        self.remaining: float | None = None
        self.motion = np.zeros(3)

    def _go(self, phase: Phase) -> None:
        self.phase, self.phase_steps = phase, 0

    def _read(self, observation: dict[str, np.ndarray]) -> tuple[_Scene, float]:
        o = np.asarray(observation["observation"], dtype=np.float64)
        f, t = self.fields, self.tolerances
        tcp, size = o[f["tcp_position"]], o[f["parcel_size"]]
        parcel = tcp + o[f["parcel_minus_tcp"]]
        sin_yaw, cos_yaw = o[f["gripper_yaw_sin_cos"]]
        x_axis, y_axis = o[f["parcel_x_axis"]], o[f["parcel_y_axis"]]
        narrow_axis, narrow = (x_axis, size[0]) if size[0] <= size[1] else (y_axis, size[1])
        # The fingers close along the TCP's y axis, at yaw + 90°: line it up with the parcel's
        # narrow side. Of the two yaws that do, the one in ±90° keeps the wrist inside its range.
        grasp_yaw = _wrap_half_turn(math.atan2(narrow_axis[1], narrow_axis[0]) + math.pi / 2)
        bottom = parcel[2] - size[2] / 2
        scene = _Scene(
            tcp=tcp,
            tcp_speed=float(np.linalg.norm(o[f["tcp_velocity"]])),
            parcel=parcel,
            size=size,
            parcel_velocity=o[f["parcel_velocity"]],
            yaw=math.atan2(sin_yaw, cos_yaw),
            width=float(o[f["gripper_width"]][0]),
            width_rate=float(o[f["gripper_width_rate"]][0]),
            narrow=float(narrow),
            grasp_yaw=grasp_yaw,
            grasp_z=max(
                parcel[2], parcel[2] + size[2] / 2 - t.palm_clearance, bottom + t.grasp_floor
            ),
            goal=np.asarray(observation["desired_goal"], dtype=np.float64)[:3],
            fragile=int(o[f["fragile_label"]][0] > 0.5),
        )
        return scene, float(o[f["parcels_remaining"]][0])

    def __call__(self, observation: dict[str, np.ndarray]) -> np.ndarray:
        scene, remaining = self._read(observation)
        if self.remaining is not None and remaining < self.remaining:  # the next parcel has arrived
            self._go(Phase.APPROACH)
        self.remaining = remaining
        self.phase_steps += 1
        command = _Command(scene.tcp, scene.yaw, True, self.tolerances.speed_limit[scene.fragile])
        getattr(self, f"_{self.phase.value}")(scene, command)
        return self._action(
            command.target - scene.tcp,
            command.yaw - scene.yaw,
            command.open_gripper,
            command.speed,
            scene.fragile,
        )

    # ---- the phases: each fills in the command and decides the next phase -----------------
    def _approach(self, s: _Scene, command: _Command) -> None:
        t, tcp = self.tolerances, s.tcp
        target = np.array([s.parcel[0], s.parcel[1], s.parcel[2] + s.size[2] / 2 + t.hover])
        # Travel above the parcel's top: never sweep into it.
        if np.linalg.norm(target[:2] - tcp[:2]) > t.travel_above:
            target[2] = max(target[2], tcp[2])
            if tcp[2] < target[2] - t.rise_first:  # rise first
                target[:2] = tcp[:2]
        command.target, command.yaw = target, s.grasp_yaw
        lined_up = (
            np.linalg.norm(target[:2] - tcp[:2]) < t.lined_up
            and abs(s.grasp_yaw - s.yaw) < t.lined_up_yaw
            and abs(target[2] - tcp[2]) < t.lined_up_height
        )
        if lined_up:
            self._go(Phase.DESCEND)

    def _descend(self, s: _Scene, command: _Command) -> None:
        t = self.tolerances
        command.target, command.yaw = np.array([s.parcel[0], s.parcel[1], s.grasp_z]), s.grasp_yaw
        if np.linalg.norm(command.target - s.tcp) < t.at_grasp_height or (
            self.phase_steps > t.descend_steps and s.tcp_speed < t.stalled
        ):
            self._go(Phase.CLOSE)  # there, or as far as the servos get

    def _close(self, s: _Scene, command: _Command) -> None:
        t = self.tolerances
        command.target, command.yaw, command.open_gripper = (
            np.array([s.parcel[0], s.parcel[1], s.grasp_z]),
            s.grasp_yaw,
            False,
        )
        # Closed on air, or jammed: try again.
        if s.width < s.narrow - t.closed_on_air or self.phase_steps > t.close_steps:
            self._go(Phase.APPROACH)
        elif (
            self.phase_steps >= t.close_min_steps
            and abs(s.width_rate) < t.fingers_still
            and s.width < s.narrow + t.gripped
        ):
            self.hold_offset = s.tcp[2] - s.parcel[2]
            self._go(Phase.LIFT)

    def _holding(self, s: _Scene, command: _Command) -> bool:
        """While carrying: False (and back to the approach, fingers open) once the parcel slipped
        out."""
        command.open_gripper = False
        if (
            np.linalg.norm(s.parcel - s.tcp) > self.tolerances.lost
            or s.width < s.narrow - self.tolerances.closed_on_air
        ):
            self._go(Phase.APPROACH)  # slipped out: open, and start over from above it
            command.open_gripper = True
            return False
        return True

    def _carry_z(self, s: _Scene) -> float:
        return s.goal[2] + self.hold_offset + self.tolerances.carry_clearance + (s.size[2] / 2)

    def _lift(self, s: _Scene, command: _Command) -> None:
        if self._holding(s, command):
            carry_z = self._carry_z(s)
            command.target = np.array([s.tcp[0], s.tcp[1], carry_z])
            if s.tcp[2] > carry_z - self.tolerances.lifted:
                self._go(Phase.CARRY)

    def _carry(self, s: _Scene, command: _Command) -> None:
        if self._holding(s, command):
            t, tcp, goal, parcel = self.tolerances, s.tcp, s.goal, s.parcel
            command.target = np.array(
                [tcp[0] + goal[0] - parcel[0], tcp[1] + goal[1] - parcel[1], self._carry_z(s)]
            )
            if (
                np.linalg.norm(goal[:2] - parcel[:2]) < t.over_goal
                and np.linalg.norm(s.parcel_velocity) < t.carry_settled
            ):
                self._go(Phase.LOWER)

    def _lower(self, s: _Scene, command: _Command) -> None:
        if self._holding(s, command):
            t = self.tolerances
            # aim a little below the goal: the pallet stops the parcel, and it is released only once
            # resting there, so opening the fingers never drops it (fragile goods)
            command.target = s.tcp + (s.goal - s.parcel) - np.array([0.0, 0.0, t.press])
            height = s.parcel[2] - s.goal[2]
            # Slow down for the touch-down.
            command.speed = min(
                command.speed, max(t.touchdown_speed, height / t.touchdown_distance)
            )
            if height < t.landed or (
                self.phase_steps > t.lower_min_steps and abs(s.parcel_velocity[2]) < t.resting
            ):
                self._go(Phase.RELEASE)

    def _release(self, s: _Scene, command: _Command) -> None:
        if (
            s.width > s.narrow + self.tolerances.released
            or self.phase_steps > self.tolerances.release_steps
        ):
            self._go(Phase.RETREAT)

    def _retreat(self, s: _Scene, command: _Command) -> None:
        t = self.tolerances
        command.target = np.array(
            [s.tcp[0], s.tcp[1], s.parcel[2] + s.size[2] / 2 + t.hover + t.retreat_height]
        )
        # It did not land well: redo it.
        if self.phase_steps > t.retreat_steps and np.linalg.norm(s.goal - s.parcel) > t.misplaced:
            self._go(Phase.APPROACH)

    # ---- the action ------------------------------------------------------------------------
    def _action(
        self, offset: np.ndarray, yaw_error: float, open_gripper: bool, speed: float, fragile: int
    ) -> np.ndarray:
        step = self.tolerances.accel_limit[fragile]
        distance = float(np.linalg.norm(offset)) / STEP_DISTANCE  # in steps at full command
        # as fast as allowed, yet able to stop in time at the acceleration limit (with margin: the
        # arm's servos lag the command)
        magnitude = min(speed, distance, math.sqrt(step * distance))
        wanted = offset / STEP_DISTANCE * (magnitude / distance) if distance > 1e-9 else np.zeros(3)
        self.motion = self.motion + np.clip(wanted - self.motion, -step, step)
        turn = float(np.clip(yaw_error / YAW_STEP, -1.0, 1.0))
        grip = 1.0 if open_gripper else -1.0
        return np.array([*self.motion, turn, grip], dtype=np.float32)


__all__ = ["DEFAULT_TOLERANCES", "YAW_LIMIT", "Phase", "PickAndPlace", "PickAndPlaceTolerances"]
