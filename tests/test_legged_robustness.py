"""Bad input, physics blow-ups and history-free seeded resets on the rubble envs (Locomotion-v0,
QuadrupedRescue-v0)."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import random_actions

CASES = [
    pytest.param("robodojo/Locomotion-v0", {}, id="locomotion"),
    pytest.param("robodojo/QuadrupedRescue-v0", {"action": "velocity"}, id="rescue-velocity"),
    pytest.param("robodojo/QuadrupedRescue-v0", {"action": "joints"}, id="rescue-joints"),
]


@pytest.mark.parametrize(("env_id", "kwargs"), CASES)
def test_bad_actions_raise_value_error(make_env, env_id: str, kwargs: dict) -> None:
    env = make_env(env_id, **kwargs)
    env.reset(seed=0)
    size = env.action_space.shape[0]
    for bad in (
        np.full(size, np.nan),
        np.full(size, np.inf),
        np.zeros(size + 1),
        np.zeros((1, size)),
    ):
        with pytest.raises(ValueError):
            env.step(bad)
    env.step(np.full(size, 7.0, dtype=np.float32))  # finite out of range: clipped, not an error


@pytest.mark.parametrize(("env_id", "kwargs"), CASES)
def test_physics_blow_up_truncates_with_a_flag(make_env, env_id: str, kwargs: dict) -> None:
    env = make_env(env_id, **kwargs)
    env.reset(seed=0)
    unwrapped = env.unwrapped
    unwrapped.sim.client.resetBaseVelocity(
        unwrapped.task.robot.body_id, [1e6, 0.0, 0.0], [0.0, 0.0, 0.0]
    )
    observation, reward, terminated, truncated, info = env.step(
        np.zeros(env.action_space.shape, dtype=np.float32)
    )
    assert (terminated, truncated) == (False, True) and "physics_error" in info
    assert np.isfinite(observation).all() and np.isfinite(reward)
    observation, _ = env.reset(seed=3)
    np.testing.assert_array_equal(observation, make_env(env_id, **kwargs).reset(seed=3)[0])


@pytest.mark.parametrize(("env_id", "kwargs"), CASES[:2])
def test_seeded_episode_does_not_depend_on_history(make_env, env_id: str, kwargs: dict) -> None:
    """The same seed replays the same episode on a fresh env and after other episodes (terrain,
    debris, contacts)."""
    actions = random_actions(make_env(env_id, **kwargs).action_space, 30, seed=2)

    def play(env) -> list[np.ndarray]:
        observations = [env.reset(seed=7)[0]]
        for action in actions:
            observation, *_, terminated, truncated, _ = env.step(action)
            observations.append(observation)
            if terminated or truncated:
                break
        return observations

    expected = play(make_env(env_id, difficulty=0.9, **kwargs))
    env = make_env(env_id, difficulty=0.9, **kwargs)
    env.reset(seed=1)  # another site, and some steps on it
    for action in actions:
        *_, terminated, truncated, _ = env.step(action)
        if terminated or truncated:
            break
    for a, b in zip(play(env), expected, strict=True):
        np.testing.assert_array_equal(a, b)
