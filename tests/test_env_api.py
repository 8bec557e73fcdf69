"""Gymnasium API conformance: check_env, registration, the info contract, spec / pickling
round-trips."""

from __future__ import annotations

import copy
import pickle
import subprocess
import sys
import warnings

import gymnasium
import numpy as np
import pytest
from conftest import (
    DEFAULT_ENV_ID,
    assert_same_observation,
    env_robot_params,
    flat_size,
    random_actions,
    robot_kwargs,
)
from gymnasium.utils.env_checker import check_env

from robodojo.envs import ENV_IDS


@pytest.mark.parametrize("render_mode", [None, "rgb_array"])
@pytest.mark.parametrize(("env_id", "robot"), env_robot_params())
def test_check_env_passes_with_warnings_as_errors(make_env, env_id, robot, render_mode):
    env = make_env(env_id, render_mode=render_mode, **robot_kwargs(robot))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_env(env.unwrapped)


def test_module_qualified_ids_make_envs_in_a_fresh_process(tmp_path):
    """Gymnasium 1.x's convention: ``gym.make("robodojo.envs:robodojo/X-v0")`` imports the module
    itself."""
    script = (
        "import sys, gymnasium, numpy as np\n"
        "assert 'robodojo' not in sys.modules\n"
        "for env_id in sys.argv[1:]:\n"
        "    env = gymnasium.make('robodojo.envs:' + env_id)\n"
        "    obs, info = env.reset(seed=0)\n"
        "    obs, *_ = env.step(np.zeros(env.action_space.shape, env.action_space.dtype))\n"
        "    assert obs in env.observation_space, env_id\n"
        "    registered = gymnasium.spec(env_id).max_episode_steps\n"
        "    assert env.spec.max_episode_steps == registered > 0, env_id\n"
        "    env.close()\n"
        "print('made', len(sys.argv) - 1)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, *sorted(ENV_IDS)],
        check=False,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert f"made {len(ENV_IDS)}" in result.stdout


def test_plain_gymnasium_does_not_import_robodojo(tmp_path):
    """No import hook: `import gymnasium` (and pip, and every other process of the venv) leaves
    robodojo alone."""
    script = (
        "import sys, gymnasium; "
        "print('robodojo' in sys.modules, 'robodojo/FallRecovery-v0' in gymnasium.registry)"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        check=False,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "False"], result.stdout


@pytest.mark.parametrize(("env_id", "robot"), env_robot_params())
def test_registered_time_limit_is_the_default_episode(env_id, robot):
    """``max_episode_steps`` is registered, equals the default episode's length, and
    ``robodojo.envs.make``
    fits the TimeLimit to arguments that lengthen episodes (and only those)."""
    import robodojo.envs

    registered = gymnasium.spec(env_id).max_episode_steps
    env = gymnasium.make(env_id, **robot_kwargs(robot))
    try:
        assert registered == env.unwrapped.max_episode_steps == env.spec.max_episode_steps
    finally:
        env.close()
    longer = {**robot_kwargs(robot), "episode_seconds": 2.0 * registered * env.unwrapped.control_dt}
    env = robodojo.envs.make(env_id, **longer)
    try:
        assert env.spec.max_episode_steps == env.unwrapped.max_episode_steps == 2 * registered
    finally:
        env.close()
    env = gymnasium.make(
        env_id, max_episode_steps=2 * registered, **longer
    )  # what make() passes, by hand
    try:
        assert env.spec.max_episode_steps == env.unwrapped.max_episode_steps
    finally:
        env.close()


def test_info_contract_on_every_step(make_env):
    """is_success and reward_terms on reset/every step, episode_metrics exactly on the last step."""
    env = make_env(episode_seconds=0.5)  # 25 control steps: too short to hold a stance for 1 s
    unwrapped = env.unwrapped
    assert unwrapped.max_episode_steps == 25
    observation, info = env.reset(seed=3)
    assert isinstance(info["is_success"], bool)
    steps = 0
    for action in random_actions(env.action_space, 100, seed=3):
        observation, reward, terminated, truncated, info = env.step(action)
        steps += 1
        assert isinstance(reward, float) and np.isfinite(reward)
        assert observation in env.observation_space
        assert isinstance(info["is_success"], bool)
        assert set(info["reward_terms"]) == set(unwrapped.reward_weights)
        if terminated or truncated:
            break
        assert "episode_metrics" not in info, f"episode_metrics before the last step (step {steps})"
    assert (terminated, truncated, steps) == (False, True, 25)
    metrics = info["episode_metrics"]
    assert metrics["duration"] == pytest.approx(0.5)
    assert metrics["stood"] == 0.0 and np.isnan(metrics["time_to_stand"])
    assert metrics["peak_torque"] > 0 and metrics["energy"] > 0


def test_render_fps_matches_control_rate(make_env):
    unwrapped = make_env().unwrapped
    assert unwrapped.metadata["render_fps"] == pytest.approx(1.0 / unwrapped.control_dt)
    # the class metadata is not mutated by an instance
    assert type(unwrapped).metadata is not unwrapped.metadata


@pytest.mark.parametrize(("env_id", "robot"), env_robot_params())
def test_spec_round_trip_makes_an_equivalent_env(make_env, env_id, robot):
    kwargs = {**robot_kwargs(robot), "episode_seconds": 4.0}
    env = make_env(env_id, **kwargs)
    spec = env.spec
    assert spec.id == env_id
    assert spec.kwargs == kwargs
    restored_spec = pickle.loads(pickle.dumps(spec))
    assert restored_spec == spec

    first_obs, _ = env.reset(seed=11)
    clones = {
        "gymnasium.make(spec)": gymnasium.make(spec),
        "spec.make()": spec.make(),
        "gymnasium.make(unpickled spec)": gymnasium.make(restored_spec),
    }
    try:
        for how, clone in clones.items():
            assert clone.spec.kwargs == kwargs, how
            unwrapped = clone.unwrapped
            assert type(unwrapped) is type(env.unwrapped), how
            assert (
                unwrapped.max_episode_steps
                == env.unwrapped.max_episode_steps
                == round(4.0 / unwrapped.control_dt)
            ), how
            assert unwrapped.observation_space == env.observation_space, how
            assert unwrapped.action_space == env.action_space, how
            if robot is not None:
                assert unwrapped.robot_name == robot, how
            clone_obs, _ = clone.reset(seed=11)
            assert_same_observation(clone_obs, first_obs, err_msg=how)
    finally:
        for clone in clones.values():
            clone.close()


@pytest.mark.parametrize("env_id", sorted(ENV_IDS))
def test_pickling_and_deepcopy_make_a_fresh_env_from_the_same_arguments(make_env, env_id):
    """Gymnasium's EzPickle convention: a live PyBullet world cannot be copied, so a copy is a new
    env made
    with the same constructor arguments (its own client), and the original is untouched."""
    env = make_env(env_id, episode_seconds=3.0)
    first, _ = env.reset(seed=4)
    for clone in (pickle.loads(pickle.dumps(env.unwrapped)), copy.deepcopy(env.unwrapped)):
        try:
            assert type(clone) is type(env.unwrapped)
            assert clone.sim.client._client != env.unwrapped.sim.client._client
            assert clone.max_episode_steps == env.unwrapped.max_episode_steps
            assert_same_observation(clone.reset(seed=4)[0], first)
        finally:
            clone.close()
    observation, *_ = env.step(np.zeros(env.action_space.shape, np.float32))
    assert_same_observation(observation, observation)  # still alive and stepping


def test_closed_env_says_so(make_env):
    env = make_env()
    env.reset(seed=0)
    env.close()
    with pytest.raises(gymnasium.error.ClosedEnvironmentError, match="closed"):
        env.step(np.zeros(env.action_space.shape, np.float32))
    with pytest.raises(gymnasium.error.ClosedEnvironmentError, match="closed"):
        env.reset(seed=0)


def test_async_vector_env_in_spawned_processes():
    """Subprocess vector envs (spawn: env factories are pickled) give the same starts as single
    envs."""
    vec = gymnasium.make_vec(
        DEFAULT_ENV_ID, num_envs=2, vectorization_mode="async", vector_kwargs={"context": "spawn"}
    )
    single = gymnasium.make(DEFAULT_ENV_ID)
    try:
        observations, _ = vec.reset(seed=5)
        for index in range(2):  # sub-env i is seeded with seed + i
            np.testing.assert_array_equal(observations[index], single.reset(seed=5 + index)[0])
        observations, rewards, _terminated, _truncated, info = vec.step(
            np.zeros((2, *single.action_space.shape), np.float32)
        )
        assert observations.shape == (2, *single.observation_space.shape)
        assert np.all(np.isfinite(rewards)) and "reward_terms" in info
    finally:
        vec.close()
        single.close()


@pytest.mark.parametrize(("env_id", "robot"), env_robot_params())
def test_interface_describes_the_spaces(make_env, env_id: str, robot: str | None) -> None:
    """The exported interface must match the spaces: deployments rebuild observations from it."""
    env = make_env(env_id, **robot_kwargs(robot))
    interface = env.unwrapped.interface()
    assert sum(field["size"] for field in interface["observation"]) == flat_size(
        env.observation_space
    )
    action = interface["action"]
    named = (
        action.get("fields") or action["joints"]
    )  # a task-space action names its fields, a joint action its joints
    assert len(named) == env.action_space.shape[0]
    if "home" in action:
        assert len(action["home"]) == len(action["joints"])
    assert interface["control_dt"] == pytest.approx(1.0 / env.metadata["render_fps"])
