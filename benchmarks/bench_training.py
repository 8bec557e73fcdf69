"""Benchmark PPO training speed on robodojo/FallRecovery-v0 with A1: 1 vs 2 worker processes.

``python benchmarks/bench_training.py`` (about 3 minutes; ``--quick`` for a
smoke run). Prints a Markdown table and writes JSON to
``benchmarks/results/training_a1.json``. A measurement, not a test: it always
exits 0. Method: ``benchmarks/README.md``.

Each run builds what ``robodojo train fall_recovery`` builds — the same env
factory, ``DummyVecEnv`` for one worker or ``SubprocVecEnv`` for two,
VecNormalize, PPO with the hyperparameters of ``training/configs/fall_recovery.yaml``,
one torch thread — and times ``model.learn(steps)`` alone (process start-up,
imports and model construction are not timed; periodic evaluation,
checkpoints and the final evaluation of a real run are not included).
Runs alternate 1, 2, 2, 1, ... workers over the rounds; medians are reported.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_fall_recovery import code_version, machine_info, wait_for_idle

RESULTS = Path(__file__).resolve().parent / "results" / "training_a1.json"
ENV_ID, ROBOT = "robodojo/FallRecovery-v0", "a1"


def one_run(workers: int, steps: int, seed: int) -> dict:
    import torch
    from stable_baselines3 import PPO
    from stable_baselines3.common.env_util import make_vec_env
    from stable_baselines3.common.vec_env import DummyVecEnv, SubprocVecEnv, VecNormalize

    from robodojo.training.config import build_config, model_kwargs
    from robodojo.training.train import make_env

    torch.set_num_threads(1)
    config = build_config("fall_recovery", n_envs=workers, seed=seed)
    venv = make_vec_env(
        functools.partial(make_env, ENV_ID),
        n_envs=workers,
        seed=seed,
        env_kwargs={"robot": ROBOT},
        vec_env_cls=SubprocVecEnv if workers > 1 else DummyVecEnv,
    )
    env = VecNormalize(
        venv,
        norm_obs=config["normalize_observations"],
        norm_reward=config["normalize_rewards"],
        gamma=config["algo_kwargs"]["ppo"]["gamma"],
    )
    try:
        model = PPO("MlpPolicy", env, seed=seed, device="cpu", verbose=0, **model_kwargs(config))
        load_before = os.getloadavg()[0]
        start, cpu_start = time.perf_counter(), time.process_time()
        model.learn(steps, progress_bar=False)
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    finally:
        env.close()
    return {
        "workers": workers,
        # PPO finishes its last rollout: a multiple of n_steps x workers
        "steps": model.num_timesteps,
        "seconds": elapsed,
        "steps_per_second": model.num_timesteps / elapsed,
        "trainer_cpu_seconds": cpu,
        "load_average_before": round(load_before, 2),
    }


def markdown(results: dict) -> str:
    summary = results["summary"]
    one, two = summary["1"]["median_steps_per_second"], summary["2"]["median_steps_per_second"]
    lines = [
        f"PPO on {ENV_ID} ({ROBOT}), fall_recovery.yaml hyperparameters, "
        f"{results['steps']:,} steps per run, "
        f"{results['rounds']} round(s):",
        "",
        "| workers | training steps/s (median) | every run | speed-up vs 1 |",
        "|---:|---:|---|---:|",
    ]
    for workers, rate in (("1", one), ("2", two)):
        runs = ", ".join(
            f"{r['steps_per_second']:,.0f}" for r in results["runs"] if str(r["workers"]) == workers
        )
        lines.append(f"| {workers} | {rate:,.0f} | {runs} | {rate / one:.2f}× |")
    machine = results["machine"]
    lines += [
        "",
        f"{machine['cpu_count']} CPUs ({machine.get('cpu_model', '?')}); load average at start "
        f"{machine.get('load_average_at_start')}, at end {results['load_average_at_end']} "
        "(the machine is shared).",
    ]
    if results["quick"]:
        lines += ["", "QUICK RUN: a smoke test of the benchmark, not a measurement."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--steps", type=int, default=20_000, help="training steps per run (default: 20000)"
    )
    parser.add_argument(
        "--rounds", type=int, default=3, help="rounds of (1 worker, 2 workers) runs (default: 3)"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--wait-idle",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="first wait up to SECONDS for other processes to leave the CPUs idle",
    )
    parser.add_argument("--quick", action="store_true", help="smoke run: 1 round of 4096 steps")
    parser.add_argument("--out", type=Path, default=RESULTS, help="JSON output path")
    parser.add_argument("--label", default=None, help="a note stored in the JSON")
    args = parser.parse_args(argv)
    if args.quick:
        args.steps, args.rounds = 4096, 1

    idle = wait_for_idle(args.wait_idle) if args.wait_idle > 0 else None
    started = time.perf_counter()
    runs = []
    for round_index in range(args.rounds):
        order = (1, 2) if round_index % 2 == 0 else (2, 1)
        for workers in order:
            run = one_run(workers, args.steps, args.seed + round_index)
            run["round"] = round_index
            runs.append(run)
            print(
                f"round {round_index + 1}/{args.rounds}: {workers} worker(s) "
                f"{run['steps_per_second']:,.0f} steps/s "
                f"({run['steps']:,} steps in {run['seconds']:.1f} s)",
                file=sys.stderr,
                flush=True,
            )
    summary = {}
    for workers in (1, 2):
        rates = [r["steps_per_second"] for r in runs if r["workers"] == workers]
        summary[str(workers)] = {
            "median_steps_per_second": statistics.median(rates),
            "runs": len(rates),
        }
    summary["speedup_2_vs_1"] = (
        summary["2"]["median_steps_per_second"] / summary["1"]["median_steps_per_second"]
    )
    results = {
        "benchmark": "ppo_training_steps_per_second",
        "env_id": ENV_ID,
        "robot": ROBOT,
        "quick": args.quick,
        "steps": args.steps,
        "rounds": args.rounds,
        "label": args.label,
        "code": code_version(),
        "machine": machine_info(),
        "wait_for_idle": idle,
        "runs": runs,
        "summary": summary,
        "seconds": time.perf_counter() - started,
        "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
    }
    print(markdown(results))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nresults written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
