"""Unitree B1 (55.7 kg), from example-robot-data's ``b1_description/urdf/b1.urdf``.

The industrial quadruped, 4.5 times A1's mass on legs 0.35 m + 0.35 m long.
The URDF's joint names are Unitree's own (``FR_hip_joint``, ``FR_thigh_joint``,
``FR_calf_joint``, ...) and its zero is Unitree's (legs straight down; thigh
positive swings the foot backwards, calf negative folds it), as on Go2 and A1:
nothing to map. We map every joint by name, never by index (the URDF lists the
legs FR, FL, RR, RL here, but the merged body's link order differs). The
1e-6 kg ``base`` link is fixed to the 25 kg ``trunk``, and the rotors, feet and
IMU are fixed links too: they are merged into their parents at load
(URDF_MERGE_FIXED_LINKS), 12 links instead of 30, the same 55.689 kg.

Joint speeds: the URDF gives 19.69 (hip), 23.32 (thigh) and 15.55 rad/s (calf).
A QuadrupedSpec has no speed field; the envs rate-limit the joint *targets* to
15 rad/s (``max_target_speed``), below all three, but the PD itself does not cap
the joints' speed.
"""

from robodojo.physics import pybullet
from robodojo.robots.model_files import FROM_EXAMPLE_ROBOT_DATA
from robodojo.robots.quadruped import LEGS, QuadrupedSpec, legs, per_leg
from robodojo.robots.registry import register_robot

_NAMES = tuple(f"{leg}_{part}_joint" for leg in LEGS for part in ("hip", "thigh", "calf"))
# Self-righting leg poses (hip, thigh, calf) for the legs on the lower / upper side.
_RIGHT_DOWN_LOW, _RIGHT_DOWN_HIGH = (-0.49, 3.5, -0.92), (0.75, 0.84, -2.43)
_LEFT_DOWN_LOW, _LEFT_DOWN_HIGH = (0.38, 3.29, -2.11), (0.07, 3.17, -1.57)

B1 = register_robot(
    QuadrupedSpec(
        name="b1",
        urdf=FROM_EXAMPLE_ROBOT_DATA + "b1_description/urdf/b1.urdf",
        joint_names=_NAMES,
        urdf_joint_names=_NAMES,  # the URDF already uses Unitree's names
        # The "standing" group state of example-robot-data's own b1_description/srdf/b1.srdf.
        home=per_leg(0.0, 0.8, -1.6),
        # A1's tuck thigh (1.4); the calf folded to 0.05 rad short of B1's −2.6 stop (A1's
        # −2.65 sits as close to its −2.697). The belly rests 0.21 m up on it
        # (calibrate's stand_from_belly), the legs under the body.
        tuck=per_leg(0.0, 1.4, -2.55),
        # URDF limits (the same front and rear; the thigh swings over the back to 3.5).
        lower=per_leg(-0.75, -1.0, -2.6),
        upper=per_leg(0.75, 3.5, -0.6),
        # URDF efforts: hip 91.0035, thigh 93.33, calf 140 N·m.
        torque_limit=per_leg(91.0035, 93.33, 140.0),
        # Measured, not copied: community legged_gym B1 configs (Isaac Gym, implicit PD) use
        # kp 80, kd 2; here that stands the body 0.39 m up (14 cm below the kinematic
        # 0.53 m) and still rocking 5 mm a second after 3 s. A1's stiffness per kg (178)
        # stands at 0.42 m, pitched 11°, the feet skidded 0.26 m. B1 stands on 0.04 m
        # ball feet that roll: at kp 250–300 it rocks for seconds (0.5 Hz, 9–13 mm);
        # at 400 the rocking decays to 0.1 mm in 4 s and the stand sags 3 cm
        # (calf error 0.05 rad). Damping per joint from the smallest effective inertias
        # of the floating-base mass matrix over 300 random poses (hip 0.051, thigh 0.146,
        # calf 0.0108 kg·m²): at dt = 4 ms, kd·dt/I = 0.93 / 0.55 / 1.48 and
        # kp·dt²/I = 0.12 / 0.04 / 0.59, inside explicit PD's stable region (≈ 2). The
        # calf's small inertia caps its kd; the hip and thigh carry the body's damping.
        kp=per_leg(400.0, 400.0, 400.0),
        kd=per_leg(12.0, 20.0, 4.0),
        standing_height=0.50,  # measured: python -m robodojo.robots.calibrate b1 (0.4995)
        mass=55.689,
        # `python -m robodojo.robots.calibrate b1 --keyframes` (150 trials, 6 starts, seed 0),
        # then the best of its top five by the scripted get-up on env seeds 100–199 (all
        # 100/100 there; ties broken by the mean time to stand). On its back B1 needs the
        # thighs at their 3.5 limit and the knees straight, and one push rights it 83 % of
        # the time in the search; the get-up pushes again. On a side the lower side's legs
        # swing over the back, the upper side's fold: 100 % in the search.
        keyframes={
            "flip": per_leg(0.28, 3.48, -0.6),
            "roll_right": legs(
                FR=_RIGHT_DOWN_LOW, FL=_RIGHT_DOWN_HIGH, RR=_RIGHT_DOWN_LOW, RL=_RIGHT_DOWN_HIGH
            ),
            "roll_left": legs(
                FR=_LEFT_DOWN_HIGH, FL=_LEFT_DOWN_LOW, RR=_LEFT_DOWN_HIGH, RL=_LEFT_DOWN_LOW
            ),
        },
        urdf_flags=pybullet.URDF_MERGE_FIXED_LINKS,
    )
)
