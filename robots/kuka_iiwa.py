"""KUKA LBR iiwa 14 R820 (7 DOF, 820 mm reach), from pybullet_data's ``kuka_iiwa/model.urdf``.

The URDF's link lengths (0.36 / 0.42 / 0.40 m between the shoulder, elbow and
wrist) are the iiwa 14 R820's, so limits and speeds are that model's datasheet
figures. The URDF names the joints ``lbr_iiwa_joint_1..7``; we expose
``joint_a1..joint_a7``: KUKA's axis names A1–A7 in the ROS-Industrial
``joint_a<n>`` form that KUKA's own ROS 2 driver (kroshu ``kuka_drivers`` /
``kuka_robot_descriptions``) and ICube's ``iiwa_ros2`` both publish, so a
bridge maps them without a per-driver table. (lbr_fri_ros2_stack prefixes its
``A1..A7`` with the robot name instead.)
"""

import numpy as np

from robodojo.robots.arm import ArmSpec
from robodojo.robots.registry import register_robot

# Found with Arm.solve_ik: the TCP 0.10 m above work_center,
# torch axis 70° below the horizontal leaning toward the robot (weld_orientation(0, 70)).
# The iiwa 14's tall shoulder (0.36 m) and ±120° elbow cannot fold far enough for 45° fillet poses
# near the base: over x 0.40–0.70 m only ~35 % of them are reachable, and from a home over
# (0.55, 0, 0) the elbow sits at its limit. Centred 0.75 m out, 90 % of random-sign poses (100 %
# when the seam direction's sign may be chosen) within 0.10 m are reached, so its work disc is
# moved there.
HOME_IIWA = (0.762, 1.026, -1.131, -1.383, 0.64, 0.86, 1.37)
WORK_CENTER_IIWA = (0.75, 0.0, 0.0)
WORK_RADIUS_IIWA = 0.10

KUKA_IIWA = register_robot(
    ArmSpec(
        name="kuka_iiwa",
        urdf="kuka_iiwa/model.urdf",
        joint_names=tuple(f"joint_a{i}" for i in range(1, 8)),
        urdf_joint_names=tuple(f"lbr_iiwa_joint_{i}" for i in range(1, 8)),
        flange_link="lbr_iiwa_link_7",
        home=np.array(HOME_IIWA),
        # Datasheet (LBR iiwa 14 R820): ±170°, ±120°, ±170°, ±120°, ±170°, ±120°, ±175° (the URDF
        # agrees).
        lower=-np.radians([170.0, 120.0, 170.0, 120.0, 170.0, 120.0, 175.0]),
        upper=np.radians([170.0, 120.0, 170.0, 120.0, 170.0, 120.0, 175.0]),
        # Datasheet: 85, 85, 100, 75, 130, 135, 135 °/s (the URDF's 10 rad/s is a placeholder).
        max_joint_speed=np.radians([85.0, 85.0, 100.0, 75.0, 130.0, 135.0, 135.0]),
        reach=0.82,
        mass=17.5,  # sum of the URDF's link masses (link 0 has none); the real arm weighs 29.9 kg
        # Joint 7 sits 0.081 m past joint 6's frame, but the iiwa's wrist-to-flange distance is
        # 0.126 m: link 7's frame is on the A7 bearing, 45 mm behind the mounting face (its mesh
        # ends 48 mm out).
        flange_offset=0.045,
        work_center=np.array(WORK_CENTER_IIWA),
        work_radius=WORK_RADIUS_IIWA,
    )
)
