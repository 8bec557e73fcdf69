"""``robodojo sim-robot``: PyBullet plays the robot's ROS 2 driver, so a deployment can be
rehearsed.

It builds the scenario's env (same robot, scene, gains and physics as
training), lets the robot fall as an episode's reset does (``--seed`` picks
the fall), and then runs in real time at the env's control rate:

* every control period it applies the latest command as PD targets and runs
  the env's physics substeps (5 × 4 ms for fall recovery: explicit,
  torque-limited PD, exactly ``QuadrupedTask.advance``);
* it publishes ``sensor_msgs/Imu`` on ``/imu`` (orientation world ← body,
  angular velocity in the body frame, linear acceleration as an
  accelerometer reads it: specific force in the body frame) and
  ``sensor_msgs/JointState`` on ``/joint_states`` (names, positions,
  velocities, efforts) with sensor-data QoS, stamped with the simulated time
  of the sample (wall clock at the start + ticks × period);
* it subscribes ``/<controller>/commands`` (``std_msgs/Float64MultiArray``,
  ros2_control's forward command controller) and reads the array in *its own*
  configured joint order (``--joints``), as a real controller does. A command
  of the wrong length or with NaN/inf is rejected with a log line and the
  previous targets stay. Until the first command it holds the pose it fell in.

It reports what happened in a JSON status file (``--status``), rewritten
atomically a few times a second and at exit: whether the robot is upright,
its height, whether it has stood (the env's success: upright and ≥ 0.8 ×
standing height held for 1 s), the time from the first command to the start
of that stance (the env's ``time_to_stand``), commands received and rejected,
and how well it kept real time (ticks late by more than a quarter period, the
worst lateness). If the machine cannot keep up it slows down rather than
skipping physics, and says so.
"""

from __future__ import annotations

import json
import math
import os
import signal
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, cast

import numpy as np

from robodojo.bridge import messages as m
from robodojo.bridge.connect import open_transport
from robodojo.bridge.transport import DEFAULT_QOS, SENSOR_QOS
from robodojo.envs import RobotTaskEnv, resolve_env_id
from robodojo.envs import make as make_env
from robodojo.robots import get_robot_spec

#: A tick starting this fraction of a period late counts as late.
LATE_FRACTION = 0.25
STATUS_PERIOD = 0.2  # s between status-file rewrites


