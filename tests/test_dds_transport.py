"""The plain-DDS transport between real processes: every message type both ways, QoS as ROS 2, clean
shutdown.

All traffic is real DDS on loopback, on a domain of this run's own (the
``dds_domain`` fixture); the other side is tests/peers/echo_peer.py in its own
process, which echoes ``/ping/<Type>`` back on ``/pong/<Type>``.
"""

from __future__ import annotations

import logging
import queue
import subprocess
import sys
import textwrap
import threading
import time

import pytest

pytest.importorskip(
    "cyclonedds", reason="cyclonedds is not installed (pip install 'robodojo[ros]')"
)

from dds_support import QOS, SAMPLES, TIMEOUT, TOPIC_MESSAGES, echo_peer, first_arrival

from robodojo.bridge import messages as m
from robodojo.bridge.connect import open_transport
from robodojo.bridge.dds import DdsTransport, dds_qos, dds_topic_name, ros_topic_name
from robodojo.bridge.transport import DEFAULT_QOS, SENSOR_QOS, QoS


@pytest.fixture(scope="module")
def peer(dds_domain: int):
    with echo_peer() as process:
        yield process


@pytest.fixture
def transport(dds_domain: int):
    transport = DdsTransport(dds_domain, "dds_test")
    yield transport
    transport.close()


@pytest.mark.parametrize("name", TOPIC_MESSAGES)
def test_every_message_type_crosses_to_another_process_and_back(peer, transport, name: str) -> None:
    sample = SAMPLES[name]
    message_type = type(sample)
    qos = QOS[message_type]
    inbox: queue.Queue = queue.Queue()
    transport.subscribe(f"/pong/{message_type.__name__}", message_type, inbox.put, qos)
    publisher = transport.publisher(f"/ping/{message_type.__name__}", message_type, qos)
    assert publisher.wait_for_subscribers(1, TIMEOUT), "the peer's reader never matched"
    assert transport.wait_for_publishers(f"/pong/{message_type.__name__}", 1, TIMEOUT), (
        "the peer's writer never matched"
    )

    received = first_arrival(inbox, lambda: publisher.publish(sample))
    assert type(received) is message_type
    assert received == sample


def test_reliable_topics_lose_nothing_and_keep_order(peer, transport) -> None:
    inbox: queue.Queue = queue.Queue()
    transport.subscribe("/pong/Float64MultiArray", m.Float64MultiArray, inbox.put, DEFAULT_QOS)
    publisher = transport.publisher("/ping/Float64MultiArray", m.Float64MultiArray, DEFAULT_QOS)
    assert publisher.wait_for_subscribers(1, TIMEOUT)
    assert transport.wait_for_publishers("/pong/Float64MultiArray", 1, TIMEOUT)
    first_arrival(
        inbox, lambda: publisher.publish(m.Float64MultiArray(data=[-1.0]))
    )  # both hops are live

    # Keep-last 10 promises the newest 10 samples at every hop, so bursts of 10 (the depth) may not
    # lose one.
    got: list[float] = []
    for burst in range(5):
        sent = [float(10 * burst + i) for i in range(DEFAULT_QOS.depth)]
        for value in sent:
            publisher.publish(m.Float64MultiArray(data=[value, -value]))
        while len(got) < len(sent) * (burst + 1):
            value = inbox.get(timeout=TIMEOUT).data[0]
            if value >= 0 or got:  # warm-up repeats (-1) can only come first
                got.append(value)
    assert got == [float(i) for i in range(5 * DEFAULT_QOS.depth)]


def test_ros_qos_profiles_map_onto_dds() -> None:
    from cyclonedds.core import Policy

    reliable = dds_qos(DEFAULT_QOS)
    assert reliable[Policy.Reliability].__class__ is Policy.Reliability.Reliable
    assert reliable[Policy.Durability] == Policy.Durability.Volatile
    assert reliable[Policy.History] == Policy.History.KeepLast(10)
    assert reliable[Policy.DataRepresentation] == Policy.DataRepresentation(
        use_cdrv0_representation=True
    )
    sensor = dds_qos(SENSOR_QOS)
    assert sensor[Policy.Reliability] == Policy.Reliability.BestEffort
    assert sensor[Policy.History] == Policy.History.KeepLast(5)
    assert (
        dds_qos(QoS(reliable=True, depth=1, transient_local=True))[Policy.Durability]
        == Policy.Durability.TransientLocal
    )


def test_qos_compatibility_is_ros_2s(dds_domain: int) -> None:
    """A best-effort reader takes a reliable writer; a reliable reader refuses a best-effort one (as
    in ROS 2)."""
    with DdsTransport(dds_domain, "qos_a") as a, DdsTransport(dds_domain, "qos_b") as b:
        a.subscribe("/qos_check/best_effort_reader", m.Bool, lambda _: None, SENSOR_QOS)
        a.subscribe("/qos_check/reliable_reader", m.Bool, lambda _: None, DEFAULT_QOS)
        matching = b.publisher("/qos_check/best_effort_reader", m.Bool, DEFAULT_QOS)
        refused = b.publisher("/qos_check/reliable_reader", m.Bool, SENSOR_QOS)
        assert matching.wait_for_subscribers(1, TIMEOUT)
        writer = refused._writer
        deadline = time.monotonic() + TIMEOUT
        while writer.get_offered_incompatible_qos_status().total_count == 0:
            assert time.monotonic() < deadline, "the reliable reader was never seen as incompatible"
            time.sleep(0.01)
        assert refused.matched_subscriptions() == 0


