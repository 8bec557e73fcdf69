"""Transport-v0 behaviour: goal interface, the scripted controller, drops and damage, bad settings,
repeatability."""

from __future__ import annotations

import warnings

import gymnasium
import numpy as np
import pytest
from conftest import assert_same_rollout, random_actions, robots_for, rollout, run_episodes

from robodojo.envs.transport.interface import SET_DOWN, observation_layout
from robodojo.policies import make_policy

REMAINING = observation_layout().index("parcels_remaining")

ENV_ID = "robodojo/Transport-v0"
ARMS = [pytest.param(robot, id=robot) for robot in robots_for(ENV_ID)]


def carry_parcel(env: gymnasium.Env, seed: int) -> tuple[dict, object]:
    """Run the scripted controller until the parcel is lifted and being carried; return
    (observation, policy)."""
    policy = make_policy("scripted", env, ENV_ID)
    observation, _ = env.reset(seed=seed)
    policy.reset()
    for _ in range(200):
        observation, *_ = env.step(policy(observation))
        if policy.phase == "carry":
            return observation, policy
    raise AssertionError(
        f"the scripted controller never lifted the parcel (stuck in {policy.phase})"
    )


def test_scripted_pick_and_place_succeeds_on_20_seeded_episodes(make_env) -> None:
    infos = run_episodes(make_env(ENV_ID), "scripted", range(20))
    successes = sum(info["is_success"] for info in infos)
    assert successes >= 18, f"scripted pick-and-place placed {successes}/20 parcels"
    metrics = [info["episode_metrics"] for info in infos]
    assert sum(m["drops"] for m in metrics) == 0
    assert all(m["distance_to_goal"] <= 0.05 and m["tilt"] <= 15.0 for m in metrics if m["success"])


def test_random_actions_do_not_place_parcels(make_env) -> None:
    infos = run_episodes(make_env(ENV_ID, episode_seconds=2.0), "random", range(3))
    assert not any(info["is_success"] for info in infos)


@pytest.mark.parametrize("robot", [p for p in ARMS if p.values[0] != "panda"])
def test_other_arms_place_parcels(make_env, robot: str) -> None:
    infos = run_episodes(make_env(ENV_ID, robot=robot), "scripted", range(3))
    assert sum(info["is_success"] for info in infos) >= 2, [
        info["episode_metrics"] for info in infos
    ]


def test_several_parcels_arrive_one_after_another(make_env) -> None:
    env = make_env(ENV_ID, parcels=2)
    policy = make_policy("scripted", env, ENV_ID)
    observation, _ = env.reset(seed=1)
    policy.reset()
    remaining = [observation["observation"][REMAINING]]
    while True:
        observation, _, terminated, truncated, info = env.step(policy(observation))
        remaining.append(observation["observation"][REMAINING])
        if terminated or truncated:
            break
    assert info["is_success"] and info["episode_metrics"]["parcels_placed"] == 2.0
    assert remaining[0] == 1.0 and remaining[-1] == 0.0
    assert len(env.unwrapped.task._parcel_ids) == 2


def test_goal_env_checkers_accept_it(make_env) -> None:
    from gymnasium.utils.env_checker import check_env
    from stable_baselines3.common.env_checker import check_env as sb3_check_env

    env = make_env(ENV_ID)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_env(env.unwrapped, skip_render_check=True)
    sb3_check_env(env.unwrapped, warn=True)  # includes the goal-env compute_reward checks


