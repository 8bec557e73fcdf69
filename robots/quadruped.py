"""Quadruped robots: a frozen spec per model, one generic PD-torque driver, and what a quadruped
senses.

Every quadruped robodojo knows is a :class:`QuadrupedSpec` (URDF, joint names
in a fixed order, home pose, gains, limits) in its own file. :class:`Quadruped`
loads a spec into a :class:`~robodojo.physics.Sim` and drives it with explicit
PD torques computed every physics substep, with PyBullet's built-in velocity
motors switched off. (With PyBullet's position motors a quadruped learned to
roll upright but never lifted its body; explicit, torque-limited PD is also
what a real robot's joint controller does.)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from robodojo.interface import Field, Layout
from robodojo.physics import (
    Sim,
    pybullet,
)  # pybullet for constants only; every call goes through Sim.client
from robodojo.physics.geometry import quat_to_matrix
from robodojo.robots.model_files import loadable_urdf

LEGS = ("FR", "FL", "RR", "RL")
#: Sensor ranges of a quadruped's proprioception: observations are clipped to them (real IMUs and
#: encoders saturate too).
GYRO_RANGE = 50.0  # rad/s
JOINT_SPEED_RANGE = 60.0  # rad/s


def proprioception_fields(joints: Sequence[str], home: Any, lower: Any, upper: Any) -> list[Field]:
    """What every quadruped observes of itself, in order: IMU, encoders and its own last action.

    Takes the joint table as numbers (not a spec) so a deployment can build the
    same fields from an exported policy's ``action`` block.
    """
    joints = list(joints)
    home, lower, upper = (np.asarray(values, dtype=np.float64) for values in (home, lower, upper))
    n = len(joints)
    return [
        Field(
            "gyro",
            3,
            "rad/s",
            "sensor_msgs/Imu angular_velocity",
            -GYRO_RANGE,
            GYRO_RANGE,
            frame="body",
        ),
        Field(
            "projected_gravity",
            3,
            "1",
            "sensor_msgs/Imu orientation: R^T (0, 0, -1)",
            -1.0,
            1.0,
            frame="body",
        ),
        Field(
            "joint_position_minus_home",
            n,
            "rad",
            "sensor_msgs/JointState position - home",
            lower - home,
            upper - home,
            info={"joints": joints},
        ),
        Field(
            "joint_velocity",
            n,
            "rad/s",
            "sensor_msgs/JointState velocity",
            -JOINT_SPEED_RANGE,
            JOINT_SPEED_RANGE,
            info={"joints": joints},
        ),
        Field(
            "previous_action",
            n,
            "1",
            "the policy's own last output (0 before the first)",
            -1.0,
            1.0,
        ),
    ]


@dataclass(frozen=True)
class QuadrupedSpec:
    """Everything robodojo needs to know about one quadruped model.

    Joint arrays follow ``joint_names``: legs FR, FL, RR, RL, each
    hip (abduction), thigh (hip flexion), calf (knee).
    """

    kind: ClassVar[str] = "quadruped"
    name: str
    #: path relative to pybullet_data, absolute, or ``example-robot-data:<path under robots/>``
    urdf: str
    joint_names: tuple[str, ...]  #: vendor names, as the robot's ROS 2 driver publishes them
    urdf_joint_names: tuple[str, ...]  #: the same joints as named in ``urdf``
    home: np.ndarray  #: standing pose, rad
    lower: np.ndarray  #: joint lower limits, rad
    upper: np.ndarray  #: joint upper limits, rad
    torque_limit: np.ndarray  #: N·m
    kp: np.ndarray  #: PD stiffness, N·m/rad
    kd: np.ndarray  #: PD damping, N·m·s/rad
    standing_height: (
        float  #: base height at ``home`` on flat ground under these gains, m (measured)
    )
    tuck: np.ndarray  #: legs folded under the body: the crouch a get-up starts from, rad
    mass: float  #: total mass, kg (from the URDF)
    #: Named whole-body poses scripted controllers use, each a full joint vector:
    #: "flip" (thighs swung over the back: pushes a robot on its back over),
    #: "roll_right" / "roll_left" (rolls a robot lying on that side onto its belly).
    keyframes: Mapping[str, np.ndarray] = field(default_factory=dict)
    urdf_flags: int = 0
    #: collision meshes (file names) loaded as fitted spheres (see robots/model_files.py): feet
    sphere_meshes: tuple[str, ...] = ()
    #: per leg (FR, FL, RR, RL): +1 if a positive hip angle moves the foot to the robot's left
    #: (+y), −1 if to its right — the URDF's hip axis direction (tests check it by kinematics)
    hip_sign: np.ndarray = field(default_factory=lambda: np.ones(len(LEGS)))
    #: the trot's settings for this robot (skills.trot.TrotSettings field names), over its defaults
    gait: Mapping[str, Any] = field(default_factory=dict)
    #: joint no-load speeds, rad/s: when given, each motor's torque falls linearly to zero at this
    #: speed in the direction it turns (a DC motor's torque-speed line, as Isaac Lab's DCMotor
    #: actuator). None keeps the flat torque limit the older specs were measured with.
    max_joint_speed: np.ndarray | None = None

    def __post_init__(self) -> None:
        n = len(self.joint_names)
        if len(self.urdf_joint_names) != n:
            raise ValueError(
                f"{self.name}: {n} joint names but {len(self.urdf_joint_names)} URDF names"
            )
        for label in ("home", "lower", "upper", "torque_limit", "kp", "kd", "tuck"):
            value = getattr(self, label)
            if np.shape(value) != (n,):
                raise ValueError(
                    f"{self.name}: {label} has shape {np.shape(value)}, expected ({n},)"
                )
        if self.standing_height <= 0:
            raise ValueError(
                f"{self.name}: standing_height must be measured (> 0), got {self.standing_height}"
            )
        if np.any(self.lower >= self.upper):
            raise ValueError(f"{self.name}: every lower joint limit must be below its upper limit")
        if np.shape(self.hip_sign) != (len(LEGS),) or not np.all(np.abs(self.hip_sign) == 1):
            raise ValueError(f"{self.name}: hip_sign must be ±1 for each of the {len(LEGS)} legs")
        if self.max_joint_speed is not None and (
            np.shape(self.max_joint_speed) != (n,) or np.any(self.max_joint_speed <= 0)
        ):
            raise ValueError(f"{self.name}: max_joint_speed must be {n} positive speeds")
        poses = {"home": self.home, "tuck": self.tuck, **self.keyframes}
        for label, pose in poses.items():
            if np.shape(pose) != (n,):
                raise ValueError(
                    f"{self.name}: pose {label!r} has shape {np.shape(pose)}, expected ({n},)"
                )
            if np.any(pose < self.lower) or np.any(pose > self.upper):
                raise ValueError(f"{self.name}: pose {label!r} lies outside the joint limits")

    @property
    def num_joints(self) -> int:
        return len(self.joint_names)

    def proprioception(self) -> Layout:
        """The quadruped's own observation block (see :func:`proprioception_fields`)."""
        return Layout(proprioception_fields(self.joint_names, self.home, self.lower, self.upper))

    def action_to_targets(self, action: np.ndarray) -> np.ndarray:
        """Map actions in [-1, 1] to joint targets: 0 is home, ±1 the joint limits.

        Piecewise linear, so the whole joint range is reachable (self-righting
        swings the thighs far from home) while zero still means "stand".
        """
        action = np.asarray(action, dtype=np.float64)
        return np.where(
            action >= 0,
            self.home + action * (self.upper - self.home),
            self.home + action * (self.home - self.lower),
        )

    def targets_to_action(self, targets: np.ndarray) -> np.ndarray:
        """Inverse of :meth:`action_to_targets` (targets are clipped to the limits first)."""
        targets = np.clip(targets, self.lower, self.upper)
        return np.where(
            targets >= self.home,
            (targets - self.home) / (self.upper - self.home),
            (targets - self.home) / (self.home - self.lower),
        )


