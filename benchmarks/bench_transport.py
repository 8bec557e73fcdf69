"""Benchmark robodojo/Transport-v0: env steps/s vs the raw PyBullet work of the same scene, \
and vs panda-gym.

Run ``make bench`` (or ``python benchmarks/bench_transport.py``; ``--quick`` for
a smoke run). Prints a Markdown table and writes JSON to
``benchmarks/results/transport.json``. A measurement, not a test: it always
exits 0 and says whether the target was met. Method: ``benchmarks/README.md``.

Target (from the issue): Transport-v0 steps/s ≥ 2 × panda-gym's
PandaPickAndPlace-v3 steps/s at the same control rate (both 25 Hz),
measured side by side in the same run, both under uniform random actions.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import gymnasium as gym
import numpy as np
from arm_bench import median, panda_gym_steps_per_s, perf, write_results

import robodojo.envs  # noqa: F401  (registers the ids)
from robodojo.policies import make_policy

ENV_ID = "robodojo/Transport-v0"
RESULTS = Path(__file__).resolve().parent / "results" / "transport.json"
TARGET_VS_PANDA = 2.0


def time_env(
    env: gym.Env, policy_name: str, seeds: list[int], steps: int
) -> tuple[int, float, list[np.ndarray]]:
    """(steps run, env seconds, arm joint trajectory) over ``steps`` steps per seed; resets and the
    policy are not timed."""
    policy = make_policy(policy_name, env, ENV_ID, seed=0)
    env_time, count, trajectory = 0.0, 0, []
    for seed in seeds:
        observation, _ = env.reset(seed=seed)
        policy.reset()
        for _ in range(steps):
            action = policy(observation)
            t0 = perf()
            observation, _, terminated, truncated, _ = env.step(action)
            env_time += perf() - t0
            count += 1
            trajectory.append(env.unwrapped.task.arm.joint_state()[0])
            if terminated or truncated:
                break
    return count, env_time, trajectory


def time_raw(env: gym.Env, seed: int, trajectory: list[np.ndarray]) -> float:
    """Seconds for the physics a step needs, replaying the env's joints as servo targets.

    Per step: one arm servo command (the joints the env reached) and the 10
    physics substeps of the same scene (arm, hand, parcel, table, conveyor,
    pallet) — no IK, observation, contact bookkeeping or reward.
    """
    env.reset(seed=seed)
    unwrapped = env.unwrapped
    arm, step, substeps = (
        unwrapped.task.arm,
        unwrapped.sim.client.stepSimulation,
        unwrapped.substeps,
    )
    t0 = perf()
    for q in trajectory:
        arm.command_joints(q, arm.hand.max_opening)
        for _ in range(substeps):
            step()
    return perf() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one short round (smoke run)")
    parser.add_argument("--robot", default="panda")
    args = parser.parse_args()
    rounds, seeds, steps = (1, [0, 1], 100) if args.quick else (5, list(range(4)), 250)

    env = gym.make(ENV_ID, robot=args.robot)
    per_round: list[dict] = []
    for index in range(rounds):
        row: dict = {}
        for name in ("random", "pick_and_place"):
            count, env_s, trajectory = time_env(env, name, seeds, steps)
            row[name] = {"steps": count, "env_steps_per_s": count / env_s}
            if name == "random":
                raw = sum(
                    time_raw(env, seed, trajectory[i * steps : (i + 1) * steps])
                    for i, seed in enumerate(seeds)
                )
                row["raw_steps_per_s"] = count / raw
        row["panda_pick_and_place_steps_per_s"] = panda_gym_steps_per_s(
            "PandaPickAndPlace-v3", len(seeds) * steps
        )
        per_round.append(row)
        print(f"round {index + 1}/{rounds}: "
              f"transport {row['random']['env_steps_per_s']:.0f} steps/s, raw "
              f"{row['raw_steps_per_s']:.0f}, "
              f"panda-gym {row['panda_pick_and_place_steps_per_s'] or float('nan'):.0f}",
              file=sys.stderr)  # fmt: skip
    env.close()

    ours = median([r["random"]["env_steps_per_s"] for r in per_round])
    scripted = median([r["pick_and_place"]["env_steps_per_s"] for r in per_round])
    raw = median([r["raw_steps_per_s"] for r in per_round])
    panda_rounds = [
        r["panda_pick_and_place_steps_per_s"]
        for r in per_round
        if r["panda_pick_and_place_steps_per_s"]
    ]
    vs_panda = (
        median(
            [
                r["random"]["env_steps_per_s"] / r["panda_pick_and_place_steps_per_s"]
                for r in per_round
            ]
        )
        if panda_rounds
        else None
    )
    summary = {
        "robot": args.robot,
        "transport_steps_per_s": ours,
        "transport_steps_per_s_scripted": scripted,
        "raw_steps_per_s": raw,
        "env_vs_raw": median(
            [r["random"]["env_steps_per_s"] / r["raw_steps_per_s"] for r in per_round]
        ),
        "panda_pick_and_place_steps_per_s": median(panda_rounds) if panda_rounds else None,
        "transport_vs_panda_pick_and_place": vs_panda,
        "control_hz": {"transport": 25, "panda_pick_and_place": 25},
        "target_vs_panda": TARGET_VS_PANDA,
        "target_met": None if vs_panda is None else vs_panda >= TARGET_VS_PANDA,
    }
    print("\n| measure | value |\n|---|---|")
    print(f"| Transport-v0 ({args.robot}) env steps/s, random actions | {ours:,.0f} |")
    print(
        "| Transport-v0 env steps/s under the scripted pick-and-place (env time only) | "
        f"{scripted:,.0f} |"
    )
    print(
        "| raw PyBullet physics of the same scene (servo command + 10 substeps), steps/s | "
        f"{raw:,.0f} |"
    )
    print(f"| env / raw | {summary['env_vs_raw']:.2f} |")
    if vs_panda is None:
        print("| panda-gym PandaPickAndPlace-v3 | not installed (pip install 'robodojo[bench]') |")
    else:
        print(
            "| panda-gym PandaPickAndPlace-v3 steps/s, random actions, same run | "
            f"{summary['panda_pick_and_place_steps_per_s']:,.0f} |"
        )
        print(f"| Transport-v0 / PandaPickAndPlace-v3 (target ≥ {TARGET_VS_PANDA:.0f}) | "
              f"{vs_panda:.2f} ({'met' if summary['target_met'] else 'missed'}) |")  # fmt: skip
    if not args.quick:
        write_results(RESULTS, summary, per_round)


if __name__ == "__main__":
    main()
