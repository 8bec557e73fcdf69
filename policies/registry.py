"""What a policy name stands for, decided in one place: names first, then paths.

``--policy X`` (and every ``make_policy(X, ...)``) is resolved by
:func:`resolve_policy`, in this order:

1. ``"random"``;
2. ``"scripted"`` (the env's default controller) or a controller registered
   for the env (:mod:`robodojo.policies.controllers`);
3. the name of a shipped pretrained policy (``policies/pretrained/<name>/``);
4. only then a path: a ``.onnx`` file, its ``.json`` spec or their folder.
   Pickled checkpoints (SB3 ``.zip``, torch files) are refused: loading one
   can execute arbitrary code.

So a file or folder called ``scripted`` in the working directory never
shadows the name (write ``./scripted`` for the path).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import gymnasium as gym

from robodojo.policies import pretrained
from robodojo.policies.base import Policy, RandomPolicy
from robodojo.policies.controllers import (
    CONTROLLER_BUILDERS,
    SCRIPTED,
    controller_for_env,
    controller_names,
    resolve_controller,
)
from robodojo.policies.onnx_policy import OnnxPolicy
from robodojo.policies.spec import read_spec

RANDOM = "random"
#: Files that name an exported policy (loaded with onnxruntime).
POLICY_FILE_SUFFIXES = (".onnx", ".json")
#: Pickle-based checkpoints: never loaded for evaluation or deployment.
PICKLE_SUFFIXES = (".zip", ".pkl", ".pickle", ".pt", ".pth", ".ckpt")


@dataclass(frozen=True)
class PolicyChoice:
    """What a policy name resolved to: ``kind`` "random", "controller" (``name`` is the registered
    controller) or "exported" (``location`` is the policy folder or file, a shipped one or the
    user's)."""

    kind: str
    name: str
    location: str | None = None

    @property
    def exported(self) -> bool:
        return self.kind == "exported"


def looks_like_path(policy: str) -> bool:
    """Whether ``policy`` is written as a file or folder (a separator, a policy or pickle suffix, or
    it exists)."""
    return (
        os.sep in policy
        or "/" in policy
        or policy.endswith(POLICY_FILE_SUFFIXES + PICKLE_SUFFIXES)
        or os.path.exists(policy)
    )


def reserved_names() -> set[str]:
    """Names a pretrained policy may not take: random, scripted and every controller's."""
    return {
        RANDOM,
        SCRIPTED,
        *(name for builders in CONTROLLER_BUILDERS.values() for name in builders),
    }


def pretrained_names(env_id: str | None = None, robot: str | None = None) -> list[str]:
    """Shipped pretrained policies (for ``env_id`` / ``robot`` when given) that no controller name
    shadows."""
    reserved = reserved_names()
    return [name for name in pretrained.names(env_id, robot) if name not in reserved]


def scripted_names(env_id: str) -> list[str]:
    """Scripted names ``make_policy`` accepts for ``env_id``: random, scripted and its
    controllers."""
    return [RANDOM, SCRIPTED, *controller_names(env_id)] if controller_names(env_id) else [RANDOM]


def policy_names(env_id: str) -> list[str]:
    """Every name accepted for ``env_id``: random, scripted, its controllers, then its pretrained
    policies."""
    return [*scripted_names(env_id), *pretrained_names(env_id)]


def _refuse_pickles(policy: str) -> None:
    if policy.endswith(PICKLE_SUFFIXES):
        raise ValueError(
            f"{policy!r} is a pickled checkpoint (SB3 .zip / torch file): "
            "loading one can run arbitrary code, "
            "so robodojo only evaluates and deploys exported policies. "
            "Export your own run with `robodojo export RUN_DIR` and pass the .onnx (or its folder)"
        )


def resolve_policy(policy: str, env_id: str | None = None) -> PolicyChoice:
    """What ``policy`` stands for (see the module docstring); ``env_id`` is needed for controller
    names.

    Raises ``ValueError`` listing the valid names.
    """
    if not isinstance(policy, str) or not policy:
        raise ValueError(f"a policy must be a name or a path, got {policy!r}")
    if policy == RANDOM:
        return PolicyChoice("random", RANDOM)
    if env_id is not None and (policy == SCRIPTED or policy in controller_names(env_id)):
        return PolicyChoice("controller", resolve_controller(policy, env_id))
    if policy in pretrained_names():
        return PolicyChoice("exported", policy, str(pretrained.get(policy).path))
    if looks_like_path(policy):
        _refuse_pickles(policy)
        return PolicyChoice("exported", policy, policy)
    if env_id is None:
        raise ValueError(
            f"unknown policy {policy!r}: pass an exported policy (.onnx, its .json or folder) "
            f"or a pretrained name ({', '.join(pretrained_names()) or 'none shipped'}), "
            "or name the env for its controllers"
        )
    raise ValueError(
        f"unknown policy {policy!r} for {env_id}; valid names: {', '.join(policy_names(env_id))}"
    )


def policy_path(policy: str) -> str | None:
    """The exported-policy location ``policy`` stands for (a pretrained name or a path), else None.

    Raises ``ValueError`` for pickled checkpoints.
    """
    if policy in reserved_names():
        return None
    try:
        choice = resolve_policy(policy)
    except ValueError:
        if policy.endswith(PICKLE_SUFFIXES):
            raise
        return None
    return choice.location


def exported_spec(choice: PolicyChoice) -> dict[str, Any] | None:
    """The checked ``policy.json`` of an exported choice (cheap: JSON only), else None."""
    return read_spec(choice.location) if choice.exported and choice.location is not None else None


def load_policy(
    path: str | os.PathLike[str], env: gym.Env | None = None, env_id: str | None = None
) -> Any:
    """Load an exported policy (``.onnx``, its ``.json`` or their folder) with onnxruntime.

    Given ``env``, the policy's spec must match it (env id, robot, layout, joints,
    scaling, control rate). Raises ``PolicySpecError`` (a ValueError) or
    ``MissingOnnxRuntimeError`` (an ImportError) with a one-line explanation.
    """
    return OnnxPolicy.load(path, env=env, env_id=env_id)


def make_policy(name: str, env: gym.Env, env_id: str, seed: int | None = None) -> Policy:
    """Build the policy called ``name`` for ``env`` (an instance of ``env_id``); see
    :func:`resolve_policy`.

    Exported policies are checked against ``env``.
    """
    choice = resolve_policy(name, env_id)
    if choice.kind == "random":
        return RandomPolicy(env.action_space, seed=seed)
    if choice.kind == "controller":
        return controller_for_env(choice.name, env, env_id)
    assert choice.location is not None
    policy: Policy = load_policy(choice.location, env=env, env_id=env_id)
    return policy
