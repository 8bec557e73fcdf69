"""Observation and action declarations shared by envs, controllers, exported policies and the ROS 2
bridge."""

from robodojo.interface.fields import ActionInterface, Field, Layout, box_size, dict_sizes

__all__ = ["ActionInterface", "Field", "Layout", "box_size", "dict_sizes"]
