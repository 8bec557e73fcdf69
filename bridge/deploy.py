"""``robodojo deploy``: run an exported policy against ROS 2 topics, behind the safety layer.

Two halves:

* :class:`DeployCore` — pure logic, no transport, no clock of its own: messages
  and the time go in (``on_joint_state``, ``on_imu``, ``on_enable``,
  ``on_estop``, ``poll(now)``), commands and events come out. Everything the
  bridge decides (observation, timing, safety) is here and unit-tested.
* :class:`~robodojo.bridge.deploy_node.DeployNode` — wires a core to a
  :class:`~robodojo.bridge.transport.Transport`:
  subscribes ``/joint_states`` and ``/imu`` (sensor-data QoS), ``/robodojo/enable``
  and ``/robodojo/estop``, publishes ``std_msgs/Float64MultiArray`` on
  ``/<controller>/commands`` in the controller's joint order, and logs.

**Timing.** The policy steps on the robot's state, once per control period:
a step runs as soon as a JointState *and* an Imu newer than those of the last
step have arrived. A driver publishing at the control rate (the JointState
header stamps say so) gets one step per message pair — the command computed
from state k reaches it before state k + 1, as in the env. A faster driver
(500 Hz) gets one step every ``control_dt`` of its own clock, on the state
stamped nearest each slot. Drivers that leave stamps at zero are timed by
arrival instead. The watchdog
uses arrival times on this machine (monotonic clock), never stamps, and the
node wakes exactly at its deadline, not at the next tick.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from robodojo.bridge.observation import (
    ImuReading,
    JointReading,
    ObservationBuilder,
    RejectedMessage,
)
from robodojo.bridge.safety import (
    DAMP,
    HOLD,
    CommandFilter,
    SafetyConfig,
    Watchdog,
    damp_targets,
    is_finite,
    tilt_exceeded,
)

# Modes
WAITING_FOR_ENABLE = "waiting_for_enable"
WAITING_FOR_STATE = "waiting_for_state"
RUNNING = "running"
SAFE = "safe"

#: A driver whose JointState period is below this fraction of the control period is "fast":
#: decimated.
FAST_DRIVER = 0.75
#: ... and above this multiple, "slow": the policy then runs at the driver's rate, and the log
#: says so.
SLOW_DRIVER = 1.5
#: While waiting, say so this often (s).
WAITING_LOG_PERIOD = 5.0


@dataclass
class Command:
    """One command to publish: targets in the *controller's* joint order."""

    targets: np.ndarray  #: controller order
    mode: str  #: RUNNING or SAFE
    reason: str | None = None  #: the safe state's cause
    action: str | None = None  #: "policy", HOLD or DAMP
    stamp: float | None = None  #: the JointState stamp a policy step was computed from


@dataclass
class Event:
    kind: str  #: "info", "reject", "safe", "resume", "fault", "waiting", "step"
    message: str
    time: float
    data: dict[str, Any] = field(default_factory=dict)


