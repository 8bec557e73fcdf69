"""Universal Robots UR5 (CB3; 6 DOF, 850 mm reach), from example-robot-data's
``ur_description/urdf/ur5_robot.urdf``.

The URDF is ROS-Industrial's ``ur_description`` (CB3 link lengths: d1 89.2 mm, upper arm 425 mm,
forearm 392.25 mm). Its joint names are the ones Universal_Robots_ROS2_Driver publishes
(``shoulder_pan_joint`` … ``wrist_3_joint``), so URDF and vendor names are the same. The tool
flange is ``tool0``: z out of the mounting face, 82.3 mm past wrist 3's axis (the DH d6), as in
UR's own description, so no flange offset. (``ee_link`` is the same point with x out, the older
ROS-I convention.) The URDF's root is a massless ``world`` link fixed to ``base_link``, so the
arm loads with a fixed base as it is; at zero the arm stretches along ``base_link``'s +x, the base
frame here (UR's controller ``base`` frame is turned 180° about z from it).
"""

import numpy as np

from robodojo.robots.arm import ArmSpec
from robodojo.robots.model_files import FROM_EXAMPLE_ROBOT_DATA
from robodojo.robots.registry import register_robot

#: joint names as both the URDF and Universal_Robots_ROS2_Driver spell them (UR10 too)
UR_JOINTS = (
    "shoulder_pan_joint",
    "shoulder_lift_joint",
    "elbow_joint",
    "wrist_1_joint",
    "wrist_2_joint",
    "wrist_3_joint",
)
#: UR's datasheet range is ±360° on every joint. The elbow keeps the URDF's ±180° (as UR's
#: ur_description does): past that the forearm runs into the upper arm, a hardware limit. We keep
#: ±360° elsewhere rather than the *_joint_limited_robot.urdf's ±180°: the real arm has it, and
#: wrist 3 sits near ±π in the welding home, where ±180° would leave no room to roll the torch.
UR_LOWER = np.array([-2 * np.pi, -2 * np.pi, -np.pi, -2 * np.pi, -2 * np.pi, -2 * np.pi])
UR_UPPER = -UR_LOWER

# Found with Arm.solve_ik: the TCP 0.10 m above work_center, torch axis 70° below the horizontal
# leaning toward the robot (weld_orientation(0, 70)), elbow up. From here 99 % of 45°±15° fillet
# poses (±15° travel, approach within ±45° of the outward direction, 0–5 cm high) with a random
# seam-direction sign within 0.20 m of work_center are reached, 99.5 % when the sign may be chosen
# (200 poses; within 0.25 m and 0.30 m: 99 % / 98.5 %). The misses are the lowest work angles on
# the disc's near side, pointing back past the base.
HOME_UR5 = (-0.0736, -1.6718, 1.9607, -2.2356, -1.9287, 3.0678)
WORK_CENTER_UR5 = (0.55, 0.0, 0.0)
WORK_RADIUS_UR5 = 0.20

UR5 = register_robot(
    ArmSpec(
        name="ur5",
        urdf=FROM_EXAMPLE_ROBOT_DATA + "ur_description/urdf/ur5_robot.urdf",
        joint_names=UR_JOINTS,
        urdf_joint_names=UR_JOINTS,
        flange_link="tool0",
        home=np.array(HOME_UR5),
        lower=UR_LOWER,
        upper=UR_UPPER,
        # UR5 datasheet (CB3; the UR5e's too): 180 °/s on every joint (URDF velocity 3.15/3.2).
        max_joint_speed=np.full(6, np.pi),
        reach=0.85,
        mass=20.99,  # sum of the URDF's link masses; the datasheet says 18.4 kg (UR5e 20.6 kg)
        work_center=np.array(WORK_CENTER_UR5),
        work_radius=WORK_RADIUS_UR5,
    )
)
