"""The network half of ``robodojo deploy``: a :class:`~robodojo.bridge.deploy.DeployCore` on a
transport, and its log.

:class:`DeployNode` subscribes ``/joint_states`` and ``/imu`` (sensor-data
QoS), ``/robodojo/enable`` and ``/robodojo/estop`` (reliable), publishes
``std_msgs/Float64MultiArray`` on ``/<controller>/commands`` (reliable, keep
last 10) in the controller's joint order, and logs. Transport callbacks only
hand messages to the core (under one lock); the node's own thread runs the
core, waking on every message and exactly at the watchdog's deadline.
:class:`EventLog` writes one human line per event (stderr) and, with
``--log``, JSON lines: every event, and every command with ``--log-steps`` or
``--dry-run``.
"""

from __future__ import annotations

import json
import math
import sys
import threading
import time
from collections.abc import Callable
from typing import Any, TextIO

import numpy as np

from robodojo.bridge.deploy import RUNNING, SAFE, Command, DeployCore, Event
from robodojo.bridge.safety import damp_targets


class EventLog:
    """Human lines on a stream (stderr) and, optionally, JSON lines in a file (every event, and
    steps)."""

    def __init__(
        self,
        stream: TextIO | None = sys.stderr,
        path: str | None = None,
        start: float | None = None,
    ) -> None:
        self.stream = stream
        # open for the log's whole life, not one block: closed in close()
        self.file = (
            open(path, "a", encoding="utf-8", buffering=1) if path else None  # noqa: SIM115
        )
        self.start = time.monotonic() if start is None else start

    def event(self, event: Event) -> None:
        if self.stream is not None:
            print(
                f"deploy [{event.time - self.start:8.3f} s] {event.message}",
                file=self.stream,
                flush=True,
            )
        self.record({"kind": event.kind, "message": event.message, **event.data}, event.time)

    def record(self, data: dict[str, Any], now: float) -> None:
        if self.file is not None:
            wall = time.time() - (time.monotonic() - now)  # the wall-clock time of ``now``
            row = {"t": round(now - self.start, 6), "wall": round(wall, 6), **data}
            self.file.write(json.dumps(row, default=_jsonable) + "\n")

    def close(self) -> None:
        if self.file is not None:
            self.file.close()
            self.file = None


def _jsonable(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return [round(float(v), 6) for v in value]
    if isinstance(value, (np.floating, np.integer)):
        return value.item()
    return str(value)


class DeployNode:
    """A :class:`DeployCore` on a transport. ``run(duration)`` blocks; ``stop()`` from any thread
    ends it."""

    def __init__(
        self,
        core: DeployCore,
        transport: Any,
        controller: str = "forward_position_controller",
        dry_run: bool = False,
        log: EventLog | None = None,
        log_steps: bool = False,
        joint_states_topic: str = "/joint_states",
        imu_topic: str = "/imu",
    ) -> None:
        from robodojo.bridge import messages as m
        from robodojo.bridge.transport import DEFAULT_QOS, SENSOR_QOS

        self.core = core
        self.transport = transport
        self.dry_run = dry_run
        self.log = log or EventLog()
        self.log_steps = log_steps or dry_run
        self.command_topic = f"/{controller}/commands"
        self._m = m
        self._cond = threading.Condition()
        self._stopping = False
        self.published = 0
        self.compute_times: list[float] = []
        self._last_print = -math.inf
        self.publisher = (
            None
            if dry_run
            else transport.publisher(self.command_topic, m.Float64MultiArray, DEFAULT_QOS)
        )
        # Arm only once the controller listens (DDS: a matched reader; rclpy: a subscription
        # count), so the soft start is not spent on a command topic nobody reads. (Both
        # transports' publishers count matches.)
        matched = getattr(self.publisher, "matched_subscriptions", None)
        if matched is not None:
            core.ready = lambda: matched() > 0
        transport.subscribe(
            joint_states_topic, m.JointState, self._on(core.on_joint_state), SENSOR_QOS
        )
        transport.subscribe(imu_topic, m.Imu, self._on(core.on_imu), SENSOR_QOS)
        transport.subscribe(
            "/robodojo/enable",
            m.Bool,
            self._on(lambda msg, now: core.on_enable(msg.data, now)),
            DEFAULT_QOS,
        )
        transport.subscribe(
            "/robodojo/estop",
            m.Bool,
            self._on(lambda msg, now: core.on_estop(msg.data, now)),
            DEFAULT_QOS,
        )

    def _on(self, handler: Callable[[Any, float], Any]) -> Callable[[Any], None]:
        def callback(msg: Any) -> None:
            with self._cond:
                handler(msg, time.monotonic())
                self._cond.notify()

        return callback

    def stop(self) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify()

    def run(self, duration: float | None = None) -> int:
        core = self.core
        end = math.inf if duration is None else time.monotonic() + duration
        try:
            while True:
                with self._cond:
                    now = time.monotonic()
                    if self._stopping or now >= end:
                        break
                    command = core.poll(now)
                    events = core.drain_events()
                    if command is None and not events:
                        self._cond.wait(timeout=max(0.0, min(core.next_wakeup(now), end) - now))
                        continue
                if command is not None:
                    self._send(command, now)
                for event in events:
                    self.log.event(event)
        finally:
            self._shutdown()
        return 0

    def _send(self, command: Command, now: float) -> None:
        m = self._m
        if self.publisher is not None:
            self.publisher.publish(m.Float64MultiArray(data=[float(v) for v in command.targets]))
            self.published += 1
        done = time.monotonic()
        if command.mode == RUNNING and self.core.last_step_latency is not None:
            self.compute_times.append(done - now + self.core.last_step_latency)
        if self.log_steps:
            self.log.record(
                {
                    "kind": "command",
                    "mode": command.mode,
                    "action": command.action,
                    "published": self.publisher is not None,
                    "state_stamp": command.stamp,
                    "joints": self.core.command_joints,
                    "targets": command.targets,
                },
                now,
            )
        if self.dry_run and now - self._last_print >= 1.0:
            self._last_print = now
            shown = ", ".join(
                f"{j}={v:+.3f}"
                for j, v in zip(self.core.command_joints, command.targets, strict=True)
            )
            print(
                f"deploy [{now - self.log.start:8.3f} s] dry run, not published: "
                f"{command.mode} {shown}",
                file=sys.stderr,
                flush=True,
            )

    def _shutdown(self) -> None:
        core = self.core
        now = time.monotonic()
        measured = core._measured()
        if self.publisher is not None and core.mode in (RUNNING, SAFE) and measured is not None:
            targets = np.clip(damp_targets(measured), core.config.lower, core.config.upper)[
                core.order
            ]
            self.publisher.publish(self._m.Float64MultiArray(data=[float(v) for v in targets]))
            self.log.event(
                Event(
                    "safe",
                    "shutting down: sent one damp command (targets = measured positions)",
                    now,
                )
            )
        summary = {
            "steps": core.steps,
            "published": self.published,
            "safe_commands": core.safe_commands,
            "mode": core.mode,
            "safe_reason": core.safe_reason,
            "rejected": dict(core.rejections),
        }
        if self.compute_times:
            times = np.array(self.compute_times) * 1e3
            summary["state_to_command_ms"] = {
                "p50": float(np.percentile(times, 50)),
                "p99": float(np.percentile(times, 99)),
            }
        self.log.event(
            Event("summary", "summary: " + json.dumps(summary, default=_jsonable), now, summary)
        )
