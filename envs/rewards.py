"""Reward weights: every scenario's defaults, overridden by the caller's, checked the same way."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any


def merge_weights(defaults: Mapping[str, float], overrides: Any) -> dict[str, float]:
    """``defaults`` with ``overrides`` (term -> weight, or None) applied.

    Raises ``ValueError`` naming the problem: ``reward_weights`` that is not a
    mapping, an unknown term (listing the valid ones), or a weight that is not a
    finite number.
    """
    if overrides is None:
        overrides = {}
    if not isinstance(overrides, Mapping):
        raise ValueError(f"reward_weights must be a mapping of term -> weight, got {overrides!r}")
    unknown = set(overrides) - set(defaults)
    if unknown:
        raise ValueError(
            f"unknown reward terms {sorted(map(str, unknown))}; valid terms: {sorted(defaults)}"
        )
    for name, weight in overrides.items():
        if (
            isinstance(weight, bool)
            or not isinstance(weight, (int, float))
            or not math.isfinite(weight)
        ):
            raise ValueError(f"reward_weights[{name!r}] must be a finite number, got {weight!r}")
    return {**defaults, **overrides}
