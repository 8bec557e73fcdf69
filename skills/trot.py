"""Scripted trot: the quadruped's onboard walking skill (a CPG with velocity feedback).

Diagonal leg pairs (FR+RL, FL+RR) swing in antiphase at ``frequency`` Hz.
Each leg's phase φ drives three joint offsets around the home pose:

* thigh = home + s·cos φ: the foot swings forward while sin φ > 0 and pushes
  back in stance, so the stride amplitude ``s`` sets the forward speed;
* calf = home − lift·max(0, sin φ): the foot clears the ground in swing;
* hip = home − l·cos φ: the same for sideways steps (amplitude ``l``); a robot's
  ``stance_width`` abducts every foot outwards around home.

Turning is a differential stride (left legs longer than right turns left).
On slopes the thighs lean with the body's pitch so the legs stay plumb.
The amplitudes come from PI loops on the body velocity in the heading frame
and on the yaw rate, so the gait tracks (vx, vy, ωz) commands and cancels
its own drift. It reads only what a real quadruped's state estimator gives
(body velocity, gyro), never the simulator.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

import numpy as np

from robodojo.robots.quadruped import QuadrupedSpec

#: A1's standing height: the gains below were tuned on it and scale with leg length.
REFERENCE_HEIGHT = 0.293
#: Legs FR, FL, RR, RL: phase offsets (diagonal pairs in antiphase) and side (+1 left).
PHASE_OFFSET = np.array([0.0, math.pi, math.pi, 0.0])
SIDE = np.array([-1.0, 1.0, -1.0, 1.0])
#: Thigh offset per unit of projected gravity along the body x (≈ pitch, rad): on a slope the legs
#: stay plumb instead of square to the body. Measured on 10 sites of difficulty 0.5 (A1, 0.45 m/s,
#: 15 s): falls 4 → 1 and ground covered 1.1 → 2.5 m (0.5: 8 falls; 3: 2 falls, 2.4 m).
PITCH_COMPENSATION = 1.5


@dataclass(frozen=True)
class TrotSettings:
    """The trot's settings; a robot's spec may override any of them (``QuadrupedSpec.gait``).

    Gains are (feed-forward, P, I) from a velocity command and its error to a joint swing
    amplitude, rad per m/s (rad/s for turning), for A1's leg length: they are scaled by
    REFERENCE_HEIGHT / standing height.
    """

    frequency: float = 2.5  #: Hz
    lift: float = 0.6  #: calf flexion at mid-swing, rad
    stride_gains: tuple[float, float, float] = (0.45, 0.3, 0.4)  #: on vx, to the thigh swing
    lateral_gains: tuple[float, float, float] = (0.3, 0.2, 0.3)  #: on vy, to the hip swing
    turn_gains: tuple[float, float, float] = (0.12, 0.1, 0.15)  #: on ωz, to the stride difference
    #: added to every thigh of the home pose while walking, rad: puts the feet's centroid under
    #: the centre of mass (``robots.calibrate`` measures it; 0 where home already does)
    thigh_offset: float = 0.0
    #: hip abduction added to the home pose while walking, rad, feet outwards: a wider support
    #: for a body that is tall for its width (it tips over its diagonal in two-leg support)
    stance_width: float = 0.0

    @classmethod
    def for_robot(cls, spec: QuadrupedSpec) -> TrotSettings:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(spec.gait) - known)
        if unknown:
            raise ValueError(
                f"{spec.name}: unknown gait settings {unknown}; valid: {', '.join(sorted(known))}"
            )
        return cls(**dict(spec.gait))


class TrotGait:
    """Joint targets for a commanded body velocity (vx, vy m/s, ωz rad/s).

    Args:
        spec: the quadruped (home pose, standing height, hip axes, its gait settings).
        control_dt: how often :meth:`targets` is called, s.
        frequency / lift: override the robot's settings (Hz; calf flexion at mid-swing, rad).
    """

    MAX_STRIDE = 0.4  # rad of thigh swing
    MAX_TURN = 0.2
    MAX_LATERAL = 0.15  # rad of hip swing
    INTEGRAL_LIMIT = 1.0

    def __init__(
        self,
        spec: QuadrupedSpec,
        control_dt: float,
        frequency: float | None = None,
        lift: float | None = None,
    ) -> None:
        self.spec = spec
        self.control_dt = control_dt
        settings = TrotSettings.for_robot(spec)
        self.frequency = settings.frequency if frequency is None else frequency
        # Mini Cheetah's knees bend the other way: its thigh and calf angles run with the opposite
        # sign.
        self.knee_sign = 1.0 if spec.home[2] < 0 else -1.0
        # The lateral swing moves every foot the same way: the hip angle's sign follows each
        # leg's hip axis (Laikago's right hips turn the other way round).
        self.hip_sign = np.asarray(spec.hip_sign, dtype=np.float64)
        scale = (
            REFERENCE_HEIGHT / spec.standing_height
        )  # a longer leg covers more ground per radian
        self.stride_gains = np.array(settings.stride_gains) * scale
        self.lateral_gains = np.array(settings.lateral_gains) * scale
        self.turn_gains = np.array(settings.turn_gains) * scale
        self.lift = settings.lift if lift is None else lift
        self.neutral = spec.home.copy()
        self.neutral[1::3] += settings.thigh_offset
        if settings.stance_width:
            self.neutral[0::3] += settings.stance_width * self.hip_sign * SIDE
        self.reset()

    def reset(self) -> None:
        self.phase = 0.0
        self.integral = np.zeros(3)

    def targets(
        self,
        command: np.ndarray,
        body_velocity: np.ndarray,
        yaw_rate: float,
        gravity: np.ndarray | None = None,
    ) -> np.ndarray:
        """Advance the gait one control period and return the joint targets.

        ``body_velocity`` is (vx, vy) in the heading frame (yaw only), ``yaw_rate`` the world z
        rate, ``gravity`` the projected gravity (body frame) for slope compensation.
        """
        command = np.asarray(command, dtype=np.float64)
        error = command - np.array([body_velocity[0], body_velocity[1], yaw_rate])
        self.integral = np.clip(
            self.integral + error * self.control_dt, -self.INTEGRAL_LIMIT, self.INTEGRAL_LIMIT
        )
        stride = self._pi(
            self.stride_gains, command[0], error[0], self.integral[0], self.MAX_STRIDE
        )
        lateral = self._pi(
            self.lateral_gains, command[1], error[1], self.integral[1], self.MAX_LATERAL
        )
        turn = self._pi(self.turn_gains, command[2], error[2], self.integral[2], self.MAX_TURN)

        phases = 2.0 * math.pi * self.phase + PHASE_OFFSET
        swing = np.maximum(0.0, np.sin(phases))
        cos = np.cos(phases)
        targets = self.neutral.copy()
        targets[0::3] += -lateral * self.hip_sign * cos
        targets[1::3] += self.knee_sign * (stride - turn * SIDE) * cos
        targets[2::3] -= self.knee_sign * self.lift * swing
        if gravity is not None:
            targets[1::3] += self.knee_sign * PITCH_COMPENSATION * float(gravity[0])
        self.phase = (self.phase + self.frequency * self.control_dt) % 1.0
        return targets

    @staticmethod
    def _pi(
        gains: np.ndarray, command: float, error: float, integral: float, limit: float
    ) -> float:
        feed_forward, proportional, integral_gain = gains
        return float(
            np.clip(
                feed_forward * command + proportional * error + integral_gain * integral,
                -limit,
                limit,
            )
        )
