"""The terrain curriculum on a scripted fake env: promotion, demotion, clamping, the caller's
difficulty, infos."""

from __future__ import annotations

import re
from typing import Any

import gymnasium as gym
import numpy as np
import pytest

from robodojo.envs.curriculum import TerrainCurriculum


class ScriptedEnv(gym.Env):
    """Episodes of one step whose end is scripted: each entry of ``outcomes`` is (is_success,
    progress or None)."""

    observation_space = gym.spaces.Box(-1.0, 1.0, (1,), np.float32)
    action_space = gym.spaces.Box(-1.0, 1.0, (1,), np.float32)

    def __init__(self, outcomes: list[tuple[bool, float | None]] | None = None) -> None:
        self.outcomes = list(outcomes or [])
        self.reset_options: list[dict[str, Any] | None] = []

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        self.reset_options.append(options)
        return np.zeros(1, np.float32), {"is_success": False}

    def step(self, action: Any):
        success, progress = self.outcomes.pop(0) if self.outcomes else (False, None)
        metrics = {} if progress is None else {"progress": progress}
        info = {"is_success": success, "episode_metrics": metrics}
        return np.zeros(1, np.float32), 0.0, False, True, info


def play(env: TerrainCurriculum, episodes: int) -> list[int]:
    """Levels of ``episodes`` one-step episodes (reset, step)."""
    levels = []
    for _ in range(episodes):
        _, info = env.reset()
        levels.append(info["curriculum_level"])
        env.step(env.action_space.sample())
    return levels


def difficulties(fake: ScriptedEnv) -> list[float]:
    return [options["difficulty"] for options in fake.reset_options]


def test_success_promotes_and_the_next_reset_passes_the_level_difficulty() -> None:
    fake = ScriptedEnv([(True, None)] * 3)
    env = TerrainCurriculum(fake)
    assert play(env, 4) == [0, 1, 2, 3]
    np.testing.assert_allclose(difficulties(fake), [0.0, 0.1, 0.2, 0.3])


def test_demotion_follows_progress_when_reported_and_failure_otherwise() -> None:
    outcomes = [(False, 0.2), (False, 0.5), (False, 0.9), (False, None), (True, 0.1)]
    env = TerrainCurriculum(ScriptedEnv(outcomes), start_level=5)
    # < 0.5 of the commanded distance: down; 0.5 and 0.9: stay; a failure with no progress metric:
    # down; success: up
    assert play(env, 6) == [5, 4, 4, 4, 3, 4]


def test_levels_are_clamped_at_both_ends() -> None:
    low = TerrainCurriculum(ScriptedEnv([(False, 0.0)] * 3))
    assert play(low, 4) == [0, 0, 0, 0]
    high = TerrainCurriculum(
        ScriptedEnv([(True, None)] * 3), levels=[0.2, 0.6], start_level=1, top_level_random=False
    )
    assert play(high, 4) == [1, 1, 1, 1]
    assert high.difficulty == 0.6


def levels_after_top(seed: int, episodes: int = 200) -> list[int]:
    """The level after each of ``episodes`` successes in a row from the top level, after
    ``reset(seed=seed)``."""
    env = TerrainCurriculum(ScriptedEnv([(True, None)] * episodes), levels=11, start_level=10)
    env.reset(seed=seed)
    levels = []
    for _ in range(episodes):
        env.step(env.action_space.sample())
        levels.append(env.reset()[1]["curriculum_level"])
    return levels


def test_passing_the_top_level_sends_the_env_to_a_random_level_seeded_by_reset() -> None:
    levels = levels_after_top(seed=3)
    assert len(set(levels)) > 5  # spread over the levels, not stuck at the top
    assert levels == levels_after_top(seed=3) and levels != levels_after_top(seed=4)


