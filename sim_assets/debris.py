"""Loose debris for the rubble site: light dynamic boxes a quadruped can push aside.

Above difficulty 0.5 a :class:`DebrisField` scatters up to ``MAX_PIECES``
boxes (8–30 cm long and wide, 3–8 cm tall, 0.3–1.5 kg: an A1 weighs 12.5 kg)
over the field. Each is placed at rest: tilted to the hills under it, its
bottom a few mm above the highest terrain cell under its footprint (never
inside the ground, never dropped from a height), on cells that surround its
centre (so it does not tip off a block's edge). Pieces never overlap each
other or a keep-clear disc (the robot's start).

Sizes come from a 1 cm grid so collision and visual shapes are cached per
size: a scatter only creates and removes bodies (PyBullet has no call that
frees a visual shape, so a shape per piece would grow the world at every reset).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

import numpy as np

from robodojo.physics import Sim
from robodojo.physics.geometry import tilted_yaw_quaternion
from robodojo.sim_assets.terrain import START_PAD, Terrain

MAX_PIECES = 12  #: pieces at difficulty 1 (none at 0.5 and below)
MIN_DIFFICULTY = 0.5
SIDE_CM = (8, 30)  #: length and width range, cm (drawn on a 1 cm grid)
HEIGHT_CM = (3, 8)  #: height range, cm
MASS = (0.3, 1.5)  #: kg, growing with volume
FRICTION = 0.6  #: lateral friction (Bullet multiplies it with the ground's, 0.5 by default: 0.3)
CLEARANCE = 0.003  #: m between a piece's bottom and the highest cell under it
#: steepest hill (rad) a piece is put on: tan(0.2) ≈ 0.2, below the 0.3 combined friction, so it
#: stays put
MAX_REST_SLOPE = 0.2
#: cells within this (m) of the highest one under a piece carry it (so it settles by at most this)
SUPPORT = 0.01
#: ... and must reach out this fraction of its half extents (less half a cell) in every quadrant
SUPPORT_REACH = 0.5
#: deepest drop (m) under a piece: no bridging a gap or overhanging a tall block (PyBullet's ramped
#: edges let it slip)
MAX_HOLE = 0.04
#: candidate placements per piece before it is left out (12 of 12 placed in 300 fields at d = 1)
ATTEMPTS = 300
#: m kept free after the start pad, before the far end and at the sides
X_MARGIN_START, X_MARGIN_END, Y_MARGIN = 0.5, 0.3, 0.2
#: browns and greys, picked by size (not from the RNG, so colours never change the layout)
COLOURS = (
    (0.45, 0.36, 0.27, 1.0),
    (0.52, 0.50, 0.47, 1.0),
    (0.36, 0.30, 0.25, 1.0),
    (0.40, 0.40, 0.40, 1.0),
)


@dataclass(frozen=True)
class DebrisPiece:
    """One box as placed: centre (m), orientation quaternion (x, y, z, w), half extents (m), mass
    (kg), yaw (rad)."""

    position: tuple[float, float, float]
    orientation: tuple[float, float, float, float]
    half_extents: tuple[float, float, float]
    mass: float
    yaw: float


def piece_count(difficulty: float) -> int:
    """Pieces at ``difficulty``: none up to 0.5, then linear to ``MAX_PIECES`` at 1."""
    if difficulty <= MIN_DIFFICULTY:
        return 0
    return round(MAX_PIECES * (difficulty - MIN_DIFFICULTY) / (1.0 - MIN_DIFFICULTY))


def piece_mass(half_extents: Sequence[float]) -> float:
    """Mass (kg) growing linearly with volume from ``MASS[0]`` (smallest box) to ``MASS[1]``
    (largest)."""
    smallest, largest = (
        1e-6 * SIDE_CM[0] ** 2 * HEIGHT_CM[0],
        1e-6 * SIDE_CM[1] ** 2 * HEIGHT_CM[1],
    )  # m³
    volume = 8.0 * half_extents[0] * half_extents[1] * half_extents[2]
    return MASS[0] + (MASS[1] - MASS[0]) * (volume - smallest) / (largest - smallest)


class DebrisField:
    """The loose debris bodies in one sim: :meth:`scatter` replaces them, :meth:`clear` removes
    them.

    Args:
        sim: the simulation the bodies live in (its client makes and removes them).
    """

    def __init__(self, sim: Sim) -> None:
        self._sim = sim
        self._client = sim.client
        self._shapes: dict[
            tuple[int, int, int], tuple[int, int]
        ] = {}  # size in cm -> (collision, visual)
        self._bodies: list[int] = []
        #: the pieces in place, in the order of :attr:`body_ids`
        self.pieces: list[DebrisPiece] = []

    @property
    def body_ids(self) -> list[int]:
        return list(self._bodies)

    def clear(self) -> None:
        """Remove every piece (the shape cache stays)."""
        for body in self._bodies:
            self._sim.remove_body(body)
        self._bodies.clear()
        self.pieces = []

    def scatter(
        self,
        rng: np.random.Generator,
        terrain: Terrain,
        keep_clear: Sequence[tuple[float, float, float]] = (),
    ) -> None:
        """Replace the debris with ``piece_count(terrain.difficulty)`` pieces drawn from ``rng``.

        ``keep_clear`` holds discs (x, y, radius) no piece may overlap. A piece
        with no valid spot after ``ATTEMPTS`` draws is left out (not seen in
        300 fields at difficulty 1 with a 0.6 m start disc; 60 draws fell short in 2 %).
        """
        self.clear()
        count = piece_count(terrain.difficulty)
        if count == 0:
            return
        site = _Site(terrain)
        spots, jitter = site.spots, terrain.cell / 2
        taken = [
            (float(x), float(y), float(r)) for x, y, r in keep_clear
        ]  # discs a new piece must stay out of
        for _ in range(count):
            size_cm = cast(
                tuple[int, int, int],
                (
                    *(int(v) for v in rng.integers(SIDE_CM[0], SIDE_CM[1] + 1, size=2)),
                    int(rng.integers(HEIGHT_CM[0], HEIGHT_CM[1] + 1)),
                ),
            )
            half = (size_cm[0] / 200.0, size_cm[1] / 200.0, size_cm[2] / 200.0)
            # bounding circle of the box seen from above (its top is shifted by the tilt): a cheap,
            # conservative overlap test
            radius = math.hypot(half[0], half[1]) + 2 * half[2] * math.sin(MAX_REST_SLOPE)
            for _ in range(ATTEMPTS if len(spots) else 0):
                x, y = np.clip(
                    spots[int(rng.integers(len(spots)))] + rng.uniform(-jitter, jitter, size=2),
                    *site.bounds,
                )
                x, y = float(x), float(y)
                yaw = float(rng.uniform(-math.pi, math.pi))
                if any((x - cx) ** 2 + (y - cy) ** 2 < (radius + r) ** 2 for cx, cy, r in taken):
                    continue
                pose = site.rest_pose(x, y, yaw, half)
                if pose is not None:
                    taken.append((x, y, radius))
                    self._add(size_cm, half, *pose, yaw)
                    break

    def _add(
        self,
        size_cm: tuple[int, int, int],
        half: tuple[float, float, float],
        position: tuple[float, float, float],
        orientation: tuple[float, float, float, float],
        yaw: float,
    ) -> None:
        client = self._client
        if size_cm not in self._shapes:
            colour = COLOURS[sum(size_cm) % len(COLOURS)]
            self._shapes[size_cm] = (
                client.createCollisionShape(client.GEOM_BOX, halfExtents=half),
                client.createVisualShape(client.GEOM_BOX, halfExtents=half, rgbaColor=colour),
            )
        collision, visual = self._shapes[size_cm]
        mass = piece_mass(half)
        body = client.createMultiBody(mass, collision, visual, position, orientation)
        # A piece resting on the heightfield costs ~55 µs a physics step (box-vs-heightfield
        # contacts): it starts asleep and sleeps again once still, so only the pieces the robot
        # disturbs cost anything (measured: 6 pieces at difficulty 0.75, 36 → 66 env steps/s).
        client.changeDynamics(
            body,
            -1,
            lateralFriction=FRICTION,
            activationState=client.ACTIVATION_STATE_ENABLE_SLEEPING,
        )
        client.changeDynamics(body, -1, activationState=client.ACTIVATION_STATE_SLEEP)
        self._bodies.append(body)
        self.pieces.append(DebrisPiece(position, orientation, half, mass, yaw))


class _Site:
    """One terrain's grids, prepared once per scatter for many :meth:`rest_pose` queries."""

    def __init__(self, terrain: Terrain) -> None:
        self.cell, self.heights, self.half_width = terrain.cell, terrain.heights, terrain.width / 2
        ground = terrain.heights if terrain.ground is None else terrain.ground  # the smooth hills
        self.ground = ground
        self.slope_x, self.slope_y = np.gradient(ground, self.cell)
        x = np.arange(ground.shape[0]) * self.cell
        y = np.arange(ground.shape[1]) * self.cell - self.half_width
        #: lowest and highest (x, y) of a piece's centre
        self.bounds = np.array(
            [
                [START_PAD + X_MARGIN_START, Y_MARGIN - self.half_width],
                [terrain.length - X_MARGIN_END, self.half_width - Y_MARGIN],
            ]
        )
        inside = ((x >= self.bounds[0, 0]) & (x <= self.bounds[1, 0]))[:, None] & (
            np.abs(y) <= self.bounds[1, 1]
        )[None, :]
        gentle = np.hypot(self.slope_x, self.slope_y) <= math.tan(MAX_REST_SLOPE)
        i, j = np.nonzero(inside & gentle)
        #: world (x, y) of the vertices a piece may be centred near (within half a cell)
        self.spots = np.column_stack([x[i], y[j]])

    def rest_pose(
        self, x: float, y: float, yaw: float, half: tuple[float, float, float]
    ) -> tuple[tuple[float, float, float], tuple[float, float, float, float]] | None:
        """Centre and orientation of a box lying still at (x, y), or None where it would not.

        The box is tilted to the hills' tangent plane at (x, y) and lifted
        ``CLEARANCE`` above the highest cell under its footprint. It is refused
        on hills steeper than ``MAX_REST_SLOPE`` (it would slide), next to a
        higher wall (PyBullet's heightfield makes a block's side a ramp one cell
        wide, which would reach into the box), over a hole deeper than
        ``MAX_HOLE`` (a gap, a tall block's edge), or where the cells carrying
        it (within ``SUPPORT`` of the highest) do not surround the middle of its
        footprint (it would tip).
        """
        cell, heights = self.cell, self.heights
        i, j = round(x / cell), round((y + self.half_width) / cell)
        b, g = float(self.slope_x[i, j]), float(self.slope_y[i, j])
        if b * b + g * g > math.tan(MAX_REST_SLOPE) ** 2:
            return None
        wide = cell * math.sqrt(
            2.0
        )  # every heightfield triangle the footprint touches has its vertices this close
        k = math.ceil((math.hypot(half[0], half[1]) + wide) / cell)
        i0, i1, j0, j1 = (
            max(i - k, 0),
            min(i + k, heights.shape[0] - 1),
            max(j - k, 0),
            min(j + k, heights.shape[1] - 1),
        )
        dx = (np.arange(i0, i1 + 1) * cell - x)[:, None]
        dy = (np.arange(j0, j1 + 1) * cell - self.half_width - y)[None, :]
        c, s = math.cos(yaw), math.sin(yaw)
        u, v = c * dx + s * dy, -s * dx + c * dy  # the piece's frame
        a = (
            float(self.ground[i, j]) - b * float(dx[i - i0, 0]) - g * float(dy[0, j - j0])
        )  # the plane's height at (x, y)
        off = heights[i0 : i1 + 1, j0 : j1 + 1] - (
            a + b * dx + g * dy
        )  # height over the tangent plane
        under = (np.abs(u) <= half[0] + cell / 2) & (
            np.abs(v) <= half[1] + cell / 2
        )  # the cells under the footprint
        top = float(off[under].max())
        near = (np.abs(u) <= half[0] + wide) & (np.abs(v) <= half[1] + wide)
        if float(off[near].max()) > top + CLEARANCE:
            return None
        if float(off[under].min()) < top - MAX_HOLE:
            return None
        carrying = under & (off >= top - SUPPORT)
        # The carrying cells' convex hull holds the middle of the footprint if each of its four
        # corners has a carrying cell beyond it (in its quadrant): then the piece cannot tip.
        mu, mv = (
            max(SUPPORT_REACH * half[0] - cell / 2, 0.0),
            max(SUPPORT_REACH * half[1] - cell / 2, 0.0),
        )
        right, left, up, down = u >= mu, u <= -mu, v >= mv, v <= -mv
        if not all((carrying & p & q).any() for p in (right, left) for q in (up, down)):
            return None
        normal = np.array([-b, -g, 1.0]) / math.sqrt(1.0 + b * b + g * g)
        centre = np.array([x, y, a + top + CLEARANCE]) + half[2] * normal
        return (float(centre[0]), float(centre[1]), float(centre[2])), tilted_yaw_quaternion(
            normal, yaw
        )
