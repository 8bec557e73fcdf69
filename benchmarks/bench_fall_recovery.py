"""Benchmark robodojo/FallRecovery-v0 with A1: env speed vs raw physics, reset time, \
process scaling.

Run ``make bench`` (or ``python benchmarks/bench_fall_recovery.py``). Prints a
Markdown table and writes JSON to ``benchmarks/results/fall_recovery_a1.json``.
This is a measurement, not a test: it always exits 0 and reports which
targets were met. Method: ``benchmarks/README.md``.

Targets (from the issue): env physics steps/s ≥ 0.8 × raw ``stepSimulation``
steps/s of the same scene; median reset ≤ 2 ms (no URDF reload); 2 worker
processes ≥ 1.7 × the throughput of one.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing as mp
import os
import platform
import statistics
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path

import gymnasium as gym
import numpy as np

import robodojo.envs
from robodojo.policies import make_policy

ENV_ID = "robodojo/FallRecovery-v0"
ROBOT = "a1"
RESULTS = Path(__file__).resolve().parent / "results" / "fall_recovery_a1.json"
TARGETS = {"ratio": 0.8, "reset_median_ms": 2.0, "scaling": 1.7}

perf = time.perf_counter


def make_env(**kwargs) -> gym.Env:
    return gym.make(ENV_ID, robot=ROBOT, **kwargs)


def median(values) -> float:
    return float(statistics.median(values))


def percentile(values, q: float) -> float:
    return float(np.percentile(np.asarray(values, dtype=float), q))


# --------------------------------------------------------------------------------------
# env vs raw physics
# --------------------------------------------------------------------------------------
class Segment:
    """One episode start (seed) and the fixed action sequence the env is timed on.

    ``commands`` are the motor commands the env sent, each with the number of
    physics steps that followed it (recorded once, untimed); the raw replay
    sends exactly these and steps the world, so it visits the same states as
    the env, bit for bit.
    """

    def __init__(
        self, seed: int, actions: list[np.ndarray], commands: list[tuple], final_q: tuple
    ) -> None:
        self.seed = seed
        self.actions = actions
        self.commands = commands
        self.final_q = final_q


def _robot(env: gym.Env):
    return env.unwrapped.task.robot


def _joint_positions(env: gym.Env) -> tuple:
    robot = _robot(env)
    client = env.unwrapped.sim.client
    return tuple(s[0] for s in client.getJointStates(robot.body_id, robot.joint_ids))


def record_segments(env: gym.Env, policy_name: str, seeds: range, max_steps: int) -> list[Segment]:
    """Run each seed once (untimed) to fix its action sequence and record the PD commands sent."""
    robot = _robot(env)
    segments = []
    for seed in seeds:
        commands: list[list] = []  # [mode, args, kwargs, physics steps after it]
        original_set, original_step = robot._set_motor, robot._step

        # The defaults bind this iteration's list and originals; the closures are installed and
        # removed within the iteration, so they are never called with another's.
        def recording_set(
            body, joints, mode, *args, commands=commands, original_set=original_set, **kwargs
        ):
            commands.append(
                [mode, args, {k: [float(v) for v in value] for k, value in kwargs.items()}, 0]
            )
            return original_set(body, joints, mode, *args, **kwargs)

        def recording_step(commands=commands, original_step=original_step):
            commands[-1][3] += 1
            return original_step()

        observation, _ = env.reset(seed=seed)
        robot._set_motor, robot._step = (
            recording_set,
            recording_step,
        )  # the episode's, not the reset's
        try:
            if policy_name == "random":
                rng = np.random.default_rng(1000 + seed)
                policy = None
            else:
                policy = make_policy(policy_name, env, ENV_ID)
                policy.reset()
            actions = []
            for _ in range(max_steps):
                action = (
                    rng.uniform(-1.0, 1.0, size=env.action_space.shape).astype(np.float32)
                    if policy is None
                    else policy(observation)
                )
                actions.append(action)
                observation, _, terminated, truncated, _ = env.step(action)
                if terminated or truncated:
                    break
        finally:
            robot._set_motor, robot._step = original_set, original_step
        segments.append(Segment(seed, actions, commands, _joint_positions(env)))
    return segments


def time_env(env: gym.Env, segment: Segment) -> tuple[float, int, bool]:
    """Seconds spent in env.step over the segment (reset excluded), control steps, and whether it
    replayed exactly."""
    env.reset(seed=segment.seed)
    step = env.step
    actions = segment.actions
    start = perf()
    for action in actions:
        step(action)
    elapsed = perf() - start
    return elapsed, len(actions), _joint_positions(env) == segment.final_q


def time_raw(env: gym.Env, segment: Segment) -> tuple[float, float, int, bool]:
    """Replay the segment's motor commands on the env's own client, each followed by its physics
    steps.

    Returns stepSimulation-only seconds, command+step seconds, physics steps, and whether the
    replay matched.
    """
    env.reset(seed=segment.seed)
    unwrapped = env.unwrapped
    robot = _robot(env)
    client = unwrapped.sim.client
    set_motor = client.setJointMotorControlArray
    step_simulation = client.stepSimulation
    body, joints = robot.body_id, robot.joint_ids
    in_step = 0.0
    start = perf()
    for mode, args, kwargs, steps in segment.commands:
        set_motor(body, joints, mode, *args, **kwargs)
        t0 = perf()
        for _ in range(steps):
            step_simulation()
        in_step += perf() - t0
    total = perf() - start
    return (
        in_step,
        total,
        sum(command[3] for command in segment.commands),
        _joint_positions(env) == segment.final_q,
    )


def bench_env_vs_raw(policy_name: str, seeds: range, max_steps: int, rounds: int) -> dict:
    env = make_env()
    try:
        substeps = env.unwrapped.substeps
        segments = record_segments(env, policy_name, seeds, max_steps)
        per_round = []
        exact = True
        for r in range(rounds):
            env_time = raw_time = raw_pd_time = 0.0
            env_steps = raw_steps = 0
            for k, segment in enumerate(segments):
                # Alternate which goes first so drift in machine load hits both alike.
                order = ("env", "raw") if (r + k) % 2 == 0 else ("raw", "env")
                for which in order:
                    if which == "env":
                        seconds, steps, same = time_env(env, segment)
                        env_time += seconds
                        env_steps += steps
                    else:
                        seconds, pd_seconds, steps, same = time_raw(env, segment)
                        raw_time += seconds
                        raw_pd_time += pd_seconds
                        raw_steps += steps
                    exact = exact and same
            env_physics = env_steps * substeps / env_time
            raw_rate = raw_steps / raw_time
            per_round.append(
                {
                    "env_control_steps_per_s": env_steps / env_time,
                    "env_physics_steps_per_s": env_physics,
                    "raw_steps_per_s": raw_rate,
                    "raw_command_and_step_per_s": raw_steps / raw_pd_time,
                    "ratio": env_physics / raw_rate,
                    "ratio_vs_command_and_step": env_physics / (raw_steps / raw_pd_time),
                    "env_overhead_us_per_physics_step": (
                        env_time / (env_steps * substeps) - raw_time / raw_steps
                    )
                    * 1e6,
                }
            )
        summary = {key: median([row[key] for row in per_round]) for key in per_round[0]}
        summary.update(
            policy=policy_name,
            seeds=list(seeds),
            control_steps_per_round=sum(len(s.actions) for s in segments),
            physics_steps_per_round=sum(c[3] for s in segments for c in s.commands),
            rounds=rounds,
            replay_matches_env=exact,
            per_round=per_round,
        )
        return summary
    finally:
        env.close()


# --------------------------------------------------------------------------------------
# reset
# --------------------------------------------------------------------------------------
def bench_reset(seeds: int) -> dict:
    env = make_env()
    try:
        env.reset(seed=10_000)  # first reset runs Gymnasium's passive checker: keep it out
        times = []
        ups, gyros = [], []
        for seed in range(seeds):
            start = perf()
            observation, _ = env.reset(seed=seed)
            times.append(perf() - start)
            ups.append(-float(observation[5]))  # projected gravity z = −(body z · world z)
            gyros.append(float(np.linalg.norm(observation[0:3])))

        # Breakdown, in a separate pass so the instrumentation does not touch the timings above.
        task = env.unwrapped.task
        client = env.unwrapped.sim.client
        settle_original = task._settle
        step_original = client.stepSimulation
        settle_time = [0.0]
        step_count = [0]

        def settle(*args, **kwargs):
            t0 = perf()
            try:
                return settle_original(*args, **kwargs)
            finally:
                settle_time[0] += perf() - t0

        def counting_step(*args, **kwargs):
            step_count[0] += 1
            return step_original(*args, **kwargs)

        task._settle = settle
        client.stepSimulation = (
            counting_step  # an instance attribute shadows BulletClient.__getattr__
        )
        totals, settles, counts = [], [], []
        try:
            for seed in range(seeds):
                settle_time[0] = 0.0
                step_count[0] = 0
                start = perf()
                env.reset(seed=seed)
                totals.append(perf() - start)
                settles.append(settle_time[0])
                counts.append(step_count[0])
        finally:
            del task._settle
            del client.stepSimulation
        ups_array = np.asarray(ups)
        ms = 1e3
        return {
            "seeds": seeds,
            "median_ms": median(times) * ms,
            "p90_ms": percentile(times, 90) * ms,
            "mean_ms": float(np.mean(times)) * ms,
            "max_ms": float(np.max(times)) * ms,
            "breakdown": {
                "fall_simulation_median_ms": median(settles) * ms,
                "fall_simulation_p90_ms": percentile(settles, 90) * ms,
                "rest_median_ms": median(np.subtract(totals, settles)) * ms,
                "fall_physics_steps_median": median(counts),
                "fall_physics_steps_p90": percentile(counts, 90),
                "fall_us_per_physics_step_median": median(np.divide(settles, np.maximum(counts, 1)))
                * 1e6,
                "note": (
                    "rest = Gymnasium seeding + teleport (pose/joint reset, lowest-point query)"
                    " + state refresh"
                ),
            },
            "start_states": {
                "belly": float(np.mean(ups_array > 0.5)),
                "side": float(np.mean(np.abs(ups_array) <= 0.5)),
                "back": float(np.mean(ups_array < -0.5)),
                "gyro_norm_median": median(gyros),
                "gyro_norm_p90": percentile(gyros, 90),
            },
        }
    finally:
        env.close()


# --------------------------------------------------------------------------------------
# process scaling
# --------------------------------------------------------------------------------------
def _worker(connection, worker_id: int) -> None:
    """A process owning one env; on ("run", seconds) it steps random actions and reports (steps,
    wall s, CPU s)."""
    env = make_env()
    rng = np.random.default_rng(worker_id)
    actions = rng.uniform(-1.0, 1.0, size=(997, *env.action_space.shape)).astype(np.float32)
    episode = worker_id * 1_000_000
    env.reset(seed=episode)
    for action in actions[:50]:  # warm up
        env.step(action)
    connection.send("ready")
    while True:
        message = connection.recv()
        if message == "stop":
            break
        _, seconds = message
        env.reset(seed=episode)
        steps = 0
        cpu_start = time.process_time()
        start = perf()
        deadline = start + seconds
        while True:
            for _ in range(25):
                _, _, terminated, truncated, _ = env.step(actions[steps % len(actions)])
                steps += 1
                if terminated or truncated:  # resets count: this is what a training loop sees
                    episode += 1
                    env.reset(seed=episode)
            if perf() >= deadline:
                break
        connection.send((steps, perf() - start, time.process_time() - cpu_start))
    env.close()
    connection.close()


def wait_for_idle(timeout: float, threshold: float = 0.2) -> dict:
    """Wait (≤ ``timeout`` s) until other processes use < ``threshold`` of a core for 2 s in a
    row."""
    try:
        import psutil
    except ImportError:
        return {"waited_s": 0.0, "idle": None, "note": "psutil not installed"}
    start = perf()
    quiet = 0
    while True:
        # This process sleeps inside cpu_percent and its workers do not exist yet: all of it is
        # others' load.
        busy = psutil.cpu_percent(interval=1.0) / 100.0 * (os.cpu_count() or 1)
        quiet = quiet + 1 if busy < threshold else 0
        if quiet >= 2 or perf() - start >= timeout:
            return {"waited_s": perf() - start, "idle": quiet >= 2, "other_cpu_cores": busy}


def bench_scaling(seconds: float, rounds: int) -> dict:
    context = mp.get_context("spawn")
    pipes, processes = [], []
    for worker_id in range(2):
        parent, child = context.Pipe()
        process = context.Process(target=_worker, args=(child, worker_id), daemon=True)
        process.start()
        pipes.append(parent)
        processes.append(process)
    try:
        for pipe in pipes:
            if pipe.recv() != "ready":
                raise RuntimeError("worker failed to start")
        one, two, share_one, share_two, per_cpu_one, per_cpu_two = [], [], [], [], [], []
        for r in range(rounds):
            for workers in (1, 2) if r % 2 == 0 else (2, 1):
                for pipe in pipes[:workers]:
                    pipe.send(("run", seconds))
                results = [pipe.recv() for pipe in pipes[:workers]]
                rate = sum(steps / elapsed for steps, elapsed, _ in results)
                share = min(cpu / elapsed for _, elapsed, cpu in results)
                per_cpu = statistics.mean(steps / cpu for steps, _, cpu in results)
                (one if workers == 1 else two).append(rate)
                (share_one if workers == 1 else share_two).append(share)
                (per_cpu_one if workers == 1 else per_cpu_two).append(per_cpu)
        ratios = [b / a for a, b in zip(one, two, strict=True)]
        efficiency = [b / a for a, b in zip(per_cpu_one, per_cpu_two, strict=True)]
        return {
            "seconds_per_run": seconds,
            "rounds": rounds,
            "one_process_steps_per_s": median(one),
            "two_processes_steps_per_s": median(two),
            "scaling": median(ratios),
            "one_per_round": one,
            "two_per_round": two,
            "cpu_share_one": median(share_one),
            "cpu_share_two": median(share_two),
            "steps_per_cpu_second_one": median(per_cpu_one),
            "steps_per_cpu_second_two": median(per_cpu_two),
            "per_cpu_efficiency_two_vs_one": median(efficiency),
            "scaling_if_each_had_a_core": 2 * median(efficiency),
            "note": "control steps/s summed over workers, random actions, episode resets included; "
            "cpu_share = CPU seconds / wall seconds of the least-served worker "
            "(1.0 = it had a core to itself); "
            "scaling_if_each_had_a_core = 2 x (steps per CPU second with 2 workers / with 1): "
            "an estimate that assumes two free cores, valid when nothing but CPU time is shared",
        }
    finally:
        for pipe in pipes:
            with contextlib.suppress(BrokenPipeError, OSError):
                pipe.send("stop")
        for process in processes:
            process.join(timeout=10)
            if process.is_alive():
                process.terminate()


# --------------------------------------------------------------------------------------
# report
# --------------------------------------------------------------------------------------
def machine_info() -> dict:
    info = {
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "pybullet": metadata.version("pybullet"),
        "numpy": np.__version__,
        "gymnasium": gym.__version__,
    }
    try:
        import psutil

        info["physical_cores"] = psutil.cpu_count(logical=False)
        info["memory_gib"] = round(psutil.virtual_memory().total / 2**30, 1)
    except ImportError:
        pass
    if hasattr(os, "getloadavg"):
        info["load_average_at_start"] = [round(x, 2) for x in os.getloadavg()]
    cpu_model = _cpu_model()
    if cpu_model:
        info["cpu_model"] = cpu_model
    return info


def code_version() -> str | None:
    """The checked-out commit (read-only), "+dirty" when the work tree differs from it."""
    root = Path(__file__).resolve().parent.parent
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
        status = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if commit.returncode != 0:
        return None
    return commit.stdout.strip() + ("+dirty" if status.stdout.strip() else "")


def _cpu_model() -> str | None:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


def verdict(value: float, target: float, higher_is_better: bool = True) -> str:
    ok = value >= target if higher_is_better else value <= target
    return "met" if ok else "missed"


def markdown(results: dict) -> str:
    env_raw = results["env_vs_raw"]
    reset = results["reset"]
    scaling = results["scaling"]
    machine = results["machine"]
    lines = [
        f"## FallRecovery-v0 / A1 benchmark ({machine['cpu_count']} CPUs, "
        f"Python {machine['python']}, pybullet {machine['pybullet']})",
        "",
        "| measurement | random actions | scripted get-up |",
        "|---|---:|---:|",
    ]
    rnd, scr = env_raw["random"], env_raw["scripted"]
    rows = [
        ("env control steps/s", "env_control_steps_per_s", "{:,.0f}"),
        ("env physics steps/s (× substeps)", "env_physics_steps_per_s", "{:,.0f}"),
        ("raw stepSimulation/s, same states", "raw_steps_per_s", "{:,.0f}"),
        ("raw command + steps/s, same states", "raw_command_and_step_per_s", "{:,.0f}"),
        ("**ratio env / raw** (target ≥ 0.8)", "ratio", "**{:.3f}**"),
        ("ratio env / (commands + steps)", "ratio_vs_command_and_step", "{:.3f}"),
        ("env overhead per physics step, µs", "env_overhead_us_per_physics_step", "{:.1f}"),
    ]
    for label, key, fmt in rows:
        lines.append(f"| {label} | {fmt.format(rnd[key])} | {fmt.format(scr[key])} |")
    lines.append(
        "| replay visits the env's states exactly | "
        f"{rnd['replay_matches_env']} | {scr['replay_matches_env']} |"
    )
    bd = reset["breakdown"]
    starts = reset["start_states"]
    lines += [
        "",
        "| reset | value |",
        "|---|---:|",
        f"| **median** (target ≤ 2 ms) | **{reset['median_ms']:.2f} ms** |",
        f"| p90 | {reset['p90_ms']:.2f} ms |",
        f"| fall simulation, median | {bd['fall_simulation_median_ms']:.2f} ms |",
        f"| seeding + teleport + refresh, median | {bd['rest_median_ms']:.3f} ms |",
        "| fall physics steps, median / p90 | "
        f"{bd['fall_physics_steps_median']:.0f} / {bd['fall_physics_steps_p90']:.0f} |",
        f"| µs per fall physics step, median | {bd['fall_us_per_physics_step_median']:.0f} |",
        "| start: belly / side / back | "
        f"{starts['belly']:.2f} / {starts['side']:.2f} / {starts['back']:.2f} |",
        "| start: gyro norm median / p90 | "
        f"{starts['gyro_norm_median']:.3f} / {starts['gyro_norm_p90']:.3f} rad/s |",
        "",
        "| throughput (random actions, resets included) | control steps/s |",
        "|---|---:|",
        f"| 1 process | {scaling['one_process_steps_per_s']:,.0f} |",
        f"| 2 processes (sum) | {scaling['two_processes_steps_per_s']:,.0f} |",
        f"| **scaling** (target ≥ 1.7) | **{scaling['scaling']:.2f}×** |",
        "| CPU share of the least-served worker, 1 / 2 processes | "
        f"{scaling['cpu_share_one']:.2f} / {scaling['cpu_share_two']:.2f} |",
        "| steps per CPU-second, 1 / 2 processes | "
        f"{scaling['steps_per_cpu_second_one']:,.0f} / "
        f"{scaling['steps_per_cpu_second_two']:,.0f} |",
        "| scaling if each process had a free core (2 × per-CPU efficiency; estimate) | "
        f"{scaling['scaling_if_each_had_a_core']:.2f}× |",
    ]
    idle = scaling.get("wait_for_idle")
    if idle:
        state = "idle" if idle["idle"] else "still busy"
        lines.append(
            f"| others' CPU load before the runs (waited {idle['waited_s']:.0f} s; {state}) | "
            f"{idle.get('other_cpu_cores', float('nan')):.2f} cores |"
        )
    lines += [
        "",
        "| target | value | |",
        "|---|---:|---|",
    ]
    worst_ratio = min(rnd["ratio"], scr["ratio"])
    lines += [
        f"| env/raw ratio ≥ {TARGETS['ratio']} (worse of the two policies) | "
        f"{worst_ratio:.3f} | {verdict(worst_ratio, TARGETS['ratio'])} |",
        f"| median reset ≤ {TARGETS['reset_median_ms']} ms | {reset['median_ms']:.2f} ms | "
        f"{verdict(reset['median_ms'], TARGETS['reset_median_ms'], False)} |",
        f"| 2 processes ≥ {TARGETS['scaling']}× one | {scaling['scaling']:.2f}× | "
        f"{verdict(scaling['scaling'], TARGETS['scaling'])} |",
    ]
    load = machine.get("load_average_at_start")
    if load:
        lines += [
            "",
            f"Load average at start {load}, at end {results['load_average_at_end']} "
            "(the machine is shared).",
        ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--rounds", type=int, default=7, help="interleaved env/raw rounds (medians are reported)"
    )
    parser.add_argument("--reset-seeds", type=int, default=200)
    parser.add_argument(
        "--scaling-seconds", type=float, default=3.0, help="wall time of one throughput run"
    )
    parser.add_argument("--scaling-rounds", type=int, default=3)
    parser.add_argument(
        "--wait-idle",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help=(
            "before the scaling runs, wait up to this long for other processes to leave the CPUs "
            "idle"
        ),
    )
    parser.add_argument(
        "--quick", action="store_true", help="a fast smoke run (fewer rounds and seeds)"
    )
    parser.add_argument("--out", type=Path, default=RESULTS, help="JSON output path")
    parser.add_argument(
        "--label", default=None, help="a note stored in the JSON (e.g. which code was measured)"
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.rounds, args.reset_seeds, args.scaling_seconds, args.scaling_rounds = 2, 40, 1.0, 1

    results: dict = {
        "env_id": ENV_ID,
        "robot": ROBOT,
        "label": args.label,
        "code": code_version(),
        "robodojo_envs": str(Path(robodojo.envs.__file__).resolve().parent),
        "targets": TARGETS,
        "machine": machine_info(),
    }
    started = perf()
    results["env_vs_raw"] = {
        "random": bench_env_vs_raw("random", range(8), max_steps=100, rounds=args.rounds),
        "scripted": bench_env_vs_raw("scripted", range(8), max_steps=150, rounds=args.rounds),
    }
    results["reset"] = bench_reset(args.reset_seeds)
    idle = wait_for_idle(args.wait_idle) if args.wait_idle > 0 else None
    results["scaling"] = bench_scaling(args.scaling_seconds, args.scaling_rounds)
    results["scaling"]["wait_for_idle"] = idle
    results["seconds"] = perf() - started
    results["load_average_at_end"] = (
        [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None
    )

    print(markdown(results))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nJSON: {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
