"""The :class:`~robodojo.bridge.transport.Transport` as a real ROS 2 node (rclpy), when ROS 2 is
installed.

rclpy is imported when a transport is made, never when this module is
imported. Each transport owns its own rclpy context (so its domain id is its
own), one node, and one thread spinning a single-threaded executor: callbacks
run there, as with :mod:`robodojo.bridge.dds`. Messages map onto the rosidl
classes by ``ROS_TYPE`` (``sensor_msgs/msg/JointState`` ->
``sensor_msgs.msg.JointState``), field by field, with each value coerced to the
field's declared type (rosidl checks them strictly: an ``int`` in a ``double``
field is refused).

Tested by ``tests/test_rclpy_transport.py`` where rclpy exists (it is neither
on PyPI nor in Debian bookworm; install ROS 2 to run those tests).
"""

from __future__ import annotations

import dataclasses
import importlib
import threading
from collections.abc import Callable
from typing import Any, cast

from robodojo.bridge import messages as m
from robodojo.bridge.transport import DEFAULT_QOS, QoS, wait_until

_BY_ROS_TYPE: dict[str, type] = {cls.ROS_TYPE: cls for cls in m.MESSAGE_TYPES}


def ros_class(message_type: type) -> type:
    """The rosidl class for a bridge dataclass: ``JointState`` -> ``sensor_msgs.msg.JointState``."""
    # the Transport API passes message classes as plain `type`s; each is a RosMessage
    ros_type = cast("type[m.RosMessage]", message_type).ROS_TYPE
    package, kind, name = ros_type.split("/")
    return getattr(importlib.import_module(f"{package}.{kind}"), name)


_CONVERT: dict[str, Callable[[Any], Any]] = {
    "double": float,
    "float": float,
    "boolean": bool,
    "string": str,
    **dict.fromkeys(
        ("octet", "byte", "int8", "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64"),
        int,
    ),
}


def _coerce(value: Any, ros_field_type: str) -> Any:
    """``value`` as rosidl wants it for a field declared ``ros_field_type`` (e.g.
    ``sequence<double>``, ``double[9]``)."""
    base = ros_field_type.rsplit("<", maxsplit=1)[-1].split("[", maxsplit=1)[0].rstrip(">")
    convert = _CONVERT.get(base)
    if "sequence<" in ros_field_type or "[" in ros_field_type:
        return [v if convert is None else convert(v) for v in value]
    return value if convert is None else convert(value)


def to_ros(message: Any) -> Any:
    """A bridge dataclass as its rosidl message (nested messages too)."""
    out = ros_class(type(message))()
    for name, field_type in out.get_fields_and_field_types().items():
        value = getattr(message, name)
        if dataclasses.is_dataclass(value):
            value = to_ros(value)
        elif isinstance(value, (list, tuple)) and value and dataclasses.is_dataclass(value[0]):
            value = [to_ros(v) for v in value]
        else:
            value = _coerce(value, field_type)
        setattr(out, name, value)
    return out


def from_ros(message: Any) -> Any:
    """A rosidl message as its bridge dataclass (nested messages too)."""
    cls = type(message)
    dataclass_type = _BY_ROS_TYPE[f"{cls.__module__.split('.')[0]}/msg/{cls.__name__}"]

    def convert(value: Any) -> Any:
        if hasattr(value, "get_fields_and_field_types"):
            return from_ros(value)
        if hasattr(value, "tolist"):  # array.array (sequences), numpy arrays (fixed arrays)
            return value.tolist()
        if isinstance(value, list):
            return [convert(v) for v in value]
        return value

    return dataclass_type(
        **{f.name: convert(getattr(message, f.name)) for f in dataclasses.fields(dataclass_type)}
    )


class RclpyPublisher:
    def __init__(self, publisher: Any, message_type: type) -> None:
        self._publisher = publisher
        self.message_type = message_type

    def publish(self, message: Any) -> None:
        if type(message) is not self.message_type:
            raise TypeError(
                f"{self._publisher.topic_name} carries {self.message_type.__name__}, "
                f"got {type(message).__name__}"
            )
        self._publisher.publish(to_ros(message))

    def matched_subscriptions(self) -> int:
        return self._publisher.get_subscription_count()

    def wait_for_subscribers(self, count: int = 1, timeout: float = 10.0) -> bool:
        """Wait until at least ``count`` subscriptions match; False on timeout."""
        return wait_until(lambda: self.matched_subscriptions() >= count, timeout)


class RclpyTransport:
    """A ROS 2 node in its own rclpy context on ``domain``; callbacks come from its executor
    thread."""

    name = "rclpy"

    def __init__(self, domain: int = 0, node_name: str = "robodojo") -> None:
        import rclpy
        from rclpy.executors import SingleThreadedExecutor

        self._rclpy = rclpy
        self._context = rclpy.Context()
        rclpy.init(context=self._context, domain_id=domain)
        self._node = rclpy.create_node(node_name, context=self._context)
        self._executor = SingleThreadedExecutor(context=self._context)
        self._executor.add_node(self._node)
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._spin, name=f"rclpy-{node_name}", daemon=True)
        self._thread.start()

    def _qos(self, qos: QoS) -> Any:
        from rclpy.qos import DurabilityPolicy, HistoryPolicy, QoSProfile, ReliabilityPolicy

        return QoSProfile(
            history=HistoryPolicy.KEEP_LAST,
            depth=qos.depth,
            reliability=ReliabilityPolicy.RELIABLE
            if qos.reliable
            else ReliabilityPolicy.BEST_EFFORT,
            durability=DurabilityPolicy.TRANSIENT_LOCAL
            if qos.transient_local
            else DurabilityPolicy.VOLATILE,
        )

    def publisher(self, topic: str, message_type: type, qos: QoS = DEFAULT_QOS) -> RclpyPublisher:
        return RclpyPublisher(
            self._node.create_publisher(ros_class(message_type), topic, self._qos(qos)),
            message_type,
        )

    def subscribe(
        self,
        topic: str,
        message_type: type,
        callback: Callable[[Any], None],
        qos: QoS = DEFAULT_QOS,
    ) -> None:
        self._node.create_subscription(
            ros_class(message_type), topic, lambda msg: callback(from_ros(msg)), self._qos(qos)
        )

    def wait_for_publishers(self, topic: str, count: int = 1, timeout: float = 10.0) -> bool:
        """Wait until ``topic`` has at least ``count`` publishers on the graph; False on timeout."""
        return wait_until(lambda: self._node.count_publishers(topic) >= count, timeout)

    def __enter__(self) -> RclpyTransport:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop spinning, then destroy the node and shut the context down. Safe to call twice."""
        if self._closed.is_set():
            return
        self._closed.set()
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout=10.0)
        self._executor.shutdown()
        self._node.destroy_node()
        self._rclpy.shutdown(context=self._context)

    def _spin(self) -> None:
        while not self._closed.is_set():
            self._executor.spin_once(timeout_sec=0.1)
