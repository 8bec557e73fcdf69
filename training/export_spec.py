"""The run-folder and IO-spec half of ``robodojo export`` (torch-free).

Reads a ``robodojo train`` run folder — ``config.yaml``, ``manifest.json``,
``card.json``, ``best/`` / ``final/`` — without unpickling anything, and
builds the ``policy.json`` IO spec.
The torch half (model → ONNX, verification) is :mod:`robodojo.training.export`,
the model card :mod:`robodojo.training.model_card`.

A residual run (``residual: {base, scale}`` in its config) exports the
network alone. Its spec gets ``"residual": {"base": CONTROLLER, "scale": S}``
(the base resolved to the controller's registered name, e.g. ``getup``),
``observation.size`` is the network's input size — the env's observation
(``observation.env_size`` values, the first fields of ``observation.layout``)
followed by a final ``base_action`` field the runtime computes — and the
graph's output is the correction ``r`` (``onnx.output = "correction"``); the
``action`` block still describes what the robot receives,
``clip(base_action + S · r, -1, 1)``.

A goal-conditioned run (Dict observation) adds ``observation.keys`` — the
Dict's keys and sizes in input order — to the spec; ``observation.layout``
then covers the flat input key by key (each field tagged with its ``key``;
a residual's ``base_action`` is the last field of the ``observation`` key) and
``observation.normalization.keys`` holds each normalised key's statistics.
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import numpy as np

from robodojo.envs import resolve_env_id, short_name
from robodojo.evaluation.files import package_version
from robodojo.evaluation.files import to_json_safe as jsonable
from robodojo.evaluation.stats import wilson_interval
from robodojo.interface import dict_sizes
from robodojo.policies import resolve_controller
from robodojo.policies.pretrained import card_summary
from robodojo.policies.spec import FORMAT, ONNX_FILE, RESIDUAL_KEY, dict_layout

#: config ``algo`` → (module, class)
ALGORITHMS = {
    "ppo": ("stable_baselines3", "PPO"),
    "a2c": ("stable_baselines3", "A2C"),
    "sac": ("stable_baselines3", "SAC"),
    "tqc": ("sb3_contrib", "TQC"),
}
TRAIN_HINT = "pip install 'robodojo[train]'"
RESIDUAL_FORMULA = "action = clip(base_action + scale * correction, -1, 1)"


class ExportError(RuntimeError):
    """The run folder cannot be exported (missing files, unknown algorithm, missing extra)."""


@dataclass
class Run:
    """What export needs from a run folder (see ``robodojo train``'s layout)."""

    directory: Path
    checkpoint: str  #: "best", "final" or the folder's name when given a checkpoint folder
    model_path: Path
    vecnormalize_path: Path | None
    env_id: str
    robot: str | None
    env_kwargs: dict[str, Any]
    algo: str
    config: dict[str, Any] = field(default_factory=dict)
    manifest: dict[str, Any] = field(default_factory=dict)
    card: dict[str, Any] | None = None
    #: {"base": registered controller name, "scale": float} for a residual run, else None
    residual: dict[str, Any] | None = None


# -- reading the run -----------------------------------------------------------------


def load_run(
    run_dir: str | Path,
    checkpoint: str | None = None,
    env_id: str | None = None,
    robot: str | None = None,
    algo: str | None = None,
) -> Run:
    """Read ``run_dir`` (a run folder, or one of its checkpoint folders) without loading any
    pickle."""
    path = Path(run_dir)
    if not path.is_dir():
        raise ExportError(f"{path}: no such run folder")
    if (path / "model.zip").is_file() and checkpoint is None:  # given a checkpoint folder itself
        directory, ckpt_dir = (
            (path.parent if (path.parent / "config.yaml").is_file() else path),
            path,
        )
    else:
        directory = path
        names = [checkpoint] if checkpoint else default_checkpoint(directory)
        found = [directory / name for name in names if (directory / name / "model.zip").is_file()]
        if not found:
            raise ExportError(
                f"{path}: no {' or '.join(f'{n}/model.zip' for n in names)} "
                "(is it a `robodojo train` run folder?)"
            )
        ckpt_dir = found[0]
    config = _read_yaml(directory / "config.yaml")
    manifest = _read_json(directory / "manifest.json") or {}
    card = _read_json(directory / "card.json")

    scenario = env_id or config.get("env_id") or config.get("scenario") or manifest.get("env_id")
    if not scenario:
        raise ExportError(f"{directory}: no config.yaml naming the scenario; pass --env")
    try:
        full_id = resolve_env_id(str(scenario))
    except ValueError as error:
        raise ExportError(str(error)) from None
    env_kwargs = dict(config.get("env_kwargs") or {})
    env_kwargs.pop("render_mode", None)
    robot = robot or config.get("robot") or env_kwargs.pop("robot", None)
    env_kwargs.pop("robot", None)
    algo = (algo or config.get("algo") or "").lower()
    if algo not in ALGORITHMS:
        raise ExportError(
            f"{directory}: algorithm {algo or '(none)'!r} is not exportable; "
            f"known: {', '.join(ALGORITHMS)} (pass --algo)"
        )
    vecnormalize = ckpt_dir / "vecnormalize.pkl"
    residual = _residual(config.get("residual"), full_id, directory)
    return Run(
        directory=directory,
        checkpoint=ckpt_dir.name,
        model_path=ckpt_dir / "model.zip",
        vecnormalize_path=vecnormalize if vecnormalize.is_file() else None,
        env_id=full_id,
        robot=robot,
        env_kwargs=env_kwargs,
        algo=algo,
        config=config,
        manifest=manifest,
        card=card,
        residual=residual,
    )


def _residual(residual: Any, env_id: str, directory: Path) -> dict[str, Any] | None:
    """The run's ``residual`` config with its base resolved to a registered controller name."""
    if residual is None:
        return None
    scale = residual.get("scale") if isinstance(residual, dict) else None
    if isinstance(scale, bool) or not isinstance(scale, (int, float)) or not scale > 0:
        raise ExportError(
            f"{directory}/config.yaml: residual must be {{base: NAME, scale: S > 0}}, "
            f"got {residual!r}"
        )
    try:
        return {
            "base": resolve_controller(str(residual.get("base")), env_id),
            "scale": float(scale),
        }
    except ValueError as error:
        raise ExportError(f"{directory}/config.yaml: residual.base: {error}") from None


def _read_yaml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        import yaml
    except ImportError:
        raise ExportError(f"reading {path} needs pyyaml: {TRAIN_HINT}") from None
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data if isinstance(data, dict) else {}


def _read_json(path: Path) -> dict[str, Any] | None:
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


# -- the spec and the card -------------------------------------------------------------


def build_spec(
    run: Run,
    model: Any,
    vecnormalize: Any,
    interface: dict[str, Any],
    robot: str | None,
    opset: int,
) -> dict[str, Any]:
    space = model.policy.action_space
    keys = dict_sizes(model.policy.observation_space)
    if keys is not None:
        return _dict_spec(run, model, vecnormalize, interface, robot, opset, keys)
    obs_size = int(model.policy.observation_space.shape[0])
    normalization = None
    if vecnormalize is not None:
        normalization = {
            "baked_in": True,
            "formula": "clip((obs - mean) / sqrt(var + epsilon), -clip, clip)",
            "mean": _floats(vecnormalize.obs_rms.mean),
            "var": _floats(vecnormalize.obs_rms.var),
            "epsilon": float(vecnormalize.epsilon),
            "clip": float(vecnormalize.clip_obs),
            "count": float(vecnormalize.obs_rms.count),
        }
    layout = list(interface.get("observation", []))
    observation: dict[str, Any] = {"size": obs_size}
    if (
        run.residual
    ):  # the network's input: the env's observation, then the base controller's action
        env_size = obs_size - int(space.shape[0])
        layout.append(
            {
                "name": "base_action",
                "size": int(space.shape[0]),
                "unit": "1",
                "source": "the base controller's action (computed by the runtime)",
            }
        )
        observation["env_size"] = env_size
        observation["note"] = (
            f"size is the network's input: the env's observation (the first {env_size} values, "
            "every layout field before base_action) followed by base_action, "
            "which the runtime computes"
        )
    observation.update(dtype="float32", layout=layout, normalization=normalization)
    return _spec(run, model, interface, robot, opset, observation)


def _dict_spec(
    run: Run,
    model: Any,
    vecnormalize: Any,
    interface: dict[str, Any],
    robot: str | None,
    opset: int,
    keys: dict[str, int],
) -> dict[str, Any]:
    """The spec of a Dict-observation (goal-conditioned) policy: one flat input, its keys
    concatenated in order."""
    actions = int(model.policy.action_space.shape[0])
    env_keys = dict(keys)
    if run.residual:
        env_keys[RESIDUAL_KEY] -= actions
    layout = dict_layout(env_keys, list(interface.get("observation", [])))
    if run.residual:  # the base action ends the "observation" key's slice of the input
        last = max(i for i, field in enumerate(layout) if field["key"] == RESIDUAL_KEY)
        layout.insert(
            last + 1,
            {
                "name": "base_action",
                "size": actions,
                "unit": "1",
                "key": RESIDUAL_KEY,
                "source": "the base controller's action (computed by the runtime)",
            },
        )
    normalization = None
    if vecnormalize is not None:
        rms = vecnormalize.obs_rms
        normalized = [
            key for key in keys if key in (getattr(vecnormalize, "norm_obs_keys", None) or rms)
        ]
        normalization = {
            "baked_in": True,
            "formula": "per key: clip((obs[key] - mean[key]) / sqrt(var[key] + epsilon), "
            "-clip, clip); other keys raw",
            "keys": {
                key: {
                    "mean": _floats(rms[key].mean),
                    "var": _floats(rms[key].var),
                    "count": float(rms[key].count),
                }
                for key in normalized
            },
            "epsilon": float(vecnormalize.epsilon),
            "clip": float(vecnormalize.clip_obs),
        }
    size = sum(keys.values())
    observation: dict[str, Any] = {
        "size": size,
        "keys": [{"name": key, "size": key_size} for key, key_size in keys.items()],
        "key_order": (
            "the input is the env's Dict observation with its keys concatenated "
            "in the order of keys "
            "(the trained policy's order: a Gymnasium Dict sorts its keys by name)"
        ),
    }
    if run.residual:
        observation["env_size"] = size - actions
        observation["note"] = (
            f"size is the network's input: the {RESIDUAL_KEY!r} key carries the env's values "
            "followed by base_action, which the runtime computes; the goal keys are the env's"
        )
    observation.update(dtype="float32", layout=layout, normalization=normalization)
    return _spec(run, model, interface, robot, opset, observation)


def _spec(
    run: Run,
    model: Any,
    interface: dict[str, Any],
    robot: str | None,
    opset: int,
    observation: dict[str, Any],
) -> dict[str, Any]:
    space = model.policy.action_space
    control_dt = float(interface.get("control_dt", 0.0))
    return {
        "format": FORMAT,
        "env_id": run.env_id,
        "scenario": short_name(run.env_id),
        "robot": robot,
        "env_kwargs": jsonable(run.env_kwargs),
        **({"residual": {**run.residual, "formula": RESIDUAL_FORMULA}} if run.residual else {}),
        "observation": observation,
        "action": {
            "size": int(space.shape[0]),
            "dtype": "float32",
            "low": _floats(space.low),
            "high": _floats(space.high),
            "deterministic": True,
            **interface.get("action", {}),
        },
        "control_dt": control_dt,
        "control_rate_hz": round(1.0 / control_dt, 6) if control_dt else None,
        "physics_dt": interface.get("physics_dt"),
        "substeps": interface.get("substeps"),
        "onnx": {
            "file": ONNX_FILE,
            "input": "observation",
            "output": "correction" if run.residual else "action",
            "batch_axis": 0,
            "opset": opset,
            "sha256": None,
        },
        "provenance": _provenance(run, model),
        "verification": None,
    }


def _provenance(run: Run, model: Any) -> dict[str, Any]:
    manifest, config = run.manifest, run.config
    git = cast(dict[str, Any], manifest.get("git")) if isinstance(manifest.get("git"), dict) else {}
    versions = manifest.get("packages") or manifest.get("versions")
    return {
        "run": run.directory.resolve().name,
        "checkpoint": run.checkpoint,
        "algo": run.algo,
        "total_steps": config.get("total_steps"),
        "trained_steps": int(getattr(model, "num_timesteps", 0)),
        "seed": config.get("seed", manifest.get("seed")),
        "n_envs": config.get("n_envs"),
        "git_commit": manifest.get("git_commit") or git.get("commit"),
        "git_dirty": git.get("dirty"),
        "trained_with": jsonable(versions) if versions else None,
        "robodojo_version": package_version("robodojo"),
        "stable_baselines3": package_version("stable-baselines3"),
        "torch": package_version("torch"),
        "onnx": package_version("onnx"),
        "exported_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "card": checkpoint_card(run),
    }


def checkpoint_card(run: Run) -> dict[str, Any] | None:
    """The run card's evaluation *of the exported checkpoint* (success, Wilson CI, episodes), or
    None.

    ``robodojo train``'s card.json evaluates ``final/`` (``"model": "final/model.zip"``)
    and records the best periodic evaluation that chose ``best/``; numbers for
    one checkpoint are never reported for the other.
    """
    card = run.card
    if not card:
        return None
    evaluated = str(card.get("model") or "").split("/")[0] or None
    if evaluated in (None, run.checkpoint):
        summary = card_summary(card)
        return (
            {**summary, "source": f"run card.json ({evaluated or 'unspecified'} checkpoint)"}
            if summary
            else None
        )
    best = card.get("best_periodic_evaluation")
    if run.checkpoint == "best" and isinstance(best, dict) and best.get("success_rate") is not None:
        episodes = best.get("episodes")
        ci = (
            list(wilson_interval(round(best["success_rate"] * episodes), episodes))
            if episodes
            else None
        )
        return {
            "success_rate": best["success_rate"],
            "ci95": ci,
            "episodes": episodes,
            "source": f"best periodic evaluation at step {best.get('step')} "
            "(selected on it: optimistic)",
        }
    return None


def default_checkpoint(directory: Path) -> list[str]:
    """Checkpoint folders to try, first the one the run's card evaluated (so listed numbers
    match)."""
    card = _read_json(directory / "card.json") or {}
    evaluated = str(card.get("model") or "").split("/")[0]
    return list(dict.fromkeys([c for c in (evaluated, "best", "final") if c in ("best", "final")]))


def _floats(values: Any) -> list[float]:
    return [float(v) for v in np.asarray(values, dtype=np.float64).ravel()]
