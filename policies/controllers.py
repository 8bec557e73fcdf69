"""The action library's table: each env's scripted controllers, built from a robot and a control
period.

A scripted controller needs only what a deployment knows (the robot and the
control period), never a simulated env: :func:`make_controller` builds one
without an env (what a deployment, or the base of an exported residual
policy, needs); :func:`controller_for_env` builds one for an env instance.
The first controller of an env is its ``"scripted"`` default.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from robodojo.policies.base import Policy
from robodojo.policies.scripted.locomotion import TrotPolicy
from robodojo.policies.scripted.rescue import ScriptedRescuer
from robodojo.policies.scripted.transport import PickAndPlace
from robodojo.policies.scripted.weld import SeamTracking, TeachAndRepeat
from robodojo.robots.registry import get_robot_spec
from robodojo.skills.getup import ScriptedGetUp

SCRIPTED = "scripted"
#: env id -> controller name -> builder(robot spec, control_dt); the first is the env's "scripted"
#: default.
CONTROLLER_BUILDERS: dict[str, dict[str, Callable[[Any, float], Policy]]] = {
    "robodojo/FallRecovery-v0": {"getup": ScriptedGetUp},
    "robodojo/Weld-v0": {"seam_tracking": SeamTracking, "teach_and_repeat": TeachAndRepeat},
    "robodojo/Transport-v0": {"pick_and_place": PickAndPlace},
    "robodojo/Locomotion-v0": {"trot": TrotPolicy},
    "robodojo/QuadrupedRescue-v0": {"rescuer": ScriptedRescuer},
}


def controller_names(env_id: str) -> list[str]:
    """The controllers registered for ``env_id`` (no aliases), default first."""
    return list(CONTROLLER_BUILDERS.get(env_id, {}))


def base_controller_names(env_id: str) -> list[str]:
    """Names that can serve as a residual's base on ``env_id``: ``scripted`` and the registered
    controllers."""
    names = controller_names(env_id)
    return [SCRIPTED, *names] if names else []


def resolve_controller(name: str, env_id: str) -> str:
    """The registered controller ``name`` stands for on ``env_id`` (``"scripted"`` = the env's
    first).

    Raises ``ValueError`` listing the valid names.
    """
    names = controller_names(env_id)
    if not names:
        raise ValueError(f"{env_id} has no scripted controller yet")
    if name == SCRIPTED:
        return names[0]
    if name not in names:
        raise ValueError(
            f"unknown controller {name!r} for {env_id}; "
            f"valid names: {', '.join(base_controller_names(env_id))}"
        )
    return name


def make_controller(name: str, env_id: str, robot: Any, control_dt: float) -> Policy:
    """Build scripted controller ``name`` for ``env_id`` from the robot (name or spec) and control
    period.

    No env is created. Raises ``ValueError`` for unknown names.
    """
    builder = CONTROLLER_BUILDERS[env_id][resolve_controller(name, env_id)]
    spec = get_robot_spec(robot) if isinstance(robot, str) else robot
    return builder(spec, float(control_dt))


def controller_for_env(name: str, env: Any, env_id: str | None = None) -> Policy:
    """Scripted controller ``name`` for an env instance (of ``env_id``, default its spec's id): its
    robot and control period."""
    unwrapped = env.unwrapped
    robot = getattr(
        getattr(unwrapped, "task", None), "spec", None
    )  # None for an env without a robot
    return make_controller(name, env_id or env.spec.id, robot, unwrapped.control_dt)
