"""What every quadruped scenario shares: scene, drop, PD actuation, proprioception."""

from __future__ import annotations

from typing import Any

import numpy as np

from robodojo.envs.base import Task
from robodojo.interface import ActionInterface, Layout
from robodojo.physics import Sim
from robodojo.physics.geometry import quat_to_matrix
from robodojo.robots.quadruped import Quadruped, QuadrupedSpec
from robodojo.robots.registry import get_robot_spec

#: Speeds past these mean the solver has blown up, not that the robot is fast.
MAX_BASE_SPEED = 50.0  # m/s
MAX_JOINT_SPEED = 500.0  # rad/s
#: The pre-episode fall simulation. It runs at a coarse timestep with fewer solver
#: iterations than the episode (50 by default) and implicit motors holding the drop
#: pose; "at rest" = base speeds below these for STILL_STEPS consecutive steps, checked
#: once MIN_SETTLE_SECONDS have been simulated. Cost is ~85 µs a step once in contact,
#: so the number of steps is what reset time is made of.
SETTLE_DT = 0.03
SETTLE_SOLVER_ITERATIONS = 20
MIN_SETTLE_SECONDS = 0.06
STILL_LINEAR_SPEED = 0.1  # m/s
STILL_ANGULAR_SPEED = 0.3  # rad/s
STILL_STEPS = 2
#: The drop starts this close to the ground (lowest bounding-box point) with the speed
#: the fall from its clearance would have reached: a free fall needs no simulating.
FREE_FALL_GAP = 0.005  # m
#: Fraction of each joint's range, centred, inside which no joint-limit penalty applies.
SOFT_LIMIT_FRACTION = 0.95


