"""The demo's HTML report: one self-contained page, ``index.html``, beside the MP4s.

Everything the page shows is inside it (inline CSS, the success charts as inline SVG, the learning
curves as ``data:`` URIs) except the videos, which it links by relative path, so the folder can be
copied, zipped or served anywhere and opened offline. Every text from outside this module goes
through :func:`html.escape`.
"""

from __future__ import annotations

import base64
import html
import math
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from robodojo.evaluation import catalog
from robodojo.evaluation.report import percent, plural, success_cell
from robodojo.policies.pretrained import Pretrained

Kind = Literal["trained", "scripted", "random"]

#: Colours of the three kinds of policy, in the chart and on the badges.
KIND_COLOURS: dict[Kind, str] = {"trained": "#7b3fb3", "scripted": "#1f6fb5", "random": "#8a8a8a"}

CSS = """
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0;
       color: #1d1d1f; background: #f6f6f8; }
header, section { max-width: 1180px; margin: 0 auto; padding: 12px 24px; }
header { padding-top: 24px; }
h1 { margin: 0 0 4px; font-size: 26px; }
h2 { margin: 28px 0 4px; font-size: 21px; border-bottom: 2px solid #ddd; padding-bottom: 4px; }
h3 { margin: 18px 0 6px; font-size: 16px; }
.meta, .description, figcaption, .note { color: #555; }
nav a { margin-right: 14px; }
table { border-collapse: collapse; background: #fff; margin: 8px 0; font-size: 14px; }
th, td { border: 1px solid #ddd; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #efeff3; }
td.number { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.trained td { background: #f6f0fb; }
tr.failed td { background: #fdeeee; }
.badge { display: inline-block; border-radius: 9px; padding: 0 7px; margin-left: 6px;
         font-size: 12px; color: #fff; }
.gallery { display: flex; flex-wrap: wrap; gap: 16px; }
figure { margin: 0; background: #fff; border: 1px solid #ddd; padding: 8px; }
figure video { display: block; width: 440px; max-width: 100%; background: #000; }
figure img { display: block; width: 440px; max-width: 100%; }
svg text { font: 12px system-ui, sans-serif; fill: #1d1d1f; }
"""


@dataclass(frozen=True)
class Row:
    """One job of the demo as the report shows it."""

    env_id: str
    robot: str
    policy: str
    kind: Kind
    summary: dict[str, Any] | None  #: :meth:`EvalResult.summary`, None if the job failed
    error: str | None
    video: str | None  #: the MP4's path relative to the report
    wall_time: float | None  #: s


def policy_kind(policy: str, trained: Collection[str]) -> Kind:
    """``trained`` for a shipped pretrained policy, ``random`` for random actions, else
    ``scripted`` (a controller)."""
    if policy in trained:
        return "trained"
    return "random" if policy == "random" else "scripted"


def policy_label(env_id: str, policy: str) -> str:
    """The policy's name as the report prints it: ``scripted (getup)`` names the controller."""
    default = catalog.scripted_default(env_id) if policy == "scripted" else None
    return f"scripted ({default})" if default else policy


def metric_cell(summary: dict[str, Any], metric: str) -> str:
    """A metric's mean, 2 decimals (none from 100 up), or ``–`` where it was never defined."""
    entry = summary["metrics"].get(metric)
    if entry is None or entry["n"] == 0:
        return "–"
    return f"{entry['mean']:.2f}" if abs(entry["mean"]) < 100 else f"{entry['mean']:.0f}"


def rows_from_records(records: Iterable[dict], out: Path, trained: Collection[str]) -> list[Row]:
    """The demo's job records (``job``, ``result``, ``error``, ``wall_time``) as :class:`Row`."""
    rows = []
    for record in records:
        job, result = record["job"], record["result"]
        video = None
        if result is not None and result.video_path and Path(result.video_path).is_file():
            video = Path(result.video_path).relative_to(out).as_posix()
        rows.append(
            Row(
                env_id=job["env_id"],
                robot=job["robot"],
                policy=job["policy"],
                kind=policy_kind(job["policy"], trained),
                summary=None if result is None else result.summary(),
                error=record["error"],
                video=video,
                wall_time=record.get("wall_time"),
            )
        )
    return rows


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def anchor(env_id: str) -> str:
    """The section id of an env: its short name (``fall_recovery``)."""
    return catalog.short_name(env_id)


def badge(kind: Kind) -> str:
    return f'<span class="badge" style="background:{KIND_COLOURS[kind]}">{_e(kind)}</span>'


