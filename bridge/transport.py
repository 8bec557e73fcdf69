"""The one small interface the rest of the bridge talks to: publish and subscribe ROS 2 topics.

Two implementations: :mod:`robodojo.bridge.dds` (plain DDS through the
``cyclonedds`` wheel, wire-compatible with ROS 2 nodes on rmw_cyclonedds) and
:mod:`robodojo.bridge.rclpy_transport` (a real rclpy node, when ROS 2 is
installed). :func:`robodojo.bridge.connect.open_transport` picks one; both
are imported lazily, so importing the bridge needs neither.

Topic names are ROS names (``/joint_states``); each transport maps them onto
its wire (``rt/joint_states`` for DDS). Domain ids come from
``ROS_DOMAIN_ID`` unless given, as in ROS 2.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class QoS:
    """The QoS settings ROS 2 uses, by name (rclpy's presets)."""

    reliable: bool
    depth: int
    transient_local: bool = False


#: rclpy.qos.QoSProfile default: reliable, volatile, keep last 10.
DEFAULT_QOS = QoS(reliable=True, depth=10)
#: rclpy.qos.qos_profile_sensor_data: best effort, volatile, keep last 5 (joint states, IMU).
SENSOR_QOS = QoS(reliable=False, depth=5)


class Publisher(Protocol):
    def publish(self, message: Any) -> None: ...


class Transport(Protocol):
    """Publish/subscribe on ROS 2 topics with the dataclasses of :mod:`robodojo.bridge.messages`."""

    name: str  #: "dds" or "rclpy"

    def publisher(self, topic: str, message_type: type, qos: QoS = DEFAULT_QOS) -> Publisher:
        """A publisher of ``message_type`` on ROS topic ``topic``."""
        ...

    def subscribe(
        self,
        topic: str,
        message_type: type,
        callback: Callable[[Any], None],
        qos: QoS = DEFAULT_QOS,
    ) -> None:
        """Call ``callback(message)`` for every message on ``topic`` (from a transport thread)."""
        ...

    def close(self) -> None:
        """Leave the network. Safe to call twice."""
        ...


def wait_until(predicate: Callable[[], bool], timeout: float, poll: float = 0.01) -> bool:
    """Poll ``predicate`` until it holds (True) or ``timeout`` seconds pass (False): discovery
    waits."""
    import time

    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() >= deadline:
            return False
        time.sleep(poll)
    return True


def domain_id(explicit: int | None = None) -> int:
    """The DDS domain: ``explicit`` if given, else ``ROS_DOMAIN_ID`` (default 0), as ROS 2 does."""
    if explicit is not None:
        return explicit
    raw = os.environ.get("ROS_DOMAIN_ID", "0").strip() or "0"
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"ROS_DOMAIN_ID must be an integer, got {raw!r}") from None
    if not 0 <= value <= 232:
        raise ValueError(f"ROS_DOMAIN_ID must be in 0..232 (as in ROS 2), got {value}")
    return value


def rclpy_available() -> bool:
    """Whether a ROS 2 installation's rclpy can be imported (checked without importing it)."""
    import importlib.util

    return importlib.util.find_spec("rclpy") is not None
