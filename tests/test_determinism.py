"""Seeding and isolation: same seed → same rollout, different seeds → different starts, envs don't
interfere."""

from __future__ import annotations

import gymnasium
import numpy as np
import pytest
from conftest import (
    DEFAULT_ENV_ID,
    assert_same_rollout,
    random_actions,
    robot_kwargs,
    robot_params,
    rollout,
)

STEPS = 200


@pytest.mark.parametrize("robot", robot_params())
def test_two_instances_same_seed_identical_rollouts(make_env, robot):
    first, second = make_env(**robot_kwargs(robot)), make_env(**robot_kwargs(robot))
    actions = random_actions(first.action_space, STEPS, seed=42)
    assert_same_rollout(rollout(first, 7, actions), rollout(second, 7, actions))


@pytest.mark.parametrize("robot", robot_params())
def test_different_seeds_give_different_starts(make_env, robot):
    env = make_env(**robot_kwargs(robot))
    starts = [env.reset(seed=seed)[0] for seed in range(8)]
    for i in range(len(starts)):
        for j in range(i):
            assert not np.allclose(starts[i], starts[j], atol=1e-3), (
                f"seeds {i} and {j} start alike"
            )
    # and the falls are genuinely varied: some land closer to the back, some to the belly
    gravity_z = np.array(
        [start[5] for start in starts]
    )  # projected gravity z: -1 upright, +1 on its back
    assert gravity_z.max() - gravity_z.min() > 0.5, gravity_z


def test_different_seeds_give_different_rollouts(make_env):
    env = make_env()
    actions = random_actions(env.action_space, 20, seed=0)
    a, b = rollout(env, 0, actions), rollout(env, 1, actions)
    assert not np.allclose(a[-1][0], b[-1][0])


@pytest.mark.parametrize("robot", robot_params())
def test_reset_with_seed_does_not_depend_on_history(make_env, robot):
    """reset(seed=s) gives the same start on a fresh instance, twice in a row, and after other
    episodes.

    (PyBullet's broadphase pair order used to leak from one episode into the
    next reset's fall unless deterministicOverlappingPairs is on.)
    """
    fresh = {seed: make_env(**robot_kwargs(robot)).reset(seed=seed)[0] for seed in (0, 2, 5)}
    env = make_env(**robot_kwargs(robot))
    history = random_actions(env.action_space, 40, seed=1)
    for seed in (0, 0, 2, 5, 2, 0):
        np.testing.assert_array_equal(
            env.reset(seed=seed)[0], fresh[seed], err_msg=f"reset(seed={seed})"
        )
        env.reset(seed=100 + seed)  # some other fall ...
        for action in history[: 10 + 5 * seed]:  # ... and some steps in it
            env.step(action)
    np.testing.assert_array_equal(env.reset(seed=5)[0], fresh[5])


def test_unseeded_resets_continue_the_seeded_stream(make_env):
    env = make_env()
    env.reset(seed=9)
    after_seed = [env.reset()[0] for _ in range(2)]
    assert not np.array_equal(after_seed[0], after_seed[1]), (
        "two unseeded resets gave the same start"
    )
    env.reset(seed=9)
    np.testing.assert_array_equal(env.reset()[0], after_seed[0])


def test_unseeded_instances_differ(make_env):
    starts = [make_env().reset()[0] for _ in range(2)]
    assert not np.array_equal(*starts), (
        "two unseeded envs started identically: seeding is not random"
    )


def test_two_envs_in_one_process_do_not_interfere():
    """Env B's rollout is the same alone and with env A stepped, reset, rendered and closed between
    B's steps."""
    # The reference runs first and alone, so it holds the lowest free client id, as A will:
    # a stray call that ignores the client id would then land in A's world, not B's.
    alone_env = gymnasium.make(DEFAULT_ENV_ID)
    actions = random_actions(alone_env.action_space, STEPS, seed=3)
    alone = rollout(alone_env, 12, actions)
    alone_env.close()

    env_a = gymnasium.make(DEFAULT_ENV_ID, render_mode="rgb_array")
    env_b = gymnasium.make(DEFAULT_ENV_ID)
    a_actions = random_actions(env_a.action_space, STEPS, seed=99)
    try:
        assert env_a.unwrapped.sim.client._client != env_b.unwrapped.sim.client._client
        env_a.reset(seed=1)

        def disturb(step: int) -> None:
            if env_a.unwrapped.sim.closed:
                return
            if step % 50 == 49:
                env_a.reset(seed=step)
            if step % 40 == 0:
                env_a.render()
            _, _, terminated, truncated, _ = env_a.step(a_actions[step])
            if terminated or truncated:
                env_a.reset()
            if step == STEPS - 20:
                env_a.close()

        together = rollout(env_b, 12, actions, between=disturb)
    finally:
        env_a.close()
        env_b.close()
    assert_same_rollout(alone, together)