def test_the_callers_difficulty_wins_and_does_not_move_the_level() -> None:
    fake = ScriptedEnv([(True, None)] * 3)
    env = TerrainCurriculum(fake, start_level=2)
    _, info = env.reset(options={"difficulty": 0.9, "other": 1})
    assert fake.reset_options[-1] == {"difficulty": 0.9, "other": 1}
    assert info["difficulty"] == 0.9 and info["curriculum_level"] == 2
    env.step(env.action_space.sample())  # a success at the caller's difficulty
    _, info = env.reset(options={"other": 2})
    assert fake.reset_options[-1] == {
        "difficulty": pytest.approx(0.2),
        "other": 2,
    }  # merged, level unchanged
    assert info["curriculum_level"] == 2


def test_reset_and_step_infos_carry_level_and_difficulty() -> None:
    env = TerrainCurriculum(ScriptedEnv([(True, None)]), levels=[0.0, 0.5, 1.0], start_level=1)
    _, info = env.reset(seed=0)
    assert info["curriculum_level"] == 1 and info["difficulty"] == 0.5
    *_, info = env.step(env.action_space.sample())
    assert (
        info["curriculum_level"] == 1 and info["difficulty"] == 0.5
    )  # the episode's, not the next one's
    _, info = env.reset()
    assert (env.level, env.difficulty) == (info["curriculum_level"], info["difficulty"]) == (2, 1.0)


def test_bad_arguments_and_recorded_constructor_args() -> None:
    with pytest.raises(ValueError, match="start_level"):
        TerrainCurriculum(ScriptedEnv(), levels=3, start_level=3)
    with pytest.raises(ValueError, match="levels"):
        TerrainCurriculum(ScriptedEnv(), levels=0)
    env = TerrainCurriculum(ScriptedEnv(), levels=5, start_level=1, top_level_random=False)
    np.testing.assert_allclose(env.levels, [0.0, 0.25, 0.5, 0.75, 1.0])
    assert env._saved_kwargs == {"levels": 5, "start_level": 1, "top_level_random": False}


# -- training config -----------------------------------------------------------------


def test_config_fills_in_the_curriculum_and_rejects_bad_ones() -> None:
    from robodojo.training.config import ConfigError, _check_curriculum, build_config

    assert build_config("fall_recovery")["curriculum"] is None  # the default: no curriculum

    def check(value):
        return _check_curriculum(value, "robodojo/Locomotion-v0", "a1", {})

    assert check(True) == {"levels": 11, "start_level": 0, "top_level_random": True}
    assert check({"levels": [0.0, 0.5], "start_level": 1}) == {
        "levels": [0.0, 0.5],
        "start_level": 1,
        "top_level_random": True,
    }
    assert check(False) is None and check(None) is None
    for value, message in [
        ({"levels": 3, "start_level": 3}, "start_level must be an integer in [0, 2]"),
        ({"level": 3}, "unknown key(s) level"),
        ({"levels": [1.5]}, "list of difficulties in [0, 1]"),
        ("yes", "must be null, true or a mapping"),
    ]:
        with pytest.raises(ConfigError, match=re.escape(message)):
            check(value)
    with pytest.raises(ConfigError, match=re.escape("options={'difficulty': d}")):
        build_config("fall_recovery", sets=["curriculum=true"])  # no terrain to grade


def test_training_envs_get_the_curriculum_under_the_residual() -> None:
    pytest.importorskip("torch")
    from robodojo.policies.residual import ResidualEnv
    from robodojo.training.train import make_env

    env = make_env(
        "robodojo/Locomotion-v0",
        {"base": "scripted", "scale": 0.5},
        {"levels": 3, "start_level": 2, "top_level_random": False},
        robot="a1",
    )
    try:
        assert isinstance(env, ResidualEnv) and isinstance(env.env, TerrainCurriculum)
        _, info = env.reset(seed=0)
        assert info["curriculum_level"] == 2 and env.unwrapped.task.difficulty == 1.0
    finally:
        env.close()
