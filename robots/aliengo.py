"""Unitree Aliengo (20.6 kg), from pybullet_data's ``aliengo/aliengo.urdf``.

Joint order and zero pose are Unitree's own (unitree_ros ``aliengo_description``):
legs FR, FL, RR, RL × (hip, thigh, calf); all legs zero = straight down, thigh
positive swings the foot backwards, calf negative folds it forwards — the same
convention as A1. The URDF calls thigh and calf ``*_upper_joint`` /
``*_lower_joint``; Unitree's ROS drivers publish ``*_thigh_joint`` /
``*_calf_joint``, which is what we expose. Angles are the URDF's (= Unitree's).
"""

from robodojo.robots.quadruped import LEGS, QuadrupedSpec, legs, per_leg
from robodojo.robots.registry import register_robot

# Self-righting leg poses (hip, thigh, calf) for the legs on the lower / upper side.
_RIGHT_DOWN_LOW, _RIGHT_DOWN_HIGH = (0.04, 3.13, -2.28), (-1.17, 1.34, -2.31)
_LEFT_DOWN_LOW, _LEFT_DOWN_HIGH = (1.08, 3.8, -1.07), (-0.5, 4.01, -0.85)

ALIENGO = register_robot(
    QuadrupedSpec(
        name="aliengo",
        urdf="aliengo/aliengo.urdf",
        joint_names=tuple(
            f"{leg}_{part}_joint" for leg in LEGS for part in ("hip", "thigh", "calf")
        ),
        urdf_joint_names=tuple(
            f"{leg}_{part}_joint" for leg in LEGS for part in ("hip", "upper", "lower")
        ),
        home=per_leg(0.0, 0.8, -1.5),  # feet under the hips, knees back
        tuck=per_leg(0.0, 1.3, -2.65),
        # Hip and calf: the URDF's limits (±70°; −159°…−37°). The URDF leaves the
        # thigh unlimited; unitree_ros const.xacro gives −120°…240°, so the thigh
        # can swing over the back (self-righting uses that).
        lower=per_leg(-1.22173, -2.0944, -2.77507),
        upper=per_leg(1.22173, 4.18879, -0.645772),
        # unitree_ros const.xacro: hip/thigh 35.278 N·m, calf 44.4 N·m (the pybullet
        # URDF writes 44.4 for all three; the vendor's own model is the better source).
        torque_limit=per_leg(35.278, 35.278, 44.4),
        # Stiffer than A1's 40: below ~120 Aliengo keeps rocking on its ball feet for
        # seconds after landing (±5 mm in height), at 150 it settles. Explicit PD at
        # dt = 4 ms: the smallest effective inertia (floating base, folded hip ≈ 0.006,
        # calf ≈ 0.0056 kg·m²) gives kd·dt/I ≈ 1.0 and kp·dt²/I ≈ 0.4, inside the
        # stable region (≈ 2); kd = 2 already chattered at the tucked hip in contact.
        kp=per_leg(150.0, 150.0, 150.0),
        kd=per_leg(1.5, 1.5, 1.5),
        # Trot: feet ±0.134 m to the sides under a 0.38 m body (height 2.9× the half-width; A1
        # 2.2×): at 0.3 m/s it rolled over its diagonal in 1–3 s (2/3 seeds). Feet 0.25 rad
        # outwards keep |roll| under ~10° (0.1: 17°, 0.2–0.3: 6–9°, 3/3 seeds, 5 s); with the
        # lower lift, Locomotion-v0 d=0 on seeds 0–11: falls 1/12, tracking error 0.178 m/s
        # (lift 0.6: 2/12, 0.183–0.215; 3 Hz: worse).
        gait={"stance_width": 0.25, "lift": 0.45},
        standing_height=0.381,  # measured: python -m robodojo.robots.calibrate aliengo
        mass=20.638,
        # `python -m robodojo.robots.calibrate aliengo --keyframes` (150 trials, 6 starts, seed 0),
        # then the best of its top five by the scripted get-up on env seeds 100–199.
        # Like A1: thighs swung over the back, by all legs on the back and mostly by
        # the lower side's legs on a side.
        keyframes={
            "flip": per_leg(-0.19, 3.79, -2.42),
            "roll_right": legs(
                FR=_RIGHT_DOWN_LOW, FL=_RIGHT_DOWN_HIGH, RR=_RIGHT_DOWN_LOW, RL=_RIGHT_DOWN_HIGH
            ),
            "roll_left": legs(
                FR=_LEFT_DOWN_HIGH, FL=_LEFT_DOWN_LOW, RR=_LEFT_DOWN_HIGH, RL=_LEFT_DOWN_LOW
            ),
        },
    )
)
