"""A trained Stable-Baselines3 model as a robodojo Policy (``reset()`` / ``__call__(obs)``).

:class:`SB3Policy` acts deterministically and normalises observations exactly
as the training ``VecNormalize`` did — ``clip((obs - mean) / sqrt(var + epsilon),
-clip_obs, clip_obs)`` cast to float32 — from a frozen copy of its statistics,
so evaluating never changes them. It is the reference the ONNX export is
checked against. :func:`load_policy` rebuilds one from a saved model folder
(``best/``, ``final/`` or a checkpoint).
"""

from __future__ import annotations

import copy
import json
import pickle
from pathlib import Path
from typing import Any

import numpy as np

MODEL_FILE = "model.zip"
NORMALIZER_FILE = "vecnormalize.pkl"
META_FILE = "meta.json"  #: algo, steps, scenario... written next to model.zip in best/ and final/


class ObservationNormalizer:
    """The observation half of a ``VecNormalize``: mean, var, epsilon, clip_obs (frozen copies)."""

    def __init__(self, mean: np.ndarray, var: np.ndarray, epsilon: float = 1e-8, clip_obs: float = 10.0) -> None:
        self.mean = np.array(mean, dtype=np.float64)
        self.var = np.array(var, dtype=np.float64)
        self.epsilon = float(epsilon)
        self.clip_obs = float(clip_obs)

    @classmethod
    def from_vecnormalize(cls, vecnormalize: Any) -> ObservationNormalizer | None:
        """None when that VecNormalize does not normalise observations (rewards only)."""
        if not getattr(vecnormalize, "norm_obs", False):
            return None
        rms = vecnormalize.obs_rms
        return cls(copy.deepcopy(rms.mean), copy.deepcopy(rms.var), vecnormalize.epsilon, vecnormalize.clip_obs)

    def __call__(self, observation: np.ndarray) -> np.ndarray:
        scaled = (np.asarray(observation) - self.mean) / np.sqrt(self.var + self.epsilon)
        return np.clip(scaled, -self.clip_obs, self.clip_obs).astype(np.float32)

    def to_dict(self) -> dict[str, Any]:
        return {"mean": self.mean.tolist(), "var": self.var.tolist(), "epsilon": self.epsilon, "clip_obs": self.clip_obs}


class SB3Policy:
    """Deterministic actions of an SB3 ``model``, observations normalised like training did.

    Args:
        model: a PPO / SAC / TQC (anything with ``predict``).
        normalizer: the training ``VecNormalize`` (its statistics are copied now),
            an :class:`ObservationNormalizer`, or None for raw observations.
    """

    def __init__(self, model: Any, normalizer: Any = None) -> None:
        self.model = model
        if normalizer is None or isinstance(normalizer, ObservationNormalizer):
            self.normalizer = normalizer
        else:
            self.normalizer = ObservationNormalizer.from_vecnormalize(normalizer)

    def reset(self) -> None:
        """Stateless (MLP policies); here for the Policy protocol."""

    def normalize(self, observation: np.ndarray) -> np.ndarray:
        observation = np.asarray(observation, dtype=np.float32)
        return observation if self.normalizer is None else self.normalizer(observation)

    def __call__(self, observation: np.ndarray) -> np.ndarray:
        action, _ = self.model.predict(self.normalize(observation), deterministic=True)
        return action


def read_normalizer(path: str | Path) -> ObservationNormalizer | None:
    """The observation statistics in a saved ``vecnormalize.pkl`` (no env needed to read them)."""
    with open(path, "rb") as handle:
        return ObservationNormalizer.from_vecnormalize(pickle.load(handle))


def load_policy(folder: str | Path, algo: str | None = None, device: str = "cpu") -> SB3Policy:
    """An :class:`SB3Policy` from a folder holding model.zip (+ vecnormalize.pkl if training normalised).

    ``algo`` defaults to the folder's meta.json (best/, final/) or, for a
    checkpoint, the run's config.yaml two levels up.
    """
    from robodojo.training.config import algo_class

    folder = Path(folder)
    if algo is None:
        algo = _algo_of(folder)
    model = algo_class(algo).load(folder / MODEL_FILE, device=device)
    normalizer = read_normalizer(folder / NORMALIZER_FILE) if (folder / NORMALIZER_FILE).exists() else None
    return SB3Policy(model, normalizer)


def _algo_of(folder: Path) -> str:
    if (folder / META_FILE).exists():
        return json.loads((folder / META_FILE).read_text())["algo"]
    for config in (folder / "config.yaml", folder.parent / "config.yaml", folder.parent.parent / "config.yaml"):
        if config.exists():
            import yaml

            return yaml.safe_load(config.read_text())["algo"]
    raise FileNotFoundError(f"cannot tell which algorithm saved {folder}: no meta.json or run config.yaml; pass algo=")
