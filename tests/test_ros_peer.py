"""A ROS-2-like peer on CycloneDDS 0.10 (the C library ROS 2 Humble and Jazzy ship) talks with our
transport.

tests/peers/ros_peer.c is compiled here against Debian's ``cyclonedds-dev``
(0.10.2). Like rmw_cyclonedds it compiles in no IDL and announces no type
information: its topics use a raw sertype known only by topic and type name,
so it matches our endpoints by those names alone, as a ROS 2 node would. It
prints the raw CDR payloads it receives, which must be the bytes the
``rosbags`` serializer makes for what we sent; and what it sends (rosbags'
bytes) must arrive here as the message rosbags serialized.
"""

from __future__ import annotations

import contextlib
import queue
import shutil
import subprocess
import time
from pathlib import Path

import pytest

pytest.importorskip(
    "cyclonedds", reason="cyclonedds is not installed (pip install 'robodojo[ros]')"
)
pytest.importorskip("rosbags", reason="rosbags (the reference serializer) is not installed")

from dds_support import PEERS, SAMPLES, TIMEOUT, LineReader, from_rosbags, serialize, typestore

from robodojo.bridge import messages as m
from robodojo.bridge.dds import DdsTransport
from robodojo.bridge.transport import DEFAULT_QOS, SENSOR_QOS

DDS_HEADER = Path("/usr/include/dds/dds.h")
VERSION_HEADER = Path("/usr/include/dds/version.h")


