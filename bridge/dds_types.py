# cyclonedds declares IDL field types in its own runtime type language (sequence[str],
# array[float64, 9]), which mypy reads as ordinary generics and rejects:
# mypy: disable-error-code="valid-type,type-arg,assignment"
"""The bridge's messages as CycloneDDS IDL structs named the way ROS 2 names them on the wire.

rmw_cyclonedds publishes ROS type ``pkg/msg/Type`` as the DDS type
``pkg::msg::dds_::Type_``; an :class:`~cyclonedds.idl.IdlStruct` gets that name
from its ``typename`` written with dots (``sensor_msgs.msg.dds_.JointState_``),
which cyclonedds turns into ``::`` on the wire. Field names, order and types are
those of the ``.msg`` files, every struct is ``@final`` (plain XCDR1, as ROS 2
sends), so the serialized bytes equal a ROS 2 node's (``tests/test_wire_format.py``
compares them with the ``rosbags`` serializer).

:func:`to_idl` and :func:`from_idl` convert between these structs and the plain
dataclasses of :mod:`robodojo.bridge.messages`. Importing this module imports
``cyclonedds``; only :mod:`robodojo.bridge.dds` does, lazily.
"""

# No ``from __future__ import annotations``: cyclonedds resolves the field annotations at run time.
import dataclasses
from dataclasses import dataclass
from typing import Any

from cyclonedds.idl import IdlStruct
from cyclonedds.idl.annotations import final
from cyclonedds.idl.types import array, float64, int32, sequence, uint32

from robodojo.bridge import messages as m


def dds_type_name(ros_type: str) -> str:
    """``sensor_msgs/msg/JointState`` -> ``sensor_msgs::msg::dds_::JointState_`` (rmw_cyclonedds's
    naming)."""
    package, kind, name = ros_type.split("/")
    return f"{package}::{kind}::dds_::{name}_"


@final
@dataclass
class Time_(IdlStruct, typename="builtin_interfaces.msg.dds_.Time_"):
    sec: int32 = 0
    nanosec: uint32 = 0


@final
@dataclass
class Header_(IdlStruct, typename="std_msgs.msg.dds_.Header_"):
    stamp: Time_ = dataclasses.field(default_factory=Time_)
    frame_id: str = ""


@final
@dataclass
class JointState_(IdlStruct, typename="sensor_msgs.msg.dds_.JointState_"):
    header: Header_ = dataclasses.field(default_factory=Header_)
    name: sequence[str] = dataclasses.field(default_factory=list)
    position: sequence[float64] = dataclasses.field(default_factory=list)
    velocity: sequence[float64] = dataclasses.field(default_factory=list)
    effort: sequence[float64] = dataclasses.field(default_factory=list)


@final
@dataclass
class Vector3_(IdlStruct, typename="geometry_msgs.msg.dds_.Vector3_"):
    x: float64 = 0.0
    y: float64 = 0.0
    z: float64 = 0.0


@final
@dataclass
class Quaternion_(IdlStruct, typename="geometry_msgs.msg.dds_.Quaternion_"):
    x: float64 = 0.0
    y: float64 = 0.0
    z: float64 = 0.0
    w: float64 = 1.0


def _zeros9() -> list[float]:
    return [0.0] * 9


@final
@dataclass
class Imu_(IdlStruct, typename="sensor_msgs.msg.dds_.Imu_"):
    header: Header_ = dataclasses.field(default_factory=Header_)
    orientation: Quaternion_ = dataclasses.field(default_factory=Quaternion_)
    orientation_covariance: array[float64, 9] = dataclasses.field(default_factory=_zeros9)
    angular_velocity: Vector3_ = dataclasses.field(default_factory=Vector3_)
    angular_velocity_covariance: array[float64, 9] = dataclasses.field(default_factory=_zeros9)
    linear_acceleration: Vector3_ = dataclasses.field(default_factory=Vector3_)
    linear_acceleration_covariance: array[float64, 9] = dataclasses.field(default_factory=_zeros9)


@final
@dataclass
class MultiArrayDimension_(IdlStruct, typename="std_msgs.msg.dds_.MultiArrayDimension_"):
    label: str = ""
    size: uint32 = 0
    stride: uint32 = 0


@final
@dataclass
class MultiArrayLayout_(IdlStruct, typename="std_msgs.msg.dds_.MultiArrayLayout_"):
    dim: sequence[MultiArrayDimension_] = dataclasses.field(default_factory=list)
    data_offset: uint32 = 0


@final
@dataclass
class Float64MultiArray_(IdlStruct, typename="std_msgs.msg.dds_.Float64MultiArray_"):
    layout: MultiArrayLayout_ = dataclasses.field(default_factory=MultiArrayLayout_)
    data: sequence[float64] = dataclasses.field(default_factory=list)


@final
@dataclass
class Twist_(IdlStruct, typename="geometry_msgs.msg.dds_.Twist_"):
    linear: Vector3_ = dataclasses.field(default_factory=Vector3_)
    angular: Vector3_ = dataclasses.field(default_factory=Vector3_)


@final
@dataclass
class Bool_(IdlStruct, typename="std_msgs.msg.dds_.Bool_"):
    data: bool = False


#: dataclass -> IDL struct, for every message of :mod:`robodojo.bridge.messages`.
IDL_TYPES: dict[type, type] = {
    m.Time: Time_,
    m.Header: Header_,
    m.JointState: JointState_,
    m.Vector3: Vector3_,
    m.Quaternion: Quaternion_,
    m.Imu: Imu_,
    m.MultiArrayDimension: MultiArrayDimension_,
    m.MultiArrayLayout: MultiArrayLayout_,
    m.Float64MultiArray: Float64MultiArray_,
    m.Twist: Twist_,
    m.Bool: Bool_,
}
_DATACLASSES: dict[type, type] = {idl: dc for dc, idl in IDL_TYPES.items()}


def idl_type(message_type: type) -> type:
    """The IDL struct for a message dataclass (``TypeError`` for anything else)."""
    try:
        return IDL_TYPES[message_type]
    except KeyError:
        raise TypeError(
            f"{message_type!r} is not a bridge message type (robodojo.bridge.messages)"
        ) from None


def _convert_out(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return to_idl(value)
    if isinstance(value, str):
        return value
    if hasattr(value, "__iter__"):
        return [_convert_out(v) for v in value]
    if hasattr(value, "item"):  # numpy scalar -> Python scalar
        return value.item()
    return value


def to_idl(message: Any) -> IdlStruct:
    """A :mod:`~robodojo.bridge.messages` dataclass instance as its IDL struct (nested ones too)."""
    cls = idl_type(type(message))
    return cls(
        **{f.name: _convert_out(getattr(message, f.name)) for f in dataclasses.fields(message)}
    )


def _convert_in(value: Any) -> Any:
    if isinstance(value, IdlStruct):
        return from_idl(value)
    if isinstance(value, list):
        return [_convert_in(v) for v in value]
    return value


def from_idl(sample: IdlStruct) -> Any:
    """An IDL struct (as received) as its :mod:`~robodojo.bridge.messages` dataclass."""
    cls = _DATACLASSES[type(sample)]
    return cls(**{f.name: _convert_in(getattr(sample, f.name)) for f in dataclasses.fields(cls)})
