"""Industrial arms with a welding torch, driven kinematically.

Welding needs no contact physics, so an :class:`Arm` is never simulated: its
joints are *set* (``resetJointState``), forward kinematics places the flange,
and the torch body is teleported onto the flange. A step is then IK + FK and
costs microseconds, and the TCP lands exactly where the joints say — what a
position-controlled industrial arm does to within its repeatability.

Never call ``stepSimulation`` expecting the arm to hold still: it has no
motors holding it. Set the joints again after any physics step.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from robodojo.physics import Sim
from robodojo.physics.geometry import (
    matrix_to_quat,
    quat_to_matrix,
    rotation_angle,
    rotation_matrix,
    rotation_vector,
)
from robodojo.robots.model_files import loadable_urdf
from robodojo.robots.welding_torch import DEFAULT_TORCH, TorchSpec

#: Bullet's default gContactBreakingThreshold (m), a process-wide global (see Arm.contact_distance)
BULLET_CONTACT_BREAKING_THRESHOLD = 0.02


@dataclass(frozen=True)
class ArmSpec:
    """Everything robodojo needs to know about one arm model. Joint arrays follow
    ``joint_names``."""

    kind: ClassVar[str] = "arm"
    name: str  #: "kuka_iiwa", "xarm6", "panda"
    #: path relative to pybullet_data, absolute, or ``example-robot-data:<path under robots/>``
    urdf: str
    joint_names: tuple[
        str, ...
    ]  #: vendor names, as the robot's ROS 2 driver publishes them, in order
    urdf_joint_names: tuple[str, ...]  #: the same joints as named in ``urdf``
    flange_link: str  #: URDF link the tool mounts on
    home: (
        np.ndarray
    )  #: ready pose, rad: TCP 0.10 m above ``work_center``, torch pointing down (tilted) toward it
    lower: np.ndarray  #: joint lower limits, rad
    upper: np.ndarray  #: joint upper limits, rad
    max_joint_speed: np.ndarray  #: rad/s, vendor figures
    reach: float  #: flange reach from the base axis, m (vendor figure, approx.)
    mass: float  #: kg, sum over the URDF's links
    #: distance (m) along the flange link's z from its URDF frame to the mounting face
    #: (pybullet_data's iiwa puts link 7's frame 45 mm behind the real flange)
    flange_offset: float = 0.0
    #: links hidden and taken out of collision (the Panda's hand and fingers: the torch replaces
    #: them)
    hidden_links: tuple[str, ...] = ()
    #: centre (m, x y z in the base frame) of the disc of work-piece positions where welding poses
    #: (see :func:`weld_orientation`) are reliably reachable from ``home``
    work_center: np.ndarray = field(default_factory=lambda: np.array([0.55, 0.0, 0.0]))
    #: radius (m) of that disc, horizontal
    work_radius: float = 0.15

    def __post_init__(self) -> None:
        n = len(self.joint_names)
        if len(self.urdf_joint_names) != n:
            raise ValueError(
                f"{self.name}: {n} joint names but {len(self.urdf_joint_names)} URDF names"
            )
        for label in ("home", "lower", "upper", "max_joint_speed"):
            if np.shape(getattr(self, label)) != (n,):
                raise ValueError(
                    f"{self.name}: {label} has shape {np.shape(getattr(self, label))}, "
                    f"expected ({n},)"
                )
        if np.any(self.lower >= self.upper):
            raise ValueError(f"{self.name}: every lower joint limit must be below its upper limit")
        if np.any(self.home < self.lower) or np.any(self.home > self.upper):
            raise ValueError(f"{self.name}: home lies outside the joint limits")
        if np.any(self.max_joint_speed <= 0) or self.reach <= 0 or self.mass <= 0:
            raise ValueError(f"{self.name}: joint speeds, reach and mass must be positive")
        if np.shape(self.work_center) != (3,) or not self.work_radius > 0:
            raise ValueError(f"{self.name}: work_center must be (x, y, z) and work_radius positive")

    @property
    def num_joints(self) -> int:
        return len(self.joint_names)


@dataclass(frozen=True)
class IKResult:
    """What :meth:`Arm.solve_ik` found: joints (within limits) and the TCP errors they leave."""

    q: np.ndarray
    position_error: float  #: m, |TCP position − target|
    angle_error: float  #: rad, angle of R_tcpᵀ·R_target
    success: bool  #: both errors within the tolerances asked for
    iterations: int = 0


class Arm:
    """A kinematic arm with a welding torch: joints are set, not simulated.

    Frames: the *flange* is the mounting face (``spec.flange_link`` ⊕
    ``spec.flange_offset``); the torch's base frame sits on it; the *TCP* is
    the contact tip, z out of the nozzle toward the work, x "torch forward" in
    the neck's bend plane (see :mod:`robodojo.robots.welding_torch`).
    """

    def __init__(self, spec: ArmSpec, tool: TorchSpec | None = None) -> None:
        self.spec = spec
        self.tool = tool or DEFAULT_TORCH
        self.body_id: int = -1
        self.tool_body_id: int = -1
        self.q = spec.home.copy()
        self.base_position = np.zeros(3)
        # link frame -> TCP, constant: the flange offset, then the torch's mount -> TCP
        tcp_position, tcp_rotation = self.tool.flange_to_tcp
        self._mount_offset = np.array([0.0, 0.0, spec.flange_offset])
        self._link_to_tcp = (self._mount_offset + tcp_position, tcp_rotation)
        self._tcp_in_link = self._link_to_tcp[0].tolist()
        self._flange = (
            np.zeros(3),
            np.eye(3),
        )  # world pose of the flange link frame, refreshed on every set

    def load(
        self, sim: Sim, base_position=(0.0, 0.0, 0.0), base_orientation=(0.0, 0.0, 0.0, 1.0)
    ) -> None:
        """Load the arm with a fixed base, and the torch on its flange; then go to ``home``."""
        client = self._client = sim.client
        self.body_id = sim.load_urdf(
            loadable_urdf(self.spec.urdf),
            position=base_position,
            orientation=base_orientation,
            useFixedBase=True,
        )
        self.base_position = np.array(base_position, dtype=np.float64)
        infos = [
            client.getJointInfo(self.body_id, j) for j in range(client.getNumJoints(self.body_id))
        ]
        joint_index = {info[1].decode(): info[0] for info in infos}
        link_index = {info[12].decode(): info[0] for info in infos}
        missing = [n for n in self.spec.urdf_joint_names if n not in joint_index]
        if missing or self.spec.flange_link not in link_index:
            raise ValueError(
                f"{self.spec.name}: URDF {self.spec.urdf} lacks joints {missing} "
                f"or link {self.spec.flange_link!r}"
            )
        self.joint_ids = [joint_index[n] for n in self.spec.urdf_joint_names]
        self.flange_index = link_index[self.spec.flange_link]
        # calculateInverseKinematics works on every movable DOF (the Panda's fingers too): map ours
        # into that list.
        movable = [info[0] for info in infos if info[2] != 4]  # 4 = JOINT_FIXED
        self._dof_of_arm = np.array([movable.index(j) for j in self.joint_ids])
        self._full_q = np.zeros(len(movable))
        for name in self.spec.hidden_links:
            link = link_index[name]
            client.changeVisualShape(self.body_id, link, rgbaColor=[0.0, 0.0, 0.0, 0.0])
            client.setCollisionFilterGroupMask(self.body_id, link, 0, 0)
        self.tool_body_id = self.tool.build(sim)
        # Contact queries (see contact_distance) only see pairs with a non-static body: give the
        # torch a token mass. Nothing ever steps it, and it must not report touching its own arm.
        for link in range(-1, client.getNumJoints(self.tool_body_id)):
            client.changeDynamics(self.tool_body_id, link, mass=0.05)
            for arm_link in range(-1, len(infos)):
                client.setCollisionFilterPair(self.body_id, self.tool_body_id, arm_link, link, 0)
        self._detect = client.performCollisionDetection
        self._set_engine = client.setPhysicsEngineParameter
        self._contacts = client.getContactPoints
        # Bind hot-path calls once: BulletClient builds a functools.partial on every attribute
        # access.
        self._reset_joint = client.resetJointState
        self._reset_base = client.resetBasePositionAndOrientation
        self._ik = client.calculateInverseKinematics
        self._link_state = client.getLinkState
        self._jacobian = client.calculateJacobian
        self._base_rotation = quat_to_matrix(base_orientation)
        self._zero_dofs = [0.0] * len(self._full_q)
        self.reset(self.spec.home)

    # ---- setting joints -------------------------------------------------------------------------
    def reset(self, q: np.ndarray) -> None:
        """Set the joints (clipped to the limits) and move the torch with the flange."""
        self.set_joint_positions(q)

    def set_joint_positions(self, q: np.ndarray) -> None:
        """The per-step call: clip ``q`` to the joint limits, set the joints, carry the torch
        along."""
        self.q = np.clip(np.asarray(q, dtype=np.float64), self.spec.lower, self.spec.upper)
        self._apply(self.q)

    def _apply(self, q: np.ndarray) -> None:
        body, reset = self.body_id, self._reset_joint
        for joint, value in zip(self.joint_ids, q.tolist(), strict=True):
            reset(body, joint, value)
        state = self._link_state(body, self.flange_index, computeForwardKinematics=True)
        position, rotation = np.array(state[4]), quat_to_matrix(state[5])
        self._flange = (position, rotation)
        self._reset_base(
            self.tool_body_id, (position + rotation @ self._mount_offset).tolist(), state[5]
        )

    # ---- poses ----------------------------------------------------------------------------------
    def flange_pose(self) -> tuple[np.ndarray, np.ndarray]:
        """World position and rotation (world ← mount) of the mounting face: the torch's base
        frame."""
        position, rotation = self._flange
        return position + rotation @ self._mount_offset, rotation.copy()

    def tcp_pose(self) -> tuple[np.ndarray, np.ndarray]:
        """Contact-tip position (m, world) and rotation (3×3, world ← TCP)."""
        position, rotation = self._flange
        offset, tcp_rotation = self._link_to_tcp
        return position + rotation @ offset, rotation @ tcp_rotation

    # ---- inverse kinematics ---------------------------------------------------------------------
    def solve_ik(
        self,
        position: np.ndarray,
        rotation: np.ndarray,
        q_start: np.ndarray | None = None,
        tolerance: float = 1e-4,
        angle_tolerance: float = 1e-3,
        max_iterations: int = 60,
        fallback: bool = True,
    ) -> IKResult:
        """Joints that put the TCP at ``position`` (m, world) with ``rotation`` (3×3, world ← TCP).

        Iterates PyBullet's damped-least-squares ``calculateInverseKinematics``
        on the flange link, from ``q_start`` (default: the current joints),
        clipping to the joint limits after every step, until the TCP is within
        ``tolerance`` (m) and ``angle_tolerance`` (rad). Each step is a small
        move from the last, so the answer is the solution the arm reaches
        continuously from ``q_start`` — no elbow or wrist flips along a path.
        PyBullet's own iteration tracks the link frame's position only, and
        the TCP sits ~0.3 m out, so every outer step re-aims the link target by
        the TCP error FK measures (an integral correction that removes the
        lever-arm error of any orientation residual).

        Returns the best joints found (always within limits) and their errors;
        ``success`` says whether both tolerances were met. The arm itself is
        left where it was.
        """
        target_p = np.asarray(position, dtype=np.float64)
        target_r = np.asarray(rotation, dtype=np.float64)
        offset, tcp_rotation = self._link_to_tcp
        link_r = target_r @ tcp_rotation.T  # desired link frame
        aim_p = target_p - link_r @ offset
        aim_quat = matrix_to_quat(link_r).tolist()
        saved = self.q
        q = np.clip(
            self.q if q_start is None else np.asarray(q_start, dtype=np.float64),
            self.spec.lower,
            self.spec.upper,
        )
        best = None
        full = self._full_q
        for iteration in range(max_iterations + 1):
            self._apply(q)
            tcp_p, tcp_r = self.tcp_pose()
            error = target_p - tcp_p
            result = IKResult(
                q, float(np.linalg.norm(error)), rotation_angle(tcp_r, target_r), False, iteration
            )
            if best is None or _score(result) < _score(best):
                best = result
            if result.position_error <= tolerance and result.angle_error <= angle_tolerance:
                best = IKResult(q, result.position_error, result.angle_error, True, iteration)
                break
            if iteration == max_iterations:
                break
            full[self._dof_of_arm] = q
            # Aim the link where the TCP error says it must go: link position error ≈ TCP error once
            # the orientation has converged; the orientation target stays the exact one.
            aim_p = aim_p + (target_p - tcp_p)
            solution = self._ik(
                self.body_id, self.flange_index, aim_p.tolist(), aim_quat,
                currentPositions=full.tolist(), maxNumIterations=20, residualThreshold=1e-6,
            )  # fmt: skip
            q = np.clip(np.asarray(solution)[self._dof_of_arm], self.spec.lower, self.spec.upper)
        assert best is not None  # the loop runs at least once
        if not best.success and fallback:
            path = self._solve_by_path(target_p, target_r, q_start, tolerance, angle_tolerance)
            if path.success or _score(path) < _score(best):
                best = path
        self._apply(saved)
        self.q = saved
        return best

    def _solve_by_path(
        self, target_p, target_r, q_start, tolerance, angle_tolerance, step=0.01, angle_step=0.05
    ):
        """IK by continuation: walk the TCP from its pose at ``q_start`` to the target in small
        straight steps (≤ ``step`` m, ≤ ``angle_step`` rad), each followed with :meth:`track`, then
        polish."""
        self.q = np.clip(
            self.q if q_start is None else np.asarray(q_start, dtype=np.float64),
            self.spec.lower,
            self.spec.upper,
        )
        self._apply(self.q)
        start_p, start_r = self.tcp_pose()
        turn = rotation_vector(start_r.T @ target_r)  # in the start TCP frame
        count = max(
            1,
            math.ceil(
                max(np.linalg.norm(target_p - start_p) / step, np.linalg.norm(turn) / angle_step)
            ),
        )
        for k in range(1, count + 1):
            s = k / count
            self.track(
                start_p + s * (target_p - start_p),
                start_r @ rotation_matrix(s * turn),
                iterations=3,
                damping=1e-2,
            )
        for _ in range(10):
            result = self.track(
                target_p,
                target_r,
                iterations=5,
                tolerance=tolerance,
                angle_tolerance=angle_tolerance,
            )
            if result.success:
                break
        return result

    def track(
        self,
        position: np.ndarray,
        rotation: np.ndarray,
        iterations: int = 2,
        tolerance: float = 1e-5,
        angle_tolerance: float = 5e-4,
        damping: float = 1e-3,
    ) -> IKResult:
        """Move the TCP to a *nearby* pose and return the joints: the per-control-step IK.

        Damped-least-squares steps on the TCP's geometric Jacobian
        (``calculateJacobian``), warm-started from the current joints: for the
        sub-millimetre, sub-degree moves of a control step one step is already
        accurate to a few µm, a second is taken only if the TCP is still
        outside ``tolerance`` (m) / ``angle_tolerance`` (rad). Unlike
        :meth:`solve_ik` the arm is left *at* the result (joints clipped to
        their limits), so the call replaces ``solve_ik`` + ``set_joint_positions``.
        For far targets use :meth:`solve_ik`.
        """
        target_p = np.asarray(position, dtype=np.float64)
        target_r = np.asarray(rotation, dtype=np.float64)
        offset, tcp_rotation = self._link_to_tcp
        lower, upper = self.spec.lower, self.spec.upper
        q = self.q
        iteration = 0
        while True:
            flange_p, flange_r = self._flange
            tcp_r = flange_r @ tcp_rotation
            error = np.empty(6)
            error[:3] = target_p - (flange_p + flange_r @ offset)
            error[3:] = rotation_vector(target_r @ tcp_r.T)  # world frame
            position_error = math.sqrt(error[0] ** 2 + error[1] ** 2 + error[2] ** 2)
            angle_error = math.sqrt(error[3] ** 2 + error[4] ** 2 + error[5] ** 2)
            done = position_error <= tolerance and angle_error <= angle_tolerance
            if done or iteration == iterations:
                return IKResult(q.copy(), position_error, angle_error, done, iteration)
            jacobian = self._tcp_jacobian()
            step = jacobian.T @ np.linalg.solve(
                jacobian @ jacobian.T + damping**2 * np.eye(6), error
            )
            q = np.clip(q + step, lower, upper)
            self.q = q
            self._apply(q)
            iteration += 1

    def _tcp_jacobian(self) -> np.ndarray:
        """Geometric Jacobian (6×n, world frame: linear rows, then angular) of the TCP at the
        current joints.

        PyBullet's ``calculateJacobian`` (C++, ~3 µs) for the TCP given in the
        flange link's URDF frame — checked against finite differences and a
        Jacobian built from the joint axes; despite its documentation the point
        is in the link frame, not the centre of mass's — answered in the base
        frame, rotated here into the world's.
        """
        full = self._full_q
        full[self._dof_of_arm] = self.q
        linear, angular = self._jacobian(
            self.body_id,
            self.flange_index,
            self._tcp_in_link,
            full.tolist(),
            self._zero_dofs,
            self._zero_dofs,
        )
        jacobian = np.array((linear, angular))[:, :, self._dof_of_arm]
        return (self._base_rotation @ jacobian).reshape(6, -1)

    # ---- motion limits and clearance ------------------------------------------------------------
    def step_towards(
        self, q_target: np.ndarray, dt: float, start: np.ndarray | None = None
    ) -> np.ndarray:
        """Move each joint from ``start`` (default: the current joints) toward ``q_target`` by at
        most ``max_joint_speed·dt``; set and return the new joints (the arm is not touched if it is
        already there)."""
        start = self.q if start is None else start
        limit = self.spec.max_joint_speed * dt
        q = start + np.clip(np.asarray(q_target, dtype=np.float64) - start, -limit, limit)
        if not np.array_equal(q, self.q):
            self.set_joint_positions(q)
        return self.q.copy()

    def contact_distance(self, margin: float = 0.002) -> float:
        """Smallest signed distance (m) between the arm or torch and any other body; negative =
        penetration.

        One collision pass over the world (``performCollisionDetection``), several
        times cheaper than :meth:`collision_distance`. Only pairs closer than
        ``margin`` are reported (+inf otherwise): the pass runs with Bullet's
        contact breaking threshold lowered to ``margin``, which shrinks the broad
        phase. That threshold is a *process-wide* global in Bullet (it would change
        every other world's contacts), so it is restored to Bullet's default right
        after — robodojo never sets it otherwise.
        """
        self._set_engine(contactBreakingThreshold=margin)
        try:
            self._detect()
        finally:
            self._set_engine(contactBreakingThreshold=BULLET_CONTACT_BREAKING_THRESHOLD)
        closest = math.inf
        for body in (self.body_id, self.tool_body_id):
            for point in self._contacts(bodyA=body):
                closest = min(closest, point[8])
        return closest

    def collision_distance(self, other_body_ids: list[int], margin: float = 0.01) -> float:
        """Smallest distance (m) from the arm's links and the torch to ``other_body_ids``;
        negative = penetration.

        Only pairs closer than ``margin`` are resolved; if none is, ``margin`` is returned.
        """
        closest = margin
        query = self._client.getClosestPoints
        for other in other_body_ids:
            for body in (self.body_id, self.tool_body_id):
                for point in query(body, other, margin):
                    closest = min(closest, point[8])
        return float(closest)


def weld_orientation(
    approach_xy_angle: float,
    work_angle_deg: float = 45.0,
    travel_angle_deg: float = 0.0,
    rotate_about_axis: float = 0.0,
) -> np.ndarray:
    """TCP rotation (3×3, world ← TCP) for a torch pointing down into a joint.

    ``approach_xy_angle`` (rad): azimuth of the horizontal part of the TCP z
    (the direction the nozzle points, seen from above); ``work_angle_deg``:
    elevation of the torch axis below the horizontal (45° for a fillet, 90°
    straight down); ``travel_angle_deg``: push/drag tilt of the axis along the
    seam (rotation about the TCP y); ``rotate_about_axis`` (rad): spin about the
    torch axis. With the last two zero, TCP x is horizontal, along the seam
    (+90° from ``approach_xy_angle``), and y = z × x.
    """
    ca, sa = math.cos(approach_xy_angle), math.sin(approach_xy_angle)
    w = math.radians(work_angle_deg)
    z = np.array([math.cos(w) * ca, math.cos(w) * sa, -math.sin(w)])
    x = np.array([-sa, ca, 0.0])
    frame = np.column_stack((x, np.cross(z, x), z))
    t, r = math.radians(travel_angle_deg), rotate_about_axis
    ct, st, cr, sr = math.cos(t), math.sin(t), math.cos(r), math.sin(r)
    rot_y = np.array([[ct, 0.0, st], [0.0, 1.0, 0.0], [-st, 0.0, ct]])
    rot_z = np.array([[cr, -sr, 0.0], [sr, cr, 0.0], [0.0, 0.0, 1.0]])
    return frame @ rot_y @ rot_z


def _score(result: IKResult) -> float:
    """Rank IK iterates: metres plus radians scaled by a 0.1 m lever (1 mrad ≈ 0.1 mm at the
    tip)."""
    return result.position_error + 0.1 * result.angle_error
