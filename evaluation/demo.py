"""``make demo``: evaluate the shipped policies on every robot and write a report.

    python -m robodojo.evaluation.demo --out reports/demo

writes ``index.html`` (one self-contained page: charts, tables, the videos, the learning
curves of the trained policies), ``report.md`` (one table per environment), ``report.json``
(every episode, and each job's wall time) and MP4s of the filmed jobs into ``--out``. What
runs is the :data:`PLAN` table below: add a scenario or a policy by adding a row.
A job that fails (say a newly added robot lacks a controller's keyframes) is
reported as such and the rest still run; the exit status is then 1.
"""

from __future__ import annotations

import argparse
import sys
import time
import traceback
from collections.abc import Collection, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

from robodojo.envs import short_name
from robodojo.evaluation import catalog
from robodojo.evaluation.evaluate import evaluate, robodojo_version
from robodojo.evaluation.files import write_json
from robodojo.evaluation.html_report import (
    html_report,
    metric_cell,
    policy_label,
    rows_from_records,
    run_line,
    table_header,
)
from robodojo.evaluation.progress import ProgressBar
from robodojo.evaluation.report import plural, success_cell
from robodojo.evaluation.video import (
    FRAME_BUDGET_PER_SIM_SECOND,
    MissingExtraError,
    require_video_extra,
)
from robodojo.policies.pretrained import discover

EVERY_ROBOT = "*"
FALL = "robodojo/FallRecovery-v0"
WELD = "robodojo/Weld-v0"
TRANSPORT = "robodojo/Transport-v0"
RESCUE = "robodojo/QuadrupedRescue-v0"
LOCOMOTION = "robodojo/Locomotion-v0"

#: (env id, robot or EVERY_ROBOT, policy, episodes to film). Every shipped pretrained
#: policy is added to this on its own env and robot (see :func:`full_plan`).
PLAN: list[tuple[str, str, str, int]] = [
    (FALL, EVERY_ROBOT, "scripted", 0),
    (FALL, EVERY_ROBOT, "random", 0),
    (FALL, "go2", "scripted", 3),  # a later row for the same job only adds filming
    (WELD, EVERY_ROBOT, "seam_tracking", 0),
    (WELD, "kuka_iiwa", "teach_and_repeat", 0),
    (WELD, "kuka_iiwa", "random", 0),
    (WELD, "kuka_iiwa", "seam_tracking", 1),
    (TRANSPORT, EVERY_ROBOT, "scripted", 0),
    (TRANSPORT, "panda", "random", 0),
    (TRANSPORT, "panda", "scripted", 1),
    (RESCUE, "a1", "random", 0),
    (RESCUE, "a1", "scripted", 1),
    (LOCOMOTION, "go2", "scripted", 1),  # the Go2 trotting over rubble
]
#: Episodes filmed of a shipped pretrained policy: 3 where an episode lasts 2-4 s, else 1 (weld,
#: rescue and locomotion episodes last 12-30 s, and a filmed frame costs more than a step).
PRETRAINED_FILMED: dict[str, int] = {FALL: 3, TRANSPORT: 3}
#: Frames per simulated second where the default time-lapse (x10) would show too little: a get-up
#: lasts ~2 s of physics, which x10 films in five frames; x2 shows it (and costs ~10 s a job).
FILM_BUDGET: dict[str, float] = {FALL: 12.5}
#: Episodes of a baseline that never succeeds, whatever ``--episodes`` asks for more: 0/10 already
#: bounds its success below 28 % (Wilson 95 %), and these jobs were a quarter of the demo's time.
BASELINE_EPISODES: dict[str, int] = {"random": 10, "teach_and_repeat": 10}


def full_plan() -> list[tuple[str, str, str, int]]:
    """:data:`PLAN` plus one filmed row per shipped pretrained policy."""
    shipped = [
        (p.env_id, p.robot or EVERY_ROBOT, name, PRETRAINED_FILMED.get(p.env_id, 1))
        for name, p in discover().items()
    ]
    return PLAN + shipped


@dataclass(frozen=True)
class Job:
    env_id: str
    robot: str
    policy: str
    film: int = 0
    episodes: int | None = None  #: at most this many episodes (None: as many as the run asks)

    @property
    def name(self) -> str:
        return f"{catalog.short_name(self.env_id)}_{self.robot}_{self.policy}"

    def episode_count(self, requested: int) -> int:
        return requested if self.episodes is None else min(requested, self.episodes)


