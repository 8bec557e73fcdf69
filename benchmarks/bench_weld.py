"""Benchmark robodojo/Weld-v0: env steps/s vs the raw PyBullet work of the same scene, and \
vs panda-gym.

Run ``make bench`` (or ``python benchmarks/bench_weld.py``; ``--quick`` for a
smoke run). Prints a Markdown table and writes JSON to
``benchmarks/results/weld.json``. A measurement, not a test: it always exits 0
and says which target was met. Method: ``benchmarks/README.md``.

Target (from the issue): Weld-v0 steps/s ≥ 2 × panda-gym's PandaReach-v3
steps/s, measured side by side in the same run.
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

ENV_ID = "robodojo/Weld-v0"
RESULTS = Path(__file__).resolve().parent / "results" / "weld.json"
TARGET_VS_PANDA = 2.0


def time_env(
    env: gym.Env, policy_name: str, seeds: list[int], steps: int
) -> tuple[float, float, list[np.ndarray]]:
    """(env seconds, policy seconds, joint trajectory) for ``steps`` steps per seed; resets are not
    timed."""
    env_time = policy_time = 0.0
    trajectory: list[np.ndarray] = []
    policy = make_policy(policy_name, env, ENV_ID, seed=0)
    for seed in seeds:
        observation, _ = env.reset(seed=seed)
        policy.reset()
        for _ in range(steps):
            t0 = perf()
            action = policy(observation)
            t1 = perf()
            observation, _, terminated, truncated, _ = env.step(action)
            t2 = perf()
            policy_time += t1 - t0
            env_time += t2 - t1
            trajectory.append(env.unwrapped.task.arm.q.copy())
            if terminated or truncated:
                break
    return env_time, policy_time, trajectory


def time_raw(env: gym.Env, seed: int, trajectory: list[np.ndarray]) -> float:
    """Seconds for the simulator calls a kinematic welding step needs, replaying the env's joints.

    Per step: set every joint, forward kinematics of the flange, carry the torch
    along, and the collision pass with the arm's and torch's contacts — what
    any kinematic welding env must ask PyBullet for, with no IK or scoring.
    """
    env.reset(seed=seed)
    arm, client = env.unwrapped.task.arm, env.unwrapped.sim.client
    reset_joint, link_state, reset_base = (
        client.resetJointState,
        client.getLinkState,
        client.resetBasePositionAndOrientation,
    )
    body, torch, joints, flange = arm.body_id, arm.tool_body_id, arm.joint_ids, arm.flange_index
    t0 = perf()
    for q in trajectory:
        for joint, value in zip(joints, q.tolist(), strict=True):
            reset_joint(body, joint, value)
        state = link_state(body, flange, computeForwardKinematics=True)
        reset_base(torch, state[4], state[5])
        arm.contact_distance()  # the collision pass, as the env runs it
    return perf() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one short round (smoke run)")
    parser.add_argument("--robot", default="kuka_iiwa")
    args = parser.parse_args()
    rounds, seeds, steps = (1, [0, 1], 150) if args.quick else (5, list(range(6)), 400)

    env = gym.make(ENV_ID, robot=args.robot)
    per_round: list[dict] = []
    for index in range(rounds):
        row: dict = {}
        for name in ("teach_and_repeat", "seam_tracking"):
            env_s, policy_s, trajectory = time_env(env, name, seeds, steps)
            row[name] = {
                "steps": len(trajectory),
                "env_steps_per_s": len(trajectory) / env_s,
                "policy_us": 1e6 * policy_s / len(trajectory),
            }
            if name == "teach_and_repeat":
                raw = sum(
                    time_raw(env, seed, trajectory[i * steps : (i + 1) * steps])
                    for i, seed in enumerate(seeds)
                )
                row["raw_steps_per_s"] = len(trajectory) / raw
        row["panda_reach_steps_per_s"] = panda_gym_steps_per_s("PandaReach-v3", len(seeds) * steps)
        per_round.append(row)
        print(f"round {index + 1}/{rounds}: "
              f"weld {row['teach_and_repeat']['env_steps_per_s']:.0f} steps/s, "
              f"raw {row['raw_steps_per_s']:.0f}, "
              f"panda-gym {row['panda_reach_steps_per_s'] or float('nan'):.0f}",
              file=sys.stderr)  # fmt: skip
    env.close()

    weld = median([r["teach_and_repeat"]["env_steps_per_s"] for r in per_round])
    tracking = median([r["seam_tracking"]["env_steps_per_s"] for r in per_round])
    raw = median([r["raw_steps_per_s"] for r in per_round])
    panda_rounds = [r["panda_reach_steps_per_s"] for r in per_round if r["panda_reach_steps_per_s"]]
    vs_panda = (
        median(
            [
                r["teach_and_repeat"]["env_steps_per_s"] / r["panda_reach_steps_per_s"]
                for r in per_round
            ]
        )
        if panda_rounds
        else None
    )
    summary = {
        "robot": args.robot,
        "weld_steps_per_s": weld,
        "weld_steps_per_s_seam_tracking_env_only": tracking,
        "seam_tracking_policy_us": median([r["seam_tracking"]["policy_us"] for r in per_round]),
        "raw_steps_per_s": raw,
        "env_vs_raw": median(
            [r["teach_and_repeat"]["env_steps_per_s"] / r["raw_steps_per_s"] for r in per_round]
        ),
        "panda_reach_steps_per_s": median(panda_rounds) if panda_rounds else None,
        "weld_vs_panda_reach": vs_panda,
        "target_vs_panda": TARGET_VS_PANDA,
        "target_met": None if vs_panda is None else vs_panda >= TARGET_VS_PANDA,
    }
    print("\n| measure | value |\n|---|---|")
    print(f"| Weld-v0 ({args.robot}) env steps/s (teach-and-repeat actions) | {weld:,.0f} |")
    print(f"| Weld-v0 env steps/s under seam tracking (env time only) | {tracking:,.0f} |")
    print(f"| seam-tracking controller, µs per call | {summary['seam_tracking_policy_us']:.0f} |")
    print(f"| raw PyBullet calls of the same scene, steps/s | {raw:,.0f} |")
    print(f"| env / raw | {summary['env_vs_raw']:.2f} |")
    if vs_panda is None:
        print("| panda-gym PandaReach-v3 | not installed (pip install 'robodojo[bench]') |")
    else:
        print(
            "| panda-gym PandaReach-v3 steps/s, same run | "
            f"{summary['panda_reach_steps_per_s']:,.0f} |"
        )
        print(
            f"| Weld-v0 / PandaReach-v3 (target ≥ {TARGET_VS_PANDA:.0f}) | {vs_panda:.2f} "
            f"({'met' if summary['target_met'] else 'missed'}) |"
        )
    if not args.quick:
        write_results(RESULTS, summary, per_round)


if __name__ == "__main__":
    main()
