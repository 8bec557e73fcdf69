"""The ROS 2 messages the bridge speaks, as plain dataclasses (no ROS, no DDS needed to use them).

Field names, order and types follow the ROS 2 message definitions
(``sensor_msgs/msg/JointState`` etc.), so each transport maps them 1:1 onto
its wire types: the DDS transport onto IDL structs named like rmw_cyclonedds
names them (``sensor_msgs::msg::dds_::JointState_``), the rclpy transport onto
the generated ROS classes. ``ROS_TYPE`` on each class is its ROS type name.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Protocol


class RosMessage(Protocol):
    """What every message class here has: ``ROS_TYPE``, its ROS type name."""

    ROS_TYPE: str


@dataclass
class Time:
    """builtin_interfaces/msg/Time."""

    ROS_TYPE = "builtin_interfaces/msg/Time"
    sec: int = 0  #: int32
    nanosec: int = 0  #: uint32

    @classmethod
    def from_seconds(cls, seconds: float) -> Time:
        """The stamp nearest ``seconds`` in whole nanoseconds; a fraction that rounds up to a whole
        second carries into ``sec`` (1.9999999999 s is (2, 0), not (1, 0))."""
        whole = math.floor(seconds)
        nanosec = int(round((seconds - whole) * 1e9))
        if nanosec >= 1_000_000_000:
            whole, nanosec = whole + 1, nanosec - 1_000_000_000
        return cls(sec=whole, nanosec=nanosec)


@dataclass
class Header:
    """std_msgs/msg/Header."""

    ROS_TYPE = "std_msgs/msg/Header"
    stamp: Time = field(default_factory=Time)
    frame_id: str = ""


@dataclass
class JointState:
    """sensor_msgs/msg/JointState: positions (rad), velocities (rad/s), efforts (N·m) by joint
    name."""

    ROS_TYPE = "sensor_msgs/msg/JointState"
    header: Header = field(default_factory=Header)
    name: list[str] = field(default_factory=list)
    position: list[float] = field(default_factory=list)
    velocity: list[float] = field(default_factory=list)
    effort: list[float] = field(default_factory=list)


@dataclass
class Vector3:
    """geometry_msgs/msg/Vector3."""

    ROS_TYPE = "geometry_msgs/msg/Vector3"
    x: float = 0.0
    y: float = 0.0
    z: float = 0.0


@dataclass
class Quaternion:
    """geometry_msgs/msg/Quaternion (x, y, z, w; identity by default, as in ROS)."""

    ROS_TYPE = "geometry_msgs/msg/Quaternion"
    x: float = 0.0
    y: float = 0.0
    z: float = 0.0
    w: float = 1.0


@dataclass
class Imu:
    """sensor_msgs/msg/Imu: orientation (world ← body), angular velocity (body, rad/s), linear
    acceleration."""

    ROS_TYPE = "sensor_msgs/msg/Imu"
    header: Header = field(default_factory=Header)
    orientation: Quaternion = field(default_factory=Quaternion)
    orientation_covariance: list[float] = field(default_factory=lambda: [0.0] * 9)  #: float64[9]
    angular_velocity: Vector3 = field(default_factory=Vector3)
    angular_velocity_covariance: list[float] = field(default_factory=lambda: [0.0] * 9)
    linear_acceleration: Vector3 = field(default_factory=Vector3)
    linear_acceleration_covariance: list[float] = field(default_factory=lambda: [0.0] * 9)


@dataclass
class MultiArrayDimension:
    """std_msgs/msg/MultiArrayDimension."""

    ROS_TYPE = "std_msgs/msg/MultiArrayDimension"
    label: str = ""
    size: int = 0  #: uint32
    stride: int = 0  #: uint32


@dataclass
class MultiArrayLayout:
    """std_msgs/msg/MultiArrayLayout."""

    ROS_TYPE = "std_msgs/msg/MultiArrayLayout"
    dim: list[MultiArrayDimension] = field(default_factory=list)
    data_offset: int = 0  #: uint32


@dataclass
class Float64MultiArray:
    """std_msgs/msg/Float64MultiArray: what ros2_control's forward command controller takes on
    ``~/commands``.

    The array carries no joint names: its order is the controller's configured
    ``joints`` list, which the bridge reads from config and maps by name.
    """

    ROS_TYPE = "std_msgs/msg/Float64MultiArray"
    layout: MultiArrayLayout = field(default_factory=MultiArrayLayout)
    data: list[float] = field(default_factory=list)


@dataclass
class Twist:
    """geometry_msgs/msg/Twist: body velocity command (m/s, rad/s), e.g. on ``/cmd_vel``."""

    ROS_TYPE = "geometry_msgs/msg/Twist"
    linear: Vector3 = field(default_factory=Vector3)
    angular: Vector3 = field(default_factory=Vector3)


@dataclass
class Bool:
    """std_msgs/msg/Bool: operator enable and e-stop switches."""

    ROS_TYPE = "std_msgs/msg/Bool"
    data: bool = False


#: Every message class the bridge sends or receives (nested types included).
MESSAGE_TYPES: tuple[type[RosMessage], ...] = (
    Time,
    Header,
    JointState,
    Vector3,
    Quaternion,
    Imu,
    MultiArrayDimension,
    MultiArrayLayout,
    Float64MultiArray,
    Twist,
    Bool,
)
