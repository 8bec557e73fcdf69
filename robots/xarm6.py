"""UFACTORY xArm 6 (6 DOF, 700 mm reach), from pybullet_data's ``xarm/xarm6_robot.urdf``.

Joint names ``joint1..joint6`` are both the URDF's and what UFACTORY's
``xarm_ros2`` driver publishes. The URDF's ``link6`` frame is the tool flange
(xarm_ros2's ``link_eef`` sits on it with a zero offset), so no flange offset.
"""

import numpy as np

from robodojo.robots.arm import ArmSpec
from robodojo.robots.registry import register_robot

# Found with Arm.solve_ik: the TCP 0.10 m above work_center, torch axis 70° below the horizontal
# leaning toward the robot (weld_orientation(0, 70)). From here 99–100 % of 45°±15° fillet poses
# within 0.20 m of work_center are reached.
HOME_XARM = (0.126, -0.085, -0.93, -0.602, 0.814, -1.0)
WORK_CENTER_XARM = (0.55, 0.0, 0.0)
WORK_RADIUS_XARM = 0.20

XARM6 = register_robot(
    ArmSpec(
        name="xarm6",
        urdf="xarm/xarm6_robot.urdf",
        joint_names=tuple(f"joint{i}" for i in range(1, 7)),
        urdf_joint_names=tuple(f"joint{i}" for i in range(1, 7)),
        flange_link="link6",
        home=np.array(HOME_XARM),
        # xarm_description / UFACTORY user manual: J1, J4, J6 ±360°; J2 −118°..120°; J3 −225°..11°;
        # J5 −97°..180°.
        lower=np.array([-2 * np.pi, -2.059, -3.927, -2 * np.pi, -1.69297, -2 * np.pi]),
        upper=np.array([2 * np.pi, 2.0944, 0.19198, 2 * np.pi, np.pi, 2 * np.pi]),
        max_joint_speed=np.full(6, np.pi),  # 180 °/s on every joint (datasheet; URDF velocity 3.14)
        reach=0.70,
        mass=10.45,  # sum of the URDF's link masses; the datasheet says 12.2 kg
        work_center=np.array(WORK_CENTER_XARM),
        work_radius=WORK_RADIUS_XARM,
    )
)
