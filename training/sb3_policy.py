"""A trained Stable-Baselines3 model as a robodojo Policy (``reset()`` / ``__call__(obs)``).

:class:`SB3Policy` acts deterministically and normalises observations exactly
as the training ``VecNormalize`` did — ``clip((obs - mean) / sqrt(var + epsilon),
-clip_obs, clip_obs)`` cast to float32 — from a frozen copy of its statistics,
so evaluating never changes them. It is the reference the ONNX export is
checked against. A goal-conditioned model (Dict observations, ``MultiInputPolicy``)
takes the env's Dict observation, each key normalised with its own statistics.
:func:`load_policy` rebuilds one from a saved model folder
(``best/``, ``final/`` or a checkpoint).
"""

from __future__ import annotations

import copy
import json
import pickle
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

MODEL_FILE = "model.zip"
NORMALIZER_FILE = "vecnormalize.pkl"
META_FILE = "meta.json"  #: algo, steps, scenario... written next to model.zip in best/ and final/


class ObservationNormalizer:
    """The observation half of a ``VecNormalize``: mean, var, epsilon, clip_obs (frozen copies)."""

    def __init__(
        self, mean: np.ndarray, var: np.ndarray, epsilon: float = 1e-8, clip_obs: float = 10.0
    ) -> None:
        self.mean = np.array(mean, dtype=np.float64)
        self.var = np.array(var, dtype=np.float64)
        self.epsilon = float(epsilon)
        self.clip_obs = float(clip_obs)

    @classmethod
    def from_vecnormalize(
        cls, vecnormalize: Any
    ) -> ObservationNormalizer | DictObservationNormalizer | None:
        """None when that VecNormalize does not normalise observations (rewards only).

        A VecNormalize over a Dict observation (one running mean/std per key) gives a
        :class:`DictObservationNormalizer`.
        """
        if not getattr(vecnormalize, "norm_obs", False):
            return None
        rms = vecnormalize.obs_rms
        if isinstance(rms, dict):
            return DictObservationNormalizer(
                {
                    key: cls(
                        copy.deepcopy(rms[key].mean),
                        copy.deepcopy(rms[key].var),
                        vecnormalize.epsilon,
                        vecnormalize.clip_obs,
                    )
                    for key in vecnormalize.norm_obs_keys
                }
            )
        return cls(
            copy.deepcopy(rms.mean),
            copy.deepcopy(rms.var),
            vecnormalize.epsilon,
            vecnormalize.clip_obs,
        )

    def __call__(self, observation: np.ndarray) -> np.ndarray:
        scaled = (np.asarray(observation) - self.mean) / np.sqrt(self.var + self.epsilon)
        return np.clip(scaled, -self.clip_obs, self.clip_obs).astype(np.float32)

    def to_dict(self) -> dict[str, Any]:
        return {
            "mean": self.mean.tolist(),
            "var": self.var.tolist(),
            "epsilon": self.epsilon,
            "clip_obs": self.clip_obs,
        }


class DictObservationNormalizer:
    """VecNormalize on a Dict observation: one :class:`ObservationNormalizer` per normalised key.

    Keys without one pass through unchanged (as float32), like VecNormalize's ``norm_obs_keys``.
    """

    def __init__(self, normalizers: dict[str, ObservationNormalizer]) -> None:
        self.normalizers = dict(normalizers)

    def __call__(self, observation: Any) -> dict[str, np.ndarray]:
        return {
            key: self.normalizers[key](value)
            if key in self.normalizers
            else np.asarray(value, dtype=np.float32)
            for key, value in observation.items()
        }

    def to_dict(self) -> dict[str, Any]:
        return {key: normalizer.to_dict() for key, normalizer in self.normalizers.items()}


class SB3Policy:
    """Deterministic actions of an SB3 ``model``, observations normalised like training did.

    Args:
        model: a PPO / SAC / TQC (anything with ``predict``).
        normalizer: the training ``VecNormalize`` (its statistics are copied now),
            an :class:`ObservationNormalizer`, or None for raw observations.
    """

    def __init__(self, model: Any, normalizer: Any = None) -> None:
        self.model = model
        if normalizer is None or isinstance(
            normalizer, (ObservationNormalizer, DictObservationNormalizer)
        ):
            self.normalizer = normalizer
        else:
            self.normalizer = ObservationNormalizer.from_vecnormalize(normalizer)

    def reset(self) -> None:
        """Stateless (MLP policies); here for the Policy protocol."""

    def normalize(self, observation: Any) -> Any:
        """Float32 and normalised; a Dict observation (goal-conditioned env) key by key."""
        if isinstance(observation, Mapping):
            observation = {
                key: np.asarray(value, dtype=np.float32) for key, value in observation.items()
            }
        else:
            observation = np.asarray(observation, dtype=np.float32)
        return observation if self.normalizer is None else self.normalizer(observation)

    def __call__(self, observation: np.ndarray) -> np.ndarray:
        action, _ = self.model.predict(self.normalize(observation), deterministic=True)
        return action


#: ``custom_objects`` for loading a model to *act* (no env, no training): an off-policy model saved
#: with a HerReplayBuffer cannot be loaded without its env otherwise, and a one-row buffer is all
#: acting needs.
INFERENCE_OBJECTS: dict[str, Any] = {
    "replay_buffer_class": None,
    "replay_buffer_kwargs": {},
    "buffer_size": 1,
}


def load_for_inference(cls: Any, path: str | Path, device: str = "cpu") -> Any:
    """``cls.load(path)`` for acting only: works for HER models (which SB3 refuses to load without
    an env)."""
    return cls.load(path, device=device, custom_objects=INFERENCE_OBJECTS)


def read_normalizer(path: str | Path) -> ObservationNormalizer | DictObservationNormalizer | None:
    """The observation statistics in a saved ``vecnormalize.pkl`` (no env needed to read them)."""
    with open(path, "rb") as handle:
        return ObservationNormalizer.from_vecnormalize(pickle.load(handle))


def load_policy(folder: str | Path, algo: str | None = None, device: str = "cpu") -> SB3Policy:
    """An :class:`SB3Policy` from a folder holding model.zip (+ vecnormalize.pkl if training
    normalised).

    ``algo`` defaults to the folder's meta.json (best/, final/) or, for a
    checkpoint, the run's config.yaml two levels up.
    """
    from robodojo.training.config import algo_class  # config imports evaluation, this need not

    folder = Path(folder)
    if algo is None:
        algo = _algo_of(folder)
    model = load_for_inference(algo_class(algo), folder / MODEL_FILE, device=device)
    normalizer = (
        read_normalizer(folder / NORMALIZER_FILE) if (folder / NORMALIZER_FILE).exists() else None
    )
    return SB3Policy(model, normalizer)


def _algo_of(folder: Path) -> str:
    if (folder / META_FILE).exists():
        return json.loads((folder / META_FILE).read_text())["algo"]
    for config in (
        folder / "config.yaml",
        folder.parent / "config.yaml",
        folder.parent.parent / "config.yaml",
    ):
        if config.exists():
            import yaml

            return yaml.safe_load(config.read_text())["algo"]
    raise FileNotFoundError(
        f"cannot tell which algorithm saved {folder}: no meta.json or run config.yaml; pass algo="
    )
