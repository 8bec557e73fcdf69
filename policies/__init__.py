"""Policies: the Policy protocol, the action library of scripted controllers, and loading.

``make_policy(name, env)`` accepts ``"random"``, ``"scripted"`` (the env's
default controller) or the name of a controller registered for that env.
"""

from __future__ import annotations

from collections.abc import Callable

import gymnasium as gym

from robodojo.policies.base import Policy, RandomPolicy
from robodojo.policies.getup import ScriptedGetUp


def _getup(env: gym.Env) -> Policy:
    unwrapped = env.unwrapped
    return ScriptedGetUp(unwrapped.task.spec, unwrapped.control_dt)


#: env id -> controller name -> factory(env). The first entry is the env's "scripted" default.
CONTROLLERS: dict[str, dict[str, Callable[[gym.Env], Policy]]] = {
    "robodojo/FallRecovery-v0": {"getup": _getup},
}


def controller_names(env_id: str) -> list[str]:
    """Names ``make_policy`` accepts for ``env_id``."""
    return ["random", "scripted", *CONTROLLERS.get(env_id, {})]


def make_policy(name: str, env: gym.Env, env_id: str, seed: int | None = None) -> Policy:
    """Build the policy called ``name`` for ``env`` (an instance of ``env_id``)."""
    controllers = CONTROLLERS.get(env_id, {})
    if name == "random":
        return RandomPolicy(env.action_space, seed=seed)
    if name == "scripted":
        if not controllers:
            raise ValueError(f"{env_id} has no scripted controller yet")
        name = next(iter(controllers))
    if name in controllers:
        return controllers[name](env)
    raise ValueError(f"unknown policy {name!r} for {env_id}; valid names: {', '.join(controller_names(env_id))}")


__all__ = ["CONTROLLERS", "Policy", "RandomPolicy", "ScriptedGetUp", "controller_names", "make_policy"]
