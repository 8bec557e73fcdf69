"""Benchmark the ROS 2 bridge: state → command round trip at 50 Hz over loopback DDS.

``python benchmarks/bench_bridge.py`` (≈ 25 s; ``--quick`` for a smoke run).
This process plays the robot: it publishes ``sensor_msgs/Imu`` then
``sensor_msgs/JointState`` at 50 Hz (sensor-data QoS, stamped) and listens on
``/forward_position_controller/commands``; ``robodojo deploy`` runs as a
separate process on a loopback-only DDS domain of its own. The round trip of
state k is the time from just before its JointState is published to the
arrival of the command computed from it (deploy steps on the JointState,
once per state at 50 Hz, so command k answers state k; a command that has not
arrived before the next state is sent counts as missed). Writes
``benchmarks/results/bridge_latency.json``. A measurement, not a test: exits 0.
Method and reading: ``benchmarks/README.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).resolve().parent / "results" / "bridge_latency.json"
RATE_HZ = 50.0
CONTROLLER = "forward_position_controller"


def pick_policy() -> tuple[str, str]:
    from robodojo.policies.pretrained import discover

    shipped = [
        p for p in discover().values() if p.env_id == "robodojo/FallRecovery-v0" and p.robot == "a1"
    ]
    if shipped:
        return str(shipped[0].path), f"pretrained {shipped[0].name} (ONNX)"
    return "scripted", "scripted get-up (no pretrained policy shipped yet)"


def percentiles(values_ms: list[float]) -> dict[str, float]:
    a = np.asarray(values_ms, dtype=float)
    return {
        "n": int(a.size),
        "p50": float(np.percentile(a, 50)),
        "p90": float(np.percentile(a, 90)),
        "p99": float(np.percentile(a, 99)),
        "max": float(a.max()),
        "mean": float(a.mean()),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--seconds",
        type=float,
        default=20.0,
        help="measurement length (default 20 s = 1000 states)",
    )
    parser.add_argument(
        "--warmup", type=float, default=2.0, help="seconds sent before measuring (default 2)"
    )
    parser.add_argument("--quick", action="store_true", help="3 s smoke run, results not written")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--keep", action="store_true", help="keep deploy's log and event file")
    args = parser.parse_args()
    if args.quick:
        args.seconds, args.warmup = 3.0, 1.0

    from robodojo.bridge.loopback import loopback_env, run_domain_id

    domain = run_domain_id()
    os.environ.update(loopback_env(domain))  # before this process's first DDS participant
    from robodojo.bridge import messages as m
    from robodojo.bridge.dds import DdsTransport
    from robodojo.bridge.transport import SENSOR_QOS
    from robodojo.robots import get_robot_spec

    policy, policy_label = pick_policy()
    spec = get_robot_spec("a1")
    names, home = list(spec.joint_names), [float(v) for v in spec.home]
    workdir = Path(tempfile.mkdtemp(prefix="bench_bridge_"))
    events = workdir / "deploy_events.jsonl"
    with open(workdir / "deploy.log", "w") as deploy_log:  # the child writes to its own copy
        deploy = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "robodojo.cli",
                "deploy",
                "--policy",
                policy,
                "--enable",
                "--transport",
                "dds",
                "--controller",
                CONTROLLER,
                "--log",
                str(events),
                "--log-steps",
                "--duration",
                str(args.seconds + args.warmup + 60),
            ],
            stdout=subprocess.DEVNULL,
            stderr=deploy_log,
            env=os.environ.copy(),
        )
    load_start = os.getloadavg()
    arrivals: list[float] = []  # command arrival times, in order

    def on_command(msg) -> None:
        arrivals.append(time.perf_counter())

    transport = DdsTransport(domain, node_name="robodojo_bench_bridge")
    try:
        transport.subscribe(f"/{CONTROLLER}/commands", m.Float64MultiArray, on_command)
        imu_pub = transport.publisher("/imu", m.Imu, SENSOR_QOS)
        joints_pub = transport.publisher("/joint_states", m.JointState, SENSOR_QOS)
        t0 = time.monotonic()
        while not (
            imu_pub.matched_subscriptions()
            and joints_pub.matched_subscriptions()
            and transport.wait_for_publishers(f"/{CONTROLLER}/commands", timeout=0.1)
        ):
            if deploy.poll() is not None or time.monotonic() - t0 > 60:
                print((workdir / "deploy.log").read_text(), file=sys.stderr)
                raise SystemExit("deploy did not come up")
            time.sleep(0.05)
        discovery = time.monotonic() - t0
        period = 1.0 / RATE_HZ
        total = int(round((args.seconds + args.warmup) * RATE_HZ))
        warm = int(round(args.warmup * RATE_HZ))
        sent_at: list[float] = []
        next_tick = time.perf_counter()
        wall0 = time.time()
        for seq in range(total):
            now = time.perf_counter()
            if now < next_tick:
                time.sleep(next_tick - now)
            next_tick += period
            stamp = m.Time.from_seconds(wall0 + seq * period)
            imu = m.Imu(header=m.Header(stamp=stamp), orientation=m.Quaternion(0.0, 0.0, 0.0, 1.0))
            joint_state = m.JointState(
                header=m.Header(stamp=stamp),
                name=names,
                position=home,
                velocity=[0.0] * 12,
                effort=[0.0] * 12,
            )
            imu_pub.publish(imu)
            sent_at.append(time.perf_counter())
            joints_pub.publish(joint_state)
        time.sleep(0.2)
    finally:
        deploy.send_signal(signal.SIGTERM)
        try:
            deploy.wait(15)
        except subprocess.TimeoutExpired:
            deploy.kill()
        transport.close()

    # Pair each command with its state exactly: deploy logs, in publishing order, the stamp of the
    # JointState each command was computed from; commands arrive in that order (reliable QoS, one
    # writer).
    rows = (
        [json.loads(line) for line in events.read_text().splitlines()] if events.is_file() else []
    )
    published = [r for r in rows if r.get("kind") == "command" and r.get("published")]
    summary = next((r for r in rows if r.get("kind") == "summary"), {})
    answered: dict[int, float] = {}
    for row, arrival in zip(published, arrivals, strict=False):
        if row.get("mode") == "running" and row.get("state_stamp") is not None:
            answered[int(round((row["state_stamp"] - wall0) * RATE_HZ))] = arrival
    measured = range(warm, total)
    latencies = [(answered[k] - sent_at[k]) * 1e3 for k in measured if k in answered]
    missed = sum(1 for k in measured if k not in answered)
    if args.keep:
        print(
            f"deploy's log and events kept in {workdir}; "
            f"missed states: {[k for k in measured if k not in answered]}"
        )
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    result = {
        "what": (
            "state -> command round trip over loopback DDS at 50 Hz "
            "(robodojo deploy in its own process)"
        ),
        "policy": policy_label,
        "rate_hz": RATE_HZ,
        "seconds": args.seconds,
        "discovery_seconds": round(discovery, 3),
        "round_trip_ms": percentiles(latencies) if latencies else None,
        "missed": missed,
        "commands_received": len(arrivals),
        "commands_logged": len(published),
        "deploy_internal_ms": summary.get("state_to_command_ms"),
        "deploy_steps": summary.get("steps"),
        "machine": {
            "cpu_count": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cyclonedds": _version("cyclonedds"),
            "onnxruntime": _version("onnxruntime"),
            "load_average_at_start": [round(v, 2) for v in load_start],
            "load_average_at_end": [round(v, 2) for v in os.getloadavg()],
        },
        "date": time.strftime("%Y-%m-%d"),
        "code": _commit(),
    }
    rt = result["round_trip_ms"] or {}
    print(f"state -> command round trip, 50 Hz, loopback DDS, policy: {policy_label}")
    print("| n | p50 (ms) | p90 (ms) | p99 (ms) | max (ms) | missed |")
    print("|---:|---:|---:|---:|---:|---:|")
    print(
        f"| {rt.get('n', 0)} | {rt.get('p50', float('nan')):.2f} | "
        f"{rt.get('p90', float('nan')):.2f} | "
        f"{rt.get('p99', float('nan')):.2f} | {rt.get('max', float('nan')):.2f} | {missed} |"
    )
    if result["deploy_internal_ms"]:
        print(
            "inside deploy (state arrival -> command published): "
            f"p50 {result['deploy_internal_ms']['p50']:.2f} ms, "
            f"p99 {result['deploy_internal_ms']['p99']:.2f} ms; "
            f"load average {result['machine']['load_average_at_start']}"
        )
    if not args.quick:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
        print(f"written to {args.out}")
    return 0


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def _commit() -> str | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            cwd=Path(__file__).resolve().parent,
            check=False,
        )
        return out.stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


if __name__ == "__main__":
    sys.exit(main())
