"""robodojo's Gymnasium environments.

Importing this package is cheap (no pybullet, no gymnasium): it only arranges
for the ids below to be registered with Gymnasium. Environment classes load
when ``gymnasium.make`` or an attribute access asks for them.
"""

from __future__ import annotations

from typing import Any

from robodojo.envs.autoregister import run_when_gymnasium_loads

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

_LAZY_EXPORTS = {
    "RobotTaskEnv": "robodojo.envs.base",
    "Task": "robodojo.envs.base",
    "Sim": "robodojo.envs.sim",
    "FallRecoveryEnv": "robodojo.envs.fall_recovery",
    "WeldEnv": "robodojo.envs.weld",
    "TransportEnv": "robodojo.envs.transport",
    "LocomotionEnv": "robodojo.envs.locomotion",
    "QuadrupedRescueEnv": "robodojo.envs.rescue",
}

__all__ = ["ENV_IDS", "SCENARIOS", "register_envs", "resolve_env_id", *_LAZY_EXPORTS]


def register_envs() -> None:
    """Register every robodojo id with Gymnasium (idempotent)."""
    from gymnasium.envs.registration import register, registry

    for env_id, entry_point in ENV_IDS.items():
        if env_id not in registry:
            register(id=env_id, entry_point=entry_point)


def resolve_env_id(name: str) -> str:
    """Accept a Gymnasium id or a short scenario name; raise listing the valid names otherwise."""
    if name in ENV_IDS:
        return name
    if name in SCENARIOS:
        return SCENARIOS[name]
    valid = ", ".join([*ENV_IDS, *SCENARIOS])
    raise ValueError(f"unknown environment {name!r}; valid names: {valid}")


def __getattr__(name: str) -> Any:
    if name in _LAZY_EXPORTS:
        import importlib

        return getattr(importlib.import_module(_LAZY_EXPORTS[name]), name)
    raise AttributeError(f"module 'robodojo.envs' has no attribute {name!r}")


run_when_gymnasium_loads(register_envs)