def expand_plan(plan: Sequence[tuple[str, str, str, int]]) -> list[Job]:
    """One job per (env, robot, policy); EVERY_ROBOT expands to the registry.

    Jobs are ordered env, then robot, then policy, each in order of first
    appearance, so a report table reads robot by robot.
    """
    jobs: dict[tuple[str, str, str], int] = {}
    for env_id, robot, policy, film in plan:
        for name in catalog.env_robots(env_id) if robot == EVERY_ROBOT else [robot]:
            key = (env_id, name, policy)
            jobs[key] = max(jobs.get(key, 0), film)
    rank = [
        {v: i for i, v in enumerate(dict.fromkeys(key[part] for key in jobs))} for part in range(3)
    ]
    ordered = sorted(jobs, key=lambda key: tuple(rank[part][key[part]] for part in range(3)))
    return [
        Job(env_id, robot, policy, jobs[env_id, robot, policy], BASELINE_EPISODES.get(policy))
        for env_id, robot, policy in ordered
    ]


def run_jobs(jobs: list[Job], out: Path, episodes: int, seed: int, video: bool) -> list[dict]:
    records = []
    for number, job in enumerate(jobs, 1):
        video_path = out / f"{job.name}.mp4" if video and job.film else None
        count = job.episode_count(episodes)
        label = f"[{number}/{len(jobs)}] {short_name(job.env_id)} {job.robot} {job.policy}"
        bar = ProgressBar(count, label=label)
        record: dict = {"job": asdict(job), "result": None, "error": None}
        started, cpu_started = time.perf_counter(), time.process_time()
        try:
            result = evaluate(
                job.env_id,
                job.policy,
                count,
                seed,
                robot=job.robot,
                video_path=str(video_path) if video_path else None,
                video_episodes=job.film,
                video_budget=FILM_BUDGET.get(job.env_id, FRAME_BUDGET_PER_SIM_SECOND),
                # evaluate() calls these only during this iteration, before ``bar`` is rebound:
                on_episode=lambda r: bar.update(r.success),  # noqa: B023
                on_step=bar.step,
            )
            record["result"] = result
        except Exception as error:
            # One broken robot or controller must not hide the others' results.
            bar.close()
            traceback.print_exc()
            record["error"] = f"{type(error).__name__}: {error}"
        else:
            bar.close()
        # CPU time (this process, every thread; not ffmpeg's) is what the job costs whatever else
        # the machine runs: the wall time of an idle machine, near enough.
        record["wall_time"] = time.perf_counter() - started
        record["cpu_time"] = time.process_time() - cpu_started
        records.append(record)
    return records


