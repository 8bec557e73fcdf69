"""What ``robodojo deploy`` runs: an exported policy (or a scripted controller) and a
:class:`DeployCore` for it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
from gymnasium import spaces

from robodojo.bridge.deploy import DeployCore
from robodojo.bridge.observation import ObservationBuilder
from robodojo.bridge.safety import SafetyConfig
from robodojo.envs import RobotTaskEnv, resolve_env_id
from robodojo.envs import make as make_env
from robodojo.policies import (
    controller_names,
    load_policy,
    make_controller,
    policy_path,
    pretrained,
)
from robodojo.policies.spec import read_spec


@dataclass
class LoadedPolicy:
    spec: dict[str, Any]
    policy: Any
    description: str


def load_policy_for_deploy(
    policy: str, env: str | None = None, robot: str | None = None
) -> LoadedPolicy:
    """An exported policy (path or pretrained name) with its spec, or a scripted controller with an
    env's interface.

    Raises ValueError (PolicySpecError) with a one-line reason.
    """
    # a pretrained name or an exported policy's path (controller names come first)
    path = policy_path(policy)
    if path is not None:
        check_deployable(read_spec(path), policy)  # before loading the graph
        loaded = load_policy(path)
        spec = loaded.spec
        if robot is not None and spec.get("robot") not in (None, robot):
            raise ValueError(f"{policy} was trained on robot {spec.get('robot')!r}, not {robot!r}")
        return LoadedPolicy(spec, loaded, f"{path} ({spec['env_id']}, robot {spec.get('robot')})")
    env_id = resolve_env_id(env or "fall_recovery")
    if policy != "scripted" and policy not in controller_names(env_id):
        raise ValueError(
            f"unknown policy {policy!r}: pass an exported policy (.onnx, its .json or folder), "
            "a pretrained name, or 'scripted'"
        )
    spec = interface_spec(env_id, robot or "a1")
    check_deployable(spec, f"{policy} on {env_id}")
    controller = make_controller(policy, env_id, spec["robot"], spec["control_dt"])
    return LoadedPolicy(
        spec, controller, f"scripted controller {policy!r} ({env_id}, robot {spec['robot']})"
    )


#: The action interface the bridge can drive: joint position targets (a PD controller per joint).
DEPLOYABLE_ACTION = "joint_position_targets"


def deployable_pretrained() -> list[str]:
    """The shipped policies the bridge can deploy (their action is :data:`DEPLOYABLE_ACTION`)."""
    names = []
    for name, entry in pretrained.discover().items():
        try:
            action = read_spec(entry.path).get("action") or {}
        except (OSError, ValueError):
            continue
        if action.get("type") == DEPLOYABLE_ACTION:
            names.append(name)
    return names


def check_deployable(spec: dict[str, Any], name: str) -> None:
    """A ValueError (one line) unless ``spec``'s action is joint position targets with limits:
    a velocity, TCP or seam-twist interface needs its own controller on the robot side."""
    action = spec.get("action") or {}
    kind = action.get("type")
    missing = [key for key in ("joints", "home", "lower", "upper") if key not in action]
    if kind == DEPLOYABLE_ACTION and not missing:
        return
    what = kind or "untyped"
    if kind == DEPLOYABLE_ACTION:
        what += f"; its spec lacks {', '.join(missing)}"
    raise ValueError(
        f"{name}'s action interface ({what}) cannot be deployed yet: the bridge deploys "
        f"joint-position policies ({', '.join(deployable_pretrained()) or 'none shipped'})"
    )


def interface_spec(env_id: str, robot: str) -> dict[str, Any]:
    """A policy.json-shaped spec of an env's interface (what a scripted controller is deployed
    with)."""
    env = make_env(env_id, robot=robot)
    try:
        interface = cast(RobotTaskEnv, env.unwrapped).interface()
        space = cast(spaces.Box, env.action_space)  # every robodojo env acts in a Box
    finally:
        env.close()
    layout = interface["observation"]
    return {
        "env_id": env_id,
        "robot": robot,
        "observation": {"size": sum(int(f["size"]) for f in layout), "layout": layout},
        "action": {
            "size": int(space.shape[0]),
            "low": space.low.tolist(),
            "high": space.high.tolist(),
            **interface["action"],
        },
        "control_dt": interface["control_dt"],
    }


def action_mapping(spec: dict[str, Any]) -> Callable[[np.ndarray], np.ndarray]:
    """The spec's action → joint targets (``QuadrupedSpec.action_to_targets``, from the spec's
    numbers)."""
    action = spec["action"]
    if action.get("type") != "joint_position_targets":
        raise ValueError(
            "deploy drives joint_position_targets policies; this one's action type is "
            f"{action.get('type')!r}"
        )
    home = np.asarray(action["home"], dtype=np.float64)
    lower = np.asarray(action["lower"], dtype=np.float64)
    upper = np.asarray(action["upper"], dtype=np.float64)

    def to_targets(a: np.ndarray) -> np.ndarray:
        a = np.asarray(a, dtype=np.float64)
        return np.where(a >= 0, home + a * (upper - home), home + a * (home - lower))

    return to_targets


def build_core(
    loaded: LoadedPolicy,
    config: SafetyConfig,
    command_joints: Sequence[str] | None = None,
    enabled: bool = False,
    allow_extra_joints: bool = False,
) -> DeployCore:
    spec = loaded.spec
    builder = ObservationBuilder.from_spec(spec, allow_extra_joints=allow_extra_joints)
    return DeployCore(
        builder,
        loaded.policy,
        action_mapping(spec),
        spec["action"]["low"],
        spec["action"]["high"],
        config,
        command_joints=command_joints,
        enabled=enabled,
        reset_policy=getattr(loaded.policy, "reset", None),
    )
