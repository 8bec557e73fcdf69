"""The evaluation progress bar: it moves inside slow episodes, without flooding terminals or logs;
and the frame schedule that keeps filming cheap."""

from __future__ import annotations

import io
import math
from types import SimpleNamespace

import pytest

from robodojo.evaluation import progress
from robodojo.evaluation.progress import ProgressBar
from robodojo.evaluation.video import frame_schedule


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Stream(io.StringIO):
    def __init__(self, tty: bool) -> None:
        super().__init__()
        self.tty = tty
        self.writes: list[str] = []

    def isatty(self) -> bool:
        return self.tty

    def write(self, text: str) -> int:
        self.writes.append(text)
        return super().write(text)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    fake = FakeClock()
    monkeypatch.setattr(progress, "time", SimpleNamespace(perf_counter=fake))  # only the bar's
    return fake


def run_slow_episode(bar: ProgressBar, clock: FakeClock, steps: int, seconds: float) -> None:
    for step in range(1, steps + 1):
        clock.now += seconds / steps
        bar.step(step, steps)


def test_a_slow_episode_moves_the_bar_before_it_ends(clock: FakeClock) -> None:
    stream = Stream(tty=True)
    bar = ProgressBar(2, label="weld seam_tracking", stream=stream)
    run_slow_episode(bar, clock, steps=1000, seconds=40.0)
    assert stream.writes, "nothing drawn during a 40 s episode"
    last = stream.writes[-1]
    assert "weld seam_tracking" in last and "0/2 eps (+100%)" in last
    assert "[" + "#" * 11 in last  # about half the bar: one of two episodes' worth of steps
    middle = next(w for w in stream.writes if "(+50%)" in w)
    assert "ETA 01:00" in middle  # 20 s for a quarter of the work: 60 s to go
    bar.update(True)
    assert "1/2 eps  " in stream.writes[-1]  # the finished episode replaces its fraction


def test_terminal_redraws_at_most_ten_times_a_second(clock: FakeClock) -> None:
    stream = Stream(tty=True)
    bar = ProgressBar(1, stream=stream)
    clock.now += ProgressBar.SLOW_SECONDS
    run_slow_episode(bar, clock, steps=10_000, seconds=2.0)
    assert 15 <= len(stream.writes) <= 21


def test_fast_episodes_draw_only_when_they_end(clock: FakeClock) -> None:
    stream = Stream(tty=True)
    bar = ProgressBar(3, stream=stream)
    for _ in range(3):
        run_slow_episode(bar, clock, steps=100, seconds=0.5)
        bar.update(False)
    assert len(stream.writes) == 3 and "(+" not in "".join(stream.writes)


def test_logs_keep_a_line_every_quarter_or_30_seconds(clock: FakeClock) -> None:
    stream = Stream(tty=False)
    bar = ProgressBar(1, label="locomotion trot", stream=stream)
    run_slow_episode(bar, clock, steps=5000, seconds=100.0)  # one long episode, 100 s
    lines = [w for w in stream.writes if w.strip()]
    # the first slow step, then every 30 s: no carriage returns, no flood
    assert 3 <= len(lines) <= 5
    assert all(line.endswith("\n") and "\r" not in line for line in lines)
    assert "0/1 eps (+" in lines[-1]
    bar.update(True)
    assert "1/1 eps" in stream.writes[-1]


def test_quiet_bar_stays_quiet(clock: FakeClock) -> None:
    stream = Stream(tty=True)
    bar = ProgressBar(1, stream=stream, enabled=False)
    run_slow_episode(bar, clock, steps=100, seconds=10.0)
    bar.update(True)
    bar.close()
    assert stream.writes == []


def test_evaluate_reports_every_step_to_the_bar() -> None:
    from robodojo.evaluation.evaluate import evaluate

    stream = Stream(tty=True)
    bar = ProgressBar(1, label="fall_recovery getup", stream=stream)
    bar.SLOW_SECONDS = bar.REDRAW_SECONDS = 0.0  # every step counts as slow and redraws
    seen: list[tuple[int, int]] = []

    def on_step(steps: int, limit: int) -> None:
        seen.append((steps, limit))
        bar.step(steps, limit)

    result = evaluate(
        "fall_recovery",
        "scripted",
        1,
        env_kwargs={"episode_seconds": 2},
        on_episode=lambda r: bar.update(r.success),
        on_step=on_step,
    )
    length = result.episodes[0].length
    assert [s for s, _ in seen] == list(range(1, length + 1))
    assert {limit for _, limit in seen} == {100}  # 2 s at 50 Hz
    during = [w for w in stream.writes if "0/1 eps (+" in w]
    assert len(during) >= length - 1, "the bar did not advance inside the episode"


def test_frame_schedule_time_lapses_within_the_budget() -> None:
    weld = frame_schedule(0.04, budget=2.5)  # 25 Hz control
    assert (weld.stride, weld.fps, weld.speedup, weld.label) == (10, 25.0, 10, "x10")
    legged = frame_schedule(0.02, budget=2.5)  # 50 Hz: real time films every other step
    assert (legged.stride, legged.fps, legged.speedup) == (20, 25.0, 10)
    rescue = frame_schedule(0.1, budget=2.5)  # 10 Hz: real time is 10 fps
    assert (rescue.stride, rescue.fps, rescue.speedup) == (4, pytest.approx(10.0), 4)
    realtime = frame_schedule(0.02, budget=math.inf)
    assert (realtime.stride, realtime.speedup, realtime.label) == (2, 1, "")
