"""The ROS 2 bridge's pure logic, without any transport: safety rules, observations by joint name,
the deploy core.

The end-to-end proofs over real DDS are in ``test_bridge_e2e.py``; here every
rule is checked alone, and :class:`~robodojo.bridge.deploy.DeployCore` is
driven with messages and a clock the test controls.
"""

from __future__ import annotations

import math

import gymnasium as gym
import numpy as np
import pytest

from robodojo.bridge import messages as m
from robodojo.bridge.deploy import RUNNING, SAFE, WAITING_FOR_ENABLE, DeployCore
from robodojo.bridge.deploy_node import DeployNode, EventLog
from robodojo.bridge.deploy_policy import LoadedPolicy, build_core, interface_spec
from robodojo.bridge.observation import ObservationBuilder, RejectedMessage
from robodojo.bridge.safety import (
    DAMP,
    HOLD,
    CommandFilter,
    SafetyConfig,
    Watchdog,
    clamp_to_limits,
    damp_targets,
    default_tilt_limit_deg,
    is_finite,
    limit_step,
    soft_start,
    tilt_exceeded,
)
from robodojo.bridge.sim_robot import imu_message, joint_state_message
from robodojo.policies import make_controller

ENV_ID = "robodojo/FallRecovery-v0"
DT = 0.02


@pytest.fixture(scope="module")
def spec() -> dict:
    return interface_spec(ENV_ID, "a1")


@pytest.fixture(scope="module")
def joints(spec) -> list[str]:
    return list(spec["action"]["joints"])


def joint_state(names, position, velocity=None, stamp=0.0, effort=None) -> m.JointState:
    velocity = [0.0] * len(position) if velocity is None else velocity
    return m.JointState(
        header=m.Header(stamp=m.Time.from_seconds(stamp)),
        name=list(names),
        position=list(position),
        velocity=list(velocity),
        effort=list(effort or []),
    )


def imu(quaternion=(0.0, 0.0, 0.0, 1.0), gyro=(0.0, 0.0, 0.0), stamp=0.0) -> m.Imu:
    return m.Imu(
        header=m.Header(stamp=m.Time.from_seconds(stamp)),
        orientation=m.Quaternion(*quaternion),
        angular_velocity=m.Vector3(*gyro),
    )


# -- the rules ------------------------------------------------------------------------------------


def test_soft_start_blends_from_the_start_pose() -> None:
    start, target = np.zeros(2), np.array([1.0, -2.0])
    assert np.allclose(soft_start(target, start, 0, 4), [0.25, -0.5])
    assert np.allclose(soft_start(target, start, 2, 4), [0.75, -1.5])
    assert np.allclose(soft_start(target, start, 3, 4), target)
    assert np.allclose(soft_start(target, start, 99, 4), target)
    assert np.allclose(soft_start(target, start, 0, 0), target)  # no ramp


def test_limit_step_moves_at_most_max_step_per_joint() -> None:
    previous = np.array([0.0, 0.0, 1.0])
    assert np.allclose(limit_step(np.array([1.0, -0.1, 0.0]), previous, 0.3), [0.3, -0.1, 0.7])
    assert np.allclose(
        limit_step(np.array([1.0, 1.0, 1.0]), previous, np.array([0.1, 0.2, 0.3])), [0.1, 0.2, 1.0]
    )


def test_clamp_to_limits_and_finite_guard() -> None:
    assert np.allclose(
        clamp_to_limits(np.array([-5.0, 0.5, 5.0]), np.array([-1.0, 0, 0]), np.array([1.0, 1, 2])),
        [-1, 0.5, 2],
    )
    assert is_finite([0.0, 1.0]) and not is_finite([0.0, math.nan]) and not is_finite([math.inf])


