"""robodojo/FallRecovery-v0: a quadruped that has fallen gets back on its feet."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np

from robodojo.envs.arguments import (
    EPISODE_SECONDS,
    MAX_TARGET_SPEED,
    Argument,
    Number,
    Weights,
    robot_of,
)
from robodojo.envs.base import RobotTaskEnv
from robodojo.envs.quadruped import QuadrupedTask
from robodojo.envs.rewards import merge_weights

DEFAULT_WEIGHTS: dict[str, float] = {
    "upright": 1.0,
    "height": 1.0,
    "pose": 0.5,
    "standing": 1.0,
    "action_rate": -0.05,
    "energy": -0.002,
    "joint_limit": -0.2,
    # A perfectly held stance earns upright + height + pose + standing = 3.5 a step; this
    # cancels it, so every step spent before success costs and getting up sooner pays
    # (otherwise a policy gains by loitering just short of the success condition).
    "time": -3.5,
    "success": 10.0,
}


class FallRecoveryTask(QuadrupedTask):
    """Get up from a random fall: self-right, then stand, then hold it."""

    def __init__(
        self,
        robot: str,
        reward_weights: Mapping[str, float] | None,
        upright_threshold: float,
        height_fraction: float,
        hold_seconds: float,
        settle_seconds: float,
        max_target_speed: float,
        control_dt: float,
        physics_dt: float,
    ) -> None:
        super().__init__(robot, max_target_speed, control_dt, physics_dt)
        self.reward_weights = merge_weights(DEFAULT_WEIGHTS, reward_weights)
        self.upright_threshold = upright_threshold
        self.min_height = height_fraction * self.spec.standing_height
        # The stance must be seen at both ends of the hold: hold_seconds / dt + 1 samples.
        self.hold_samples = int(round(hold_seconds / control_dt)) + 1
        self.settle_seconds = settle_seconds

    def reset(self, rng: np.random.Generator) -> None:
        self.drop(rng, max_settle_seconds=self.settle_seconds)
        self.held_steps = 0
        self.stand_started_step: int | None = None
        self.first_stood_step: int | None = None
        self.steps = 0
        self._update_standing()

    def after_step(self) -> None:
        super().after_step()
        self.steps += 1
        self._update_standing()

    def _update_standing(self) -> None:
        up = self.rotation[2, 2]  # body z axis · world z
        height = self.base_position[2]
        self.standing_now = bool(up >= self.upright_threshold and height >= self.min_height)
        if self.standing_now:
            if self.held_steps == 0:
                self.stand_started_step = self.steps
            self.held_steps += 1
            if self.held_steps >= self.hold_samples and self.first_stood_step is None:
                self.first_stood_step = self.stand_started_step
        else:
            self.held_steps = 0

    def reward_terms(self) -> dict[str, float]:
        spec = self.spec
        up = self.rotation[2, 2]
        upright_gate = max(up, 0.0) ** 2  # posture only matters once the body is the right way up
        height = float(np.clip(self.base_position[2] / spec.standing_height, 0.0, 1.0))
        pose_error = float(np.sum((self.robot.q - spec.home) ** 2))
        return {
            "upright": float((0.5 * (1.0 + up)) ** 2),
            "height": height * upright_gate,
            "pose": float(np.exp(-pose_error / 2.0)) * upright_gate,
            "standing": float(self.standing_now),
            "action_rate": float(np.sum((self.action - self.previous_action) ** 2)),
            "energy": self.step_energy,
            "joint_limit": self.joint_limit_violation(),
            "time": 1.0,
            "success": float(self.is_success()),
        }

    def is_success(self) -> bool:
        return self.held_steps >= self.hold_samples

    def is_terminated(self) -> bool:
        return self.is_success()

    def episode_metrics(self) -> dict[str, float]:
        stood = self.first_stood_step is not None
        return {
            "stood": float(stood),
            "time_to_stand": (
                self.first_stood_step * self.control_dt
                if self.first_stood_step is not None
                else float("nan")
            ),
            "peak_torque": self.peak_torque,
            "energy": self.energy,
            "duration": self.steps * self.control_dt,
        }


class FallRecoveryEnv(RobotTaskEnv):
    """## Description

    A quadruped has fallen over and must get back on its feet. It starts
    lying wherever the fall left it — on its back, side or belly, legs at
    random angles — and has to right itself, stand up to its nominal height
    and hold the stance for ``hold_seconds``. The robot is driven by explicit,
    torque-limited PD control towards joint position targets (the same
    interface a real quadruped's low-level controller offers).

    ## Action Space

    ``Box(-1, 1, (12,), float32)``: joint position targets for FR, FL, RR,
    RL × (hip, thigh, calf), in the robot's joint-name order. 0 is the home
    (standing) pose and ±1 the joint limits, linearly on each side of home.
    Targets move towards the command at no more than ``max_target_speed``
    rad/s. Finite values outside [-1, 1] are clipped; NaN/inf or a wrong shape
    raise ``ValueError``. The policy runs at 50 Hz.

    ## Observation Space

    ``Box(low, high, (42,), float32)``, only what the real robot measures,
    clipped to the sensor ranges below (real sensors saturate too):

    | index | observation | unit | range |
    |---|---|---|---|
    | 0–2 | IMU angular velocity, body frame | rad/s | ±50 |
    | 3–5 | gravity direction in the body frame (projected gravity) | unit vector | ±1 |
    | 6–17 | joint positions minus home | rad | joint limits − home |
    | 18–29 | joint velocities | rad/s | ±60 |
    | 30–41 | previous action | | ±1 |

    ## Rewards

    reward = Σ weight × term, with each unweighted term in
    ``info["reward_terms"]`` and the weights in ``env.reward_weights``:

    | term | value | default weight |
    |---|---|---|
    | upright | ((1 + up_z) / 2)², up_z = body z axis · world z | 1.0 |
    | height | base height / standing height (≤ 1), × max(up_z, 0)² | 1.0 |
    | pose | exp(−‖q − home‖² / 2), × max(up_z, 0)² | 0.5 |
    | standing | 1 while the success condition holds | 1.0 |
    | action_rate | ‖aₜ − aₜ₋₁‖² | −0.05 |
    | energy | Σ \\|τ · q̇\\| dt over the step's physics steps, J | −0.002 |
    | joint_limit | Σ rad by which joints pass the inner 95 % of their range | −0.2 |
    | time | 1 every step: cancels a perfect stance's 3.5, so getting up sooner pays | −3.5 |
    | success | 1 on the step the held stance completes the task | 10.0 |

    ## Starting State

    The robot is dropped 2–20 cm (lowest point to ground) with roll and yaw
    uniform in [−π, π], pitch uniform in [−π/4, π/4] and every joint uniform
    within its limits, held there while it falls; the first observation comes
    once it has come to rest (base slower than 0.1 m/s and 0.3 rad/s for two
    30 ms steps of the coarse fall simulation; at most ``settle_seconds`` after
    the drop). So it lies on its back, side or belly (about 42 / 15 / 43 % for
    A1), and every seed gives a different fall.

    ## Episode End

    Terminated with success once the robot has been upright (up_z ≥
    ``upright_threshold``) with its base at ≥ ``height_fraction`` × its
    nominal standing height for ``hold_seconds``; truncated at
    ``episode_seconds``, or early with ``info["physics_error"]`` if the
    physics blows up. ``info["is_success"]`` is on every step;
    ``info["episode_metrics"]`` on the last: ``stood``, ``time_to_stand``
    (s from the first action to the start of the held stance), ``peak_torque``
    (N·m), ``energy`` (J, Σ |τ·q̇| dt over every physics step) and
    ``duration`` (s).

    ## Arguments

    ```python
    gymnasium.make("robodojo/FallRecovery-v0", robot="a1", render_mode=None,
                   episode_seconds=10.0, hold_seconds=1.0, upright_threshold=0.9,
                   height_fraction=0.8, settle_seconds=1.5, max_target_speed=15.0,
                   reward_weights=None)
    ```

    * ``robot``: ``"a1"`` (default), ``"go2"``, ``"b1"``, ``"aliengo"``, ``"laikago"`` or
      ``"mini_cheetah"``.
    * ``reward_weights``: overrides for some or all of the default weights above.
    * ``render_mode``: ``"rgb_array"`` (headless, camera follows the robot) or ``"human"`` (needs a
      display).

    ## Version History

    * v0: registered with ``max_episode_steps`` (500 at the default ``episode_seconds``) since the
      2026-12 redesign; episodes unchanged. Pickling makes a fresh env from the same arguments.
    """

    ROBOT_KIND = "quadruped"
    PHYSICS_DT = 0.004
    SUBSTEPS = 5
    ARGUMENTS: ClassVar[Mapping[str, Argument]] = {
        "robot": robot_of("quadruped"),
        "episode_seconds": EPISODE_SECONDS,
        "hold_seconds": Number(0, 60, "s"),
        "upright_threshold": Number(-1, 1),
        "height_fraction": Number(0, 2, low_open=True),
        "settle_seconds": Number(0, 60, "s"),
        "max_target_speed": MAX_TARGET_SPEED,
        "reward_weights": Weights(DEFAULT_WEIGHTS),
    }

    @classmethod
    def timing(cls, arguments: Mapping[str, Any]) -> tuple[float, float]:
        return cls.PHYSICS_DT * cls.SUBSTEPS, float(arguments["episode_seconds"])

    def __init__(
        self,
        robot: str = "a1",
        render_mode: str | None = None,
        episode_seconds: float = 10.0,
        hold_seconds: float = 1.0,
        upright_threshold: float = 0.9,
        height_fraction: float = 0.8,
        settle_seconds: float = 1.5,
        max_target_speed: float = 15.0,
        reward_weights: dict[str, float] | None = None,
    ) -> None:
        self.record_arguments(locals())
        task = FallRecoveryTask(
            robot,
            reward_weights=reward_weights,
            upright_threshold=upright_threshold,
            height_fraction=height_fraction,
            hold_seconds=hold_seconds,
            settle_seconds=settle_seconds,
            max_target_speed=max_target_speed,
            control_dt=self.PHYSICS_DT * self.SUBSTEPS,
            physics_dt=self.PHYSICS_DT,
        )
        super().__init__(
            task,
            physics_dt=self.PHYSICS_DT,
            substeps=self.SUBSTEPS,
            episode_seconds=episode_seconds,
            render_mode=render_mode,
        )
        self.robot_name = robot
