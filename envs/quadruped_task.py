"""What every quadruped scenario shares: scene, drop, PD actuation, proprioception."""

from __future__ import annotations

import numpy as np

from robodojo.envs.base import Task
from robodojo.envs.sim import Sim
from robodojo.robots import Quadruped, QuadrupedSpec

#: Speeds past these mean the solver has blown up, not that the robot is fast.
MAX_BASE_SPEED = 50.0  # m/s
MAX_JOINT_SPEED = 500.0  # rad/s
#: Sensor ranges: observations are clipped to them (real IMUs and encoders saturate too).
GYRO_RANGE = 50.0  # rad/s
JOINT_SPEED_RANGE = 60.0  # rad/s
#: Coarse timestep and minimum duration of the pre-episode fall simulation.
SETTLE_DT = 0.02
MIN_SETTLE_SECONDS = 0.1
#: Fraction of each joint's range, centred, inside which no joint-limit penalty applies.
SOFT_LIMIT_FRACTION = 0.95


class QuadrupedTask(Task):
    """Base for quadruped scenarios on flat ground.

    Actions are joint targets in [-1, 1] (see ``QuadrupedSpec.action_to_targets``),
    rate-limited to ``max_target_speed``. Observations are proprioception only:
    gyro, projected gravity, joint positions − home, joint velocities, last action.
    """

    def __init__(self, spec: QuadrupedSpec, max_target_speed: float, control_dt: float, physics_dt: float) -> None:
        if max_target_speed <= 0:
            raise ValueError(f"max_target_speed must be > 0, got {max_target_speed}")
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
        self.observation_low, self.observation_high = self.proprioception_bounds()

    def proprioception_bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """Bounds of :meth:`observe`: gyro, gravity, joints − home, joint speeds, last action."""
        spec = self.spec
        n = spec.num_joints
        low = np.concatenate([np.full(3, -GYRO_RANGE), -np.ones(3), spec.lower - spec.home, np.full(n, -JOINT_SPEED_RANGE), -np.ones(n)])
        high = np.concatenate([np.full(3, GYRO_RANGE), np.ones(3), spec.upper - spec.home, np.full(n, JOINT_SPEED_RANGE), np.ones(n)])
        return low.astype(np.float32), high.astype(np.float32)

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
        The fall is simulated at a coarse timestep with implicit motors until
        the base is still (or ``max_settle_seconds``): this keeps reset cheap,
        and the episode itself runs at the fine timestep under PD torques.
        """
        spec = self.spec
        client = self.sim.client
        roll, yaw = rng.uniform(-np.pi, np.pi, size=2)
        pitch = rng.uniform(-np.pi / 4, np.pi / 4)
        joints = rng.uniform(spec.lower, spec.upper)
        clearance = rng.uniform(0.02, 0.20)
        orientation = client.getQuaternionFromEuler([roll, pitch, yaw])
        self.robot.reset([0.0, 0.0, 1.0], orientation, joints)
        lowest = min(client.getAABB(self.robot.body_id, link)[0][2] for link in range(-1, client.getNumJoints(self.robot.body_id)))
        self.robot.reset([0.0, 0.0, 1.0 - lowest + clearance], orientation, joints)
        self._settle(joints, max_settle_seconds)
        self.start_episode()

    def _settle(self, joints: np.ndarray, max_seconds: float) -> None:
        client = self.sim.client
        self.sim.set_timestep(SETTLE_DT)
        self.robot.hold_with_motors(joints)
        still_steps = 0
        for step in range(int(round(max_seconds / SETTLE_DT))):
            self.sim.step()
            linear, angular = client.getBaseVelocity(self.robot.body_id)
            if step * SETTLE_DT >= MIN_SETTLE_SECONDS and _norm2(linear) < 0.05**2 and _norm2(angular) < 0.1**2:
                still_steps += 1
                if still_steps >= 3:
                    break
            else:
                still_steps = 0
        self.robot.release_motors()
        self.sim.set_timestep(self.physics_dt)
        self.robot.read_joints()

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
        self.previous_action = self.action
        self.action = action
        wanted = self.spec.action_to_targets(action)
        current = self.robot.targets
        self.robot.set_targets(current + np.clip(wanted - current, -self.max_target_step, self.max_target_step))
        self.step_energy = 0.0

    def step_physics(self) -> None:
        self.robot.step_physics()
        torque = self.robot.last_torque
        self.step_energy += float(np.sum(np.abs(torque * self.robot.qd))) * self.physics_dt
        self.peak_torque = max(self.peak_torque, float(np.max(np.abs(torque))))

    def after_step(self) -> None:
        self.energy += self.step_energy
        self._refresh_state()

    def _refresh_state(self) -> None:
        self.base_position, _ = self.robot.base_pose()
        self.base_linear_velocity, _ = self.robot.base_velocity()
        self.gyro, self.gravity, self.rotation = self.robot.imu()

    # -- sensing ---------------------------------------------------------------
    def observe(self) -> np.ndarray:
        robot = self.robot
        raw = np.concatenate([self.gyro, self.gravity, robot.q - self.spec.home, robot.qd, self.action])
        return np.clip(raw.astype(np.float32), self.observation_low, self.observation_high)

    def joint_limit_violation(self) -> float:
        """Radians by which joints stand outside the soft (95 %) range, summed."""
        q = self.robot.q
        return float(np.sum(np.maximum(self.soft_lower - q, 0.0) + np.maximum(q - self.soft_upper, 0.0)))

    def physics_error(self) -> str | None:
        state = np.concatenate([self.base_position, self.base_linear_velocity, self.gyro, self.robot.q, self.robot.qd])
        if not np.all(np.isfinite(state)):
            return "non-finite robot state"
        if np.linalg.norm(self.base_linear_velocity) > MAX_BASE_SPEED:
            return f"base speed {np.linalg.norm(self.base_linear_velocity):.1f} m/s exceeds {MAX_BASE_SPEED} m/s"
        if np.max(np.abs(self.robot.qd)) > MAX_JOINT_SPEED:
            return f"joint speed {np.max(np.abs(self.robot.qd)):.1f} rad/s exceeds {MAX_JOINT_SPEED} rad/s"
        return None

    def camera_target(self) -> np.ndarray:
        position = self.base_position.copy()
        position[2] = max(position[2], 0.15)
        return position


def _norm2(vector) -> float:
    return vector[0] * vector[0] + vector[1] * vector[1] + vector[2] * vector[2]
