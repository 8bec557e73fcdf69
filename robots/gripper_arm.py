"""An arm with a parallel gripper, simulated with contact physics (for picking things up).

Unlike the kinematic welding :class:`~robodojo.robots.arm.Arm`, a
:class:`GripperArm` is a dynamic body: joint position servos with the URDF's
effort limits drive the arm, the fingers squeeze with a force limit, and
parcels are held by friction alone — so a heavy or slippery parcel can slip
out, as it would on a real cell.

The gripper points straight down; a command is a TCP position, a yaw about
the vertical and a finger opening. Inverse kinematics is PyBullet's
damped-least-squares with a null space pulling toward the home pose, which
keeps the elbow up and the wrist away from its limits.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from robodojo.physics import Sim
from robodojo.physics.geometry import down_quaternion, yaw_of
from robodojo.robots.arm import ArmSpec
from robodojo.robots.hand import FRANKA_HAND, HandSpec, arm_with_hand_urdf

#: where ``home`` puts the TCP (m, base frame), gripper pointing down, fingers closing along y
HOME_TCP = (0.45, 0.0, 0.30)
#: IK seeds and null-space rest poses for that home: elbow up, wrist mid-range (so the gripper can
#: turn ±90°)
HOME_SEEDS = {
    "panda": (0.0, -0.25, 0.0, -2.4, 0.0, 2.16, 0.785),
    "kuka_iiwa": (0.0, 0.6, 0.0, -1.5, 0.0, 1.05, -0.785),
    "xarm6": (0.0, -0.1, -1.1, 0.0, 1.2, 0.0),
    # UR's own "tool down" pose: upper arm up, forearm forward, wrist 2 at −90°
    "ur5": (0.0, -1.5708, 1.5708, -1.5708, -1.5708, 0.0),
    "ur10": (0.0, -1.5708, 1.5708, -1.5708, -1.5708, 0.0),
}


class GripperArm:
    """An arm from :class:`ArmSpec` wearing the Franka Hand, simulated dynamically.

    After :meth:`load`, call :meth:`reset_home` per episode, a ``command_*``
    method per control step (it sets the servo targets), then step the world.
    """

    def __init__(self, spec: ArmSpec, hand: HandSpec = FRANKA_HAND) -> None:
        self.spec = spec
        self.hand = hand
        self.body_id = -1

    def load(self, sim: Sim, base_position: Sequence[float] = (0.0, 0.0, 0.0)) -> None:
        """Load the arm with its hand (fixed base) and find the home pose."""
        client = self._client = sim.client
        spec = self.spec
        urdf = arm_with_hand_urdf(
            spec.urdf, spec.flange_link, spec.flange_offset, spec.hidden_links
        )
        self.body_id = sim.load_urdf(urdf, position=base_position, useFixedBase=True)
        self.base_position = np.asarray(base_position, dtype=np.float64)
        infos = [
            client.getJointInfo(self.body_id, j) for j in range(client.getNumJoints(self.body_id))
        ]
        joint_index = {info[1].decode(): info[0] for info in infos}
        link_index = {info[12].decode(): info[0] for info in infos}
        self.joint_ids = [joint_index[name] for name in spec.urdf_joint_names]
        self.finger_ids = [joint_index[name] for name in self.hand.finger_joints]
        self.tcp_index = link_index[self.hand.tcp_link]
        self.finger_links = tuple(self.finger_ids)
        self._all_joints = [
            *self.joint_ids,
            *self.finger_ids,
        ]  # a prismatic finger joint's child link has the joint's index
        #: servo effort limits (N·m) from the URDF, which carry the vendors' figures
        self.efforts = [max(float(infos[j][10]), 1.0) for j in self.joint_ids]
        movable = [info[0] for info in infos if info[2] != 4]  # 4 = JOINT_FIXED
        self._arm_dofs = [movable.index(j) for j in self.joint_ids]
        self._arm_dofs_first = self._arm_dofs == list(range(len(self.joint_ids)))
        self._lower, self._upper = spec.lower.tolist(), spec.upper.tolist()
        lower = np.full(len(movable), -math.pi)
        upper = np.full(len(movable), math.pi)
        lower[self._arm_dofs], upper[self._arm_dofs] = spec.lower, spec.upper
        for j in self.finger_ids:
            lower[movable.index(j)], upper[movable.index(j)] = 0.0, self.hand.finger_travel
        self._ik_limits = (lower.tolist(), upper.tolist(), (upper - lower).tolist())
        for link in self.finger_ids:
            client.changeDynamics(
                self.body_id, link, lateralFriction=self.hand.pad_friction, spinningFriction=0.01
            )
        # Bind hot-path calls once: BulletClient builds a functools.partial on every attribute
        # access.
        self._ik = client.calculateInverseKinematics
        self._link_state = client.getLinkState
        self._joint_states = client.getJointStates
        self._motors = client.setJointMotorControlArray
        self._motor = client.setJointMotorControl2
        self._position_control = 2  # pybullet.POSITION_CONTROL
        self.home = self._find_home()
        self._rest = np.zeros(len(movable))
        self._rest[self._arm_dofs] = self.home
        self._rest_list = self._rest.tolist()

    def _find_home(self) -> np.ndarray:
        """Joints putting the TCP at HOME_TCP pointing down: IK iterated from a seed.

        A parallel gripper is the same turned half a turn, so the hand's "yaw 0" is taken as
        whichever of the two leaves the last joint nearest the middle of its range: the gripper
        can then turn ±90° either way (sets ``yaw_offset``).
        """
        client, body = self._client, self.body_id
        home_seed = HOME_SEEDS.get(self.spec.name)
        seed = np.array(home_seed) if home_seed is not None else self.spec.home.copy()
        rest = np.zeros(len(self._ik_limits[0]))
        rest[self._arm_dofs] = seed
        target = (self.base_position + HOME_TCP).tolist()
        middle = 0.5 * (self.spec.lower[-1] + self.spec.upper[-1])
        best: tuple[float, np.ndarray] | None = None
        for offset in (0.0, math.pi):
            q = seed.copy()
            for _ in range(30):
                for joint, value in zip(self.joint_ids, q.tolist(), strict=True):
                    client.resetJointState(body, joint, value)
                full = client.calculateInverseKinematics(
                    body,
                    self.tcp_index,
                    target,
                    down_quaternion(offset),
                    *self._ik_limits,
                    restPoses=rest.tolist(),
                    maxNumIterations=100,
                    residualThreshold=1e-6,
                )
                q = np.clip(np.asarray(full)[self._arm_dofs], self.spec.lower, self.spec.upper)
            if best is None or abs(q[-1] - middle) < abs(best[1][-1] - middle):
                best = (offset, q)
        assert best is not None  # set on the first offset
        self.yaw_offset = best[0]
        return best[1]

    # ---- per episode ----------------------------------------------------------------------------
    def reset_home(self, width: float | None = None) -> None:
        """Teleport to home at rest with the fingers at ``width`` (default fully open), servos
        holding there."""
        client, body = self._client, self.body_id
        for joint, value in zip(self.joint_ids, self.home.tolist(), strict=True):
            client.resetJointState(body, joint, value, 0.0)
        finger = 0.5 * (self.hand.max_opening if width is None else width)
        for joint in self.finger_ids:
            client.resetJointState(body, joint, finger, 0.0)
        self.command_joints(self.home, 2.0 * finger)

    # ---- commands -------------------------------------------------------------------------------
    def command_tcp(self, position: np.ndarray, yaw: float, width: float) -> None:
        """Servo toward the TCP ``position`` (m, world) pointing down turned ``yaw``, fingers toward
        ``width``."""
        full = self._ik(
            self.body_id,
            self.tcp_index,
            position.tolist(),
            down_quaternion(yaw + self.yaw_offset),
            *self._ik_limits,
            restPoses=self._rest_list,
            maxNumIterations=10,
        )
        self._command(
            full[: len(self.joint_ids)]
            if self._arm_dofs_first
            else [full[i] for i in self._arm_dofs],
            width,
        )

    def command_joints(self, q: np.ndarray, width: float) -> None:
        """Servo the arm toward joints ``q`` (clipped to the limits) and the fingers toward
        ``width`` (m)."""
        self._command(np.asarray(q, dtype=np.float64).tolist(), width)

    def _command(self, q: list[float], width: float) -> None:
        # plain floats: this runs every control step, and numpy's per-call cost is most of it for 7
        # values
        q = [
            min(max(value, low), high)
            for value, low, high in zip(q, self._lower, self._upper, strict=False)
        ]
        self._motors(
            self.body_id,
            self.joint_ids,
            self._position_control,
            targetPositions=q,
            forces=self.efforts,
        )
        finger = 0.5 * min(max(float(width), 0.0), self.hand.max_opening)
        for joint in (
            self.finger_ids
        ):  # the array call has no speed limit; fingers need one (they squeeze parcels)
            self._motor(self.body_id, joint, self._position_control, targetPosition=finger,
                        force=self.hand.grip_force, maxVelocity=self.hand.finger_speed)  # fmt: skip

    # ---- state ----------------------------------------------------------------------------------
    def tcp_state(self) -> tuple[np.ndarray, np.ndarray, float]:
        """TCP position (m), linear velocity (m/s) and yaw (rad), world frame."""
        state = self._link_state(
            self.body_id, self.tcp_index, computeLinkVelocity=1, computeForwardKinematics=1
        )
        yaw = yaw_of(state[5]) - self.yaw_offset
        return np.array(state[4]), np.array(state[6]), math.atan2(math.sin(yaw), math.cos(yaw))

    def joint_state(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Arm joint positions (rad), velocities (rad/s) and servo torques (N·m)."""
        states = np.array(
            [(*s[:2], s[3]) for s in self._joint_states(self.body_id, self.joint_ids)]
        )
        return states[:, 0], states[:, 1], states[:, 2]

    def power_and_fingers(self) -> tuple[float, float, float]:
        """The per-step read: Σ|τ·q̇| over the arm's joints (W), gripper opening (m) and its rate
        (m/s)."""
        states = self._joint_states(self.body_id, self._all_joints)
        power = 0.0
        for state in states[:-2]:
            power += abs(state[3] * state[1])
        (q1, v1, *_), (q2, v2, *_) = states[-2:]
        return power, q1 + q2, v1 + v2
