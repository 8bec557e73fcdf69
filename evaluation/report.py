"""Rendering evaluation results: a terminal summary table and strict JSON."""

from __future__ import annotations

import math
from typing import Any

from robodojo.evaluation.evaluate import EvalResult
from robodojo.evaluation.files import to_json_safe, write_json


def _number(value: float, digits: int | None = None) -> str:
    """Fixed decimals: 3 for small values, 1 from 100 up (energies in the thousands of J)."""
    if not math.isfinite(value):
        return "n/a"
    if digits is None:
        digits = 1 if abs(value) >= 100 else 3
    return f"{value:.{digits}f}"


def mean_std(mean: float, std: float) -> str:
    digits = 1 if math.isfinite(mean) and abs(mean) >= 100 else 3  # std printed like its mean
    return f"{_number(mean, digits)} ± {_number(std, digits)}"


def plural(count: int, noun: str) -> str:
    """``1 episode``, ``2 episodes``."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def plain(value: Any) -> str:
    """A value as Python literal text, numpy scalars and arrays as plain numbers and lists
    (``9.0``, not ``np.float64(9.0)``)."""
    return repr(to_json_safe(value))


def percent(value: float) -> str:
    return "n/a" if not math.isfinite(value) else f"{100.0 * value:.1f}%"


def success_cell(summary: dict[str, Any]) -> str:
    """``85.0% [64.0%, 94.8%] (17/20)``: rate, Wilson 95 % interval, counts."""
    low, high = summary["success_ci95"]
    return (
        f"{percent(summary['success_rate'])} [{percent(low)}, {percent(high)}] "
        f"({summary['successes']}/{summary['episodes']})"
    )


def format_summary(result: EvalResult) -> str:
    """The table ``robodojo eval`` prints at the end."""
    s = result.summary()
    seeds = result.seeds
    seed_text = f"seed {seeds[0]}" if len(seeds) == 1 else f"seeds {seeds[0]}..{seeds[-1]}"
    robot = f", robot {result.robot}" if result.robot else ""
    args = "".join(f", {key}={plain(value)}" for key, value in result.env_kwargs.items())
    rows: list[tuple[str, str]] = [
        ("success rate", success_cell(s) + "  Wilson 95% CI"),
        ("return", mean_std(s["return_mean"], s["return_std"])),
        (
            "episode length",
            f"{_number(s['length_mean'], 1)} steps ({_number(s['duration_mean'], 2)} s)",
        ),
    ]
    for name, metric in s["metrics"].items():
        value = mean_std(metric["mean"], metric["std"])
        if metric["n"] == 0:
            none = (
                "no successful episodes"
                if metric["over"] == "successful episodes"
                else "undefined in every episode"
            )
            value, note = "n/a", f"   ({none})"
        elif metric["over"] == "all episodes":
            note = ""
        elif metric["over"] == "successful episodes":
            note = f"   (over the {plural(metric['n'], 'successful episode')})"
        else:
            note = f"   (over {metric['over']})"
        rows.append((name, value + note))
    rows.append(("physics errors", str(s["physics_errors"])))
    rate = len(result.episodes) / result.wall_time if result.wall_time > 0 else math.nan
    rows.append(("wall time", f"{result.wall_time:.1f} s ({rate:.2f} episodes/s)"))
    if result.video_path:
        rows.append(("video", result.video_path))
    width = max(len(label) for label, _ in rows)
    header = (
        f"{result.env_id}{robot}{args}, policy {result.policy}, {plural(s['episodes'], 'episode')} "
        f"({seed_text}); mean ± std:"
    )
    return "\n".join([header, *(f"  {label:<{width}}  {value}" for label, value in rows)])


__all__ = [
    "format_summary",
    "mean_std",
    "percent",
    "plain",
    "plural",
    "success_cell",
    "to_json_safe",
    "write_json",
]