@pytest.mark.parametrize("reward_type", ["sparse", "dense"])
def test_compute_reward_batched_equals_per_sample_and_the_step_reward(
    make_env, reward_type: str
) -> None:
    env = make_env(ENV_ID, reward_type=reward_type, reward_weights={"collision": -3.0})
    policy = make_policy("scripted", env, ENV_ID)
    observation, _ = env.reset(seed=4)
    policy.reset()
    achieved, desired, infos = [], [], []
    for index in range(120):
        action = policy(observation) if index % 3 else env.action_space.sample()
        observation, reward, terminated, truncated, info = env.step(action)
        assert reward == env.unwrapped.compute_reward(
            observation["achieved_goal"], observation["desired_goal"], info
        )
        achieved.append(observation["achieved_goal"])
        desired.append(observation["desired_goal"])
        infos.append(info)
        if terminated or truncated:
            break
    infos[5] = {
        **infos[5],
        "reward_terms": {"drop": 1.0, "damage": 0.0, "collision": 1.0},
    }  # goal-free terms count
    # Hindsight relabelling: the goals actually achieved later in the episode as desired goals.
    relabelled = np.roll(np.array(achieved), -10, axis=0)
    for goals in (np.array(desired), relabelled):
        batch = env.unwrapped.compute_reward(
            np.array(achieved), goals, np.array(infos, dtype=object)
        )
        single = [
            env.unwrapped.compute_reward(a, g, i)
            for a, g, i in zip(achieved, goals, infos, strict=True)
        ]
        assert batch.shape == (len(infos),)
        np.testing.assert_array_equal(batch, single)
    assert (
        env.unwrapped.compute_reward(achieved[5], achieved[5], infos[5]) == -5.0 - 3.0
    )  # drop, collision (reweighted)


def test_sparse_reward_is_zero_exactly_when_the_parcel_is_set_down_at_the_goal(make_env) -> None:
    env = make_env(ENV_ID)
    compute = env.unwrapped.compute_reward
    goal = np.array([0.45, -0.25, 0.04, 1.0], dtype=np.float32)
    info = {"reward_terms": {"drop": 0.0, "damage": 0.0, "collision": 0.0}}
    assert compute(goal, goal, info) == 0.0
    assert compute(goal + np.array([0.049, 0, 0, 0]), goal, info) == 0.0
    assert compute(goal + np.array([0.051, 0, 0, 0]), goal, info) == -1.0
    assert (
        compute(goal - [0, 0, 0, 1], goal, info) == -1.0
    )  # at the goal but still held / tilted / moving


def test_a_parcel_let_go_in_the_air_is_reported_dropped(make_env) -> None:
    env = make_env(ENV_ID)
    observation, _ = carry_parcel(env, seed=2)
    assert observation["achieved_goal"][SET_DOWN] == 0.0  # held: not set down
    open_up = np.array([0.0, 0.0, 0.0, 0.0, 1.0], dtype=np.float32)
    drop_steps = []
    for step in range(60):
        observation, reward, terminated, truncated, info = env.step(open_up)
        if info["reward_terms"]["drop"]:
            drop_steps.append(step)
            assert reward <= -5.0
        if terminated or truncated:
            break
    assert len(drop_steps) == 1, drop_steps
    assert env.unwrapped.task.metrics["drops"] == 1