def test_tilt_limit() -> None:
    upright, side, upside_down = (
        np.array([0, 0, -1.0]),
        np.array([0, 1.0, 0]),
        np.array([0, 0, 1.0]),
    )
    assert tilt_exceeded(upright, math.radians(60)) is None
    assert tilt_exceeded(side, math.radians(60)) == pytest.approx(math.pi / 2)
    assert tilt_exceeded(upside_down, math.radians(60)) == pytest.approx(math.pi)
    assert tilt_exceeded(upside_down, None) is None  # off


def test_watchdog_ages_from_the_last_feed() -> None:
    watchdog = Watchdog(0.05)
    assert (
        not watchdog.expired(10.0) and watchdog.deadline() is None
    )  # nothing fed yet: the runner waits instead
    watchdog.feed(1.0)
    assert not watchdog.expired(1.049) and watchdog.expired(1.0501)
    assert watchdog.deadline() == pytest.approx(1.05)
    with pytest.raises(ValueError):
        Watchdog(0.0)


def test_damp_targets_are_the_measured_pose() -> None:
    measured = np.array([0.1, 0.2])
    out = damp_targets(measured)
    assert np.array_equal(out, measured) and out is not measured


def test_safety_defaults_come_from_the_spec_and_the_scenario(spec) -> None:
    config = SafetyConfig.for_spec(spec)
    assert config.tilt_limit is None, "fall recovery expects to be upside down: attitude e-stop off"
    assert default_tilt_limit_deg("robodojo/Locomotion-v0") == 60.0
    assert np.allclose(
        config.max_step, spec["action"]["max_target_speed"] * DT
    )  # the env's own rate limit
    assert (
        config.stale_timeout == pytest.approx(2.5 * DT)
        and config.watchdog_action == DAMP
        and config.require_enable
    )
    assert np.allclose(SafetyConfig.for_spec(spec, max_joint_speed=5.0).max_step, 0.1)
    assert np.allclose(SafetyConfig.for_spec(spec, max_joint_speed=500.0).max_step, 0.3), (
        "may only tighten"
    )
    assert SafetyConfig.for_spec(spec, tilt_limit_deg=45).tilt_limit == pytest.approx(
        math.radians(45)
    )
    margin = SafetyConfig.for_spec(spec, limit_margin=0.1)
    assert np.allclose(margin.lower, np.asarray(spec["action"]["lower"]) + 0.1)
    with pytest.raises(ValueError):
        SafetyConfig.for_spec(spec, watchdog_action="brake")


def test_command_filter_chain(spec) -> None:
    config = SafetyConfig.for_spec(spec, soft_start_seconds=4 * DT)
    filt = CommandFilter(config)
    with pytest.raises(ValueError):
        filt(np.zeros(12))  # not armed
    start = np.asarray(spec["action"]["home"])
    filt.arm(start)
    far = np.asarray(spec["action"]["upper"]) + 1.0  # beyond the limits
    out = [filt(far) for _ in range(30)]
    steps = np.abs(np.diff(np.vstack([start, *out]), axis=0))
    assert np.all(steps <= 0.3 + 1e-12), "never more than max_step per period"
    assert np.allclose(out[-1], config.upper), "ends clamped at the joint limits"
    assert np.all(np.abs(out[0] - start) <= 0.25 * np.abs(far - start) + 1e-12), (
        "first step: a quarter of the way (soft start)"
    )
    with pytest.raises(ValueError):
        filt(np.full(12, math.nan))


# -- observations by joint name
# ------------------------------------------------------------------------


