"""MIT Mini Cheetah (8.9 kg), from pybullet_data's ``mini_cheetah/mini_cheetah.urdf``.

The joint names are MIT's own (Cheetah-Software and this URDF):
``torso_to_abduct_fr_j`` (ab/ad), ``abduct_fr_to_thigh_fr_j`` (hip),
``thigh_fr_to_knee_fr_j`` (knee); MIT calls the hind legs ``hr`` / ``hl``,
which are our RR / RL. MIT's angle convention is the URDF's: hip and knee
turn about −y, so their signs are the mirror of Unitree's — the hip goes
*negative* to swing a foot backwards and the knee *positive* to fold it
(MIT stands at (0, −0.8, 1.6) where A1 stands at (0, 0.8, −1.5)).
"""

from robodojo.robots.quadruped import LEGS, QuadrupedSpec, legs, per_leg
from robodojo.robots.registry import register_robot

_MIT_LEGS = {"FR": "fr", "FL": "fl", "RR": "hr", "RL": "hl"}
_NAMES = tuple(
    name
    for m in (_MIT_LEGS[leg] for leg in LEGS)
    for name in (f"torso_to_abduct_{m}_j", f"abduct_{m}_to_thigh_{m}_j", f"thigh_{m}_to_knee_{m}_j")
)
# Self-righting leg poses (ab/ad, hip, knee) for the legs on the lower / upper side.
_RIGHT_DOWN_LOW, _RIGHT_DOWN_HIGH = (0.82, -3.76, 1.35), (0.47, -3.38, 1.4)
_LEFT_DOWN_LOW, _LEFT_DOWN_HIGH = (-1.5, -2.19, 1.35), (0.47, -3.02, 2.44)

MINI_CHEETAH = register_robot(
    QuadrupedSpec(
        name="mini_cheetah",
        urdf="mini_cheetah/mini_cheetah.urdf",
        joint_names=_NAMES,  # MIT's names are the URDF's: nothing to map
        urdf_joint_names=_NAMES,
        # Cheetah-Software's FSM_State_RecoveryStand: stand_jpos (0, -0.8, 1.6),
        # fold_jpos (0, -1.4, 2.7).
        home=per_leg(0.0, -0.8, 1.6),
        tuck=per_leg(0.0, -1.4, 2.7),
        # The URDF has no limits. Ab/ad: ±1.5 rad, where Cheetah-Software's SpineBoard
        # soft stops sit (its roll-over pose uses 1.5). Hip: the mirror of A1's
        # −60°…240° (the leg swings over the back). Knee: 0.6…2.8 rad, the folded end
        # covering MIT's 2.77 rad roll-over pose, the straight end short of the singularity.
        lower=per_leg(-1.5, -4.19, 0.6),
        upper=per_leg(1.5, 1.05, 2.8),
        # Cheetah-Software SpineBoard max_torque {17, 17, 26} N·m: 17 N·m from each
        # 6:1 actuator, ×1.55 more on the knee's belt stage.
        torque_limit=per_leg(17.0, 17.0, 26.0),
        # A1's stiffness per kg. Explicit PD at dt = 4 ms: the smallest effective
        # inertia (floating base, folded ab/ad ≈ 0.0041, knee ≈ 0.0046 kg·m²; the URDF's
        # 0.15 kg toe sits at the shank's end) gives kd·dt/I ≤ 0.8 and kp·dt²/I ≈ 0.12.
        kp=per_leg(30.0, 30.0, 30.0),
        kd=per_leg(0.8, 0.8, 0.8),
        # Trot: its centre of mass sits 1.3 cm left of the feet's centroid (contact forces at
        # home: left feet 26 N, right 18 N) and it rolled over at 0.3 m/s on 1/3 seeds
        # (0.1 rad: 1/3; 0.2: 0/3, |roll| ≤ 20°; 0.3 sags the body to 0.21 m and tracks worse).
        gait={"stance_width": 0.2},
        standing_height=0.274,  # measured: python -m robodojo.robots.calibrate mini_cheetah
        mass=8.852,
        # `python -m robodojo.robots.calibrate mini_cheetah --keyframes` (150 trials, 6 starts,
        # seed 0), then the best of its top five by the scripted get-up on env seeds 100–199.
        # Hips swung over the back (negative here) with the ab/ad joints splayed, much like
        # MIT's own roll-over pose (ab/ad 1.3–1.5, hip −1.6…−3.1, knee 2.77).
        keyframes={
            "flip": per_leg(-1.13, -4.19, 2.39),
            "roll_right": legs(
                FR=_RIGHT_DOWN_LOW, FL=_RIGHT_DOWN_HIGH, RR=_RIGHT_DOWN_LOW, RL=_RIGHT_DOWN_HIGH
            ),
            "roll_left": legs(
                FR=_LEFT_DOWN_HIGH, FL=_LEFT_DOWN_LOW, RR=_LEFT_DOWN_HIGH, RL=_LEFT_DOWN_LOW
            ),
        },
    )
)
