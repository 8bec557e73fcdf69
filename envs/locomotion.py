"""robodojo/Locomotion-v0: walk at a commanded body velocity over rubble."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np

from robodojo.envs.arguments import (
    DIFFICULTY,
    EPISODE_SECONDS,
    MAX_TARGET_SPEED,
    Argument,
    Number,
    Pairs,
    Weights,
    robot_of,
)
from robodojo.envs.base import RobotTaskEnv
from robodojo.envs.rewards import merge_weights
from robodojo.envs.rubble import BODY_VELOCITY, TerrainQuadrupedTask
from robodojo.interface import Field, Layout
from robodojo.robots.quadruped import QuadrupedSpec
from robodojo.sim_assets.terrain import START_PAD

DEFAULT_WEIGHTS: dict[str, float] = {
    "tracking_linear": 1.0,
    "tracking_yaw": 0.5,
    "vertical_velocity": -2.0,
    "tilt_rate": -0.05,
    "action_rate": -0.01,
    "energy": -0.001,
    "joint_limit": -0.2,
    "fall": -10.0,
}
#: Command ranges: forward, lateral (m/s) and yaw rate (rad/s).
DEFAULT_COMMAND_RANGES = ((-0.2, 0.5), (-0.2, 0.2), (-0.5, 0.5))
#: Tracking-reward width, legged_gym's: exp(−error² / 0.25).
TRACKING_SIGMA2 = 0.25


def observation_layout(spec: QuadrupedSpec, command_ranges: Any = DEFAULT_COMMAND_RANGES) -> Layout:
    """Locomotion-v0's observation: the robot's proprioception, its body velocity and the command.

    The command's bounds are the command ranges' largest magnitude per axis, at
    least ±1 (so a fixed command still spans a range).
    """
    ranges = np.asarray(command_ranges, dtype=np.float64)
    span = np.maximum(np.maximum(np.abs(ranges[:, 0]), np.abs(ranges[:, 1])), 1.0)
    command = Field(
        "velocity_command",
        3,
        "m/s, m/s, rad/s",
        "geometry_msgs/Twist linear.x, linear.y, angular.z",
        -span,
        span,
    )
    return Layout([*spec.proprioception(), BODY_VELOCITY, command])


class LocomotionTask(TerrainQuadrupedTask):
    """Track (vx, vy, ωz) commands, resampled every ``command_seconds``, over rubble."""

    def __init__(
        self,
        robot: str,
        difficulty: float,
        command_ranges: tuple[tuple[float, float], ...],
        command_seconds: float,
        standing_probability: float,
        success_tracking_error: float,
        reward_weights: Mapping[str, float] | None,
        max_target_speed: float,
        control_dt: float,
        physics_dt: float,
    ) -> None:
        super().__init__(robot, difficulty, max_target_speed, control_dt, physics_dt)
        try:
            ranges = np.asarray(command_ranges, dtype=np.float64)
        except (TypeError, ValueError):
            ranges = np.empty(0)
        if (
            ranges.shape != (3, 2)
            or not np.isfinite(ranges).all()
            or (ranges[:, 0] > ranges[:, 1]).any()
        ):
            raise ValueError(
                f"command_ranges must be three finite (low, high) pairs, got {command_ranges!r}"
            )
        if command_seconds <= 0 or not 0.0 <= standing_probability <= 1.0:
            raise ValueError("command_seconds must be > 0 and standing_probability in [0, 1]")
        self.reward_weights = merge_weights(DEFAULT_WEIGHTS, reward_weights)
        self.command_low, self.command_high = ranges[:, 0], ranges[:, 1]
        self.command_steps = max(1, int(round(command_seconds / control_dt)))
        self.standing_probability = standing_probability
        self.success_tracking_error = success_tracking_error
        self.layout = observation_layout(self.spec, ranges)
        self.command = np.zeros(3)

    def reset(self, rng: np.random.Generator, difficulty: float | None = None) -> None:
        self.rng = rng
        self.new_terrain(rng, difficulty)
        self.scatter_debris(rng, keep_clear=[(START_PAD, 0.0, 0.6)])
        self.stand_at(START_PAD, float(rng.uniform(-0.3, 0.3)), float(rng.uniform(-0.2, 0.2)))
        self.steps = 0
        self.fell = False
        self.path_length = 0.0
        self.commanded_displacement = np.zeros(2)
        self.linear_errors: list[float] = []
        self.yaw_errors: list[float] = []
        self._resample_command()

    def _resample_command(self) -> None:
        if self.rng.random() < self.standing_probability:
            self.command = np.zeros(3)
        else:
            self.command = self.rng.uniform(self.command_low, self.command_high)

    def after_step(self) -> None:
        previous = self.base_position
        super().after_step()
        self.steps += 1
        self.path_length += float(np.linalg.norm(self.base_position[:2] - previous[:2]))
        c, s = np.cos(self.yaw), np.sin(self.yaw)  # the command is in the heading frame
        self.commanded_displacement += (
            np.array(
                [
                    c * self.command[0] - s * self.command[1],
                    s * self.command[0] + c * self.command[1],
                ]
            )
            * self.control_dt
        )
        self.linear_error = float(np.linalg.norm(self.heading_velocity[:2] - self.command[:2]))
        self.yaw_error = abs(self.yaw_rate - self.command[2])
        self.linear_errors.append(self.linear_error)
        self.yaw_errors.append(self.yaw_error)
        self.fell = self.fell or self.fallen()
        if self.steps % self.command_steps == 0:
            self._resample_command()

    def observe(self) -> np.ndarray:
        return self.layout.assemble(
            [*self.proprioception_parts(), self.heading_velocity, self.command]
        )

    def reward_terms(self) -> dict[str, float]:
        return {
            "tracking_linear": float(np.exp(-(self.linear_error**2) / TRACKING_SIGMA2)),
            "tracking_yaw": float(np.exp(-(self.yaw_error**2) / TRACKING_SIGMA2)),
            "vertical_velocity": float(self.heading_velocity[2] ** 2),
            "tilt_rate": float(self.gyro[0] ** 2 + self.gyro[1] ** 2),
            "action_rate": float(np.sum((self.action - self.previous_action) ** 2)),
            "energy": self.step_energy,
            "joint_limit": self.joint_limit_violation(),
            "fall": float(self.fell),
        }

    def tracking_error(self) -> float:
        return float(np.mean(self.linear_errors)) if self.linear_errors else 0.0

    def is_success(self) -> bool:
        return not self.fell and self.tracking_error() <= self.success_tracking_error

    def is_terminated(self) -> bool:
        return self.fell

    def episode_metrics(self) -> dict[str, float]:
        moved = self.path_length
        # legged_gym's curriculum rule: distance from the start against the distance the commands
        # asked for
        commanded = float(np.linalg.norm(self.commanded_displacement))
        net = float(np.linalg.norm(self.base_position[:2] - self.start_position[:2]))
        return {
            "tracking_error": self.tracking_error(),
            "yaw_rate_error": float(np.mean(self.yaw_errors)) if self.yaw_errors else 0.0,
            "distance": moved,
            "progress": net / commanded if commanded > 0.05 else 1.0,
            "falls": float(self.fell),
            "energy_per_metre": self.energy / moved if moved > 0.05 else float("nan"),
            "left_site": float(self.off_site()),
            "difficulty": self.difficulty,
            "duration": self.steps * self.control_dt,
        }


class LocomotionEnv(RobotTaskEnv):
    """## Description

    A quadruped walks over a rubble field at a commanded body velocity —
    forward, sideways and turning — that changes every ``command_seconds``:
    the walking skill under every legged task, the one a velocity-level
    controller offers. The field (heightfield slabs, blocks, slopes, steps
    and gaps; loose debris above difficulty 0.5) is drawn anew from the seed
    at every reset; ``difficulty`` 0 is flat ground.
    ``reset(options={"difficulty": d})`` sets it for one episode (what the
    terrain curriculum, :class:`~robodojo.envs.curriculum.TerrainCurriculum`, uses).

    ## Action Space

    ``Box(-1, 1, (12,), float32)``: joint position targets (FR, FL, RR, RL ×
    hip, thigh, calf), 0 = home, ±1 = the joint limits, as in FallRecovery-v0,
    tracked by torque-limited PD at 250 Hz; the policy runs at 50 Hz. NaN/inf
    or a wrong shape raise ``ValueError``.

    ## Observation Space

    ``Box(low, high, (48,), float32)``:

    | index | observation | unit |
    |---|---|---|
    | 0–41 | as FallRecovery-v0: gyro, projected gravity, joints − home, joint speeds, previous action | |
    | 42–44 | body velocity in the heading frame (x forward, y left, z up), from the state estimator | m/s |
    | 45–47 | command: forward, lateral velocity, yaw rate | m/s, rad/s |

    ## Rewards

    Σ weight × term (``info["reward_terms"]``, weights in ``env.reward_weights``):

    | term | value | default weight |
    |---|---|---|
    | tracking_linear | exp(−‖v_xy − v*_xy‖² / 0.25) | 1.0 |
    | tracking_yaw | exp(−(ωz − ω*z)² / 0.25) | 0.5 |
    | vertical_velocity | v_z² | −2.0 |
    | tilt_rate | ω_x² + ω_y² (body) | −0.05 |
    | action_rate | ‖aₜ − aₜ₋₁‖² | −0.01 |
    | energy | Σ \\|τ·q̇\\| dt, J | −0.001 |
    | joint_limit | rad outside the inner 95 % of the joint ranges | −0.2 |
    | fall | 1 on the step the robot falls | −10.0 |

    ## Starting State

    Standing in the home pose on the flat start pad at x = 1 m, y ∈ ±0.3 m,
    heading ±0.2 rad along the field (+x); the first command is drawn at
    reset: uniform in ``command_ranges``, or zero with ``standing_probability``.

    ## Episode End

    Terminated when the robot falls (body tilted past 60° or its base below
    40 % of its standing height over the ground); truncated at
    ``episode_seconds``, when it leaves the terrain, or with
    ``info["physics_error"]``. Success: no fall and a mean velocity tracking
    error ≤ ``success_tracking_error`` m/s. ``info["episode_metrics"]``:
    ``tracking_error`` (mean ‖v_xy − v*_xy‖, m/s), ``yaw_rate_error``
    (rad/s), ``distance`` (path length, m), ``progress`` (distance from the start
    over the distance the commands asked for), ``falls``, ``energy_per_metre`` (J/m),
    ``left_site``, ``difficulty``, ``duration``.

    ## Arguments

    ```python
    gymnasium.make("robodojo/Locomotion-v0", robot="a1", difficulty=0.25, render_mode=None,
                   episode_seconds=15.0, command_seconds=5.0,
                   command_ranges=((-0.2, 0.5), (-0.2, 0.2), (-0.5, 0.5)),
                   standing_probability=0.1, success_tracking_error=0.15,
                   max_target_speed=15.0, reward_weights=None)
    ```

    * ``robot``: ``"a1"`` (default), ``"go2"``, ``"b1"``, ``"aliengo"``, ``"laikago"`` or
      ``"mini_cheetah"``.
    * ``difficulty``: rubble difficulty in [0, 1] (0 = flat).

    ## Version History

    * v0: since 28614b1 (2026-11) the terrain has no height spikes at its two far corners (one
      episode that walked off a corner changed); since the 2026-12 redesign registered with
      ``max_episode_steps`` (750 at the default ``episode_seconds``), episodes unchanged.
    """  # noqa: E501 (markdown table rows cannot wrap)

    ROBOT_KIND = "quadruped"
    RESET_OPTIONS = ("difficulty",)
    PHYSICS_DT = 0.004
    SUBSTEPS = 5
    ARGUMENTS: ClassVar[Mapping[str, Argument]] = {
        "robot": robot_of("quadruped"),
        "difficulty": DIFFICULTY,
        "episode_seconds": EPISODE_SECONDS,
        "command_seconds": Number(0, 3600, "s", low_open=True),
        "command_ranges": Pairs(Number(-5, 5, "m/s or rad/s"), count=3, what="(low, high)"),
        "standing_probability": Number(0, 1),
        "success_tracking_error": Number(0, 10, "m/s", low_open=True),
        "max_target_speed": MAX_TARGET_SPEED,
        "reward_weights": Weights(DEFAULT_WEIGHTS),
    }

    @classmethod
    def timing(cls, arguments: Mapping[str, Any]) -> tuple[float, float]:
        return cls.PHYSICS_DT * cls.SUBSTEPS, float(arguments["episode_seconds"])

    def __init__(
        self,
        robot: str = "a1",
        difficulty: float = 0.25,
        render_mode: str | None = None,
        episode_seconds: float = 15.0,
        command_seconds: float = 5.0,
        command_ranges: tuple[tuple[float, float], ...] = DEFAULT_COMMAND_RANGES,
        standing_probability: float = 0.1,
        success_tracking_error: float = 0.15,
        max_target_speed: float = 15.0,
        reward_weights: dict[str, float] | None = None,
    ) -> None:
        self.record_arguments(locals())
        task = LocomotionTask(
            robot,
            difficulty=difficulty,
            command_ranges=command_ranges,
            command_seconds=command_seconds,
            standing_probability=standing_probability,
            success_tracking_error=success_tracking_error,
            reward_weights=reward_weights,
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
