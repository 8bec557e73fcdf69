"""The welding task: a kinematic arm with a torch follows the true seam of a fresh part every
episode.

The arm is never simulated (see :mod:`robodojo.robots.arm`): a control step
integrates the commanded path offsets, solves IK warm-started from the current
joints, moves the joints no faster than the arm's joint speed limits, and
scores the torch against the true seam (:mod:`robodojo.envs.weld_scoring`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from robodojo.envs.base import Task
from robodojo.envs.rewards import merge_weights
from robodojo.envs.weld.interface import (
    DEG_PER_UNIT,
    JOINT_RATE,
    LOOKAHEAD,
    M_PER_PROGRESS_UNIT,
    MM_PER_UNIT,
    OFFSET_LIMITS,
    OFFSET_RATES,
    joint_actions,
    observation_layout,
    twist_actions,
)  # fmt: skip
from robodojo.envs.weld.path import SeamTracker, TaughtPath
from robodojo.envs.weld.scoring import (
    SeamProjector,
    Tolerances,
    WeldLedger,
    WeldStats,
    torch_errors,
    within_tolerance,
)
from robodojo.physics import (
    Sim,
    pybullet,
)  # pybullet for constants only; calls go through the Sim's client
from robodojo.robots.arm import Arm
from robodojo.robots.registry import get_robot_spec
from robodojo.sim_assets.seams import (
    JOINT_TYPES,
    SEAM_SHAPES,
    FitUpError,
    Seam,
    apply_fit_up_error,
    generate_seam,
    place_seam,
    reverse,
)  # fmt: skip
from robodojo.sim_assets.workpiece import build_table, build_workpiece, remove_workpiece

DEFAULT_WEIGHTS: dict[str, float] = {
    "progress": 1.0,
    "welded": 2.0,
    "lateral": -0.1,
    "ctwd": -0.1,
    "work_angle": -0.05,
    "travel_angle": -0.05,
    "smoothness": -0.05,
    "collision": -50.0,
    "success": 20.0,
}

#: per-step IK accuracy: 20 µm and 0.06° are far inside the weld tolerances (1 mm, 10°), and mostly
#: one damped-least-squares step reaches them (the arm's default, 10 µm, often takes two)
TRACK_TOLERANCE: dict[str, Any] = {"tolerance": 2e-5, "angle_tolerance": 1e-3}
SEAM_ROOT_Z = 0.008  #: the base plate (8 mm) lies on the table top at z = 0
ARC_ON_DISTANCE = 0.005  #: the aim point must be this close to the seam for the arc to deposit
MM_SCALE = 1000.0 / MM_PER_UNIT  #: metres -> observation units of the millimetre fields
JOINT_LIMIT_MARGIN = (
    0.05  #: rad a taught path keeps from every joint limit (room for tracking corrections)
)
#: torch rolls about its axis a program may use, tried in this order (0 = swan neck bent toward
#: travel)
TORCH_ROLLS = (0.0, math.pi / 2, -math.pi / 2, math.pi)


class WeldTask(Task):
    """Follow the true seam with the torch at the right stand-off, angles and speed (see WeldEnv's
    docstring)."""

    # set by _measure (and _lay_bead) before they are read
    seam_s: float
    tip: np.ndarray
    _last_bead: np.ndarray

    def __init__(
        self,
        robot: str,
        control: str,
        difficulty: float,
        joint: str | None,
        shape: str | None,
        tolerances: Tolerances,
        part_center: tuple[float, float] | None,
        part_radius: float | None,
        reward_weights: Mapping[str, float] | None,
        control_dt: float,
    ) -> None:
        self.spec = get_robot_spec(robot, kind="arm")
        if control not in ("twist", "joint"):
            raise ValueError(f"control must be 'twist' or 'joint', got {control!r}")
        if joint is not None and joint not in JOINT_TYPES:
            raise ValueError(f"unknown joint type {joint!r}; valid types: {', '.join(JOINT_TYPES)}")
        if shape is not None and shape not in SEAM_SHAPES:
            raise ValueError(
                f"unknown seam shape {shape!r}; valid shapes: {', '.join(SEAM_SHAPES)}"
            )
        if (
            isinstance(difficulty, bool)
            or not isinstance(difficulty, (int, float))
            or not (math.isfinite(difficulty) and 0.0 <= difficulty <= 2.0)
        ):
            raise ValueError(f"difficulty must be a number within [0, 2], got {difficulty!r}")
        self.reward_weights = merge_weights(DEFAULT_WEIGHTS, reward_weights)
        self.control = control
        self.difficulty = difficulty
        self.joint = joint
        self.shape = shape
        self.tolerances = tolerances
        self.control_dt = control_dt
        self.center, self.radius = self._check_workspace(part_center, part_radius)
        self.arm = Arm(self.spec)
        self._joint_mid = (
            self.spec.upper + self.spec.lower
        ) / 2  # joints are observed in -1..1 over their limits
        self._joint_half_range = (self.spec.upper - self.spec.lower) / 2
        self.tracker = SeamTracker(LOOKAHEAD)
        self.render_bead = False
        self.workpiece: Any = None
        self.actions = (
            twist_actions(tolerances.travel_speed)
            if control == "twist"
            else joint_actions(self.spec)
        )
        self.action_size = self.actions.size
        self.layout = observation_layout(self.spec, self.action_size)

    def _check_workspace(
        self, center: tuple[float, float] | None, radius: float | None
    ) -> tuple[np.ndarray, float]:
        """The disc part midpoints are drawn from; it must sit inside the arm's welding disc
        (``spec.work_*``)."""
        spec = self.spec
        reach_center, reach_radius = (
            np.asarray(spec.work_center, dtype=np.float64)[:2],
            float(spec.work_radius),
        )
        c = reach_center if center is None else np.asarray(center, dtype=np.float64)
        r = reach_radius if radius is None else float(radius)
        if c.shape != (2,) or not np.all(np.isfinite(c)) or not (math.isfinite(r) and r > 0):
            raise ValueError(
                f"part_center must be (x, y) in m and part_radius > 0, got {center!r}, {radius!r}"
            )
        if np.linalg.norm(c - reach_center) + r > reach_radius + 1e-9:
            raise ValueError(
                f"parts centred within {r:.3f} m of {c.round(3).tolist()} lie outside where "
                f"{spec.name} can weld (part centres within {reach_radius:.2f} m of "
                f"{reach_center.round(3).tolist()}); move part_center or shrink part_radius"
            )
        return c, r

    # ---- world --------------------------------------------------------------------------------
    def build(self, sim: Sim) -> None:
        self.sim = sim
        self.table = build_table(sim)
        self.arm.load(sim)
        self.workpiece = None
        self.bead: list[int] = []
        self._bead_shape: int | None = None

    def reset(self, rng: np.random.Generator) -> None:
        for _ in range(20):
            nominal, true = self._draw_part(rng)
            path, q_start = self._program(nominal)
            if path is not None:
                nominal, true = path.seam, (true if path.seam is nominal else reverse(true))
                break
        else:
            raise RuntimeError(
                f"{self.spec.name} could not reach 20 parts in a row: "
                "the workspace settings are wrong"
            )
        self.nominal, self.true, self.path = nominal, true, path
        if self.workpiece is not None:
            remove_workpiece(self.sim, self.workpiece)
        self.workpiece = build_workpiece(self.sim, true)
        self._clear_bead()
        assert q_start is not None  # _program returns joints with every path
        self.arm.set_joint_positions(q_start)
        self.tracker.reset(path, true, rng)
        self.projector = SeamProjector(true)
        self.projector.project(path.points[0], full_search=True)
        self.ledger = WeldLedger(true.arclength)
        self.stats = WeldStats()
        self.progress_command = path.start
        self.offsets = np.zeros(4)  # lateral, depth, work, travel (commanded, twist control)
        self.action = np.zeros(self.action_size)
        self.previous_action = np.zeros(self.action_size)
        self.collided = False
        self.finished = False
        self.steps = 0
        self.progress = path.start
        self._measure(first=True)

    def _draw_part(self, rng: np.random.Generator) -> tuple[Seam, Seam]:
        """A random part: shape, then a pose whose torch side faces the robot, then the fit-up
        error."""
        seam = generate_seam(rng, joint=self.joint, shape=self.shape)
        middle = len(seam.points) // 2
        angle, distance = rng.uniform(-math.pi, math.pi), self.radius * math.sqrt(rng.uniform())
        center = self.center + distance * np.array([math.cos(angle), math.sin(angle)])
        # the torch comes from −side: turn the part so the middle's side points away from the arm
        # (±45°)
        side_angle = math.atan2(seam.sides[middle, 1], seam.sides[middle, 0])
        outward = math.atan2(center[1], center[0])
        yaw = outward - side_angle + rng.uniform(-math.pi / 4, math.pi / 4)
        nominal = place_seam(seam, np.array([center[0], center[1], SEAM_ROOT_Z]), yaw)
        return nominal, apply_fit_up_error(nominal, FitUpError.sample(rng, self.difficulty))

    def _program(self, nominal: Seam) -> tuple[TaughtPath | None, np.ndarray | None]:
        """Teach the part as a welding programmer would: the first weld direction and torch roll the
        arm can reach."""
        for seam in (nominal, reverse(nominal)):
            for roll in TORCH_ROLLS:
                path = TaughtPath(seam, self.tolerances.travel_angle_nominal, roll=roll)
                q_start = self._reachable(path)
                if q_start is not None:
                    return path, q_start
        return None, None

    def _reachable(self, path: TaughtPath, spacing: float = 0.002) -> np.ndarray | None:
        """Joints at the lead-in start if the arm can follow the whole taught path continuously,
        else None.

        A dry run of the program: IK to the start from home, then the path in
        ``spacing`` steps with the same warm-started IK the episode uses, within
        the joint speed limits at the target travel speed and clear of
        the joint limits (a jump between IK branches would be a wrist flip).
        """
        arm, ctwd = self.arm, self.tolerances.ctwd
        start = arm.solve_ik(
            *path.torch_pose(path.start, 0.0, 0.0, 0.0, 0.0, ctwd), q_start=arm.spec.home
        )
        if not start.success:
            return None
        max_step = arm.spec.max_joint_speed * spacing / self.tolerances.travel_speed
        margin = JOINT_LIMIT_MARGIN
        arm.set_joint_positions(start.q)
        q = start.q
        try:
            for s in np.arange(path.start + spacing, path.end + 1e-9, spacing):
                result = arm.track(
                    *path.torch_pose(float(s), 0.0, 0.0, 0.0, 0.0, ctwd), iterations=4
                )
                near_limit = np.any(result.q < arm.spec.lower + margin) or np.any(
                    result.q > arm.spec.upper - margin
                )
                if (
                    result.position_error > 1e-4
                    or result.angle_error > 2e-3
                    or near_limit
                    or np.any(np.abs(result.q - q) > max_step)
                ):
                    return None
                q = result.q
        finally:
            arm.set_joint_positions(start.q)
        return start.q

    # ---- acting -------------------------------------------------------------------------------
    def apply_action(self, action: np.ndarray) -> None:
        self.previous_action = self.action
        self.action = action.astype(np.float64)

    def advance(self, substeps: int) -> None:
        dt = self.control_dt
        arm = self.arm
        if self.control == "twist":
            a = self.action
            # the programmed speed is the aim point's: progress slows where the offsets lengthen the
            # path
            stretch = self.path.stretch(self.progress_command, self.offsets[0], self.offsets[1])
            advance = self.tolerances.travel_speed * (1.0 + a[0]) * dt / stretch
            self.progress_command = min(self.progress_command + advance, self.path.end)
            self.offsets = np.clip(
                self.offsets + a[1:] * OFFSET_RATES * dt, -OFFSET_LIMITS, OFFSET_LIMITS
            )
            q_before = arm.q.copy()
            result = arm.track(
                *self.path.torch_pose(  # type: ignore[call-arg]  # mypy cannot size *self.offsets
                    self.progress_command, *self.offsets, self.tolerances.ctwd
                ),
                **TRACK_TOLERANCE,
            )
            arm.step_towards(result.q, dt, start=q_before)  # a real arm's joints cannot move faster
        else:
            arm.step_towards(arm.q + self.action * JOINT_RATE * dt, dt)
        self.steps += 1

    def after_step(self) -> None:
        self._measure(first=False)

    def _measure(self, first: bool) -> None:
        """Sense and score the pose the step left: path progress, errors, bead, collisions."""
        tip, rotation = self.arm.tcp_pose()
        axis = rotation[:, 2]
        tol = self.tolerances
        aim = tip + tol.ctwd * axis
        self.progress = self.path.project(aim, self.path.index(self.progress))
        self.path_offsets = self.path.offsets(self.progress, tip, rotation, tol.ctwd)
        s_prev = 0.0 if first else self.seam_s
        self.seam_s, i, f = self.projector.project(aim)
        point, tangent, side = self.projector.frame(i, f)
        self.errors = torch_errors(tip, axis, point, tangent, side, self.true.work_angle)
        self.speed = 0.0 if first else (self.seam_s - s_prev) / self.control_dt
        point, _, tangent, side, _ = self.path.local(self.progress)
        self.nominal_errors = torch_errors(tip, axis, point, tangent, side, self.true.work_angle)
        self.tcp_velocity = np.zeros(3) if first else (tip - self.tip) / self.control_dt
        self.tip = tip
        self.readings, self.valid = self.tracker.read(self.progress)
        self.newly_welded = 0
        if first:
            return
        arc_on = (
            abs(self.errors.lateral) < ARC_ON_DISTANCE
            and abs(self.errors.ctwd - tol.ctwd) < ARC_ON_DISTANCE
        )
        in_tolerance = within_tolerance(self.errors, self.speed, tol)
        if arc_on and self.seam_s > s_prev:
            self.newly_welded = self.ledger.deposit(s_prev, self.seam_s, in_tolerance)
            if 0.0 < self.seam_s < self.true.length:
                self.stats.add(self.errors, self.speed)
            if self.render_bead and self.newly_welded:
                self._lay_bead(aim)
        if (
            self.arm.contact_distance() < 0.0
        ):  # torch or arm touches the part, the table or anything else
            self.collided = True
        self.finished = self.progress >= self.path.end - 1e-6 or self.seam_s >= self.true.length

    # ---- the bead (rendering only) ---------------------------------------------------------------
    def _lay_bead(self, point: np.ndarray) -> None:
        client = self.sim.client
        if (
            self._bead_shape is None
        ):  # made on first use, in this Sim (a rebuilt world needs its own)
            self._bead_shape = client.createVisualShape(
                pybullet.GEOM_SPHERE, radius=0.003, rgbaColor=[0.95, 0.75, 0.25, 1.0]
            )
        if self.bead and np.linalg.norm(point - self._last_bead) < 0.002:
            return
        self.bead.append(
            client.createMultiBody(
                baseMass=0.0, baseVisualShapeIndex=self._bead_shape, basePosition=point.tolist()
            )
        )
        self._last_bead = point

    def _clear_bead(self) -> None:
        for body in self.bead:
            self.sim.remove_body(body)
        self.bead = []

    # ---- what the policy sees and earns -------------------------------------------------------
    def observe(self) -> np.ndarray:
        offsets = self.path_offsets
        angles = np.array(
            [
                self.nominal_errors.work_angle_error,
                self.nominal_errors.travel_angle - self.tolerances.travel_angle_nominal,
            ]
        )
        path, s = self.path, self.progress
        _, rotation, along, _, across = path.local(s)
        axis = rotation[:, 2]
        velocity = np.array(
            [self.tcp_velocity @ along, self.tcp_velocity @ across, self.tcp_velocity @ axis]
        )
        joints = (self.arm.q - self._joint_mid) / self._joint_half_range
        return self.layout.assemble(
            [
                self.readings[:, 0] * MM_SCALE,
                self.readings[:, 1] * MM_SCALE,
                self.valid.astype(np.float64),
                offsets * MM_SCALE,
                angles / DEG_PER_UNIT,
                velocity * 100.0,  # mm/s / 10
                [
                    self.progress / M_PER_PROGRESS_UNIT,
                    (self.path.end - self.progress) / M_PER_PROGRESS_UNIT,
                ],
                joints,
                self.action,
            ]
        )

    def reward_terms(self) -> dict[str, float]:
        tol, e = self.tolerances, self.errors
        ratio = self.speed / tol.travel_speed
        overshoot = max(
            0.0, (e.travel_angle - tol.travel_angle_max), (tol.travel_angle_min - e.travel_angle)
        )
        return {
            "progress": float(min(ratio, 1.0) - max(0.0, ratio - (1.0 + tol.speed_band))),
            "welded": self.newly_welded * 0.001 / (tol.travel_speed * self.control_dt),
            "lateral": min((e.lateral / tol.lateral) ** 2, 25.0),
            "ctwd": min(((e.ctwd - tol.ctwd) / tol.ctwd_band) ** 2, 25.0),
            "work_angle": min((e.work_angle_error / tol.work_angle) ** 2, 25.0),
            "travel_angle": min((overshoot / 5.0) ** 2, 25.0),
            "smoothness": float(np.sum((self.action - self.previous_action) ** 2)),
            "collision": float(self.collided),
            "success": float(self.is_success()),
        }

    def is_success(self) -> bool:
        return self.finished and not self.collided and self.ledger.welded_fraction >= 0.95

    def is_terminated(self) -> bool:
        return self.finished or self.collided

    def physics_error(self) -> str | None:
        if not (np.all(np.isfinite(self.arm.q)) and np.all(np.isfinite(self.tip))):
            return "arm state is not finite"
        return None

    def episode_metrics(self) -> dict[str, float]:
        return {
            "weld_fraction": self.ledger.welded_fraction,
            "seam_reached": self.ledger.reached_fraction,
            "seam_length_mm": self.true.length * 1000,
            **self.stats.summary(self.tolerances),
            "collision": float(self.collided),
            "duration": self.steps * self.control_dt,
        }

    def camera_target(self) -> np.ndarray:
        return self.tip.copy()
