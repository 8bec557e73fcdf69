"""Locomotion-v0 behaviour: commands, the scripted trot, metrics, terrain per reset, the curriculum
on the real env."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import run_episodes

from robodojo.envs.curriculum import TerrainCurriculum

ENV_ID = "robodojo/Locomotion-v0"
COMMAND = slice(45, 48)


def test_command_is_observed_and_resampled_on_schedule(make_env) -> None:
    env = make_env(ENV_ID, command_seconds=1.0, standing_probability=0.0, difficulty=0.0)
    observation, _ = env.reset(seed=0)
    commands = [observation[COMMAND].copy()]
    for _ in range(150):
        observation, *_ = env.step(np.zeros(12, dtype=np.float32))
        commands.append(observation[COMMAND].copy())
    changes = [
        k for k in range(1, len(commands)) if not np.array_equal(commands[k], commands[k - 1])
    ]
    assert changes == [50, 100, 150]  # every 1 s at 50 Hz
    low, high = np.array([-0.2, -0.2, -0.5]), np.array([0.5, 0.2, 0.5])
    assert all(((c >= low) & (c <= high)).all() for c in commands)


@pytest.mark.parametrize(("command", "axis"), [((0.4, 0.0, 0.0), 0), ((0.0, 0.15, 0.0), 1)])
def test_scripted_trot_tracks_commands_on_flat_ground(make_env, command, axis) -> None:
    ranges = tuple((c, c) for c in command)
    env = make_env(
        ENV_ID, difficulty=0.0, command_ranges=ranges, standing_probability=0.0, episode_seconds=6.0
    )
    (info,) = run_episodes(env, "scripted", range(1))
    metrics = info["episode_metrics"]
    assert metrics["falls"] == 0 and info["is_success"], metrics
    assert metrics["tracking_error"] < 0.15
    assert metrics["distance"] == pytest.approx(abs(command[axis]) * 6.0, rel=0.35)
    assert metrics["progress"] > 0.6 and np.isfinite(metrics["energy_per_metre"])


def test_random_joint_targets_fall(make_env) -> None:
    infos = run_episodes(make_env(ENV_ID, difficulty=0.0), "random", range(3))
    assert all(info["episode_metrics"]["falls"] == 1 and not info["is_success"] for info in infos)


def test_each_reset_draws_a_new_site_and_options_set_the_difficulty(make_env) -> None:
    env = make_env(ENV_ID, difficulty=0.5)
    env.reset(seed=0)
    task = env.unwrapped.task
    first = task.terrain.heights.copy()
    env.reset()
    assert not np.array_equal(first, task.terrain.heights)
    env.reset(seed=0)
    assert np.array_equal(first, task.terrain.heights)
    env.reset(seed=0, options={"difficulty": 0.0})
    assert task.difficulty == 0.0 and np.ptp(task.terrain.heights[2:-2, 2:-2]) == 0.0
    assert task.terrain.max_slope() == 0.0


def test_walking_off_the_terrain_truncates(make_env) -> None:
    env = make_env(
        ENV_ID,
        difficulty=0.0,
        command_ranges=((-0.2, -0.2), (0, 0), (0, 0)),
        standing_probability=0.0,
    )
    (info,) = run_episodes(env, "scripted", range(1))
    assert info["episode_metrics"]["left_site"] == 1
    assert info["episode_metrics"]["duration"] < 14.0


def test_curriculum_moves_the_real_env_up_and_down(make_env) -> None:
    env = TerrainCurriculum(
        make_env(ENV_ID, episode_seconds=1.0), levels=5, start_level=1, top_level_random=False
    )
    _, info = env.reset(seed=0)
    assert info["difficulty"] == 0.25 and env.unwrapped.task.difficulty == 0.25
    while True:  # standing still under zero targets: no fall, but no progress either -> demoted
        *_, terminated, truncated, info = env.step(np.zeros(12, dtype=np.float32))
        if terminated or truncated:
            break
    _, info = env.reset()
    assert env.unwrapped.task.difficulty == info["difficulty"]
    assert info["curriculum_level"] in (0, 2)  # moved one level, either way, on the real outcome


@pytest.mark.parametrize(("robot", "seed"), [("aliengo", 2), ("laikago", 0), ("mini_cheetah", 0)])
def test_scripted_trot_walks_the_tall_quadrupeds(make_env, robot, seed) -> None:
    # Without their stance_width (spec.gait) each of these rolled over its diagonal within 3 s
    # at this command and seed (Aliengo 1.2 s, Laikago 1.5 s, Mini Cheetah 2.5 s).
    env = make_env(
        ENV_ID,
        robot=robot,
        difficulty=0.0,
        command_ranges=((0.3, 0.3), (0.0, 0.0), (0.0, 0.0)),
        standing_probability=0.0,
        episode_seconds=3.0,
    )
    (info,) = run_episodes(env, "scripted", range(seed, seed + 1))
    metrics = info["episode_metrics"]
    assert metrics["falls"] == 0 and metrics["duration"] == pytest.approx(3.0), metrics
    assert metrics["distance"] > 0.1, metrics