class QuadrupedTask(Task):
    """Base for quadruped scenarios on flat ground.

    Actions are joint targets in [-1, 1] (see ``QuadrupedSpec.action_to_targets``),
    rate-limited to ``max_target_speed``. Observations are proprioception only:
    gyro, projected gravity, joint positions − home, joint velocities, last action
    (the robot's own fields, :func:`~robodojo.robots.quadruped.proprioception_fields`);
    scenarios on top extend :attr:`layout`.
    """

    def __init__(
        self, robot: str, max_target_speed: float, control_dt: float, physics_dt: float
    ) -> None:
        if max_target_speed <= 0:
            raise ValueError(f"max_target_speed must be > 0, got {max_target_speed}")
        spec: QuadrupedSpec = get_robot_spec(robot, kind="quadruped")
        self.spec = spec
        self.robot = Quadruped(spec)
        self.control_dt = control_dt
        self.physics_dt = physics_dt
        self.max_target_step = max_target_speed * control_dt
        centre = 0.5 * (spec.lower + spec.upper)
        half = 0.5 * SOFT_LIMIT_FRACTION * (spec.upper - spec.lower)
        self.soft_lower, self.soft_upper = centre - half, centre + half
        n = spec.num_joints
        self.action = np.zeros(n)
        self.previous_action = np.zeros(n)
        self.proprioception_layout: Layout = spec.proprioception()
        self.layout = self.proprioception_layout
        self.actions = self.joint_actions()

    def joint_actions(self) -> ActionInterface:
        """Joint position targets (what a real quadruped's low-level controller takes), with their
        gains and limits."""
        spec = self.spec
        return ActionInterface(
            "joint_position_targets",
            spec.num_joints,
            {
                "joints": list(spec.joint_names),
                "mapping": "target = home + a * (upper - home) for a >= 0, "
                "home + a * (home - lower) for a < 0",
                "home": spec.home.tolist(),
                "lower": spec.lower.tolist(),
                "upper": spec.upper.tolist(),
                "max_target_speed": self.max_target_step / self.control_dt,
                "kp": spec.kp.tolist(),
                "kd": spec.kd.tolist(),
                "torque_limit": spec.torque_limit.tolist(),
            },
        )

    # -- scene ---------------------------------------------------------------
    def build(self, sim: Sim) -> None:
        self.sim = sim
        self.ground_id = sim.load_urdf("plane.urdf")
        self.robot.load(sim)

    def drop(self, rng: np.random.Generator, max_settle_seconds: float) -> None:
        """Drop the robot in a random orientation and joint pose, then let it come to rest.

        Roll and yaw are uniform in [−π, π] and pitch in [−π/4, π/4], so it
        lands on its back, side or belly; joints are uniform within their
        limits and held there while it falls from 2–20 cm (lowest point).
        The free fall is not simulated: the body starts ``FREE_FALL_GAP`` above
        the ground with the speed it would have reached. Landing and toppling
        are simulated at a coarse timestep with fewer solver iterations and
        implicit motors until the base is at rest (or ``max_settle_seconds``):
        this keeps reset cheap (no URDF reload: the body is teleported), and
        the episode itself runs at the fine timestep under PD torques.
        """
        spec = self.spec
        robot = self.robot
        roll, yaw = rng.uniform(-np.pi, np.pi, size=2)
        pitch = rng.uniform(-np.pi / 4, np.pi / 4)
        joints = rng.uniform(spec.lower, spec.upper)
        clearance = rng.uniform(0.02, 0.20)
        orientation = self.sim.client.getQuaternionFromEuler([roll, pitch, yaw])
        robot.reset([0.0, 0.0, 1.0], orientation, joints)
        start = min(clearance, FREE_FALL_GAP) if FREE_FALL_GAP > 0 else clearance
        robot.move_base([0.0, 0.0, 1.0 - robot.lowest_point() + start], orientation)
        if start < clearance:
            speed = (2.0 * -self.sim.gravity * (clearance - start)) ** 0.5
            self.sim.client.resetBaseVelocity(robot.body_id, [0.0, 0.0, -speed], [0.0, 0.0, 0.0])
        self._settle(joints, max_settle_seconds)
        self.start_episode()

    def _settle(self, joints: np.ndarray, max_seconds: float) -> None:
        """Simulate the fall (motors holding ``joints``) until the base is at rest; sets
        ``settle_steps``."""
        robot = self.robot
        body = robot.body_id
        get_velocity = self.sim.client.getBaseVelocity
        linear_limit = STILL_LINEAR_SPEED**2
        angular_limit = STILL_ANGULAR_SPEED**2
        first_check = int(
            np.ceil(MIN_SETTLE_SECONDS / SETTLE_DT - 1e-9)
        )  # steps simulated before checking
        steps = 0
        with self.sim.coarse_steps(SETTLE_DT, SETTLE_SOLVER_ITERATIONS) as step:
            robot.hold_with_motors(joints)
            still_steps = 0
            for steps in range(1, int(round(max_seconds / SETTLE_DT)) + 1):
                step()
                (vx, vy, vz), (wx, wy, wz) = get_velocity(body)
                if (
                    steps >= first_check
                    and vx * vx + vy * vy + vz * vz < linear_limit
                    and wx * wx + wy * wy + wz * wz < angular_limit
                ):
                    still_steps += 1
                    if still_steps >= STILL_STEPS:
                        break
                else:
                    still_steps = 0
            robot.release_motors()
        self.settle_steps = steps
        robot.read_joints()

    def start_episode(self) -> None:
        """Zero the per-episode accumulators and refresh the cached state."""
        self.action[:] = 0.0
        self.previous_action[:] = 0.0
        self.energy = 0.0
        self.peak_torque = 0.0
        self.step_energy = 0.0
        self._refresh_state()

    # -- acting ----------------------------------------------------------------
    def apply_action(self, action: np.ndarray) -> None:
        """Move the joint targets towards the action's targets, at most ``max_target_speed``."""
        self.previous_action = self.action
        self.action = action
        current = self.robot.targets
        wanted = self.spec.action_to_targets(action)
        self.robot.set_targets(
            current + np.clip(wanted - current, -self.max_target_step, self.max_target_step)
        )

    def advance(self, substeps: int) -> None:
        """Run the control step's physics steps, accounting energy (Σ |τ·q̇| dt) and peak torque."""
        robot = self.robot
        torques, speeds = [], []
        for _ in range(substeps):
            robot.step_physics()
            torques.append(robot.last_torque)
            speeds.append(robot.qd)
        torque = np.array(torques)
        self.step_energy = float(np.abs(torque * np.array(speeds)).sum()) * self.physics_dt
        self.peak_torque = max(self.peak_torque, float(np.abs(torque).max()))

    def after_step(self) -> None:
        self.energy += self.step_energy
        self._refresh_state()

    def _refresh_state(self) -> None:
        """Read the base pose and velocity once and derive the IMU readings from them."""
        self.base_position, orientation = self.robot.base_pose()
        self.base_linear_velocity, angular = self.robot.base_velocity()
        self.rotation = quat_to_matrix(orientation)
        self.gyro = self.rotation.T @ angular
        self.gravity = -self.rotation[2]

    # -- sensing ---------------------------------------------------------------
    def observe(self) -> np.ndarray:
        return self.proprioception()

    def proprioception_parts(self) -> list[Any]:
        """The proprioception fields' raw values, in layout order."""
        robot = self.robot
        return [self.gyro, self.gravity, robot.q - self.spec.home, robot.qd, self.action]

    def proprioception(self) -> np.ndarray:
        """Gyro, projected gravity, joints − home, joint speeds, last action: clipped to the sensor
        ranges."""
        return self.proprioception_layout.assemble(self.proprioception_parts())

    def joint_limit_violation(self) -> float:
        """Radians by which joints stand outside the soft (95 %) range, summed."""
        q = self.robot.q
        return float(
            (np.maximum(self.soft_lower - q, 0.0) + np.maximum(q - self.soft_upper, 0.0)).sum()
        )

    def physics_error(self) -> str | None:
        robot = self.robot
        state = np.concatenate(
            [self.base_position, self.base_linear_velocity, self.gyro, robot.q, robot.qd]
        )
        if not np.isfinite(state).all():
            return "non-finite robot state"
        speed = float(np.linalg.norm(self.base_linear_velocity))
        if speed > MAX_BASE_SPEED:
            return f"base speed {speed:.1f} m/s exceeds {MAX_BASE_SPEED} m/s"
        joint_speed = float(np.abs(robot.qd).max())
        if joint_speed > MAX_JOINT_SPEED:
            return f"joint speed {joint_speed:.1f} rad/s exceeds {MAX_JOINT_SPEED} rad/s"
        return None

    def camera_target(self) -> np.ndarray:
        position = self.base_position.copy()
        position[2] = max(position[2], 0.15)
        return position
