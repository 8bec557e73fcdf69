"""robodojo/Transport-v0: the env, its rules, its goal reward and its declared interface."""

from robodojo.envs.transport.env import TransportEnv

__all__ = ["TransportEnv"]
