"""Run an exported policy (``policy.onnx`` + ``policy.json``) with onnxruntime — no torch, no pickle.

This is the format users ship and deploy. ``robodojo export RUN_DIR`` writes
it (see ``robodojo.training.export``); here we only read JSON and an ONNX
graph, neither of which can execute code when loaded:

* ``policy.json`` is parsed with :mod:`json` and checked (format version,
  sizes, file name) before anything else is opened;
* ``policy.onnx`` must be the plain file name the spec gives, lying beside it,
  and its SHA-256 must equal the spec's; the exact bytes that were hashed are
  handed to onnxruntime (so no swap between check and load), on the CPU
  provider with one thread, without custom-op libraries or external data.

Normalisation is baked into the graph, so the ONNX maps a raw observation
(float32, shape ``(batch, observation.size)``) to an action in the env's
action space (shape ``(batch, action.size)``).

**Residual policies.** A spec with a ``"residual": {"base": NAME, "scale": S}``
block holds a network trained on top of a scripted controller
(:mod:`robodojo.policies.residual`). ``observation.size`` is then the
*network's* input size: the env's observation is the first N fields of
``observation.layout`` and the last field, ``base_action`` (``action.size``
values), is the base controller's action, computed by the runtime. The graph's
output (``onnx.output``, named ``correction``) is the correction ``r`` in
[-1, 1], and the robot gets ``clip(base_action + S · r, -1, 1)``.
``OnnxPolicy.load`` builds the base controller from the spec's robot and
``control_dt`` (:func:`robodojo.policies.make_controller`, no env, no torch)
and returns an :class:`~robodojo.policies.residual.ExportedResidualPolicy`,
which maps the env's observation to that final action; its ``network`` is
the bare :class:`OnnxPolicy`.

**Goal-conditioned policies.** A policy trained on a Dict observation
(``observation``, ``achieved_goal``, ``desired_goal``: a goal-conditioned env,
often with HER) still has ONE flat float32 input: the Dict's keys concatenated
in the order ``observation.keys`` lists them (the trained policy's key order,
which for a Gymnasium Dict is sorted by name: achieved_goal, desired_goal,
observation), each key's normalisation baked in. ``OnnxPolicy.__call__`` (and
``predict``) accept the env's Dict observation and flatten it in that order,
or an already flat vector. A residual's base action is appended to the
``observation`` key (the goals are left alone), so it sits inside that key's
slice of the input.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

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
        raise PolicySpecError(f"{path}: expected a policy directory, a .onnx file or its .json spec")
    if not path.exists():
        raise PolicySpecError(f"{path}: no such file or directory")
    if not spec.is_file():
        raise PolicySpecError(f"{path}: no IO spec found (expected {spec}); export writes it beside policy.onnx")
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
        fail(f"format is {fmt!r}; this robodojo reads {FORMAT!r} (re-export the policy, or upgrade robodojo)")
    for key in ("env_id", "observation", "action", "onnx", "control_dt"):
        if key not in spec:
            fail(f"missing {key!r}")
    obs, act, onnx = spec["observation"], spec["action"], spec["onnx"]
    if not (isinstance(obs, dict) and _positive_int(obs.get("size"))):
        fail("observation.size must be a positive integer")
    if not (isinstance(act, dict) and _positive_int(act.get("size"))):
        fail("action.size must be a positive integer")
    layout = obs.get("layout") or []
    if layout and sum(int(field.get("size", 0)) for field in layout) != obs["size"]:
        fail(f"observation.layout sizes add up to {sum(int(f.get('size', 0)) for f in layout)}, not {obs['size']}")
    for key in ("low", "high"):
        if not (isinstance(act.get(key), list) and len(act[key]) == act["size"]):
            fail(f"action.{key} must list {act['size']} numbers")
    if "joints" in act and len(act["joints"]) != act["size"]:
        fail(f"action.joints names {len(act['joints'])} joints for {act['size']} actions")
    keys = obs.get("keys")
    if keys is not None:
        if not (isinstance(keys, list) and keys and all(isinstance(k, dict) and isinstance(k.get("name"), str)
                                                       and _positive_int(k.get("size")) for k in keys)):
            fail('observation.keys must list {"name": key, "size": positive integer} in input order')
        names = [k["name"] for k in keys]
        if len(set(names)) != len(names):
            fail(f"observation.keys names a key twice: {names}")
        if sum(k["size"] for k in keys) != obs["size"]:
            fail(f"observation.keys sizes add up to {sum(k['size'] for k in keys)}, not {obs['size']}")
    normalization = obs.get("normalization")
    if normalization is not None and not normalization.get("baked_in", False):
        fail("observation.normalization must be baked into the graph (baked_in: true)")
    if not isinstance(onnx, dict) or not _PLAIN_FILE.match(str(onnx.get("file", ""))):
        fail(f"onnx.file must be a plain .onnx file name beside the spec, got {onnx.get('file') if isinstance(onnx, dict) else onnx!r}")
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
        fail(f"this export failed verification (max abs diff {verification.get('max_abs_diff')}); do not deploy it")


def _residual_problem(spec: dict[str, Any]) -> str | None:
    """Why the ``residual`` block of ``spec`` cannot be run, or None."""
    residual, obs, act = spec["residual"], spec["observation"], spec["action"]
    if not isinstance(residual, dict) or not isinstance(residual.get("base"), str):
        return 'residual must be {"base": controller name, "scale": number > 0}'
    scale = residual.get("scale")
    if isinstance(scale, bool) or not isinstance(scale, (int, float)) or not (math.isfinite(scale) and scale > 0):
        return f"residual.scale must be a number > 0, got {scale!r}"
    if not (act["low"] == [-1.0] * act["size"] and act["high"] == [1.0] * act["size"]):
        return "a residual policy needs actions in [-1, 1]"
    layout = obs.get("layout") or []
    keys = observation_keys(spec)
    if keys is not None:  # a Dict observation: the base action ends the "observation" key
        if keys.get(RESIDUAL_KEY, 0) <= act["size"]:
            return (f"a goal-conditioned residual's {RESIDUAL_KEY!r} key must hold the env's values and then "
                    f"base_action ({act['size']} values)")
        layout = [field for field in layout if field.get("key") == RESIDUAL_KEY]
    last = layout[-1] if layout else {}
    if obs["size"] <= act["size"] or (layout and (last.get("name"), last.get("size")) != ("base_action", act["size"])):
        return f"a residual's observation must end with base_action ({act['size']} values) after the env's observation"
    if obs.get("env_size", obs["size"] - act["size"]) != obs["size"] - act["size"]:
        return f"observation.env_size {obs['env_size']} != observation.size {obs['size']} - action.size {act['size']}"
    from robodojo.policies import resolve_controller  # torch-free; imports gymnasium and the robot registry

    try:
        resolve_controller(residual["base"], spec["env_id"])
    except ValueError as error:
        return f"residual.base: {error}"
    return None


def env_observation_size(spec: dict[str, Any]) -> int:
    """Size of the *env's* observation: ``observation.size``, minus the base action for a residual."""
    size = int(spec["observation"]["size"])
    return size - int(spec["action"]["size"]) if spec.get("residual") else size


