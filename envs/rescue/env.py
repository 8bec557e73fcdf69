"""robodojo/QuadrupedRescue-v0: cross a collapsed site, find a victim out of sight, reach them."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, ClassVar

from robodojo.envs.arguments import (
    DIFFICULTY,
    EPISODE_SECONDS,
    MAX_TARGET_SPEED,
    Argument,
    Choice,
    Number,
    Text,
    Weights,
    robot_of,
)
from robodojo.envs.base import RobotTaskEnv
from robodojo.envs.rescue.task import (
    ACTION_LEVELS,
    DEFAULT_WEIGHTS,
    GAIT_DT,
    VELOCITY_POLICY_DT,
    VICTIM_MIN_DISTANCE,
    RescueTask,
)
from robodojo.skills.walking import TROT


class QuadrupedRescueEnv(RobotTaskEnv):
    """## Description

    A quadruped crosses a collapsed site to find a person lying beyond the
    rubble and reach them. The victim is out of the detector's range at the
    start: the robot must explore, pick them up with its victim detector
    (think thermal camera: bearing and distance, only within range, field of
    view and line of sight) and walk to them. The rubble field (as in
    Locomotion-v0) and the victim's place are drawn anew from the seed at
    every reset; ``reset(options={"difficulty": d})`` sets the difficulty
    for one episode.

    ## Action Space

    ``action="velocity"`` (the practical setting, default): ``Box(-1, 1,
    (3,), float32)``, a body velocity command (forward, lateral, yaw rate) =
    a × (0.5 m/s, 0.2 m/s, 0.8 rad/s) for the built-in locomotion controller
    of the action library (``walker``: the scripted trot, or a trained
    Locomotion-v0 policy; the scripted get-up after a fall), which runs at
    50 Hz; the policy at 10 Hz.

    ``action="joints"`` (the research setting): ``Box(-1, 1, (12,), float32)``
    joint position targets as in FallRecovery-v0, policy at 50 Hz.

    NaN/inf or a wrong shape raise ``ValueError``.

    ## Observation Space

    ``Box(low, high, (135,), float32)`` (138 with ``action="velocity"``);
    indices in :mod:`robodojo.envs.rescue_layout`:

    | index | observation | unit |
    |---|---|---|
    | 0–41 | as FallRecovery-v0: gyro, projected gravity, joints − home, joint speeds, previous joint action | |
    | 42–44 | body velocity, heading frame (state estimator) | m/s |
    | 45–49 | pose from the start: x, y, z, cos yaw, sin yaw (start frame, odometry) | m, 1 |
    | 50 | victim visible now | 0/1 |
    | 51–53 | detection: range, cos and sin of the bearing (0 when not visible) | m, 1 |
    | 54–55 | where the last detection put the victim, start frame | m |
    | 56 | age of that detection (60 before any) | s |
    | 57 | victim ever detected | 0/1 |
    | 58–134 | height scan: ground − base height on 11 × 7 points, x −0.2…0.8 m ahead, y ±0.3 m | m, [−1, 0.5] |
    | 135–137 | ``action="velocity"`` only: the previous command | [−1, 1] |

    ## Rewards

    Σ weight × term (``info["reward_terms"]``, weights in ``env.reward_weights``):

    | term | value | default weight |
    |---|---|---|
    | progress | decrease of the distance to the victim this step, m | 5.0 |
    | fall | 1 on the step the robot falls | −2.0 |
    | time | the step's duration, s | −0.5 |
    | energy | Σ \\|τ·q̇\\| dt, J | −0.0005 |
    | success | 1 on the step the victim is reached | 10.0 |

    ## Starting State

    Standing on the flat start pad at x = 0.5 m, y ∈ ±0.5 m, heading ±0.3
    rad along the site (+x). The victim (a 1.5 × 0.45 × 0.22 m body) lies at
    x ∈ [5.5, 7.2] m, |y| ≤ 1.2 m, on a cell that a route within the robot's
    step limit connects to the start, resting on the highest ground under it
    (so never inside an obstacle, never off the terrain); loose debris keeps
    clear of it.

    ## Episode End

    Terminated with success when the base is within ``success_distance`` of
    the victim's body, upright; terminated with failure when a fall is not
    recovered within ``recover_seconds`` or the robot leaves the site;
    truncated at ``episode_seconds`` or with ``info["physics_error"]``.
    ``info["episode_metrics"]``: ``found``, ``time_to_find`` (s to the first
    detection), ``reached``, ``time_to_reach``, ``path_length`` (m),
    ``falls``, ``unrecovered_fall``, ``left_site``, ``final_distance`` (m),
    ``difficulty``, ``duration``.

    ## Arguments

    ```python
    gymnasium.make("robodojo/QuadrupedRescue-v0", robot="a1", action="velocity", difficulty=0.25,
                   render_mode=None, episode_seconds=30.0, success_distance=0.5,
                   detector_range=4.0, detector_fov_deg=120.0, recover_seconds=5.0,
                   walker="trot", max_target_speed=15.0, reward_weights=None)
    ```

    * ``robot``: ``"a1"`` (default), ``"go2"``, ``"b1"``, ``"aliengo"``, ``"laikago"`` or
      ``"mini_cheetah"``.
    * ``detector_range``: at most 4.75 m, so the victim always starts out of range.
    * ``walker``: what walks under ``action="velocity"``: ``"trot"`` (the scripted trot) or a
      Locomotion-v0 policy — a pretrained name such as ``"locomotion_a1"`` or an exported path
      (needs onnxruntime).

    ## Version History

    * v0: since 28614b1 (2026-11) the terrain has no height spikes at its two far corners (rescue
      episodes measured unchanged); since the 2026-12 redesign registered with ``max_episode_steps``
      (300 at the defaults: 30 s at 10 Hz; with ``action="joints"`` pass ``max_episode_steps=1500``
      or use ``robodojo.envs.make``), episodes unchanged.
    """  # noqa: E501 (markdown table rows cannot wrap)

    ROBOT_KIND = "quadruped"
    RESET_OPTIONS = ("difficulty",)
    PHYSICS_DT = 0.004
    ARGUMENTS: ClassVar[Mapping[str, Argument]] = {
        "robot": robot_of("quadruped"),
        "action": Choice(ACTION_LEVELS),
        "difficulty": DIFFICULTY,
        "episode_seconds": EPISODE_SECONDS,
        "success_distance": Number(0, 10, "m", low_open=True),
        # the victim must start out of range
        "detector_range": Number(0, VICTIM_MIN_DISTANCE, "m", low_open=True),
        "detector_fov_deg": Number(0, 360, "deg", low_open=True),
        "recover_seconds": Number(0, 3600, "s"),
        "walker": Text("'trot' or a Locomotion-v0 policy (pretrained name or exported path)"),
        "max_target_speed": MAX_TARGET_SPEED,
        "reward_weights": Weights(DEFAULT_WEIGHTS),
    }
    #: wide enough to show the rubble ahead and, near the end, the victim
    CAMERA: ClassVar[dict[str, float]] = {"distance": 2.6, "yaw": -60.0, "pitch": -35.0}

    def __init__(
        self,
        robot: str = "a1",
        action: str = "velocity",
        difficulty: float = 0.25,
        render_mode: str | None = None,
        episode_seconds: float = 30.0,
        success_distance: float = 0.5,
        detector_range: float = 4.0,
        detector_fov_deg: float = 120.0,
        recover_seconds: float = 5.0,
        walker: str = TROT,
        max_target_speed: float = 15.0,
        reward_weights: dict[str, float] | None = None,
    ) -> None:
        self.record_arguments(locals())
        substeps = self.substeps_for(action)
        policy_dt = VELOCITY_POLICY_DT if action == "velocity" else GAIT_DT
        task = RescueTask(
            robot,
            difficulty=difficulty,
            action_level=action,
            success_distance=success_distance,
            detector_range=detector_range,
            detector_fov=math.radians(detector_fov_deg),
            recover_seconds=recover_seconds,
            walker=walker,
            reward_weights=reward_weights,
            max_target_speed=max_target_speed,
            control_dt=policy_dt,
            physics_dt=self.PHYSICS_DT,
        )
        super().__init__(
            task,
            physics_dt=self.PHYSICS_DT,
            substeps=substeps,
            episode_seconds=episode_seconds,
            render_mode=render_mode,
        )
        self.robot_name = robot
        self.action_level = action

    @classmethod
    def substeps_for(cls, action: str) -> int:
        """Physics steps per policy step: the policy runs at 10 Hz on the velocity level, 50 Hz on
        joints."""
        return int(
            round((VELOCITY_POLICY_DT if action == "velocity" else GAIT_DT) / cls.PHYSICS_DT)
        )

    @classmethod
    def timing(cls, arguments: Mapping[str, Any]) -> tuple[float, float]:
        return cls.PHYSICS_DT * cls.substeps_for(arguments["action"]), float(
            arguments["episode_seconds"]
        )