def test_observation_maps_joints_by_name_not_order(spec, joints) -> None:
    builder = ObservationBuilder.from_spec(spec)
    q = np.asarray(spec["action"]["home"]) + np.linspace(-0.2, 0.2, 12)
    qd = np.linspace(-3, 3, 12)
    ordered = builder.read_joint_state(joint_state(joints, q, qd))
    permutation = np.random.default_rng(0).permutation(12)
    shuffled = builder.read_joint_state(
        joint_state([joints[i] for i in permutation], q[permutation], qd[permutation])
    )
    assert np.array_equal(ordered.position, shuffled.position) and np.array_equal(
        ordered.velocity, shuffled.velocity
    )
    assert np.allclose(ordered.position, q)


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda n, q, v: ([*n[:-1], "tail_joint"], q, v), "unknown joints tail_joint"),
        (lambda n, q, v: (n[:-1], q[:-1], v[:-1]), "lacks joints RL_calf_joint"),
        (lambda n, q, v: (n, q[:-1], v), "12 names but 11 positions"),
        (lambda n, q, v: (n, q, []), "12 names but 0 velocities"),
        (lambda n, q, v: (n[:1] + n[:11], q, v), "more than once: FR_hip_joint"),
        (
            lambda n, q, v: (n, [*q[:3], math.nan, *q[4:]], v),
            "position is NaN/inf for FL_hip_joint",
        ),
        (
            lambda n, q, v: (n, q, [*v[:5], math.inf, *v[6:]]),
            "velocity is NaN/inf for FL_calf_joint",
        ),
        (lambda n, q, v: ([], [], []), "no joint names"),
    ],
)
def test_bad_joint_states_are_rejected_with_a_reason(spec, joints, mutate, reason) -> None:
    builder = ObservationBuilder.from_spec(spec)
    names, q, v = mutate(list(joints), list(spec["action"]["home"]), [0.0] * 12)
    with pytest.raises(RejectedMessage, match=reason.replace("(", r"\(")):
        builder.read_joint_state(joint_state(names, q, v))


def test_extra_joints_can_be_allowed(spec, joints) -> None:
    names = [*joints, "gripper_joint"]
    q = [*spec["action"]["home"], 0.5]
    with pytest.raises(RejectedMessage, match="unknown joints gripper_joint"):
        ObservationBuilder.from_spec(spec).read_joint_state(joint_state(names, q))
    reading = ObservationBuilder.from_spec(spec, allow_extra_joints=True).read_joint_state(
        joint_state(names, q)
    )
    assert np.allclose(reading.position, spec["action"]["home"])


@pytest.mark.parametrize(
    ("message", "reason"),
    [
        (imu(quaternion=(0.0, 0.0, 0.0, math.nan)), "orientation is NaN"),
        (imu(gyro=(0.0, math.nan, 0.0)), "angular_velocity is NaN"),
        (imu(quaternion=(0.0, 0.0, 0.0, 0.0)), "not a unit quaternion"),
        (imu(quaternion=(0.0, 0.0, 0.0, 2.0)), "not a unit quaternion"),
        (m.Imu(orientation_covariance=[-1.0] + [0.0] * 8), "orientation as absent"),
    ],
)
def test_bad_imus_are_rejected_with_a_reason(spec, message, reason) -> None:
    with pytest.raises(RejectedMessage, match=reason):
        ObservationBuilder.from_spec(spec).read_imu(message)


def test_imu_gives_gyro_and_projected_gravity(spec) -> None:
    builder = ObservationBuilder.from_spec(spec)
    assert np.allclose(builder.read_imu(imu()).gravity, [0, 0, -1])
    upside_down = builder.read_imu(
        imu(quaternion=(1.0, 0.0, 0.0, 0.0), gyro=(1.0, 2.0, 3.0))
    )  # 180 deg about x
    assert np.allclose(upside_down.gravity, [0, 0, 1]) and np.allclose(upside_down.gyro, [1, 2, 3])


def test_sensor_ranges_match_the_env(spec) -> None:
    """The bridge builds the observation from the env's own field declarations: same bounds, same
    clipping."""
    env = gym.make(ENV_ID, robot="a1")
    try:
        builder = ObservationBuilder.from_spec(spec)
        assert np.array_equal(builder.low, env.observation_space.low) and np.array_equal(
            builder.high, env.observation_space.high
        )
    finally:
        env.close()


# -- the deploy core
# ------------------------------------------------------------------------------------


