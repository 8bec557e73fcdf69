"""What every quadruped scenario shares: scene, drop, PD actuation, proprioception."""

from __future__ import annotations

from itertools import chain

import numpy as np

from robodojo.envs.base import Task, ufunc_clip
from robodojo.envs.sim import Sim
from robodojo.robots import Quadruped, QuadrupedSpec

#: Speeds past these mean the solver has blown up, not that the robot is fast.
MAX_BASE_SPEED = 50.0  # m/s
MAX_JOINT_SPEED = 500.0  # rad/s
#: Sensor ranges: observations are clipped to them (real IMUs and encoders saturate too).
GYRO_RANGE = 50.0  # rad/s
JOINT_SPEED_RANGE = 60.0  # rad/s
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

# Plain ufuncs: np.sum / np.max / np.clip add ~1 µs of Python wrapper per call.
_add_reduce = np.add.reduce
_chain = chain.from_iterable
_max_reduce = np.maximum.reduce
_absolute = np.absolute
_subtract = np.subtract
_multiply = np.multiply
_maximum = np.maximum
#: A base speed below this cannot exceed MAX_BASE_SPEED: skips the exact norm on the hot path.
_BASE_SPEED_PREFILTER = (0.99 * MAX_BASE_SPEED) ** 2


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
        # Per-joint floats for apply_action: the same numbers spec.action_to_targets computes with.
        self._target_map = tuple(
            zip(
                spec.home.tolist(),
                (spec.upper - spec.home).tolist(),
                (spec.home - spec.lower).tolist(),
                spec.lower.tolist(),
                spec.upper.tolist(),
            )
        )

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
        """Simulate the fall (motors holding ``joints``) until the base is at rest; sets ``settle_steps``."""
        robot = self.robot
        body = robot.body_id
        get_velocity = self.sim.client.getBaseVelocity
        linear_limit = STILL_LINEAR_SPEED**2
        angular_limit = STILL_ANGULAR_SPEED**2
        first_check = int(np.ceil(MIN_SETTLE_SECONDS / SETTLE_DT - 1e-9))  # steps simulated before checking
        steps = 0
        with self.sim.coarse_steps(SETTLE_DT, SETTLE_SOLVER_ITERATIONS) as step:
            robot.hold_with_motors(joints)
            still_steps = 0
            for steps in range(1, int(round(max_seconds / SETTLE_DT)) + 1):
                step()
                (vx, vy, vz), (wx, wy, wz) = get_velocity(body)
                if steps >= first_check and vx * vx + vy * vy + vz * vz < linear_limit and wx * wx + wy * wy + wz * wz < angular_limit:
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
        """Targets = current + clip(action_to_targets(action) − current, ±max step), within the joint limits.

        Computed on floats, with the same operations in the same order as the
        numpy expression (``np.where`` / ``np.clip`` semantics), so bit for bit equal.
        """
        self.previous_action = self.action
        self.action = action
        step = self.max_target_step
        targets = []
        append = targets.append
        actions = np.asarray(action, dtype=np.float64).tolist()
        for a, current, (home, above, below, lower, upper) in zip(actions, self.robot.targets.tolist(), self._target_map):
            change = (home + a * above if a >= 0 else home + a * below) - current
            if change > -step:
                change = change if change < step else step
            elif change == change:  # NaN stays NaN, as in np.clip
                change = -step
            target = current + change
            if target > lower:
                target = target if target < upper else upper
            elif target == target:
                target = lower
            append(target)
        self.robot.targets = np.array(targets)
        self.step_energy = 0.0

    def step_physics(self) -> None:
        self.robot.step_physics()
        torque = self.robot.last_torque
        self.step_energy += float(np.sum(np.abs(torque * self.robot.qd))) * self.physics_dt
        self.peak_torque = max(self.peak_torque, float(np.max(np.abs(torque))))

    def advance(self, substeps: int) -> None:
        """``substeps`` × :meth:`step_physics`, with the energy and peak-torque bookkeeping batched."""
        torques, velocities = self.robot.step_substeps(substeps)
        count = substeps * self.spec.num_joints
        torque = np.fromiter(_chain(torques), np.float64, count).reshape(substeps, -1)
        velocity = np.fromiter(_chain(velocities), np.float64, count).reshape(substeps, -1)
        # Row-wise reductions: the same pairwise sums and maxima as per-substep np.sum / np.max.
        energies = _add_reduce(_absolute(_multiply(torque, velocity)), axis=1).tolist()
        peaks = _max_reduce(_absolute(torque), axis=1).tolist()
        dt = self.physics_dt
        energy = self.step_energy
        peak = self.peak_torque
        for step_energy, step_peak in zip(energies, peaks):
            energy += step_energy * dt
            peak = max(peak, step_peak)
        self.step_energy = energy
        self.peak_torque = peak

    def after_step(self) -> None:
        self.energy += self.step_energy
        self._refresh_state()

    def _refresh_state(self) -> None:
        """Read the base pose and velocity once and derive the IMU readings from them."""
        position, orientation, linear, angular = self.robot.base_state()
        self._base_raw = (position, linear)
        self.base_position = np.array(position)
        self.base_linear_velocity = np.array(linear)
        rotation = _rotation_matrix(orientation)
        self.gyro = rotation.T @ np.array(angular)
        self.gravity = -rotation[2]
        self.rotation = rotation

    # -- sensing ---------------------------------------------------------------
    def observe(self) -> np.ndarray:
        robot = self.robot
        raw = np.concatenate([self.gyro, self.gravity, _subtract(robot.q, self.spec.home), robot.qd, self.action])
        observation = raw.astype(np.float32)
        return ufunc_clip(observation, self.observation_low, self.observation_high, out=observation)

    def joint_limit_violation(self) -> float:
        """Radians by which joints stand outside the soft (95 %) range, summed."""
        q = self.robot.q
        return float(_add_reduce(_maximum(_subtract(self.soft_lower, q), 0.0) + _maximum(_subtract(q, self.soft_upper), 0.0)))

    def physics_error(self) -> str | None:
        qd = self.robot.qd.tolist()
        position, linear = self._base_raw
        # Fast path: a finite sum means every term is finite; otherwise look closely.
        total = sum(self.robot.q.tolist()) + sum(qd) + sum(self.gyro.tolist()) + sum(position) + sum(linear)
        if total - total != 0.0:
            state = np.concatenate([self.base_position, self.base_linear_velocity, self.gyro, self.robot.q, self.robot.qd])
            if not np.all(np.isfinite(state)):
                return "non-finite robot state"
        vx, vy, vz = linear
        if vx * vx + vy * vy + vz * vz > _BASE_SPEED_PREFILTER and np.linalg.norm(self.base_linear_velocity) > MAX_BASE_SPEED:
            return f"base speed {np.linalg.norm(self.base_linear_velocity):.1f} m/s exceeds {MAX_BASE_SPEED} m/s"
        if max(map(abs, qd)) > MAX_JOINT_SPEED:
            return f"joint speed {np.max(np.abs(self.robot.qd)):.1f} rad/s exceeds {MAX_JOINT_SPEED} rad/s"
        return None

    def camera_target(self) -> np.ndarray:
        position = self.base_position.copy()
        position[2] = max(position[2], 0.15)
        return position


def _rotation_matrix(quaternion) -> np.ndarray:
    """``robots.base.quat_to_matrix`` (the same arithmetic, so the same bits), built from a flat list: faster."""
    x, y, z, w = quaternion
    return np.array(
        [
            1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w),
            2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w),
            2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y),
        ]
    ).reshape(3, 3)