@pytest.fixture(scope="module")
def ros_peer(tmp_path_factory) -> Path:
    """tests/peers/ros_peer.c built against the system's CycloneDDS C library."""
    if not DDS_HEADER.exists():
        pytest.skip(
            "Debian's cyclonedds-dev (CycloneDDS 0.10, as ROS 2 Humble/Jazzy ship) "
            "is not installed: "
            "`apt-get install cyclonedds-dev` (make test does it when run as root)"
        )
    compiler = shutil.which("gcc") or shutil.which("cc")
    if compiler is None:
        pytest.skip("no C compiler (gcc) to build the CycloneDDS C peer")
    version = next(
        line.split('"')[1]
        for line in VERSION_HEADER.read_text().splitlines()
        if line.startswith("#define DDS_VERSION ")
    )
    assert version.startswith("0.10."), (
        f"expected CycloneDDS 0.10.x (ROS 2 Humble/Jazzy's), found {version}"
    )
    flags = ["-DDDS_NDEBUG", "-lddsc"]
    if shutil.which("pkg-config"):
        pkg = subprocess.run(
            ["pkg-config", "--cflags", "--libs", "CycloneDDS"],
            check=False,
            capture_output=True,
            text=True,
        )
        if pkg.returncode == 0:
            flags = pkg.stdout.split()
    binary = tmp_path_factory.mktemp("ros_peer") / "ros_peer"
    build = subprocess.run(
        [
            compiler,
            "-std=gnu11",
            "-O1",
            "-Wall",
            "-Wextra",
            "-Werror",
            "-o",
            str(binary),
            str(PEERS / "ros_peer.c"),
            *flags,
        ],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert build.returncode == 0, build.stderr
    return binary


def _start(binary: Path, *args: str) -> tuple[subprocess.Popen, LineReader]:
    process = subprocess.Popen(
        [str(binary), *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    out = LineReader(process.stdout)
    out.expect("ready")
    return process, out


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.kill()
    process.wait()


def _as_on_the_wire(reference: bytes) -> bytes:
    """rosbags' bytes as DDS carries them: padded with zeros to a multiple of 4 (the RTPS submessage
    alignment)."""
    return reference + b"\0" * (-len(reference) % 4)


def _reliability(qos) -> str:
    return "reliable" if qos.reliable else "best_effort"


COMMANDS = [  # what the bridge sends a ROS 2 robot
    pytest.param(
        "/forward_position_controller/commands",
        "std_msgs::msg::dds_::Float64MultiArray_",
        [
            SAMPLES["Float64MultiArray"],
            SAMPLES["Float64MultiArrayEmpty"],
            m.Float64MultiArray(data=[0.05 * i - 0.3 for i in range(12)]),
            m.Float64MultiArray(data=[-0.001 * i for i in range(3000)]),
        ],  # 24 kB: sent in fragments
        id="Float64MultiArray",
    ),
    pytest.param(
        "/cmd_vel",
        "geometry_msgs::msg::dds_::Twist_",
        [SAMPLES["Twist"], m.Twist(), m.Twist(angular=m.Vector3(z=-0.7))],
        id="Twist",
    ),
    pytest.param(
        "/estop",
        "std_msgs::msg::dds_::Bool_",
        [m.Bool(True), m.Bool(False), m.Bool(True)],
        id="Bool",
    ),
]


@pytest.mark.parametrize("topic, dds_type, messages", COMMANDS)
def test_the_ros_peer_receives_our_commands_byte_for_byte(
    dds_domain: int, ros_peer: Path, topic: str, dds_type: str, messages: list
) -> None:
    store = typestore("ros2_humble")
    process, out = _start(
        ros_peer,
        "sub",
        "rt" + topic,
        dds_type,
        str(len(messages)),
        _reliability(DEFAULT_QOS),
        str(DEFAULT_QOS.depth),
        str(int(TIMEOUT)),
    )
    try:
        with DdsTransport(dds_domain, "peer_test") as transport:
            publisher = transport.publisher(topic, type(messages[0]), DEFAULT_QOS)
            assert publisher.wait_for_subscribers(1, TIMEOUT), (
                "the C peer's reader never matched ours"
            )
            out.expect("matched")
            for message in messages:
                publisher.publish(message)
            lines = out.expect("done")
        assert process.wait(timeout=TIMEOUT) == 0, process.stderr.read()
    finally:
        _stop(process)
    payloads = [bytes.fromhex(line.split()[1]) for line in lines if line.startswith("sample ")]
    assert len(payloads) == len(messages)
    for payload, message in zip(payloads, messages, strict=True):  # reliable: all, in order
        reference = serialize(message, store)
        assert payload.hex() == _as_on_the_wire(reference).hex()
        assert (
            from_rosbags(store.deserialize_cdr(payload, message.ROS_TYPE), type(message)) == message
        )


STATE = [  # what a ROS 2 robot sends the bridge (sensor-data QoS)
    pytest.param(
        "/joint_states",
        "sensor_msgs::msg::dds_::JointState_",
        SAMPLES["JointState"],
        id="JointState",
    ),
    pytest.param("/imu/data", "sensor_msgs::msg::dds_::Imu_", SAMPLES["Imu"], id="Imu"),
]


@pytest.mark.parametrize("topic, dds_type, message", STATE)
def test_the_ros_peer_receives_our_state_byte_for_byte(
    dds_domain: int, ros_peer: Path, topic: str, dds_type: str, message
) -> None:
    """What the simulated robot publishes (sensor-data QoS, best effort: sent until one arrives)."""
    store = typestore("ros2_jazzy")
    process, out = _start(
        ros_peer,
        "sub",
        "rt" + topic,
        dds_type,
        "1",
        _reliability(SENSOR_QOS),
        str(SENSOR_QOS.depth),
        str(int(TIMEOUT)),
    )
    try:
        with DdsTransport(dds_domain, "peer_test") as transport:
            publisher = transport.publisher(topic, type(message), SENSOR_QOS)
            assert publisher.wait_for_subscribers(1, TIMEOUT), (
                "the C peer's reader never matched ours"
            )
            out.expect("matched")
            deadline = time.monotonic() + TIMEOUT
            line = None
            while line is None:
                assert time.monotonic() < deadline, "nothing reached the C peer"
                publisher.publish(message)
                with contextlib.suppress(queue.Empty):
                    line = out.next(timeout=0.2)
            out.expect("done")
        assert process.wait(timeout=TIMEOUT) == 0, process.stderr.read()
    finally:
        _stop(process)
    assert line.startswith("sample "), line
    payload = bytes.fromhex(line.removeprefix("sample "))
    assert payload.hex() == _as_on_the_wire(serialize(message, store)).hex()


@pytest.mark.parametrize("topic, dds_type, message", STATE)
def test_we_receive_what_the_ros_peer_publishes(
    dds_domain: int, ros_peer: Path, topic: str, dds_type: str, message
) -> None:
    wire = serialize(message, typestore("ros2_jazzy")).hex()
    process, out = _start(
        ros_peer,
        "pub",
        "rt" + topic,
        dds_type,
        _reliability(SENSOR_QOS),
        str(SENSOR_QOS.depth),
        str(int(TIMEOUT)),
    )
    try:
        with DdsTransport(dds_domain, "peer_test") as transport:
            inbox: queue.Queue = queue.Queue()
            transport.subscribe(topic, type(message), inbox.put, SENSOR_QOS)
            assert transport.wait_for_publishers(topic, 1, TIMEOUT), (
                "the C peer's writer never matched our reader"
            )
            out.expect("matched")
            deadline = time.monotonic() + TIMEOUT
            received = None
            while received is None:  # best effort: the first samples after matching may be dropped
                assert time.monotonic() < deadline, "nothing arrived from the C peer"
                process.stdin.write(wire + "\n")
                process.stdin.flush()
                with contextlib.suppress(queue.Empty):
                    received = inbox.get(timeout=0.2)
            process.stdin.close()
            out.expect("done")
        assert process.wait(timeout=TIMEOUT) == 0, process.stderr.read()
    finally:
        _stop(process)
    assert received == message


def test_the_type_name_must_match_as_in_ros_2(dds_domain: int, ros_peer: Path) -> None:
    """Same topic, another type name: no match (the peer has no type information to go by, only
    names)."""
    from cyclonedds.builtin import BuiltinDataReader, BuiltinTopicDcpsSubscription

    process, _out = _start(
        ros_peer,
        "sub",
        "rt/name_check",
        "std_msgs::msg::dds_::Float32MultiArray_",
        "1",
        "reliable",
        "10",
        str(int(TIMEOUT)),
    )
    try:
        with DdsTransport(dds_domain, "name_test") as transport:
            publisher = transport.publisher("/name_check", m.Float64MultiArray)
            spy = BuiltinDataReader(transport._participant, BuiltinTopicDcpsSubscription)
            deadline = time.monotonic() + TIMEOUT
            found: list = []
            while not found:
                assert time.monotonic() < deadline, "the C peer's reader was never discovered"
                found = [
                    s
                    for s in spy.take(N=256)
                    if s.sample_info.valid_data and s.topic_name == "rt/name_check"
                ]
                time.sleep(0.02)
            assert found[0].type_name == "std_msgs::msg::dds_::Float32MultiArray_"
            assert found[0].type_id is None, (
                "the C peer must announce no XTypes type information (as rmw_cyclonedds)"
            )
            time.sleep(0.5)  # discovered, so matching has been decided; give it a moment anyway
            assert publisher.matched_subscriptions() == 0
    finally:
        _stop(process)
