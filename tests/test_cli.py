"""The ``robodojo`` CLI, the evaluation library behind it, and the demo.

The CLI runs as a subprocess (``python -m robodojo.cli.main``) so the tests
see real exit codes and output and do not depend on the console script being
on PATH. Episodes are cut to 2 s to keep the file fast.
"""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
from pathlib import Path

import pytest

from robodojo.evaluation.evaluate import EpisodeResult, EvalResult, evaluate
from robodojo.evaluation.stats import finite_mean_std, wilson_interval

SHORT = ["--env-arg", "episode_seconds=2"]


def robodojo(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "robodojo.cli", *args],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
    )


def strict_json(path: Path) -> dict:
    def reject(constant: str) -> None:
        raise ValueError(f"non-standard JSON constant {constant}")

    return json.loads(path.read_text(), parse_constant=reject)


# -- robodojo list ---------------------------------------------------------------


def test_list_shows_envs_robots_and_policies() -> None:
    run = robodojo("list")
    assert run.returncode == 0, run.stderr
    assert "robodojo/FallRecovery-v0" in run.stdout and "fall_recovery" in run.stdout
    assert "a1" in run.stdout
    assert "scripted" in run.stdout and "random" in run.stdout
    assert "get back on its feet" in run.stdout  # the docstring description


# -- robodojo eval ---------------------------------------------------------------


def test_eval_writes_json_and_passes_a_zero_bar(tmp_path: Path) -> None:
    out = tmp_path / "eval.json"
    run = robodojo(
        "eval",
        "--env",
        "fall_recovery",
        "--policy",
        "random",
        "--episodes",
        "3",
        "--seed",
        "7",
        *SHORT,
        "--json",
        str(out),
        "--min-success",
        "0",
    )
    assert run.returncode == 0, run.stderr
    assert "success rate" in run.stdout and "Wilson 95% CI" in run.stdout
    data = strict_json(out)
    assert data["env_id"] == "robodojo/FallRecovery-v0"
    assert data["robot"] == "a1"
    assert data["env_kwargs"] == {"episode_seconds": 2}
    assert data["policy"] == "random"
    assert data["seeds"] == [7, 8, 9]
    assert [e["seed"] for e in data["episodes"]] == [7, 8, 9]
    assert all(e["length"] == 100 for e in data["episodes"])  # 2 s at 50 Hz, random never stands
    assert data["summary"]["episodes"] == 3
    assert data["summary"]["metrics"]["time_to_stand"]["mean"] is None  # NaN became null
    assert data["robodojo_version"] and data["wall_time"] > 0


@pytest.mark.parametrize("name", ["scripted", "getup", "fall_recovery_a1"])
def test_names_are_resolved_before_paths(tmp_path: Path, name: str) -> None:
    """A file or folder in the working directory named like a policy never shadows the name
    (it used to: `--policy scripted` went to the exported-policy loader and failed)."""
    (tmp_path / name).mkdir()
    (tmp_path / name / "policy.json").write_text("{}")  # not a policy: loading it as one would fail
    run = robodojo(
        "eval",
        "--env",
        "fall_recovery",
        "--policy",
        name,
        "--episodes",
        "1",
        *SHORT,
        "-q",
        cwd=tmp_path,
    )
    assert run.returncode == 0, run.stderr
    assert "success rate" in run.stdout
    as_path = robodojo(
        "eval",
        "--env",
        "fall_recovery",
        "--policy",
        f"./{name}",
        "--episodes",
        "1",
        "-q",
        cwd=tmp_path,
    )
    assert (
        as_path.returncode == 2 and "format" in as_path.stderr
    )  # ./name is the path, and that is no policy


def test_eval_below_min_success_exits_1(tmp_path: Path) -> None:
    run = robodojo(
        "eval",
        "--env",
        "robodojo/FallRecovery-v0",
        "--policy",
        "scripted",
        "--episodes",
        "2",
        *SHORT,
        "--min-success",
        "1.01",
        "--quiet",
    )
    assert run.returncode == 1, run.stderr
    assert "below --min-success" in run.stderr


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--env", "nope"], ["fall_recovery", "robodojo/FallRecovery-v0"]),
        (["--env", "fall_recovery", "--robot", "spot"], ["a1"]),
        (["--env", "fall_recovery", "--policy", "ppo"], ["random", "scripted"]),
        (["--env", "fall_recovery", "--env-arg", "bogus=1"], ["episode_seconds"]),
        (
            ["--env", "fall_recovery", "--policy", "runs/best/policy.onnx"],
            ["runs/best/policy.onnx", "no such file"],
        ),
        (
            ["--env", "fall_recovery", "--policy", "runs/best/model.zip"],
            ["pickled", "robodojo export"],
        ),
        (["--policy", "random"], ["--env is required"]),
    ],
    ids=["env", "robot", "policy", "env-arg", "policy-path", "pickle", "no-env"],
)
def test_bad_names_fail_cleanly_listing_valid_ones(args: list[str], expected: list[str]) -> None:
    run = robodojo("eval", *args, "--episodes", "1")
    assert run.returncode == 2
    assert "Traceback" not in run.stderr
    error_lines = [line for line in run.stderr.splitlines() if "error:" in line]
    assert len(error_lines) == 1
    for word in expected:
        assert word in error_lines[0]