def per_leg(hip: float, thigh: float, calf: float) -> np.ndarray:
    """The same (hip, thigh, calf) triple for all four legs, in spec order."""
    return np.array([hip, thigh, calf] * len(LEGS), dtype=np.float64)


def legs(FR, FL, RR, RL) -> np.ndarray:  # noqa: N803 - leg names as robots spell them
    """A joint vector from one (hip, thigh, calf) triple per leg."""
    return np.array([*FR, *FL, *RR, *RL], dtype=np.float64)


class Quadruped:
    """A quadruped body in one Sim, driven by explicit, torque-limited PD control.

    ``set_targets`` stores joint position targets; every ``step_physics``
    applies τ = kp·(q* − q) − kd·q̇, clipped to the torque limits, steps the
    world once and reads the joints back. (PyBullet's own PD_CONTROL mode
    applies the same law bit for bit, but each command costs ~180 µs here,
    against ~10 µs for this loop.)
    """

    def __init__(self, spec: QuadrupedSpec) -> None:
        self.spec = spec
        self.body_id: int | None = None
        self.targets = spec.home.copy()
        self.q = spec.home.copy()
        self.qd = np.zeros(spec.num_joints)
        self.last_torque = np.zeros(spec.num_joints)
        self._zeros = [0.0] * spec.num_joints

    def load(self, sim: Sim, position: Sequence[float] = (0.0, 0.0, 0.5)) -> None:
        client = sim.client
        self.body_id = sim.load_urdf(
            loadable_urdf(self.spec.urdf, self.spec.sphere_meshes),
            position=position,
            flags=self.spec.urdf_flags,
        )
        self.num_links = client.getNumJoints(self.body_id)
        index_of = {
            client.getJointInfo(self.body_id, j)[1].decode(): j for j in range(self.num_links)
        }
        missing = [n for n in self.spec.urdf_joint_names if n not in index_of]
        if missing:
            raise ValueError(f"{self.spec.name}: URDF {self.spec.urdf} has no joints {missing}")
        self.joint_ids = [index_of[n] for n in self.spec.urdf_joint_names]
        # Hard stops at the spec's limits: several URDFs (Aliengo's thighs, Laikago, Mini
        # Cheetah) declare none, and a real leg cannot swing through its own body. PyBullet
        # caps a stop's force at the URDF effort (0 or less than our motors in some files),
        # which lets full torque push through it: make the stops far stronger than the motors.
        for joint_id, lower, upper, torque in zip(
            self.joint_ids, self.spec.lower, self.spec.upper, self.spec.torque_limit, strict=True
        ):
            client.changeDynamics(
                self.body_id,
                joint_id,
                jointLowerLimit=float(lower),
                jointUpperLimit=float(upper),
                jointLimitForce=10.0 * float(torque),
            )
        # Bind the hot-path calls once: BulletClient builds a functools.partial on every attribute
        # access.
        self._client = client
        self._get_joint_states = client.getJointStates
        self._set_motor = client.setJointMotorControlArray
        self._step = client.stepSimulation
        self._get_pose = client.getBasePositionAndOrientation
        self._get_velocity = client.getBaseVelocity
        self.release_motors()  # PyBullet's default velocity motors would fight our torques

    def reset(
        self,
        position,
        orientation,
        joint_positions: np.ndarray,
        joint_velocities: np.ndarray | None = None,
    ) -> None:
        """Teleport the body, set joint angles and hold them under PD."""
        velocities = (
            self._zeros if joint_velocities is None else [float(v) for v in joint_velocities]
        )
        self.move_base(position, orientation)
        self._client.resetBaseVelocity(self.body_id, [0.0, 0.0, 0.0], [0.0, 0.0, 0.0])
        self._client.resetJointStatesMultiDof(
            self.body_id,
            self.joint_ids,
            targetValues=[[float(q)] for q in joint_positions],
            targetVelocities=[[v] for v in velocities],
        )
        self.set_targets(np.asarray(joint_positions, dtype=np.float64))
        self.read_joints()

    def move_base(self, position, orientation) -> None:
        """Teleport the base only (joints and velocities untouched)."""
        self._client.resetBasePositionAndOrientation(
            self.body_id, list(position), list(orientation)
        )

    def lowest_point(self) -> float:
        """World z of the lowest point of the body's collision bounding boxes."""
        return min(
            self._client.getAABB(self.body_id, link)[0][2] for link in range(-1, self.num_links)
        )

    def set_targets(self, targets: np.ndarray) -> None:
        """Clip ``targets`` to the joint limits; PD tracks them from the next physics step on."""
        self.targets = np.clip(targets, self.spec.lower, self.spec.upper)

    def hold_with_motors(self, targets: np.ndarray, position_gain: float = 0.3) -> None:
        """Hold ``targets`` with PyBullet's implicit position motors instead of PD.

        Implicit motors stay stable at coarse timesteps, where explicit PD would
        not; the fall simulation before an episode uses them to settle cheaply.
        Call :meth:`release_motors` before stepping under PD again.
        """
        n = self.spec.num_joints
        self._set_motor(
            self.body_id,
            self.joint_ids,
            pybullet.POSITION_CONTROL,
            targetPositions=np.clip(targets, self.spec.lower, self.spec.upper),
            forces=self.spec.torque_limit,
            positionGains=[position_gain] * n,
            velocityGains=[1.0] * n,
        )

    def release_motors(self) -> None:
        """Switch PyBullet's velocity/position motors off so only our PD torques act."""
        self._set_motor(self.body_id, self.joint_ids, pybullet.VELOCITY_CONTROL, forces=self._zeros)

    def step_physics(self) -> None:
        """One physics step under PD: apply τ (kept in ``last_torque``), step, read the joints."""
        spec = self.spec
        if spec.max_joint_speed is None:
            low, high = -spec.torque_limit, spec.torque_limit
        else:  # no torque left to push further in the direction of motion at the no-load speed
            speed = self.qd / spec.max_joint_speed
            high = spec.torque_limit * np.clip(1.0 - speed, 0.0, 1.0)
            low = -spec.torque_limit * np.clip(1.0 + speed, 0.0, 1.0)
        torque = np.clip(spec.kp * (self.targets - self.q) - spec.kd * self.qd, low, high)
        self._set_motor(self.body_id, self.joint_ids, pybullet.TORQUE_CONTROL, forces=torque)
        self._step()
        self.last_torque = torque
        self.read_joints()

    def read_joints(self) -> None:
        q, qd, _, _ = zip(*self._get_joint_states(self.body_id, self.joint_ids), strict=True)
        self.q = np.array(q)
        self.qd = np.array(qd)

    def base_pose(self) -> tuple[np.ndarray, np.ndarray]:
        """World position and (x, y, z, w) quaternion of the base."""
        position, orientation = self._get_pose(self.body_id)
        return np.array(position), np.array(orientation)

    def base_velocity(self) -> tuple[np.ndarray, np.ndarray]:
        """World-frame linear and angular velocity of the base."""
        linear, angular = self._get_velocity(self.body_id)
        return np.array(linear), np.array(angular)

    def imu(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """What an IMU on the base reports, plus the body rotation.

        Returns (gyro, projected_gravity, rotation): gyro in rad/s in the body
        frame, projected gravity a unit vector in the body frame ((0, 0, −1)
        when upright), rotation the body-to-world matrix.
        """
        _, orientation = self._get_pose(self.body_id)
        _, angular = self._get_velocity(self.body_id)
        rotation = quat_to_matrix(orientation)
        return rotation.T @ np.array(angular), -rotation[2, :], rotation