def env_layout(spec: dict[str, Any]) -> list[dict[str, Any]]:
    """The env's observation fields: the layout, without a residual's trailing ``base_action``.

    (For a Dict observation the ``base_action`` field is the last of the ``observation`` key's fields.)
    """
    layout = list(spec["observation"].get("layout") or [])
    if not (spec.get("residual") and layout):
        return layout
    if observation_keys(spec) is None:
        return layout[:-1]
    last = max(i for i, field in enumerate(layout) if field.get("key") == RESIDUAL_KEY)
    return layout[:last] + layout[last + 1:]


#: In a Dict observation, the key a residual's base action is appended to (as in ``policies.residual``).
RESIDUAL_KEY = "observation"


def observation_keys(spec: dict[str, Any]) -> dict[str, int] | None:
    """A Dict-observation policy's input keys → sizes, in input order (None for a flat observation)."""
    keys = spec["observation"].get("keys")
    return None if keys is None else {key["name"]: int(key["size"]) for key in keys}


def env_observation_keys(spec: dict[str, Any]) -> dict[str, int] | None:
    """The *env's* Dict keys → sizes: ``observation.keys``, minus the base action on a residual's ``observation`` key."""
    keys = observation_keys(spec)
    if keys is not None and spec.get("residual"):
        keys[RESIDUAL_KEY] -= int(spec["action"]["size"])
    return keys


