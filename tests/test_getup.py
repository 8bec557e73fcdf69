"""The scripted get-up solves FallRecovery: the proof that the task is solvable (and its metrics are
right)."""

from __future__ import annotations

import numpy as np
import pytest

from robodojo.policies import make_policy

ENV_ID = "robodojo/FallRecovery-v0"
SEEDS = range(20)
MIN_SUCCESS_RATE = 0.7


def test_scripted_getup_succeeds_on_a1(make_env):
    env = make_env(ENV_ID, robot="a1")
    policy = make_policy("scripted", env, ENV_ID)
    control_dt = env.unwrapped.control_dt
    max_steps = env.unwrapped.max_episode_steps
    failures = []
    for seed in SEEDS:
        observation, info = env.reset(seed=seed)
        policy.reset()
        assert not info["is_success"], f"seed {seed}: the robot starts already standing"
        # `step` is read after the loop: the episode's length
        for step in range(1, max_steps + 1):  # noqa: B007
            observation, _reward, terminated, truncated, info = env.step(policy(observation))
            if terminated or truncated:
                break
        metrics = info["episode_metrics"]
        assert metrics["duration"] == pytest.approx(step * control_dt)
        if info["is_success"]:
            # success terminates the episode, after the stance was held for hold_seconds
            assert terminated and not truncated, f"seed {seed}"
            assert metrics["stood"] == 1.0, f"seed {seed}"
            # the held stance spans hold_seconds (1 s by default) of samples at the end of the
            # episode
            assert (
                0.0 <= metrics["time_to_stand"] <= metrics["duration"] - 1.0 + control_dt + 1e-9
            ), f"seed {seed}: {metrics}"
            assert info["reward_terms"]["standing"] == 1.0
            gravity_z = observation[5]
            assert gravity_z < -0.9, (
                f"seed {seed}: 'success' while not upright (projected gravity z {gravity_z:.2f})"
            )
        else:
            assert truncated and not terminated, f"seed {seed}"
            failures.append(seed)
        assert 0 < metrics["peak_torque"] <= np.max(env.unwrapped.task.spec.torque_limit) + 1e-9
        assert metrics["energy"] > 0
    rate = 1 - len(failures) / len(SEEDS)
    assert rate >= MIN_SUCCESS_RATE, (
        f"scripted get-up succeeded on {rate:.0%} of seeds; failed seeds {failures}"
    )