def test_the_core_reproduces_the_env_step_for_step(spec) -> None:
    """Messages built from the env's state → the env's own observations and joint targets (no soft
    start)."""
    env = gym.make(ENV_ID, robot="a1")
    try:
        task = env.unwrapped.task
        observation, _ = env.reset(seed=3)
        env_policy = make_controller("scripted", ENV_ID, "a1", DT)
        loaded = LoadedPolicy(spec, make_controller("scripted", ENV_ID, "a1", DT), "scripted")
        permutation = list(np.random.default_rng(1).permutation(12))
        command_joints = [spec["action"]["joints"][i] for i in permutation]
        core = build_core(
            loaded,
            SafetyConfig.for_spec(spec, soft_start_seconds=0.0),
            command_joints=command_joints,
            enabled=True,
        )
        # The one intended difference: deploy's rate limit starts from the *measured* pose (all a
        # real robot
        # offers), the env's from the targets the robot fell holding (a few hundredths of a rad
        # apart after
        # the fall). Start both from the same pose to compare the rest bit for bit.
        arm = core.filter.arm
        core.filter.arm = lambda measured: arm(task.robot.targets.copy())
        for step in range(150):
            now = 100.0 + step * DT
            core.on_imu(imu_message(task, now), now)
            core.on_joint_state(joint_state_message(task, now), now)
            command = core.poll(now)
            assert command is not None and command.mode == RUNNING
            assert np.allclose(core.last_observation, observation, atol=1e-6), (
                f"observation differs at step {step}"
            )
            observation, _, terminated, truncated, _ = env.step(env_policy(observation))
            assert np.allclose(command.targets, task.robot.targets[permutation], atol=1e-9), (
                f"targets differ at step {step}"
            )
            if terminated or truncated:
                break
        assert step > 50
    finally:
        env.close()


class Clock:
    def __init__(self) -> None:
        self.now = 50.0


def make_core(spec, policy=None, **safety) -> tuple[DeployCore, list[str]]:
    defaults = {"soft_start_seconds": 0.0}
    defaults.update(safety)
    enabled = defaults.pop("enabled", True)
    command_joints = defaults.pop("command_joints", None)
    policy = policy or (lambda observation: np.full(12, 0.1, dtype=np.float32))
    loaded = LoadedPolicy(spec, policy, "test policy")
    core = build_core(
        loaded,
        SafetyConfig.for_spec(spec, **defaults),
        command_joints=command_joints,
        enabled=enabled,
    )
    return core, list(spec["action"]["joints"])


def feed(core, joints, now, q=None, quaternion=(0.0, 0.0, 0.0, 1.0), stamp=None):
    q = core.builder.home + 0.05 if q is None else q
    stamp = now if stamp is None else stamp
    core.on_imu(imu(quaternion=quaternion, stamp=stamp), now)
    core.on_joint_state(joint_state(joints, q, stamp=stamp), now)
    return core.poll(now)


def kinds(core) -> list[tuple[str, str]]:
    return [(e.kind, e.message) for e in core.drain_events()]


def test_nothing_is_sent_before_enable_and_the_log_says_so(spec) -> None:
    core, joints = make_core(spec, enabled=False)
    assert core.mode == WAITING_FOR_ENABLE
    assert all(feed(core, joints, 1.0 + k * DT) is None for k in range(10))
    assert any("waiting for enable" in text for _, text in kinds(core))
    core.on_enable(True, 1.3)
    command = feed(core, joints, 1.3)
    assert command is not None and command.mode == RUNNING


def test_commands_use_the_controllers_joint_order(spec, joints) -> None:
    order = list(reversed(joints))
    core, _ = make_core(
        spec, command_joints=order, policy=lambda o: np.linspace(-0.5, 0.5, 12).astype(np.float32)
    )
    command = feed(core, joints, 1.0)
    by_name = dict(zip(order, command.targets, strict=True))
    policy_order = np.array([by_name[j] for j in joints])
    assert np.allclose(policy_order, core.filter.previous)
    with pytest.raises(ValueError, match="unknown to the policy: tail_joint"):
        make_core(spec, command_joints=[*joints[:-1], "tail_joint"])


