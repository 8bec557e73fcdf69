"""Unitree Go2 (16.1 kg), from example-robot-data's ``go2_description/urdf/go2.urdf``.

The URDF's joint names are Unitree's own (``FR_hip_joint``, ``FR_thigh_joint``,
``FR_calf_joint``, ...), as unitree_ros2 and the SDK's examples use them, and
its zero is Unitree's (legs straight down; thigh positive swings the foot
backwards, calf negative folds it), the A1's convention. The URDF lists the
legs FL, FR, RL, RR and the vendor SDK's motor order is FR, FL, RR, RL: we map
every joint by name, never by index. Fixed links (rotors, feet, IMU, radar)
are merged into their parents at load (URDF_MERGE_FIXED_LINKS): 12 links
instead of 30, the same masses.
"""

from robodojo.robots.model_files import FROM_EXAMPLE_ROBOT_DATA
from robodojo.robots.quadruped import LEGS, QuadrupedSpec, legs
from robodojo.robots.registry import register_robot

_NAMES = tuple(f"{leg}_{part}_joint" for leg in LEGS for part in ("hip", "thigh", "calf"))
# Self-righting poses (hip, thigh, calf), from `python -m robodojo.robots.calibrate go2 --keyframes
# --trials 200 --starts 8 --seed 0` (the back: also `--split-back`, front and rear legs apart),
# then the best candidates by the scripted get-up on env seeds 100-199 (40 episodes): the flip
# below 39/40 (the same pose on all four legs 38/40, A1's keyframes 30/40). On its back the front
# legs push forward-down while the rear thighs swing far over the back (their range is 1 rad wider).
_FLIP_FRONT, _FLIP_REAR = (0.25, -0.8, -2.14), (-0.91, 4.19, -1.35)
# On a side (100 % in the search for the left side; the right side is its mirror image): the
# lower side's thighs swing over the back while the upper side's legs stay folded.
_ROLL_LOW, _ROLL_HIGH = (0.04, 3.43, -2.72), (0.09, 1.44, -2.66)  # right side down


def _mirror(leg: tuple[float, float, float]) -> tuple[float, float, float]:
    """The same leg pose on the other side (the hip's abduction changes sign)."""
    return (-leg[0], leg[1], leg[2])


def _front_rear(front: tuple[float, float, float], rear: tuple[float, float, float]):
    """A joint vector with one triple for the front legs and one for the rear (hip sign kept)."""
    return legs(FR=front, FL=front, RR=rear, RL=rear)


GO2 = register_robot(
    QuadrupedSpec(
        name="go2",
        urdf=FROM_EXAMPLE_ROBOT_DATA + "go2_description/urdf/go2.urdf",
        joint_names=_NAMES,
        urdf_joint_names=_NAMES,  # the URDF already uses Unitree's names
        # example-robot-data's own "standing" state (go2.srdf): hips splayed out 0.068 rad. Measured
        # against unitree_rl_gym's default pose (rear thighs 0.2 rad further back): with that the
        # trot lurched backwards off the start (rescue d = 0: 1/6 victims reached, 6/6 with this
        # pose; d = 0.25: 7/8; Unitree's go2_stand_example (0, 0.67, -1.3): 0/8).
        home=legs(
            FR=(-0.068, 0.785, -1.44),
            FL=(0.068, 0.785, -1.44),
            RR=(-0.068, 0.785, -1.44),
            RL=(0.068, 0.785, -1.44),
        ),
        # Unitree's go2_stand_example lies the robot down at (0.05, 1.22, -2.44); folded a little
        # further, as A1's tuck.
        tuck=_front_rear((0.0, 1.4, -2.65), (0.0, 1.4, -2.65)),
        # URDF limits (the thigh's range differs front and rear: the rear swings further back).
        lower=_front_rear((-1.0472, -1.5708, -2.7227), (-1.0472, -0.5236, -2.7227)),
        upper=_front_rear((1.0472, 3.4907, -0.83776), (1.0472, 4.5379, -0.83776)),
        # URDF efforts: hip and thigh 23.7 N·m, calf 45.43 N·m (the knee's extra gear stage).
        torque_limit=_front_rear((23.7, 23.7, 45.43), (23.7, 23.7, 45.43)),
        # Twice unitree_rl_gym's Go2 gains (20, 0.5), as for A1: at 20 N·m/rad the stand sags
        # ~4 cm under PyBullet's softer contacts. Explicit PD at dt = 4 ms is stable here.
        kp=_front_rear((40.0, 40.0, 40.0), (40.0, 40.0, 40.0)),
        kd=_front_rear((1.0, 1.0, 1.0), (1.0, 1.0, 1.0)),
        standing_height=0.308,  # measured: python -m robodojo.robots.calibrate go2
        mass=16.085,
        keyframes={
            "flip": legs(FR=_FLIP_FRONT, FL=_FLIP_FRONT, RR=_FLIP_REAR, RL=_FLIP_REAR),
            "roll_right": legs(FR=_ROLL_LOW, FL=_ROLL_HIGH, RR=_ROLL_LOW, RL=_ROLL_HIGH),
            "roll_left": legs(
                FR=_mirror(_ROLL_HIGH),
                FL=_mirror(_ROLL_LOW),
                RR=_mirror(_ROLL_HIGH),
                RL=_mirror(_ROLL_LOW),
            ),
        },
        # The foot's convex mesh (654 triangles) as a 20 mm sphere: Locomotion-v0 on the rubble's
        # heightfield ran 236 steps/s with the meshes against A1's 416 (609 with spheres).
        sphere_meshes=("foot_convex.stl",),
        # URDF velocities (30.1 rad/s hip and thigh, 15.7 rad/s calf) as the motors' no-load speeds.
        # The trot at 3 Hz instead of A1's 2.5: Locomotion-v0 at d = 0, seeds 0-9, 9/10 successes
        # (tracking error 0.14 m/s) against 5/10 (0.16 m/s); stride gains x1.3 gave 5/10.
        gait={"frequency": 3.0},
        max_joint_speed=_front_rear((30.1, 30.1, 15.7), (30.1, 30.1, 15.7)),
    )
)
