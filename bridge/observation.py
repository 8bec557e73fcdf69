"""Observations from ROS messages: ``sensor_msgs/JointState`` + ``sensor_msgs/Imu`` → the policy's
input.

A policy's IO spec (``policy.json``) lists its observation fields and joint
names. :class:`ObservationBuilder` reads both messages **by joint name**
(never by array order), checks them, and assembles exactly the vector the env
builds, from the same field declarations
(:func:`robodojo.robots.quadruped.proprioception_fields`: names, sizes, sensor
ranges):

* ``gyro``: ``Imu.angular_velocity`` (body frame, rad/s);
* ``projected_gravity``: Rᵀ·(0, 0, −1) with R the rotation of ``Imu.orientation``
  (world ← body), i.e. minus R's bottom row, as the env computes it;
* ``joint_position_minus_home``: ``JointState.position`` − home;
* ``joint_velocity``: ``JointState.velocity``;
* ``previous_action``: the policy's own last action (the runner keeps it);

clipped to the env's sensor ranges, float32. A message that cannot be read
safely — a missing or unknown joint name, duplicate names, arrays whose
lengths differ from ``name``, NaN/inf anywhere we read, a zero or
non-unit quaternion, an orientation the IMU marks as absent (covariance[0]
= −1) — raises :class:`RejectedMessage` with a one-line reason; the runner
logs it and never acts on that message.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from robodojo.interface import Layout
from robodojo.physics.geometry import quat_to_matrix
from robodojo.policies.spec import env_layout
from robodojo.robots.quadruped import proprioception_fields

#: A quaternion whose norm is farther than this from 1 is rejected (normalised otherwise).
QUATERNION_NORM_TOLERANCE = 0.05
#: The observation fields this module knows how to fill from JointState and Imu messages.
KNOWN_FIELDS = (
    "gyro",
    "projected_gravity",
    "joint_position_minus_home",
    "joint_velocity",
    "previous_action",
)


# N818 waived: a public name (the runner and tests catch it); an Error suffix would rename it
class RejectedMessage(ValueError):  # noqa: N818
    """A message the bridge will not act on; ``str()`` is the reason, one line."""


@dataclass(frozen=True)
class JointReading:
    """Positions and velocities in the policy's joint order, from one JointState."""

    position: np.ndarray
    velocity: np.ndarray
    stamp: float  #: header stamp, s (0 if the driver does not stamp)


@dataclass(frozen=True)
class ImuReading:
    gyro: np.ndarray  #: body frame, rad/s
    gravity: np.ndarray  #: projected gravity, unit vector in the body frame
    stamp: float


