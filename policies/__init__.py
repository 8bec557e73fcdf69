"""Policies: the Policy protocol, the action library of scripted controllers, and loading.

``make_policy(name, env)`` accepts ``"random"``, ``"scripted"`` (the env's
default controller), the name of a controller registered for that env, the
name of a shipped pretrained policy (``policies/pretrained/<name>/``), or the
path of an exported policy: a ``.onnx`` file, its ``.json`` spec or their
folder. Exported policies run with onnxruntime only (the ``onnx`` extra) —
no torch, and nothing is unpickled: SB3 ``.zip`` files are refused here,
because loading one can execute arbitrary code.

Scripted controllers are registered in ``CONTROLLER_BUILDERS`` as builders of
(robot spec, control period): :func:`make_controller` builds one without any
env (what a deployment, or the base of an exported residual policy, needs);
``CONTROLLERS`` wraps the same builders as factories of an env. An exported
*residual* policy loads as a :class:`~robodojo.policies.residual.ResidualPolicy`:
its network composed with the base controller its spec names, so it maps the
env's observation to the robot's action like any other policy.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import gymnasium as gym

from robodojo.policies.base import Policy, RandomPolicy
from robodojo.policies.getup import ScriptedGetUp
from robodojo.policies.locomotion import TrotPolicy
from robodojo.policies.rescue import ScriptedRescuer
from robodojo.policies.transport import PickAndPlace
from robodojo.policies.weld import SeamTracking, TeachAndRepeat
from robodojo.robots import get_robot_spec


#: env id -> controller name -> builder(robot spec, control_dt). A scripted controller needs only
#: what a deployment knows (the robot and the control period), never a simulated env.
CONTROLLER_BUILDERS: dict[str, dict[str, Callable[[Any, float], Policy]]] = {
    "robodojo/FallRecovery-v0": {"getup": ScriptedGetUp},
    "robodojo/Weld-v0": {"seam_tracking": SeamTracking, "teach_and_repeat": TeachAndRepeat},
    "robodojo/Transport-v0": {"pick_and_place": PickAndPlace},
    "robodojo/Locomotion-v0": {"trot": TrotPolicy},
    "robodojo/QuadrupedRescue-v0": {"rescuer": ScriptedRescuer},
}


def resolve_controller(name: str, env_id: str) -> str:
    """The registered controller ``name`` stands for on ``env_id`` (``"scripted"`` = the env's first).

    Raises ``ValueError`` listing the valid names.
    """
    builders = CONTROLLER_BUILDERS.get(env_id, {})
    if not builders:
        raise ValueError(f"{env_id} has no scripted controller yet")
    if name == "scripted":
        return next(iter(builders))
    if name not in builders:
        raise ValueError(f"unknown controller {name!r} for {env_id}; valid names: {', '.join(base_controller_names(env_id))}")
    return name


def base_controller_names(env_id: str) -> list[str]:
    """Controllers that can serve as a residual's base on ``env_id``: ``scripted`` and the registered ones."""
    builders = CONTROLLER_BUILDERS.get(env_id, {})
    return ["scripted", *builders] if builders else []


def make_controller(name: str, env_id: str, robot: Any, control_dt: float) -> Policy:
    """Build scripted controller ``name`` for ``env_id`` from the robot (name or spec) and control period.

    No env is created: this is how a deployment (or an exported residual policy)
    builds its base controller. Raises ``ValueError`` for unknown names.
    """
    builder = CONTROLLER_BUILDERS[env_id][resolve_controller(name, env_id)]
    spec = get_robot_spec(robot) if isinstance(robot, str) else robot
    return builder(spec, float(control_dt))


def _from_env(env_id: str, name: str) -> Callable[[gym.Env], Policy]:
    def factory(env: gym.Env) -> Policy:
        unwrapped = env.unwrapped
        return make_controller(name, env_id, unwrapped.task.spec, unwrapped.control_dt)

    factory.__name__ = factory.__qualname__ = f"make_{name}"
    return factory


#: env id -> controller name -> factory(env) (built from CONTROLLER_BUILDERS with the env's robot and
#: control period). The first entry is the env's "scripted" default.
CONTROLLERS: dict[str, dict[str, Callable[[gym.Env], Policy]]] = {
    env_id: {name: _from_env(env_id, name) for name in builders} for env_id, builders in CONTROLLER_BUILDERS.items()
}


#: Files that name an exported policy (loaded with onnxruntime).
POLICY_FILE_SUFFIXES = (".onnx", ".json")
#: Pickle-based checkpoints: never loaded for evaluation or deployment.
PICKLE_SUFFIXES = (".zip", ".pkl", ".pickle", ".pt", ".pth", ".ckpt")


def controller_names(env_id: str) -> list[str]:
    """Scripted names ``make_policy`` accepts for ``env_id`` (no pretrained policies)."""
    return ["random", "scripted", *CONTROLLERS.get(env_id, {})]


def pretrained_names(env_id: str | None = None, robot: str | None = None) -> list[str]:
    """Shipped pretrained policies (for ``env_id`` / ``robot`` when given) that no controller name shadows."""
    from robodojo.policies import pretrained

    reserved = {"random", "scripted", *(n for controllers in CONTROLLERS.values() for n in controllers)}
    return [name for name in pretrained.names(env_id, robot) if name not in reserved]


def policy_names(env_id: str) -> list[str]:
    """Every name ``make_policy`` accepts for ``env_id``: controllers, then pretrained policies."""
    return [*controller_names(env_id), *pretrained_names(env_id)]


def looks_like_path(policy: str) -> bool:
    """Whether ``--policy`` names a file or folder rather than a registered name."""
    return (
        os.sep in policy
        or "/" in policy
        or policy.endswith(POLICY_FILE_SUFFIXES + PICKLE_SUFFIXES)
        or os.path.exists(policy)
    )


def policy_path(policy: str) -> str | None:
    """The exported-policy location ``policy`` stands for (a path or a pretrained name), else None.

    Raises ``ValueError`` for pickled checkpoints (``.zip``, ``.pt``, …), which are never loaded here.
    """
    if looks_like_path(policy):
        if policy.endswith(PICKLE_SUFFIXES):
            raise ValueError(
                f"{policy!r} is a pickled checkpoint (SB3 .zip / torch file): loading one can run arbitrary code, "
                "so robodojo only evaluates and deploys exported policies. "
                "Export your own run with `robodojo export RUN_DIR` and pass the .onnx (or its folder)"
            )
        return policy
    if policy in pretrained_names():
        from robodojo.policies import pretrained

        return str(pretrained.get(policy).path)
    return None


def load_policy(path: str | os.PathLike[str], env: gym.Env | None = None, env_id: str | None = None) -> Any:
    """Load an exported policy (``.onnx``, its ``.json`` or their folder) with onnxruntime.

    Given ``env``, the policy's spec must match it (env id, robot, layout, joints,
    scaling, control rate). Raises ``PolicySpecError`` (a ValueError) or
    ``MissingOnnxRuntimeError`` (an ImportError) with a one-line explanation.
    """
    from robodojo.policies.onnx_policy import OnnxPolicy

    return OnnxPolicy.load(path, env=env, env_id=env_id)


def make_policy(name: str, env: gym.Env, env_id: str, seed: int | None = None) -> Policy:
    """Build the policy called ``name`` for ``env`` (an instance of ``env_id``).

    ``name`` may also be a pretrained policy's name or an exported policy's path
    (see the module docstring); those are checked against ``env``.
    """
    controllers = CONTROLLERS.get(env_id, {})
    if name == "random":
        return RandomPolicy(env.action_space, seed=seed)
    if name == "scripted":
        if not controllers:
            raise ValueError(f"{env_id} has no scripted controller yet")
        name = next(iter(controllers))
    if name in controllers:
        return controllers[name](env)
    path = policy_path(name)
    if path is not None:
        return load_policy(path, env=env, env_id=env_id)
    raise ValueError(f"unknown policy {name!r} for {env_id}; valid names: {', '.join(policy_names(env_id))}")


__all__ = [
    "CONTROLLERS",
    "CONTROLLER_BUILDERS",
    "Policy",
    "RandomPolicy",
    "ScriptedGetUp",
    "SeamTracking",
    "TeachAndRepeat",
    "base_controller_names",
    "controller_names",
    "load_policy",
    "looks_like_path",
    "make_controller",
    "make_policy",
    "policy_names",
    "policy_path",
    "pretrained_names",
    "resolve_controller",
]