def test_argparse_usage_error_exits_2() -> None:
    assert robodojo("eval", "--env", "fall_recovery", "--env-arg", "no_equals_sign").returncode == 2


def test_video_frame_count_matches(tmp_path: Path) -> None:
    imageio = pytest.importorskip("imageio.v2")
    from robodojo.evaluation.video import VIDEO_SIZE

    video, out = tmp_path / "eval.mp4", tmp_path / "eval.json"
    run = robodojo(
        "eval",
        "--env",
        "fall_recovery",
        "--policy",
        "scripted",
        "--episodes",
        "3",
        "--video-episodes",
        "2",
        *SHORT,
        "--video",
        str(video),
        "--json",
        str(out),
        "--quiet",
    )
    assert run.returncode == 0, run.stderr
    frames = [e["frames"] for e in strict_json(out)["episodes"]]
    assert frames[0] > 0 and frames[1] > 0 and frames[2] == 0  # only the first two are filmed
    reader = imageio.get_reader(str(video))
    try:
        meta = reader.get_meta_data()
        # Played at the real-time rate, sampled as a time-lapse (video.FRAME_BUDGET_PER_SIM_SECOND)
        assert meta["fps"] == pytest.approx(25.0) and tuple(meta["size"]) == VIDEO_SIZE
        count = sum(1 for _ in reader)
    finally:
        reader.close()
    assert count == sum(frames)
    # 2 s at 50 Hz and a frame every 20 steps: at most 6 (step 0, 20, ..., 100), then the end held
    # for 0.6 s (15 frames).
    assert frames[0] <= 6 + 15 and frames[1] <= 6 + 15


