"""Policies shipped with robodojo: ``policies/pretrained/<name>/`` = policy.onnx + policy.json +
card.

Each folder is what ``robodojo export RUN_DIR --pretrained NAME`` writes:
the ONNX graph, its IO spec, ``card.md`` (a model card) and, when the run had
one, ``card.json`` (its final evaluation). Discovery reads only the JSON
files — cheap, no onnxruntime — so ``robodojo list`` can show every shipped
policy with its env, robot and success rate. ``make_policy(NAME, env, ...)``
and ``robodojo eval --policy NAME`` load them with onnxruntime.
"""

from __future__ import annotations

import contextlib
import json
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from robodojo.policies.spec import SPEC_FILE, PolicySpecError, read_spec

ROOT = Path(__file__).resolve().parent
#: Folder names double as policy names on the command line.
NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")


@dataclass(frozen=True)
class Pretrained:
    name: str
    path: Path  #: the folder holding policy.json and policy.onnx
    env_id: str
    robot: str | None
    algo: str | None = None
    success_rate: float | None = None
    success_ci95: tuple[float, float] | None = None
    episodes: int | None = None
    summary: dict[str, Any] = field(default_factory=dict, compare=False)

    def conditions(self) -> str:
        """ ", seeds 0-99, difficulty 0.25": where the card's figures come from, when it says."""
        seeds, difficulty = self.summary.get("seeds"), self.summary.get("difficulty")
        text = f", seeds {seeds[0]}-{seeds[1]}" if seeds else ""
        if isinstance(difficulty, int | float) and not isinstance(difficulty, bool):
            text += f", difficulty {difficulty:g}"
        return text

    def describe(self) -> str:
        """One line for ``robodojo list``: robot, algorithm and the card's success rate."""
        parts = [f"robot {self.robot}" if self.robot else None, self.algo]
        if self.success_rate is not None:
            text = f"success {self.success_rate:.0%}"
            if self.success_ci95:
                text += f" (95% CI {self.success_ci95[0]:.0%}-{self.success_ci95[1]:.0%}"
                text += f", {self.episodes} episodes" if self.episodes else ""
                text += self.conditions() + ")"
            parts.append(text)
        else:
            parts.append("no evaluation card")
        return ", ".join(p for p in parts if p)


def discover(root: Path | None = None) -> dict[str, Pretrained]:
    """name → :class:`Pretrained` for every ``<root>/<name>/policy.json`` (sorted by name)."""
    root = ROOT if root is None else Path(root)
    found: dict[str, Pretrained] = {}
    for spec_path in sorted(root.glob(f"*/{SPEC_FILE}")):
        name = spec_path.parent.name
        if not NAME.match(name):
            warnings.warn(
                f"ignoring pretrained policy folder {name!r}: "
                "names are lower-case letters, digits, _ . -",
                stacklevel=2,
            )
            continue
        try:
            spec = read_spec(spec_path)
        except PolicySpecError as error:
            warnings.warn(f"ignoring pretrained policy {name!r}: {error}", stacklevel=2)
            continue
        found[name] = _entry(name, spec_path.parent, spec)
    return found


def _entry(name: str, folder: Path, spec: dict[str, Any]) -> Pretrained:
    provenance = spec.get("provenance") or {}
    # Export summarised the evaluation of exactly the exported checkpoint; a copied card.json may
    # describe another checkpoint of the run, so it is only a fallback.
    card = dict(provenance.get("card") or {})
    card_json = folder / "card.json"
    if card_json.is_file():
        with contextlib.suppress(OSError, ValueError):
            from_file = card_summary(json.loads(card_json.read_text(encoding="utf-8")))
            # the seeds and difficulty behind the figures (exports before 2026-12 lack them)
            card = {**from_file, **card} if card else from_file
    ci = card.get("ci95")
    return Pretrained(
        name=name,
        path=folder,
        env_id=spec["env_id"],
        robot=spec.get("robot"),
        algo=provenance.get("algo"),
        success_rate=card.get("success_rate"),
        success_ci95=tuple(ci) if isinstance(ci, (list, tuple)) and len(ci) == 2 else None,
        episodes=card.get("episodes"),
        summary=card,
    )


def card_summary(card: dict[str, Any]) -> dict[str, Any]:
    """Success rate, its 95 % CI and the episode count from a run's ``card.json``.

    Accepts the flat shape (``success_rate``, ``success_ci95``, ``episodes``)
    and an ``eval --json`` result (the same keys under ``summary``).
    """
    if not isinstance(card, dict):
        return {}
    for source in (card, card.get("summary"), card.get("evaluation"), card.get("final_evaluation")):
        if isinstance(source, dict) and "success_rate" in source:
            episodes = source.get("episodes")
            if isinstance(episodes, list):
                episodes = len(episodes)
            ci = source.get("success_ci95", source.get("ci95"))
            seeds = source.get("seeds")
            return {
                "success_rate": source.get("success_rate"),
                "ci95": list(ci) if isinstance(ci, (list, tuple)) else None,
                "episodes": episodes if isinstance(episodes, int) else None,
                "seeds": list(seeds) if isinstance(seeds, list) and len(seeds) == 2 else None,
                "difficulty": source.get("difficulty"),
            }
    return {}


def names(
    env_id: str | None = None, robot: str | None = None, root: Path | None = None
) -> list[str]:
    """Names of shipped policies, optionally only those for ``env_id`` and/or ``robot``."""
    return [
        name
        for name, entry in discover(root).items()
        if (env_id is None or entry.env_id == env_id) and (robot is None or entry.robot == robot)
    ]


def get(name: str, root: Path | None = None) -> Pretrained:
    found = discover(root)
    if name not in found:
        raise ValueError(f"no pretrained policy {name!r}; shipped: {', '.join(found) or 'none'}")
    return found[name]


__all__ = ["ROOT", "Pretrained", "card_summary", "discover", "get", "names"]
