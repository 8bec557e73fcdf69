"""Unitree A1 (12.5 kg), from pybullet_data's ``a1/a1.urdf``.

The URDF names the thigh and calf joints ``*_upper_joint`` / ``*_lower_joint``;
Unitree's own description (unitree_ros ``a1_description``) and its ROS drivers
call them ``*_thigh_joint`` / ``*_calf_joint``, which is what we expose.
"""

from robodojo.robots.quadruped import LEGS, QuadrupedSpec, legs, per_leg
from robodojo.robots.registry import register_robot

_PUSH = (0.0, 3.5, -2.2)  # thigh swung over the back, calf half folded
_IDLE = (0.0, 1.0, -1.5)

A1 = register_robot(
    QuadrupedSpec(
        name="a1",
        urdf="a1/a1.urdf",
        joint_names=tuple(
            f"{leg}_{part}_joint" for leg in LEGS for part in ("hip", "thigh", "calf")
        ),
        urdf_joint_names=tuple(
            f"{leg}_{part}_joint" for leg in LEGS for part in ("hip", "upper", "lower")
        ),
        home=per_leg(0.0, 0.8, -1.5),  # legged_gym and Unitree examples stand A1 here
        tuck=per_leg(0.0, 1.4, -2.65),
        # URDF limits; the thigh can swing over the back, which self-righting uses.
        lower=per_leg(-0.802851, -1.0472, -2.69653),
        upper=per_leg(0.802851, 4.18879, -0.916298),
        # Unitree quotes 33.5 N·m peak for every A1 joint (the URDF says 20 / 55).
        torque_limit=per_leg(33.5, 33.5, 33.5),
        kp=per_leg(40.0, 40.0, 40.0),
        kd=per_leg(1.0, 1.0, 1.0),
        standing_height=0.293,  # measured: python -m robodojo.robots.calibrate a1
        mass=12.46,
        # Found with robots/calibrate.py's pose search: swinging the thighs over the back
        # flips A1 off its back; doing it with the lower side's legs rolls it off its side.
        keyframes={
            "flip": per_leg(*_PUSH),
            "roll_right": legs(FR=(0.3, 3.5, -2.2), FL=_IDLE, RR=(0.3, 3.5, -2.2), RL=_IDLE),
            "roll_left": legs(FR=_IDLE, FL=(-0.3, 3.5, -2.2), RR=_IDLE, RL=(-0.3, 3.5, -2.2)),
        },
    )
)
