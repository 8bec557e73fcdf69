"""An exported policy's IO spec (``policy.json``): reading it, checking it, and the layout it
describes.

``robodojo export RUN_DIR`` writes the spec beside ``policy.onnx``; here it
is only read with :mod:`json` and checked (format version, sizes, file name,
residual block) before anything else is opened, so a tampered or foreign
file is refused with a one-line :class:`PolicySpecError`. Nothing here needs
onnxruntime or torch.

**Residual policies.** A spec with a ``"residual": {"base": NAME, "scale": S}``
block holds a network trained on top of a scripted controller
(:mod:`robodojo.policies.residual`). ``observation.size`` is then the
*network's* input size: the env's observation is the first N fields of
``observation.layout`` and the last field, ``base_action`` (``action.size``
values), is the base controller's action, computed by the runtime.

**Goal-conditioned policies.** A policy trained on a Dict observation has
ONE flat float32 input: the Dict's keys concatenated in the order
``observation.keys`` lists them (the trained policy's key order). A
residual's base action is appended to the ``observation`` key.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
from pathlib import Path
from typing import Any

import numpy as np

from robodojo.envs import check_env_arguments, resolve_env_id
from robodojo.policies.controllers import resolve_controller

#: In a Dict observation, the key a residual's base action is appended to; the goals stay as they
#: are.
RESIDUAL_KEY = "observation"

FORMAT = "robodojo-policy/1"
SPEC_FILE = "policy.json"
ONNX_FILE = "policy.onnx"
INSTALL_HINT = "pip install 'robodojo[onnx]'"
#: A spec may only name a file beside it, never a path.
_PLAIN_FILE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*\.onnx$")
#: Generous: a 256x256 MLP is ~0.3 MB; anything near this is not a policy we wrote.
MAX_ONNX_BYTES = 64 * 1024 * 1024


class PolicySpecError(ValueError):
    """The policy files are missing, malformed, tampered with or built for something else."""


class MissingOnnxRuntimeError(ImportError):
    """onnxruntime (the ``onnx`` extra) is not installed."""


def resolve(path: str | os.PathLike[str]) -> tuple[Path, Path]:
    """``path`` (a directory, its ``policy.json`` or its ``.onnx``) → (spec path, directory).

    The spec of ``X.onnx`` is ``X.json`` if present, else ``policy.json`` beside it.
    """
    path = Path(path)
    if path.is_dir():
        spec = path / SPEC_FILE
    elif path.suffix == ".onnx":
        spec = path.with_suffix(".json")
        if not spec.is_file():
            spec = path.parent / SPEC_FILE
    elif path.suffix == ".json":
        spec = path
    else:
        raise PolicySpecError(
            f"{path}: expected a policy directory, a .onnx file or its .json spec"
        )
    if not path.exists():
        raise PolicySpecError(f"{path}: no such file or directory")
    if not spec.is_file():
        raise PolicySpecError(
            f"{path}: no IO spec found (expected {spec}); export writes it beside policy.onnx"
        )
    return spec, spec.parent


def read_spec(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read and check a policy's IO spec (cheap: JSON only, no onnxruntime)."""
    spec_path, _ = resolve(path)
    try:
        spec = json.loads(spec_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise PolicySpecError(f"{spec_path}: not a readable JSON policy spec ({error})") from None
    check_spec(spec, str(spec_path))
    return spec


def check_spec(spec: Any, where: str = SPEC_FILE) -> None:
    """Raise :class:`PolicySpecError` unless ``spec`` is a well-formed spec of a format we read."""

    def fail(message: str) -> None:
        raise PolicySpecError(f"{where}: {message}")

    if not isinstance(spec, dict):
        fail("not a JSON object")
    fmt = spec.get("format")
    if fmt != FORMAT:
        fail(
            f"format is {fmt!r}; this robodojo reads {FORMAT!r} "
            "(re-export the policy, or upgrade robodojo)"
        )
    for key in ("env_id", "observation", "action", "onnx", "control_dt"):
        if key not in spec:
            fail(f"missing {key!r}")
    problem = _env_problem(spec) or _shape_problem(spec)
    if problem:
        fail(problem)
    obs, act, onnx = spec["observation"], spec["action"], spec["onnx"]
    layout = obs.get("layout") or []
    if layout and sum(int(field.get("size", 0)) for field in layout) != obs["size"]:
        fail(
            "observation.layout sizes add up to "
            f"{sum(int(f.get('size', 0)) for f in layout)}, not {obs['size']}"
        )
    for key in ("low", "high"):
        if not _numbers(act.get(key), act["size"]):
            fail(f"action.{key} must list {act['size']} finite numbers")
    keys = obs.get("keys")
    if keys is not None:
        if not (
            isinstance(keys, list)
            and keys
            and all(
                isinstance(k, dict)
                and isinstance(k.get("name"), str)
                and _positive_int(k.get("size"))
                for k in keys
            )
        ):
            fail(
                'observation.keys must list {"name": key, "size": positive integer} in input order'
            )
        names = [k["name"] for k in keys]
        if len(set(names)) != len(names):
            fail(f"observation.keys names a key twice: {names}")
        if sum(k["size"] for k in keys) != obs["size"]:
            fail(
                f"observation.keys sizes add up to {sum(k['size'] for k in keys)}, "
                f"not {obs['size']}"
            )
    normalization = obs.get("normalization")
    if normalization is not None and not normalization.get("baked_in", False):
        fail("observation.normalization must be baked into the graph (baked_in: true)")
    if not isinstance(onnx, dict) or not _PLAIN_FILE.match(str(onnx.get("file", ""))):
        fail(
            "onnx.file must be a plain .onnx file name beside the spec, "
            f"got {onnx.get('file') if isinstance(onnx, dict) else onnx!r}"
        )
    if not re.fullmatch(r"[0-9a-f]{64}", str(onnx.get("sha256", ""))):
        fail("onnx.sha256 must be the file's SHA-256 (64 hex digits)")
    if not (isinstance(spec["control_dt"], (int, float)) and spec["control_dt"] > 0):
        fail("control_dt must be a positive number of seconds")
    if spec.get("residual") is not None:
        problem = _residual_problem(spec)
        if problem:
            fail(problem)
    verification = spec.get("verification") or {}
    if verification.get("passed") is False:
        fail(
            "this export failed verification "
            f"(max abs diff {verification.get('max_abs_diff')}); do not deploy it"
        )


#: action entries that, when present, hold one finite number per action
PER_ACTION_NUMBERS = ("home", "lower", "upper", "kp", "kd", "torque_limit")


def _shape_problem(spec: dict[str, Any]) -> str | None:
    """What is wrong with the types of the spec's sections (before anything reads them), or
    None."""
    obs, act = spec["observation"], spec["action"]
    if not (isinstance(obs, dict) and _positive_int(obs.get("size"))):
        return "observation.size must be a positive integer"
    if not (isinstance(act, dict) and _positive_int(act.get("size"))):
        return "action.size must be a positive integer"
    for section in ("residual", "provenance", "verification"):
        if spec.get(section) is not None and not isinstance(spec[section], dict):
            return f"{section} must be a JSON object, got {spec[section]!r}"
    if obs.get("normalization") is not None and not isinstance(obs["normalization"], dict):
        return f"observation.normalization must be a JSON object, got {obs['normalization']!r}"
    layout = obs.get("layout")
    if layout is not None and not (
        isinstance(layout, list)
        and all(
            isinstance(f, dict) and isinstance(f.get("name"), str) and _positive_int(f.get("size"))
            for f in layout
        )
    ):
        return 'observation.layout must list {"name": field, "size": positive integer, ...}'
    joints = act.get("joints")
    if joints is not None and not (
        isinstance(joints, list)
        and len(joints) == act["size"]
        and all(isinstance(j, str) for j in joints)
    ):
        return f"action.joints must list the {act['size']} joint names"
    for key in PER_ACTION_NUMBERS:
        if key in act and not _numbers(act[key], act["size"]):
            return f"action.{key} must list {act['size']} finite numbers"
    return None


def _numbers(value: Any, count: int) -> bool:
    """Whether ``value`` is a list of ``count`` finite numbers (not bools)."""
    return (
        isinstance(value, list)
        and len(value) == count
        and all(
            isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)
            for x in value
        )
    )


