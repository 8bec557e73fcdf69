"""The fixture table and the welded part, built from PyBullet boxes around
a :class:`~robodojo.sim_assets.seams.Seam`.

Conventions (world frame, metres):

* The **fixture table** is a static grey box whose top face is at
  :data:`TABLE_TOP_Z` (z = 0), x ∈ [0.25, 1.15], y ∈ [−0.55, 0.55], 4 cm thick (every arm's parts
  fit).
* A seam's ``points`` are the **root line**. For fillet and lap joints the root
  lies on the base plate's *top* surface, so the base plate occupies
  z ∈ [root_z − 8 mm, root_z]; the wall (fillet web, 8 mm × 40 mm tall, or the
  lap's 6 mm upper plate reaching 40 mm toward ``sides``) stands on it with its
  face through the root line. For a butt joint two 8 mm plates meet at the
  root line (a 0.5 mm gap between them), their top faces at root_z. With
  root_z = :data:`BASE_THICKNESS` (8 mm) the plates rest on the table.
* Plates reach :data:`PLATE_MARGIN` (50 mm) either side of the seam and
  :data:`END_MARGIN` (20 mm) past its ends; the wall spans exactly the seam.

The part is **one static multibody** (mass 0): an invisible, shapeless base at
the world origin and one fixed box link per segment, so
``getClosestPoints(other, part_id, d)`` is a single query and its
``linkIndexB`` tells what was hit (see :attr:`Workpiece.link_roles`). Curved
seams are cut into chord segments of ≤ 10 mm (≤ :data:`CHORD_TOLERANCE` from
the curve; straight runs up to :data:`MAX_STRAIGHT_SEGMENT`), each box
lengthened just enough to close the wedge gap on the outside of a bend.

PyBullet cannot free the shapes of a removed body, so box shapes are cached
per :class:`Sim` and reused across builds (box lengths rounded up to 0.1 mm).
PyBullet still keeps ~0.85 kB for every link of every removed body (a part
has ~35), so the env rebuilds its world every few hundred resets
(:data:`robodojo.envs.base.REBUILD_EVERY_RESETS`), which frees both.
"""

from __future__ import annotations

import itertools
import math
import weakref
from dataclasses import dataclass

import numpy as np

from robodojo.physics import (
    Sim,
    pybullet,
)  # pybullet for constants only; calls go through the Sim's client
from robodojo.physics.bodies import static_compound
from robodojo.sim_assets.seams import UP, Seam

TABLE_TOP_Z = 0.0
TABLE_X = (0.25, 1.15)
TABLE_Y = (-0.55, 0.55)
TABLE_THICKNESS = 0.04
TABLE_COLOUR = (0.45, 0.45, 0.47, 1.0)

BASE_THICKNESS = 0.008  #: base plate (and both butt plates)
WEB_THICKNESS = 0.008  #: fillet web
WEB_HEIGHT = 0.040
LAP_THICKNESS = 0.006  #: lap upper plate
LAP_WIDTH = 0.040  #: how far the lap's upper plate reaches toward ``sides``
BUTT_GAP = 0.0005
PLATE_MARGIN = 0.050  #: base plate reach either side of the seam
END_MARGIN = 0.020  #: base plate overrun past the seam's ends

MAX_CURVED_SEGMENT = 0.010
CURVED_TURN = math.radians(
    2.0
)  #: a segment turning more than this counts as curved (≤ MAX_CURVED_SEGMENT)
MAX_STRAIGHT_SEGMENT = 0.100
CHORD_TOLERANCE = 1e-4  #: max distance of a seam sample from its segment's chord, m
OVERLAP = 1e-4  #: extra length at each segment end beyond the bend-gap closure

PLATE_COLOUR = (0.62, 0.64, 0.67, 1.0)  #: steel grey
WALL_COLOUR = (0.50, 0.53, 0.58, 1.0)  #: a slightly darker, bluer steel


@dataclass(frozen=True)
class PlateSpec:
    """One plate's cross-section relative to the root line: lateral offsets along ``sides`` and z
    relative to root_z."""

    role: str  #: "base", "wall" (fillet web / lap upper plate / butt's second plate)
    lateral: tuple[float, float]
    z: tuple[float, float]
    colour: tuple[float, float, float, float]


