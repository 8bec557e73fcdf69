"""Weld seams: generated in-plane curves, their joint geometry, and fit-up error.

A :class:`Seam` is the *root line* of a joint between plates lying flat on the
fixture table, sampled every :data:`SAMPLE_SPACING` (1 mm), with the frame a
torch needs at every sample:

* ``tangents``: travel direction (horizontal, unit);
* ``sides``: horizontal unit vector across the seam, pointing toward the wall
  (the fillet's web, the lap's upper plate; for a butt joint, the second plate);
* ``bisectors``: the direction the torch should come from (unit, pointing out
  of the joint into free space): halfway between the table normal and −side for
  fillet and lap joints (45° work angle), the plate normal for butt joints (90°).

:func:`generate_seam` draws a seam shape (straight, arc, S-curve, rounded
corner polyline) of 10–40 cm; :func:`place_seam` puts it at a pose on the
table; :func:`apply_fit_up_error` displaces it by what a real fixture gets
wrong (offset, rotation, bow). Everything here is numpy only.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import ClassVar

import numpy as np

from robodojo.physics.geometry import UP

#: distance between seam samples, m (scoring resolution)
SAMPLE_SPACING = 0.001
JOINT_TYPES = ("fillet", "lap", "butt")
SEAM_SHAPES = ("straight", "arc", "s_curve", "corner")
#: joint -> nominal work angle (deg) between the torch axis and the base plate, in the plane across
#: the seam
NOMINAL_WORK_ANGLE = {"fillet": 45.0, "lap": 45.0, "butt": 90.0}
MIN_LENGTH, MAX_LENGTH = 0.10, 0.40
MIN_ARC_RADIUS = (
    0.12  #: m; tighter arcs make a 45° torch sweep faster than wrists turn at travel speed
)
CORNER_RADIUS = (
    0.020  #: m; polyline corners are rounded by this radius (a robot program blends them too)
)


@dataclass(frozen=True)
class Seam:
    """A sampled weld seam in world coordinates (metres). Arrays have one row per sample."""

    joint: str
    shape: str
    points: np.ndarray  #: (N, 3) root line
    tangents: np.ndarray  #: (N, 3) unit travel direction
    sides: np.ndarray  #: (N, 3) unit, horizontal, toward the wall

    @cached_property
    def length(self) -> float:
        return float(self.arclength[-1])

    @cached_property
    def arclength(self) -> np.ndarray:
        """(N,) distance along the seam from its start, m."""
        steps = np.linalg.norm(np.diff(self.points, axis=0), axis=1)
        return np.concatenate([[0.0], np.cumsum(steps)])

    @cached_property
    def bisectors(self) -> np.ndarray:
        """(N, 3) unit direction the torch comes from (see the module docstring)."""
        angle = math.radians(NOMINAL_WORK_ANGLE[self.joint])
        b = math.cos(angle) * -self.sides + math.sin(angle) * UP
        return b / np.linalg.norm(b, axis=1, keepdims=True)

    @property
    def work_angle(self) -> float:
        """Nominal work angle of this joint, degrees."""
        return NOMINAL_WORK_ANGLE[self.joint]


def _resample(xy: np.ndarray, spacing: float = SAMPLE_SPACING) -> np.ndarray:
    """Points at equal arclength ``spacing`` along a dense 2-D polyline (first and last kept)."""
    steps = np.linalg.norm(np.diff(xy, axis=0), axis=1)
    s = np.concatenate([[0.0], np.cumsum(steps)])
    count = max(2, int(round(s[-1] / spacing)) + 1)
    targets = np.linspace(0.0, s[-1], count)
    return np.stack([np.interp(targets, s, xy[:, 0]), np.interp(targets, s, xy[:, 1])], axis=1)


def _integrate_curvature(
    length: float, curvature: Callable[[np.ndarray], np.ndarray]
) -> np.ndarray:
    """Dense 2-D curve starting at the origin heading +x with curvature κ(s) (1/m)."""
    s = np.linspace(0.0, length, int(length / 1e-4) + 1)
    kappa = curvature(s)
    heading = np.concatenate([[0.0], np.cumsum(0.5 * (kappa[1:] + kappa[:-1]) * np.diff(s))])
    ds = np.diff(s)
    mid = 0.5 * (heading[1:] + heading[:-1])
    xy = np.zeros((len(s), 2))
    xy[1:, 0] = np.cumsum(np.cos(mid) * ds)
    xy[1:, 1] = np.cumsum(np.sin(mid) * ds)
    return xy


def _shape_curvature(
    shape: str, length: float, rng: np.random.Generator
) -> Callable[[np.ndarray], np.ndarray]:
    """κ(s) for a seam shape: arcs and S-curves of radius ≥ MIN_ARC_RADIUS, corners of 30–90°."""
    if shape == "straight":
        return np.zeros_like
    if shape == "arc":
        kappa = rng.choice([-1.0, 1.0]) / rng.uniform(MIN_ARC_RADIUS, 0.40)
        kappa = float(
            math.copysign(min(abs(kappa), (math.pi / 2) / length), kappa)
        )  # at most a quarter circle
        return lambda s: np.full_like(s, kappa)
    if shape == "s_curve":
        kappa = rng.choice([-1.0, 1.0]) / rng.uniform(MIN_ARC_RADIUS, 0.40)
        kappa = float(math.copysign(min(abs(kappa), (math.pi / 3) / (length / 2)), kappa))
        return lambda s: np.where(s < length / 2, kappa, -kappa)
    if shape == "corner":
        corners = int(rng.integers(1, 3))
        turns = rng.uniform(math.radians(30), math.radians(90), corners) * rng.choice([-1.0, 1.0])
        if corners == 2:  # a zig-zag, not a U: the second turn goes back
            turns[1] = -turns[1]
        where = (
            np.sort(rng.uniform(0.3, 0.7, corners))
            if corners == 1
            else np.array([0.3, 0.65]) + rng.uniform(-0.05, 0.05, 2)
        )
        blends = [(w * length, t) for w, t in zip(where, turns, strict=True)]

        def kappa(s: np.ndarray) -> np.ndarray:
            out = np.zeros_like(s)
            for (
                centre,
                turn,
            ) in blends:  # a rounded corner: constant curvature over the arc r·|turn|
                half = CORNER_RADIUS * abs(turn) / 2
                out += np.where(
                    np.abs(s - centre) <= half, math.copysign(1.0 / CORNER_RADIUS, turn), 0.0
                )
            return out

        return kappa
    raise ValueError(f"unknown seam shape {shape!r}; valid shapes: {', '.join(SEAM_SHAPES)}")


def _frames(points: np.ndarray, side_sign: float) -> tuple[np.ndarray, np.ndarray]:
    """Unit tangents (central differences) and horizontal sides (left of travel × side_sign)."""
    tangents = np.gradient(points, axis=0)
    tangents[:, 2] = 0.0
    tangents /= np.linalg.norm(tangents, axis=1, keepdims=True)
    left = np.stack([-tangents[:, 1], tangents[:, 0], np.zeros(len(points))], axis=1)
    return tangents, side_sign * left


def generate_seam(
    rng: np.random.Generator,
    joint: str | None = None,
    shape: str | None = None,
    length: float | None = None,
) -> Seam:
    """A seam in its part frame: starts at the origin heading +x, lies in the plane z = 0.

    Unset ``joint``, ``shape`` and ``length`` (m, 0.10–0.40) are drawn from ``rng``;
    the wall is on the left or right at random.
    """
    joint = joint if joint is not None else str(rng.choice(JOINT_TYPES))
    shape = shape if shape is not None else str(rng.choice(SEAM_SHAPES))
    if joint not in JOINT_TYPES:
        raise ValueError(f"unknown joint type {joint!r}; valid types: {', '.join(JOINT_TYPES)}")
    length = float(length) if length is not None else float(rng.uniform(MIN_LENGTH, MAX_LENGTH))
    if not MIN_LENGTH <= length <= MAX_LENGTH:
        raise ValueError(f"seam length must be within [{MIN_LENGTH}, {MAX_LENGTH}] m, got {length}")
    side_sign = float(rng.choice([-1.0, 1.0]))
    xy = _resample(_integrate_curvature(length, _shape_curvature(shape, length, rng)))
    points = np.column_stack([xy, np.zeros(len(xy))])
    tangents, sides = _frames(points, side_sign)
    return Seam(joint, shape, points, tangents, sides)


def transform(
    seam: Seam, yaw: float, translation: np.ndarray, pivot: np.ndarray | None = None
) -> Seam:
    """The seam rotated by ``yaw`` (rad, about vertical through ``pivot``, default the origin), then
    translated."""
    c, s = math.cos(yaw), math.sin(yaw)
    rotation = np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])
    pivot = np.zeros(3) if pivot is None else np.asarray(pivot, dtype=np.float64)
    points = (seam.points - pivot) @ rotation.T + pivot + np.asarray(translation, dtype=np.float64)
    return Seam(seam.joint, seam.shape, points, seam.tangents @ rotation.T, seam.sides @ rotation.T)


def reverse(seam: Seam) -> Seam:
    """The same seam welded from its other end (the wall stays where it is)."""
    return Seam(
        seam.joint,
        seam.shape,
        seam.points[::-1].copy(),
        -seam.tangents[::-1],
        seam.sides[::-1].copy(),
    )


def place_seam(seam: Seam, centre: np.ndarray, yaw: float) -> Seam:
    """Put a part-frame seam on the table: its midpoint (by arclength) at ``centre`` (x, y, z),
    rotated by ``yaw``."""
    middle = seam.points[len(seam.points) // 2]
    moved = transform(seam, yaw, np.zeros(3), pivot=middle)
    return transform(moved, 0.0, np.asarray(centre, dtype=np.float64) - middle)


@dataclass(frozen=True)
class FitUpError:
    """How the real seam differs from the taught one (m, rad)."""

    along: float  #: shift along the seam's mean direction
    lateral: float  #: shift across it, horizontal
    vertical: float  #: shift up/down (part sitting high or low)
    yaw: float  #: rotation about vertical through the seam's midpoint
    bow: float  #: lateral bend, peak at mid-length (distortion), sin-shaped, zero at both ends

    #: the ranges at difficulty 1: ±3 mm offsets, ±1 mm vertical, ±1.5°, ±2 mm bow
    LIMITS: ClassVar[dict[str, float]] = {
        "along": 0.003,
        "lateral": 0.003,
        "vertical": 0.001,
        "yaw": math.radians(1.5),
        "bow": 0.002,
    }

    @classmethod
    def sample(cls, rng: np.random.Generator, difficulty: float) -> FitUpError:
        """Each component uniform in ±difficulty × its limit (difficulty 0 = a perfect fixture)."""
        if not 0.0 <= difficulty <= 2.0 or not math.isfinite(difficulty):
            raise ValueError(f"difficulty must be within [0, 2], got {difficulty}")
        names = ("along", "lateral", "vertical", "yaw", "bow")
        values = (
            rng.uniform(-1.0, 1.0, len(names))
            * difficulty
            * np.array([cls.LIMITS[n] for n in names])
        )
        return cls(**dict(zip(names, values.tolist(), strict=True)))


def apply_fit_up_error(nominal: Seam, error: FitUpError) -> Seam:
    """The true seam: ``nominal`` bowed, rotated about its midpoint and shifted by ``error``.

    Samples are re-spaced to 1 mm along the displaced curve, so the true seam is
    a proper :class:`Seam` of (slightly) different length. A zero error
    returns ``nominal`` itself (re-spacing would move samples by µm).
    """
    if not any((error.along, error.lateral, error.vertical, error.yaw, error.bow)):
        return nominal
    s = nominal.arclength
    u = s / s[-1]
    bowed = nominal.points + (error.bow * np.sin(math.pi * u))[:, None] * nominal.sides
    chord = nominal.points[-1] - nominal.points[0]
    chord[2] = 0.0
    norm = np.linalg.norm(chord)
    direction = chord / norm if norm > 1e-9 else nominal.tangents[0]
    across = np.cross(UP, direction)
    shift = error.along * direction + error.lateral * across + error.vertical * UP
    middle = nominal.points[len(nominal.points) // 2]
    moved = transform(
        Seam(nominal.joint, nominal.shape, bowed, nominal.tangents, nominal.sides),
        error.yaw,
        shift,
        pivot=middle,
    )
    xy = _resample(moved.points[:, :2])
    z = np.full(len(xy), moved.points[0, 2])
    points = np.column_stack([xy, z])
    # left × side_sign = side, and left = UP × tangent, so side_sign = (UP × t)·side
    side_sign = float(np.sign(np.dot(np.cross(UP, moved.tangents[0]), moved.sides[0])) or 1.0)
    tangents, sides = _frames(points, side_sign)
    return Seam(nominal.joint, nominal.shape, points, tangents, sides)
