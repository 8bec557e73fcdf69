"""Resource hygiene: closing releases the PyBullet client, create/close cycles don't leak memory."""

from __future__ import annotations

import gc

import gymnasium
import numpy as np
import psutil
import pybullet
import pytest
from conftest import DEFAULT_ENV_ID, connected_clients, robot_kwargs, robot_params

CYCLES = 200
RSS_BUDGET_MB = 20.0


def _cycle(index: int, keep: list, robot: str | None = "a1") -> None:
    rgb = index % 10 == 0
    env = gymnasium.make(
        DEFAULT_ENV_ID, render_mode="rgb_array" if rgb else None, **robot_kwargs(robot)
    )
    env.reset(seed=index)
    env.step(np.zeros(env.action_space.shape, env.action_space.dtype))
    if rgb:
        env.render()
    env.close()
    keep.append(env)  # alive, so only close() (not garbage collection) can have released the client


def test_create_close_cycles_leak_no_clients_or_memory():
    process = psutil.Process()
    keep: list = []
    for index in range(20):  # warm up: imports, URDF caches, allocator pools
        _cycle(index, keep)
    keep.clear()
    gc.collect()
    clients_before = connected_clients()
    rss_before = process.memory_info().rss

    for index in range(CYCLES):
        _cycle(index, keep)
    assert connected_clients() == clients_before, (
        f"{len(connected_clients() - clients_before)} PyBullet clients leaked"
    )
    keep.clear()
    gc.collect()
    grown_mb = (process.memory_info().rss - rss_before) / 2**20
    assert grown_mb < RSS_BUDGET_MB, f"RSS grew {grown_mb:.1f} MB over {CYCLES} create/close cycles"
    # a new client still gets a small id: nothing is piling up
    probe = pybullet.connect(pybullet.DIRECT)
    try:
        assert probe <= max(clients_before, default=-1) + 2
    finally:
        pybullet.disconnect(probe)


@pytest.mark.parametrize("robot", robot_params())
def test_every_robot_releases_its_client(robot):
    """Fewer cycles per robot (some URDFs take ~0.5 s to load); the 200-cycle test above uses A1."""
    keep: list = []
    before = connected_clients()
    for index in range(4):
        _cycle(index, keep, robot)
    assert connected_clients() == before


def test_close_is_idempotent_and_releases_the_client():
    env = gymnasium.make(DEFAULT_ENV_ID)
    client_id = env.unwrapped.sim.client._client
    assert pybullet.isConnected(client_id)
    env.close()
    assert not pybullet.isConnected(client_id)
    env.close()
    env.unwrapped.close()


def test_close_without_reset_and_after_blow_up():
    env = gymnasium.make(DEFAULT_ENV_ID)
    env.close()  # never reset
    before = connected_clients()
    env = gymnasium.make(DEFAULT_ENV_ID)
    for _ in range(3):  # every blow-up + reset rebuilds the world; old worlds must be released
        env.reset(seed=0)
        unwrapped = env.unwrapped
        unwrapped.sim.client.resetBaseVelocity(
            unwrapped.task.robot.body_id, [1e6, 0.0, 0.0], [0.0, 0.0, 0.0]
        )
        assert "physics_error" in env.step(np.zeros(env.action_space.shape, np.float32))[4]
    env.reset(seed=0)
    assert len(connected_clients() - before) == 1
    env.close()
    assert connected_clients() == before