def test_malformed_state_sends_nothing_and_names_the_problem(spec, joints) -> None:
    core, _ = make_core(spec)
    bad = joint_state([*joints[:-1], "tail_joint"], spec["action"]["home"], stamp=1.0)
    core.on_imu(imu(stamp=1.0), 1.0)
    assert core.on_joint_state(bad, 1.0) is not None
    assert core.poll(1.0) is None
    assert any(
        kind == "reject" and "unknown joints tail_joint" in text for kind, text in kinds(core)
    )


def test_watchdog_fires_at_its_deadline_and_damps(spec, joints) -> None:
    core, _ = make_core(spec)
    q = core.builder.home + 0.05
    for k in range(5):
        assert feed(core, joints, 1.0 + k * DT, q=q) is not None
    last = 1.0 + 4 * DT
    assert core.next_wakeup(last) == pytest.approx(last + 2.5 * DT, abs=1e-3), (
        "the runner wakes at the watchdog deadline"
    )
    assert core.poll(last + 2.4 * DT) is None and core.mode == RUNNING
    command = core.poll(last + 2.5 * DT + 1e-3)
    assert core.mode == SAFE and command.action == DAMP
    assert np.allclose(command.targets, q), "damp: targets = the measured positions"
    event = next(e for e in core.drain_events() if e.kind == "safe")
    assert event.data["watchdog"] and event.data["age"] <= 3 * DT and "watchdog" in event.message
    # keeps publishing damp at the control rate while stale
    assert core.poll(last + 2.5 * DT + 2e-3) is None
    assert core.poll(last + 3.5 * DT + 2e-3) is not None
    # and resumes by itself after RESUME_PERIODS periods of fresh state, with a new soft start
    t = last + 10 * DT
    for k in range(6):
        command = feed(core, joints, t + k * DT, q=q)
    assert core.mode == RUNNING and command.mode == RUNNING


def test_watchdog_hold_keeps_the_last_command(spec, joints) -> None:
    core, _ = make_core(spec, watchdog_action=HOLD)
    for k in range(3):
        last_running = feed(core, joints, 1.0 + k * DT)
    command = core.poll(1.0 + 2 * DT + 3 * DT)
    assert command.action == HOLD and np.allclose(command.targets, last_running.targets)


def test_latched_watchdog_needs_a_re_enable(spec, joints) -> None:
    core, _ = make_core(spec, latch_watchdog=True)
    feed(core, joints, 1.0)
    core.poll(1.1)
    assert core.mode == SAFE
    for k in range(10):
        feed(core, joints, 1.2 + k * DT)
    assert core.mode == SAFE
    core.on_enable(True, 1.5)
    assert core.mode == SAFE, "a repeated true is not an edge"
    core.on_enable(False, 1.51)
    core.on_enable(True, 1.52)
    assert feed(core, joints, 1.52).mode == RUNNING


def test_estop_damps_and_latches(spec, joints) -> None:
    core, _ = make_core(spec)
    feed(core, joints, 1.0)
    core.on_estop(True, 1.01)
    q = core.builder.home - 0.1
    command = feed(core, joints, 1.02, q=q)
    assert core.mode == SAFE and command.action == DAMP and np.allclose(command.targets, q)
    core.on_enable(True, 1.03)
    assert core.mode == SAFE, "enable is ignored while the e-stop is engaged"
    core.on_estop(False, 1.04)
    core.on_enable(True, 1.05)
    assert core.mode == SAFE, "released e-stop: needs enable false, then true"
    core.on_enable(False, 1.06)
    core.on_enable(True, 1.07)
    assert feed(core, joints, 1.08).mode == RUNNING


