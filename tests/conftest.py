"""Shared fixtures: env factories that always close what they make, and id × robot parametrization.

Parametrization reads the registries (``robodojo.envs.ENV_IDS``,
``robodojo.robots.ROBOTS``), so a newly registered env or robot is tested
without editing the tests.
"""

from __future__ import annotations

import os

# The fingerprints (tests/fingerprints.json) are bit-exact, and OpenBLAS picks its matrix kernels by
# CPU: on AVX-512 machines its SkylakeX kernels round small products differently from the Haswell
# (AVX2) kernels the fingerprints were recorded with. Pin those before numpy loads OpenBLAS (the
# Makefile sets it too, for pytest-xdist's workers).
os.environ.setdefault("OPENBLAS_CORETYPE", "Haswell")

import inspect
from collections.abc import Callable, Iterator
from typing import Any

import gymnasium
import numpy as np
import pybullet
import pytest

import robodojo.envs
from robodojo.envs import ENV_IDS
from robodojo.robots import robot_names

DEFAULT_ENV_ID = "robodojo/FallRecovery-v0"
#: PyBullet's client ids are small integers; no test process gets near this.
MAX_CLIENT_ID = 1024


def env_class(env_id: str) -> type[gymnasium.Env]:
    """The class behind a registered id (from its "module:Class" entry point)."""
    return robodojo.envs.env_class(env_id)


def robots_for(env_id: str) -> list[str | None]:
    """Robots an env is tested with: every registered robot of its kind if it takes ``robot=``, else
    [None]."""
    cls = env_class(env_id)
    parameters = inspect.signature(cls.__init__).parameters
    return robot_names(getattr(cls, "ROBOT_KIND", None)) if "robot" in parameters else [None]


def robot_kwargs(robot: str | None) -> dict[str, Any]:
    return {} if robot is None else {"robot": robot}


def env_robot_params() -> list[Any]:
    """pytest params (env_id, robot) for every registered id × robot."""
    return [
        pytest.param(env_id, robot, id=f"{env_id.split('/')[-1]}-{robot}")
        for env_id in sorted(ENV_IDS)
        for robot in robots_for(env_id)
    ]


def robot_params(env_id: str = DEFAULT_ENV_ID) -> list[Any]:
    return [pytest.param(robot, id=str(robot)) for robot in robots_for(env_id)]


def connected_clients() -> set[int]:
    """Ids of the PyBullet clients this process currently holds."""
    return {i for i in range(MAX_CLIENT_ID) if pybullet.isConnected(i)}


@pytest.fixture
def make_env() -> Iterator[Callable[..., gymnasium.Env]]:
    """``make_env(env_id=DEFAULT_ENV_ID, **kwargs)`` → a ``robodojo.envs.make`` env (its TimeLimit
    fitted to the
    arguments), closed after the test."""
    made: list[gymnasium.Env] = []

    def _make(env_id: str = DEFAULT_ENV_ID, **kwargs: Any) -> gymnasium.Env:
        env = robodojo.envs.make(env_id, **kwargs)
        made.append(env)
        return env

    yield _make
    for env in made:
        env.close()


def run_episodes(env: gymnasium.Env, policy_name: str, seeds: range) -> list[dict]:
    """Play one episode per seed with policy ``policy_name`` (see ``make_policy``); return the final
    infos."""
    from robodojo.policies import make_policy

    infos = []
    policy = make_policy(policy_name, env, env.spec.id)
    for seed in seeds:
        observation, _ = env.reset(seed=seed)
        policy.reset()
        while True:
            observation, _, terminated, truncated, info = env.step(policy(observation))
            if terminated or truncated:
                infos.append(info)
                break
    return infos


def random_actions(space: gymnasium.spaces.Box, count: int, seed: int) -> list[np.ndarray]:
    """A reproducible action sequence drawn uniformly from ``space`` (independent of the env's
    RNG)."""
    rng = np.random.default_rng(seed)
    return [rng.uniform(space.low, space.high).astype(space.dtype) for _ in range(count)]


def rollout(
    env: gymnasium.Env,
    seed: int,
    actions: list[np.ndarray],
    between: Callable[[int], None] | None = None,
) -> list[tuple]:
    """Reset with ``seed``, play ``actions`` (resetting, unseeded, when an episode ends).

    Returns one record per reset / step: (obs, reward, terminated, truncated,
    reward_terms, is_success); ``between(step)`` runs before every step.
    """
    observation, info = env.reset(seed=seed)
    records: list[tuple] = [("reset", observation.copy(), info["is_success"])]
    for index, action in enumerate(actions):
        if between is not None:
            between(index)
        observation, reward, terminated, truncated, info = env.step(action)
        records.append(
            (
                observation.copy(),
                reward,
                terminated,
                truncated,
                dict(info["reward_terms"]),
                info["is_success"],
            )
        )
        if terminated or truncated:
            observation, info = env.reset()
            records.append(("reset", observation.copy(), info["is_success"]))
    return records


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (
            isinstance(a, np.ndarray)
            and isinstance(b, np.ndarray)
            and a.dtype == b.dtype
            and np.array_equal(a, b)
        )
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


def assert_same_observation(a: Any, b: Any, err_msg: str = "") -> None:
    """Bit-for-bit equality of two observations: arrays, or Dicts of arrays (goal-conditioned
    envs)."""
    if isinstance(a, dict) or isinstance(b, dict):
        assert isinstance(a, dict) and isinstance(b, dict) and a.keys() == b.keys(), err_msg
        for key in a:
            np.testing.assert_array_equal(a[key], b[key], err_msg=f"{err_msg} [{key}]")
    else:
        np.testing.assert_array_equal(a, b, err_msg=err_msg)


def flat_size(space: gymnasium.spaces.Space) -> int:
    """Values in one observation of ``space``; for a goal-conditioned Dict, the ``observation``
    key's."""
    if isinstance(space, gymnasium.spaces.Dict):
        space = space["observation"]
    return int(space.shape[0])


def assert_same_rollout(a: list[tuple], b: list[tuple]) -> None:
    """Bit-for-bit equality of two :func:`rollout` results, naming the first differing record."""
    assert len(a) == len(b), f"rollouts have {len(a)} and {len(b)} records"
    for index, (x, y) in enumerate(zip(a, b, strict=True)):
        assert _same(x, y), f"rollouts diverge at record {index}:\n{x}\n!=\n{y}"


@pytest.fixture(scope="session")
def dds_domain() -> Iterator[int]:
    """A DDS domain of this test run's own, on loopback only (``CYCLONEDDS_URI`` + ``ROS_DOMAIN_ID``
    set).

    The variables stay set for the session (CycloneDDS reads its config when a
    process first creates a domain) and are inherited by subprocesses, so peer
    processes join the same domain. Skips when ``cyclonedds`` is not installed.
    """
    import os

    pytest.importorskip(
        "cyclonedds", reason="cyclonedds is not installed (pip install 'robodojo[ros]')"
    )
    from robodojo.bridge.loopback import loopback_env, run_domain_id

    # Under pytest-xdist the workers are siblings: derive each one's domain from the shared parent
    # pid plus the worker's number, so two workers of one run never share a domain.
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    domain = (
        run_domain_id(os.getppid() + 1 + int(worker.removeprefix("gw")))
        if worker.startswith("gw")
        else run_domain_id()
    )
    saved = {key: os.environ.get(key) for key in ("CYCLONEDDS_URI", "ROS_DOMAIN_ID")}
    os.environ.update(loopback_env(domain))
    yield domain
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
