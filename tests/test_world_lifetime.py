"""Bodies live as long as the world: a world that makes and removes bodies is rebuilt every few
hundred resets
(PyBullet keeps memory for every body it made), and no episode can tell.

The soak tests (3,000 resets of Weld-v0 and Transport-v0 in one process, RSS growth under 30 MB)
take
~3 minutes and run with ``make test-slow``.
"""

from __future__ import annotations

import gc

import numpy as np
import psutil
import pytest
from conftest import assert_same_observation

import robodojo.envs
from robodojo.envs import base

SOAK_RESETS = 3000
SOAK_BUDGET_MB = 30.0


def _episode_start(env, seed: int) -> list:
    observation, _ = env.reset(seed=seed)
    seen = [observation]
    for _ in range(3):
        seen.append(env.step(np.zeros(env.action_space.shape, np.float32))[0])
    return seen


@pytest.mark.parametrize(
    ("env_id", "kwargs"),
    [
        ("robodojo/Weld-v0", {}),
        ("robodojo/Transport-v0", {"parcels": 2}),
        ("robodojo/Locomotion-v0", {"difficulty": 1.0}),
    ],
    ids=["weld", "transport", "debris"],
)
def test_a_worn_world_is_rebuilt_and_episodes_do_not_notice(monkeypatch, env_id, kwargs) -> None:
    monkeypatch.setattr(base, "REBUILD_EVERY_RESETS", 3)
    worn = robodojo.envs.make(env_id, **kwargs)
    try:
        worlds = []  # the Sim objects themselves (PyBullet reuses client ids)
        for seed in range(7):
            start = _episode_start(worn, seed)
            worlds.append(worn.unwrapped.sim)
            fresh = robodojo.envs.make(env_id, **kwargs)
            try:
                for got, want in zip(start, _episode_start(fresh, seed), strict=True):
                    assert_same_observation(got, want, err_msg=f"seed {seed}")
            finally:
                fresh.close()
        # resets 1-3 in the first world, 4-6 in the second, 7 in the third
        assert (
            worlds[0] is worlds[1] is worlds[2]
            and worlds[3] is not worlds[2]
            and worlds[6] is not worlds[5]
        )
        assert worlds[3] is worlds[4] is worlds[5] and worlds[2].closed
    finally:
        worn.close()


def test_a_world_that_removes_nothing_is_kept(monkeypatch) -> None:
    monkeypatch.setattr(base, "REBUILD_EVERY_RESETS", 2)
    env = robodojo.envs.make("robodojo/FallRecovery-v0")
    try:
        worlds = {id((env.reset(seed=seed), env.unwrapped.sim)[1]) for seed in range(5)}
        assert len(worlds) == 1
    finally:
        env.close()


@pytest.mark.slow
@pytest.mark.parametrize("env_id", ["robodojo/Weld-v0", "robodojo/Transport-v0"])
def test_soak_thousands_of_resets_stay_within_the_memory_budget(env_id) -> None:
    process = psutil.Process()
    env = robodojo.envs.make(env_id)
    try:
        for seed in range(200):  # warm up: imports, shape caches, allocator pools
            env.reset(seed=seed)
        gc.collect()
        before = process.memory_info().rss
        for seed in range(200, 200 + SOAK_RESETS):
            env.reset(seed=seed)
        gc.collect()
        grown_mb = (process.memory_info().rss - before) / 2**20
    finally:
        env.close()
    print(f"{env_id}: RSS grew {grown_mb:.1f} MB over {SOAK_RESETS} resets")
    assert grown_mb < SOAK_BUDGET_MB, (
        f"{env_id}: RSS grew {grown_mb:.1f} MB over {SOAK_RESETS} resets"
    )
