"""Run an exported policy (``policy.onnx`` + ``policy.json``) with onnxruntime — no torch, no
pickle.

This is the format users ship and deploy. ``robodojo export RUN_DIR`` writes
it (see ``robodojo.training.export``); here we only read JSON and an ONNX
graph, neither of which can execute code when loaded:

* ``policy.json`` is parsed and checked first (:mod:`robodojo.policies.spec`);
* ``policy.onnx`` must be the plain file name the spec gives, lying beside it,
  and its SHA-256 must equal the spec's; the exact bytes that were hashed are
  handed to onnxruntime (so no swap between check and load), on the CPU
  provider with one thread, without custom-op libraries or external data.

Normalisation is baked into the graph, so the ONNX maps a raw observation
(float32, shape ``(batch, observation.size)``) to an action in the env's
action space (shape ``(batch, action.size)``). For a residual spec the
graph's output is the correction; ``OnnxPolicy.load`` builds the base
controller from the spec's robot and ``control_dt`` (no env, no torch) and
returns an :class:`~robodojo.policies.residual.ExportedResidualPolicy`,
which maps the env's observation to the final action; its ``network`` is
the bare :class:`OnnxPolicy`. A goal-conditioned policy's ``__call__`` (and
``predict``) accept the env's Dict observation and flatten it key by key.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from robodojo.policies.compatibility import check_compatible
from robodojo.policies.controllers import make_controller
from robodojo.policies.residual import ExportedResidualPolicy
from robodojo.policies.spec import (
    INSTALL_HINT,
    MAX_ONNX_BYTES,
    MissingOnnxRuntimeError,
    PolicySpecError,
    flatten_observation,
    observation_keys,
    read_spec,
    resolve,
    sha256_of,
)  # fmt: skip


def _require_onnxruntime() -> Any:
    try:
        import onnxruntime
    except ImportError:
        raise MissingOnnxRuntimeError(
            "running an exported .onnx policy needs onnxruntime, which is not installed: "
            f"{INSTALL_HINT}"
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
        #: input key → size in input order for a Dict-observation (goal-conditioned) policy, else
        #: None
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
            raise PolicySpecError(
                f"{spec_path}: names {spec['onnx']['file']!r}, which is not in {directory}"
            )
        if onnx_path.stat().st_size > MAX_ONNX_BYTES:
            raise PolicySpecError(
                f"{onnx_path}: larger than {MAX_ONNX_BYTES // 2**20} MiB; not a robodojo policy"
            )
        data = onnx_path.read_bytes()
        digest = sha256_of(data)
        if digest != spec["onnx"]["sha256"]:
            raise PolicySpecError(
                f"{onnx_path}: SHA-256 {digest[:16]}… does not match "
                f"{spec['onnx']['sha256'][:16]}… in {spec_path.name}; "
                "the file was changed or corrupted after export — refusing to run it "
                "(re-export, or get the pair again)"
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
            raise PolicySpecError(
                f"{where}: expected one input {self.input_name!r}, got {[i.name for i in inputs]}"
            )
        if not any(o.name == self.output_name for o in outputs):
            raise PolicySpecError(
                f"{where}: no output {self.output_name!r} (has {[o.name for o in outputs]})"
            )
        shape = inputs[0].shape
        if (
            len(shape) != 2
            or shape[1] != self.observation_size
            or inputs[0].type != "tensor(float)"
        ):
            raise PolicySpecError(
                f"{where}: input is {inputs[0].type} {shape}, "
                f"expected tensor(float) [batch, {self.observation_size}]"
            )
        out = next(o for o in outputs if o.name == self.output_name)
        if len(out.shape) != 2 or out.shape[1] != self.action_size:
            raise PolicySpecError(
                f"{where}: output shape {out.shape}, expected [batch, {self.action_size}]"
            )

    @property
    def robot(self) -> str | None:
        return self.spec.get("robot")

    @property
    def env_id(self) -> str:
        return self.spec["env_id"]

    def reset(self) -> None:
        """Nothing to reset: the graph is stateless (the previous action is part of the
        observation)."""

    def flatten(self, observations: Any) -> np.ndarray:
        """The graph's input ``(n, observation.size)`` float32: a flat batch as it is, a Dict (of
        batches) concatenated key by key in ``observation.keys`` order."""
        if isinstance(observations, Mapping):
            if self.observation_keys is None:
                raise ValueError(
                    f"this policy takes a flat observation of {self.observation_size} values, "
                    "not a Dict"
                )
            return flatten_observation(observations, self.observation_keys)
        return np.ascontiguousarray(observations, dtype=np.float32).reshape(
            -1, self.observation_size
        )

    def predict(self, observations: Any) -> np.ndarray:
        """A batch ``(n, observation.size)`` (or a Dict of per-key batches) → actions
        ``(n, action.size)``, float32."""
        batch = np.ascontiguousarray(self.flatten(observations))
        return self.session.run([self.output_name], {self.input_name: batch})[0]

    def __call__(self, observation: Any) -> np.ndarray:
        """One observation (flat, or the env's Dict for a goal-conditioned policy) → one action."""
        if isinstance(observation, Mapping):
            batch = self.flatten(observation)
            if batch.shape[0] != 1:
                raise ValueError(
                    f"one observation expected, got a batch of {batch.shape[0]} (use predict)"
                )
            return self.predict(batch)[0].copy()
        observation = np.asarray(observation, dtype=np.float32)
        if observation.size != self.observation_size:
            raise ValueError(
                f"observation has {observation.size} values, "
                f"the policy expects {self.observation_size}"
            )
        return self.predict(observation.reshape(1, -1))[0].copy()

    def __repr__(self) -> str:
        return f"OnnxPolicy({str(self.directory)!r}, env_id={self.env_id!r}, robot={self.robot!r})"


def _with_base(network: OnnxPolicy, where: str) -> Any:
    """A residual network composed with the base controller its spec names (built without an
    env)."""
    spec = network.spec
    if not spec.get("robot"):
        raise PolicySpecError(
            f"{where}: a residual policy must name its robot (the base controller is built for it)"
        )
    try:
        base = make_controller(
            spec["residual"]["base"], spec["env_id"], spec["robot"], spec["control_dt"]
        )
    except ValueError as error:
        raise PolicySpecError(
            f"{where}: cannot build the residual's base controller: {error}"
        ) from None
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
        raise PolicySpecError(
            f"{where}: onnxruntime cannot load it ({str(error).splitlines()[0]})"
        ) from None


__all__ = [
    "MissingOnnxRuntimeError",
    "OnnxPolicy",
    "PolicySpecError",
    "check_compatible",
    "read_spec",
]
