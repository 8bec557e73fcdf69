"""Universal Robots UR10 (CB3; 6 DOF, 1300 mm reach), from example-robot-data's
``ur_description/urdf/ur10_robot.urdf``.

Same description as the UR5 (:mod:`robodojo.robots.ur5`): Universal_Robots_ROS2_Driver's joint
names, ``tool0`` as the flange (92.2 mm past wrist 3's axis, no offset), a massless ``world``
root, the same joint ranges. CB3 link lengths: d1 127.3 mm, upper arm 612 mm, forearm 572.3 mm.
"""

import numpy as np

from robodojo.robots.arm import ArmSpec
from robodojo.robots.model_files import FROM_EXAMPLE_ROBOT_DATA
from robodojo.robots.registry import register_robot
from robodojo.robots.ur5 import UR_JOINTS, UR_LOWER, UR_UPPER

# Found with Arm.solve_ik: the TCP 0.10 m above work_center, torch axis 70° below the horizontal
# leaning toward the robot (weld_orientation(0, 70)), elbow up. From here 100 % of 45°±15° fillet
# poses (±15° travel, approach within ±45° of the outward direction, 0–5 cm high) within 0.20 m of
# work_center are reached, with either seam-direction sign (200 poses). The disc sits 0.70 m out
# rather than the smaller arms' 0.55 m: around (0.55, 0) the long arm folds its elbow to 141° and
# only 97 % of random-sign poses are reached, and the fixture table ends at x = 1.15 m, so a disc
# farther out would put the longest parts over its edge.
HOME_UR10 = (-0.1452, -1.5861, 2.2237, -2.608, -1.9016, 2.9973)
WORK_CENTER_UR10 = (0.70, 0.0, 0.0)
WORK_RADIUS_UR10 = 0.20

UR10 = register_robot(
    ArmSpec(
        name="ur10",
        urdf=FROM_EXAMPLE_ROBOT_DATA + "ur_description/urdf/ur10_robot.urdf",
        joint_names=UR_JOINTS,
        urdf_joint_names=UR_JOINTS,
        flange_link="tool0",
        home=np.array(HOME_UR10),
        lower=UR_LOWER,
        upper=UR_UPPER,
        # UR10 datasheet (CB3; the UR10e's too): base and shoulder 120 °/s, elbow and wrists 180 °/s
        # (URDF velocity 2.16 / 3.15 / 3.2 rad/s).
        max_joint_speed=np.radians([120.0, 120.0, 180.0, 180.0, 180.0, 180.0]),
        reach=1.30,
        mass=32.7,  # sum of the URDF's link masses; the datasheet says 28.9 kg (UR10e 33.5 kg)
        work_center=np.array(WORK_CENTER_UR10),
        work_radius=WORK_RADIUS_UR10,
    )
)