class SimRobot:
    """The simulated robot driver. ``run()`` blocks until ``stop()``, ``duration`` or
    ``exit_after_stand``."""

    def __init__(
        self,
        transport: Any,
        robot: str = "a1",
        scenario: str = "fall_recovery",
        seed: int | None = None,
        controller: str = "forward_position_controller",
        joints: Sequence[str] | None = None,
        status_path: str | None = None,
        log=None,
        joint_states_topic: str = "/joint_states",
        imu_topic: str = "/imu",
    ) -> None:
        self.m = m
        self.log = log or (lambda text: print(f"sim-robot: {text}", file=sys.stderr, flush=True))
        self.env_id = resolve_env_id(scenario)
        self.env = make_env(self.env_id, robot=robot)
        self.base = cast(RobotTaskEnv, self.env.unwrapped)
        # the scenario's quadruped task (standing_now, gyro, ...): whichever env, so untyped
        self.task = cast(Any, self.base.task)
        self.spec = self.task.spec
        self.robot_name = robot
        self.seed = seed
        self.dt = self.base.control_dt
        self.substeps = self.base.substeps
        names = list(self.spec.joint_names)
        self.joints = list(joints) if joints else names
        if sorted(self.joints) != sorted(names):
            raise ValueError(
                f"--joints must list each of {robot}'s joints once: {', '.join(names)}"
            )
        #: spec index of each joint in this driver's order
        self.order = np.array([names.index(j) for j in self.joints])
        self.status_path = status_path
        self.command_topic = f"/{controller}/commands"

        self.env.reset(seed=seed)
        self.robot = self.task.robot
        self._lock = threading.Lock()
        self._pending: np.ndarray | None = None
        self.commands = 0
        self.rejected = 0
        self.last_rejection: str | None = None
        self._stop = threading.Event()

        self.topics = (joint_states_topic, imu_topic)
        self.imu_pub = transport.publisher(imu_topic, m.Imu, SENSOR_QOS)
        self.joint_pub = transport.publisher(joint_states_topic, m.JointState, SENSOR_QOS)
        transport.subscribe(self.command_topic, m.Float64MultiArray, self._on_command, DEFAULT_QOS)

        self.ticks = 0
        self.first_command_tick: int | None = None
        self.held = 0
        self.stand_start: int | None = None
        self.stood_tick: int | None = None
        self.late_ticks = 0
        self.max_lateness = 0.0
        self.slips = 0
        self._previous_velocity = np.zeros(3)
        self.started_wall = time.time()
        self._last_status = -math.inf

    # -- commands -----------------------------------------------------------------------------
    def _on_command(self, msg: Any) -> None:
        data = list(msg.data)
        if len(data) != len(self.joints):
            self._reject(
                f"command has {len(data)} values for {len(self.joints)} joints "
                f"({', '.join(self.joints)})"
            )
            return
        values = np.asarray(data, dtype=np.float64)
        if not np.isfinite(values).all():
            self._reject(
                "command has NaN/inf for "
                f"{', '.join(self.joints[i] for i in np.flatnonzero(~np.isfinite(values)))}"
            )
            return
        targets = np.empty(len(values))
        targets[self.order] = values  # this driver's order -> the robot's
        with self._lock:
            self._pending = targets
            self.commands += 1

    def _reject(self, reason: str) -> None:
        with self._lock:
            self.rejected += 1
            count = self.rejected
            self.last_rejection = reason
        if count <= 3 or count % 100 == 0:
            self.log(f"rejected command #{count}: {reason}; keeping the previous targets")

    def stop(self) -> None:
        self._stop.set()

    # -- the loop -------------------------------------------------------------------------------
    def run(
        self, duration: float | None = None, exit_after_stand: float | None = None
    ) -> dict[str, Any]:
        dt = self.dt
        start = time.perf_counter()
        self.started_wall = time.time()
        self.log(
            f"{self.robot_name} on {self.env_id} (seed {self.seed}) lies "
            f"{self._describe_pose()}; publishing {self.topics[0]} and {self.topics[1]} "
            f"at {1 / dt:g} Hz, "
            f"listening on {self.command_topic} for {', '.join(self.joints)}"
        )
        self._publish()
        self._write_status(force=True)
        next_tick = start + dt
        try:
            while not self._stop.is_set():
                now = time.perf_counter()
                if now < next_tick:
                    time.sleep(next_tick - now)
                    now = time.perf_counter()
                lateness = now - next_tick
                self.max_lateness = max(self.max_lateness, lateness)
                if lateness > LATE_FRACTION * dt:
                    self.late_ticks += 1
                if lateness > dt:  # fell behind by a whole period: slow down instead of bursting
                    self.slips += 1
                    next_tick = now
                next_tick += dt
                self._tick()
                self._publish()
                self._write_status()
                elapsed = self.ticks * dt
                if duration is not None and elapsed >= duration:
                    break
                if (
                    exit_after_stand is not None
                    and self.stood_tick is not None
                    and (self.ticks - self.stood_tick) * dt >= exit_after_stand
                ):
                    break
        finally:
            status = self._write_status(force=True)
            assert status is not None  # force=True always writes and returns it
            self.log(f"stopped: {json.dumps(status)}")
            self.env.close()
        return status

    def _tick(self) -> None:
        with self._lock:
            pending, self._pending = self._pending, None
        if pending is not None:
            self.robot.set_targets(pending)
            if self.first_command_tick is None:
                self.first_command_tick = self.ticks
                self.log("first command received: the clock for time-to-stand starts")
        self.task.advance(self.substeps)
        self.task.after_step()
        self.ticks += 1
        if self.first_command_tick is not None:
            self._track_stance()

    def _track_stance(self) -> None:
        """The env's success rule, counted from the first command: stand held for hold_seconds."""
        task, first_command_tick = self.task, self.first_command_tick
        assert first_command_tick is not None  # _tick calls this only once a command arrived
        if task.standing_now:
            if self.held == 0:
                self.stand_start = self.ticks - first_command_tick
            self.held += 1
            if self.held >= task.hold_samples and self.stood_tick is None:
                assert self.stand_start is not None  # set as this stance began (held == 0)
                self.stood_tick = self.ticks
                self.log(
                    f"STOOD: upright and at height for {task.hold_samples - 1} periods; "
                    f"time to stand {self.stand_start * self.dt:.2f} s after the first command"
                )
        else:
            self.held = 0

    def _publish(self) -> None:
        stamp = self.started_wall + self.ticks * self.dt
        linear, _ = self.robot.base_velocity()
        acceleration = (linear - self._previous_velocity) / self.dt if self.ticks else np.zeros(3)
        self._previous_velocity = linear
        self.imu_pub.publish(imu_message(self.task, stamp, acceleration))
        self.joint_pub.publish(joint_state_message(self.task, stamp, self.joints, self.order))

    # -- reporting --------------------------------------------------------------------------------
    def _describe_pose(self) -> str:
        up = float(self.task.rotation[2, 2])
        return "on its back" if up < -0.5 else ("on its belly/feet" if up > 0.5 else "on its side")

    def status(self) -> dict[str, Any]:
        task, dt = self.task, self.dt
        up = float(task.rotation[2, 2])
        height = float(task.base_position[2])
        stood = self.stood_tick is not None
        # standing (stood_tick) implies its stance's start (stand_start) was recorded
        time_to_stand = self.stand_start * dt if self.stand_start is not None and stood else None
        if self.first_command_tick is None:
            state = "waiting_for_commands"
        else:
            state = "stood" if stood else "running"
        with self._lock:
            commands, rejected, last_rejection = self.commands, self.rejected, self.last_rejection
        return {
            "robot": self.robot_name,
            "env_id": self.env_id,
            "seed": self.seed,
            "state": state,
            "stood": stood,
            "time_to_stand": time_to_stand,
            "upright": up >= task.upright_threshold,
            "up_z": round(up, 4),
            "height": round(height, 4),
            "height_fraction": round(height / self.spec.standing_height, 4),
            "standing_now": bool(task.standing_now),
            "seconds_since_first_command": None
            if self.first_command_tick is None
            else round((self.ticks - self.first_command_tick) * dt, 3),
            "commands_received": commands,
            "commands_rejected": rejected,
            "last_rejection": last_rejection,
            "joints": self.joints,
            "ticks": self.ticks,
            "control_dt": dt,
            "late_ticks": self.late_ticks,
            "slips": self.slips,
            "max_lateness_ms": round(self.max_lateness * 1e3, 3),
            "realtime": self.slips == 0,
            "pid": os.getpid(),
        }

    def _write_status(self, force: bool = False) -> dict[str, Any] | None:
        now = time.monotonic()
        if not force and now - self._last_status < STATUS_PERIOD:
            return None
        self._last_status = now
        status = self.status()
        if self.status_path:
            path = Path(self.status_path)
            tmp = path.with_name(path.name + ".tmp")
            tmp.write_text(json.dumps(status, indent=1) + "\n", encoding="utf-8")
            os.replace(tmp, path)
        return status