def test_operator_disable_damps(spec, joints) -> None:
    core, _ = make_core(spec)
    feed(core, joints, 1.0)
    core.on_enable(False, 1.01)
    command = feed(core, joints, 1.02)
    assert core.mode == SAFE and command.action == DAMP and "disabled" in command.reason


def test_nan_guard_latches_damp(spec, joints) -> None:
    core, _ = make_core(spec, policy=lambda o: np.full(12, math.nan, dtype=np.float32))
    command = feed(core, joints, 1.0)
    assert core.mode == SAFE and command.action == DAMP and "NaN guard" in command.reason
    assert core.latched


def test_attitude_estop_is_per_scenario(spec, joints) -> None:
    upside_down = (1.0, 0.0, 0.0, 0.0)
    core, _ = make_core(spec)  # fall recovery: off
    assert feed(core, joints, 1.0, quaternion=upside_down).mode == RUNNING
    core, _ = make_core(spec, tilt_limit_deg=60.0)
    command = feed(core, joints, 1.0, quaternion=upside_down)
    assert command.mode == SAFE and "attitude" in command.reason and core.latched


def test_steps_follow_the_control_rate_of_the_state_stamps(spec, joints) -> None:
    core, _ = make_core(spec)
    # a 500 Hz driver: one step every 10 states (every 20 ms of its clock)
    sent = [k for k in range(100) if feed(core, joints, 1.0 + k * 0.002) is not None]
    assert sent == list(range(0, 100, 10))
    # a 50 Hz driver stamping with a jitter of ±4 ms, and a lost message: one step per state
    core, _ = make_core(spec)
    stamps = [1.0 + k * DT for k in range(20) if k != 7]
    jitter = np.random.default_rng(0).uniform(-0.004, 0.004, len(stamps))
    sent = [
        feed(core, joints, s + j + 0.001, stamp=s + j) is not None
        for s, j in zip(stamps, jitter, strict=True)
    ]
    assert all(sent)
    # a driver without stamps: timed by arrival
    core, _ = make_core(spec)
    sent = [k for k in range(50) if feed(core, joints, 1.0 + k * 0.002, stamp=0.0) is not None]
    assert sent == list(range(0, 50, 10))


def test_soft_start_ramps_from_the_measured_pose(spec, joints) -> None:
    core, _ = make_core(
        spec, soft_start_seconds=0.1, policy=lambda o: np.full(12, 0.1, dtype=np.float32)
    )
    q = np.asarray(spec["action"]["home"])
    targets = []
    for k in range(8):
        command = feed(core, joints, 1.0 + k * DT, q=q)
        targets.append(command.targets)
    goal = core.action_to_targets(np.full(12, 0.1))
    assert np.allclose(targets[0], q + 0.2 * (goal - q))
    assert np.allclose(targets[-1], goal)


class LoopbackTransport:
    """In-process stand-in for a transport, for the node's dry-run wiring (the DDS proofs are in
    test_bridge_e2e)."""

    name = "memory"

    def __init__(self) -> None:
        self.subscriptions: dict[str, list] = {}
        self.publishers: list[str] = []

    def publisher(self, topic, message_type, qos=None):
        self.publishers.append(topic)
        return self

    def subscribe(self, topic, message_type, callback, qos=None):
        self.subscriptions.setdefault(topic, []).append(callback)

    def close(self):
        pass


def test_dry_run_computes_and_logs_but_never_publishes(spec, joints, tmp_path) -> None:
    import json
    import threading
    import time

    core, _ = make_core(spec)
    transport = LoopbackTransport()
    log = EventLog(stream=None, path=str(tmp_path / "log.jsonl"))
    node = DeployNode(core, transport, dry_run=True, log=log)
    assert transport.publishers == [], "a dry run creates no publisher"
    runner = threading.Thread(target=node.run, kwargs={"duration": 2.0})
    runner.start()
    for _ in range(5):
        now = time.time()
        for callback in transport.subscriptions["/imu"]:
            callback(imu(stamp=now))
        for callback in transport.subscriptions["/joint_states"]:
            callback(joint_state(joints, core.builder.home, stamp=now))
        time.sleep(DT)
    node.stop()
    runner.join()
    log.close()
    rows = [json.loads(line) for line in (tmp_path / "log.jsonl").read_text().splitlines()]
    commands = [r for r in rows if r["kind"] == "command"]
    assert len(commands) == 5 and not any(r["published"] for r in commands) and node.published == 0


