"""Residual policies: zero correction is the scripted controller, and the wrapper is a valid env."""

from __future__ import annotations

import warnings

import gymnasium
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

from robodojo.policies import make_policy
from robodojo.policies.residual import ResidualEnv, ResidualPolicy, compose

ENV_ID = "robodojo/FallRecovery-v0"


class Zero:
    """A 'network' that never corrects."""

    def reset(self) -> None:
        pass

    def __call__(self, observation: np.ndarray) -> np.ndarray:
        return np.zeros(12, dtype=np.float32)


def run(env: gymnasium.Env, policy, seed: int, steps: int) -> list[np.ndarray]:
    observation, _ = env.reset(seed=seed)
    policy.reset()
    seen = [observation]
    for _ in range(steps):
        observation, _, terminated, truncated, _ = env.step(policy(observation))
        seen.append(observation)
        if terminated or truncated:
            break
    return seen


def test_zero_residual_is_the_scripted_controller(make_env) -> None:
    scripted_env, residual_env = make_env(ENV_ID), make_env(ENV_ID)
    scripted = run(scripted_env, make_policy("scripted", scripted_env, ENV_ID), seed=3, steps=150)
    wrapped = ResidualPolicy(Zero(), make_policy("scripted", residual_env, ENV_ID), scale=0.5)
    residual = run(residual_env, wrapped, seed=3, steps=150)
    assert len(scripted) == len(residual) > 20
    for a, b in zip(scripted, residual, strict=True):
        np.testing.assert_array_equal(a, b)


def test_residual_env_observes_the_base_action_and_passes_check_env(make_env) -> None:
    env = make_env(ENV_ID)
    wrapped = ResidualEnv(env, "scripted", scale=0.5)
    observation, _ = wrapped.reset(seed=0)
    assert observation.shape == (42 + 12,)
    base = make_policy("scripted", env, ENV_ID)
    np.testing.assert_allclose(
        observation[42:], base(observation[:42])
    )  # a fresh controller agrees
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # A wrapper is what is under test here, so only the checker's "this is a wrapper" note is
        # allowed.
        warnings.filterwarnings("ignore", message=".*different from the unwrapped version.*")
        check_env(wrapped, skip_render_check=True)


def test_compose_clips_and_scales() -> None:
    base = np.array([0.9, -0.9, 0.0], dtype=np.float32)
    out = compose(base, np.array([1.0, -1.0, 0.5]), scale=0.5)
    np.testing.assert_allclose(out, [1.0, -1.0, 0.25])
    assert out.dtype == np.float32


def test_residual_env_rejects_bad_scale_and_nan(make_env) -> None:
    env = make_env(ENV_ID)
    with pytest.raises(ValueError):
        ResidualEnv(env, "scripted", scale=0.0)
    with pytest.raises(ValueError, match="valid names"):
        ResidualEnv(env, "no-such-controller", scale=0.5)
    wrapped = ResidualEnv(env, "scripted", scale=0.5)
    wrapped.reset(seed=0)
    with pytest.raises(ValueError, match="NaN"):
        wrapped.step(np.full(12, np.nan))


def test_make_controller_builds_the_base_without_an_env(make_env) -> None:
    """A deployment builds the base from the robot name and control period alone; it acts like the
    env's own."""
    from robodojo.policies import base_controller_names, controller_for_env, make_controller

    env = make_env(ENV_ID, robot="aliengo")
    from_env = controller_for_env("getup", env)
    standalone = make_controller("scripted", ENV_ID, "aliengo", env.unwrapped.control_dt)
    assert type(standalone) is type(from_env) and base_controller_names(ENV_ID) == [
        "scripted",
        "getup",
    ]
    observation, _ = env.reset(seed=5)
    for _ in range(120):
        action = from_env(observation)
        np.testing.assert_array_equal(standalone(observation), action)
        observation, _, terminated, truncated, _ = env.step(action)
        if terminated or truncated:
            break
    with pytest.raises(ValueError, match="valid names: scripted, getup"):
        make_controller("backflip", ENV_ID, "a1", 0.02)
    with pytest.raises(ValueError, match="valid names: scripted, getup"):
        ResidualEnv(make_env(ENV_ID), "random", scale=0.5)  # a base must be a scripted controller
