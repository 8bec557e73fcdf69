"""The ROS 2 bridge end to end: real processes, real DDS on loopback, no mocks.

* ``robodojo sim-robot`` and ``robodojo deploy`` run as two processes on a
  domain of this test run's own (``dds_domain``: loopback only); the shipped
  fall-recovery policy must get the simulated A1 up, judged by the simulator.
  Both use a joint order that is *not* the policy's, so the run only works if
  joints are mapped by name.
* Watchdog: SIGKILL the sim-robot mid-run; deploy must report its safe state
  within three control periods of the last state it received, then keep
  publishing ``damp`` commands (targets = the last measured positions).
* Malformed and mismatched messages published from this test to a deploy
  process are rejected with a log naming the problem, and a real subscriber on
  the command topic sees no command — until a valid state arrives.
* Operator switches as real ``std_msgs/Bool`` messages: nothing is sent before
  ``/robodojo/enable``; ``/robodojo/estop`` turns commands into ``damp``.

The policy is the shipped pretrained fall-recovery A1 policy
(``robodojo.policies.pretrained.discover()``; one is always shipped).
``ROBODOJO_BRIDGE_E2E_POLICY=PATH`` runs them with
another exported policy (to try one before shipping it).
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from robodojo.bridge import messages as m

ENV_ID = "robodojo/FallRecovery-v0"
DT = 0.02
CONTROLLER = "forward_position_controller"
COMMANDS = f"/{CONTROLLER}/commands"
#: The fall: A1 lands on its back (the hardest start; the attitude e-stop must stay off for it).
SEED = 3
#: Generous bounds for a loaded 2-core machine; a healthy run needs a fraction of each.
STARTUP_TIMEOUT = 30.0
STAND_TIMEOUT = 30.0


def shipped_policy() -> str:
    override = os.environ.get("ROBODOJO_BRIDGE_E2E_POLICY")
    if override:
        return override
    from robodojo.policies.pretrained import discover

    found = [p for p in discover().values() if p.env_id == ENV_ID and p.robot == "a1"]
    assert found, "no fall-recovery A1 policy is shipped in policies/pretrained/"
    return str(found[0].path)


def a1_joints() -> list[str]:
    from robodojo.robots import get_robot_spec

    return list(get_robot_spec("a1").joint_names)


def controller_order() -> list[str]:
    """The controller's joint order in these tests: deliberately not the policy's (legs and joints
    reversed)."""
    return list(reversed(a1_joints()))


def robodojo(*args: str) -> list[str]:
    return [sys.executable, "-m", "robodojo.cli", *args]


class Process:
    """A child process whose output goes to a file; stopped by its own pid at teardown."""

    def __init__(self, args: list[str], log: Path) -> None:
        self.log = log
        self._file = open(log, "w", encoding="utf-8")  # noqa: SIM115 - closed in stop()
        self.popen = subprocess.Popen(
            args, stdout=self._file, stderr=subprocess.STDOUT, env=os.environ.copy()
        )

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def stop(self, timeout: float = 10.0) -> int | None:
        if self.alive():
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(5.0)
        self._file.close()
        return self.popen.returncode


def wait_for(
    predicate, timeout: float, what: str, processes: tuple[Process, ...] = (), poll: float = 0.05
):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        for process in processes:
            if not process.alive():
                pytest.fail(
                    f"{what}: a process exited early ({process.popen.returncode}):\n"
                    f"{process.text()[-3000:]}"
                )
        if time.monotonic() > deadline:
            details = "\n".join(f"--- {p.log.name}:\n{p.text()[-3000:]}" for p in processes)
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}\n{details}")
        time.sleep(poll)


def read_json(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def read_events(path: Path) -> list[dict]:
    if not path.is_file():
        return []
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        with contextlib.suppress(ValueError):  # a line being written
            rows.append(json.loads(line))
    return rows


def env_time_to_stand(policy_path: str, seed: int) -> float:
    """The same policy on the same fall in the env itself (the reference for the DDS run)."""
    import gymnasium as gym

    from robodojo.policies import load_policy

    env = gym.make(ENV_ID, robot="a1")
    try:
        policy = load_policy(policy_path, env=env, env_id=ENV_ID)
        observation, _ = env.reset(seed=seed)
        policy.reset()
        while True:
            observation, _, terminated, truncated, info = env.step(policy(observation))
            if terminated or truncated:
                return info["episode_metrics"]["time_to_stand"]
    finally:
        env.close()


@pytest.fixture(scope="module")
def transport(dds_domain):
    from robodojo.bridge.dds import DdsTransport

    with DdsTransport(dds_domain, node_name="robodojo_e2e_test") as t:
        yield t


def test_malformed_messages_are_rejected_and_no_command_is_sent(
    dds_domain, transport, tmp_path
) -> None:
    from robodojo.bridge.transport import SENSOR_QOS

    policy = shipped_policy()
    events_path = tmp_path / "deploy_events.jsonl"
    controller = (
        "malformed_test_controller"  # a topic of its own: nothing else in this run publishes there
    )
    deploy = Process(
        robodojo(
            "deploy",
            "--policy",
            policy,
            "--enable",
            "--transport",
            "dds",
            "--controller",
            controller,
            "--log",
            str(events_path),
            "--duration",
            "60",
        ),
        tmp_path / "deploy.log",
    )
    try:
        commands: list[list[float]] = []
        command_topic = f"/{controller}/commands"
        transport.subscribe(
            command_topic, m.Float64MultiArray, lambda msg: commands.append(list(msg.data))
        )
        joints_pub = transport.publisher("/joint_states", m.JointState, SENSOR_QOS)
        imu_pub = transport.publisher("/imu", m.Imu, SENSOR_QOS)
        # Explicit discovery: deploy's readers match our writers, and its command writer our reader.
        wait_for(
            lambda: joints_pub.matched_subscriptions() > 0 and imu_pub.matched_subscriptions() > 0,
            STARTUP_TIMEOUT,
            "deploy to subscribe /joint_states and /imu",
            (deploy,),
        )
        assert transport.wait_for_publishers(command_topic, timeout=STARTUP_TIMEOUT), (
            "deploy has no command publisher"
        )

        names = a1_joints()
        home = [0.0, 0.8, -1.5] * 4

        def state(names=names, position=home, velocity=None):
            now = time.time()
            stamp = m.Time.from_seconds(now)
            return (
                m.Imu(header=m.Header(stamp=stamp), orientation=m.Quaternion(0.0, 0.0, 0.0, 1.0)),
                m.JointState(
                    header=m.Header(stamp=stamp),
                    name=list(names),
                    position=list(position),
                    velocity=list([0.0] * len(position) if velocity is None else velocity),
                ),
            )

        def send(make, seconds=0.3, imu_override=None):
            for _ in range(int(seconds / DT)):
                imu, joint_state = make()
                imu_pub.publish(imu_override or imu)
                joints_pub.publish(joint_state)
                time.sleep(DT)

        cases = [  # (what is wrong, how the log must name it)
            (
                "NaN in the IMU",
                state,
                m.Imu(orientation=m.Quaternion(0.0, 0.0, math.nan, 1.0)),
                "rejected Imu: Imu orientation is NaN/inf",
            ),
            (
                "unknown joint name",
                lambda: state(names=[*names[:-1], "RL_foot_joint"]),
                None,
                "rejected JointState: JointState names unknown joints RL_foot_joint",
            ),
            (
                "wrong length",
                lambda: state(position=home[:-1]),
                None,
                "rejected JointState: JointState has 12 names but 11 positions",
            ),
            (
                "NaN position",
                lambda: state(position=[*home[:4], math.nan, *home[5:]]),
                None,
                "rejected JointState: JointState position is NaN/inf for FL_thigh_joint",
            ),
        ]
        for what, make, imu_override, expected in cases:
            # Each case sends one bad and one valid message; the pause (> the 50 ms watchdog
            # timeout) keeps
            # a valid message of one case from pairing with the valid other half of the next.
            time.sleep(0.2)
            send(make, imu_override=imu_override)
            wait_for(
                lambda expected=expected: any(
                    expected in e["message"] for e in read_events(events_path)
                ),
                5.0,
                f"deploy to log the {what}",
                (deploy,),
            )
        time.sleep(0.2)
        assert commands == [], f"deploy sent {len(commands)} commands for malformed input"
        log = deploy.text()
        for _, _, _, expected in cases:
            assert expected in log, f"the console log does not say: {expected}"
        # The control: a valid state does produce commands on the same channel.
        send(state, seconds=0.5)
        wait_for(lambda: len(commands) > 0, 5.0, "a command for a valid state", (deploy,))
        assert len(commands[0]) == 12 and all(math.isfinite(v) for v in commands[0])
    finally:
        deploy.stop()


def test_operator_enable_and_estop_over_dds(dds_domain, transport, tmp_path) -> None:
    """Nothing is sent before enable; enable starts the policy; the e-stop damps, with every switch
    a real Bool."""
    import threading

    from robodojo.bridge.transport import SENSOR_QOS

    controller = "enable_test_controller"
    deploy = Process(
        robodojo(
            "deploy",
            "--policy",
            shipped_policy(),
            "--transport",
            "dds",
            "--controller",
            controller,
            "--duration",
            "60",
        ),
        tmp_path / "deploy.log",
    )
    stop = threading.Event()
    try:
        commands: list[tuple[float, list[float]]] = []
        command_topic = f"/{controller}/commands"
        transport.subscribe(
            command_topic,
            m.Float64MultiArray,
            lambda msg: commands.append((time.time(), list(msg.data))),
        )
        joints_pub = transport.publisher("/joint_states", m.JointState, SENSOR_QOS)
        imu_pub = transport.publisher("/imu", m.Imu, SENSOR_QOS)
        enable = transport.publisher("/robodojo/enable", m.Bool)
        estop = transport.publisher("/robodojo/estop", m.Bool)
        wait_for(
            lambda: all(
                p.matched_subscriptions() > 0 for p in (joints_pub, imu_pub, enable, estop)
            ),
            STARTUP_TIMEOUT,
            "deploy to subscribe its four topics",
            (deploy,),
        )
        assert transport.wait_for_publishers(command_topic, timeout=STARTUP_TIMEOUT)
        names = a1_joints()
        pose = [0.05, 0.9, -1.6] * 4  # lying folded, the right way up

        def robot() -> None:  # a driver at 50 Hz: the same pose, always
            while not stop.is_set():
                stamp = m.Time.from_seconds(time.time())
                imu_pub.publish(
                    m.Imu(
                        header=m.Header(stamp=stamp), orientation=m.Quaternion(0.0, 0.0, 0.0, 1.0)
                    )
                )
                joints_pub.publish(
                    m.JointState(
                        header=m.Header(stamp=stamp), name=names, position=pose, velocity=[0.0] * 12
                    )
                )
                time.sleep(DT)

        threading.Thread(target=robot, daemon=True).start()
        wait_for(
            lambda: "waiting for enable" in deploy.text(),
            10.0,
            "deploy to say it waits for enable",
            (deploy,),
        )
        time.sleep(0.5)
        assert commands == [], "commands were sent before the operator enabled"
        enable.publish(m.Bool(data=True))
        wait_for(lambda: len(commands) >= 10, 5.0, "commands once enabled", (deploy,))
        estop.publish(m.Bool(data=True))
        wait_for(
            lambda: "e-stop engaged" in deploy.text(), 5.0, "deploy to report the e-stop", (deploy,)
        )
        engaged = time.time()
        time.sleep(0.3)
        damped = [data for t, data in commands if t > engaged + 0.05]
        assert len(damped) >= 5 and all(np.allclose(d, pose) for d in damped), (
            "e-stop: targets = the measured pose"
        )
        assert "SAFE STATE DAMP" in deploy.text()
    finally:
        stop.set()
        deploy.stop()


@pytest.fixture(scope="module")
def live_pair(dds_domain, transport, tmp_path_factory):
    """sim-robot + deploy, both with the reversed joint order; the test process listens to both
    sides."""
    policy = shipped_policy()
    folder = tmp_path_factory.mktemp("bridge_e2e")
    joints = ",".join(controller_order())
    status, events = folder / "sim_status.json", folder / "deploy_events.jsonl"
    sim = Process(
        robodojo(
            "sim-robot",
            "--robot",
            "a1",
            "--scenario",
            "fall_recovery",
            "--seed",
            str(SEED),
            "--joints",
            joints,
            "--status",
            str(status),
            "--duration",
            "120",
            "--transport",
            "dds",
            "--controller",
            CONTROLLER,
        ),
        folder / "sim_robot.log",
    )
    deploy = Process(
        robodojo(
            "deploy",
            "--policy",
            policy,
            "--enable",
            "--command-joints",
            joints,
            "--transport",
            "dds",
            "--controller",
            CONTROLLER,
            "--log",
            str(events),
            "--duration",
            "120",
        ),
        folder / "deploy.log",
    )
    seen = {"commands": [], "joint_states": []}
    transport.subscribe(
        COMMANDS,
        m.Float64MultiArray,
        lambda msg: seen["commands"].append((time.time(), list(msg.data))),
    )
    from robodojo.bridge.transport import SENSOR_QOS

    transport.subscribe(
        "/joint_states",
        m.JointState,
        lambda msg: seen["joint_states"].append((time.time(), list(msg.name), list(msg.position))),
        SENSOR_QOS,
    )
    pair = {
        "sim": sim,
        "deploy": deploy,
        "status": status,
        "events": events,
        "policy": policy,
        "seen": seen,
        "started": time.monotonic(),
    }
    try:
        yield pair
    finally:
        sim.stop()
        deploy.stop()


def test_shipped_policy_gets_the_simulated_a1_up_over_dds(live_pair) -> None:
    sim, deploy, status_path = live_pair["sim"], live_pair["deploy"], live_pair["status"]
    wait_for(
        lambda: (read_json(status_path) or {}).get("commands_received", 0) > 0,
        STARTUP_TIMEOUT,
        "the first command to reach sim-robot",
        (sim, deploy),
    )
    status = wait_for(
        lambda: (s := read_json(status_path)) and s["stood"] and s,
        STAND_TIMEOUT,
        "sim-robot to report that the A1 stood",
        (sim, deploy),
    )
    # Judged by the simulator: upright and at height, held for 1 s (the env's success rule).
    assert status["stood"] and status["upright"] and status["height_fraction"] >= 0.8
    assert status["commands_rejected"] == 0, status["last_rejection"]
    assert status["joints"] == controller_order()
    reference = env_time_to_stand(live_pair["policy"], SEED)
    safe = [e for e in read_events(live_pair["events"]) if e["kind"] == "safe"]
    print(
        f"\nbridge e2e: stood {status['time_to_stand']:.2f} s after the first command over DDS; "
        f"the env with the same policy and fall: {reference:.2f} s; "
        f"sim-robot late ticks {status['late_ticks']}, "
        f"worst lateness {status['max_lateness_ms']:.1f} ms, slips {status['slips']}; "
        f"deploy safe-state entries {len(safe)}"
    )
    assert status["time_to_stand"] <= reference + 3.0, "far slower than the same policy in the env"


def test_watchdog_reaches_its_safe_state_within_three_periods_when_sim_robot_dies(
    live_pair,
) -> None:
    sim, deploy, events_path = live_pair["sim"], live_pair["deploy"], live_pair["events"]
    seen = live_pair["seen"]
    wait_for(
        lambda: (read_json(live_pair["status"]) or {}).get("commands_received", 0) > 25,
        STARTUP_TIMEOUT + STAND_TIMEOUT,
        "deploy to be driving sim-robot",
        (sim, deploy),
    )
    trips_before = len([e for e in read_events(events_path) if e.get("watchdog")])
    killed_at = time.time()
    os.kill(sim.pid, signal.SIGKILL)
    sim.popen.wait(10.0)
    trip = wait_for(
        lambda: (
            next((e for e in read_events(events_path)[::-1] if e.get("watchdog")), None)
            if len([e for e in read_events(events_path) if e.get("watchdog")]) > trips_before
            else None
        ),
        5.0,
        "deploy to report the watchdog trip",
        (deploy,),
    )
    age_periods = trip["age"] / DT
    print(
        f"\nwatchdog: safe state {trip['action']} {trip['age'] * 1e3:.1f} ms "
        f"({age_periods:.2f} periods) after the last "
        f"state; {(trip['wall'] - killed_at) * 1e3:.1f} ms after the kill"
    )
    assert trip["age"] <= 3 * DT, f"detected {age_periods:.2f} control periods after the last state"
    assert trip["action"] == "damp" and "watchdog" in trip["message"]
    assert trip["wall"] - killed_at <= 3 * DT + 0.05
    # It keeps publishing damp commands at the control rate: the last measured positions, by the
    # controller's order.
    time.sleep(0.5)
    after = [data for t, data in seen["commands"] if t > trip["wall"] + 0.005]
    assert len(after) >= 15, f"{len(after)} damp commands in 0.5 s"
    names, last_positions = seen["joint_states"][-1][1], seen["joint_states"][-1][2]
    assert names == controller_order()
    assert np.allclose(after[-1], last_positions, atol=1e-9), (
        "damp: targets = the last measured positions"
    )
    assert "SAFE STATE DAMP" in deploy.text() and "watchdog" in deploy.text()