def test_shaking_a_fragile_parcel_damages_it_and_the_scripted_controller_does_not(make_env) -> None:
    env = make_env(ENV_ID, fragile=True)
    carry_parcel(env, seed=0)
    shake = [np.array([0.0, 0.0, s, 0.0, -1.0], dtype=np.float32) for s in (1.0, -1.0) * 10]
    for action in shake:
        *_, terminated, _, info = env.step(action)
        if terminated:
            break
    assert terminated and not info["is_success"]
    assert (
        info["episode_metrics"]["damaged"] == 1.0
        and info["episode_metrics"]["peak_acceleration"] > 8.0
    )
    gentle = run_episodes(make_env(ENV_ID, fragile=True), "scripted", range(3))
    assert sum(i["is_success"] for i in gentle) >= 2
    assert all(i["episode_metrics"]["damaged"] == 0.0 for i in gentle)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"size_range": (0.07, 0.10)}, "gripper"),
        ({"size_range": (0.02, 0.30)}, "conveyor"),
        ({"mass_range": (0.0, 1.0)}, "mass"),
        ({"goal": (1.4, 0.0)}, "table"),
        ({"goal": (0.2, 0.0)}, "base"),
        ({"robot": "xarm6", "goal": (0.6, 0.45)}, "base"),
        ({"goal": (0.45, -0.25), "parcels": 2}, "parcels=1"),
        ({"parcels": 0}, "parcels"),
        ({"parcels": 5}, "parcels"),
        ({"control": "twist"}, "control"),
        ({"reward_type": "shaped"}, "reward_type"),
        ({"fragile_limit": 0.0}, "fragile_limit"),
        ({"robot": "a1"}, "quadruped"),
        ({"reward_weights": {"speed": 1.0}}, "speed"),
    ],
)
def test_impossible_arguments_are_errors_at_construction(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        gymnasium.make(ENV_ID, **kwargs)


def test_a_fixed_goal_is_used(make_env) -> None:
    env = make_env(ENV_ID, goal=(0.35, -0.3))
    observation, _ = env.reset(seed=0)
    np.testing.assert_allclose(observation["desired_goal"][:2], [0.35, -0.3], atol=1e-6)


@pytest.mark.parametrize("robot", ARMS)
def test_same_seed_same_rollout(make_env, robot: str) -> None:
    a, b = make_env(ENV_ID, robot=robot), make_env(ENV_ID, robot=robot)
    actions = random_actions(a.action_space, 40, seed=7)
    assert_same_rollout(rollout(a, 11, actions), rollout(b, 11, actions))


def test_a_used_env_resets_like_a_fresh_one(make_env) -> None:
    used, fresh = make_env(ENV_ID), make_env(ENV_ID)
    run_episodes(used, "scripted", range(1))
    actions = random_actions(used.action_space, 30, seed=3)
    assert_same_rollout(rollout(used, 5, actions), rollout(fresh, 5, actions))


def test_every_seed_is_a_different_parcel(make_env) -> None:
    env = make_env(ENV_ID)
    parcels = []
    for seed in range(5):
        env.reset(seed=seed)
        task = env.unwrapped.task
        parcels.append((task.parcel.size, task.parcel.mass, task.parcel.friction))
        assert (
            max(task.parcel.size[:2]) >= min(task.parcel.size[:2])
            and task.parcel.narrow_side <= 0.06
        )
    assert len(set(parcels)) == 5


def test_joint_control_moves_the_arm(make_env) -> None:
    env = make_env(ENV_ID, control="joint", robot="xarm6")
    assert env.action_space.shape == (7,)
    env.reset(seed=0)
    start = env.unwrapped.task.arm.joint_state()[0]
    for _ in range(25):
        env.step(np.zeros(7, dtype=np.float32))  # mid-range joints, half-open gripper
    moved = env.unwrapped.task.arm.joint_state()[0]
    spec = env.unwrapped.task.spec
    assert np.linalg.norm(moved - start) > 0.1
    assert (
        np.abs(moved - (spec.lower + spec.upper) / 2).max()
        < np.abs(start - (spec.lower + spec.upper) / 2).max()
    )


def test_a_physics_blow_up_truncates_with_a_flag_and_the_next_reset_is_clean(make_env) -> None:
    env = make_env(ENV_ID)
    env.reset(seed=0)
    unwrapped = env.unwrapped
    unwrapped.sim.client.resetBaseVelocity(
        unwrapped.task.parcel_id, [1e6, 0.0, 0.0], [0.0, 0.0, 0.0]
    )
    observation, reward, terminated, truncated, info = env.step(np.zeros(5, dtype=np.float32))
    assert (terminated, truncated) == (False, True) and "absurd speed" in info["physics_error"]
    assert observation in env.observation_space and np.isfinite(reward)
    fresh = make_env(ENV_ID)
    actions = random_actions(env.action_space, 20, seed=1)
    assert_same_rollout(rollout(env, 3, actions), rollout(fresh, 3, actions))
