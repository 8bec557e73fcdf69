"""TransportTask: pick parcels of unknown mass off a conveyor and set them down on a pallet (see
TransportEnv)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import ClassVar

import gymnasium as gym
import numpy as np

from robodojo.envs.base import Task
from robodojo.envs.rewards import merge_weights
from robodojo.envs.transport.interface import (
    MAX_TILT_DEG,
    OBS_LIMIT,
    REST_SPEED,
    REST_SPIN,
    STEP_DISTANCE,
    SUCCESS_DISTANCE,
    WORKSPACE_HIGH,
    WORKSPACE_LOW,
    YAW_LIMIT,
    YAW_STEP,
    ee_actions,
    goal_space,
    joint_actions,
    observation_layout,
)  # fmt: skip
from robodojo.physics import Sim
from robodojo.physics.geometry import length, quat_axes
from robodojo.robots.gripper_arm import GripperArm
from robodojo.robots.registry import get_robot_spec
from robodojo.sim_assets.transport_scene import (
    TABLE_CENTER,
    TABLE_HALF,
    TABLE_TOP,
    ParcelRanges,
    ParcelSpec,
    build_cell,
    goal_positions,
    pick_pose,
    sample_parcel,
    spawn_parcel,
    support_top,
)  # fmt: skip

#: the gripper must close on a side at least this much narrower than its opening
GRIP_CLEARANCE = (
    0.02  # 1 cm a side: the finger pads open to ~76 mm apart, and lining up is never exact
)
#: a parcel whose bottom is this far above the surface below it, touching nothing, is falling
DROP_CLEARANCE = 0.02
#: a parcel this far below the table top has left the table
OFF_TABLE = TABLE_TOP - 0.05
#: the TCP is "at the parcel" (for counting grasp attempts) within this distance, m
GRASP_REACH = 0.06
#: horizontal distances (m) from the base where the gripper can set a parcel down: not over the
#: base, and short of the arm's reach by the hand's offset
MIN_REACH = 0.30
REACH_MARGIN = 0.05
_COS_MAX_TILT = math.cos(math.radians(MAX_TILT_DEG))


class TransportTask(Task):
    """Move ``parcels`` parcels, one after another, from the conveyor to their goals on the
    pallet."""

    DEFAULT_WEIGHTS: ClassVar[dict[str, float]] = {"drop": -5.0, "damage": -10.0, "collision": -1.0}

    def __init__(
        self,
        robot: str,
        control: str,
        parcels: int,
        fragile: bool,
        fragile_limit: float,
        ranges: ParcelRanges,
        control_dt: float,
        reward_weights: Mapping[str, float] | None = None,
        goal: tuple[float, float] | None = None,
    ) -> None:
        if control not in ("ee", "joint"):
            raise ValueError(f"control must be 'ee' or 'joint', got {control!r}")
        if not (isinstance(parcels, (int, np.integer)) and 1 <= parcels <= 4):
            raise ValueError(
                f"parcels must be an integer from 1 to 4 (the pallet has 4 slots), got {parcels!r}"
            )
        if not fragile_limit > 0:
            raise ValueError(f"fragile_limit must be > 0 m/s², got {fragile_limit}")
        self.spec = get_robot_spec(robot, "arm")
        self.arm = GripperArm(self.spec)
        self.max_grip = self.arm.hand.max_opening - GRIP_CLEARANCE
        ranges.check(self.max_grip)
        self.reward_weights = merge_weights(self.DEFAULT_WEIGHTS, reward_weights)
        self.fixed_goal = None if goal is None else self._check_goal(goal, parcels)
        self.control = control
        self.num_parcels = int(parcels)
        self.fragile = bool(fragile)
        self.fragile_limit = float(fragile_limit)
        self.ranges = ranges
        self.control_dt = control_dt
        opening = self.arm.hand.max_opening
        self.actions = (
            ee_actions(self.spec, opening) if control == "ee" else joint_actions(self.spec, opening)
        )
        self.action_size = self.actions.size
        self.layout = observation_layout()
        self._parcel_ids: list[int] = []
        #: draw each goal's 5 cm tolerance disc (visual only; the env sets this when it renders)
        self.render_goals = False
        self._goal_markers: list[int] = []

    def _check_goal(self, goal: tuple[float, float], parcels: int) -> np.ndarray:
        xy = np.asarray(goal, dtype=np.float64)
        if xy.shape != (2,) or not np.all(np.isfinite(xy)):
            raise ValueError(f"goal must be a finite (x, y) in metres, got {goal!r}")
        if parcels != 1:
            raise ValueError(
                "a fixed goal needs parcels=1 (several parcels go to the pallet's slots)"
            )
        low, high = (
            np.array(TABLE_CENTER) - TABLE_HALF + 0.05,
            np.array(TABLE_CENTER) + TABLE_HALF - 0.05,
        )
        if np.any(xy < low) or np.any(xy > high):
            raise ValueError(
                f"goal {tuple(xy)} is off the table "
                f"(x {low[0]:.2f}…{high[0]:.2f}, y {low[1]:.2f}…{high[1]:.2f} m)"
            )
        reach = (MIN_REACH, self.spec.reach - REACH_MARGIN)
        distance = float(np.linalg.norm(xy))
        if not reach[0] <= distance <= reach[1]:
            raise ValueError(
                f"goal {tuple(xy)} is {distance:.2f} m from the {self.spec.name}'s base; "
                f"it sets parcels down between {reach[0]:.2f} and {reach[1]:.2f} m"
            )
        return xy

    def observation_space(self) -> gym.spaces.Dict:
        return gym.spaces.Dict(
            {
                "observation": self.layout.space(),
                "achieved_goal": goal_space(),
                "desired_goal": goal_space(),
            }
        )

    # ---- world ----------------------------------------------------------------------------------
    def build(self, sim: Sim) -> None:
        self.sim = sim
        self._goal_markers = []
        self.cell = build_cell(sim)
        self._statics = set(self.cell.values())
        self.arm.load(sim)
        self._contacts = sim.client.getContactPoints
        self._pose = sim.client.getBasePositionAndOrientation
        self._velocity = sim.client.getBaseVelocity
        self._aabb = sim.client.getAABB
        self._step_simulation = (
            sim.client.stepSimulation
        )  # bound once: BulletClient makes a partial per access
        self._parcel_ids = []

    def reset(self, rng: np.random.Generator) -> None:
        for body in self._parcel_ids:
            self.sim.remove_body(body)
        self._parcel_ids = []
        for body in self._goal_markers:
            self.sim.remove_body(body)
        self._goal_markers = []
        self.parcels: list[ParcelSpec] = [
            sample_parcel(rng, self.ranges, self.max_grip) for _ in range(self.num_parcels)
        ]
        self.goals = goal_positions(rng, self.parcels, self.fixed_goal)
        self._pick_poses = [pick_pose(rng, p) for p in self.parcels]
        if self.render_goals:
            self._goal_markers = [
                self._goal_marker(goal, parcel)
                for goal, parcel in zip(self.goals, self.parcels, strict=True)
            ]
        self.arm.reset_home()
        self.current = 0
        self.placed = 0
        self._switch_pending = False
        self.failure: str | None = None
        self.metrics = {
            "grasp_attempts": 0,
            "drops": 0,
            "collisions": 0,
            "energy": 0.0,
            "peak_acceleration": 0.0,
        }
        self.steps = 0
        self.success_time: float | None = None
        self._robot_touching_scene = False
        self._spawn(0)
        self._width_command = self.arm.hand.max_opening
        self._read_state()

    def _goal_marker(self, goal: np.ndarray, parcel: ParcelSpec) -> int:
        client = self.sim.client
        shape = client.createVisualShape(
            client.GEOM_CYLINDER,
            radius=SUCCESS_DISTANCE,
            length=0.002,
            rgbaColor=[0.2, 0.8, 0.3, 1.0],
        )
        return client.createMultiBody(
            0.0, -1, shape, [goal[0], goal[1], goal[2] - parcel.size[2] / 2 + 0.001]
        )

    def _spawn(self, index: int) -> None:
        position, yaw = self._pick_poses[index]
        self._parcel_ids.append(spawn_parcel(self.sim, self.parcels[index], position, yaw))
        self.parcel_id = self._parcel_ids[-1]
        self._desired_goal = np.array([*self.goals[index], 1.0], dtype=np.float32)
        self._prev_parcel_velocity = np.zeros(3)
        self._held = False
        self._fell_counted = False
        self.parcel_touches_robot = False
        self.acceleration = 0.0
        self._term = {"drop": 0.0, "damage": 0.0, "collision": 0.0}

    # ---- acting ---------------------------------------------------------------------------------
    def apply_action(self, action: np.ndarray) -> None:
        if self._switch_pending:  # the last step showed the placed parcel; the next one arrives now
            self._switch_pending = False
            self.current += 1
            self._spawn(self.current)
            self._read_state()
        width = float((action[-1] + 1.0) * 0.5 * self.arm.hand.max_opening)
        closing = width < self.parcel.narrow_side and self._width_command >= self.parcel.narrow_side
        if closing and length(self.parcel_position - self.tcp_position) < GRASP_REACH:
            self.metrics["grasp_attempts"] += 1
        self._width_command = width
        if self.control == "ee":
            target = np.minimum(
                np.maximum(self.tcp_position + STEP_DISTANCE * action[:3], WORKSPACE_LOW),
                WORKSPACE_HIGH,
            )
            yaw = min(max(self.tcp_yaw + YAW_STEP * float(action[3]), -YAW_LIMIT), YAW_LIMIT)
            self.arm.command_tcp(target, yaw, width)
        else:
            lower, upper = self.spec.lower, self.spec.upper
            self.arm.command_joints(lower + (action[:-1] + 1.0) * 0.5 * (upper - lower), width)

    def advance(self, substeps: int) -> None:
        step = self._step_simulation
        for _ in range(substeps):
            step()

    def after_step(self) -> None:
        self.steps += 1
        self._read_state()
        self._term = {"drop": 0.0, "damage": 0.0, "collision": 0.0}
        acceleration = length(self.parcel_velocity - self._prev_parcel_velocity) / self.control_dt
        self._prev_parcel_velocity = self.parcel_velocity
        self.acceleration = float(acceleration)
        self.metrics["peak_acceleration"] = max(
            self.metrics["peak_acceleration"], self.acceleration
        )
        if self.fragile and self.acceleration > self.fragile_limit and self.failure is None:
            self.failure = "damaged"
            self._term["damage"] = 1.0
        self.metrics["energy"] += self._arm_power * self.control_dt
        self._track_contacts()
        if self.parcel_position[2] < OFF_TABLE and self.failure is None:
            self.failure = "off_table"
            if not self._fell_counted:
                self.metrics["drops"] += 1
                self._term["drop"] = 1.0
        if self.failure is None and self.parcel_placed():
            self.placed += 1
            if self.placed == self.num_parcels:
                self.success_time = self.steps * self.control_dt
            else:
                self._switch_pending = True

    def _read_state(self) -> None:
        self.tcp_position, self.tcp_velocity, self.tcp_yaw = self.arm.tcp_state()
        position, orientation = self._pose(self.parcel_id)
        linear, angular = self._velocity(self.parcel_id)
        self.parcel_position = np.array(position)
        self.parcel_x_axis, self.parcel_y_axis, self.parcel_up = quat_axes(orientation)
        self.parcel_velocity = np.array(linear)
        self.parcel_spin = np.array(angular)
        self._arm_power, self.width, self.width_rate = self.arm.power_and_fingers()

    def _track_contacts(self) -> None:
        robot, statics, fingers = self.arm.body_id, self._statics, self.arm.finger_links
        touching_fingers: set[int] = set()
        supported = touches_robot = False
        for contact in self._contacts(bodyA=self.parcel_id):
            other, link = contact[2], contact[4]
            if other == robot:
                touches_robot = True
                if link in fingers:
                    touching_fingers.add(link)
            else:
                supported = True  # the table, conveyor, pallet or another parcel
        self.parcel_touches_robot = touches_robot
        held = len(touching_fingers) == 2 and not supported
        if held:
            self._fell_counted = False
        elif self._held and not touching_fingers and not supported:
            bottom = self._aabb(self.parcel_id)[0][2]
            x, y, _ = self.parcel_position
            if bottom - support_top(x, y) > DROP_CLEARANCE:
                self.metrics["drops"] += 1
                self._term["drop"] = 1.0
                self._fell_counted = True
        if held or touching_fingers:  # a parcel still pinched by one finger is not yet lost
            self._held = held or self._held
        else:
            self._held = False
        touching_scene = any(c[2] in statics for c in self._contacts(bodyA=robot))
        if touching_scene and not self._robot_touching_scene:
            self.metrics["collisions"] += 1
            self._term["collision"] = 1.0
        self._robot_touching_scene = touching_scene

    # ---- judging --------------------------------------------------------------------------------
    @property
    def parcel(self) -> ParcelSpec:
        return self.parcels[self.current]

    @property
    def goal(self) -> np.ndarray:
        return self.goals[self.current]

    def set_down(self) -> bool:
        """Released, upright (tilt ≤ 15°) and at rest."""
        return (
            not self.parcel_touches_robot
            and self.parcel_up >= _COS_MAX_TILT
            and length(self.parcel_velocity) < REST_SPEED
            and length(self.parcel_spin) < REST_SPIN
        )

    def parcel_placed(self) -> bool:
        return self.set_down() and length(self.parcel_position - self.goal) <= SUCCESS_DISTANCE

    def tilt_degrees(self) -> float:
        return math.degrees(math.acos(min(max(self.parcel_up, -1.0), 1.0)))

    def reward_terms(self) -> dict[str, float]:
        return dict(self._term)

    def is_success(self) -> bool:
        return self.placed == self.num_parcels

    def is_terminated(self) -> bool:
        return self.is_success() or self.failure is not None

    def physics_error(self) -> str | None:
        parcel_speed, tcp_speed = length(self.parcel_velocity), length(self.tcp_velocity)
        if not math.isfinite(
            parcel_speed + tcp_speed + length(self.parcel_position) + length(self.tcp_position)
        ):
            return "non-finite parcel or gripper state"
        if parcel_speed > 20.0 or tcp_speed > 10.0:
            return f"absurd speed: parcel {parcel_speed:.1f} m/s, TCP {tcp_speed:.1f} m/s"
        return None

    # ---- observing ------------------------------------------------------------------------------
    def observe(self) -> dict[str, np.ndarray]:
        observation = self.layout.assemble(
            [
                self.tcp_position,
                self.tcp_velocity,
                [math.sin(self.tcp_yaw), math.cos(self.tcp_yaw), self.width, self.width_rate],
                self.parcel_position - self.tcp_position,
                [*self.parcel_x_axis, *self.parcel_y_axis],
                self.parcel_velocity,
                self.parcel_spin,
                [*self.parcel.size, float(self.fragile), self.num_parcels - 1 - self.current],
            ]
        )
        return {
            "observation": observation,
            "achieved_goal": self.achieved_goal(),
            "desired_goal": self._desired_goal.copy(),
        }

    def achieved_goal(self) -> np.ndarray:
        return np.array([*self.parcel_position, float(self.set_down())], dtype=np.float32).clip(
            -OBS_LIMIT, OBS_LIMIT
        )

    def episode_metrics(self) -> dict[str, float]:
        duration = self.steps * self.control_dt
        return {
            "success": float(self.is_success()),
            "time": self.success_time if self.success_time is not None else duration,
            "parcels_placed": float(self.placed),
            "grasp_attempts": float(self.metrics["grasp_attempts"]),
            "drops": float(self.metrics["drops"]),
            "peak_acceleration": self.metrics["peak_acceleration"],
            "collisions": float(self.metrics["collisions"]),
            "energy": self.metrics["energy"],
            "damaged": float(self.failure == "damaged"),
            "distance_to_goal": float(np.linalg.norm(self.parcel_position - self.goal)),
            "tilt": self.tilt_degrees(),
        }

    def camera_target(self) -> np.ndarray:
        return np.array([0.38, 0.0, 0.12])
