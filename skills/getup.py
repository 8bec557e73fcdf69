"""Scripted get-up: the quadruped's onboard self-righting skill (and FallRecovery-v0's scripted
controller).

It reads only what the policy observes (projected gravity, from the IMU) and
knows only the robot's spec (poses, limits), so it could run on the real
robot. It repeats a short cycle until the robot stands:

* lying on its back  → "flip" (thighs over the back) for ``push_seconds``, then tuck;
* lying on a side    → "roll_right" / "roll_left" with the lower side's legs, then tuck;
* on its belly       → tuck the legs under the body, then ramp to the home pose
  over ``ramp_seconds``; if it starts tipping while standing up, tuck and retry.
"""

from __future__ import annotations

from collections import deque

import numpy as np

from robodojo.robots.quadruped import QuadrupedSpec

#: Projected-gravity z thresholds (−1 upright, +1 upside down).
BELLY_DOWN = -0.6  # mostly the right way up: tuck
READY_TO_STAND = -0.9  # upright enough to push up
TIPPING = -0.7  # while standing up: abort below this
ON_BACK = 0.5  # mostly upside down: flip


class ScriptedGetUp:
    """Self-righting and standing up from any fall, from observations only.

    Args:
        spec: the robot (needs ``home``, ``tuck`` and keyframes ``flip``, ``roll_right``,
            ``roll_left``).
        control_dt: the env's control period, s.
        push_seconds / tuck_seconds: durations of a righting push and the tuck after it.
        ramp_seconds: duration of the tuck → home ramp when standing up.
    """

    def __init__(
        self,
        spec: QuadrupedSpec,
        control_dt: float,
        push_seconds: float = 0.5,
        tuck_seconds: float = 0.8,
        ramp_seconds: float = 0.5,
    ) -> None:
        missing = {"flip", "roll_right", "roll_left"} - set(spec.keyframes)
        if missing:
            raise ValueError(
                f"robot {spec.name!r} lacks the keyframes {sorted(missing)} "
                "the scripted get-up needs"
            )
        self.spec = spec
        #: projected gravity, read from the quadruped's proprioception at the head of every
        #: quadruped observation
        self.gravity = spec.proprioception().slice("projected_gravity")
        self.push_steps = max(1, round(push_seconds / control_dt))
        self.tuck_steps = max(1, round(tuck_seconds / control_dt))
        self.ramp_steps = max(1, round(ramp_seconds / control_dt))
        self.reset()

    def reset(self) -> None:
        self._plan: deque[np.ndarray] = deque()
        self.phase = "assess"

    @property
    def standing(self) -> bool:
        """Whether the last action held the finished stance (the ramp to home is done and it stayed
        up)."""
        return self.phase == "stand" and not self._plan

    def __call__(self, observation: np.ndarray) -> np.ndarray:
        gravity = np.asarray(observation)[self.gravity]
        if self.phase == "stand" and gravity[2] > TIPPING:
            self._replan("tuck", [self.spec.tuck] * self.tuck_steps)
        if not self._plan:
            self._plan_next(gravity)
        return self.spec.targets_to_action(self._plan.popleft()).astype(np.float32)

    def _replan(self, phase: str, targets: list[np.ndarray]) -> None:
        self.phase = phase
        self._plan = deque(targets)

    def _plan_next(self, gravity: np.ndarray) -> None:
        spec = self.spec
        if gravity[2] < READY_TO_STAND and self.phase == "stand":
            self._replan("stand", [spec.home])  # up: keep standing
        elif gravity[2] < READY_TO_STAND:
            ramp = [
                spec.tuck + (spec.home - spec.tuck) * min(1.0, (k + 1) / self.ramp_steps)
                for k in range(self.ramp_steps)
            ]
            self._replan("stand", ramp + [spec.home] * self.tuck_steps)
        elif gravity[2] < BELLY_DOWN:
            self._replan("tuck", [spec.tuck] * (self.tuck_steps // 2))
        else:
            if gravity[2] > ON_BACK:
                push = spec.keyframes["flip"]
            else:  # gravity along −y in the body frame means the right side is down
                push = spec.keyframes["roll_right" if gravity[1] < 0 else "roll_left"]
            self._replan("right", [push] * self.push_steps + [spec.tuck] * self.tuck_steps)
