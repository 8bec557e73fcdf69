"""Scripted welding controllers for Weld-v0's twist control: what real cells run.

* :class:`TeachAndRepeat` replays the taught program: the zero twist (taught
  path, nominal angles, target speed). It is exactly as good as the fixture.
* :class:`SeamTracking` corrects the taught path with the laser tracker, as
  industrial seam tracking does: every valid look-ahead reading is queued at
  the path position it was taken for (progress + look-ahead); when the torch
  gets there, a line fitted to the queued readings around it gives the
  deviation to steer to, and it holds the taught torch angles. Before the
  queue reaches the torch (the lead-in) it extrapolates the current readings
  back to the torch, and it holds at the lead-in until it has locked on (seam
  finding). Dropouts just leave gaps.

Both read only the observation (see WeldEnv's Observation Space), so they run
unchanged against a real cell that provides the same signals.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from robodojo.envs.weld.interface import (
    DEG_PER_UNIT,
    LOOKAHEAD,
    M_PER_PROGRESS_UNIT,
    MM_PER_UNIT,
    OFFSET_RATES,
    TWIST_ACTION_SIZE,
    observation_layout,
)  # fmt: skip

ACTION_SIZE = TWIST_ACTION_SIZE


class TeachAndRepeat:
    """The conventional robot program: follow the taught path at the target speed, no sensing."""

    def __init__(self, spec: Any, control_dt: float) -> None:
        self.control_dt = control_dt

    def reset(self) -> None:
        pass

    def __call__(self, observation: np.ndarray) -> np.ndarray:
        return np.zeros(ACTION_SIZE, dtype=np.float32)


def _span(x: np.ndarray) -> float:
    return float(x.max() - x.min()) if len(x) else 0.0


def _line_at(x: np.ndarray, y: np.ndarray, at: float) -> np.ndarray:
    """Least-squares line through (x, y rows), evaluated at ``at`` (x must span at least two
    values)."""
    design = np.stack([np.ones_like(x), x - at], axis=1)
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    return coef[0]


class SeamTracking:
    """Follow the true seam with the laser tracker's look-ahead readings (see the module docstring).

    Args:
        spec: the arm (its joints set where the observation's fields lie; the control works in
            the taught path's frame).
        control_dt: the env's control period, s.
        time_constant: s over which an aim error is steered out.
        angle_time_constant: s over which a work or travel angle error is steered out.
        window: m of queued readings either side of the torch used for the local fit.
        lock_on: mm of aim error below which the torch leaves the lead-in.
    """

    def __init__(
        self,
        spec: Any,
        control_dt: float,
        time_constant: float = 0.1,
        angle_time_constant: float = 0.2,
        window: float = 0.003,
        lock_on: float = 0.3,
    ) -> None:
        self.control_dt = control_dt
        self.time_constant = max(time_constant, control_dt)
        self.angle_time_constant = max(angle_time_constant, control_dt)
        self.window = window
        self.lock_on = lock_on
        self.lookahead = np.asarray(LOOKAHEAD)
        layout = observation_layout(spec, ACTION_SIZE)
        self.tracker_lateral, self.tracker_depth = (
            layout.slice("tracker_lateral"),
            layout.slice("tracker_depth"),
        )
        self.tracker_valid, self.torch_offset = (
            layout.slice("tracker_valid"),
            layout.slice("torch_offset"),
        )
        self.torch_angles, self.progress = (
            layout.slice("torch_angles"),
            layout.slice("progress").start,
        )  # travelled
        self.reset()

    def reset(self) -> None:
        self.positions = np.empty(0)  # path positions (m) of queued readings
        self.readings = np.empty((0, 2))  # (lateral, depth) mm
        self.locked = False
        self.estimate: np.ndarray | None = None

    #: queued readings kept: the torch reaches a reading ≤ 40 mm after it was taken, ~100 steps at
    #: 10 mm/s
    QUEUE = 1000

    def _target(
        self, progress: float, valid: np.ndarray, readings: np.ndarray
    ) -> np.ndarray | None:
        """Deviation (lateral, depth, mm) of the true seam at ``progress``, or None if nothing was
        seen yet."""
        if valid.any():
            self.positions = np.concatenate(
                [self.positions[-self.QUEUE :], progress + self.lookahead[valid]]
            )
            self.readings = np.concatenate([self.readings[-self.QUEUE :], readings[valid]])
        positions, values = self.positions, self.readings
        if not len(positions):
            return None
        near = np.abs(positions - progress) <= self.window
        if _span(positions[near]) > self.window:  # the queue has reached the torch: interpolate
            return _line_at(positions[near], values[near], progress)
        ahead = (positions > progress) & (positions <= progress + self.lookahead[-1] + 0.002)
        # Lead-in: extrapolate the readings ahead back to the torch.
        if _span(positions[ahead]) > 0.005:
            return _line_at(positions[ahead], values[ahead], progress)
        return values[-1]

    def __call__(self, observation: np.ndarray) -> np.ndarray:
        progress = float(observation[self.progress]) * M_PER_PROGRESS_UNIT
        valid = observation[self.tracker_valid] > 0.5
        readings = (
            np.stack([observation[self.tracker_lateral], observation[self.tracker_depth]], axis=1)
            * MM_PER_UNIT
        )
        target = self._target(progress, valid, readings)
        if target is not None:
            self.estimate = target
        action = np.zeros(ACTION_SIZE)
        if self.estimate is None:
            action[0] = -1.0  # nothing seen yet: wait at the lead-in
            return action.astype(np.float32)
        error = (
            self.estimate - observation[self.torch_offset] * MM_PER_UNIT
        )  # mm the aim point must move
        action[1:3] = np.clip(error / 1000.0 / self.time_constant / OFFSET_RATES[:2], -1.0, 1.0)
        # hold the taught work and travel angles: steer their measured errors out
        angle_error = np.radians(observation[self.torch_angles] * DEG_PER_UNIT)
        action[3:5] = np.clip(-angle_error / self.angle_time_constant / OFFSET_RATES[2:], -1.0, 1.0)
        if not self.locked:
            self.locked = bool(np.all(np.abs(error) < self.lock_on))
            action[0] = 0.0 if self.locked else -1.0
        return action.astype(np.float32)