class ObservationBuilder:
    """Builds the env observation of an exported policy from ROS messages.

    Args:
        joints: the policy's joint names, in the order its observation and action use.
        home / lower / upper: per-joint home pose and limits (rad), in that order.
        layout: the spec's observation fields (the env's, without a residual's ``base_action``).
        allow_extra_joints: accept JointStates naming joints the policy does not use
            (e.g. a gripper) and ignore those; by default an unknown name is a mismatch
            and the whole message is rejected.
    """

    def __init__(
        self,
        joints: Sequence[str],
        home: Sequence[float],
        lower: Sequence[float],
        upper: Sequence[float],
        layout: Sequence[dict[str, Any]],
        allow_extra_joints: bool = False,
    ) -> None:
        self.joints = list(joints)
        n = len(self.joints)
        if len(set(self.joints)) != n:
            raise ValueError(f"the policy's joint names repeat: {self.joints}")
        self.home = np.asarray(home, dtype=np.float64)
        self.lower = np.asarray(lower, dtype=np.float64)
        self.upper = np.asarray(upper, dtype=np.float64)
        for label, values in (("home", self.home), ("lower", self.lower), ("upper", self.upper)):
            if values.shape != (n,):
                raise ValueError(f"{label} has {values.size} values for {n} joints")
        self.index = {name: i for i, name in enumerate(self.joints)}
        self.allow_extra_joints = allow_extra_joints
        self.fields = [(f["name"], int(f["size"])) for f in layout]
        unknown = [name for name, _ in self.fields if name not in KNOWN_FIELDS]
        if unknown:
            raise ValueError(
                f"the bridge cannot build observation fields {unknown} "
                f"(it knows {', '.join(KNOWN_FIELDS)})"
            )
        for f in layout:
            if f.get("joints") is not None and list(f["joints"]) != self.joints:
                raise ValueError(
                    f"observation field {f['name']!r} lists joints {f['joints']}, "
                    f"not the action's {self.joints}"
                )
        declared = {
            item.name: item
            for item in proprioception_fields(self.joints, self.home, self.lower, self.upper)
        }
        wrong = [
            (name, size, declared[name].size)
            for name, size in self.fields
            if declared[name].size != size
        ]
        if wrong:
            raise ValueError(
                f"observation field sizes {wrong} (name, spec, expected) do not fit {n} joints"
            )
        #: the policy's fields, as the env declares them (so the same bounds clip the same values)
        self.layout = Layout(declared[name] for name, _ in self.fields)
        self.size, self.low, self.high = self.layout.size, self.layout.low, self.layout.high

    @classmethod
    def from_spec(
        cls, spec: dict[str, Any], allow_extra_joints: bool = False
    ) -> ObservationBuilder:
        """From a ``policy.json`` dict (residual policies: the env's fields, the runtime adds
        base_action)."""
        action = spec["action"]
        for key in ("joints", "home", "lower", "upper"):
            if key not in action:
                raise ValueError(
                    f"policy.json has no action.{key}; "
                    "the bridge needs joint names, home pose and limits"
                )
        return cls(
            action["joints"],
            action["home"],
            action["lower"],
            action["upper"],
            env_layout(spec),
            allow_extra_joints,
        )

    # -- reading messages --------------------------------------------------------------
    def read_joint_state(self, msg: Any) -> JointReading:
        """Positions and velocities by name, in the policy's order; raises
        :class:`RejectedMessage`."""
        names = list(msg.name)
        n = len(names)
        if n == 0:
            raise RejectedMessage("JointState has no joint names")
        if len(msg.position) != n:
            raise RejectedMessage(f"JointState has {n} names but {len(msg.position)} positions")
        if len(msg.velocity) != n:
            raise RejectedMessage(
                f"JointState has {n} names but {len(msg.velocity)} velocities "
                "(the policy needs velocities)"
            )
        if len(msg.effort) not in (0, n):
            raise RejectedMessage(f"JointState has {n} names but {len(msg.effort)} efforts")
        if len(set(names)) != n:
            duplicates = sorted({name for name in names if names.count(name) > 1})
            raise RejectedMessage(
                f"JointState names joints more than once: {', '.join(duplicates)}"
            )
        unknown = [name for name in names if name not in self.index]
        if unknown and not self.allow_extra_joints:
            raise RejectedMessage(
                f"JointState names unknown joints {', '.join(unknown)} "
                f"(the policy drives {', '.join(self.joints)})"
            )
        missing = [name for name in self.joints if name not in names]
        if missing:
            raise RejectedMessage(f"JointState lacks joints {', '.join(missing)}")
        order = [names.index(name) for name in self.joints]
        position = np.asarray(msg.position, dtype=np.float64)[order]
        velocity = np.asarray(msg.velocity, dtype=np.float64)[order]
        for label, values in (("position", position), ("velocity", velocity)):
            bad = ~np.isfinite(values)
            if bad.any():
                raise RejectedMessage(
                    f"JointState {label} is NaN/inf for "
                    f"{', '.join(self.joints[i] for i in np.flatnonzero(bad))}"
                )
        return JointReading(position, velocity, _stamp(msg))

    def read_imu(self, msg: Any) -> ImuReading:
        """Gyro and projected gravity from an Imu; raises :class:`RejectedMessage`."""
        cov = list(msg.orientation_covariance)
        if cov and cov[0] == -1.0:
            raise RejectedMessage(
                "Imu marks its orientation as absent (orientation_covariance[0] = -1); "
                "the policy needs it"
            )
        o, w = msg.orientation, msg.angular_velocity
        quaternion = np.array([o.x, o.y, o.z, o.w], dtype=np.float64)
        gyro = np.array([w.x, w.y, w.z], dtype=np.float64)
        if not np.isfinite(quaternion).all():
            raise RejectedMessage(f"Imu orientation is NaN/inf: {quaternion.tolist()}")
        if not np.isfinite(gyro).all():
            raise RejectedMessage(f"Imu angular_velocity is NaN/inf: {gyro.tolist()}")
        norm = float(np.linalg.norm(quaternion))
        if not abs(norm - 1.0) <= QUATERNION_NORM_TOLERANCE:
            raise RejectedMessage(f"Imu orientation is not a unit quaternion (norm {norm:.3g})")
        rotation = quat_to_matrix(quaternion / norm)  # world <- body
        return ImuReading(gyro, -rotation[2, :], _stamp(msg))

    # -- assembling ---------------------------------------------------------------------
    def build(
        self, imu: ImuReading, joints: JointReading, previous_action: np.ndarray
    ) -> np.ndarray:
        """The env observation, float32, clipped to the sensor ranges as the env clips it."""
        values = {
            "gyro": imu.gyro,
            "projected_gravity": imu.gravity,
            "joint_position_minus_home": joints.position - self.home,
            "joint_velocity": joints.velocity,
            "previous_action": np.asarray(previous_action, dtype=np.float64),
        }
        return self.layout.assemble([values[name] for name, _ in self.fields])


def _stamp(msg: Any) -> float:
    stamp = msg.header.stamp
    return float(stamp.sec) + float(stamp.nanosec) * 1e-9
