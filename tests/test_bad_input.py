"""Bad actions, bad constructor arguments, physics blow-ups and API misuse."""

from __future__ import annotations

import gymnasium
import numpy as np
import pytest
from conftest import DEFAULT_ENV_ID, assert_same_rollout, connected_clients, random_actions, rollout

from robodojo.robots import robot_names


def _zeros(env) -> np.ndarray:
    return np.zeros(env.action_space.shape, env.action_space.dtype)


@pytest.mark.parametrize(
    ("bad_value", "named"),
    [(np.nan, "NaN"), (np.inf, "inf"), (-np.inf, "inf")],
    ids=["nan", "inf", "-inf"],
)
def test_non_finite_action_raises_naming_the_problem(make_env, bad_value, named):
    env = make_env()
    env.reset(seed=0)
    action = _zeros(env)
    action[4] = bad_value
    with pytest.raises(ValueError, match=named) as raised:
        env.step(action)
    assert "[4]" in str(raised.value), f"the message should name the bad index: {raised.value}"


@pytest.mark.parametrize(
    "make_bad",
    [
        lambda n: np.zeros(n - 1, np.float32),
        lambda n: np.zeros((n, 1), np.float32),
        lambda n: np.float32(0.5),
        lambda n: [0.0] * (n + 1),
        lambda n: np.zeros((0,), np.float32),
    ],
    ids=["too-short", "column", "scalar", "list-too-long", "empty"],
)
def test_wrong_shape_action_raises_naming_shapes(make_env, make_bad):
    env = make_env()
    env.reset(seed=0)
    bad = make_bad(env.action_space.shape[0])
    with pytest.raises(ValueError, match="shape") as raised:
        env.step(bad)
    message = str(raised.value)
    assert str(np.shape(bad)) in message and str(env.action_space.shape) in message, message


def test_rejected_action_leaves_the_episode_untouched(make_env):
    """A ValueError must not half-apply the action: the rollout continues as if it never
    happened."""
    reference, env = make_env(), make_env()
    actions = random_actions(env.action_space, 30, seed=8)
    bad = _zeros(env)
    bad[0] = np.nan

    def try_bad(step: int) -> None:
        if step % 7 == 3:
            with pytest.raises(ValueError):
                env.step(bad)

    assert_same_rollout(rollout(reference, 8, actions), rollout(env, 8, actions, between=try_bad))


def test_out_of_range_actions_are_clipped(make_env):
    """An action of ±5 (or ±1e6) behaves exactly like ±1, and the observation reports the clipped
    action."""
    clipped_env, wild_env = make_env(), make_env()
    rng = np.random.default_rng(0)
    signs = [rng.choice([-1.0, 1.0], size=clipped_env.action_space.shape) for _ in range(40)]
    clipped = [s.astype(np.float32) for s in signs]
    wild = [(s * rng.choice([1.0, 5.0, 1e6], size=s.shape)).astype(np.float32) for s in signs]
    a, b = rollout(clipped_env, 5, clipped), rollout(wild_env, 5, wild)
    assert_same_rollout(a, b)
    last_action = b[-1][0][-clipped_env.action_space.shape[0] :]
    np.testing.assert_array_equal(last_action, clipped[-1])


def test_unknown_robot_lists_the_valid_ones():
    with pytest.raises(ValueError, match="no_such_robot") as raised:
        gymnasium.make(DEFAULT_ENV_ID, robot="no_such_robot")
    message = str(raised.value)
    missing = [name for name in robot_names("quadruped") if name not in message]
    assert not missing, f"valid robots {missing} not listed in: {message}"


def test_unknown_reward_term_lists_the_valid_ones(make_env):
    valid = make_env().unwrapped.reward_weights
    with pytest.raises(ValueError, match="uprite") as raised:
        gymnasium.make(DEFAULT_ENV_ID, reward_weights={"uprite": 1.0})
    message = str(raised.value)
    missing = [name for name in valid if name not in message]
    assert not missing, f"valid terms {missing} not listed in: {message}"


@pytest.mark.parametrize(
    "kwargs",
    [{"episode_seconds": 0.0}, {"episode_seconds": -1.0}, {"max_target_speed": 0.0}],
    ids=["zero-episode", "negative-episode", "zero-target-speed"],
)
def test_invalid_constructor_values_raise(kwargs):
    with pytest.raises(ValueError):
        gymnasium.make(DEFAULT_ENV_ID, **kwargs)


def _blow_up_base(env) -> None:
    unwrapped = env.unwrapped
    unwrapped.sim.client.resetBaseVelocity(
        unwrapped.task.robot.body_id, [1e6, 0.0, 0.0], [0.0, 0.0, 0.0]
    )


def _nan_joint(env) -> None:
    unwrapped = env.unwrapped
    robot = unwrapped.task.robot
    unwrapped.sim.client.resetJointState(robot.body_id, robot.joint_ids[1], float("nan"), 0.0)


def _spinning_joint(env) -> None:
    unwrapped = env.unwrapped
    robot = unwrapped.task.robot
    unwrapped.sim.client.resetJointState(robot.body_id, robot.joint_ids[2], 0.0, 1e5)


@pytest.mark.parametrize(
    "sabotage",
    [_blow_up_base, _nan_joint, _spinning_joint],
    ids=["base-1e6", "nan-joint", "joint-1e5"],
)
def test_physics_blow_up_truncates_and_next_reset_is_clean(make_env, sabotage):
    env = make_env()
    env.reset(seed=0)
    for action in random_actions(env.action_space, 5, seed=0):
        env.step(action)
    clients_before = connected_clients()
    sabotage(env)
    observation, reward, terminated, truncated, info = env.step(_zeros(env))
    assert (terminated, truncated) == (False, True)
    assert isinstance(info.get("physics_error"), str) and info["physics_error"]
    assert info["is_success"] is False and "episode_metrics" in info
    assert np.all(np.isfinite(observation)) and observation in env.observation_space
    assert np.isfinite(reward)
    with pytest.raises(gymnasium.error.ResetNeeded):
        env.unwrapped.step(_zeros(env))

    # The next reset rebuilds the world: same start as a fresh env, clean finite steps, old client
    # gone.
    observation, _ = env.reset(seed=3)
    assert connected_clients() == clients_before, "the rebuild leaked the blown-up world's client"
    fresh = make_env()
    np.testing.assert_array_equal(observation, fresh.reset(seed=3)[0])
    for action in random_actions(env.action_space, 60, seed=3):
        observation, reward, terminated, truncated, info = env.step(action)
        assert "physics_error" not in info
        assert np.all(np.isfinite(observation)) and np.isfinite(reward)
        assert all(np.isfinite(v) for v in info["reward_terms"].values())


def test_step_before_reset_raises(make_env):
    env = make_env()
    with pytest.raises(gymnasium.error.ResetNeeded):
        env.step(_zeros(env))
    with pytest.raises(gymnasium.error.ResetNeeded):
        env.unwrapped.step(_zeros(env))


def test_step_after_episode_end_raises(make_env):
    env = make_env(episode_seconds=0.1)
    env.reset(seed=0)
    for _ in range(5):
        *_, terminated, truncated, _ = env.step(_zeros(env))
    assert truncated and not terminated
    with pytest.raises(gymnasium.error.ResetNeeded):
        env.unwrapped.step(_zeros(env))
    env.reset(seed=0)
    env.step(_zeros(env))  # usable again after reset
