"""ROS 2 topics over plain DDS (the ``cyclonedds`` wheel), wire-compatible with ROS 2 on
rmw_cyclonedds.

What a ROS 2 node on rmw_cyclonedds (Humble, Jazzy) sees from this transport:

* topic ``/joint_states`` travels as the DDS topic ``rt/joint_states``
  (relative names resolve against ``/``, ``~/x`` against ``/<node_name>/x``);
* its type is ``sensor_msgs::msg::dds_::JointState_`` (see :mod:`.dds_types`),
  encoded as XCDR1 (the writers and readers offer only that representation);
* :class:`~robodojo.bridge.transport.QoS` maps to reliability (reliable or best
  effort), durability (volatile or transient-local) and keep-last history of
  the given depth, so ROS 2's default profile and its sensor-data profile
  match as they do between ROS nodes.

The domain is the one passed in (``ROS_DOMAIN_ID`` through
:func:`~robodojo.bridge.transport.open_transport`); the network setup comes
from ``CYCLONEDDS_URI`` as for any CycloneDDS process (see :mod:`.loopback`).

Callbacks run on one reader thread per transport, which waits on a DDS waitset
(never polls) and calls them in arrival order. :meth:`DdsTransport.close`
wakes and joins that thread before it deletes the DDS entities; transports
left open are closed at interpreter exit. ROS 2 tools list these topics
(``ros2 topic list/echo`` read DDS discovery), but not a node: rmw's
``ros_discovery_info`` graph topic is not published.
"""

from __future__ import annotations

import atexit
import logging
import re
import threading
import weakref
from collections.abc import Callable
from typing import Any

from cyclonedds.core import (
    DDSException,
    GuardCondition,
    InstanceState,
    Policy,
    Qos,
    ReadCondition,
    SampleState,
    ViewState,
    WaitSet,
)
from cyclonedds.domain import DomainParticipant
from cyclonedds.pub import DataWriter, Publisher
from cyclonedds.sub import DataReader, Subscriber
from cyclonedds.topic import Topic
from cyclonedds.util import duration

from robodojo.bridge.dds_types import from_idl, idl_type, to_idl
from robodojo.bridge.transport import DEFAULT_QOS, QoS, wait_until

_log = logging.getLogger(__name__)

#: What one reader thread takes per call; anything more is taken on the next round.
_TAKE_BATCH = 64
#: The reader thread re-checks for close at least this often, even if nothing wakes it.
_WAIT_SECONDS = 1.0
_NAME = re.compile(r"[A-Za-z0-9_]+(/[A-Za-z0-9_]+)*")
_open: weakref.WeakSet[DdsTransport] = weakref.WeakSet()


def ros_topic_name(topic: str, node_name: str = "robodojo") -> str:
    """A ROS topic name made absolute: ``x`` -> ``/x``, ``~/x`` -> ``/<node_name>/x``."""
    if topic == "~" or topic.startswith("~/"):
        topic = f"/{node_name}{topic[1:]}"
    elif not topic.startswith("/"):
        topic = "/" + topic
    if not _NAME.fullmatch(topic[1:]) or topic[1:2].isdigit():
        raise ValueError(f"not a valid ROS topic name: {topic!r}")
    return topic


def dds_topic_name(topic: str, node_name: str = "robodojo") -> str:
    """The DDS topic rmw_cyclonedds uses for ROS topic ``topic``: ``/joint_states`` ->
    ``rt/joint_states``."""
    return "rt" + ros_topic_name(topic, node_name)


def dds_qos(qos: QoS) -> Qos:
    """CycloneDDS QoS for a ROS QoS profile (XCDR1 only, as ROS 2 sends)."""
    return Qos(
        Policy.Reliability.Reliable(max_blocking_time=duration(milliseconds=100))
        if qos.reliable
        else Policy.Reliability.BestEffort,
        Policy.Durability.TransientLocal if qos.transient_local else Policy.Durability.Volatile,
        Policy.History.KeepLast(qos.depth),
        Policy.DataRepresentation(use_cdrv0_representation=True),
    )


class DdsPublisher:
    """Publishes one message type on one topic (from any thread)."""

    def __init__(
        self, transport: DdsTransport, writer: DataWriter, message_type: type, topic: str
    ) -> None:
        self._transport = transport
        self._writer = writer
        self.message_type = message_type
        self.topic = topic

    def publish(self, message: Any) -> None:
        """Send ``message`` (of this publisher's type); ``RuntimeError`` once the transport is
        closed."""
        if type(message) is not self.message_type:
            raise TypeError(
                f"{self.topic} carries {self.message_type.__name__}, got {type(message).__name__}"
            )
        sample = to_idl(message)
        # never races close(): a closed transport says so, not a DDS error
        with self._transport._lock:
            self._transport._check_open()
            self._writer.write(sample)

    def matched_subscriptions(self) -> int:
        """How many readers (anywhere on the domain) this publisher currently matches."""
        return self._writer.get_publication_matched_status().current_count

    def wait_for_subscribers(self, count: int = 1, timeout: float = 10.0) -> bool:
        """Wait until at least ``count`` readers match; False on timeout."""
        return wait_until(lambda: self.matched_subscriptions() >= count, timeout)


