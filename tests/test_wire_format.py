"""What the DDS transport puts on the wire is what ROS 2 puts there: bytes, topic names, type names,
QoS.

Bytes: every message type serialized by our CycloneDDS types (XCDR1 with its
4-byte encapsulation header, what the writer sends) equals ``rosbags``'
``serialize_cdr`` for ROS 2 Humble and Jazzy, and rosbags' bytes decode back to
the same message. Names: a second process publishes and subscribes every
type; this process reads its endpoints through DDS built-in topics
(``DCPSPublication`` / ``DCPSSubscription``, i.e. what SEDP carried over
loopback) and finds ROS 2's topic and type names and QoS.
"""

from __future__ import annotations

import time

import pytest

pytest.importorskip(
    "cyclonedds", reason="cyclonedds is not installed (pip install 'robodojo[ros]')"
)
pytest.importorskip("rosbags", reason="rosbags (the reference serializer) is not installed")

from dds_support import (
    QOS,
    SAMPLES,
    TIMEOUT,
    TOPIC_MESSAGES,
    echo_peer,
    from_rosbags,
    serialize,
    typestore,
)

from robodojo.bridge import messages as m
from robodojo.bridge.dds_types import IDL_TYPES, dds_type_name, from_idl, to_idl

STORES = ["ros2_humble", "ros2_jazzy"]

#: ROS 2's names for each type, written out (not computed) so a naming slip cannot cancel out.
ROS_DDS_TYPE_NAMES = {
    m.JointState: "sensor_msgs::msg::dds_::JointState_",
    m.Imu: "sensor_msgs::msg::dds_::Imu_",
    m.Float64MultiArray: "std_msgs::msg::dds_::Float64MultiArray_",
    m.Twist: "geometry_msgs::msg::dds_::Twist_",
    m.Bool: "std_msgs::msg::dds_::Bool_",
    m.Time: "builtin_interfaces::msg::dds_::Time_",
    m.Header: "std_msgs::msg::dds_::Header_",
    m.Vector3: "geometry_msgs::msg::dds_::Vector3_",
    m.Quaternion: "geometry_msgs::msg::dds_::Quaternion_",
    m.MultiArrayDimension: "std_msgs::msg::dds_::MultiArrayDimension_",
    m.MultiArrayLayout: "std_msgs::msg::dds_::MultiArrayLayout_",
}


@pytest.fixture(scope="module", params=STORES)
def store(request):
    return typestore(request.param)


def test_every_message_type_has_a_sample_and_a_ros_name() -> None:
    assert {type(sample) for sample in SAMPLES.values()} == set(m.MESSAGE_TYPES) == set(IDL_TYPES)
    for message_type, name in ROS_DDS_TYPE_NAMES.items():
        assert dds_type_name(message_type.ROS_TYPE) == name
        assert IDL_TYPES[message_type].__idl_typename__.replace(".", "::") == name


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_our_bytes_are_ros_2s_bytes(store, name: str) -> None:
    sample = SAMPLES[name]
    ours = to_idl(sample).serialize()
    reference = serialize(sample, store)
    assert ours[:4] == b"\x00\x01\x00\x00", "XCDR1 little-endian (CDR_LE) encapsulation header"
    assert ours.hex() == reference.hex()


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_ros_2s_bytes_decode_to_the_same_message(store, name: str) -> None:
    sample = SAMPLES[name]
    decoded = from_idl(IDL_TYPES[type(sample)].deserialize(serialize(sample, store)))
    assert decoded == sample
    ros_message = store.deserialize_cdr(to_idl(sample).serialize(), sample.ROS_TYPE)
    assert from_rosbags(ros_message, type(sample)) == sample


def _endpoints(reader, wanted: set[str]) -> dict:
    """Built-in topic samples by topic name, until all ``wanted`` names were seen."""
    seen: dict = {}
    deadline = time.monotonic() + TIMEOUT
    while not wanted <= seen.keys():
        assert time.monotonic() < deadline, (
            f"saw {sorted(seen)}, still missing {sorted(wanted - seen.keys())}"
        )
        for sample in reader.take(N=256):
            if sample.sample_info.valid_data:
                seen[sample.topic_name] = sample
        time.sleep(0.02)
    return seen


def test_topic_type_names_and_qos_on_the_wire_are_ros_2s(dds_domain: int) -> None:
    from cyclonedds.builtin import (
        BuiltinDataReader,
        BuiltinTopicDcpsPublication,
        BuiltinTopicDcpsSubscription,
    )
    from cyclonedds.core import Policy
    from cyclonedds.domain import DomainParticipant

    types = [type(SAMPLES[name]) for name in TOPIC_MESSAGES]
    # A participant of our own in this process: it learns the peer's endpoints only through
    # discovery.
    spy = DomainParticipant(dds_domain)
    try:
        publications = BuiltinDataReader(spy, BuiltinTopicDcpsPublication)
        subscriptions = BuiltinDataReader(spy, BuiltinTopicDcpsSubscription)
        with echo_peer():
            published = _endpoints(publications, {f"rt/pong/{t.__name__}" for t in types})
            subscribed = _endpoints(subscriptions, {f"rt/ping/{t.__name__}" for t in types})
        for message_type in types:
            for endpoint in (
                published[f"rt/pong/{message_type.__name__}"],
                subscribed[f"rt/ping/{message_type.__name__}"],
            ):
                assert endpoint.type_name == ROS_DDS_TYPE_NAMES[message_type]
                assert endpoint.participant_key != spy.guid  # it came from the peer process
                qos, profile = endpoint.qos, QOS[message_type]
                expected_reliability = (
                    Policy.Reliability.Reliable
                    if profile.reliable
                    else type(Policy.Reliability.BestEffort)
                )
                assert isinstance(qos[Policy.Reliability], expected_reliability), qos
                assert qos[Policy.Durability] == Policy.Durability.Volatile
                assert qos[Policy.History] == Policy.History.KeepLast(profile.depth)
                assert qos[Policy.DataRepresentation] == Policy.DataRepresentation(
                    use_cdrv0_representation=True
                )
        print(
            {
                name: e.type_name
                for name, e in {**published, **subscribed}.items()
                if name.startswith("rt/")
            }
        )
    finally:
        spy._delete(spy._ref)