def plate_specs(joint: str) -> tuple[PlateSpec, ...]:
    """The plates of a joint type."""
    base = PlateSpec("base", (-PLATE_MARGIN, PLATE_MARGIN), (-BASE_THICKNESS, 0.0), PLATE_COLOUR)
    if joint == "fillet":
        return base, PlateSpec("wall", (0.0, WEB_THICKNESS), (0.0, WEB_HEIGHT), WALL_COLOUR)
    if joint == "lap":
        return base, PlateSpec("wall", (0.0, LAP_WIDTH), (0.0, LAP_THICKNESS), WALL_COLOUR)
    if joint == "butt":
        return (
            PlateSpec("base", (-PLATE_MARGIN, -BUTT_GAP / 2), (-BASE_THICKNESS, 0.0), PLATE_COLOUR),
            PlateSpec("wall", (BUTT_GAP / 2, PLATE_MARGIN), (-BASE_THICKNESS, 0.0), WALL_COLOUR),
        )
    raise ValueError(f"unknown joint type {joint!r}; valid types: fillet, lap, butt")


def build_table(sim: Sim) -> int:
    """The fixture table: a static box with its top face at z = TABLE_TOP_Z. Returns its body id."""
    client = sim.client
    half = [(TABLE_X[1] - TABLE_X[0]) / 2, (TABLE_Y[1] - TABLE_Y[0]) / 2, TABLE_THICKNESS / 2]
    centre = [
        (TABLE_X[0] + TABLE_X[1]) / 2,
        (TABLE_Y[0] + TABLE_Y[1]) / 2,
        TABLE_TOP_Z - TABLE_THICKNESS / 2,
    ]
    return client.createMultiBody(
        baseMass=0.0,
        baseCollisionShapeIndex=client.createCollisionShape(pybullet.GEOM_BOX, halfExtents=half),
        baseVisualShapeIndex=client.createVisualShape(
            pybullet.GEOM_BOX, halfExtents=half, rgbaColor=TABLE_COLOUR
        ),
        basePosition=centre,
    )


def segment_breaks(seam: Seam) -> list[int]:
    """Sample indices where box segments start/end: chords within CHORD_TOLERANCE of every sample
    they span, ≤ MAX_CURVED_SEGMENT long where the seam turns by > CURVED_TURN, ≤
    MAX_STRAIGHT_SEGMENT where it does not."""
    xy = seam.points[:, :2]
    n = len(xy)
    heading = np.unwrap(np.arctan2(seam.tangents[:, 1], seam.tangents[:, 0]))
    spacing = seam.length / max(n - 1, 1)
    candidates = sorted(
        {
            max(1, round(d / spacing))
            for d in (0.1, 0.08, 0.06, 0.04, 0.03, 0.02, 0.015, *np.arange(1, 11) * 1e-3)
        },
        reverse=True,
    )
    curved_max = max(1, math.floor(MAX_CURVED_SEGMENT / spacing + 1e-9))
    breaks = [0]
    i = 0
    while i < n - 1:
        chosen = 1
        for step in candidates:
            j = min(i + step, n - 1)
            turn = abs(heading[j] - heading[i]) + np.ptp(heading[i : j + 1])
            if turn > CURVED_TURN and j - i > curved_max:
                continue
            chord = xy[j] - xy[i]
            length = np.linalg.norm(chord)
            rel = xy[i : j + 1] - xy[i]
            deviation = np.abs(rel[:, 0] * chord[1] - rel[:, 1] * chord[0]) / max(length, 1e-12)
            if deviation.max() <= CHORD_TOLERANCE:
                chosen = j - i
                break
        i += chosen
        breaks.append(i)
    return breaks


@dataclass(frozen=True)
class Workpiece:
    """A built part: the multibody id and, per link index, the role of its box ("base" or
    "wall")."""

    body: int
    link_roles: tuple[str, ...]

    @property
    def ids(self) -> list[int]:
        return [self.body]


