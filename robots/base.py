"""Quadruped robots: a frozen spec per model, one generic PD-torque driver.

Every quadruped robodojo knows is a :class:`QuadrupedSpec` (URDF, joint names
in a fixed order, home pose, gains, limits) in its own file. :class:`Quadruped`
loads a spec into a :class:`~robodojo.envs.sim.Sim` and drives it with explicit
PD torques computed every physics substep, with PyBullet's built-in velocity
motors switched off. (With PyBullet's position motors a quadruped learned to
roll upright but never lifted its body; explicit, torque-limited PD is also
what a real robot's joint controller does.)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pybullet  # constants only; every call goes through Sim.client

if TYPE_CHECKING:  # robots sit below envs in the dependency order
    from robodojo.envs.sim import Sim

LEGS = ("FR", "FL", "RR", "RL")


@dataclass(frozen=True)
class QuadrupedSpec:
    """Everything robodojo needs to know about one quadruped model.

    Joint arrays follow ``joint_names``: legs FR, FL, RR, RL, each
    hip (abduction), thigh (hip flexion), calf (knee).
    """

    name: str
    urdf: str  #: path relative to pybullet_data, or absolute
    joint_names: tuple[str, ...]  #: vendor names, as the robot's ROS 2 driver publishes them
    urdf_joint_names: tuple[str, ...]  #: the same joints as named in ``urdf``
    home: np.ndarray  #: standing pose, rad
    lower: np.ndarray  #: joint lower limits, rad
    upper: np.ndarray  #: joint upper limits, rad
    torque_limit: np.ndarray  #: N·m
    kp: np.ndarray  #: PD stiffness, N·m/rad
    kd: np.ndarray  #: PD damping, N·m·s/rad
    standing_height: float  #: base height at ``home`` on flat ground under these gains, m (measured)
    tuck: np.ndarray  #: legs folded under the body: the crouch a get-up starts from, rad
    mass: float  #: total mass, kg (from the URDF)
    #: Named whole-body poses scripted controllers use, each a full joint vector:
    #: "flip" (thighs swung over the back: pushes a robot on its back over),
    #: "roll_right" / "roll_left" (rolls a robot lying on that side onto its belly).
    keyframes: Mapping[str, np.ndarray] = field(default_factory=dict)
    urdf_flags: int = 0

    def __post_init__(self) -> None:
        n = len(self.joint_names)
        if len(self.urdf_joint_names) != n:
            raise ValueError(f"{self.name}: {n} joint names but {len(self.urdf_joint_names)} URDF names")
        for label in ("home", "lower", "upper", "torque_limit", "kp", "kd", "tuck"):
            value = getattr(self, label)
            if np.shape(value) != (n,):
                raise ValueError(f"{self.name}: {label} has shape {np.shape(value)}, expected ({n},)")
        if np.any(self.lower >= self.upper):
            raise ValueError(f"{self.name}: every lower joint limit must be below its upper limit")
        poses = {"home": self.home, "tuck": self.tuck, **self.keyframes}
        for label, pose in poses.items():
            if np.shape(pose) != (n,):
                raise ValueError(f"{self.name}: pose {label!r} has shape {np.shape(pose)}, expected ({n},)")
            if np.any(pose < self.lower) or np.any(pose > self.upper):
                raise ValueError(f"{self.name}: pose {label!r} lies outside the joint limits")

    @property
    def num_joints(self) -> int:
        return len(self.joint_names)

    def action_to_targets(self, action: np.ndarray) -> np.ndarray:
        """Map actions in [-1, 1] to joint targets: 0 is home, ±1 the joint limits.

        Piecewise linear, so the whole joint range is reachable (self-righting
        swings the thighs far from home) while zero still means "stand".
        """
        action = np.asarray(action, dtype=np.float64)
        return np.where(action >= 0, self.home + action * (self.upper - self.home), self.home + action * (self.home - self.lower))

    def targets_to_action(self, targets: np.ndarray) -> np.ndarray:
        """Inverse of :meth:`action_to_targets` (targets are clipped to the limits first)."""
        targets = np.clip(targets, self.lower, self.upper)
        return np.where(targets >= self.home, (targets - self.home) / (self.upper - self.home), (targets - self.home) / (self.home - self.lower))


def per_leg(hip: float, thigh: float, calf: float) -> np.ndarray:
    """The same (hip, thigh, calf) triple for all four legs, in spec order."""
    return np.array([hip, thigh, calf] * len(LEGS), dtype=np.float64)


def legs(FR, FL, RR, RL) -> np.ndarray:  # noqa: N803 - leg names as robots spell them
    """A joint vector from one (hip, thigh, calf) triple per leg."""
    return np.array([*FR, *FL, *RR, *RL], dtype=np.float64)


class Quadruped:
    """A quadruped body in one Sim, driven by explicit, torque-limited PD control.

    ``set_targets`` stores joint position targets; ``step_physics`` computes
    τ = kp·(q* − q) − kd·q̇, clipped to the torque limits, and steps the world
    once. Joint state is read once per substep and cached for observers.
    ``step_substeps`` runs several substeps in one call (the env's hot path):
    the same arithmetic on plain floats, which beat numpy at 12 elements.
    """

    def __init__(self, spec: QuadrupedSpec) -> None:
        self.spec = spec
        self.body_id: int | None = None
        self.targets = spec.home.copy()
        self.last_torque = np.zeros(spec.num_joints)
        self.q = spec.home.copy()
        self.qd = np.zeros(spec.num_joints)
        # Gains and limits as floats for the per-substep loop (same values as the spec's arrays).
        self._kp = spec.kp.tolist()
        self._kd = spec.kd.tolist()
        self._torque_high = spec.torque_limit.tolist()
        # What np.clip(v, −τmax, τmax) gives for v ≤ −τmax (−τmax unless the limit is 0 or negative).
        self._torque_floor = [low if low < high else high for low, high in zip((-spec.torque_limit).tolist(), self._torque_high)]

    def load(self, sim: Sim, position=(0.0, 0.0, 0.5)) -> None:
        client = sim.client
        self.body_id = sim.load_urdf(self.spec.urdf, position=position, flags=self.spec.urdf_flags)
        index_of = {
            client.getJointInfo(self.body_id, j)[1].decode(): j for j in range(client.getNumJoints(self.body_id))
        }
        missing = [n for n in self.spec.urdf_joint_names if n not in index_of]
        if missing:
            raise ValueError(f"{self.spec.name}: URDF {self.spec.urdf} has no joints {missing}")
        self.joint_ids = [index_of[n] for n in self.spec.urdf_joint_names]
        self.num_links = client.getNumJoints(self.body_id)
        # Bind the hot-path calls once: BulletClient resolves attributes on every access
        # (a functools.partial per call, ~0.6 µs).
        self._get_joint_states = client.getJointStates
        self._set_motor = client.setJointMotorControlArray
        self._step = client.stepSimulation
        self._get_pose = client.getBasePositionAndOrientation
        self._get_velocity = client.getBaseVelocity
        self._client = client
        # Free the joints from PyBullet's default velocity motors so our torques act alone.
        self.release_motors()

    def reset(self, position, orientation, joint_positions: np.ndarray, joint_velocities: np.ndarray | None = None) -> None:
        """Teleport the body and set joint angles; targets start at the new pose."""
        client = self._client
        n = self.spec.num_joints
        velocities = [0.0] * n if joint_velocities is None else [float(v) for v in joint_velocities]
        client.resetBasePositionAndOrientation(self.body_id, list(position), list(orientation))
        client.resetBaseVelocity(self.body_id, [0.0, 0.0, 0.0], [0.0, 0.0, 0.0])
        # One call for all joints (12 resetJointState calls cost ~25 µs; this ~3 µs).
        client.resetJointStatesMultiDof(
            self.body_id,
            self.joint_ids,
            targetValues=[[float(q)] for q in joint_positions],
            targetVelocities=[[v] for v in velocities],
        )
        self.targets = np.clip(np.asarray(joint_positions, dtype=np.float64), self.spec.lower, self.spec.upper)
        self.last_torque[:] = 0.0
        self.read_joints()

    def move_base(self, position, orientation) -> None:
        """Teleport the base only (joints and velocities untouched)."""
        self._client.resetBasePositionAndOrientation(self.body_id, list(position), list(orientation))

    def lowest_point(self) -> float:
        """World z of the lowest point of the body's collision bounding boxes."""
        get_aabb = self._client.getAABB
        body = self.body_id
        return min(get_aabb(body, link)[0][2] for link in range(-1, self.num_links))

    def hold_with_motors(self, targets: np.ndarray, position_gain: float = 0.3) -> None:
        """Hold ``targets`` with PyBullet's implicit position motors (torque-limited).

        Implicit motors stay stable at coarse timesteps, where explicit PD would
        not; the fall simulation before an episode uses them to settle cheaply.
        Call :meth:`release_motors` before PD torque control resumes.
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
        """Switch PyBullet's motors off so only our PD torques act."""
        self._set_motor(self.body_id, self.joint_ids, pybullet.VELOCITY_CONTROL, forces=[0.0] * self.spec.num_joints)

    def set_targets(self, targets: np.ndarray) -> None:
        self.targets = np.clip(targets, self.spec.lower, self.spec.upper)

    def read_joints(self) -> None:
        q, qd, _, _ = zip(*self._get_joint_states(self.body_id, self.joint_ids))
        self.q = np.array(q)
        self.qd = np.array(qd)

    def step_physics(self) -> None:
        """One physics substep under PD torque control (reads joints, applies τ, steps)."""
        self.step_substeps(1)

    def step_substeps(self, substeps: int) -> tuple[list[list[float]], list[tuple[float, ...]]]:
        """Run ``substeps`` physics substeps under PD torque control.

        Returns the torque applied in each substep and the joint velocities
        read after it (what energy bookkeeping needs); ``q``, ``qd`` and
        ``last_torque`` are left as after the last substep. Bit-for-bit the
        same as numpy's ``clip(kp·(q* − q) − kd·q̇, −τmax, τmax)``, NaN included.
        """
        body, joints, mode = self.body_id, self.joint_ids, pybullet.TORQUE_CONTROL
        set_motor, step, get_states = self._set_motor, self._step, self._get_joint_states
        kps, kds, highs, floors = self._kp, self._kd, self._torque_high, self._torque_floor
        targets = self.targets.tolist()
        q = self.q.tolist()
        qd = self.qd.tolist()
        torques: list[list[float]] = []
        velocities: list[tuple[float, ...]] = []
        torque: list[float] = []
        for _ in range(substeps):
            # clip(v, low, high) as numpy does it: v if low < v < high, NaN stays NaN.
            torque = [
                ((v if v < high else high) if (v := kp * (target - position) - kd * velocity) > floor else (v if v != v else floor))
                for kp, target, kd, floor, high, position, velocity in zip(kps, targets, kds, floors, highs, q, qd)
            ]
            set_motor(body, joints, mode, forces=torque)
            step()
            q, qd, _, _ = zip(*get_states(body, joints))
            torques.append(torque)
            velocities.append(qd)
        self.q = np.array(q)
        self.qd = np.array(qd)
        self.last_torque = np.array(torque, dtype=np.float64)
        return torques, velocities

    def base_pose(self) -> tuple[np.ndarray, np.ndarray]:
        """World position and (x, y, z, w) quaternion of the base."""
        position, orientation = self._get_pose(self.body_id)
        return np.array(position), np.array(orientation)

    def imu(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """What an IMU on the base reports: body-frame angular velocity and gravity direction, plus the body rotation.

        Returns (gyro, projected_gravity, rotation): gyro in rad/s, projected
        gravity a unit vector in the body frame ((0, 0, -1) when upright),
        rotation the body-to-world matrix.
        """
        _, orientation = self._get_pose(self.body_id)
        _, angular = self._get_velocity(self.body_id)
        rotation = quat_to_matrix(orientation)
        return rotation.T @ np.array(angular), -rotation[2, :], rotation

    def base_velocity(self) -> tuple[np.ndarray, np.ndarray]:
        """World-frame linear and angular velocity of the base."""
        linear, angular = self._get_velocity(self.body_id)
        return np.array(linear), np.array(angular)

    def base_state(self) -> tuple[tuple, tuple, tuple, tuple]:
        """Position, (x, y, z, w) quaternion, linear and angular velocity of the base, as PyBullet's tuples."""
        position, orientation = self._get_pose(self.body_id)
        linear, angular = self._get_velocity(self.body_id)
        return position, orientation, linear, angular


def quat_to_matrix(quaternion: np.ndarray) -> np.ndarray:
    """Rotation matrix of an (x, y, z, w) quaternion, as PyBullet orders it."""
    x, y, z, w = quaternion
    return np.array(
        [
            [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
            [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
            [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
        ]
    )
