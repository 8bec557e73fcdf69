"""robodojo/QuadrupedRescue-v0: cross a collapsed site, find a victim out of sight, reach them."""

from __future__ import annotations

import math
from typing import Any

import gymnasium as gym
import numpy as np
from robodojo.envs import rescue_layout as layout
from robodojo.envs.base import RobotTaskEnv
from robodojo.envs.legged_terrain import VELOCITY_RANGE, TerrainQuadrupedTask
from robodojo.envs.rescue_site import (
    ROBOT_GROUP,
    VICTIM_SIZE,
    VICTIM_X,
    WORLD_MASK,
    Victim,
    VictimBody,
    VictimDetector,
    place_victim,
)
from robodojo.envs.sim import Sim
from robodojo.policies.locomotion import make_walker
from robodojo.sim_assets.terrain import START_PAD

DEFAULT_WEIGHTS: dict[str, float] = {
    "progress": 5.0,
    "fall": -2.0,
    "time": -0.5,
    "energy": -0.0005,
    "success": 10.0,
}
ACTION_LEVELS = ("joints", "velocity")
#: The detector sits this far ahead of and above the base (a camera on the robot's nose), m.
SENSOR_OFFSET = np.array([0.25, 0.0, 0.05])
#: Standing again after a fall: upright this much.
RECOVERED_UP_Z = 0.9
#: action="velocity": the built-in gait runs at this period, the policy at 10 Hz.
GAIT_DT = 0.02
VELOCITY_POLICY_DT = 0.1
#: The closest the detector can start to the victim's centre (victim area − start pad centre − nose), m:
#: a longer range would see the victim from the start.
VICTIM_MIN_DISTANCE = VICTIM_X[0] - START_PAD / 2 - SENSOR_OFFSET[0]