def imu_message(task: Any, stamp: float, acceleration: np.ndarray | None = None) -> Any:
    """``sensor_msgs/Imu`` for a quadruped task's current state (after ``after_step``/reset).

    orientation: the base's world <- body quaternion; angular_velocity: the env's
    gyro (body frame); linear_acceleration: what an accelerometer reads, the
    specific force Rᵀ(a − g) in the body frame (``acceleration``: world-frame, m/s²).
    """
    _, orientation = task.robot.base_pose()
    gravity = np.array([0.0, 0.0, task.sim.gravity])
    acceleration = np.zeros(3) if acceleration is None else acceleration
    specific_force = task.rotation.T @ (acceleration - gravity)
    return m.Imu(
        header=m.Header(stamp=m.Time.from_seconds(stamp), frame_id="imu_link"),
        orientation=m.Quaternion(*(float(v) for v in orientation)),
        angular_velocity=m.Vector3(*(float(v) for v in task.gyro)),
        linear_acceleration=m.Vector3(*(float(v) for v in specific_force)),
    )


def joint_state_message(
    task: Any, stamp: float, joints: Sequence[str] | None = None, order: np.ndarray | None = None
) -> Any:
    """``sensor_msgs/JointState`` for a quadruped task's robot: ``joints`` (names) with spec
    indices ``order``."""
    robot = task.robot
    if joints is None:
        joints, order = list(task.spec.joint_names), np.arange(task.spec.num_joints)
    return m.JointState(
        header=m.Header(stamp=m.Time.from_seconds(stamp)),
        name=list(joints),
        position=[float(v) for v in robot.q[order]],
        velocity=[float(v) for v in robot.qd[order]],
        effort=[float(v) for v in robot.last_torque[order]],
    )


def run_sim_robot(args: Any) -> int:
    """The ``sim-robot`` command (see :mod:`robodojo.cli.bridge`)."""
    resolve_env_id(args.scenario)
    joints = [j.strip() for j in args.joints.split(",")] if args.joints else None
    # check the arguments before joining the network
    names = list(get_robot_spec(args.robot).joint_names)
    if joints is not None and sorted(joints) != sorted(names):
        raise ValueError(
            f"--joints must list each of {args.robot}'s joints once: {', '.join(names)}"
        )
    transport = open_transport(args.transport, args.domain, node_name="robodojo_sim_robot")
    try:
        sim = SimRobot(
            transport,
            robot=args.robot,
            scenario=args.scenario,
            seed=args.seed,
            controller=args.controller,
            joints=joints,
            status_path=args.status,
            joint_states_topic=args.joint_states_topic,
            imu_topic=args.imu_topic,
        )
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: sim.stop())
        status = sim.run(duration=args.duration, exit_after_stand=args.exit_after_stand)
    finally:
        transport.close()
    if not status.get("realtime", True):
        print(
            f"sim-robot: warning: fell behind real time {status['slips']} times "
            f"(worst lateness {status['max_lateness_ms']:.1f} ms)",
            file=sys.stderr,
        )
    return 0
