"""reward = Σ weight × term, on every step, with default and custom weights."""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import DEFAULT_ENV_ID, random_actions, robot_kwargs, robot_params

from robodojo.policies import make_policy


def _play(env, seed: int, random_steps: int = 100) -> list[tuple[float, dict[str, float]]]:
    """(reward, reward_terms) for a random-action episode start, then a scripted get-up episode.

    Random flailing hits the joint limits and changes actions sharply; the
    scripted get-up stands the robot up: together every term is non-zero somewhere.
    """
    steps = []
    env.reset(seed=seed)
    for action in random_actions(env.action_space, random_steps, seed=seed):
        _, reward, terminated, truncated, info = env.step(action)
        steps.append((reward, info["reward_terms"]))
        if terminated or truncated:
            break
    policy = make_policy("scripted", env, DEFAULT_ENV_ID)
    policy.reset()
    observation, _ = env.reset(seed=seed + 1)
    for _ in range(500):
        observation, reward, terminated, truncated, info = env.step(policy(observation))
        steps.append((reward, info["reward_terms"]))
        if terminated or truncated:
            break
    return steps


def _weighted_sum(weights: dict[str, float], terms: dict[str, float]) -> float:
    return math.fsum(weights[name] * value for name, value in terms.items())


@pytest.mark.parametrize("robot", robot_params())
def test_reward_is_weighted_sum_of_terms(make_env, robot):
    env = make_env(**robot_kwargs(robot))
    weights = env.unwrapped.reward_weights
    steps = _play(env, seed=0)
    for index, (reward, terms) in enumerate(steps):
        assert set(terms) == set(weights), (
            f"step {index}: terms {sorted(terms)} vs weights {sorted(weights)}"
        )
        assert all(np.isfinite(v) for v in terms.values()), terms
        assert reward == pytest.approx(_weighted_sum(weights, terms), rel=1e-9, abs=1e-12), (
            f"step {index}"
        )


def test_every_reward_term_is_exercised(make_env):
    """Guards the sum test above against vacuous terms (a term that is always 0 would hide a wrong
    weight)."""
    env = make_env(robot="a1")
    steps = _play(env, seed=0)
    never_nonzero = [
        name for name in env.unwrapped.reward_weights if all(terms[name] == 0 for _, terms in steps)
    ]
    assert not never_nonzero, f"terms never non-zero in the test episodes: {never_nonzero}"


def test_custom_reward_weights_are_honoured(make_env):
    default = make_env()
    custom_weights = {"upright": 2.5, "energy": -1.0, "standing": 0.0, "joint_limit": -3.0}
    custom = make_env(reward_weights=custom_weights)
    default_weights = default.unwrapped.reward_weights
    weights = custom.unwrapped.reward_weights
    assert weights == {**default_weights, **custom_weights}, (
        "overrides replace only the named weights"
    )

    default_steps, custom_steps = _play(default, seed=2), _play(custom, seed=2)
    assert len(default_steps) == len(custom_steps)
    differences = 0
    for (default_reward, default_terms), (custom_reward, custom_terms) in zip(
        default_steps, custom_steps, strict=True
    ):
        assert custom_terms == default_terms, "weights must not change the dynamics or the terms"
        assert custom_reward == pytest.approx(
            _weighted_sum(weights, custom_terms), rel=1e-9, abs=1e-12
        )
        differences += not math.isclose(custom_reward, default_reward, rel_tol=1e-9, abs_tol=1e-12)
    assert differences > len(custom_steps) // 2, "custom weights barely changed the reward"


def test_single_term_weights_isolate_that_term(make_env):
    env = make_env()
    names = list(env.unwrapped.reward_weights)
    for name in ("height", "action_rate"):
        only = make_env(reward_weights={n: (1.0 if n == name else 0.0) for n in names})
        for reward, terms in _play(only, seed=4, random_steps=30)[:80]:
            assert reward == pytest.approx(terms[name], rel=1e-12, abs=1e-15)


def test_reward_weights_property_is_a_copy(make_env):
    env = make_env()
    env.unwrapped.reward_weights["upright"] = 1000.0
    assert env.unwrapped.reward_weights["upright"] != 1000.0
