"""Support for the ROS 2 bridge's DDS tests: sample messages, the ``rosbags`` reference, peer
processes.

``rosbags`` carries ROS 2's message definitions (Humble, Jazzy) and a CDR
serializer written independently of CycloneDDS; what it produces is what a
ROS 2 node puts on the wire. :func:`to_rosbags` / :func:`from_rosbags` move
the bridge's dataclasses in and out of rosbags' message classes, walking
rosbags' field definitions (never ours), so a field that is missing, extra,
renamed or reordered on our side fails the tests.
"""

from __future__ import annotations

import contextlib
import dataclasses
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import numpy as np

from robodojo.bridge import messages as m
from robodojo.bridge.transport import DEFAULT_QOS, SENSOR_QOS

PEERS = Path(__file__).parent / "peers"
#: Generous: discovery and process start on a loaded 2-core machine.
TIMEOUT = 30.0
#: The QoS ROS 2 uses per message type (sensor data for joint states and IMU;
#: tests/peers/echo_peer.py agrees).
QOS = {
    m.JointState: SENSOR_QOS,
    m.Imu: SENSOR_QOS,
    m.Float64MultiArray: DEFAULT_QOS,
    m.Twist: DEFAULT_QOS,
    m.Bool: DEFAULT_QOS,
}

#: Every message the bridge sends or receives, with values that exercise the encoding:
#: strings of odd lengths (padding), empty and unequal-length sequences, negative numbers,
#: extreme integers, nested sequences of structs.
SAMPLES: dict[str, Any] = {
    "JointState": m.JointState(
        header=m.Header(stamp=m.Time(sec=-7, nanosec=999_999_999), frame_id="base_link"),
        name=["FR_hip_joint", "FR_thigh_joint", "calf", ""],
        position=[0.1, -0.8, 1.5, -2.25],
        velocity=[-3.5, 0.0, 1e-9],
        effort=[],
    ),
    "Imu": m.Imu(
        header=m.Header(stamp=m.Time(sec=1_700_000_000, nanosec=123), frame_id="imu"),
        orientation=m.Quaternion(x=0.5, y=-0.5, z=0.5, w=-0.5),
        orientation_covariance=[float(i) - 4.5 for i in range(9)],
        angular_velocity=m.Vector3(x=-0.01, y=2.5, z=-3.75),
        angular_velocity_covariance=[-1.0] + [0.0] * 7 + [1e300],
        linear_acceleration=m.Vector3(x=0.0, y=-9.81, z=1e-300),
        linear_acceleration_covariance=[0.25] * 9,
    ),
    "Float64MultiArray": m.Float64MultiArray(
        layout=m.MultiArrayLayout(
            dim=[
                m.MultiArrayDimension(label="joints", size=3, stride=6),
                m.MultiArrayDimension(label="xy", size=2, stride=2),
            ],
            data_offset=4_294_967_295,
        ),
        data=[0.0, -0.9, 1.8, -1e6, 3.14159, -0.5],
    ),
    "Twist": m.Twist(linear=m.Vector3(0.5, -0.25, 0.0), angular=m.Vector3(-0.0, 0.1, -1.2)),
    "BoolTrue": m.Bool(data=True),
    "BoolFalse": m.Bool(data=False),
    "Time": m.Time(sec=-2_147_483_648, nanosec=4_294_967_295),
    "Header": m.Header(stamp=m.Time(sec=3, nanosec=4), frame_id="odd"),
    "Vector3": m.Vector3(-1.0, 2.0, -3.0),
    "Quaternion": m.Quaternion(0.1, -0.2, 0.3, -0.9),
    "MultiArrayDimension": m.MultiArrayDimension(label="abcde", size=7, stride=11),
    "MultiArrayLayout": m.MultiArrayLayout(dim=[], data_offset=1),
    "Float64MultiArrayEmpty": m.Float64MultiArray(),
    "JointStateEmpty": m.JointState(),
}

#: The messages that travel on topics (the rest only nest inside them).
TOPIC_MESSAGES = ("JointState", "Imu", "Float64MultiArray", "Twist", "BoolTrue")

_NUMPY = {
    "float64": np.float64,
    "float32": np.float32,
    "int32": np.int32,
    "uint32": np.uint32,
    "int64": np.int64,
    "uint64": np.uint64,
    "uint8": np.uint8,
    "int8": np.int8,
    "int16": np.int16,
    "uint16": np.uint16,
}