def test_video_realtime_films_every_real_time_frame(tmp_path: Path) -> None:
    video, out = tmp_path / "eval.mp4", tmp_path / "eval.json"
    run = robodojo(
        "eval", "--env", "fall_recovery", "--episodes", "1", *SHORT,
        "--video", str(video), "--video-realtime", "--json", str(out), "--quiet",
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    (episode,) = strict_json(out)["episodes"]
    # a frame every 2 control steps (25 fps at 50 Hz) over the episode, then the 0.6 s hold
    assert episode["frames"] >= episode["length"] // 2 + 15


def test_missing_video_extra_names_the_install_command(monkeypatch: pytest.MonkeyPatch) -> None:
    from robodojo.evaluation.video import MissingExtraError, require_video_extra

    monkeypatch.setitem(sys.modules, "imageio_ffmpeg", None)  # makes `import imageio_ffmpeg` fail
    with pytest.raises(MissingExtraError, match=r"pip install 'robodojo\[video\]'"):
        require_video_extra()


# -- library -----------------------------------------------------------------------


def test_env_arg_values_are_python_literals() -> None:
    from robodojo.cli.main import parse_env_arg

    assert parse_env_arg("episode_seconds=2") == ("episode_seconds", 2)
    assert parse_env_arg("hold_seconds=0.5") == ("hold_seconds", 0.5)
    assert parse_env_arg("reward_weights={'energy': 0}") == ("reward_weights", {"energy": 0})
    assert parse_env_arg("flag=true") == ("flag", True)
    assert parse_env_arg("x=None") == ("x", None)
    assert parse_env_arg("robot=a1") == ("robot", "a1")


def test_any_episode_replays_alone() -> None:
    """Episode i of a run with seed S equals a one-episode run with seed S+i."""
    kwargs = {"episode_seconds": 1}
    run = evaluate("fall_recovery", "random", episodes=3, seed=4, env_kwargs=kwargs)
    alone = evaluate("fall_recovery", "random", episodes=1, seed=6, env_kwargs=kwargs)
    assert run.episodes[2].episode_return == alone.episodes[0].episode_return
    assert run.episodes[0].episode_return != run.episodes[1].episode_return


def test_an_exported_policy_is_evaluated_in_the_env_it_was_trained_in(tmp_path: Path) -> None:
    """Its spec's env_kwargs (here Rescue's walker) are the defaults; the caller's arguments win."""
    import shutil

    from robodojo.policies.pretrained import discover

    folder = tmp_path / "rescue_policy"
    shutil.copytree(discover()["rescue_a1"].path, folder)
    spec = json.loads((folder / "policy.json").read_text())
    other_walker = "trot"
    spec["env_kwargs"] = {
        **spec["env_kwargs"],
        "walker": "locomotion_a1",
        "difficulty": 0.0,
    }  # not the defaults
    (folder / "policy.json").write_text(json.dumps(spec))

    short = {"episode_seconds": 0.5}
    result = evaluate(None, str(folder), episodes=1, env_kwargs=short)
    assert result.env_kwargs == {**spec["env_kwargs"], **short}
    result = evaluate(None, str(folder), episodes=1, env_kwargs={**short, "walker": other_walker})
    assert result.env_kwargs["walker"] == other_walker and result.env_kwargs["difficulty"] == 0.0


def test_metric_means_skip_undefined_values() -> None:
    def episode(index: int, success: bool, time_to_stand: float) -> EpisodeResult:
        return EpisodeResult(
            index,
            index,
            success,
            1.0,
            10,
            0.2,
            {"time_to_stand": time_to_stand, "energy": 2.0 * index},
        )

    result = EvalResult(
        "robodojo/FallRecovery-v0",
        "a1",
        {},
        "scripted",
        0,
        [episode(0, True, 1.0), episode(1, False, math.nan), episode(2, True, 3.0)],
        wall_time=1.0,
    )
    metrics = result.summary()["metrics"]
    assert metrics["time_to_stand"]["mean"] == pytest.approx(2.0)
    assert metrics["time_to_stand"]["over"] == "successful episodes"
    assert metrics["energy"]["over"] == "all episodes"
    assert finite_mean_std([math.nan])[2] == 0


@pytest.mark.parametrize(
    ("successes", "trials", "low", "high"),
    [
        # z = 1.959964, z² = 3.841459. 0/n: (0, z²/(n+z²)); n/n: (n/(n+z²), 1).
        (0, 10, 0.0, 3.841459 / 13.841459),
        (10, 10, 10 / 13.841459, 1.0),
        # 5/10: centre 0.5, half-width z·sqrt(0.025 + z²/400) / (1 + z²/10) = 0.263407
        (5, 10, 0.236593, 0.763407),
        (0, 0, 0.0, 1.0),  # no trials, no information
    ],
)
def test_wilson_interval_known_values(successes: int, trials: int, low: float, high: float) -> None:
    assert wilson_interval(successes, trials) == pytest.approx((low, high), abs=1e-5)


def test_wilson_interval_ends_exactly_at_zero_and_one() -> None:
    """0/n must start at exactly 0 (a lower bound of 5e-17 would claim a success was seen)."""
    assert wilson_interval(0, 3)[0] == 0.0
    assert wilson_interval(3, 3)[1] == 1.0


def test_wilson_interval_rejects_impossible_counts() -> None:
    with pytest.raises(ValueError):
        wilson_interval(11, 10)


# -- demo ------------------------------------------------------------------------------


def test_demo_writes_report(tmp_path: Path) -> None:
    from robodojo.evaluation import demo

    status = demo.main(["--out", str(tmp_path), "--episodes", "1"])
    assert status == 0
    report = (tmp_path / "report.md").read_text()
    assert "| a1 | scripted (getup) |" in report and "| a1 | random |" in report
    data = strict_json(tmp_path / "report.json")
    assert len(data["jobs"]) == len(demo.expand_plan(demo.full_plan()))
    assert (tmp_path / "fall_recovery_go2_scripted.mp4").stat().st_size > 0  # the Go2 gets up
    assert (tmp_path / "locomotion_go2_scripted.mp4").stat().st_size > 0  # and walks
    assert all(job["wall_time"] > 0 for job in data["jobs"])
    # index.html shows every video written, and every env and shipped policy has its section/row
    page = (tmp_path / "index.html").read_text()
    videos = sorted(p.name for p in tmp_path.glob("*.mp4"))
    filmed = sorted(f"{job.name}.mp4" for job in demo.expand_plan(demo.full_plan()) if job.film)
    assert videos == filmed
    assert sorted(re.findall(r'<video [^>]*src="([^"]+)"', page)) == videos
    for job in demo.expand_plan(demo.full_plan()):
        assert f"<h2>{job.env_id}</h2>" in page
    for name in demo.discover():
        assert f"**{name}** (trained)" in report
        assert f'alt="learning curve of {name}"' in page