def _env_problem(spec: dict[str, Any]) -> str | None:
    """What is wrong with the spec's env id, robot or env arguments (checked as the env checks
    its constructor's), or None."""
    try:
        env_id = resolve_env_id(spec["env_id"])
    except (TypeError, ValueError):
        return f"env_id must name a robodojo env, got {spec['env_id']!r}"
    env_kwargs = spec.get("env_kwargs", {})
    if not isinstance(env_kwargs, dict):
        return f"env_kwargs must be a JSON object of {env_id} arguments, got {env_kwargs!r}"
    robot = spec.get("robot")
    arguments = env_kwargs if robot is None else {**env_kwargs, "robot": robot}
    try:
        check_env_arguments(env_id, arguments)
    except (TypeError, ValueError) as error:
        return f"env_kwargs: {error}"
    return None


def _residual_problem(spec: dict[str, Any]) -> str | None:
    """Why the ``residual`` block of ``spec`` cannot be run, or None."""
    residual, obs, act = spec["residual"], spec["observation"], spec["action"]
    if not isinstance(residual, dict) or not isinstance(residual.get("base"), str):
        return 'residual must be {"base": controller name, "scale": number > 0}'
    scale = residual.get("scale")
    if (
        isinstance(scale, bool)
        or not isinstance(scale, (int, float))
        or not (math.isfinite(scale) and scale > 0)
    ):
        return f"residual.scale must be a number > 0, got {scale!r}"
    if not (act["low"] == [-1.0] * act["size"] and act["high"] == [1.0] * act["size"]):
        return "a residual policy needs actions in [-1, 1]"
    layout = obs.get("layout") or []
    keys = observation_keys(spec)
    if keys is not None:  # a Dict observation: the base action ends the "observation" key
        if keys.get(RESIDUAL_KEY, 0) <= act["size"]:
            return (
                f"a goal-conditioned residual's {RESIDUAL_KEY!r} key must hold the env's values "
                f"and then base_action ({act['size']} values)"
            )
        layout = [field for field in layout if field.get("key") == RESIDUAL_KEY]
    last = layout[-1] if layout else {}
    if obs["size"] <= act["size"] or (
        layout and (last.get("name"), last.get("size")) != ("base_action", act["size"])
    ):
        return (
            f"a residual's observation must end with base_action ({act['size']} values) "
            "after the env's observation"
        )
    if obs.get("env_size", obs["size"] - act["size"]) != obs["size"] - act["size"]:
        return (
            f"observation.env_size {obs['env_size']} != observation.size {obs['size']} "
            f"- action.size {act['size']}"
        )
    try:
        resolve_controller(residual["base"], spec["env_id"])
    except ValueError as error:
        return f"residual.base: {error}"
    return None


