"""Benchmark ``robodojo eval --video``: filmed vs unfilmed evaluation time, where a frame's time
goes, and PyBullet's EGL renderer vs TinyRenderer.

Run ``python benchmarks/bench_video.py`` (a few minutes; ``--quick`` for a
smoke run, ``--realtime`` to also time real-time filming, the old behaviour).
Prints Markdown tables and writes ``benchmarks/results/video.json``. A
measurement, not a test: it always exits 0. Method: ``benchmarks/README.md``.

Target (issue 14): filmed evaluation ≤ 5 × unfilmed, for every env under its
default scripted policy, every episode filmed.
"""

from __future__ import annotations

import argparse
import math
import pkgutil
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

import numpy as np
from arm_bench import median, perf, write_results

import robodojo.envs  # noqa: F401  (registers the ids)
from robodojo.envs import RobotTaskEnv, resolve_env_id
from robodojo.envs import make as make_env
from robodojo.evaluation import video
from robodojo.evaluation.evaluate import evaluate
from robodojo.physics import sim as sim_module
from robodojo.policies import make_policy

ENVS = ("weld", "transport", "fall_recovery", "rescue", "locomotion")
RESULTS = Path(__file__).resolve().parent / "results" / "video.json"
TARGET_RATIO = 5.0
OUT = Path("/tmp/robodojo_bench_video")


# -- where a frame's time goes ------------------------------------------------------


