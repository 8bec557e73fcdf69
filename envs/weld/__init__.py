"""robodojo/Weld-v0: the env, its rules, the taught path and seam tracker, inspection-grade scoring,
its interface."""

from robodojo.envs.weld.env import WeldEnv

__all__ = ["WeldEnv"]
