"""Franka Emika Panda (7 DOF, 855 mm reach), from pybullet_data's ``franka_panda/panda.urdf``.

Joint names ``panda_joint1..7`` are both the URDF's and what ``franka_ros2``
publishes. The torch replaces the Franka Hand: the hand and fingers are hidden
and out of collision, and the torch mounts on ``panda_link8``, the flange
frame (0.107 m past joint 7's, on the mounting face).
"""

import numpy as np

from robodojo.robots.arm import ArmSpec
from robodojo.robots.registry import register_robot

# Found with Arm.solve_ik: the TCP 0.10 m above work_center, torch axis 70° below the horizontal
# leaning toward the robot (weld_orientation(0, 70)). From here ~86 % of 45°±15° fillet poses with a
# random seam-direction sign within 0.20 m of work_center are reached, ~98 % when the sign may be
# chosen.
HOME_PANDA = (0.4, -0.21, -0.301, -2.523, -0.819, 2.463, -0.789)
WORK_CENTER_PANDA = (0.55, 0.0, 0.0)
WORK_RADIUS_PANDA = 0.20

PANDA = register_robot(
    ArmSpec(
        name="panda",
        urdf="franka_panda/panda.urdf",
        joint_names=tuple(f"panda_joint{i}" for i in range(1, 8)),
        urdf_joint_names=tuple(f"panda_joint{i}" for i in range(1, 8)),
        flange_link="panda_link8",
        home=np.array(HOME_PANDA),
        # Franka's datasheet limits (franka_description); pybullet_data's URDF has older, looser
        # ones.
        lower=np.array([-2.8973, -1.7628, -2.8973, -3.0718, -2.8973, -0.0175, -2.8973]),
        upper=np.array([2.8973, 1.7628, 2.8973, -0.0698, 2.8973, 3.7525, 2.8973]),
        max_joint_speed=np.array([2.1750, 2.1750, 2.1750, 2.1750, 2.6100, 2.6100, 2.6100]),
        reach=0.855,
        # sum of the URDF's link masses without the hidden hand and fingers (1.01 kg);
        # Franka: ~18 kg
        mass=16.95,
        hidden_links=("panda_hand", "panda_leftfinger", "panda_rightfinger"),
        work_center=np.array(WORK_CENTER_PANDA),
        work_radius=WORK_RADIUS_PANDA,
    )
)