def success_chart(env_id: str, rows: list[Row]) -> str:
    """Inline SVG: per job a bar to its success rate and a whisker over its Wilson 95 % interval,
    coloured by kind of policy. Failed jobs get a row that says so."""
    label_width, plot_width, row_height, top, bottom = 250, 560, 24, 34, 34
    height = top + row_height * len(rows) + bottom
    width = label_width + plot_width + 70

    def x(rate: float) -> float:
        return label_width + plot_width * rate

    title = f"Success rate with Wilson 95 % interval, {env_id}"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" aria-label="{_e(title)}">',
        f"<title>{_e(title)}</title>",
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#fff"/>',
        f'<text x="{label_width}" y="18" font-weight="bold">{_e(title)}</text>',
    ]
    for tick in (0.0, 0.25, 0.5, 0.75, 1.0):
        tx = x(tick)
        parts.append(
            f'<line x1="{tx:.1f}" y1="{top - 6}" x2="{tx:.1f}" y2="{height - bottom + 4}" '
            'stroke="#ddd"/>'
            f'<text x="{tx:.1f}" y="{height - bottom + 18}" text-anchor="middle">'
            f"{tick:.0%}</text>"
        )
    for i, row in enumerate(rows):
        cy = top + row_height * i + row_height / 2
        colour = KIND_COLOURS[row.kind]
        label = f"{row.robot} · {policy_label(row.env_id, row.policy)}"
        parts.append(
            f'<text x="{label_width - 8}" y="{cy + 4:.1f}" text-anchor="end">{_e(label)}'
            f"{' (trained)' if row.kind == 'trained' else ''}</text>"
        )
        summary = row.summary
        if summary is None or not math.isfinite(summary["success_rate"]):
            parts.append(
                f'<text x="{x(0) + 6:.1f}" y="{cy + 4:.1f}" fill="#b00">'
                f"{_e('failed' if summary is None else 'no episodes')}</text>"
            )
            continue
        rate = summary["success_rate"]
        low, high = summary["success_ci95"]
        tip = f"{label}: {success_cell(summary)}"
        parts.append(
            f"<g><title>{_e(tip)}</title>"
            f'<rect x="{x(0):.1f}" y="{cy - 7:.1f}" width="{plot_width * rate:.1f}" height="14" '
            f'fill="{colour}" fill-opacity="0.35"/>'
            f'<line x1="{x(low):.1f}" y1="{cy:.1f}" x2="{x(high):.1f}" y2="{cy:.1f}" '
            f'stroke="{colour}" stroke-width="2"/>'
            + "".join(
                f'<line x1="{x(end):.1f}" y1="{cy - 6:.1f}" x2="{x(end):.1f}" y2="{cy + 6:.1f}" '
                f'stroke="{colour}" stroke-width="2"/>'
                for end in (low, high)
            )
            + f'<circle cx="{x(rate):.1f}" cy="{cy:.1f}" r="4.5" fill="{colour}"/>'
            f'<text x="{x(1) + 8:.1f}" y="{cy + 4:.1f}">{_e(percent(rate))}</text></g>'
        )
    return "".join(parts) + "</svg>"


def legend() -> str:
    return " ".join(badge(kind) for kind in KIND_COLOURS)


def table_header(env_id: str) -> list[str]:
    """The columns of an env's results table (the HTML page's and report.md's)."""
    metrics = catalog.REPORT_METRICS.get(env_id, [])
    return [
        "robot",
        "policy",
        "success (95% CI)",
        *(title for _, title in metrics),
        "physics errors",
        "wall time (s)",
    ]


def results_table(env_id: str, rows: list[Row]) -> str:
    metrics = catalog.REPORT_METRICS.get(env_id, [])
    header = table_header(env_id)
    lines = ["<table>", "<tr>" + "".join(f"<th>{_e(h)}</th>" for h in header) + "</tr>"]
    for row in rows:
        policy = _e(policy_label(env_id, row.policy)) + badge(row.kind)
        time_cell = "–" if row.wall_time is None else f"{row.wall_time:.1f}"
        if row.summary is None:
            cells = [f"<td>failed: {_e(row.error)}</td>"] + ["<td>–</td>"] * (len(metrics) + 1)
            css = "failed"
        else:
            cells = [
                f'<td class="number">{_e(success_cell(row.summary))}</td>',
                *(f'<td class="number">{_e(metric_cell(row.summary, m))}</td>' for m, _ in metrics),
                f'<td class="number">{row.summary["physics_errors"]}</td>',
            ]
            css = row.kind
        lines.append(
            f'<tr class="{css}"><td>{_e(row.robot)}</td><td>{policy}</td>'
            + "".join(cells)
            + f'<td class="number">{time_cell}</td></tr>'
        )
    lines.append("</table>")
    return "\n".join(lines)


def videos(env_id: str, rows: list[Row]) -> str:
    figures = [
        f'<figure><video controls preload="metadata" src="{_e(row.video)}"></video>'
        f"<figcaption>{_e(env_id)} · {_e(row.robot)} · "
        f"{_e(policy_label(env_id, row.policy))}{badge(row.kind)}<br>"
        f'<a href="{_e(row.video)}">{_e(row.video)}</a></figcaption></figure>'
        for row in rows
        if row.video
    ]
    if not figures:
        return ""
    return f"<h3>Videos, {_e(env_id)}</h3>" + '<div class="gallery">' + "".join(figures) + "</div>"


