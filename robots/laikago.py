"""Unitree Laikago (25.6 kg), from pybullet_data's ``laikago/laikago_toes_zup.urdf``.

The URDF's joints are ``FR_hip_motor_2_chassis_joint`` (abduction; axis ±z in
the hip-motor frame, which points along the body's x axis),
``FR_upper_leg_2_hip_motor_joint`` (thigh) and ``FR_lower_leg_2_upper_leg_joint``
(knee). We expose Unitree's names ``FR_hip_joint`` / ``FR_thigh_joint`` /
``FR_calf_joint``.

Every angle in this spec is a *URDF* angle. Checked by forward kinematics:
positive hip abducts (moves the foot outwards) on *every* leg — the hip axis is
flipped on the right legs —, positive thigh swings the foot backwards and
negative knee folds it forwards, as on A1. But the URDF's zero is not Unitree's:
Unitree's zero (leg straight down) is thigh −0.6, knee +0.66 here. Unitree's
angles are ``VENDOR_SIGN * q_urdf + VENDOR_OFFSET`` (:func:`to_vendor`; Google's
motion_imitation drives the real Laikago with this URDF and these offsets). A
bridge to Unitree's SDK must convert; the other robots here need no conversion.
"""

import numpy as np

from robodojo.robots.quadruped import LEGS, QuadrupedSpec, legs, per_leg
from robodojo.robots.registry import register_robot

VENDOR_SIGN = legs(FR=(-1, 1, 1), FL=(1, 1, 1), RR=(-1, 1, 1), RL=(1, 1, 1))
VENDOR_OFFSET = per_leg(0.0, 0.6, -0.66)

# Self-righting leg poses (hip, thigh, calf; URDF angles) for the legs on the lower / upper side.
_RIGHT_DOWN_LOW, _RIGHT_DOWN_HIGH = (-0.78, 2.58, 0.0), (-0.03, 3.4, -1.82)
_LEFT_DOWN_LOW, _LEFT_DOWN_HIGH = (-0.87, 3.4, -0.04), (0.83, 1.1, -1.01)

LAIKAGO = register_robot(
    QuadrupedSpec(
        name="laikago",
        urdf="laikago/laikago_toes_zup.urdf",
        joint_names=tuple(
            f"{leg}_{part}_joint" for leg in LEGS for part in ("hip", "thigh", "calf")
        ),
        urdf_joint_names=tuple(
            f"{leg}_{part}"
            for leg in LEGS
            for part in (
                "hip_motor_2_chassis_joint",
                "upper_leg_2_hip_motor_joint",
                "lower_leg_2_upper_leg_joint",
            )
        ),
        # Unitree's stand (0, 0.67, -1.25) in URDF angles: feet just under the hips.
        home=per_leg(0.0, 0.07, -0.59),
        tuck=per_leg(0.0, 0.8, -2.0),  # Unitree (0, 1.4, -2.66), A1's tuck
        # The URDF has no limits. These are the ones pybullet_data's own
        # laikago_toes_limits.urdf gives the same joints, and they agree with
        # unitree_ros laikago_description (hip −50°…60°, thigh −30°…225°,
        # calf −159°…−35° in Unitree's zero) once converted.
        lower=per_leg(-0.873, -1.3, -2.164),
        upper=per_leg(1.0472, 3.4, 0.0),
        # unitree_ros laikago_description caps the hip at ~19 N·m and thigh/calf at 40 N·m;
        # we keep thigh/calf at 35 N·m, inside the 20–35 N·m usually quoted for the real
        # actuators, so nothing trained here leans on the very peak.
        torque_limit=per_leg(19.0, 35.0, 35.0),
        # Twice A1's stiffness for twice the mass. Explicit PD at dt = 4 ms: the
        # smallest effective inertia (floating base, knee at home ≈ 0.0075 kg·m²)
        # gives kd·dt/I ≈ 1.07 and kp·dt²/I ≈ 0.17, inside the stable region (≈ 2).
        kp=per_leg(80.0, 80.0, 80.0),
        kd=per_leg(2.0, 2.0, 2.0),
        standing_height=0.473,  # measured: python -m robodojo.robots.calibrate laikago
        mass=25.567,
        # `python -m robodojo.robots.calibrate laikago --keyframes --trials 200 --starts 8`
        # (seed 0), then the best of its top five by the scripted get-up on env seeds
        # 100–199. Laikago's tall body needs the whole range (thighs at their limit over
        # the back, knees straight) and still one push rights it only 75–90 % of the
        # time in the search; the get-up simply pushes again.
        hip_sign=np.array([-1.0, 1.0, -1.0, 1.0]),  # the right hips' axis is flipped (see above)
        # Trot: at home the feet stand ±0.117 m to the sides under a 0.47 m body (height 4× the
        # half-width; A1 2.2×), and in two-leg support the body tips over the diagonal: stepping
        # in place with every feedback loop off it rolled over in 1.5 s (3/3 seeds) with the
        # motors far from their limits (hip 3 %, calf 2 % of substeps saturated), so not
        # torque. Abducting the feet 0.3 rad outwards (≈ 14 cm each side) holds roll under 9°
        # at 0.3 m/s (3/3 seeds, 5 s; 0.1 rad: 3/3 fell; 0.2: |roll| 10°, no forward speed).
        gait={"stance_width": 0.3},
        keyframes={
            "flip": per_leg(-0.11, 3.4, 0.0),
            "roll_right": legs(
                FR=_RIGHT_DOWN_LOW, FL=_RIGHT_DOWN_HIGH, RR=_RIGHT_DOWN_LOW, RL=_RIGHT_DOWN_HIGH
            ),
            "roll_left": legs(
                FR=_LEFT_DOWN_HIGH, FL=_LEFT_DOWN_LOW, RR=_LEFT_DOWN_HIGH, RL=_LEFT_DOWN_LOW
            ),
        },
    )
)


def to_vendor(q_urdf: np.ndarray) -> np.ndarray:
    """Joint angles in Unitree's convention (what Laikago's SDK reports) from URDF angles."""
    return VENDOR_SIGN * np.asarray(q_urdf) + VENDOR_OFFSET
