"""A robot's onboard skills: what an env may run under a velocity interface, and the scripted
get-up.

These sit below the envs (QuadrupedRescue-v0 walks with them at its velocity
level) and read only what a real robot measures.
"""

from robodojo.skills.getup import ScriptedGetUp
from robodojo.skills.trot import TrotGait
from robodojo.skills.walking import (
    TROT,
    Walker,
    WalkerFactory,
    WalkingController,
    register_walker_resolver,
    walker_factory,
)

__all__ = [
    "TROT",
    "ScriptedGetUp",
    "TrotGait",
    "Walker",
    "WalkerFactory",
    "WalkingController",
    "register_walker_resolver",
    "walker_factory",
]