def png_data_uri(path: Path) -> str:
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def learning_curves(env_id: str, rows: list[Row], shipped: Mapping[str, Pretrained]) -> str:
    """The learning curve (``learning_curve.png`` of the card) of every trained policy in
    ``rows``, embedded, with the card's final evaluation."""
    figures = []
    for name in dict.fromkeys(row.policy for row in rows if row.kind == "trained"):
        entry = shipped.get(name)
        curve = entry.path / "learning_curve.png" if entry else None
        if entry is None or curve is None or not curve.is_file():
            continue
        card = ""
        if entry.success_rate is not None:
            card = f"card: success {percent(entry.success_rate)}"
            if entry.success_ci95:
                low, high = entry.success_ci95
                card += f" [{percent(low)}, {percent(high)}]"
            if entry.episodes:
                card += f" over {plural(entry.episodes, 'episode')}{entry.conditions()}"
        algo = f" ({entry.algo.upper()})" if entry.algo else ""
        caption = f"{env_id} · {name}{algo}, robot {entry.robot or '–'}"
        figures.append(
            f'<figure><img src="{png_data_uri(curve)}" alt="{_e("learning curve of " + name)}">'
            f"<figcaption>{_e(caption)}{badge('trained')}<br>{_e(card)}</figcaption></figure>"
        )
    if not figures:
        return ""
    return (
        f"<h3>Learning curves of the trained policies, {_e(env_id)}</h3>"
        + '<div class="gallery">'
        + "".join(figures)
        + "</div>"
    )


def env_section(env_id: str, rows: list[Row], shipped: Mapping[str, Pretrained]) -> str:
    return "\n".join(
        part
        for part in (
            f'<section id="{_e(anchor(env_id))}">',
            f"<h2>{_e(env_id)}</h2>",
            f'<p class="description">{_e(catalog.env_description(env_id))}</p>',
            f"<h3>Results, {_e(env_id)}</h3>",
            success_chart(env_id, rows),
            results_table(env_id, rows),
            videos(env_id, rows),
            learning_curves(env_id, rows, shipped),
            "</section>",
        )
        if part
    )


NOTES = (
    "Success: rate with its Wilson 95 % interval (the whisker) and (successes/episodes). "
    "Means are over the episodes where a metric is defined: time to stand only exists for "
    "episodes where the robot stood. Energy is Σ|τ·q̇|·dt over the episode; failed episodes run "
    "to the time limit, so they cost more. Weld fraction: share of the true seam (1 mm samples) "
    "welded within every tolerance; errors are means over the steps the arc was on. Rescue and "
    "locomotion run at each env's default difficulty (0.25). Trained rows are shipped policies "
    "(policies/pretrained/), scripted rows the hand-written controllers, random rows uniform "
    "random actions."
)


def run_line(
    version: str,
    created: str,
    episodes: int,
    seed: int,
    wall_time: float,
    fewer: Mapping[str, int] | None = None,
) -> str:
    """``robodojo 0.1.0 · <date> · 20 episodes per row (10 for random) (seeds 0–19) · wall time
    …``: ``fewer`` maps the policies run for fewer episodes to their count."""
    by_count: dict[int, list[str]] = {}
    for policy, count in (fewer or {}).items():
        by_count.setdefault(count, []).append(policy)
    exceptions = "; ".join(f"{n} for {', '.join(names)}" for n, names in sorted(by_count.items()))
    return (
        f"robodojo {version} · {created} · {episodes} episodes per row"
        + (f" ({exceptions})" if exceptions else "")
        + f" (seeds {seed}–{seed + episodes - 1}) · wall time {wall_time:.0f} s"
    )


def html_report(
    rows: list[Row],
    shipped: Mapping[str, Pretrained],
    *,
    episodes: int,
    seed: int,
    wall_time: float,
    version: str,
    created: str,
    fewer: Mapping[str, int] | None = None,
) -> str:
    """The whole page; ``fewer`` as :func:`run_line`."""
    env_ids = list(dict.fromkeys(row.env_id for row in rows))
    meta = run_line(version, created, episodes, seed, wall_time, fewer)
    nav = " ".join(f'<a href="#{_e(anchor(env_id))}">{_e(env_id)}</a>' for env_id in env_ids)
    body = "\n".join(
        env_section(env_id, [r for r in rows if r.env_id == env_id], shipped) for env_id in env_ids
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>robodojo demo report</title><style>{CSS}</style></head><body>\n"
        f'<header><h1>robodojo demo report</h1><p class="meta">{_e(meta)}</p>'
        f"<p>Policies: {legend()}</p><nav>{nav}</nav></header>\n"
        f'{body}\n<section><p class="note">{_e(NOTES)}</p></section>\n</body></html>\n'
    )
