"""robodojo/Transport-v0: pick parcels of unknown size, mass and friction off a conveyor and set
them down on a pallet."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, cast

import numpy as np

from robodojo.envs.arguments import (
    EPISODE_SECONDS_OR_DEFAULT,
    Argument,
    Choice,
    Flag,
    Integer,
    Number,
    Pairs,
    Weights,
    robot_of,
)
from robodojo.envs.base import RobotTaskEnv
from robodojo.envs.transport.goal import REWARD_TYPES, goal_reward, goal_reward_single
from robodojo.envs.transport.task import TransportTask
from robodojo.sim_assets.transport_scene import ParcelRanges


class TransportEnv(RobotTaskEnv):
    """## Description

    A logistics cell: an arm with a parallel gripper (the Franka Hand, 80 mm
    opening, 140 N per finger) takes parcels off a conveyor strip and sets
    them down, upright, at a goal on a pallet. Nobody tells the robot a
    parcel's mass (0.1–2 kg) or friction (0.4–1.0): a parcel is held by
    friction alone and slips out of a weak or badly placed grasp. Parcels are
    boxes of 4–10 cm sides (the narrower horizontal side at most 6 cm, so the
    gripper can close on it) arriving at a random position and yaw. The arm,
    hand and parcels are simulated with contact physics (4 ms steps, 25 Hz
    control). The env is goal-conditioned, for hindsight relabelling (SB3's
    ``HerReplayBuffer``): ``compute_reward(achieved_goal, desired_goal, info)``
    works on single goals and on batches.

    ## Action Space

    ``control="ee"`` (default): ``Box(-1, 1, (5,), float32)``: TCP
    displacement a[0:3] × 3 cm per step (0.75 m/s) from the measured TCP,
    gripper pointing down; yaw change a[3] × 0.08 rad per step; finger
    opening (a[4] + 1) / 2 × 80 mm. ``control="joint"``: ``Box(-1, 1, (n + 1,))``,
    joint position targets over the joint limits, then the opening. Finite
    values outside [-1, 1] are clipped; NaN/inf or a wrong shape raise
    ``ValueError``.

    ## Observation Space

    ``Dict`` of float32 boxes (bounds ±10):

    * ``observation`` (30): TCP position (m, world; table top z = 0) and
      velocity (m/s), sin/cos of the gripper yaw, finger opening (m) and its
      rate, parcel centre − TCP (m), the parcel's x and y axes (world), its
      linear (m/s) and angular (rad/s) velocity, its three sides (m), the
      fragile label (0/1) and the number of parcels still to come.
    * ``achieved_goal`` (4): parcel centre (m) and 1 when it is set down
      (released, tilt ≤ 15°, at rest), else 0.
    * ``desired_goal`` (4): the goal centre (m) and 1.

    ## Rewards

    ``compute_reward`` = goal term + Σ weight × term over the goal-free terms in
    ``info["reward_terms"]``. Goal term, ``reward_type="sparse"`` (default): 0
    when the parcel is within 5 cm of the goal and set down, else −1;
    ``"dense"``: −distance (m) − 0.1 × (not set down).

    | term | value | default weight |
    |---|---|---|
    | drop | 1 on the step a held parcel falls (or leaves the table) | −5.0 |
    | damage | 1 when a fragile parcel's acceleration exceeds ``fragile_limit`` | −10.0 |
    | collision | 1 when the arm or hand starts touching the table, conveyor or pallet | −1.0 |

    ## Starting State

    The arm at home (TCP 30 cm above the table, gripper open, pointing down);
    the first parcel at rest on the conveyor, centre uniform on the belt
    (3 cm inside its edges), yaw uniform in ±90°; its size, mass, friction and
    colour drawn anew each episode. Goals: one parcel, uniform within ±7 cm
    of the pallet's centre; several, distinct slots of a 2 × 2 grid. The
    next parcel arrives on the conveyor the step after the previous one is
    placed.

    ## Episode End

    Success: every parcel placed — its centre within 5 cm of its goal,
    upright (tilt ≤ 15°), released and at rest. Terminated on success, when
    a parcel leaves the table, or when a fragile parcel is damaged;
    truncated after ``episode_seconds`` (default 10 s per parcel, 14 s
    when fragile).
    ``info["episode_metrics"]``: ``success``, ``time`` (s to success, else
    the episode's length), ``parcels_placed``, ``grasp_attempts``, ``drops``,
    ``peak_acceleration`` (m/s², per 40 ms step), ``collisions``, ``energy``
    (J, Σ|τ·q̇|·dt over the arm's joints), ``damaged``, and the last parcel's
    ``distance_to_goal`` (m) and ``tilt`` (deg).

    ## Arguments

    ```python
    gymnasium.make("robodojo/Transport-v0", robot="panda", render_mode=None, control="ee",
                   parcels=1, fragile=False, fragile_limit=8.0, reward_type="sparse",
                   size_range=(0.04, 0.10),
                   mass_range=(0.1, 2.0), friction_range=(0.4, 1.0), goal=None,
                   episode_seconds=None, reward_weights=None)
    ```

    * ``robot``: ``"panda"`` (default), ``"kuka_iiwa"``, ``"xarm6"``, ``"ur5"`` or ``"ur10"``,
      each wearing the Franka Hand.
    * ``parcels``: 1–4 parcels moved in sequence.
    * ``fragile``: label parcels fragile; a peak acceleration above ``fragile_limit`` (m/s²,
      averaged over a control step) damages the parcel and ends the episode as a failure.
    * ``size_range`` (m), ``mass_range`` (kg), ``friction_range``: uniform parcel draws. A size
      range whose lower end the gripper cannot close on (> 6 cm) is a ``ValueError``.
    * ``goal``: fix the goal's (x, y), m, for one parcel; outside the table or the arm's reach is a
      ``ValueError``.

    ## Version History

    * v0: since the 2026-12 redesign registered with ``max_episode_steps`` (250 at the defaults:
      10 s at 25 Hz; longer episodes — several or fragile parcels — need ``max_episode_steps`` or
      ``robodojo.envs.make``), episodes unchanged.
    """

    ROBOT_KIND = "arm"
    GOAL_CONDITIONED = True
    CAMERA: ClassVar[dict[str, float]] = {
        "distance": 1.1,
        "yaw": 30.0,
        "pitch": -35.0,
    }  # from beside the robot: conveyor, arm and pallet in view
    PHYSICS_DT = 0.004
    SUBSTEPS = 10  # 25 Hz control, as panda-gym
    ARGUMENTS: ClassVar[Mapping[str, Argument]] = {
        "robot": robot_of("arm"),
        "control": Choice(("ee", "joint")),
        "parcels": Integer(1, 4),  # the pallet has 4 slots
        "fragile": Flag(),
        "fragile_limit": Number(0, 1000, "m/s²", low_open=True),
        "reward_type": Choice(REWARD_TYPES),
        "size_range": Pairs(Number(0, 1, "m", low_open=True)),
        "mass_range": Pairs(Number(0, 100, "kg", low_open=True)),
        "friction_range": Pairs(Number(0, 10, low_open=True)),
        "goal": Pairs(Number(-5, 5, "m"), ordered=False, what="(x, y)", optional=True),
        "episode_seconds": EPISODE_SECONDS_OR_DEFAULT,
        "reward_weights": Weights(TransportTask.DEFAULT_WEIGHTS),
    }
    SOLVER_ITERATIONS = (
        20  # measured: holds a 2 kg parcel at friction 0.4; PyBullet's default 50 costs 1.7× more
    )

    @staticmethod
    def default_episode_seconds(parcels: int, fragile: bool) -> float:
        """10 s per parcel, 14 s when fragile."""
        return (14.0 if fragile else 10.0) * parcels

    @classmethod
    def timing(cls, arguments: Mapping[str, Any]) -> tuple[float, float]:
        seconds = arguments["episode_seconds"]
        if seconds is None:
            seconds = cls.default_episode_seconds(arguments["parcels"], arguments["fragile"])
        return cls.PHYSICS_DT * cls.SUBSTEPS, float(seconds)

    def __init__(
        self,
        robot: str = "panda",
        render_mode: str | None = None,
        control: str = "ee",
        parcels: int = 1,
        fragile: bool = False,
        fragile_limit: float = 8.0,
        reward_type: str = "sparse",
        size_range: tuple[float, float] = (0.04, 0.10),
        mass_range: tuple[float, float] = (0.1, 2.0),
        friction_range: tuple[float, float] = (0.4, 1.0),
        goal: tuple[float, float] | None = None,
        episode_seconds: float | None = None,
        reward_weights: dict[str, float] | None = None,
    ) -> None:
        self.record_arguments(locals())
        ranges = ParcelRanges(
            cast(tuple[float, float], tuple(map(float, size_range))),
            cast(tuple[float, float], tuple(map(float, mass_range))),
            cast(tuple[float, float], tuple(map(float, friction_range))),
        )
        task = TransportTask(robot, control, parcels, fragile, fragile_limit, ranges,
                             self.PHYSICS_DT * self.SUBSTEPS, reward_weights, goal)  # fmt: skip
        self.reward_type = reward_type
        super().__init__(
            task,
            physics_dt=self.PHYSICS_DT,
            substeps=self.SUBSTEPS,
            episode_seconds=episode_seconds
            if episode_seconds is not None
            else self.default_episode_seconds(parcels, fragile),
            render_mode=render_mode,
            solver_iterations=self.SOLVER_ITERATIONS,
        )
        self.robot_name = robot
        task.render_goals = render_mode is not None

    def compute_reward(self, achieved_goal: Any, desired_goal: Any, info: Any) -> Any:
        """Reward for goal pairs: one pair (float) or a batch (array), ``info`` the matching
        dict(s).

        Hindsight relabelling calls this with substituted desired goals; the
        goal-free terms come from each transition's ``info["reward_terms"]``.
        """
        weights = self.task.reward_weights
        if isinstance(
            info, dict
        ):  # one transition, the per-step path: plain floats, no array machinery
            return goal_reward_single(
                achieved_goal, desired_goal, self.reward_type
            ) + self._penalty(info, weights)
        reward = goal_reward(achieved_goal, desired_goal, self.reward_type)
        penalties = np.array(
            [self._penalty(item, weights) for item in np.asarray(info, dtype=object).reshape(-1)]
        )
        return reward + penalties.reshape(np.shape(reward))

    @staticmethod
    def _penalty(info: dict[str, Any] | None, weights: dict[str, float]) -> float:
        terms = (info or {}).get("reward_terms", {})
        return float(
            sum([weights[name] * value for name, value in terms.items() if name in weights])
        )

    def step(self, action: Any):
        observation, _, terminated, truncated, info = super().step(action)
        reward = self.compute_reward(
            observation["achieved_goal"], observation["desired_goal"], info
        )
        return observation, reward, terminated, truncated, info
