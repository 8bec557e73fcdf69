"""What robodojo offers, read from the registries: environments, robots, policies.

Everything here is derived from ``ENV_IDS``, ``ROBOTS``, ``CONTROLLER_BUILDERS`` and
the pretrained folders (``policies/pretrained/<name>/``) so new scenarios,
robots, controllers and shipped policies show up in ``robodojo list`` and are
accepted by ``robodojo eval`` without touching the CLI.
"""

from __future__ import annotations

import inspect
from typing import Any

from robodojo.envs import ENV_IDS, env_class, short_name
from robodojo.policies import controller_names, policy_names, pretrained, pretrained_names
from robodojo.robots import ROBOTS, robot_names


def env_parameters(env_id: str) -> dict[str, inspect.Parameter]:
    """Constructor keyword arguments of ``env_id`` (what ``--env-arg`` may set)."""
    params = inspect.signature(env_class(env_id)).parameters
    return {name: p for name, p in params.items() if name != "self" and p.kind is not p.VAR_KEYWORD}


def env_description(env_id: str) -> str:
    """First sentence of the class docstring's Description section (Gymnasium style)."""
    doc = inspect.getdoc(env_class(env_id)) or ""
    lines = [line.strip() for line in doc.splitlines()]
    if "## Description" in lines:
        lines = lines[lines.index("## Description") + 1 :]
    paragraph: list[str] = []
    for line in lines:
        if line.startswith("#") or (not line and paragraph):
            break
        if line:
            paragraph.append(line)
    text = " ".join(paragraph).replace("``", "")  # reStructuredText literals read as plain words
    sentence_end = text.find(". ")
    return text[: sentence_end + 1] if sentence_end >= 0 else text


def robot_kind(env_id: str) -> str | None:
    """The kind of robot an env drives (its class's ``ROBOT_KIND``), or None."""
    return getattr(env_class(env_id), "ROBOT_KIND", None)


def env_robots(env_id: str) -> list[str]:
    """Robots an env accepts: the registered robots of its kind if it takes ``robot=``, else
    none."""
    return robot_names(robot_kind(env_id)) if "robot" in env_parameters(env_id) else []


def default_robot(env_id: str) -> str | None:
    param = env_parameters(env_id).get("robot")
    return None if param is None or param.default is param.empty else param.default


def pretrained_for(env_id: str) -> list[pretrained.Pretrained]:
    """Shipped pretrained policies for ``env_id``, with their cards' success rates."""
    shipped = pretrained.discover()
    return [shipped[name] for name in pretrained_names(env_id)]


def describe_everything() -> dict[str, Any]:
    """A plain-data catalogue (used by ``robodojo list``)."""
    envs = [
        {
            "id": env_id,
            "short_name": short_name(env_id),
            "robots": env_robots(env_id),
            "default_robot": default_robot(env_id),
            "description": env_description(env_id),
            "policies": policy_names(env_id),
            "pretrained": [
                {
                    "name": entry.name,
                    "robot": entry.robot,
                    "algo": entry.algo,
                    "success_rate": entry.success_rate,
                    "success_ci95": list(entry.success_ci95) if entry.success_ci95 else None,
                    "episodes": entry.episodes,
                    "description": entry.describe(),
                }
                for entry in pretrained_for(env_id)
            ],
        }
        for env_id in ENV_IDS
    ]
    robots = [
        {
            "name": spec.name,
            "kind": spec.kind,
            "mass": getattr(spec, "mass", None),
            "joints": spec.num_joints,
            "detail": robot_detail(spec),
        }
        for spec in ROBOTS.values()
    ]
    return {"environments": envs, "robots": robots}


def robot_detail(spec: Any) -> str:
    """The one fact per kind that tells robots apart in a listing."""
    if getattr(spec, "standing_height", None):
        return f"standing height {spec.standing_height:.3f} m"
    if getattr(spec, "reach", None):
        return f"reach {spec.reach:.2f} m"
    return ""


def scripted_default(env_id: str) -> str | None:
    """The controller ``--policy scripted`` stands for on ``env_id`` (its first registered one)."""
    return next(iter(controller_names(env_id)), None)


#: Headline episode metrics per env, (metric, title), most important first: the demo's report
#: columns and the learning curve's third panel. Success is always shown anyway.
REPORT_METRICS: dict[str, list[tuple[str, str]]] = {
    "robodojo/FallRecovery-v0": [
        ("time_to_stand", "mean time to stand (s)"),
        ("energy", "mean energy (J)"),
    ],
    "robodojo/Weld-v0": [
        ("weld_fraction", "weld fraction"),
        ("lateral_error_mean_mm", "mean lateral error (mm)"),
        ("ctwd_error_mean_mm", "mean CTWD error (mm)"),
    ],
    "robodojo/Transport-v0": [
        ("time", "mean time (s)"),
        ("drops", "drops per episode"),
        ("peak_acceleration", "mean peak parcel acceleration (m/s²)"),
    ],
    "robodojo/QuadrupedRescue-v0": [
        ("time_to_reach", "mean time to reach (s)"),
        ("time_to_find", "mean time to find (s)"),
        ("falls", "falls per episode"),
    ],
    "robodojo/Locomotion-v0": [
        ("tracking_error", "mean velocity tracking error (m/s)"),
        ("falls", "falls per episode"),
        ("energy_per_metre", "energy per metre (J/m)"),
    ],
}