def _boxes(seam: Seam) -> list[tuple[np.ndarray, float, np.ndarray, str, tuple]]:
    """(centre, yaw, half extents, role, colour) of every box of the part."""
    points = seam.points
    breaks = segment_breaks(seam)
    side_sign = float(np.sign(np.dot(np.cross(UP, seam.tangents[0]), seam.sides[0])) or 1.0)
    chords = []
    for a, b in itertools.pairwise(breaks):
        c = points[b, :2] - points[a, :2]
        chords.append((points[a], points[b], math.atan2(c[1], c[0])))
    # turn (signed, toward +left) at every junction, 0 at the two ends
    turns = (
        [0.0]
        + [
            math.remainder(chords[k + 1][2] - chords[k][2], math.tau)
            for k in range(len(chords) - 1)
        ]
        + [0.0]
    )
    boxes = []
    for spec in plate_specs(seam.joint):
        lo, hi = spec.lateral
        for k, (pa, pb, yaw) in enumerate(chords):
            c = np.array([math.cos(yaw), math.sin(yaw), 0.0])
            normal = side_sign * np.array([-c[1], c[0], 0.0])  # horizontal, toward sides
            extend = []
            for turn in (turns[k], turns[k + 1]):
                # the bend's outside is where lateral offset × side_sign × turn < 0; the gap there
                # is |offset|·tan(turn/2)
                outer = max(0.0, -lo if side_sign * turn > 0 else hi)
                extend.append(outer * math.tan(abs(turn) / 2) + OVERLAP if turn != 0.0 else 0.0)
            if spec.role == "base":  # plates overrun the seam's ends
                extend[0] = extend[0] if k > 0 else END_MARGIN
                extend[1] = extend[1] if k < len(chords) - 1 else END_MARGIN
            length = float(np.linalg.norm(pb[:2] - pa[:2]))
            z0 = 0.5 * (pa[2] + pb[2])
            along = 0.5 * (extend[1] - extend[0])
            centre = 0.5 * (pa + pb) + c * along + normal * 0.5 * (lo + hi)
            centre[2] = z0 + 0.5 * (spec.z[0] + spec.z[1])
            half = np.array(
                [
                    0.5 * length + 0.5 * (extend[0] + extend[1]),
                    0.5 * (hi - lo),
                    0.5 * (spec.z[1] - spec.z[0]),
                ]
            )
            boxes.append((centre, yaw, half, spec.role, spec.colour))
    return boxes


#: box lengths are rounded *up* to this grid so shapes can be shared between builds
#: (see :func:`_box_shapes`)
LENGTH_QUANTUM = 1e-4

_SHAPE_CACHE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _box_shapes(sim: Sim, half: np.ndarray, colour: tuple) -> tuple[int, int, np.ndarray]:
    """(collision shape, visual shape, half extents actually used) for a box, shared across builds.

    PyBullet never frees a shape once a body has used it, so building fresh
    shapes every episode leaks ~2 kB per box. Instead the box's length is
    rounded up to :data:`LENGTH_QUANTUM` (widths and heights are fixed per
    plate type) and shapes are cached per Sim: the cache is bounded by
    (plate types) × (max segment length / quantum), a few thousand boxes at
    most, and goes with the world when the env rebuilds it.
    """
    cache = _SHAPE_CACHE.setdefault(sim, {})
    steps = max(1, math.ceil(2.0 * half[0] / LENGTH_QUANTUM - 1e-6))
    key = (steps, round(half[1] * 1e7), round(half[2] * 1e7), colour)
    if key not in cache:
        used = [0.5 * steps * LENGTH_QUANTUM, key[1] * 1e-7, key[2] * 1e-7]
        client = sim.client
        cache[key] = (
            client.createCollisionShape(pybullet.GEOM_BOX, halfExtents=used),
            client.createVisualShape(pybullet.GEOM_BOX, halfExtents=used, rgbaColor=colour),
            np.array(used),
        )
    return cache[key]


def build_workpiece(sim: Sim, seam: Seam) -> Workpiece:
    """Build the part around ``seam`` (world coordinates) as one static multibody; see the module
    docstring.

    Returns a :class:`Workpiece`: ``.body`` is the multibody id for
    ``getClosestPoints``/``rayTest``, ``.link_roles[link]`` says whether a
    link is base plate or wall, ``.ids`` is ``[body]``. Box lengths are
    rounded up by < 0.1 mm (both ends grow equally) so shapes can be reused.
    """
    client = sim.client
    boxes = _boxes(seam)
    collisions, visuals, positions, orientations = [], [], [], []
    for centre, yaw, half, _, colour in boxes:
        collision, visual, _ = _box_shapes(sim, half, colour)
        collisions.append(collision)
        visuals.append(visual)
        positions.append(centre.tolist())
        orientations.append([0.0, 0.0, math.sin(yaw / 2), math.cos(yaw / 2)])
    body = static_compound(client, collisions, visuals, positions, orientations)
    return Workpiece(body, tuple(b[3] for b in boxes))


def remove_workpiece(sim: Sim, workpiece: Workpiece) -> None:
    """Delete a built part (at reset, before building the next one).

    Its box shapes stay cached for the next build (PyBullet refuses
    ``removeCollisionShape`` for a shape a removed multibody used and cannot
    free visual shapes at all); what PyBullet keeps of the body itself goes
    when the env rebuilds its world.
    """
    sim.remove_body(workpiece.body)