class RescueTask(TerrainQuadrupedTask):
    """Find and reach a victim beyond the rubble; joint targets or velocity commands."""

    def __init__(
        self,
        robot: str,
        difficulty: float,
        action_level: str,
        success_distance: float,
        detector_range: float,
        detector_fov: float,
        recover_seconds: float,
        walker: str,
        reward_weights: dict[str, float],
        max_target_speed: float,
        control_dt: float,
        physics_dt: float,
    ) -> None:
        super().__init__(robot, difficulty, max_target_speed, GAIT_DT if action_level == "velocity" else control_dt, physics_dt)
        unknown = set(reward_weights) - set(DEFAULT_WEIGHTS)
        if unknown:
            raise ValueError(f"unknown reward terms {sorted(unknown)}; valid terms: {sorted(DEFAULT_WEIGHTS)}")
        if not 0.0 < detector_range <= VICTIM_MIN_DISTANCE:
            raise ValueError(f"detector_range must be in (0, {VICTIM_MIN_DISTANCE}] m (the victim must start out of range), got {detector_range}")
        self.reward_weights = {**DEFAULT_WEIGHTS, **reward_weights}
        self.action_level = action_level
        self.policy_dt = control_dt
        self.success_distance = success_distance
        self.detector_range = detector_range
        self.detector_fov = detector_fov
        self.recover_seconds = recover_seconds
        self.velocity_control = action_level == "velocity"
        if not self.velocity_control and walker != "trot":
            raise ValueError(f"walker only applies to action='velocity' (got walker={walker!r} with action={action_level!r})")
        self.walker = walker
        if self.velocity_control:
            self.controller = make_walker(walker, self.spec, GAIT_DT)
            self.command = np.zeros(3)
            self.velocity_action = np.zeros(3)
        self.observation_low, self.observation_high = self._bounds()

    def _bounds(self) -> tuple[np.ndarray, np.ndarray]:
        proprio_low, proprio_high = self.proprioception_bounds()
        size = layout.OBS_SIZE + (3 if self.velocity_control else 0)
        low, high = np.zeros(size, dtype=np.float32), np.zeros(size, dtype=np.float32)
        low[layout.PROPRIOCEPTION], high[layout.PROPRIOCEPTION] = proprio_low, proprio_high
        low[layout.VELOCITY], high[layout.VELOCITY] = -VELOCITY_RANGE, VELOCITY_RANGE
        low[layout.POSE], high[layout.POSE] = -layout.POSE_RANGE, layout.POSE_RANGE
        low[layout.POSE_YAW], high[layout.POSE_YAW] = -1.0, 1.0
        high[layout.VISIBLE] = 1.0
        low[layout.DETECTION], high[layout.DETECTION] = (0.0, -1.0, -1.0), (self.detector_range * 1.5, 1.0, 1.0)
        low[layout.LAST_SEEN], high[layout.LAST_SEEN] = -layout.POSE_RANGE, layout.POSE_RANGE
        high[layout.LAST_SEEN_AGE] = layout.MAX_AGE
        high[layout.EVER_SEEN] = 1.0
        low[layout.SCAN], high[layout.SCAN] = layout.SCAN_LOW, layout.SCAN_HIGH
        if self.velocity_control:
            low[layout.PREVIOUS_COMMAND], high[layout.PREVIOUS_COMMAND] = -1.0, 1.0
        return low, high

    # -- scene -----------------------------------------------------------------
    def build(self, sim: Sim) -> None:
        super().build(sim)
        client = sim.client
        for link in range(-1, self.robot.num_links):  # scans and sight lines pass through the robot itself
            client.setCollisionFilterGroupMask(self.robot.body_id, link, ROBOT_GROUP, 0xFFFF)
        self.victim_body = VictimBody(sim)
        self.detector = VictimDetector(sim, self.victim_body.body, self.detector_range, self.detector_fov)

    def reset(self, rng: np.random.Generator, difficulty: float | None = None) -> None:
        self.rng = rng
        self.new_terrain(rng, difficulty)
        self.victim: Victim = place_victim(rng, self.terrain)
        self.victim_body.place(self.victim)
        start_y, start_yaw = float(rng.uniform(-0.5, 0.5)), float(rng.uniform(-0.3, 0.3))
        clear_radius = float(np.hypot(*VICTIM_SIZE[:2] / 2)) + 0.3
        self.scatter_debris(rng, keep_clear=[(START_PAD / 2, start_y, 0.6), (self.victim.x, self.victim.y, clear_radius)])
        self.stand_at(START_PAD / 2, start_y, start_yaw)
        if self.velocity_control:
            self.controller.reset()
            self.command = np.zeros(3)
            self.velocity_action = np.zeros(3)
        self.steps = 0
        self.falls = 0
        self.fallen_since: float | None = None
        self.path_length = 0.0
        self.last_position = self.base_position
        self.time_found: float | None = None
        self.time_reached: float | None = None
        self.last_seen = np.zeros(2)
        self.last_seen_time: float | None = None
        self.detection: tuple[float, float] | None = None
        self.victim_distance = self.victim.distance(*self.base_position[:2])
        self.previous_distance = self.victim_distance
        self.new_fall = False
        self._sense()

    # -- acting ----------------------------------------------------------------
    def apply_action(self, action: np.ndarray) -> None:
        if not self.velocity_control:
            super().apply_action(action)
            return
        self.velocity_action = np.asarray(action, dtype=np.float64)
        self.command = self.velocity_action * layout.COMMAND_SCALE

    def advance(self, substeps: int) -> None:
        if not self.velocity_control:
            super().advance(substeps)
            return
        # The built-in controller: a trot tracking the command, or the scripted get-up after a fall.
        ticks = int(round(self.policy_dt / GAIT_DT))
        per_tick = substeps // ticks
        energy = 0.0
        for tick in range(ticks):
            if tick:  # reset / after_step read the state for the first tick; later ticks need the new one
                self._refresh_state()
            super().apply_action(self._controller_action())
            super().advance(per_tick)
            energy += self.step_energy
        self.step_energy = energy

    def _controller_action(self) -> np.ndarray:
        return self.controller(self.proprioception(), self.heading_velocity, self.command)

    def after_step(self) -> None:
        super().after_step()
        self.steps += 1
        now = self.steps * self.policy_dt
        self.path_length += float(np.linalg.norm(self.base_position[:2] - self.last_position[:2]))
        self.last_position = self.base_position
        fallen = self.fallen()
        self.new_fall = fallen and self.fallen_since is None
        if self.new_fall:
            self.falls += 1
            self.fallen_since = now
        elif not fallen and self.fallen_since is not None and self.rotation[2, 2] >= RECOVERED_UP_Z:
            self.fallen_since = None
        self.previous_distance = self.victim_distance
        self.victim_distance = self.victim.distance(*self.base_position[:2])
        self._sense()
        if self.time_reached is None and self.is_success():
            self.time_reached = now

    def _sense(self) -> None:
        """Run the victim detector and remember where the last detection put the victim."""
        yaw = self.yaw
        sensor = self.base_position + self.rotation @ SENSOR_OFFSET
        self.detection = self.detector.detect(self.rng, sensor, yaw, self.victim)
        if self.detection is not None:
            distance, bearing = self.detection
            world = sensor[:2] + distance * np.array([math.cos(yaw + bearing), math.sin(yaw + bearing)])
            self.last_seen = self.to_start_frame(world)
            self.last_seen_time = self.steps * self.policy_dt
            if self.time_found is None:
                self.time_found = self.last_seen_time

    def to_start_frame(self, world_xy: np.ndarray) -> np.ndarray:
        c, s = math.cos(self.start_yaw), math.sin(self.start_yaw)
        dx, dy = world_xy - self.start_position[:2]
        return np.array([c * dx + s * dy, -s * dx + c * dy])

    # -- sensing ---------------------------------------------------------------
    def height_scan(self) -> np.ndarray:
        """Ground height − base height on the scan grid (one batched ray cast; sees terrain, debris, victim)."""
        x, y, z = self.base_position
        points = layout.scan_grid(x, y, self.yaw)
        top = z + layout.SCAN_HIGH + 0.5
        bottom = z + layout.SCAN_LOW - 0.5
        starts = [[px, py, top] for px, py in points]
        ends = [[px, py, bottom] for px, py in points]
        hits = self.sim.client.rayTestBatch(starts, ends, collisionFilterMask=WORLD_MASK)
        heights = np.array([hit[3][2] if hit[0] >= 0 else bottom for hit in hits])
        return np.clip(heights - z, layout.SCAN_LOW, layout.SCAN_HIGH)

    def observe(self) -> np.ndarray:
        obs = np.zeros(self.observation_low.shape, dtype=np.float64)
        obs[layout.PROPRIOCEPTION] = self.proprioception()
        obs[layout.VELOCITY] = self.velocity_observation()
        relative_yaw = self.yaw - self.start_yaw
        obs[layout.POSE_XY] = self.to_start_frame(self.base_position[:2])
        obs[layout.POSE.start + 2] = self.base_position[2] - self.start_position[2]
        obs[layout.POSE_YAW] = math.cos(relative_yaw), math.sin(relative_yaw)
        if self.detection is not None:
            distance, bearing = self.detection
            obs[layout.VISIBLE] = 1.0
            obs[layout.DETECTION] = distance, math.cos(bearing), math.sin(bearing)
        if self.last_seen_time is not None:
            obs[layout.LAST_SEEN] = self.last_seen
            obs[layout.LAST_SEEN_AGE] = self.steps * self.policy_dt - self.last_seen_time
            obs[layout.EVER_SEEN] = 1.0
        else:
            obs[layout.LAST_SEEN_AGE] = layout.MAX_AGE
        obs[layout.SCAN] = self.height_scan()
        if self.velocity_control:
            obs[layout.PREVIOUS_COMMAND] = self.velocity_action
        return np.clip(obs.astype(np.float32), self.observation_low, self.observation_high)

    def observation_layout(self) -> list[dict[str, Any]]:
        fields = [
            *super().observation_layout(),
            {"name": "base_linear_velocity", "size": 3, "unit": "m/s", "frame": "heading (yaw-only)", "source": "state estimator"},
            {"name": "pose_from_start", "size": 5, "unit": "m, m, m, 1, 1", "frame": "start", "source": "odometry: x, y, z, cos yaw, sin yaw"},
            {"name": "victim_visible", "size": 1, "unit": "1", "source": "victim detector (thermal camera)"},
            {"name": "victim_detection", "size": 3, "unit": "m, 1, 1", "frame": "heading", "source": "detector: range, cos, sin of bearing"},
            {"name": "victim_last_seen", "size": 2, "unit": "m", "frame": "start", "source": "last detection projected with odometry"},
            {"name": "victim_last_seen_age", "size": 1, "unit": "s", "source": f"time since that detection ({layout.MAX_AGE} before any)"},
            {"name": "victim_ever_seen", "size": 1, "unit": "1", "source": "detector"},
            {"name": "height_scan", "size": layout.SCAN.stop - layout.SCAN.start, "unit": "m", "frame": "heading",
             "source": f"ground height - base height at x in {np.round(layout.SCAN_X, 2).tolist()} × y in {np.round(layout.SCAN_Y, 2).tolist()} m (x-major)"},
        ]  # fmt: skip
        if self.velocity_control:
            fields.append({"name": "previous_command", "size": 3, "unit": "1", "source": "the policy's own last output"})
        return fields

    def action_interface(self) -> dict[str, Any]:
        if not self.velocity_control:
            return super().action_interface()
        return {
            "type": "body_velocity_command",
            "fields": ["linear_x", "linear_y", "angular_z"],
            "mapping": "(vx m/s, vy m/s, yaw rate rad/s) = a * scale (geometry_msgs/Twist)",
            "scale": layout.COMMAND_SCALE.tolist(),
            "controller": "robodojo.policies.locomotion.make_walker (scripted get-up after a fall)",
            "walker": self.walker,
        }

    # -- outcome ---------------------------------------------------------------
    def reward_terms(self) -> dict[str, float]:
        return {
            "progress": self.previous_distance - self.victim_distance,
            "fall": float(self.new_fall),
            "time": self.policy_dt,
            "energy": self.step_energy,
            "success": float(self.is_success()),
        }

    def is_success(self) -> bool:
        upright = self.rotation[2, 2] >= RECOVERED_UP_Z
        return bool(self.victim_distance <= self.success_distance and upright and self.fallen_since is None)

    def unrecovered_fall(self) -> bool:
        return self.fallen_since is not None and self.steps * self.policy_dt - self.fallen_since > self.recover_seconds

    def is_terminated(self) -> bool:
        return self.is_success() or self.unrecovered_fall() or self.off_site()

    def is_truncated(self) -> bool:
        return False  # leaving the site is a failure here (terminated), not a cut

    def episode_metrics(self) -> dict[str, float]:
        nan = float("nan")
        return {
            "found": float(self.time_found is not None),
            "time_to_find": nan if self.time_found is None else self.time_found,
            "reached": float(self.time_reached is not None),
            "time_to_reach": nan if self.time_reached is None else self.time_reached,
            "path_length": self.path_length,
            "falls": float(self.falls),
            "unrecovered_fall": float(self.unrecovered_fall()),
            "left_site": float(self.off_site()),
            "final_distance": self.victim_distance,
            "difficulty": self.difficulty,
            "duration": self.steps * self.policy_dt,
        }


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

    * ``robot``: ``"a1"`` (default), ``"aliengo"``, ``"laikago"`` or ``"mini_cheetah"``.
    * ``detector_range``: at most 4.75 m, so the victim always starts out of range.
    * ``walker``: what walks under ``action="velocity"``: ``"trot"`` (the scripted trot) or a
      Locomotion-v0 policy — a pretrained name such as ``"locomotion_a1"`` or an exported path
      (needs onnxruntime).
    """

    ROBOT_KIND = "quadruped"
    PHYSICS_DT = 0.004
    #: wide enough to show the rubble ahead and, near the end, the victim
    CAMERA = {"distance": 2.6, "yaw": -60.0, "pitch": -35.0}

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
        walker: str = "trot",
        max_target_speed: float = 15.0,
        reward_weights: dict[str, float] | None = None,
    ) -> None:
        if action not in ACTION_LEVELS:
            raise ValueError(f"action must be one of {ACTION_LEVELS}, got {action!r}")
        if not 0.0 < detector_fov_deg <= 360.0:
            raise ValueError(f"detector_fov_deg must be in (0, 360], got {detector_fov_deg}")
        policy_dt = VELOCITY_POLICY_DT if action == "velocity" else GAIT_DT
        substeps = int(round(policy_dt / self.PHYSICS_DT))
        task = RescueTask(
            robot,
            difficulty=difficulty,
            action_level=action,
            success_distance=success_distance,
            detector_range=detector_range,
            detector_fov=math.radians(detector_fov_deg),
            recover_seconds=recover_seconds,
            walker=walker,
            reward_weights=dict(reward_weights or {}),
            max_target_speed=max_target_speed,
            control_dt=policy_dt,
            physics_dt=self.PHYSICS_DT,
        )
        size = 3 if action == "velocity" else task.spec.num_joints
        super().__init__(
            task,
            action_space=gym.spaces.Box(-1.0, 1.0, shape=(size,), dtype=np.float32),
            observation_space=gym.spaces.Box(task.observation_low, task.observation_high, dtype=np.float32),
            physics_dt=self.PHYSICS_DT,
            substeps=substeps,
            episode_seconds=episode_seconds,
            render_mode=render_mode,
        )
        self.robot_name = robot
        self.action_level = action
