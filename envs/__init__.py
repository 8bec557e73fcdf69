"""robodojo's Gymnasium environments; importing this package registers every id.

Use ``import robodojo.envs`` (or ``gym.register_envs(robodojo.envs)``) and
``gymnasium.make("robodojo/FallRecovery-v0")``, or, with no import,
``gymnasium.make("robodojo.envs:robodojo/FallRecovery-v0")``.
:func:`make` also fits the ``TimeLimit`` to arguments that lengthen episodes.
"""

from robodojo.envs.base import RobotTaskEnv, Task
from robodojo.envs.registration import (
    ENV_IDS,
    SCENARIOS,
    check_env_arguments,
    env_class,
    make,
    register_envs,
    resolve_env_id,
    short_name,
)

register_envs()

__all__ = [
    "ENV_IDS",
    "SCENARIOS",
    "RobotTaskEnv",
    "Task",
    "check_env_arguments",
    "env_class",
    "make",
    "register_envs",
    "resolve_env_id",
    "short_name",
]