def flatten_observation(observation: Any, keys: dict[str, int]) -> np.ndarray:
    """A Dict observation (one sample or a batch per key) → float32 ``(batch, total)``: keys concatenated in ``keys``' order.

    Raises ``ValueError`` naming a missing key or a key of the wrong size.
    """
    missing = [key for key in keys if key not in observation]
    if missing:
        raise ValueError(f"observation has no key(s) {', '.join(missing)}; the policy takes {', '.join(keys)}")
    parts = [np.asarray(observation[key], dtype=np.float32) for key in keys]
    batch = None
    for key, part in zip(keys, parts):
        if part.shape[-1:] != (keys[key],) or part.ndim > 2:
            raise ValueError(f"observation[{key!r}] has shape {part.shape}, the policy expects ({keys[key]},) per sample")
        rows = part.shape[0] if part.ndim == 2 else None
        if batch is not None and rows != batch[1]:
            raise ValueError(f"observation[{key!r}] has {rows or 1} rows, observation[{batch[0]!r}] {batch[1] or 1}")
        batch = batch or (key, rows)
    return np.concatenate([part.reshape(-1, size) for part, size in zip(parts, keys.values())], axis=1)


def dict_layout(keys: dict[str, int], fields: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The flat input layout of a Dict observation with ``keys`` (name → size, input order).

    Each key contributes the fields the env's ``interface()`` describes for it
    (fields tagged ``"key": name``, or untagged fields that exactly fill the
    ``observation`` key), else one field named after the key. Every field is tagged with its key.
    """
    layout: list[dict[str, Any]] = []
    for key, size in keys.items():
        tagged = [field for field in fields if field.get("key") == key]
        untagged = [field for field in fields if "key" not in field]
        if tagged and sum(int(field.get("size", 0)) for field in tagged) == size:
            chosen = tagged
        elif key == RESIDUAL_KEY and untagged and sum(int(field.get("size", 0)) for field in untagged) == size:
            chosen = untagged
        else:
            chosen = [{"name": key, "size": size, "unit": "", "source": f"the {key!r} entry of the Dict observation"}]
        layout += [{**field, "key": key} for field in chosen]
    return layout


def _positive_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _require_onnxruntime() -> Any:
    try:
        import onnxruntime
    except ImportError:
        raise MissingOnnxRuntimeError(
            f"running an exported .onnx policy needs onnxruntime, which is not installed: {INSTALL_HINT}"
        ) from None
    return onnxruntime


class OnnxPolicy:
    """A :class:`~robodojo.policies.Policy` backed by an exported ONNX graph.

    ``OnnxPolicy.load(path, env=..., env_id=...)`` reads ``policy.json`` and the
    ONNX beside it, checks them (and, given an env, that the policy was built
    for that env id, robot, observation layout, joint order, action scaling and
    control rate). Calling it maps one raw observation to one float32 action.
    For a residual spec ``load`` returns the network composed with its base
    controller (see the module docstring); the OnnxPolicy is its ``network``.
    """

    def __init__(self, session: Any, spec: dict[str, Any], directory: Path) -> None:
        self.session = session
        self.spec = spec
        self.directory = directory
        self.observation_size = int(spec["observation"]["size"])
        self.action_size = int(spec["action"]["size"])
        #: input key → size in input order for a Dict-observation (goal-conditioned) policy, else None
        self.observation_keys = observation_keys(spec)
        self.input_name = spec["onnx"].get("input", "observation")
        self.output_name = spec["onnx"].get("output", "action")

    @classmethod
    def load(cls, path: str | os.PathLike[str], env: Any = None, env_id: str | None = None) -> Any:
        """Load ``path`` (directory, ``.onnx`` or ``.json``); check against ``env`` if given.

        Returns an :class:`OnnxPolicy`, or for a residual spec an
        ``ExportedResidualPolicy`` (env observation → final action) wrapping one.
        """
        spec_path, directory = resolve(path)
        spec = read_spec(spec_path)
        onnx_path = directory / spec["onnx"]["file"]
        if not onnx_path.is_file():
            raise PolicySpecError(f"{spec_path}: names {spec['onnx']['file']!r}, which is not in {directory}")
        if onnx_path.stat().st_size > MAX_ONNX_BYTES:
            raise PolicySpecError(f"{onnx_path}: larger than {MAX_ONNX_BYTES // 2**20} MiB; not a robodojo policy")
        data = onnx_path.read_bytes()
        digest = sha256_of(data)
        if digest != spec["onnx"]["sha256"]:
            raise PolicySpecError(
                f"{onnx_path}: SHA-256 {digest[:16]}… does not match {spec['onnx']['sha256'][:16]}… in {spec_path.name}; "
                "the file was changed or corrupted after export — refusing to run it (re-export, or get the pair again)"
            )
        if env is not None:
            check_compatible(spec, env, env_id, where=str(spec_path))
        session = _session(data, str(onnx_path))
        policy = cls(session, spec, directory)
        policy._check_graph(str(onnx_path))
        return _with_base(policy, str(spec_path)) if spec.get("residual") else policy

    def _check_graph(self, where: str) -> None:
        inputs, outputs = self.session.get_inputs(), self.session.get_outputs()
        if len(inputs) != 1 or inputs[0].name != self.input_name:
            raise PolicySpecError(f"{where}: expected one input {self.input_name!r}, got {[i.name for i in inputs]}")
        if not any(o.name == self.output_name for o in outputs):
            raise PolicySpecError(f"{where}: no output {self.output_name!r} (has {[o.name for o in outputs]})")
        shape = inputs[0].shape
        if len(shape) != 2 or shape[1] != self.observation_size or inputs[0].type != "tensor(float)":
            raise PolicySpecError(
                f"{where}: input is {inputs[0].type} {shape}, expected tensor(float) [batch, {self.observation_size}]"
            )
        out = next(o for o in outputs if o.name == self.output_name)
        if len(out.shape) != 2 or out.shape[1] != self.action_size:
            raise PolicySpecError(f"{where}: output shape {out.shape}, expected [batch, {self.action_size}]")

    @property
    def robot(self) -> str | None:
        return self.spec.get("robot")

    @property
    def env_id(self) -> str:
        return self.spec["env_id"]

    def reset(self) -> None:
        """Nothing to reset: the graph is stateless (the previous action is part of the observation)."""

    def flatten(self, observations: Any) -> np.ndarray:
        """The graph's input ``(n, observation.size)`` float32: a flat batch as it is, a Dict (of batches)
        concatenated key by key in ``observation.keys`` order."""
        if isinstance(observations, Mapping):
            if self.observation_keys is None:
                raise ValueError(f"this policy takes a flat observation of {self.observation_size} values, not a Dict")
            return flatten_observation(observations, self.observation_keys)
        return np.ascontiguousarray(observations, dtype=np.float32).reshape(-1, self.observation_size)

    def predict(self, observations: Any) -> np.ndarray:
        """A batch ``(n, observation.size)`` (or a Dict of per-key batches) → actions ``(n, action.size)``, float32."""
        batch = np.ascontiguousarray(self.flatten(observations))
        return self.session.run([self.output_name], {self.input_name: batch})[0]

    def __call__(self, observation: Any) -> np.ndarray:
        """One observation (flat, or the env's Dict for a goal-conditioned policy) → one action."""
        if isinstance(observation, Mapping):
            batch = self.flatten(observation)
            if batch.shape[0] != 1:
                raise ValueError(f"one observation expected, got a batch of {batch.shape[0]} (use predict)")
            return self.predict(batch)[0].copy()
        observation = np.asarray(observation, dtype=np.float32)
        if observation.size != self.observation_size:
            raise ValueError(f"observation has {observation.size} values, the policy expects {self.observation_size}")
        return self.predict(observation.reshape(1, -1))[0].copy()

    def __repr__(self) -> str:
        return f"OnnxPolicy({str(self.directory)!r}, env_id={self.env_id!r}, robot={self.robot!r})"


def _with_base(network: OnnxPolicy, where: str) -> Any:
    """A residual network composed with the base controller its spec names (built without an env)."""
    from robodojo.policies import make_controller
    from robodojo.policies.residual import ExportedResidualPolicy

    spec = network.spec
    if not spec.get("robot"):
        raise PolicySpecError(f"{where}: a residual policy must name its robot (the base controller is built for it)")
    try:
        base = make_controller(spec["residual"]["base"], spec["env_id"], spec["robot"], spec["control_dt"])
    except ValueError as error:
        raise PolicySpecError(f"{where}: cannot build the residual's base controller: {error}") from None
    return ExportedResidualPolicy(network, base, spec["residual"]["scale"])


def _session(data: bytes, where: str) -> Any:
    ort = _require_onnxruntime()
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.log_severity_level = 3
    try:
        return ort.InferenceSession(data, sess_options=options, providers=["CPUExecutionProvider"])
    except Exception as error:  # onnxruntime raises its own exception types
        raise PolicySpecError(f"{where}: onnxruntime cannot load it ({str(error).splitlines()[0]})") from None


def check_compatible(spec: dict[str, Any], env: Any, env_id: str | None = None, where: str = SPEC_FILE) -> None:
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
        problems.append(f"it was trained on robot {spec.get('robot')!r}, this env runs {robot!r} (pass --robot {spec.get('robot')})")
    obs_space = getattr(env, "observation_space", None)
    obs_shape = getattr(obs_space, "shape", None)
    want_keys = env_observation_keys(spec)
    have_keys = _dict_sizes(obs_space)
    if have_keys is not None or want_keys is not None:  # a goal-conditioned (Dict) observation on either side
        if want_keys is None:
            problems.append(f"the env observes a Dict ({', '.join(have_keys)}), the policy a flat vector of {env_observation_size(spec)}")
        elif have_keys is None:
            if obs_space is not None:
                problems.append(f"the policy takes a Dict observation ({', '.join(want_keys)}), the env observes {obs_space}")
        elif have_keys != want_keys:
            problems.append(f"observation keys {want_keys} != the env's {have_keys}"
                            + (" (the residual's observation key minus the base action)" if spec.get("residual") else ""))
    elif obs_shape is not None and tuple(obs_shape) != (env_observation_size(spec),):
        problems.append(f"observation shape {tuple(obs_shape)} != ({env_observation_size(spec)},)"
                        + (" (the residual network's input minus the base action)" if spec.get("residual") else ""))
    space = getattr(env, "action_space", None)
    if space is not None:
        if tuple(space.shape) != (spec["action"]["size"],):
            problems.append(f"action shape {tuple(space.shape)} != ({spec['action']['size']},)")
        elif not (_close(space.low, spec["action"]["low"]) and _close(space.high, spec["action"]["high"])):
            problems.append("action bounds differ")
    if not problems and hasattr(unwrapped, "interface"):
        problems += _interface_differences(spec, unwrapped.interface())
    if problems:
        raise PolicySpecError(f"{where}: this policy does not fit the env: " + "; ".join(problems))


def _dict_sizes(space: Any) -> dict[str, int] | None:
    """Key → flat size of a Gymnasium Dict space (sorted by key), None for anything else."""
    spaces = getattr(space, "spaces", None)
    if not isinstance(spaces, Mapping):
        return None
    return {key: int(np.prod(getattr(sub, "shape", None) or (0,))) for key, sub in sorted(spaces.items())}


def _interface_differences(spec: dict[str, Any], interface: dict[str, Any]) -> list[str]:
    problems = []
    want = [(f.get("name"), f.get("size")) for f in env_layout(spec)]
    fields = interface.get("observation", [])
    keys = env_observation_keys(spec)
    if keys is not None:  # the layout export derived from the env's interface, derived again from this env's
        fields = dict_layout(keys, fields)
    have = [(f.get("name"), f.get("size")) for f in fields]
    if want and want != have:
        problems.append(f"observation layout {want} != the env's {have}")
    action, env_action = spec["action"], interface.get("action", {})
    if action.get("joints") and env_action.get("joints") and action["joints"] != env_action["joints"]:
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


__all__ = [
    "FORMAT",
    "INSTALL_HINT",
    "MissingOnnxRuntimeError",
    "OnnxPolicy",
    "PolicySpecError",
    "check_compatible",
    "check_spec",
    "dict_layout",
    "env_layout",
    "env_observation_keys",
    "env_observation_size",
    "flatten_observation",
    "observation_keys",
    "read_spec",
    "resolve",
]
