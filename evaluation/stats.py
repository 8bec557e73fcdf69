"""Small statistics helpers for evaluation summaries (numpy only)."""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

#: Two-sided 95 % standard-normal quantile, Φ⁻¹(0.975).
Z95 = 1.959963984540054


def wilson_interval(successes: int, trials: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion (95 % by default).

    Preferred over the normal ("Wald") interval because evaluation runs are
    small and success rates often sit at 0 or 1, where Wald collapses to a
    zero-width interval. With no trials there is no information: (0, 1).
    """
    if trials < 0 or not 0 <= successes <= trials:
        raise ValueError(f"need 0 <= successes <= trials, got {successes}/{trials}")
    if trials == 0:
        return 0.0, 1.0
    p = successes / trials
    z2 = z * z
    denominator = 1.0 + z2 / trials
    centre = (p + z2 / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z2 / (4 * trials * trials)) / denominator
    # At 0/n and n/n one end is exactly 0 or 1 in exact arithmetic; say so rather than trust float
    # dust.
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == trials else min(1.0, centre + half)
    return low, high


def finite_mean_std(values: Iterable[float]) -> tuple[float, float, int]:
    """Mean and (population) std over the finite values, and how many there were.

    Metrics such as ``time_to_stand`` are NaN when undefined (the robot never
    stood); averaging only the finite ones keeps them meaningful, and the count
    tells the reader what the mean is over. Returns (nan, nan, 0) if none.
    """
    array = np.asarray(list(values), dtype=np.float64)
    finite = array[np.isfinite(array)]
    if finite.size == 0:
        return math.nan, math.nan, 0
    return float(finite.mean()), float(finite.std()), int(finite.size)