class _Subscription:
    def __init__(
        self,
        reader: DataReader,
        condition: ReadCondition,
        callback: Callable[[Any], None],
        topic: str,
    ):
        self.reader = reader
        self.condition = condition
        self.callback = callback
        self.topic = topic


class DdsTransport:
    """The :class:`~robodojo.bridge.transport.Transport` over plain DDS. One DDS participant per
    instance."""

    name = "dds"

    def __init__(self, domain: int = 0, node_name: str = "robodojo") -> None:
        self.domain = domain
        self.node_name = node_name
        self._participant = DomainParticipant(domain)
        self._publisher = Publisher(self._participant)
        self._subscriber = Subscriber(self._participant)
        self._topics: dict[str, Topic] = {}
        self._subscriptions: list[_Subscription] = []
        self._writers: list[DataWriter] = []
        self._lock = threading.Lock()
        self._closed = False
        self._wake = GuardCondition(self._participant)
        self._waitset = WaitSet(self._participant)
        self._waitset.attach(self._wake)
        self._thread = threading.Thread(target=self._spin, name=f"dds-{node_name}", daemon=True)
        self._thread.start()
        _open.add(self)

    # -- the Transport interface -------------------------------------------------------------
    def publisher(self, topic: str, message_type: type, qos: QoS = DEFAULT_QOS) -> DdsPublisher:
        """A publisher of ``message_type`` on ROS topic ``topic``."""
        with self._lock:
            self._check_open()
            writer = DataWriter(self._publisher, self._topic(topic, message_type), qos=dds_qos(qos))
            self._writers.append(writer)
        return DdsPublisher(self, writer, message_type, ros_topic_name(topic, self.node_name))

    def subscribe(
        self,
        topic: str,
        message_type: type,
        callback: Callable[[Any], None],
        qos: QoS = DEFAULT_QOS,
    ) -> None:
        """Call ``callback(message)`` for every message on ``topic``, from this transport's reader
        thread."""
        with self._lock:
            self._check_open()
            reader = DataReader(
                self._subscriber, self._topic(topic, message_type), qos=dds_qos(qos)
            )
            condition = ReadCondition(reader, SampleState.Any | ViewState.Any | InstanceState.Any)
            self._subscriptions.append(
                _Subscription(reader, condition, callback, ros_topic_name(topic, self.node_name))
            )
            self._waitset.attach(condition)
        self._wake.set(True)

    def close(self) -> None:
        """Stop the reader thread, then leave the domain. Safe to call twice, and from a
        callback."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        _open.discard(self)
        self._wake.set(True)
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout=10.0)
        with self._lock:
            for sub in self._subscriptions:
                self._waitset.detach(sub.condition)
            self._waitset.detach(self._wake)
            self._subscriptions.clear()
            self._writers.clear()
            self._topics.clear()
            participant = self._participant
            del self._participant, self._publisher, self._subscriber, self._waitset, self._wake
        # Deleting the participant deletes every entity under it in one call; the Python
        # wrappers left behind only hold dead handles.
        participant._delete(participant._ref)

    def __enter__(self) -> DdsTransport:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- extras for tests and tools ----------------------------------------------------------
    def wait_for_publishers(self, topic: str, count: int = 1, timeout: float = 10.0) -> bool:
        """Wait until this transport's readers of ``topic`` match at least ``count`` writers; False
        on timeout."""
        name = ros_topic_name(topic, self.node_name)
        with self._lock:
            readers = [s.reader for s in self._subscriptions if s.topic == name]
        if not readers:
            raise ValueError(f"no subscription on {name}")
        return wait_until(
            lambda: (
                min(r.get_subscription_matched_status().current_count for r in readers) >= count
            ),
            timeout,
        )

    # -- internals -------------------------------------------------------------------------
    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError("transport is closed")

    def _topic(self, topic: str, message_type: type) -> Topic:
        name = dds_topic_name(topic, self.node_name)
        data_type = idl_type(message_type)
        existing = self._topics.get(name)
        if existing is not None:
            if existing.data_type is not data_type:
                raise ValueError(
                    f"{ros_topic_name(topic, self.node_name)} already carries "
                    f"{existing.data_type.__name__.rstrip('_')} here, not {message_type.__name__}"
                )
            return existing
        self._topics[name] = Topic(self._participant, name, data_type)
        return self._topics[name]

    def _spin(self) -> None:
        waitset, wake = self._waitset, self._wake
        while True:
            with self._lock:
                if self._closed:
                    return
                subscriptions = list(self._subscriptions)
            for sub in subscriptions:
                self._deliver(sub)
            if self._closed:  # a callback closed the transport: its entities are gone
                return
            try:
                waitset.wait(duration(seconds=_WAIT_SECONDS))
                wake.set(False)
            except DDSException:
                if self._closed:  # close() gave up waiting for a callback and deleted the entities
                    return
                raise

    def _deliver(self, sub: _Subscription) -> None:
        while not self._closed:
            samples = sub.reader.take(N=_TAKE_BATCH, condition=sub.condition)
            for sample in samples:
                if self._closed:
                    return
                if not sample.sample_info.valid_data:
                    continue
                try:
                    sub.callback(from_idl(sample))
                except Exception:  # a faulty callback must not stop the other topics
                    _log.exception("callback for %s failed", sub.topic)
            if len(samples) < _TAKE_BATCH:
                return


@atexit.register
def _close_all() -> None:
    for transport in list(_open):
        transport.close()