def env_observation_size(spec: dict[str, Any]) -> int:
    """Size of the *env's* observation: ``observation.size``, minus the base action for a
    residual."""
    size = int(spec["observation"]["size"])
    return size - int(spec["action"]["size"]) if spec.get("residual") else size


def env_layout(spec: dict[str, Any]) -> list[dict[str, Any]]:
    """The env's observation fields: the layout, without a residual's trailing ``base_action``.

    (For a Dict observation the ``base_action`` field is the last of the ``observation`` key's
    fields.)
    """
    layout = list(spec["observation"].get("layout") or [])
    if not (spec.get("residual") and layout):
        return layout
    if observation_keys(spec) is None:
        return layout[:-1]
    last = max(i for i, field in enumerate(layout) if field.get("key") == RESIDUAL_KEY)
    return layout[:last] + layout[last + 1 :]


def observation_keys(spec: dict[str, Any]) -> dict[str, int] | None:
    """A Dict-observation policy's input keys → sizes, in input order (None for a flat
    observation)."""
    keys = spec["observation"].get("keys")
    return None if keys is None else {key["name"]: int(key["size"]) for key in keys}


def env_observation_keys(spec: dict[str, Any]) -> dict[str, int] | None:
    """The *env's* Dict keys → sizes: ``observation.keys``, minus the base action on a residual's
    ``observation`` key."""
    keys = observation_keys(spec)
    if keys is not None and spec.get("residual"):
        keys[RESIDUAL_KEY] -= int(spec["action"]["size"])
    return keys


def flatten_observation(observation: Any, keys: dict[str, int]) -> np.ndarray:
    """A Dict observation (one sample or a batch per key) → float32 ``(batch, total)``: keys
    concatenated in ``keys``' order.

    Raises ``ValueError`` naming a missing key or a key of the wrong size.
    """
    missing = [key for key in keys if key not in observation]
    if missing:
        raise ValueError(
            f"observation has no key(s) {', '.join(missing)}; the policy takes {', '.join(keys)}"
        )
    parts = [np.asarray(observation[key], dtype=np.float32) for key in keys]
    batch = None
    for key, part in zip(keys, parts, strict=True):
        if part.shape[-1:] != (keys[key],) or part.ndim > 2:
            raise ValueError(
                f"observation[{key!r}] has shape {part.shape}, "
                f"the policy expects ({keys[key]},) per sample"
            )
        rows = part.shape[0] if part.ndim == 2 else None
        if batch is not None and rows != batch[1]:
            raise ValueError(
                f"observation[{key!r}] has {rows or 1} rows, "
                f"observation[{batch[0]!r}] {batch[1] or 1}"
            )
        batch = batch or (key, rows)
    return np.concatenate(
        [part.reshape(-1, size) for part, size in zip(parts, keys.values(), strict=True)], axis=1
    )


def dict_layout(keys: dict[str, int], fields: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The flat input layout of a Dict observation with ``keys`` (name → size, input order).

    Each key contributes the fields the env's ``interface()`` describes for it
    (fields tagged ``"key": name``, or untagged fields that exactly fill the
    ``observation`` key), else one field named after the key. Every field is tagged with its
    key.
    """
    layout: list[dict[str, Any]] = []
    for key, size in keys.items():
        tagged = [field for field in fields if field.get("key") == key]
        untagged = [field for field in fields if "key" not in field]
        if tagged and sum(int(field.get("size", 0)) for field in tagged) == size:
            chosen = tagged
        elif (
            key == RESIDUAL_KEY
            and untagged
            and sum(int(field.get("size", 0)) for field in untagged) == size
        ):
            chosen = untagged
        else:
            chosen = [
                {
                    "name": key,
                    "size": size,
                    "unit": "",
                    "source": f"the {key!r} entry of the Dict observation",
                }
            ]
        layout += [{**field, "key": key} for field in chosen]
    return layout


def _positive_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
