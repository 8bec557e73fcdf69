"""Weld scoring as an inspector would do it: numpy only, no simulator.

The torch is judged against the *true* seam at the point its wire aims at:

* ``w = c − p`` from the contact tip ``p`` to the closest seam point ``c``;
  **CTWD** (contact tip to work distance) is ``w · z`` (z = torch axis, out
  of the nozzle); the **lateral error** is where the wire lands across the
  seam: ``−w · b``, b the unit vector ⊥ z and ⊥ the seam, toward the wall;
* **work angle**: the torch axis (pointing back from the work) projected on the
  plane across the seam, measured up from the base plate (away from the wall);
  45° nominal for fillet and lap joints, 90° for butt joints;
* **travel angle**: ``asin(z · t)``, t the travel direction; positive = push
  (the nozzle points ahead, where the bead goes next);
* **travel speed**: how fast the aim point advances along the seam.

A :class:`WeldLedger` keeps one status per 1 mm seam sample: the samples the
aim point passes on a step are welded *in tolerance* only if every tolerance
held on that step; success is ≥ ``success_fraction`` of samples in tolerance.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from robodojo.physics.geometry import nearest_segment, unit
from robodojo.sim_assets.seams import Seam


@dataclass(frozen=True)
class Tolerances:
    """Welding-practice tolerances (all arguments of the env). Lengths in m, angles in degrees."""

    lateral: float = 0.001  #: |wire aim − seam| across the seam
    ctwd: float = 0.015  #: nominal contact-tip-to-work distance
    ctwd_band: float = 0.003  #: allowed |CTWD − ctwd|
    work_angle: float = 10.0  #: allowed |work angle − the joint's nominal|
    travel_angle_min: float = 5.0  #: push angle range
    travel_angle_max: float = 15.0
    travel_speed: float = 0.010  #: target, m/s (60 cm/min)
    speed_band: float = 0.15  #: allowed |speed − target| / target

    def __post_init__(self) -> None:
        positive = {
            "lateral": self.lateral,
            "ctwd": self.ctwd,
            "ctwd_band": self.ctwd_band,
            "work_angle": self.work_angle,
            "travel_speed": self.travel_speed,
            "speed_band": self.speed_band,
        }
        bad = [name for name, value in positive.items() if not (math.isfinite(value) and value > 0)]
        if bad:
            raise ValueError(f"tolerances must be positive and finite: {', '.join(bad)}")
        if not -45.0 <= self.travel_angle_min < self.travel_angle_max <= 45.0:
            raise ValueError(
                "travel angle range must satisfy -45 <= min < max <= 45, "
                f"got ({self.travel_angle_min}, {self.travel_angle_max})"
            )
        if self.ctwd_band >= self.ctwd:
            raise ValueError("ctwd_band must be smaller than ctwd")

    @property
    def travel_angle_nominal(self) -> float:
        return 0.5 * (self.travel_angle_min + self.travel_angle_max)


class SeamProjector:
    """Closest-point queries on a seam polyline, searched near the last answer (seams are followed
    in order)."""

    def __init__(self, seam: Seam, window: int = 8) -> None:
        self.seam = seam
        self.points = seam.points
        self.arclength = seam.arclength
        self.window = window
        self.tangents, self.sides = seam.tangents, seam.sides
        self.index = 0

    def reset(self, index: int = 0) -> None:
        self.index = index

    def project(self, point: np.ndarray, full_search: bool = False) -> tuple[float, int, float]:
        """(arclength s of the closest point, the segment's first sample i, fraction along it).

        ``s`` is clamped to the seam's ends. Searches ±``window`` samples around the
        previous answer unless ``full_search``.
        """
        i, frac = nearest_segment(
            self.points, point, None if full_search else self.index, self.window
        )
        self.index = i
        return (
            float(self.arclength[i] + frac * (self.arclength[i + 1] - self.arclength[i])),
            i,
            frac,
        )

    def frame(self, i: int, frac: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Interpolated (point, tangent, side) at segment ``i``, fraction ``frac``."""
        j = min(i + 1, len(self.points) - 1)
        point = self.points[i] + frac * (self.points[j] - self.points[i])
        tangent = unit(self.tangents[i] + frac * (self.tangents[j] - self.tangents[i]))
        side = unit(self.sides[i] + frac * (self.sides[j] - self.sides[i]))
        return point, tangent, side


@dataclass(frozen=True)
class TorchErrors:
    """The torch's state against the seam at one instant (m and degrees)."""

    lateral: float  #: signed, + toward the wall
    ctwd: float  #: contact tip to work along the torch axis
    work_angle: float  #: measured, deg
    work_angle_error: float  #: measured − nominal, deg
    travel_angle: float  #: deg, + = push


def torch_errors(
    tip: np.ndarray,
    axis: np.ndarray,
    seam_point: np.ndarray,
    tangent: np.ndarray,
    side: np.ndarray,
    nominal_work_angle: float,
) -> TorchErrors:
    """Errors of a torch with contact tip ``tip`` and unit ``axis`` (out of the nozzle) against a
    seam frame."""
    # plain floats: this runs twice a step, and numpy's per-call overhead dominates 3-vectors
    wx, wy, wz = (seam_point - tip).tolist()
    ax, ay, az = axis.tolist()
    tx, ty, tz = tangent.tolist()
    sx, sy, sz = side.tolist()
    ctwd = wx * ax + wy * ay + wz * az
    # across: ⊥ torch axis and ⊥ seam (tangent × axis), signed toward the wall
    cx, cy, cz = ty * az - tz * ay, tz * ax - tx * az, tx * ay - ty * ax
    norm = math.sqrt(cx * cx + cy * cy + cz * cz)
    if norm > 1e-9:
        sign = 1.0 if cx * sx + cy * sy + cz * sz >= 0 else -1.0
        cx, cy, cz = sign * cx / norm, sign * cy / norm, sign * cz / norm
    else:
        cx, cy, cz = sx, sy, sz
    lateral = -(wx * cx + wy * cy + wz * cz)
    along = ax * tx + ay * ty + az * tz
    # the torch axis seen from the work (−axis), in the plane across the seam
    bx, by, bz = -ax + along * tx, -ay + along * ty, -az + along * tz
    work_angle = math.degrees(
        math.atan2(bz, -(bx * sx + by * sy + bz * sz))
    )  # up (UP = z) vs away from the wall
    travel_angle = math.degrees(math.asin(min(1.0, max(-1.0, along))))
    return TorchErrors(lateral, ctwd, work_angle, work_angle - nominal_work_angle, travel_angle)


def within_tolerance(errors: TorchErrors, speed: float, tolerances: Tolerances) -> bool:
    """Whether one instant of welding meets every tolerance."""
    t = tolerances
    return (
        abs(errors.lateral) <= t.lateral
        and abs(errors.ctwd - t.ctwd) <= t.ctwd_band
        and abs(errors.work_angle_error) <= t.work_angle
        and t.travel_angle_min <= errors.travel_angle <= t.travel_angle_max
        and abs(speed - t.travel_speed) <= t.speed_band * t.travel_speed
    )


NOT_REACHED, IN_TOLERANCE, OUT_OF_TOLERANCE = 0, 1, 2


class WeldLedger:
    """One status per seam sample: not reached, welded in tolerance, or passed out of tolerance.

    ``deposit(s_from, s_to, ok)`` records the aim point moving from arclength
    ``s_from`` to ``s_to`` (m) on one step: samples with ``s_from ≤ s < s_to``
    take ``ok``'s status, except that a sample welded in tolerance stays so
    (a second pass cannot spoil a good bead, nor fix a bad one: passed-bad
    samples stay bad). The last sample counts once ``s_to`` reaches it.
    """

    def __init__(self, arclength: np.ndarray) -> None:
        self.arclength = np.asarray(arclength, dtype=np.float64)
        self.status = np.zeros(len(self.arclength), dtype=np.int8)

    def deposit(self, s_from: float, s_to: float, ok: bool) -> int:
        """Record one step; returns how many samples turned in-tolerance on it."""
        if s_to <= s_from:
            return 0
        end = self.arclength[-1]
        lo = int(np.searchsorted(self.arclength, s_from, side="left"))
        hi = (
            int(np.searchsorted(self.arclength, s_to, side="left"))
            if s_to < end
            else len(self.arclength)
        )
        fresh = self.status[lo:hi] == NOT_REACHED
        before = int(np.count_nonzero(self.status[lo:hi] == IN_TOLERANCE))
        self.status[lo:hi][fresh] = IN_TOLERANCE if ok else OUT_OF_TOLERANCE
        return int(np.count_nonzero(self.status[lo:hi] == IN_TOLERANCE)) - before

    @property
    def welded_fraction(self) -> float:
        return float(np.mean(self.status == IN_TOLERANCE))

    @property
    def reached_fraction(self) -> float:
        return float(np.mean(self.status != NOT_REACHED))


class WeldStats:
    """Running sums of the weld metrics over the steps the arc is on (aim point on the seam and
    moving)."""

    def __init__(self) -> None:
        self.lateral: list[float] = []
        self.ctwd: list[float] = []
        self.speed: list[float] = []
        self.work: list[float] = []
        self.travel: list[float] = []

    def add(self, errors: TorchErrors, speed: float) -> None:
        self.lateral.append(abs(errors.lateral))
        self.ctwd.append(errors.ctwd)
        self.speed.append(speed)
        self.work.append(abs(errors.work_angle_error))
        self.travel.append(errors.travel_angle)

    def summary(self, tolerances: Tolerances) -> dict[str, float]:
        """Metrics in mm, mm/s and degrees; NaN when the arc was never on."""
        # no arc-on step: one NaN sample each, so every metric comes out NaN through the same
        # formulas
        series = (
            [self.lateral, self.ctwd, self.speed, self.work, self.travel]
            if self.lateral
            else [[math.nan]] * 5
        )
        lateral, ctwd, speed, work, travel = (np.array(values) for values in series)
        ctwd_error = np.abs(ctwd - tolerances.ctwd) * 1000
        speed = speed * 1000
        # degrees outside the allowed push range (0 inside it)
        travel_error = np.maximum(tolerances.travel_angle_min - travel, 0) + np.maximum(
            travel - tolerances.travel_angle_max, 0
        )
        return {
            "lateral_error_mean_mm": float(np.mean(lateral) * 1000),
            "lateral_error_max_mm": float(np.max(lateral) * 1000),
            "ctwd_error_mean_mm": float(np.mean(ctwd_error)),
            "ctwd_error_max_mm": float(np.max(ctwd_error)),
            "travel_speed_mean_mm_s": float(np.mean(speed)),
            "travel_speed_cv": float(np.std(speed) / np.mean(speed))
            if np.mean(speed) > 0
            else float("nan"),
            "work_angle_error_mean_deg": float(np.mean(work)),
            "work_angle_error_max_deg": float(np.max(work)),
            "travel_angle_mean_deg": float(np.mean(travel)),
            "travel_angle_error_max_deg": float(np.max(travel_error)),
        }
