"""A dependency-free progress bar for episode loops.

robodojo's core install has no tqdm, so this is ours: episodes done/total,
episodes per second, ETA and the running success rate. On a terminal it
redraws one line in place; in CI logs (not a TTY) carriage returns would pile
up into one huge line, so it prints a plain line every ~25 % or 30 s instead.

Slow episodes (filmed ones, long ones) also move the bar while they run:
:meth:`ProgressBar.step` reports the current episode's steps, and once an
episode has run for :attr:`ProgressBar.SLOW_SECONDS` the bar and the ETA count
the fraction of it done, so a minute-long episode does not look like a hang.
"""

from __future__ import annotations

import math
import sys
import time
from typing import TextIO


def clock(seconds: float) -> str:
    if math.isnan(seconds) or seconds == float("inf"):  # NaN or inf
        return "--:--"
    minutes, secs = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


class ProgressBar:
    """Call :meth:`update` once per finished episode, :meth:`close` at the end, and optionally
    :meth:`step` after every control step.

    Args:
        total: number of episodes.
        label: shown before the bar (e.g. the env and policy).
        stream: where to draw; stderr keeps stdout clean for the summary.
        enabled: False makes every method a no-op (``--quiet``).
    """

    BAR_WIDTH = 24
    REDRAW_SECONDS = 0.1  # terminals: at most 10 redraws per second
    LOG_SECONDS = 30.0  # logs: at least one line this often
    #: an episode running this long (wall time) shows its own progress: fast ones would only
    #: flicker
    SLOW_SECONDS = 1.0

    def __init__(
        self, total: int, label: str = "", stream: TextIO | None = None, enabled: bool = True
    ) -> None:
        self.total = max(0, total)
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = enabled
        self.interactive = bool(getattr(self.stream, "isatty", lambda: False)())
        self.done = 0
        self.successes = 0
        self.start = time.perf_counter()
        self.partial = 0.0  #: fraction of the running episode done, once it counts as slow
        self._episode_start = self.start
        self._last_draw = -float("inf")
        self._last_logged = 0.0  #: progress (episodes, fractional) at the last log line
        self._log_every = max(1, self.total // 4)
        # No draw yet: PyBullet prints to the terminal when the env connects, which would land
        # mid-bar.

    def update(self, success: bool) -> None:
        self.done += 1
        self.successes += int(success)
        # A slow episode's end is always redrawn on a terminal, else its "+100%" could stay up
        # for a whole episode; slow ones end at most about once a second.
        slow, self.partial = self.partial > 0, 0.0
        self._episode_start = time.perf_counter()
        if self.enabled:
            self._draw(force=self.done == self.total, redraw=slow)

    def step(self, steps: int, max_steps: int) -> None:
        """The running episode has taken ``steps`` of at most ``max_steps`` control steps.

        Cheap enough to call every step: nothing is drawn before the episode is slow, and then at
        most as often as :meth:`update` would.
        """
        now = time.perf_counter()
        if not self.enabled or now - self._episode_start < self.SLOW_SECONDS:
            return
        self.partial = min(1.0, steps / max_steps) if max_steps > 0 else 0.0
        self._draw(now=now)

    @property
    def progress(self) -> float:
        """Episodes done, counting the running one's fraction."""
        return min(float(self.total), self.done + self.partial)

    def line(self) -> str:
        elapsed = time.perf_counter() - self.start
        progress = self.progress
        rate = progress / elapsed if elapsed > 0 else 0.0
        eta = (self.total - progress) / rate if rate > 0 else float("nan")
        success = f"{100.0 * self.successes / self.done:5.1f}%" if self.done else "  -  "
        filled = int(self.BAR_WIDTH * progress / self.total) if self.total else self.BAR_WIDTH
        bar = "#" * filled + "." * (self.BAR_WIDTH - filled)
        label = f"{self.label} " if self.label else ""
        running = f" (+{self.partial:.0%})" if self.partial else ""
        return (
            f"{label}[{bar}] {self.done}/{self.total} eps{running}  {rate:5.2f} eps/s  "
            f"elapsed {clock(elapsed)}  ETA {clock(eta)}  success {success}"
        )

    def _draw(self, force: bool = False, now: float | None = None, redraw: bool = False) -> None:
        now = time.perf_counter() if now is None else now
        if self.interactive:
            if force or redraw or now - self._last_draw >= self.REDRAW_SECONDS:
                self.stream.write(
                    "\r\x1b[2K" + self.line()
                )  # \x1b[2K clears what a longer line left
                self.stream.flush()
                self._last_draw = now
            return
        due = (
            self.progress - self._last_logged >= self._log_every
            or now - self._last_draw >= self.LOG_SECONDS
        )
        if force or due:
            self.stream.write(self.line() + "\n")
            self.stream.flush()
            self._last_draw = now
            self._last_logged = self.progress

    def close(self) -> None:
        if self.enabled and self.interactive:
            self.stream.write("\n")
            self.stream.flush()