def typestore(store: str = "ros2_humble") -> Any:
    from rosbags.typesys import Stores, get_typestore

    return get_typestore(Stores(store))


def _field_out(value: Any, spec: tuple, store: Any) -> Any:
    from rosbags.interfaces import Nodetype

    kind, detail = spec
    if kind == Nodetype.NAME:
        return to_rosbags(value, store, detail)
    if kind == Nodetype.BASE:
        return value
    (element_kind, element_detail), _length = detail
    if element_kind == Nodetype.BASE and element_detail[0] in _NUMPY:
        return np.array(value, dtype=_NUMPY[element_detail[0]])
    return [_field_out(v, (element_kind, element_detail), store) for v in value]


def to_rosbags(message: Any, store: Any, ros_type: str | None = None) -> Any:
    """Our dataclass as rosbags' message of the same ROS type, field by field as rosbags defines
    them."""
    ros_type = ros_type or message.ROS_TYPE
    assert ros_type == message.ROS_TYPE, (message, ros_type)
    _constants, fields = store.fielddefs[ros_type]
    ours = [f.name for f in dataclasses.fields(message)]
    assert ours == [name for name, _ in fields], (
        f"{ros_type}: our fields {ours} != ROS's {[n for n, _ in fields]}"
    )
    return store.types[ros_type](
        **{name: _field_out(getattr(message, name), spec, store) for name, spec in fields}
    )


def from_rosbags(message: Any, cls: type) -> Any:
    """rosbags' message as our dataclass ``cls`` (nested types resolved by ROS type name)."""
    by_ros_type = {c.ROS_TYPE: c for c in m.MESSAGE_TYPES}

    def convert(value: Any) -> Any:
        if hasattr(value, "__msgtype__"):
            return from_rosbags(value, by_ros_type[value.__msgtype__])
        if isinstance(value, np.ndarray):
            return value.tolist()
        if isinstance(value, list):
            return [convert(v) for v in value]
        return value

    return cls(**{f.name: convert(getattr(message, f.name)) for f in dataclasses.fields(cls)})


def serialize(message: Any, store: Any) -> bytes:
    """What a ROS 2 node sends for ``message``: CDR with its 4-byte encapsulation header (little
    endian)."""
    return bytes(store.serialize_cdr(to_rosbags(message, store), message.ROS_TYPE))


class LineReader:
    """Lines of a child's stream, read on a thread so that waiting for one can time out."""

    def __init__(self, stream: IO[str]) -> None:
        self.lines: queue.Queue[str | None] = queue.Queue()
        self._thread = threading.Thread(target=self._pump, args=(stream,), daemon=True)
        self._thread.start()

    def _pump(self, stream: IO[str]) -> None:
        for line in stream:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def next(self, timeout: float = TIMEOUT) -> str | None:
        """The next line; None at end of stream; ``queue.Empty`` after ``timeout`` seconds."""
        return self.lines.get(timeout=timeout)

    def expect(self, wanted: str, timeout: float = TIMEOUT) -> list[str]:
        """Lines up to and including ``wanted``; AssertionError if the stream ends or times out
        first."""
        seen: list[str] = []
        while True:
            try:
                line = self.next(timeout)
            except queue.Empty:
                raise AssertionError(f"no {wanted!r} within {timeout} s; got {seen}") from None
            if line is None:
                raise AssertionError(f"stream ended before {wanted!r}; got {seen}")
            seen.append(line)
            if line == wanted:
                return seen


@contextlib.contextmanager
def echo_peer() -> Iterator[subprocess.Popen]:
    """tests/peers/echo_peer.py in its own process on this run's domain (the environment's), until
    closed.

    On exit closes its stdin and asserts that it closed its transport and exited 0.
    """
    process = subprocess.Popen(
        [sys.executable, str(PEERS / "echo_peer.py")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    out = LineReader(process.stdout)
    try:
        out.expect("ready")
        yield process
        process.stdin.close()
        out.expect("closed")
        assert process.wait(timeout=TIMEOUT) == 0, process.stderr.read()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def first_arrival(inbox: queue.Queue, publish: Callable[[], Any], timeout: float = TIMEOUT) -> Any:
    """Publish until something arrives (best-effort topics may drop the first samples after
    matching)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        publish()
        try:
            return inbox.get(timeout=0.2)
        except queue.Empty:
            continue
    raise AssertionError(f"nothing arrived within {timeout} s")
