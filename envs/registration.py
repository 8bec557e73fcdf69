"""The Gymnasium ids, their short names, and one way to make an env with the right time limit.

Importing :mod:`robodojo.envs` registers every id (Gymnasium 1.x convention:
``import robodojo.envs`` / ``gym.register_envs(robodojo.envs)``, or
``gym.make("robodojo.envs:robodojo/X-v0")`` with no import at all), each with
``max_episode_steps``: the episode length at the env's default arguments.
Arguments that lengthen an episode (``episode_seconds``, ``action="joints"``,
more parcels) need a longer ``TimeLimit``: :func:`make` passes the exact one.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

import gymnasium as gym

from robodojo.envs.arguments import check_arguments

#: Gymnasium id -> "module:Class". One id per scenario; robots and variants are kwargs.
ENV_IDS: dict[str, str] = {
    "robodojo/FallRecovery-v0": "robodojo.envs.fall_recovery:FallRecoveryEnv",
    "robodojo/Weld-v0": "robodojo.envs.weld:WeldEnv",
    "robodojo/Transport-v0": "robodojo.envs.transport:TransportEnv",
    "robodojo/Locomotion-v0": "robodojo.envs.locomotion:LocomotionEnv",
    "robodojo/QuadrupedRescue-v0": "robodojo.envs.rescue:QuadrupedRescueEnv",
}

#: Short scenario names used by the CLI and training configs.
SCENARIOS: dict[str, str] = {
    "fall_recovery": "robodojo/FallRecovery-v0",
    "weld": "robodojo/Weld-v0",
    "transport": "robodojo/Transport-v0",
    "locomotion": "robodojo/Locomotion-v0",
    "rescue": "robodojo/QuadrupedRescue-v0",
}


def resolve_env_id(name: str) -> str:
    """Accept a Gymnasium id or a short scenario name; raise listing the valid names otherwise."""
    if name in ENV_IDS:
        return name
    if name in SCENARIOS:
        return SCENARIOS[name]
    valid = ", ".join([*ENV_IDS, *SCENARIOS])
    raise ValueError(f"unknown environment {name!r}; valid names: {valid}")


def short_name(env_id: str) -> str:
    """The short scenario name of an id (``robodojo/FallRecovery-v0`` -> ``fall_recovery``)."""
    env_id = resolve_env_id(env_id)
    return next(short for short, full in SCENARIOS.items() if full == env_id)


def env_class(env_id: str) -> Any:
    """The class behind a registered id or short name (imports its module)."""
    module, _, name = ENV_IDS[resolve_env_id(env_id)].partition(":")
    return getattr(importlib.import_module(module), name)


def register_envs() -> None:
    """Register every id with Gymnasium, with its default episode's ``max_episode_steps``
    (idempotent)."""
    from gymnasium.envs.registration import register, registry

    for env_id, entry_point in ENV_IDS.items():
        if env_id not in registry:
            register(
                id=env_id,
                entry_point=entry_point,
                max_episode_steps=env_class(env_id).max_episode_steps_for(),
            )


def make(env_id: str, **kwargs: Any) -> gym.Env:
    """``gymnasium.make`` for a robodojo id or short name, its ``TimeLimit`` fitted to these
    arguments.

    ``gymnasium.make`` applies the *registered* limit (the default episode's)
    unless told otherwise: episodes made longer by their arguments need
    ``max_episode_steps=`` there, which this passes. Bad arguments raise a
    one-line ``TypeError`` / ``ValueError`` (:func:`check_env_arguments`)
    before anything is built.
    """
    env_id = resolve_env_id(env_id)
    check_env_arguments(env_id, kwargs)
    cls = env_class(env_id)
    # an env registered by someone else declares no timing: its registered limit stands
    steps = cls.max_episode_steps_for(**kwargs) if hasattr(cls, "max_episode_steps_for") else None
    return gym.make(env_id, max_episode_steps=steps, **kwargs)


def check_env_arguments(env_id: str, kwargs: Mapping[str, Any]) -> None:
    """Check constructor arguments for an env id or short name without making the env: a
    ``TypeError`` (wrong type, unknown name) or ``ValueError`` (out of range) of one line naming
    the argument, the value and what is allowed."""
    env_id = resolve_env_id(env_id)
    cls = env_class(env_id)
    if hasattr(cls, "check_arguments"):
        cls.check_arguments(kwargs, owner=env_id)
    else:  # an env registered by someone else: only the names can be checked
        check_arguments(env_id, {}, cls.__init__, kwargs)
