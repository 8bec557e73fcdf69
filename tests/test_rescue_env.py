"""QuadrupedRescue-v0 behaviour: both action levels, the site, the victim detector, the scripted
rescuer."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from conftest import assert_same_rollout, random_actions, rollout, run_episodes
from gymnasium.utils.env_checker import check_env

from robodojo.envs.rescue import interface
from robodojo.envs.rescue.site import VICTIM_SIZE, place_victim
from robodojo.robots import get_robot_spec
from robodojo.sim_assets.terrain import A1_STEP_LIMIT, generate_terrain, reachable

ENV_ID = "robodojo/QuadrupedRescue-v0"
#: the joints level's fields (the velocity level adds the previous command at the end), read by name
FIELDS = interface.observation_layout(get_robot_spec("a1"), velocity=False)
VISIBLE, EVER_SEEN, LAST_SEEN_AGE = (
    FIELDS.index(name) for name in ("victim_visible", "victim_ever_seen", "victim_last_seen_age")
)
DETECTION, LAST_SEEN, SCAN = (
    FIELDS.slice(name) for name in ("victim_detection", "victim_last_seen", "height_scan")
)


@pytest.mark.parametrize("robot", ["a1", "aliengo"])
@pytest.mark.parametrize("action", ["joints", "velocity"])
def test_check_env_both_action_levels_two_robots(make_env, robot: str, action: str) -> None:
    env = make_env(ENV_ID, robot=robot, action=action, difficulty=0.75)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_env(env.unwrapped)
    size = 3 if action == "velocity" else 12
    assert env.action_space.shape == (size,)
    assert env.observation_space.shape == (FIELDS.size + (3 if action == "velocity" else 0),)
    assert env.unwrapped.control_dt == pytest.approx(0.1 if action == "velocity" else 0.02)


def test_bad_settings_raise(make_env) -> None:
    with pytest.raises(ValueError, match="action"):
        make_env(ENV_ID, action="torques")
    with pytest.raises(ValueError, match="difficulty"):
        make_env(ENV_ID, difficulty=1.5)
    with pytest.raises(ValueError, match="detector_range"):
        make_env(ENV_ID, detector_range=6.0)  # would see the victim from the start
    env = make_env(ENV_ID)
    with pytest.raises(ValueError, match="difficulty"):
        env.reset(seed=0, options={"difficulty": float("nan")})
    with pytest.raises(ValueError, match="unknown reset options"):
        env.reset(seed=0, options={"victim": (1, 2)})


@pytest.mark.parametrize("action", ["joints", "velocity"])
def test_same_seed_same_site_and_rollout(make_env, action: str) -> None:
    """Terrain, debris, victim and the whole rollout repeat under a seed; another seed gives another
    site."""
    env_a, env_b = (
        make_env(ENV_ID, action=action, difficulty=0.9),
        make_env(ENV_ID, action=action, difficulty=0.9),
    )
    actions = random_actions(env_a.action_space, 40, seed=3)
    assert_same_rollout(rollout(env_a, 11, actions), rollout(env_b, 11, actions))
    sites = []
    for seed in (11, 11, 12):
        env_a.reset(seed=seed)
        task = env_a.unwrapped.task
        sites.append(
            (
                task.terrain.heights.copy(),
                (task.victim.x, task.victim.y),
                [p.position for p in task.debris.pieces],
            )
        )
    assert np.array_equal(sites[0][0], sites[1][0]) and sites[0][1:] == sites[1][1:]
    assert not np.array_equal(sites[0][0], sites[2][0])
    assert len(sites[0][2]) > 0, "difficulty 0.9 should scatter loose debris"


@pytest.mark.parametrize("difficulty", [0.0, 0.5, 1.0])
def test_victim_lies_on_reachable_ground_never_inside_an_obstacle(difficulty: float) -> None:
    for seed in range(30):
        rng = np.random.default_rng(seed)
        terrain = generate_terrain(rng, difficulty)
        victim = place_victim(rng, terrain)
        assert 0.0 < victim.x < terrain.length and abs(victim.y) < terrain.width / 2
        assert reachable(terrain, A1_STEP_LIMIT)[terrain.index(victim.x, victim.y)]
        # every terrain cell under the body lies below its underside
        xs, ys = np.meshgrid(
            np.linspace(-0.75, 0.75, 31), np.linspace(-0.225, 0.225, 10), indexing="ij"
        )
        c, s = math.cos(victim.yaw), math.sin(victim.yaw)
        under = [
            terrain.height_at(victim.x + c * a - s * b, victim.y + s * a + c * b)
            for a, b in zip(xs.ravel(), ys.ravel(), strict=True)
        ]
        assert max(under) <= victim.z - VICTIM_SIZE[2] / 2 + 1e-9


def test_debris_keeps_clear_of_the_victim_and_the_start(make_env) -> None:
    env = make_env(ENV_ID, difficulty=1.0)
    for seed in range(5):
        env.reset(seed=seed)
        task = env.unwrapped.task
        for piece in task.debris.pieces:
            assert task.victim.distance(*piece.position[:2]) > 0.2
            assert np.hypot(*(piece.position[:2] - task.start_position[:2])) > 0.5


def test_victim_is_out_of_sight_at_the_start(make_env) -> None:
    env = make_env(ENV_ID, difficulty=0.0)
    for seed in range(10):
        observation, _ = env.reset(seed=seed)
        assert observation[VISIBLE] == 0 and observation[EVER_SEEN] == 0
        assert observation[LAST_SEEN_AGE] == interface.MAX_AGE


def _face_victim_from(env, distance: float) -> np.ndarray:
    """Teleport the robot to stand ``distance`` m from the victim's centre, facing it; return the
    observation."""
    task = env.unwrapped.task
    victim = task.victim
    x, y = victim.x - distance, victim.y
    task.robot.move_base(
        [x, y, task.ground_under(x, y) + task.spec.standing_height], [0.0, 0.0, 0.0, 1.0]
    )
    task._refresh_state()
    task._sense()
    return task.observe()


def test_detector_respects_range_field_of_view_and_line_of_sight(make_env) -> None:
    env = make_env(ENV_ID, difficulty=0.0)
    env.reset(seed=4)
    task = env.unwrapped.task
    seen = _face_victim_from(env, 2.5)
    assert seen[VISIBLE] == 1
    assert seen[DETECTION][0] == pytest.approx(2.5 - 0.25, abs=0.2)  # the sensor sits on the nose
    assert seen[EVER_SEEN] == 1 and seen[LAST_SEEN_AGE] == 0
    # the last detection, mapped to the start frame, lands on the victim
    start_frame_victim = task.to_start_frame(np.array([task.victim.x, task.victim.y]))
    assert np.linalg.norm(seen[LAST_SEEN] - start_frame_victim) < 0.2
    assert _face_victim_from(env, 4.6)[VISIBLE] == 0  # beyond the 4 m range
    # a wall between robot and victim blocks the sight lines (terrain and debris do the same)
    client = task.sim.client
    shape = client.createCollisionShape(client.GEOM_BOX, halfExtents=[0.05, 1.5, 0.5])
    wall = client.createMultiBody(
        0, shape, -1, [task.victim.x - 1.2, task.victim.y, task.victim.z + 0.3]
    )
    assert _face_victim_from(env, 2.5)[VISIBLE] == 0
    client.removeBody(wall)
    assert _face_victim_from(env, 2.5)[VISIBLE] == 1
    # turned away: outside the 120° field of view
    task.robot.move_base(task.base_position, client.getQuaternionFromEuler([0.0, 0.0, math.pi]))
    task._refresh_state()
    task._sense()
    assert task.observe()[VISIBLE] == 0


def test_height_scan_sees_a_step_ahead(make_env) -> None:
    env = make_env(ENV_ID, difficulty=0.0)
    observation, _ = env.reset(seed=0)
    task = env.unwrapped.task
    scan = observation[SCAN].reshape(interface.SCAN_X.size, interface.SCAN_Y.size)
    assert np.ptp(scan) < 0.01, "flat ground scans flat"
    client = task.sim.client
    x, y, _ = task.base_position
    yaw = task.yaw  # a 10 cm slab 0.6–0.8 m ahead, square to the heading
    centre = [x + 0.7 * math.cos(yaw), y + 0.7 * math.sin(yaw), 0.05]
    shape = client.createCollisionShape(client.GEOM_BOX, halfExtents=[0.1, 0.5, 0.05])
    client.createMultiBody(0, shape, -1, centre, client.getQuaternionFromEuler([0.0, 0.0, yaw]))
    scan = task.observe()[SCAN].reshape(interface.SCAN_X.size, interface.SCAN_Y.size)
    ahead = interface.SCAN_X > 0.55
    assert scan[ahead].max() - scan[~ahead].max() == pytest.approx(0.1, abs=0.02)


def test_leaving_the_site_fails(make_env) -> None:
    env = make_env(ENV_ID, difficulty=0.0)
    env.reset(seed=0)
    for _ in range(100):  # walk backwards off the start edge
        *_, terminated, truncated, info = env.step(np.array([-1.0, 0.0, 0.0], dtype=np.float32))
        if terminated or truncated:
            break
    assert terminated and not info["is_success"]
    assert info["episode_metrics"]["left_site"] == 1


def test_scripted_rescuer_reaches_the_victim_at_difficulty_0(make_env) -> None:
    infos = run_episodes(make_env(ENV_ID, difficulty=0.0), "scripted", range(20))
    successes = sum(info["is_success"] for info in infos)
    assert successes >= 16, f"scripted rescuer reached {successes}/20 victims"
    for info in infos:
        m = info["episode_metrics"]
        if m["reached"]:
            assert (
                m["found"] == 1
                and m["time_to_find"] < m["time_to_reach"]
                and m["final_distance"] <= 0.5
            )
            assert m["path_length"] > 4.0  # the victim lies beyond the rubble, > 4 m away


def test_scripted_rescuer_drives_joint_level_too(make_env) -> None:
    infos = run_episodes(make_env(ENV_ID, action="joints", difficulty=0.0), "scripted", range(3))
    assert sum(info["is_success"] for info in infos) >= 2, [
        info["episode_metrics"] for info in infos
    ]


def test_random_velocity_commands_do_not_rescue(make_env) -> None:
    infos = run_episodes(make_env(ENV_ID, difficulty=0.0, episode_seconds=10.0), "random", range(3))
    assert not any(info["is_success"] for info in infos)


def test_a_trained_locomotion_policy_can_walk_under_the_velocity_level(make_env) -> None:
    pytest.importorskip("onnxruntime")
    env = make_env(ENV_ID, difficulty=0.0, walker="locomotion_a1")
    assert env.unwrapped.interface()["action"]["walker"] == "locomotion_a1"
    infos = run_episodes(env, "scripted", range(2))
    assert all(info["is_success"] for info in infos), [info["episode_metrics"] for info in infos]


def test_bad_walkers_raise(make_env) -> None:
    with pytest.raises(ValueError, match="walker"):
        make_env(ENV_ID, walker="moonwalk")
    with pytest.raises(ValueError, match="walker only applies"):
        make_env(ENV_ID, action="joints", walker="locomotion_a1")
    pytest.importorskip("onnxruntime")
    with pytest.raises(ValueError, match="trained for 'a1'"):
        make_env(ENV_ID, robot="aliengo", walker="locomotion_a1")
    with pytest.raises(ValueError, match="not robodojo/Locomotion-v0"):
        make_env(ENV_ID, walker="fall_recovery_a1")
