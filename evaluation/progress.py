"""A dependency-free progress bar for episode loops.

robodojo's core install has no tqdm, so this is ours: episodes done/total,
episodes per second, ETA and the running success rate. On a terminal it
redraws one line in place; in CI logs (not a TTY) carriage returns would pile
up into one huge line, so it prints a plain line every ~25 % or 30 s instead.
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
    """Call :meth:`update` once per finished episode, :meth:`close` at the end.

    Args:
        total: number of episodes.
        label: shown before the bar (e.g. the env and policy).
        stream: where to draw; stderr keeps stdout clean for the summary.
        enabled: False makes every method a no-op (``--quiet``).
    """

    BAR_WIDTH = 24
    REDRAW_SECONDS = 0.1  # terminals: at most 10 redraws per second
    LOG_SECONDS = 30.0  # logs: at least one line this often

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
        self._last_draw = -float("inf")
        self._last_logged_done = 0
        self._log_every = max(1, self.total // 4)
        # No draw yet: PyBullet prints to the terminal when the env connects, which would land
        # mid-bar.

    def update(self, success: bool) -> None:
        self.done += 1
        self.successes += int(success)
        if self.enabled:
            self._draw(force=self.done == self.total)

    def line(self) -> str:
        elapsed = time.perf_counter() - self.start
        rate = self.done / elapsed if elapsed > 0 else 0.0
        eta = (self.total - self.done) / rate if rate > 0 else float("nan")
        success = f"{100.0 * self.successes / self.done:5.1f}%" if self.done else "  -  "
        filled = int(self.BAR_WIDTH * self.done / self.total) if self.total else self.BAR_WIDTH
        bar = "#" * filled + "." * (self.BAR_WIDTH - filled)
        label = f"{self.label} " if self.label else ""
        return (
            f"{label}[{bar}] {self.done}/{self.total} eps  {rate:5.2f} eps/s  "
            f"elapsed {clock(elapsed)}  ETA {clock(eta)}  success {success}"
        )

    def _draw(self, force: bool = False) -> None:
        now = time.perf_counter()
        if self.interactive:
            if force or now - self._last_draw >= self.REDRAW_SECONDS:
                self.stream.write(
                    "\r\x1b[2K" + self.line()
                )  # \x1b[2K clears what a longer line left
                self.stream.flush()
                self._last_draw = now
            return
        due = (
            self.done - self._last_logged_done >= self._log_every
            or now - self._last_draw >= self.LOG_SECONDS
        )
        if force or due:
            self.stream.write(self.line() + "\n")
            self.stream.flush()
            self._last_draw = now
            self._last_logged_done = self.done

    def close(self) -> None:
        if self.enabled and self.interactive:
            self.stream.write("\n")
            self.stream.flush()
