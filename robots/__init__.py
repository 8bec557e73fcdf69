"""Robot models: one file per robot, each registering a spec by name."""

from __future__ import annotations

from robodojo.robots.base import LEGS, Quadruped, QuadrupedSpec, legs, per_leg

ROBOTS: dict[str, QuadrupedSpec] = {}


def register_robot(spec: QuadrupedSpec) -> QuadrupedSpec:
    """Add a robot spec to the registry under ``spec.name`` and return it."""
    if spec.name in ROBOTS:
        raise ValueError(f"robot {spec.name!r} is already registered")
    ROBOTS[spec.name] = spec
    return spec


def get_robot_spec(name: str) -> QuadrupedSpec:
    """The spec registered as ``name``; a ValueError lists the valid names otherwise."""
    try:
        return ROBOTS[name]
    except KeyError:
        raise ValueError(f"unknown robot {name!r}; valid robots: {', '.join(sorted(ROBOTS))}") from None


# Importing the robot modules registers them.
from robodojo.robots import a1, aliengo, laikago, mini_cheetah  # noqa: E402,F401

__all__ = ["LEGS", "ROBOTS", "Quadruped", "QuadrupedSpec", "get_robot_spec", "legs", "per_leg", "register_robot"]