def test_topic_names_resolve_as_in_ros_2() -> None:
    assert dds_topic_name("/joint_states") == "rt/joint_states"
    assert dds_topic_name("cmd_vel") == "rt/cmd_vel"
    assert (
        dds_topic_name("/forward_position_controller/commands")
        == "rt/forward_position_controller/commands"
    )
    assert (
        dds_topic_name("~/commands", "forward_position_controller")
        == "rt/forward_position_controller/commands"
    )
    for bad in ("", "/", "/a/", "/a//b", "/a b", "/9lives", "/joint-states"):
        with pytest.raises(ValueError):
            ros_topic_name(bad)


def test_misuse_is_refused(transport) -> None:
    publisher = transport.publisher("/misuse", m.Bool)
    with pytest.raises(TypeError):
        publisher.publish(m.Twist())
    with pytest.raises(ValueError, match="already carries"):
        transport.publisher("/misuse", m.Twist)
    with pytest.raises(TypeError):
        transport.publisher("/misuse_type", dict)


def test_a_failing_callback_is_logged_and_delivery_goes_on(dds_domain: int, caplog) -> None:
    with DdsTransport(dds_domain, "cb_a") as a, DdsTransport(dds_domain, "cb_b") as b:
        good: queue.Queue = queue.Queue()

        def bad(message: m.Bool) -> None:
            raise RuntimeError("callback bug")

        a.subscribe("/cb_check", m.Bool, bad)
        a.subscribe("/cb_check", m.Bool, good.put)
        publisher = b.publisher("/cb_check", m.Bool)
        assert publisher.wait_for_subscribers(2, TIMEOUT)
        with caplog.at_level(logging.ERROR, logger="robodojo.bridge.dds"):
            first = first_arrival(good, lambda: publisher.publish(m.Bool(True)))
            publisher.publish(m.Bool(False))
            while first.data:  # skip repeats of the warm-up
                first = good.get(timeout=TIMEOUT)
        assert first == m.Bool(False)
        assert "callback for /cb_check failed" in caplog.text


def test_close_is_idempotent_works_from_a_callback_and_refuses_later_use(dds_domain: int) -> None:
    a = DdsTransport(dds_domain, "close_a")
    with DdsTransport(dds_domain, "close_b") as b:
        closed = threading.Event()

        def close_from_callback(message: m.Bool) -> None:
            a.close()
            closed.set()

        a.subscribe("/close_check", m.Bool, close_from_callback)
        publisher = b.publisher("/close_check", m.Bool)
        assert publisher.wait_for_subscribers(1, TIMEOUT)
        publisher.publish(m.Bool(True))
        assert closed.wait(TIMEOUT)
        a._thread.join(TIMEOUT)
        assert not a._thread.is_alive()
        a.close()
        with pytest.raises(RuntimeError, match="closed"):
            a.publisher("/close_check", m.Bool)
        with pytest.raises(RuntimeError, match="closed"):
            a.subscribe("/close_check", m.Bool, print)
        b.close()
        with pytest.raises(RuntimeError, match="closed"):
            publisher.publish(m.Bool(True))


def test_open_transport_takes_the_domain_from_ros_domain_id(dds_domain: int, monkeypatch) -> None:
    monkeypatch.setenv("ROS_DOMAIN_ID", str(dds_domain))
    with open_transport("dds", node_name="env_check") as transport:
        assert transport.name == "dds" and transport.domain == dds_domain


_EXIT_SCRIPT = textwrap.dedent("""
    import sys, time
    from robodojo.bridge import messages as m
    from robodojo.bridge.connect import open_transport
    a, b = open_transport("dds", node_name="exit_a"), open_transport("dds", node_name="exit_b")
    got = []
    a.subscribe("/exit_check", m.Imu, got.append, )
    publisher = b.publisher("/exit_check", m.Imu)
    deadline = time.monotonic() + 30
    while not got and time.monotonic() < deadline:
        publisher.publish(m.Imu())
        time.sleep(0.01)
    for _ in range(200):  # still flowing when the interpreter exits
        publisher.publish(m.Imu())
    print("received" if got else "nothing", flush=True)
    if sys.argv[1] == "close":
        a.close(); b.close()
""")


@pytest.mark.parametrize("how", ["close", "exit-without-close"])
def test_a_process_using_dds_exits_cleanly(dds_domain: int, how: str) -> None:
    """No hang and no crash at interpreter exit, whether or not the transports were closed."""
    result = subprocess.run(
        [sys.executable, "-c", _EXIT_SCRIPT, how],
        check=False,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["received"]
    assert "Traceback" not in result.stderr, result.stderr


def test_importing_the_bridge_imports_neither_dds_nor_rclpy() -> None:
    code = (
        "import sys, robodojo.bridge, robodojo.bridge.transport, robodojo.bridge.messages, "
        "robodojo.bridge.loopback, robodojo.bridge.rclpy_transport; "
        "print(sorted(k for k in sys.modules if k.split('.')[0] in ('cyclonedds', 'rclpy')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], check=False, capture_output=True, text=True, timeout=TIMEOUT
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
