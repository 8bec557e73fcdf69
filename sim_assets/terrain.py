"""Seeded rubble fields for legged robots: a heightfield of slabs, blocks, slopes, steps and gaps.

One ``difficulty`` in [0, 1] scales every feature (0 is flat ground). Sizes
follow legged_gym's rough-terrain recipe scaled to an A1-sized robot's legs
(FIELD_NOTES): obstacles 2–12 cm, steps at most 10 cm, slopes up to 0.4·d
rad. The field runs along +x from a flat start pad; :func:`traversable`
checks that a route within a step limit crosses it, so a generator bug can
never hand out an impossible site.

The terrain is a numpy height grid first (cheap, testable without a
simulator) and a PyBullet heightfield second (:func:`load_terrain`, which
reuses one collision shape across resets).
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field

import numpy as np

from robodojo.physics import Sim

CELL = 0.05  #: m per heightfield cell
LENGTH = 8.0  #: m along +x
WIDTH = 4.0  #: m along y
START_PAD = 1.0  #: m of flat ground at the start (x from 0)
#: per-difficulty feature sizes (m, rad), at d = 1
MAX_OBSTACLE = 0.12
MIN_OBSTACLE = 0.02
MAX_STEP = 0.10
MAX_SLOPE = 0.4
MAX_GAP = 0.15  #: gap width
GAP_DEPTH = 0.2
GAP_FROM = 0.4  #: trenches appear from this difficulty on
#: the biggest height change between neighbouring cells an A1 walks over (a step of ~0.5 × leg
#: length)
A1_STEP_LIMIT = 0.12
CONCRETE = (0.62, 0.6, 0.56, 1.0)  #: the field's colour in renders
GROUND_FRICTION = 1.0  #: the heightfield's lateral friction (Bullet multiplies it with the foot's)
#: the height range every PyBullet field is created with (below and above any terrain): see
#: TerrainBody
PIN_LOW, PIN_HIGH = -1.0, 1.0


@dataclass
class Terrain:
    """A height grid (rows along x, columns along y) over [0, length] × [−width/2, width/2], and
    what is on it."""

    heights: np.ndarray
    difficulty: float
    #: the smooth ground under the debris, steps and gaps (hills only): what "slope" is measured on
    ground: np.ndarray | None = None
    cell: float = CELL
    features: list[tuple[str, dict]] = field(default_factory=list)

    @property
    def length(self) -> float:
        return (self.heights.shape[0] - 1) * self.cell

    @property
    def width(self) -> float:
        return (self.heights.shape[1] - 1) * self.cell

    def index(self, x: float, y: float) -> tuple[int, int]:
        """Grid cell nearest to world (x, y)."""
        return int(round(x / self.cell)), int(round((y + self.width / 2) / self.cell))

    def height_at(self, x: float, y: float) -> float:
        i, j = self.index(x, y)
        return float(
            self.heights[
                min(max(i, 0), self.heights.shape[0] - 1), min(max(j, 0), self.heights.shape[1] - 1)
            ]
        )

    def max_slope(self) -> float:
        """Steepest gradient (rad) of the ground under the debris, steps and gaps."""
        ground = self.heights if self.ground is None else self.ground
        rise = max(float(np.abs(np.diff(ground, axis=a)).max(initial=0.0)) for a in (0, 1))
        return math.atan(rise / self.cell)

    def max_jump(self) -> float:
        """Largest height change (m) between neighbouring cells: block, step and gap edges."""
        return max(float(np.abs(np.diff(self.heights, axis=a)).max(initial=0.0)) for a in (0, 1))


def generate_terrain(
    rng: np.random.Generator, difficulty: float, length: float = LENGTH, width: float = WIDTH
) -> Terrain:
    """A rubble field of the given difficulty in [0, 1] (0: flat), drawn from ``rng``."""
    if not 0.0 <= difficulty <= 1.0:
        raise ValueError(f"difficulty must be in [0, 1], got {difficulty}")
    rows, cols = int(round(length / CELL)) + 1, int(round(width / CELL)) + 1
    terrain = Terrain(np.zeros((rows, cols)), float(difficulty))
    if difficulty == 0.0:
        return terrain
    start = int(round(START_PAD / CELL))
    _slopes(terrain, rng, start)
    terrain.ground = terrain.heights.copy()
    _steps(terrain, rng, start)
    _gaps(terrain, rng, start)
    _debris(terrain, rng, start)
    return terrain


def _slopes(terrain: Terrain, rng: np.random.Generator, start: int) -> None:
    """Gentle hills along x: a sum of ramps whose gradient never exceeds tan(0.4·d)."""
    d, h = terrain.difficulty, terrain.heights
    angle = MAX_SLOPE * d * rng.uniform(0.5, 1.0)
    x = np.arange(h.shape[0] - start) * terrain.cell
    period = rng.uniform(1.5, 3.0)
    amplitude = math.tan(angle) * period / (2 * math.pi)  # max gradient of a·sin(2πx/p) is 2πa/p
    h[start:] += (amplitude * np.sin(2 * np.pi * x / period))[:, None]
    terrain.features.append(("hills", {"angle": angle, "period": period}))


def _steps(terrain: Terrain, rng: np.random.Generator, start: int) -> None:
    """Full-width terraces up and down, each at most 0.1·d m high."""
    d, h = terrain.difficulty, terrain.heights
    for _ in range(int(rng.integers(1, 3))):
        row = int(rng.integers(start + 10, h.shape[0] - 10))
        rise = float(rng.choice([-1.0, 1.0]) * rng.uniform(0.5, 1.0) * MAX_STEP * d)
        h[row:] += rise
        terrain.features.append(("step", {"x": row * terrain.cell, "rise": rise}))


def _debris(terrain: Terrain, rng: np.random.Generator, start: int) -> None:
    """Slabs and blocks: rectangles (10–50 cm) raised 2 cm + up to 10 cm × d on top of the
    ground."""
    d, h, cell = terrain.difficulty, terrain.heights, terrain.cell
    count = int(round(40 * d))
    for _ in range(count):
        i, j = int(rng.integers(start, h.shape[0] - 2)), int(rng.integers(0, h.shape[1] - 2))
        di, dj = (int(v) for v in rng.integers(2, 10, size=2))
        top = MIN_OBSTACLE + (MAX_OBSTACLE - MIN_OBSTACLE) * d * rng.uniform(0.3, 1.0)
        patch = h[i : i + di, j : j + dj]
        patch[...] = patch.min() + top  # a flat-topped block sitting on the lowest ground under it
        terrain.features.append(
            ("block", {"x": i * cell, "y": j * cell - terrain.width / 2, "height": top})
        )


def _gaps(terrain: Terrain, rng: np.random.Generator, start: int) -> None:
    """Trenches across part of the width, GAP_DEPTH deep and up to 0.15·d m wide, never across all
    of it.

    Only from difficulty GAP_FROM: a trench is the one feature a foot can get caught in (measured:
    the scripted trot fell at 4 of 10 sites of difficulty 0.25 with 5 cm trenches, beside them).
    """
    d, h, cell = terrain.difficulty, terrain.heights, terrain.cell
    if d < GAP_FROM:
        return
    before = (
        h.copy()
    )  # trenches never deepen each other: each is GAP_DEPTH below the ground it cuts
    rows_free = np.arange(start + 10, h.shape[0] - 10)
    for _ in range(int(rng.integers(1, 3))):
        if rows_free.size == 0:
            break
        row = int(rng.choice(rows_free))
        rows_free = rows_free[
            np.abs(rows_free - row) > 10
        ]  # trenches 0.5 m apart: each leaves its own way round
        rows = max(1, int(round(MAX_GAP * d * rng.uniform(0.5, 1.0) / cell)))
        span = int(h.shape[1] * rng.uniform(0.4, 0.7))
        first = int(rng.integers(0, h.shape[1] - span))
        cut = (slice(row, row + rows), slice(first, first + span))
        h[cut] = np.minimum(h[cut], before[cut] - GAP_DEPTH)
        terrain.features.append(("gap", {"x": row * cell, "width": rows * cell}))


def reachable(
    terrain: Terrain, step_limit: float = A1_STEP_LIMIT, margin: float = 0.3
) -> np.ndarray:
    """Cells a walker reaches from the start edge (x = 0) over neighbouring cells, each rise ≤
    ``step_limit``.

    ``margin`` keeps the route that far from the side edges (a robot is not a point).
    """
    h = terrain.heights
    edge = int(round(margin / terrain.cell))
    rows, cols = h.shape
    seen = np.zeros_like(h, dtype=bool)
    queue = deque((0, j) for j in range(edge, cols - edge))
    for cell in queue:
        seen[cell] = True
    while queue:
        i, j = queue.popleft()
        for ni, nj in ((i + 1, j), (i - 1, j), (i, j + 1), (i, j - 1)):
            if (
                0 <= ni < rows
                and edge <= nj < cols - edge
                and not seen[ni, nj]
                and abs(h[ni, nj] - h[i, j]) <= step_limit
            ):
                seen[ni, nj] = True
                queue.append((ni, nj))
    return seen


def traversable(terrain: Terrain, step_limit: float = A1_STEP_LIMIT, margin: float = 0.3) -> bool:
    """Whether a route of cells, each rise ≤ ``step_limit``, leads from the start pad to the far end
    (see :func:`reachable`)."""
    return bool(reachable(terrain, step_limit, margin)[-1].any())


class TerrainBody:
    """The terrain as one PyBullet heightfield body; :meth:`update` swaps heights in place (no new
    body per reset)."""

    def __init__(self, sim: Sim, terrain: Terrain) -> None:
        self._client = sim.client
        self._shape_args = {
            "meshScale": [terrain.cell, terrain.cell, 1.0],
            "numHeightfieldRows": terrain.heights.shape[0],
            "numHeightfieldColumns": terrain.heights.shape[1],
        }
        # PyBullet fixes a field's vertical centre and bounds when it is created and keeps them when
        # the data is replaced (measured: a ball fell through a rough field that replaced a flat
        # one). So the field is created once with two far corners pinned to PIN_LOW and PIN_HIGH,
        # below and above any terrain, then replaced at once by the real heights: later fields need
        # no pins, and renders show no spikes.
        created = self._data(terrain)
        created[0], created[-1] = PIN_LOW, PIN_HIGH
        self.shape = self._client.createCollisionShape(
            self._client.GEOM_HEIGHTFIELD, heightfieldData=created, **self._shape_args
        )
        self.body = self._client.createMultiBody(0, self.shape, -1, self._position(terrain))
        self.update(terrain)
        # Bullet multiplies the two bodies' frictions: PyBullet's default 0.5 against the robots'
        # 0.5 feet gives 0.25, ice (measured: the trot slid back down 10° hills). 1.0, as
        # pybullet_data's plane.urdf, gives rubber on concrete a conservative 0.5.
        self._client.changeDynamics(self.body, -1, lateralFriction=GROUND_FRICTION)
        self._client.changeVisualShape(self.body, -1, rgbaColor=CONCRETE)

    @staticmethod
    def _data(terrain: Terrain) -> list[float]:
        # PyBullet's "rows" run along x: the value at (x index i, y index j) sits at i + j * rows.
        return terrain.heights.T.flatten().tolist()

    @staticmethod
    def _position(terrain: Terrain) -> list[float]:
        # PyBullet centres a heightfield on its origin, vertically between its lowest and highest
        # point (the pins)
        return [terrain.length / 2, 0.0, (PIN_LOW + PIN_HIGH) / 2]

    def update(self, terrain: Terrain) -> None:
        self._client.createCollisionShape(
            self._client.GEOM_HEIGHTFIELD,
            heightfieldData=self._data(terrain),
            replaceHeightfieldIndex=self.shape,
            **self._shape_args,
        )
