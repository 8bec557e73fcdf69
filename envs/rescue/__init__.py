"""robodojo/QuadrupedRescue-v0: the env, its rules, its site (victim and detector) and its declared
interface."""

from robodojo.envs.rescue.env import QuadrupedRescueEnv

__all__ = ["QuadrupedRescueEnv"]
