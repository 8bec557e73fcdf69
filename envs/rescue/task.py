"""QuadrupedRescue-v0's rules: cross a collapsed site, find a victim out of sight, reach them."""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from robodojo.envs.rescue.interface import (
    COMMAND_SCALE,
    MAX_AGE,
    SCAN_HIGH,
    SCAN_LOW,
    observation_layout,
    scan_grid,
    velocity_actions,
)
from robodojo.envs.rescue.site import (
    ROBOT_GROUP,
    VICTIM_SIZE,
    VICTIM_X,
    WORLD_MASK,
    Victim,
    VictimBody,
    VictimDetector,
    place_victim,
)
from robodojo.envs.rewards import merge_weights
from robodojo.envs.rubble import TerrainQuadrupedTask
from robodojo.physics import Sim
from robodojo.sim_assets.terrain import START_PAD
from robodojo.skills.walking import TROT, walker_factory

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
#: The closest the detector can start to the victim's centre (victim area − start pad centre −
#: nose), m: a longer range would see the victim from the start.
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
        reward_weights: Mapping[str, float] | None,
        max_target_speed: float,
        control_dt: float,
        physics_dt: float,
    ) -> None:
        super().__init__(
            robot,
            difficulty,
            max_target_speed,
            GAIT_DT if action_level == "velocity" else control_dt,
            physics_dt,
        )
        if not 0.0 < detector_range <= VICTIM_MIN_DISTANCE:
            raise ValueError(
                f"detector_range must be in (0, {VICTIM_MIN_DISTANCE}] m "
                f"(the victim must start out of range), got {detector_range}"
            )
        self.reward_weights = merge_weights(DEFAULT_WEIGHTS, reward_weights)
        self.action_level = action_level
        self.policy_dt = control_dt
        self.success_distance = success_distance
        self.detector_range = detector_range
        self.detector_fov = detector_fov
        self.recover_seconds = recover_seconds
        self.velocity_control = action_level == "velocity"
        if not self.velocity_control and walker != TROT:
            raise ValueError(
                "walker only applies to action='velocity' "
                f"(got walker={walker!r} with action={action_level!r})"
            )
        self.walker = walker
        if self.velocity_control:
            self.controller = walker_factory(walker)(self.spec, GAIT_DT)
            self.command = np.zeros(3)
            self.velocity_action = np.zeros(3)
            self.actions = velocity_actions(walker)
        self.layout = observation_layout(self.spec, detector_range, velocity=self.velocity_control)

    # -- scene -----------------------------------------------------------------
    def build(self, sim: Sim) -> None:
        super().build(sim)
        client = sim.client
        for link in range(
            -1, self.robot.num_links
        ):  # scans and sight lines pass through the robot itself
            client.setCollisionFilterGroupMask(self.robot.body_id, link, ROBOT_GROUP, 0xFFFF)
        self.victim_body = VictimBody(sim)
        self.detector = VictimDetector(
            sim, self.victim_body.body, self.detector_range, self.detector_fov
        )

    def reset(self, rng: np.random.Generator, difficulty: float | None = None) -> None:
        self.rng = rng
        self.new_terrain(rng, difficulty)
        self.victim: Victim = place_victim(rng, self.terrain)
        self.victim_body.place(self.victim)
        start_y, start_yaw = float(rng.uniform(-0.5, 0.5)), float(rng.uniform(-0.3, 0.3))
        clear_radius = float(np.hypot(*VICTIM_SIZE[:2] / 2)) + 0.3
        self.scatter_debris(
            rng,
            keep_clear=[
                (START_PAD / 2, start_y, 0.6),
                (self.victim.x, self.victim.y, clear_radius),
            ],
        )
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
        self.command = self.velocity_action * COMMAND_SCALE

    def advance(self, substeps: int) -> None:
        if not self.velocity_control:
            super().advance(substeps)
            return
        # The built-in controller: a trot tracking the command, or the scripted get-up after a fall.
        ticks = int(round(self.policy_dt / GAIT_DT))
        per_tick = substeps // ticks
        energy = 0.0
        for tick in range(ticks):
            if (
                tick
            ):  # reset / after_step read the state for the first tick; later ticks need the new one
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
            world = sensor[:2] + distance * np.array(
                [math.cos(yaw + bearing), math.sin(yaw + bearing)]
            )
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
        """Ground height − base height on the scan grid (one batched ray cast; sees terrain, debris,
        victim)."""
        x, y, z = self.base_position
        points = scan_grid(x, y, self.yaw)
        top = z + SCAN_HIGH + 0.5
        bottom = z + SCAN_LOW - 0.5
        starts = [[px, py, top] for px, py in points]
        ends = [[px, py, bottom] for px, py in points]
        hits = self.sim.client.rayTestBatch(starts, ends, collisionFilterMask=WORLD_MASK)
        heights = np.array([hit[3][2] if hit[0] >= 0 else bottom for hit in hits])
        return np.clip(heights - z, SCAN_LOW, SCAN_HIGH)

    def observe(self) -> np.ndarray:
        relative_yaw = self.yaw - self.start_yaw
        x, y = self.to_start_frame(self.base_position[:2])
        pose = [
            x,
            y,
            self.base_position[2] - self.start_position[2],
            math.cos(relative_yaw),
            math.sin(relative_yaw),
        ]
        visible, detection = [0.0], [0.0, 0.0, 0.0]
        if self.detection is not None:
            distance, bearing = self.detection
            visible, detection = [1.0], [distance, math.cos(bearing), math.sin(bearing)]
        if self.last_seen_time is not None:
            memory = [*self.last_seen, self.steps * self.policy_dt - self.last_seen_time, 1.0]
        else:
            memory = [0.0, 0.0, MAX_AGE, 0.0]
        parts = [
            *self.proprioception_parts(),
            self.heading_velocity,
            pose,
            visible,
            detection,
            memory,
            self.height_scan(),
        ]
        if self.velocity_control:
            parts.append(self.velocity_action)
        return self.layout.assemble(parts)

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
        return bool(
            self.victim_distance <= self.success_distance and upright and self.fallen_since is None
        )

    def unrecovered_fall(self) -> bool:
        return (
            self.fallen_since is not None
            and self.steps * self.policy_dt - self.fallen_since > self.recover_seconds
        )

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
