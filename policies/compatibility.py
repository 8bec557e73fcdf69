"""Does an exported policy fit an env? Its spec against the env's id, robot, spaces and declared
interface."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from robodojo.interface import dict_sizes
from robodojo.policies.spec import (
    SPEC_FILE,
    PolicySpecError,
    dict_layout,
    env_layout,
    env_observation_keys,
    env_observation_size,
)  # fmt: skip


def check_compatible(
    spec: dict[str, Any], env: Any, env_id: str | None = None, where: str = SPEC_FILE
) -> None:
    """Raise :class:`PolicySpecError` unless the policy in ``spec`` was built for ``env``.

    Checks the env id, the robot, the spaces, and — where the env describes
    itself with ``interface()`` — the observation layout, joint order, action
    scaling and control rate, so a policy never drives joints it was not trained on.
    For a residual the env's observation is the layout without its final
    ``base_action`` field (which the runtime computes).
    """
    unwrapped = getattr(env, "unwrapped", env)
    if env_id is None and getattr(env, "spec", None) is not None:
        env_id = env.spec.id
    problems: list[str] = []
    if env_id is not None and env_id != spec["env_id"]:
        problems.append(f"it was exported for {spec['env_id']}, not {env_id}")
    robot = getattr(unwrapped, "robot_name", None)
    if spec.get("robot") != robot and (robot is not None or spec.get("robot") is not None):
        problems.append(
            f"it was trained on robot {spec.get('robot')!r}, this env runs {robot!r} "
            f"(pass --robot {spec.get('robot')})"
        )
    obs_space: Any = getattr(env, "observation_space", None)  # dict_sizes(None) is None
    obs_shape = getattr(obs_space, "shape", None)
    want_keys = env_observation_keys(spec)
    have_keys = dict_sizes(obs_space)
    # A goal-conditioned (Dict) observation on either side:
    if have_keys is not None or want_keys is not None:
        if want_keys is None:
            assert have_keys is not None
            problems.append(
                f"the env observes a Dict ({', '.join(have_keys)}), "
                f"the policy a flat vector of {env_observation_size(spec)}"
            )
        elif have_keys is None:
            if obs_space is not None:
                problems.append(
                    f"the policy takes a Dict observation ({', '.join(want_keys)}), "
                    f"the env observes {obs_space}"
                )
        elif have_keys != want_keys:
            problems.append(
                f"observation keys {want_keys} != the env's {have_keys}"
                + (
                    " (the residual's observation key minus the base action)"
                    if spec.get("residual")
                    else ""
                )
            )
    elif obs_shape is not None and tuple(obs_shape) != (env_observation_size(spec),):
        problems.append(
            f"observation shape {tuple(obs_shape)} != ({env_observation_size(spec)},)"
            + (
                " (the residual network's input minus the base action)"
                if spec.get("residual")
                else ""
            )
        )
    space = getattr(env, "action_space", None)
    if space is not None:
        if tuple(space.shape) != (spec["action"]["size"],):
            problems.append(f"action shape {tuple(space.shape)} != ({spec['action']['size']},)")
        elif not (
            _close(space.low, spec["action"]["low"]) and _close(space.high, spec["action"]["high"])
        ):
            problems.append("action bounds differ")
    if not problems and hasattr(unwrapped, "interface"):
        problems += _interface_differences(spec, unwrapped.interface())
    if problems:
        raise PolicySpecError(f"{where}: this policy does not fit the env: " + "; ".join(problems))


def _interface_differences(spec: dict[str, Any], interface: dict[str, Any]) -> list[str]:
    problems = []
    want = [(f.get("name"), f.get("size")) for f in env_layout(spec)]
    fields = interface.get("observation", [])
    keys = env_observation_keys(spec)
    if keys is not None:
        # The layout export derived from the env's interface, derived again from this env's.
        fields = dict_layout(keys, fields)
    have = [(f.get("name"), f.get("size")) for f in fields]
    if want and want != have:
        problems.append(f"observation layout {want} != the env's {have}")
    action, env_action = spec["action"], interface.get("action", {})
    if (
        action.get("joints")
        and env_action.get("joints")
        and action["joints"] != env_action["joints"]
    ):
        problems.append(f"joint order {action['joints']} != the env's {env_action['joints']}")
    for key in ("type", "mapping"):
        if key in action and key in env_action and action[key] != env_action[key]:
            problems.append(f"action {key} {action[key]!r} != the env's {env_action[key]!r}")
    for key in ("home", "lower", "upper"):
        if key in action and key in env_action and not _close(action[key], env_action[key]):
            problems.append(f"action {key} (joint {key} positions) differ from the env's")
    dt = interface.get("control_dt")
    if dt is not None and not math.isclose(dt, spec["control_dt"], rel_tol=1e-9):
        problems.append(f"control period {spec['control_dt']} s != the env's {dt} s")
    return problems


def _close(a: Any, b: Any) -> bool:
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=0.0, atol=1e-6))
