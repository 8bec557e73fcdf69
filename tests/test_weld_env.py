"""Weld-v0 behaviour: the controllers show the problem and solve it, bad settings fail loudly,
rollouts repeat."""

from __future__ import annotations

import gymnasium
import numpy as np
import pytest
from conftest import assert_same_rollout, random_actions, robots_for, rollout, run_episodes

ENV_ID = "robodojo/Weld-v0"
ARMS = [pytest.param(robot, id=robot) for robot in robots_for(ENV_ID)]


def test_seam_tracking_succeeds_on_20_seeded_episodes(make_env) -> None:
    infos = run_episodes(make_env(ENV_ID), "seam_tracking", range(20))
    successes = sum(info["is_success"] for info in infos)
    assert successes >= 18, f"seam tracking welded {successes}/20 seams"
    assert all(info["episode_metrics"]["collision"] == 0.0 for info in infos)


def test_teach_and_repeat_fails_on_fit_up_error_and_succeeds_without(make_env) -> None:
    """The problem is real (taught path ≠ true seam) and only the fixture error makes it hard."""
    off = run_episodes(make_env(ENV_ID), "teach_and_repeat", range(6))
    assert sum(info["is_success"] for info in off) <= 1
    perfect = run_episodes(make_env(ENV_ID, difficulty=0.0), "teach_and_repeat", range(6))
    assert all(info["is_success"] for info in perfect)
    assert all(info["episode_metrics"]["lateral_error_max_mm"] < 0.2 for info in perfect)


@pytest.mark.parametrize("robot", ARMS)
def test_every_arm_can_weld_with_seam_tracking(make_env, robot: str) -> None:
    infos = run_episodes(make_env(ENV_ID, robot=robot), "seam_tracking", range(3))
    assert sum(info["is_success"] for info in infos) >= 2, [
        info["episode_metrics"] for info in infos
    ]


@pytest.mark.parametrize("robot", ARMS)
def test_same_seed_same_rollout(make_env, robot: str) -> None:
    a, b = make_env(ENV_ID, robot=robot), make_env(ENV_ID, robot=robot)
    actions = random_actions(a.action_space, 60, seed=7)
    assert_same_rollout(rollout(a, 11, actions), rollout(b, 11, actions))


def test_every_seed_is_a_different_part(make_env) -> None:
    env = make_env(ENV_ID)
    seams = []
    for seed in range(5):
        env.reset(seed=seed)
        seams.append(env.unwrapped.task.true.points[0].copy())
    assert len({tuple(np.round(p, 6)) for p in seams}) == 5


@pytest.mark.parametrize(
    "kwargs",
    [
        {"part_center": (2.0, 0.0)},
        {"part_center": (0.55, 0.0), "part_radius": 1.0},
        {"difficulty": -0.1},
        {"difficulty": float("nan")},
        {"control": "velocity"},
        {"joint": "spot"},
        {"shape": "zigzag"},
        {"travel_speed": 0.0},
        {"lateral_tolerance": -0.001},
        {"travel_angle_range": (15.0, 5.0)},
        {"reward_weights": {"beauty": 1.0}},
        {"robot": "a1"},
    ],
)
def test_bad_settings_raise_at_construction(kwargs) -> None:
    with pytest.raises(ValueError):
        gymnasium.make(ENV_ID, **kwargs)


def test_unreachable_part_message_names_the_workspace() -> None:
    with pytest.raises(ValueError, match="outside where kuka_iiwa can weld"):
        gymnasium.make(ENV_ID, part_center=(2.0, 0.0))


def test_bad_actions_raise(make_env) -> None:
    env = make_env(ENV_ID)
    env.reset(seed=0)
    with pytest.raises(ValueError, match="NaN"):
        env.step(np.array([0.0, np.nan, 0.0, 0.0, 0.0]))
    with pytest.raises(ValueError, match="shape"):
        env.step(np.zeros(7))


def test_driving_the_torch_into_the_part_is_a_collision(make_env) -> None:
    env = make_env(ENV_ID, joint="fillet", shape="straight")
    env.reset(seed=0)
    dive = np.array([-1.0, 0.0, 1.0, 0.0, 0.0])  # hold still, push the torch deeper at 10 mm/s
    for _ in range(200):
        _, reward, terminated, truncated, info = env.step(dive)
        if terminated or truncated:
            break
    assert terminated and info["reward_terms"]["collision"] == 1.0
    assert info["episode_metrics"]["collision"] == 1.0 and not info["is_success"]
    assert reward < -40.0


def test_joint_control_moves_the_joints(make_env) -> None:
    env = make_env(ENV_ID, control="joint")
    n = env.unwrapped.task.spec.num_joints
    assert env.action_space.shape == (n,)
    env.reset(seed=0)
    q0 = env.unwrapped.task.arm.q.copy()
    env.step(np.ones(n, dtype=np.float32))
    assert np.allclose(env.unwrapped.task.arm.q - q0, 0.5 * env.unwrapped.control_dt, atol=1e-9)


def test_the_bead_is_laid_only_when_rendering(make_env) -> None:
    quiet, filmed = (
        make_env(ENV_ID, difficulty=0.0),
        make_env(ENV_ID, difficulty=0.0, render_mode="rgb_array"),
    )
    for env in (quiet, filmed):
        env.reset(seed=2)
        for _ in range(80):
            env.step(np.zeros(5, dtype=np.float32))
    assert quiet.unwrapped.task.bead == []
    assert len(filmed.unwrapped.task.bead) >= 5  # ~0.6 mm per step, a bead ball every 2 mm
    frame = filmed.render()
    assert frame.shape == (360, 480, 3) and frame.std() > 10


def test_welding_leaves_other_worlds_alone(make_env) -> None:
    """The collision pass lowers a process-wide Bullet threshold; other envs' physics must not see
    it."""
    fall = make_env("robodojo/FallRecovery-v0")
    actions = random_actions(fall.action_space, 40, seed=3)
    before = rollout(fall, 9, actions)
    weld = make_env(ENV_ID)
    weld.reset(seed=0)
    after = rollout(fall, 9, actions, between=lambda _: weld.step(np.zeros(5, dtype=np.float32)))
    assert_same_rollout(before, after)


def test_parts_lie_on_the_table_within_reach(make_env) -> None:
    """Over many seeds every part is on the fixture table and its whole taught path within the arm's
    reach."""
    from robodojo.sim_assets.workpiece import TABLE_X, TABLE_Y

    env = make_env(ENV_ID)
    task = env.unwrapped.task
    for seed in range(15):
        env.reset(seed=seed)
        for seam in (task.true, task.nominal):
            x, y = seam.points[:, 0], seam.points[:, 1]
            assert (
                TABLE_X[0] < x.min()
                and x.max() < TABLE_X[1]
                and TABLE_Y[0] < y.min()
                and y.max() < TABLE_Y[1]
            )
        # the taught path was verified reachable: the arm starts on it, at the lead-in
        tip, _rotation = task.arm.tcp_pose()
        expected = task.path.torch_pose(task.path.start, 0.0, 0.0, 0.0, 0.0, task.tolerances.ctwd)
        assert np.linalg.norm(tip - expected[0]) < 1e-3
        assert 0.10 <= task.true.length <= 0.41