class Stopwatch:
    """Seconds and calls per part of filming, collected by wrapping the functions that do it."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)

    def wrap(self, part: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            start = perf()
            try:
                return function(*args, **kwargs)
            finally:
                self.seconds[part] += perf() - start
                self.calls[part] += 1

        return timed

    def per_call_ms(self, part: str) -> float:
        return 1e3 * self.seconds[part] / self.calls[part] if self.calls[part] else math.nan


@contextmanager
def instrumented(watch: Stopwatch) -> Iterator[None]:
    """Time rendering (env.render: PyBullet's getCameraImage and the array copy), the caption
    (Pillow), writing a frame (VideoWriter.add: crop/copy, caption and the pipe) and the pipe to
    ffmpeg alone (which encodes in its own process), and the flush at close."""
    patches = [
        (RobotTaskEnv, "render"),
        (video.VideoWriter, "add"),
        (video.VideoWriter, "_send"),
        (video.VideoWriter, "close"),
    ]
    saved = [(owner, name, getattr(owner, name)) for owner, name in patches]
    drawer = video._caption_drawer
    names = {"render": "render", "add": "add", "_send": "pipe", "close": "close"}
    for owner, name, function in saved:
        setattr(owner, name, watch.wrap(names[name], function))

    def timed_drawer() -> Any:
        draw = drawer()
        return None if draw is None else watch.wrap("caption", draw)

    video._caption_drawer = timed_drawer
    try:
        yield
    finally:
        for owner, name, function in saved:
            setattr(owner, name, function)
        video._caption_drawer = drawer


# -- filmed vs unfilmed -------------------------------------------------------------


def run(env: str, episodes: int, budget: float | None, watch: Stopwatch | None = None) -> Any:
    """One evaluate() call, timed whole (env creation included): unfilmed when budget is None."""
    context = instrumented(watch) if watch is not None else nullcontext()
    start = perf()
    with context:
        result = evaluate(
            env,
            "scripted",
            episodes,
            0,
            video_path=None if budget is None else str(OUT / f"{env}.mp4"),
            video_episodes=episodes,
            video_budget=video.FRAME_BUDGET_PER_SIM_SECOND if budget is None else budget,
        )
    return perf() - start, result


def same_physics(a: Any, b: Any) -> bool:
    """Rendering must not change the physics: identical returns, lengths and metrics."""
    key = [(e.episode_return, e.length, e.success, e.metrics) for e in a.episodes]
    return key == [(e.episode_return, e.length, e.success, e.metrics) for e in b.episodes]


def compare(env: str, episodes: int, rounds: int, budgets: dict[str, float]) -> dict[str, Any]:
    """Unfilmed and filmed runs of the same seeded episodes, interleaved round by round (the
    machine's load drifts); medians."""
    times: dict[str, list[float]] = defaultdict(list)
    results: dict[str, Any] = {}
    run(env, 1, None)  # warm-up: imports, URDF caches, the ffmpeg binary's first start
    for _ in range(rounds):
        for mode, budget in [("unfilmed", None), *budgets.items()]:
            seconds, results[mode] = run(env, episodes, budget)
            times[mode].append(seconds)
    watch = Stopwatch()
    _, timed = run(env, episodes, budgets["filmed"], watch)
    row: dict[str, Any] = {
        "env": env,
        "episodes": episodes,
        "steps": sum(e.length for e in results["unfilmed"].episodes),
        "sim_seconds": sum(e.duration for e in results["unfilmed"].episodes),
        "seconds": {mode: median(values) for mode, values in times.items()},
        "rounds": dict(times),
        "frames": {mode: sum(e.frames for e in results[mode].episodes) for mode in budgets},
        "same_physics": all(same_physics(results["unfilmed"], results[m]) for m in budgets)
        and same_physics(results["unfilmed"], timed),
        "breakdown_ms": {
            part: watch.per_call_ms(part) for part in ("render", "caption", "add", "pipe", "close")
        },
        "calls": dict(watch.calls),
        "schedule": vars(frame_schedule_of(env, budgets["filmed"])),
    }
    row["ratio"] = {m: row["seconds"][m] / row["seconds"]["unfilmed"] for m in budgets}
    return row


def frame_schedule_of(env: str, budget: float) -> video.FrameSchedule:
    made = make_env(resolve_env_id(env))
    try:
        return video.frame_schedule(made.unwrapped.control_dt, budget)
    finally:
        made.close()


# -- EGL vs TinyRenderer ------------------------------------------------------------


@contextmanager
def egl_plugin(loaded: list[float]) -> Iterator[None]:
    """Load PyBullet's EGL renderer into every Sim made inside the block, right after connecting:
    loaded later, it draws only the sky (it sees no shape made before it)."""
    original = sim_module.Sim.__init__

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        start = perf()
        with sim_module._c_output_silenced((1, 2)):  # it prints its GL version on stdout
            self.client.loadPlugin(
                pkgutil.get_loader("eglRenderer").get_filename(), "_eglRendererPlugin"
            )
        loaded.append(perf() - start)

    sim_module.Sim.__init__ = init
    try:
        yield
    finally:
        sim_module.Sim.__init__ = original


def renderers(env: str, frames: int) -> dict[str, Any]:
    """Median ms per frame of both renderers on the same states (two worlds, one process, the
    same seeded episode stepped in lockstep, renders alternating), the plugin's load time, and
    how far apart the pictures are (mean |difference| per channel, 0-255)."""
    env_id = resolve_env_id(env)
    loaded: list[float] = []
    tiny = make_env(env_id, render_mode="rgb_array")
    with egl_plugin(loaded):
        egl = make_env(env_id, render_mode="rgb_array")
    try:
        observations = [tiny.reset(seed=0)[0], egl.reset(seed=0)[0]]
        policies = [make_policy("scripted", e, env_id, seed=0) for e in (tiny, egl)]
        times: dict[str, list[float]] = {"tiny": [], "egl": []}
        difference = []
        for _ in range(frames):
            pictures = []
            for name, e in (("tiny", tiny), ("egl", egl)):
                start = perf()
                pictures.append(e.render().astype(np.int16))
                times[name].append(perf() - start)
            difference.append(float(np.abs(pictures[0] - pictures[1]).mean()))
            for _ in range(4):  # a few steps between frames, so the pictures differ
                ends = []
                for i, e in enumerate((tiny, egl)):
                    observations[i], _, terminated, truncated, _ = e.step(
                        policies[i](observations[i])
                    )
                    ends.append(terminated or truncated)
                if any(ends):
                    observations = [tiny.reset(seed=0)[0], egl.reset(seed=0)[0]]
        return {
            "env": env,
            "tiny_ms": 1e3 * median(times["tiny"][1:]),
            "egl_ms": 1e3 * median(times["egl"][1:]),
            "egl_load_s": loaded[0] if loaded else math.nan,
            "mean_abs_difference": median(difference),
        }
    finally:
        tiny.close()
        egl.close()


# -- report -------------------------------------------------------------------------


def print_tables(rows: list[dict[str, Any]], render_rows: list[dict[str, Any]]) -> None:
    modes = [m for m in ("realtime", "filmed") if m in rows[0]["seconds"]]
    header = "| env | steps (sim s) | unfilmed s |" + "".join(
        f" {m} s | {m} frames | {m} / unfilmed |" for m in modes
    )
    print("\n" + header + " time-lapse | same physics |")
    print("|---" * (header.count("|") + 1) + "|")
    for row in rows:
        cells = [
            row["env"],
            f"{row['steps']} ({row['sim_seconds']:.1f})",
            f"{row['seconds']['unfilmed']:.2f}",
        ]
        for m in modes:
            cells += [f"{row['seconds'][m]:.2f}", str(row["frames"][m]), f"{row['ratio'][m]:.1f}×"]
        schedule = row["schedule"]
        cells += [f"x{schedule['speedup']} (every {schedule['stride']} steps)"]
        cells += ["yes" if row["same_physics"] else "**NO**"]
        print("| " + " | ".join(cells) + " |")
    print("\n| env | render ms/frame | caption ms | add ms/frame (copy+caption+pipe) |"
          " pipe to ffmpeg ms | close (flush) ms | renders / frames written |")  # fmt: skip
    print("|---|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        b, calls = row["breakdown_ms"], row["calls"]
        print(
            f"| {row['env']} | {b['render']:.1f} | {b['caption']:.1f} | {b['add']:.1f} | "
            f"{b['pipe']:.1f} | {b['close']:.0f} | {calls.get('render', 0)} / "
            f"{calls.get('pipe', 0)} |"
        )
    if render_rows:
        print("\n| env | TinyRenderer ms/frame | EGL ms/frame | EGL plugin load s | "
              "mean abs pixel difference |")  # fmt: skip
        print("|---|---:|---:|---:|---:|")
        for r in render_rows:
            print(
                f"| {r['env']} | {r['tiny_ms']:.1f} | {r['egl_ms']:.1f} | {r['egl_load_s']:.2f} | "
                f"{r['mean_abs_difference']:.1f} |"
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1 episode, 1 round: a smoke run")
    parser.add_argument("--envs", nargs="+", default=list(ENVS), choices=ENVS)
    parser.add_argument("--episodes", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--realtime",
        action="store_true",
        help="also film every real-time frame (the old behaviour; slow: minutes per env)",
    )
    parser.add_argument("--no-egl", action="store_true", help="skip the renderer comparison")
    args = parser.parse_args(argv)
    episodes, rounds = (1, 1) if args.quick else (args.episodes, args.rounds)
    budgets = {"filmed": video.FRAME_BUDGET_PER_SIM_SECOND}
    if args.realtime:
        budgets["realtime"] = math.inf
    OUT.mkdir(parents=True, exist_ok=True)
    rows, render_rows = [], []
    for env in args.envs:
        print(f"{env} ...", file=sys.stderr, flush=True)
        rows.append(compare(env, episodes, rounds, budgets))
        if not args.no_egl:
            render_rows.append(renderers(env, 6 if args.quick else 20))
    print_tables(rows, render_rows)
    worst = max(row["ratio"]["filmed"] for row in rows)
    met = "met" if worst <= TARGET_RATIO else "NOT met"
    print(f"\nworst filmed / unfilmed: {worst:.1f}× (target ≤ {TARGET_RATIO:g}×: {met})")
    write_results(
        RESULTS,
        {"worst_ratio": worst, "target": TARGET_RATIO, "date": time.strftime("%Y-%m-%d")},
        rows + render_rows,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