class DeployCore:
    """State in → command out, with the safety layer; see the module docstring for timing.

    Args:
        builder: reads messages into observations (the policy's joint order).
        policy: callable env observation → action (an exported policy, composed residuals included).
        action_to_targets: the spec's mapping from actions to joint targets.
        action_low / action_high: the action space (actions are clipped into it, as the env does).
        config: the safety settings.
        command_joints: the controller's joint names, in its order (a permutation of the policy's).
        enabled: start enabled (``--enable``).
    """

    def __init__(
        self,
        builder: ObservationBuilder,
        policy: Callable[[np.ndarray], np.ndarray],
        action_to_targets: Callable[[np.ndarray], np.ndarray],
        action_low: np.ndarray,
        action_high: np.ndarray,
        config: SafetyConfig,
        command_joints: Sequence[str] | None = None,
        enabled: bool = False,
        reset_policy: Callable[[], None] | None = None,
    ) -> None:
        self.builder = builder
        #: whether commands would reach the robot (the node: a subscriber matched the command topic)
        self.ready: Callable[[], bool] = lambda: True
        self.policy = policy
        self.reset_policy = reset_policy or (lambda: None)
        self.action_to_targets = action_to_targets
        self.action_low = np.asarray(action_low, dtype=np.float32)
        self.action_high = np.asarray(action_high, dtype=np.float32)
        self.config = config
        self.dt = config.control_dt
        joints = builder.joints
        command_joints = list(command_joints) if command_joints else list(joints)
        extra = [j for j in command_joints if j not in joints]
        missing = [j for j in joints if j not in command_joints]
        if extra or missing or len(set(command_joints)) != len(command_joints):
            raise ValueError(
                "the controller's joints must name each of the policy's joints once"
                + (f"; unknown to the policy: {', '.join(extra)}" if extra else "")
                + (f"; missing: {', '.join(missing)}" if missing else "")
            )
        self.command_joints = command_joints
        #: command[i] = policy_targets[order[i]]
        self.order = np.array([joints.index(j) for j in command_joints])
        self.filter = CommandFilter(config)
        self.joint_watchdog = Watchdog(config.stale_timeout)
        self.imu_watchdog = Watchdog(config.stale_timeout)

        self.enabled = enabled or not config.require_enable
        self._enable_released = True  # an enable true now is an edge
        self._said: set[str] = set()
        self.estop = False
        self.mode = WAITING_FOR_ENABLE if not self.enabled else WAITING_FOR_STATE
        self.safe_reason: str | None = None
        self.safe_action: str | None = None
        self.latched = False
        self.events: list[Event] = []
        self.rejections: Counter[str] = Counter()
        self.steps = 0
        self.safe_commands = 0

        self.joints: JointReading | None = None
        self.imu: ImuReading | None = None
        self._joint_seq = self._imu_seq = 0  # messages accepted
        self._used_joint_seq = self._used_imu_seq = 0  # those the last step used
        self._joint_time = self._imu_time = 0.0  # monotonic arrival of the latest
        self._slot: float | None = None  # a fast driver: the stamp the next step waits for
        self._period: float | None = None  # the driver's JointState period (stamps), smoothed
        self._last_stamp: float | None = None
        self._last_command: np.ndarray | None = None  # policy order
        self._previous_action = np.zeros(len(joints), dtype=np.float32)
        self._next_safe_publish = 0.0
        self._fresh_since_trip = 0
        self._seen_joint_seq = 0
        self._last_waiting_log = -math.inf
        self.last_step_latency: float | None = None
        self.last_observation: np.ndarray | None = None

    # -- inputs -------------------------------------------------------------------------------
    def on_joint_state(self, msg: Any, now: float) -> str | None:
        """Take a JointState; returns the rejection reason, or None if accepted."""
        try:
            reading = self.builder.read_joint_state(msg)
        except RejectedMessage as error:
            return self._reject("JointState", str(error), now)
        if reading.stamp <= 0.0:
            reading = JointReading(reading.position, reading.velocity, now)
        if self.joints is not None and reading.stamp > self.joints.stamp:
            # the driver's period, smoothed
            delta = reading.stamp - self.joints.stamp
            self._period = delta if self._period is None else 0.8 * self._period + 0.2 * delta
        self.joints = reading
        self._joint_seq += 1
        self._joint_time = now
        self.joint_watchdog.feed(now)
        return None

    def on_imu(self, msg: Any, now: float) -> str | None:
        """Take an Imu; returns the rejection reason, or None if accepted."""
        try:
            reading = self.builder.read_imu(msg)
        except RejectedMessage as error:
            return self._reject("Imu", str(error), now)
        self.imu = reading
        self._imu_seq += 1
        self._imu_time = now
        self.imu_watchdog.feed(now)
        return None

    def on_enable(self, value: bool, now: float) -> None:
        """Operator enable. true arms; false → ``damp`` (latched). A latched stop needs false, then
        true."""
        if not value:
            was_enabled, self.enabled = self.enabled, False
            if was_enabled:
                self._event("info", "operator disable received", now)
                if self.mode != SAFE or not self.latched:
                    self._enter_safe(now, "disabled by the operator", DAMP, latched=True)
            self._enable_released = True
            return
        if self.estop:
            self._say_once(
                now,
                "enable ignored: the e-stop is engaged (publish false on /robodojo/estop first)",
            )
            return
        latched = self.mode == SAFE and self.latched
        if latched and not self._enable_released:
            self._say_once(
                now,
                "enable true ignored: a latched stop clears on a new enable "
                "(publish false, then true)",
            )
            return
        if self.enabled and not latched:
            return  # a repeated true: not an edge
        self.enabled = True
        self._enable_released = False
        self._event("info", "operator enable received", now)
        if self.mode in (WAITING_FOR_ENABLE, SAFE):
            self._rearm(now, "enabled by the operator")

    def on_estop(self, value: bool, now: float) -> None:
        """E-stop: true → ``damp``, latched; false releases it (the operator then re-enables)."""
        if value and not self.estop:
            self.estop = True
            self._enter_safe(now, "e-stop engaged (/robodojo/estop true)", DAMP, latched=True)
        elif not value and self.estop:
            self.estop = False
            self._event(
                "info",
                "e-stop released; damping until the operator re-enables (enable false, then true)",
                now,
            )

    # -- the clock ------------------------------------------------------------------------------
    def poll(self, now: float) -> Command | None:
        """Advance to ``now``: returns the command to publish now, if any (at most one)."""
        if self.mode == WAITING_FOR_ENABLE:
            self._say_waiting(
                now,
                "waiting for enable: publish true on /robodojo/enable (or pass --enable); "
                "nothing is sent until then",
            )
            return None
        if self.mode == WAITING_FOR_STATE:
            if self.joints is None or self.imu is None or self._stale(now):
                self._say_waiting(now, "waiting for fresh /joint_states and /imu")
                return None
            if not self.ready():
                self._say_waiting(
                    now, "waiting for the controller to subscribe to the command topic"
                )
                return None
            self._rearm(now, "state received")
        if self.mode == RUNNING:
            age = self._stale(now)
            if age is not None:
                self._enter_safe(
                    now,
                    f"watchdog: no fresh {age[0]} for {age[1] * 1e3:.1f} ms "
                    f"(limit {self.config.stale_timeout * 1e3:.0f} ms, "
                    f"{age[1] / self.dt:.2f} control periods)",
                    self.config.watchdog_action,
                    latched=self.config.latch_watchdog,
                    data={"stale": age[0], "age": age[1], "watchdog": True},
                )
            else:
                return self._maybe_step(now)
        if self.mode == SAFE:
            return self._safe_command(now)
        return None

    def next_wakeup(self, now: float) -> float:
        """When :meth:`poll` must run next even if no message arrives (the watchdog deadline, a safe
        publish)."""
        times = [now + 0.25]
        if self.mode == RUNNING:
            deadlines = [
                d
                for d in (self.joint_watchdog.deadline(), self.imu_watchdog.deadline())
                if d is not None
            ]
            if deadlines:
                times.append(min(deadlines) + 1e-4)
        elif self.mode == SAFE and self._measured() is not None:
            times.append(self._next_safe_publish)
        return min(times)

    # -- internals ------------------------------------------------------------------------------
    def _stale(self, now: float) -> tuple[str, float] | None:
        for label, watchdog in (("JointState", self.joint_watchdog), ("Imu", self.imu_watchdog)):
            age = watchdog.age(now)  # None until the stream's first message
            if age is None:
                return label, math.inf
            if watchdog.expired(now):
                return label, age
        return None

    def _measured(self) -> np.ndarray | None:
        return None if self.joints is None else self.joints.position

    def _rearm(self, now: float, why: str) -> None:
        if self.joints is None or self.imu is None or self._stale(now):
            self.mode = WAITING_FOR_STATE
            self._event(
                "info", f"armed ({why}); waiting for fresh state before the first step", now
            )
            return
        self.filter.arm(self.joints.position)
        self.reset_policy()
        self._previous_action[:] = 0.0
        self._slot = None
        # the latest pair counts as new
        self._used_joint_seq, self._used_imu_seq = self._joint_seq - 1, self._imu_seq - 1
        self.mode, self.safe_reason, self.safe_action, self.latched = RUNNING, None, None, False
        self._event(
            "resume",
            f"running ({why}): soft start over {self.config.soft_start_seconds:g} s "
            f"from the measured pose",
            now,
        )

    def _maybe_step(self, now: float) -> Command | None:
        if self._joint_seq == self._used_joint_seq or self._imu_seq == self._used_imu_seq:
            return None
        assert self.joints is not None  # RUNNING is entered (_rearm) only with both readings
        stamp, dt = self.joints.stamp, self.dt
        if self._last_stamp is not None and stamp < self._last_stamp - dt:
            self._event(
                "info",
                f"state stamps went back {self._last_stamp - stamp:.3f} s (driver restarted?); "
                "re-syncing",
                now,
            )
            self._last_stamp = self._slot = None
        period = self._period or dt
        if period >= FAST_DRIVER * dt:  # a driver at the control rate: every new state is a step
            if self._last_stamp is not None and stamp <= self._last_stamp:
                return None
            if period > SLOW_DRIVER * dt:
                self._say_once(
                    now,
                    f"/joint_states arrives every {period * 1e3:.0f} ms, slower than the policy's "
                    f"{dt * 1e3:.0f} ms: the policy runs at the driver's rate",
                )
        else:
            # a faster driver: one step per control period of its clock, on the state nearest each
            # slot
            tolerance = 0.5 * period
            if self._slot is None:
                self._slot = stamp if self._last_stamp is None else self._last_stamp + dt
            if stamp >= self._slot + dt - tolerance:  # fell behind (lost messages): re-anchor
                self._slot = stamp
            if stamp < self._slot - tolerance:
                return None
            self._slot += dt
        self._last_stamp = stamp
        self._used_joint_seq, self._used_imu_seq = self._joint_seq, self._imu_seq
        return self._step(now)

    def _step(self, now: float) -> Command | None:
        imu, joints = self.imu, self.joints
        # RUNNING is entered (_rearm) only with both readings, and they are never cleared
        assert imu is not None and joints is not None
        tilt_limit = self.config.tilt_limit
        tilt = tilt_exceeded(imu.gravity, tilt_limit)
        if tilt is not None:
            assert tilt_limit is not None  # tilt_exceeded returns a tilt only under a limit
            self._enter_safe(
                now,
                f"attitude e-stop: tilted {math.degrees(tilt):.0f} deg "
                f"(limit {math.degrees(tilt_limit):.0f} deg)",
                DAMP,
                latched=True,
            )
            return self._safe_command(now)
        observation = self.builder.build(imu, joints, self._previous_action)
        self.last_observation = observation
        raw = np.asarray(self.policy(observation), dtype=np.float64).reshape(-1)
        if raw.shape != self._previous_action.shape or not is_finite(raw):
            self._enter_safe(
                now, f"NaN guard: the policy returned {raw.tolist()}", DAMP, latched=True
            )
            return self._safe_command(now)
        action = np.clip(raw, self.action_low, self.action_high).astype(np.float32)
        try:
            command = self.filter(self.action_to_targets(action))
        except ValueError as error:
            self._enter_safe(now, f"NaN guard: {error}", DAMP, latched=True)
            return self._safe_command(now)
        self._previous_action = action
        self._last_command = command
        self.steps += 1
        self.last_step_latency = now - max(self._joint_time, self._imu_time)
        return Command(command[self.order], RUNNING, action="policy", stamp=joints.stamp)

    def _enter_safe(
        self,
        now: float,
        reason: str,
        action: str,
        latched: bool,
        data: dict[str, Any] | None = None,
    ) -> None:
        if action == HOLD and self._last_command is None:
            action = DAMP  # nothing was commanded yet: holding would mean nothing
        self.mode, self.safe_reason, self.safe_action = SAFE, reason, action
        self.latched = latched
        if latched:
            self._enable_released = False
            self._said.clear()
        self._fresh_since_trip = 0
        self._seen_joint_seq = self._joint_seq
        self._next_safe_publish = now
        what = (
            "keeps the last command"
            if action == HOLD
            else "targets = measured positions, PD only damps"
        )
        tail = (
            "; re-enable to resume (enable false -> true)"
            if latched
            else "; resumes by itself when fresh state returns"
        )
        self._event(
            "safe",
            f"SAFE STATE {action.upper()} ({what}): {reason}{tail}",
            now,
            {"reason": reason, "action": action, "latched": latched, **(data or {})},
        )

    def _safe_command(self, now: float) -> Command | None:
        if not self.latched and self.enabled and self._stale(now) is None:
            if self._joint_seq > self._seen_joint_seq:
                self._fresh_since_trip += self._joint_seq - self._seen_joint_seq
                self._seen_joint_seq = self._joint_seq
            if self._fresh_since_trip >= self.config.resume_periods:
                self._rearm(
                    now,
                    f"fresh state for {self.config.resume_periods} periods after: "
                    f"{self.safe_reason}",
                )
                return self._maybe_step(now) if self.mode == RUNNING else None
        measured = self._measured()
        if measured is None or now < self._next_safe_publish:
            return None
        self._next_safe_publish = max(self._next_safe_publish + self.dt, now)
        if self.safe_action == HOLD and self._last_command is not None:
            targets = self._last_command
        else:
            targets = np.clip(damp_targets(measured), self.config.lower, self.config.upper)
        self.safe_commands += 1
        return Command(targets[self.order], SAFE, reason=self.safe_reason, action=self.safe_action)

    def _reject(self, kind: str, reason: str, now: float) -> str:
        message = f"rejected {kind}: {reason}"
        first = self.rejections[message] == 0
        self.rejections[message] += 1
        if (
            first
            or self.rejections[message] in (10, 100, 1000)
            or self.rejections[message] % 10000 == 0
        ):
            count = self.rejections[message]
            self._event(
                "reject",
                message
                + ("" if first else f" ({count} times so far)")
                + "; no command sent for it",
                now,
                {"type": kind, "reason": reason, "count": count},
            )
        return reason

    def _say_once(self, now: float, message: str) -> None:
        if message not in self._said:
            self._said.add(message)
            self._event("info", message, now)

    def _say_waiting(self, now: float, message: str) -> None:
        if now - self._last_waiting_log >= WAITING_LOG_PERIOD:
            self._last_waiting_log = now
            self._event("waiting", message, now)

    def _event(
        self, kind: str, message: str, now: float, data: dict[str, Any] | None = None
    ) -> None:
        self.events.append(Event(kind, message, now, dict(data or {})))

    def drain_events(self) -> list[Event]:
        events, self.events = self.events, []
        return events
