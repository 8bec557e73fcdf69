"""The rclpy transport, where ROS 2 is installed: messages map onto rosidl, nodes talk, and to the
DDS transport.

Skipped here: rclpy is neither on PyPI nor in Debian bookworm.
"""

from __future__ import annotations

import queue

import pytest

from robodojo.bridge.transport import rclpy_available

pytestmark = pytest.mark.skipif(
    not rclpy_available(),
    reason="rclpy is not installed (it is neither on PyPI nor in Debian bookworm); "
    "install ROS 2 to run these",
)

from dds_support import QOS, SAMPLES, TOPIC_MESSAGES, first_arrival  # noqa: E402


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_messages_map_onto_rosidl_and_back(name: str) -> None:
    from robodojo.bridge.rclpy_transport import from_ros, to_ros

    assert from_ros(to_ros(SAMPLES[name])) == SAMPLES[name]


def _exchange(sender, receiver, name: str) -> object:
    sample = SAMPLES[name]
    message_type = type(sample)
    inbox: queue.Queue = queue.Queue()
    receiver.subscribe(
        f"/rclpy_check/{message_type.__name__}", message_type, inbox.put, QOS[message_type]
    )
    publisher = sender.publisher(
        f"/rclpy_check/{message_type.__name__}", message_type, QOS[message_type]
    )
    return first_arrival(inbox, lambda: publisher.publish(sample))


@pytest.mark.parametrize("name", TOPIC_MESSAGES)
def test_two_rclpy_nodes_exchange_every_message_type(dds_domain: int, name: str) -> None:
    from robodojo.bridge.rclpy_transport import RclpyTransport

    a, b = RclpyTransport(dds_domain, "rclpy_a"), RclpyTransport(dds_domain, "rclpy_b")
    try:
        assert _exchange(a, b, name) == SAMPLES[name]
    finally:
        a.close()
        b.close()


@pytest.mark.parametrize("name", TOPIC_MESSAGES)
def test_rclpy_and_the_dds_transport_understand_each_other(dds_domain: int, name: str) -> None:
    pytest.importorskip(
        "cyclonedds", reason="cyclonedds is not installed (pip install 'robodojo[ros]')"
    )
    from robodojo.bridge.dds import DdsTransport
    from robodojo.bridge.rclpy_transport import RclpyTransport

    ros, dds = RclpyTransport(dds_domain, "rclpy_side"), DdsTransport(dds_domain, "dds_side")
    try:
        assert _exchange(ros, dds, name) == SAMPLES[name]
        assert _exchange(dds, ros, name) == SAMPLES[name]
    finally:
        ros.close()
        dds.close()
