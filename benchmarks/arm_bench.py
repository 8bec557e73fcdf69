"""What the arm benchmarks (Weld-v0, Transport-v0 vs panda-gym) share: the peer's timing, \
medians, results file.

Imported by the scripts beside it (``python benchmarks/bench_weld.py`` puts
this folder on ``sys.path``).
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import time
from importlib import metadata
from pathlib import Path

import gymnasium as gym
import numpy as np

perf = time.perf_counter


def median(values) -> float:
    return float(statistics.median(values))


def panda_gym_steps_per_s(env_id: str, steps: int) -> float | None:
    """A panda-gym env's steps/s under seeded random actions, resets not timed (None without
    panda-gym)."""
    try:
        import panda_gym  # noqa: F401
    except ImportError:
        return None
    env = gym.make(env_id)
    env.reset(seed=0)
    env.action_space.seed(0)
    actions = [env.action_space.sample() for _ in range(steps)]
    elapsed = 0.0
    for action in actions:
        t0 = perf()
        _, _, terminated, truncated, _ = env.step(action)
        elapsed += perf() - t0
        if terminated or truncated:
            env.reset()
    env.close()
    return steps / elapsed


def write_results(path: Path, summary: dict, rounds: list[dict]) -> None:
    """The JSON every arm benchmark writes: summary, per-round numbers and the machine measured
    on."""
    machine = {
        "cpus": os.cpu_count(), "python": platform.python_version(),
        "pybullet": metadata.version("pybullet"), "numpy": np.__version__,
        "gymnasium": metadata.version("gymnasium"), "loadavg": os.getloadavg(),
    }  # fmt: skip
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps({"summary": summary, "rounds": rounds, "machine": machine}, indent=2) + "\n"
    )
    print(f"\nwrote {path}")
