"""The Policy protocol every controller in robodojo follows, and the random baseline."""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import gymnasium as gym
import numpy as np


@runtime_checkable
class Policy(Protocol):
    """Maps one observation to one action; ``reset`` is called at every episode start."""

    def reset(self) -> None: ...

    # Any: what the env observes, a flat array or (goal-conditioned envs) a Dict of arrays; each
    # policy names the one it takes, which a union here would not accept.
    def __call__(self, observation: Any) -> np.ndarray: ...


class RandomPolicy:
    """Uniform random actions from the env's action space, seeded for reproducibility."""

    def __init__(self, action_space: gym.spaces.Space, seed: int | None = None) -> None:
        self.action_space = action_space
        self.action_space.seed(seed)

    def reset(self) -> None:
        pass

    def __call__(self, observation: np.ndarray) -> np.ndarray:
        return self.action_space.sample()
