"""Robot models: one file per robot, each registering its spec
(see :mod:`robodojo.robots.registry`).

Kinds and their drivers: quadrupeds (:mod:`~robodojo.robots.quadruped`,
explicit torque-limited PD), kinematic welding arms (:mod:`~robodojo.robots.arm`)
and dynamic arms wearing a gripper (:mod:`~robodojo.robots.gripper_arm`).
Importing this package registers every robot.
"""

from robodojo.robots import (  # noqa: F401  (registers them)
    a1,
    aliengo,
    b1,
    go2,
    kuka_iiwa,
    laikago,
    mini_cheetah,
    panda,
    ur5,
    ur10,
    xarm6,
)
from robodojo.robots.quadruped import LEGS, Quadruped, QuadrupedSpec, legs, per_leg
from robodojo.robots.registry import ROBOTS, get_robot_spec, register_robot, robot_names

__all__ = [
    "LEGS",
    "ROBOTS",
    "Quadruped",
    "QuadrupedSpec",
    "get_robot_spec",
    "legs",
    "per_leg",
    "register_robot",
    "robot_names",
]
