"""Benchmark the legged scenarios on rubble: env vs raw physics per difficulty, terrain \
generation, and AntBulletEnv-v0.

Run ``make bench`` (or ``python benchmarks/bench_legged.py``; ``--quick`` for a
smoke run that writes nothing). Prints a Markdown table and writes JSON to
``benchmarks/results/legged.json``. A measurement, not a test: it always exits
0. Method: ``benchmarks/README.md``.

What the issue asks for, and why each is measured:

* **env steps/s against raw physics on each difficulty** — Locomotion-v0 (A1,
  50 Hz, 5 physics steps of 4 ms) under the scripted trot at difficulty 0,
  0.25, 0.5 and 0.75, and QuadrupedRescue-v0's velocity level (10 Hz, 25
  physics steps) under the scripted rescuer. Rubble makes contacts, and
  contacts make physics dearer, so the env's overhead is judged against
  ``stepSimulation`` of the very same scene and states: the env's own motor
  commands replayed on its own PyBullet client (fall-recovery's method).
* **terrain generation time** — ``generate_terrain`` (numpy), the heightfield
  swap ``TerrainBody.update`` and a whole ``env.reset()``: what a fresh field
  at every reset costs.
* **side by side with pybullet-envs-gymnasium's AntBulletEnv-v0**, the legged
  PyBullet peer, in the same run and interleaved with ours, compared in env
  steps/s and in physics steps/s (Ant: one ``stepSimulation`` of 4 substeps of
  0.0165 / 4 s per action, 5 solver iterations; ours: 4 ms steps, 50
  iterations).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
from arm_bench import median, perf, write_results
from bench_fall_recovery import (
    _joint_positions,
    code_version,
    time_env,
    time_raw,
)  # the same timing as fall recovery's

import robodojo.envs  # noqa: F401  (registers the ids)
from robodojo.policies import make_policy
from robodojo.sim_assets.terrain import generate_terrain

LOCOMOTION = "robodojo/Locomotion-v0"
RESCUE = "robodojo/QuadrupedRescue-v0"
ANT = "AntBulletEnv-v0"
ROBOT = "a1"
DIFFICULTIES = (0.0, 0.25, 0.5, 0.75)
RESULTS = Path(__file__).resolve().parent / "results" / "legged.json"
#: Forward commands only, so the trot crosses the rubble instead of backing onto the flat start pad
#: or standing.
WALK_COMMANDS = {
    "command_ranges": ((0.3, 0.5), (-0.1, 0.1), (-0.2, 0.2)),
    "standing_probability": 0.0,
}


# --------------------------------------------------------------------------------------
# ours: env vs raw physics, on recorded segments
# --------------------------------------------------------------------------------------
@dataclass
class Segment:
    """One episode start (seed), the actions the env is timed on, and the motor commands it sent.

    ``commands`` holds each ``setJointMotorControlArray`` call of the episode with
    the number of physics steps after it (recorded once, untimed); replaying
    them on the env's client visits the env's states exactly.
    """

    seed: int
    actions: list[np.ndarray]
    commands: list[list[Any]]
    final_q: tuple[float, ...]
    walked: float  #: base x displacement over the segment, m
    fell: bool

    @property
    def physics_steps(self) -> int:
        return sum(command[3] for command in self.commands)


def record_segment(env: gym.Env, env_id: str, seed: int, max_steps: int) -> Segment:
    """Run one seed under the scripted policy (untimed) to fix its actions and record the motor
    commands."""
    task = env.unwrapped.task
    robot = task.robot
    commands: list[list[Any]] = []  # [mode, args, kwargs, physics steps after it]
    original_set, original_step = robot._set_motor, robot._step

    def recording_set(body: int, joints: list[int], mode: int, *args: Any, **kwargs: Any) -> Any:
        commands.append(
            [mode, args, {k: [float(v) for v in value] for k, value in kwargs.items()}, 0]
        )
        return original_set(body, joints, mode, *args, **kwargs)

    def recording_step() -> Any:
        commands[-1][3] += 1
        return original_step()

    observation, _ = env.reset(seed=seed)
    policy = make_policy("scripted", env, env_id)
    policy.reset()
    start_x = float(task.base_position[0])
    robot._set_motor, robot._step = (
        recording_set,
        recording_step,
    )  # the episode's commands, not the reset's
    actions, fell = [], False
    try:
        for _ in range(max_steps):
            action = policy(observation)
            actions.append(action)
            observation, _, terminated, truncated, _ = env.step(action)
            if terminated or truncated:
                fell = bool(terminated)
                break
    finally:
        robot._set_motor, robot._step = original_set, original_step
    return Segment(
        seed, actions, commands, _joint_positions(env), float(task.base_position[0]) - start_x, fell
    )


@dataclass
class Case:
    """One of our env configurations, its env and its recorded segments."""

    name: str
    env_id: str
    difficulty: float
    kwargs: dict[str, Any]
    env: gym.Env = field(init=False)
    segments: list[Segment] = field(default_factory=list)

    def open(self, seeds: list[int], max_steps: int) -> None:
        self.env = gym.make(self.env_id, robot=ROBOT, difficulty=self.difficulty, **self.kwargs)
        self.env.reset(seed=10_000)  # the first reset runs Gymnasium's passive checker: keep it out
        self.segments = [record_segment(self.env, self.env_id, seed, max_steps) for seed in seeds]

    @property
    def substeps(self) -> int:
        return int(self.env.unwrapped.substeps)

    @property
    def control_dt(self) -> float:
        return float(self.env.unwrapped.control_dt)

    def time_round(self, round_index: int) -> dict[str, Any]:
        """Every segment once through the env and once raw, in alternating order."""
        env_time = raw_time = 0.0
        env_steps = raw_steps = 0
        exact = True
        for k, segment in enumerate(self.segments):
            # Alternate which goes first so drift in machine load hits both alike.
            for which in ("env", "raw") if (round_index + k) % 2 == 0 else ("raw", "env"):
                if which == "env":
                    seconds, steps, same = time_env(self.env, segment)
                    env_time, env_steps = env_time + seconds, env_steps + steps
                else:
                    seconds, _, steps, same = time_raw(self.env, segment)
                    raw_time, raw_steps = raw_time + seconds, raw_steps + steps
                exact = exact and same
        env_rate = env_steps / env_time
        raw_rate = raw_steps / raw_time
        return {
            "env_steps_per_s": env_rate,
            "physics_steps_per_s": env_rate * self.substeps,
            "raw_steps_per_s": raw_rate,
            "env_vs_raw": env_rate * self.substeps / raw_rate,
            "replay_matches_env": exact,
        }


# --------------------------------------------------------------------------------------
# the peer: AntBulletEnv-v0
# --------------------------------------------------------------------------------------
class Ant:
    """pybullet-envs-gymnasium's AntBulletEnv-v0 under seeded random actions (None-valued without
    the package)."""

    def __init__(self, steps: int) -> None:
        self.env: gym.Env | None = None
        self.error: str | None = None
        try:
            import pybullet_envs_gymnasium  # noqa: F401  (registers the ids)

            self.env = gym.make(ANT)
        except (
            ImportError,
            AttributeError,
            gym.error.Error,
        ) as exc:  # not installed, or broken with this Gymnasium: report it
            self.error = f"{type(exc).__name__}: {exc}"
            return
        self.env.reset(seed=0)
        self.env.action_space.seed(0)
        self.actions = [self.env.action_space.sample() for _ in range(steps)]
        scene = self.env.unwrapped.scene
        self.substeps = int(scene.frame_skip)
        self.physics_dt = float(scene.timestep)
        self.control_dt = self.physics_dt * self.substeps
        self.solver_iterations = int(scene.cpp_world.numSolverIterations)

    def time_round(self) -> dict[str, Any] | None:
        """Env steps/s (resets not timed) and its own ``stepSimulation`` time, from one shared timer
        wrapper."""
        if self.env is None:
            return None
        client = self.env.unwrapped._p
        original = client.stepSimulation
        in_physics = [0.0]

        def timed_step() -> Any:  # ~0.2 µs a call against a ~0.5 ms step
            t0 = perf()
            try:
                return original()
            finally:
                in_physics[0] += perf() - t0

        client.stepSimulation = timed_step  # an instance attribute shadows BulletClient.__getattr__
        try:
            self.env.reset(seed=0)
            elapsed, resets = 0.0, 0
            for action in self.actions:
                t0 = perf()
                _, _, terminated, truncated, _ = self.env.step(action)
                elapsed += perf() - t0
                if terminated or truncated:
                    resets += 1
                    self.env.reset()
        finally:
            del client.stepSimulation
        env_rate = len(self.actions) / elapsed
        return {
            "env_steps_per_s": env_rate,
            "physics_steps_per_s": env_rate * self.substeps,
            # one stepSimulation call = `substeps` internal steps (numSubSteps); resets' own calls
            # are not counted
            "raw_steps_per_s": len(self.actions) * self.substeps / in_physics[0],
            "env_vs_raw": in_physics[0] / elapsed,
            "episodes_ended": resets,
        }

    def close(self) -> None:
        if self.env is not None:
            self.env.close()


# --------------------------------------------------------------------------------------
# terrain generation and reset
# --------------------------------------------------------------------------------------
def bench_terrain(cases: dict[str, Case], repeats: int) -> dict[str, dict[str, float]]:
    """Medians per difficulty of generate_terrain, TerrainBody.update and env.reset (difficulties
    interleaved)."""
    samples: dict[float, dict[str, list[float]]] = {
        d: {"generate": [], "update": [], "reset_locomotion": [], "reset_rescue": []}
        for d in DIFFICULTIES
    }
    for i in range(repeats):
        for d in DIFFICULTIES:
            seed = 20_000 + i
            locomotion, rescue = cases[f"locomotion-{d}"].env, cases[f"rescue-{d}"].env
            rng = np.random.default_rng(seed)
            t0 = perf()
            terrain = generate_terrain(rng, d)
            samples[d]["generate"].append(perf() - t0)
            body = locomotion.unwrapped.task.terrain_body
            t0 = perf()
            body.update(terrain)
            samples[d]["update"].append(perf() - t0)
            t0 = perf()
            locomotion.reset(seed=seed)
            samples[d]["reset_locomotion"].append(perf() - t0)
            t0 = perf()
            rescue.reset(seed=seed)
            samples[d]["reset_rescue"].append(perf() - t0)
    return {
        str(d): {f"{key}_ms": median(values) * 1e3 for key, values in s.items()}
        for d, s in samples.items()
    }


# --------------------------------------------------------------------------------------
# report
# --------------------------------------------------------------------------------------
def markdown(summary: dict[str, Any]) -> str:
    ant = summary["ant"]
    lines = [
        (
            "| env | difficulty | control Hz × substeps | env steps/s | physics steps/s "
            "| sim s / wall s | raw stepSimulation/s "
            "| env / raw | ours / Ant, env steps | ours / Ant, physics steps | walked, m (falls) |"
        ),
        "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for row in summary["cases"]:
        vs_env = "—" if row["vs_ant_env_steps"] is None else f"{row['vs_ant_env_steps']:.2f}"
        vs_physics = (
            "—" if row["vs_ant_physics_steps"] is None else f"{row['vs_ant_physics_steps']:.2f}"
        )
        lines.append(
            f"| {row['env_id'].split('/')[1]}{' (velocity)' if row['env_id'] == RESCUE else ''} "
            f"| {row['difficulty']:.2f} "
            f"| {1 / row['control_dt']:.0f} × {row['substeps']} | {row['env_steps_per_s']:,.0f} "
            f"| {row['physics_steps_per_s']:,.0f} "
            f"| {row['real_time_factor']:.1f} | {row['raw_steps_per_s']:,.0f} "
            f"| {row['env_vs_raw']:.2f} | {vs_env} | {vs_physics} "
            f"| {row['walked_m_mean']:.2f} ({row['falls']}/{row['segments']}) |"
        )
    if ant.get("error"):
        lines.append(f"| {ANT} | — | not available: {ant['error']} | | | | | | | | |")
    else:
        lines.append(
            f"| {ANT} (random actions) | — | {1 / ant['control_dt']:.1f} × {ant['substeps']} "
            f"| {ant['env_steps_per_s']:,.0f} "
            f"| {ant['physics_steps_per_s']:,.0f} | {ant['real_time_factor']:.1f} "
            f"| {ant['raw_steps_per_s']:,.0f} | {ant['env_vs_raw']:.2f} "
            "| 1 | 1 | — |"
        )
    exact = all(row["replay_matches_env"] for row in summary["cases"])
    lines += [
        "",
        "Raw replays visit the env's states exactly (final joint angles equal, every case): "
        f"{exact}.",
        "",
        "| difficulty | generate_terrain | TerrainBody.update | Locomotion-v0 reset "
        "| QuadrupedRescue-v0 reset |",
        "|---:|---:|---:|---:|---:|",
    ]
    for d, t in summary["terrain"].items():
        lines.append(
            f"| {float(d):.2f} | {t['generate_ms']:.2f} ms | {t['update_ms']:.2f} ms "
            f"| {t['reset_locomotion_ms']:.1f} ms | {t['reset_rescue_ms']:.1f} ms |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="one short round (smoke run; writes nothing)"
    )
    args = parser.parse_args(argv)
    # rounds, seeds per case, Locomotion steps per seed (5 s), Rescue steps per seed (5 s),
    # Ant steps, terrain repeats
    rounds, seeds, walk_steps, rescue_steps, ant_steps, terrain_repeats = (
        (1, [0], 50, 10, 200, 3) if args.quick else (5, [0, 1, 2], 250, 50, 1000, 20)
    )

    started = perf()
    cases: dict[str, Case] = {}
    for d in DIFFICULTIES:
        cases[f"locomotion-{d}"] = Case(f"locomotion-{d}", LOCOMOTION, d, dict(WALK_COMMANDS))
    for d in DIFFICULTIES:
        cases[f"rescue-{d}"] = Case(f"rescue-{d}", RESCUE, d, {"action": "velocity"})
    for case in cases.values():
        case.open(seeds, walk_steps if case.env_id == LOCOMOTION else rescue_steps)
    ant = Ant(ant_steps)
    if ant.error:
        print(f"{ANT} not available ({ant.error}); pip install 'robodojo[bench]'", file=sys.stderr)

    per_round: list[dict[str, Any]] = []
    for r in range(rounds):
        row: dict[str, Any] = {}
        order = [*cases, "ant"]
        if r % 2:
            order.reverse()  # alternate which side goes first
        for name in order:
            row[name] = ant.time_round() if name == "ant" else cases[name].time_round(r)
        per_round.append(row)
        ant_rate = row["ant"]["env_steps_per_s"] if row["ant"] else float("nan")
        print(f"round {r + 1}/{rounds}: "
              f"locomotion d=0 {row['locomotion-0.0']['env_steps_per_s']:.0f} steps/s, d=0.75 "
              f"{row['locomotion-0.75']['env_steps_per_s']:.0f}, "
              f"rescue d=0.25 {row['rescue-0.25']['env_steps_per_s']:.0f}, "
              f"Ant {ant_rate:.0f}", file=sys.stderr)  # fmt: skip

    summary: dict[str, Any] = {
        "robot": ROBOT,
        "code": code_version(),
        "rounds": rounds,
        "seeds": seeds,
        "cases": [],
    }
    for name, case in cases.items():
        rows = [r[name] for r in per_round]
        entry: dict[str, Any] = {
            "env_id": case.env_id,
            "difficulty": case.difficulty,
            "kwargs": dict(case.kwargs),
            "substeps": case.substeps,
            "control_dt": case.control_dt,
            "physics_dt": float(case.env.unwrapped.physics_dt),
            "solver_iterations": int(case.env.unwrapped.sim.solver_iterations),
            "control_steps_per_round": sum(len(s.actions) for s in case.segments),
            "physics_steps_per_round": sum(s.physics_steps for s in case.segments),
            "segments": len(case.segments),
            "walked_m_mean": float(np.mean([s.walked for s in case.segments])),
            "falls": sum(s.fell for s in case.segments),
            "replay_matches_env": all(r["replay_matches_env"] for r in rows),
        }
        for key in ("env_steps_per_s", "physics_steps_per_s", "raw_steps_per_s", "env_vs_raw"):
            entry[key] = median([r[key] for r in rows])
        entry["real_time_factor"] = entry["env_steps_per_s"] * case.control_dt
        with_ant = [(r[name], r["ant"]) for r in per_round if r["ant"]]
        # ratios per round (both sides saw the same load), then the median
        entry["vs_ant_env_steps"] = (
            median([o["env_steps_per_s"] / a["env_steps_per_s"] for o, a in with_ant])
            if with_ant
            else None
        )
        entry["vs_ant_physics_steps"] = (
            median([o["physics_steps_per_s"] / a["physics_steps_per_s"] for o, a in with_ant])
            if with_ant
            else None
        )
        summary["cases"].append(entry)
    if ant.env is None:
        summary["ant"] = {"error": ant.error}
    else:
        rows = [r["ant"] for r in per_round]
        summary["ant"] = {
            key: median([r[key] for r in rows])
            for key in ("env_steps_per_s", "physics_steps_per_s", "raw_steps_per_s", "env_vs_raw")
        }
        summary["ant"].update(
            package_version=_version("pybullet-envs-gymnasium"), steps_per_round=ant_steps,
            substeps=ant.substeps, physics_dt=ant.physics_dt, control_dt=ant.control_dt,
            solver_iterations=ant.solver_iterations,
            real_time_factor=summary["ant"]["env_steps_per_s"] * ant.control_dt,
        )  # fmt: skip
    summary["terrain"] = bench_terrain(cases, terrain_repeats)
    summary["terrain_repeats"] = terrain_repeats
    for case in cases.values():
        case.env.close()
    ant.close()
    summary["seconds"] = perf() - started

    print()
    print(markdown(summary))
    if not args.quick:
        write_results(RESULTS, summary, per_round)
    return 0


def _version(package: str) -> str | None:
    from importlib import metadata

    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


if __name__ == "__main__":
    sys.exit(main())