# -- the command line
# -----------------------------------------------------------------------------------


def test_command_joints_from_a_list_or_a_ros2_control_yaml(tmp_path) -> None:
    from robodojo.cli.bridge import read_command_joints

    assert read_command_joints("b, a ,c", "ctl") == ["b", "a", "c"]
    assert read_command_joints(None, "ctl") is None
    pytest.importorskip("yaml")
    path = tmp_path / "controllers.yaml"
    path.write_text(
        "ctl:\n  ros__parameters:\n    interface_name: position\n"
        "    joints: [FR_hip_joint, FL_hip_joint]\n"
    )
    assert read_command_joints(str(path), "ctl") == ["FR_hip_joint", "FL_hip_joint"]
    with pytest.raises(ValueError, match="has no other: ros__parameters: joints"):
        read_command_joints(str(path), "other")


def test_deploy_usage_errors_exit_2_with_one_line(capsys) -> None:
    from robodojo.cli.main import main

    assert main(["deploy", "--policy", "no_such_policy"]) == 2
    assert "unknown policy 'no_such_policy'" in capsys.readouterr().err
    assert (
        main(["deploy", "--policy", "scripted", "--command-joints", "FR_hip_joint,tail_joint"]) == 2
    )
    assert "unknown to the policy: tail_joint" in capsys.readouterr().err
    assert main(["sim-robot", "--joints", "FR_hip_joint"]) == 2
    assert "--joints must list each of a1's joints once" in capsys.readouterr().err


def _shipped_by_action() -> dict[str, str]:
    from robodojo.policies import pretrained
    from robodojo.policies.spec import read_spec

    return {
        name: read_spec(entry.path)["action"].get("type")
        for name, entry in pretrained.discover().items()
    }


@pytest.mark.parametrize(
    "name",
    sorted(name for name, kind in _shipped_by_action().items() if kind != "joint_position_targets"),
)
def test_a_shipped_policy_the_bridge_cannot_drive_is_one_line(name: str, capsys) -> None:
    """Velocity, TCP and seam-twist policies need a controller on the robot the bridge does not
    have: refused at the boundary (it used to be KeyError: 'lower' in the safety layer)."""
    from robodojo.cli.main import main

    kind = _shipped_by_action()[name]
    assert main(["deploy", "--policy", name, "--dry-run", "--duration", "0.1"]) == 2
    err = [
        line
        for line in capsys.readouterr().err.splitlines()
        if line and not line.startswith("pybullet build time")
    ]
    deployable = sorted(n for n, k in _shipped_by_action().items() if k == "joint_position_targets")
    assert err == [
        f"robodojo deploy: error: {name}'s action interface ({kind}) cannot be deployed yet: "
        f"the bridge deploys joint-position policies ({', '.join(deployable)})"
    ]
    assert {"fall_recovery_a1", "locomotion_a1"} <= set(deployable)


def test_the_non_deployable_shipped_policies_are_the_known_ones() -> None:
    kinds = _shipped_by_action()
    assert {name for name, kind in kinds.items() if kind != "joint_position_targets"} >= {
        "weld_kuka_iiwa",
        "transport_panda",
        "rescue_a1",
    }


def test_a_scripted_controller_the_bridge_cannot_drive_is_one_line(capsys) -> None:
    from robodojo.cli.main import main

    args = ["deploy", "--policy", "scripted", "--env", "weld", "--robot", "kuka_iiwa", "--dry-run"]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "(taught_path_twist) cannot be deployed yet" in err and "KeyError" not in err
