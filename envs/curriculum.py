"""A game-inspired terrain curriculum (legged_gym's): each env climbs difficulty levels as it
masters them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, SupportsFloat

import gymnasium as gym
import numpy as np

#: legged_gym's demotion rule: an episode that covered less than this fraction of the commanded
#: distance
DEMOTE_BELOW_PROGRESS = 0.5


class TerrainCurriculum(gym.Wrapper, gym.utils.RecordConstructorArgs):
    """Play each episode at this env's curriculum level; move up on success, down on a bad failure.

    A game-inspired curriculum in the spirit of legged_gym (Rudin et al.,
    "Learning to Walk in Minutes Using Massively Parallel Deep RL", 2021):
    every env instance, so every vector-env worker, keeps its own level, and
    each level is a terrain difficulty. The wrapped env must accept
    ``reset(options={"difficulty": d})`` (Locomotion-v0, QuadrupedRescue-v0).

    When an episode ends (``terminated`` or ``truncated``) the level for the
    next one is decided:

    * ``info["is_success"]`` → one level up. Passing the top level sends the
      env to a random level with ``top_level_random`` (legged_gym does, so the
      policy keeps seeing every terrain), else it stays at the top.
    * otherwise, with ``info["episode_metrics"]["progress"]`` (the fraction of
      the commanded distance covered): one level down below 0.5, else stay;
      without a progress metric, one level down.

    Levels are clamped to ``[0, len(levels) - 1]``. ``reset`` passes the
    level's difficulty in ``options`` (merged with the caller's options); a
    caller's explicit ``"difficulty"`` wins, and such an episode does not move
    the level. Reset and step infos carry ``curriculum_level`` and
    ``difficulty`` (the current episode's).

    Example:
        >>> import gymnasium as gym
        >>> from robodojo.envs.curriculum import TerrainCurriculum
        >>> env = TerrainCurriculum(gym.make("robodojo/Locomotion-v0"), levels=11, start_level=0)
        >>> _, info = env.reset(seed=0)
        >>> info["curriculum_level"], info["difficulty"]
        (0, 0.0)

    Args:
        env: the env to train on (it must take ``reset(options={"difficulty": d})``).
        levels: the difficulties, easiest first, or their number ``n`` for
            ``np.linspace(0, 1, n)``.
        start_level: the level of the first episode.
        top_level_random: send an env that passes the top level to a random level.
    """

    def __init__(
        self,
        env: gym.Env,
        levels: int | Sequence[float] | np.ndarray = 11,
        start_level: int = 0,
        top_level_random: bool = True,
    ) -> None:
        gym.utils.RecordConstructorArgs.__init__(
            self, levels=levels, start_level=start_level, top_level_random=top_level_random
        )
        super().__init__(env)
        if isinstance(levels, (int, np.integer)) and not isinstance(levels, bool):
            if levels < 1:
                raise ValueError(f"levels must be >= 1, got {levels}")
            levels = np.linspace(0.0, 1.0, int(levels)) if levels > 1 else np.zeros(1)
        self.levels = np.asarray(levels, dtype=np.float64)
        if self.levels.ndim != 1 or self.levels.size == 0:
            raise ValueError(
                f"levels must be a count or a non-empty sequence of difficulties, got {levels!r}"
            )
        if not 0 <= start_level < self.levels.size:
            raise ValueError(
                f"start_level must be in [0, {self.levels.size - 1}], got {start_level}"
            )
        self.top_level_random = bool(top_level_random)
        #: the current episode's level, and the difficulty it is played at
        self.level = int(start_level)
        self.difficulty = float(self.levels[self.level])
        self._next_level = self.level
        self._counts = True  # False for an episode at a caller-given difficulty
        # Its own generator (seeded by reset(seed=...)): the env's np_random must not see extra
        # draws.
        self._rng = np.random.default_rng(0)

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[Any, dict[str, Any]]:
        if seed is not None:
            self._rng = np.random.default_rng(seed)
        self.level = self._next_level
        options = dict(options or {})
        self._counts = "difficulty" not in options
        self.difficulty = (
            float(self.levels[self.level]) if self._counts else float(options["difficulty"])
        )
        options.setdefault("difficulty", self.difficulty)
        observation, info = self.env.reset(seed=seed, options=options)
        return observation, self._tag(info)

    def step(self, action: Any) -> tuple[Any, SupportsFloat, bool, bool, dict[str, Any]]:
        observation, reward, terminated, truncated, info = self.env.step(action)
        if (terminated or truncated) and self._counts:
            self._next_level = self._decide(info)
        return observation, reward, terminated, truncated, self._tag(info)

    def _decide(self, info: dict[str, Any]) -> int:
        """The next episode's level after one that ended with ``info``."""
        top = self.levels.size - 1
        if info.get("is_success"):
            if self.level < top:
                return self.level + 1
            return int(self._rng.integers(top + 1)) if self.top_level_random else top
        progress = (info.get("episode_metrics") or {}).get("progress")
        if progress is None or progress < DEMOTE_BELOW_PROGRESS:
            return max(self.level - 1, 0)
        return self.level

    def _tag(self, info: dict[str, Any]) -> dict[str, Any]:
        info["curriculum_level"] = self.level
        info["difficulty"] = self.difficulty
        return info