def markdown_report(
    records: list[dict],
    out: Path,
    episodes: int,
    seed: int,
    wall_time: float,
    version: str,
    created: str,
    trained: Collection[str] = (),
) -> str:
    """One table per env; a trained policy's row is marked ``(trained)`` and bold."""
    lines = [
        "# robodojo demo report",
        "",
        run_line(version, created, episodes, seed, wall_time, fewer_episodes(records, episodes)),
    ]
    for env_id in dict.fromkeys(r["job"]["env_id"] for r in records):
        metrics = catalog.REPORT_METRICS.get(env_id, [])
        header = table_header(env_id)
        lines += [
            "",
            f"## {env_id}",
            "",
            "| " + " | ".join(header) + " |",
            "|" + "---|" * len(header),
        ]
        videos = []
        for record in (r for r in records if r["job"]["env_id"] == env_id):
            job, result = record["job"], record["result"]
            policy = policy_label(env_id, job["policy"])
            if job["policy"] in trained:
                policy = f"**{policy}** (trained)"
            if result is None:
                cells = [f"failed: {record['error']}", *("–" for _ in metrics), "–"]
            else:
                summary = result.summary()
                cells = [
                    success_cell(summary),
                    *(metric_cell(summary, m) for m, _ in metrics),
                    str(summary["physics_errors"]),
                ]
                if result.video_path:
                    videos.append(
                        f"[{job['robot']} {job['policy']}]"
                        f"({Path(result.video_path).relative_to(out)})"
                    )
            cells.append(f"{record['wall_time']:.1f}" if "wall_time" in record else "–")
            lines.append("| " + " | ".join([job["robot"], policy, *cells]) + " |")
        if videos:
            lines += ["", "Videos: " + ", ".join(videos)]
    lines += [
        "",
        "Success: rate with its Wilson 95 % interval and (successes/episodes). "
        "Means are over the episodes",
        "where a metric is defined: time to stand only exists for episodes where the robot stood "
        "(successful",
        "ones). Energy is Σ|τ·q̇|·dt over the episode; failed episodes run to the time limit, "
        "so they cost more.",
        "Weld fraction: share of the true seam (1 mm samples) welded within every tolerance; "
        "errors are",
        "means over the steps the arc was on.",
        "Rescue and locomotion run at each env's default difficulty (0.25): times to find / reach "
        "are over the",
        "episodes where the victim was found / reached; locomotion succeeds with no fall and "
        "a mean velocity",
        "tracking error ≤ 0.15 m/s.",
        "Trained rows (bold) are the shipped policies of policies/pretrained/; index.html has "
        "their learning curves.",
        "",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m robodojo.evaluation.demo", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("reports/demo"),
        help="output folder (default: reports/demo)",
    )
    parser.add_argument(
        "--episodes",
        type=int,
        default=20,
        help="episodes per job (default: 20; the random and teach-and-repeat baselines run 10 at "
        "most)",
    )
    parser.add_argument("--seed", type=int, default=0, help="first seed (default: 0)")
    args = parser.parse_args(argv)

    try:
        require_video_extra()
        video = True
    except MissingExtraError as error:
        print(f"note: no videos ({error})", file=sys.stderr)
        video = False
    return run_demo(expand_plan(full_plan()), args.out, args.episodes, args.seed, video)


def run_demo(jobs: list[Job], out: Path, episodes: int, seed: int, video: bool) -> int:
    """Run ``jobs`` and write index.html, report.md and report.json into ``out``; 1 if a job
    failed, else 0."""
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    records = run_jobs(jobs, out, episodes, seed, video)
    wall_time = time.perf_counter() - start

    version = robodojo_version()
    created = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    shipped = discover()
    report = out / "report.md"
    report.write_text(
        markdown_report(records, out, episodes, seed, wall_time, version, created, shipped)
    )
    write_json(
        out / "report.json",
        {
            "robodojo_version": version,
            "episodes": episodes,
            "seed": seed,
            "wall_time": wall_time,
            "jobs": [
                {**r, "result": r["result"].to_dict() if r["result"] else None} for r in records
            ],
        },
    )
    page = out / "index.html"
    page.write_text(
        html_report(
            rows_from_records(records, out, shipped),
            shipped,
            episodes=episodes,
            seed=seed,
            wall_time=wall_time,
            version=version,
            created=created,
            fewer=fewer_episodes(records, episodes),
        ),
        encoding="utf-8",
    )
    print(report.read_text())
    print(timing_table(records, wall_time))
    print(f"report: {page} (and {report.name}, report.json)")
    return 1 if any(r["error"] for r in records) else 0


def fewer_episodes(records: list[dict], episodes: int) -> dict[str, int]:
    """Policies whose jobs ran fewer than ``episodes`` episodes (:data:`BASELINE_EPISODES`)."""
    return {
        r["job"]["policy"]: count
        for r in records
        if (count := Job(**r["job"]).episode_count(episodes)) < episodes
    }


def timing_table(records: list[dict], wall_time: float) -> str:
    """Wall and CPU time per job, slowest first, with its share of the whole run."""
    lines = ["wall time (CPU time) per job, slowest first:"]
    for record in sorted(records, key=lambda r: -r["wall_time"]):
        job = Job(**record["job"])
        share = record["wall_time"] / wall_time if wall_time > 0 else 0.0
        seconds, result = record["wall_time"], record["result"]
        filmed = f", {job.film} filmed" if result is not None and result.video_path else ""
        episodes = len(result.episodes) if result is not None else 0
        lines.append(
            f"  {seconds:6.1f} s ({record['cpu_time']:6.1f} s)  {share:5.1%}  {job.name} "
            f"({plural(episodes, 'episode')}{filmed})"
        )
    cpu = sum(r["cpu_time"] for r in records)
    lines.append(f"  {wall_time:6.1f} s ({cpu:6.1f} s)  total")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
