"""The rescue site's victim and the robot's victim detector (a thermal camera: range, bearing, line
of sight)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from robodojo.physics import Sim
from robodojo.sim_assets.terrain import A1_STEP_LIMIT, Terrain, reachable

#: A person lying down: length, width, height (m).
VICTIM_SIZE = np.array([1.5, 0.45, 0.22])
#: Where victims lie: beyond the rubble, clear of the far end and the sides (m).
VICTIM_X = (5.5, 7.2)
VICTIM_Y = 1.2
#: Ray-test collision groups: the robot sits in its own group so scans and sight lines pass through
#: it. (Bullet puts dynamic bodies in group 1 and static ones, terrain and victim, in group 2.)
ROBOT_GROUP = 4
WORLD_MASK = 0xFFFF & ~ROBOT_GROUP


@dataclass
class Victim:
    x: float
    y: float
    yaw: float
    z: float  #: centre height

    def distance(self, x: float, y: float) -> float:
        """Horizontal distance from (x, y) to the victim's footprint (0 on top of it)."""
        c, s = math.cos(self.yaw), math.sin(self.yaw)
        dx, dy = x - self.x, y - self.y
        along, across = c * dx + s * dy, -s * dx + c * dy
        half = VICTIM_SIZE[:2] / 2
        return math.hypot(max(abs(along) - half[0], 0.0), max(abs(across) - half[1], 0.0))

    def sight_points(self) -> np.ndarray:
        """Points on the victim's upper surface a camera may see: head, chest, legs."""
        c, s = math.cos(self.yaw), math.sin(self.yaw)
        top = self.z + VICTIM_SIZE[2] / 2 - 0.02
        return np.array([[self.x + c * a, self.y + s * a, top] for a in (-0.55, 0.0, 0.55)])


def place_victim(rng: np.random.Generator, terrain: Terrain) -> Victim:
    """A victim on ground the robot can reach, resting on the highest cell under it (never inside an
    obstacle).

    The centre is drawn among the cells in the victim area that :func:`reachable`
    connects to the start within the step limit, so every site can be solved.
    """
    mask = reachable(terrain, A1_STEP_LIMIT)
    rows = np.arange(terrain.heights.shape[0]) * terrain.cell
    cols = np.arange(terrain.heights.shape[1]) * terrain.cell - terrain.width / 2
    region = (
        (rows[:, None] >= VICTIM_X[0])
        & (rows[:, None] <= VICTIM_X[1])
        & (np.abs(cols[None, :]) <= VICTIM_Y)
    )
    candidates = np.argwhere(mask & region)
    if (
        candidates.size == 0
    ):  # the generator guarantees a route; this only guards a generator change
        raise RuntimeError("no reachable cell in the victim area")
    i, j = candidates[rng.integers(len(candidates))]
    x, y, yaw = float(rows[i]), float(cols[j]), float(rng.uniform(-math.pi, math.pi))
    # The footprint's bounding box (rotated rectangle) decides the resting height.
    c, s = abs(math.cos(yaw)), abs(math.sin(yaw))
    hx = (VICTIM_SIZE[0] * c + VICTIM_SIZE[1] * s) / 2
    hy = (VICTIM_SIZE[0] * s + VICTIM_SIZE[1] * c) / 2
    i0, j0 = terrain.index(x - hx, y - hy)
    i1, j1 = terrain.index(x + hx, y + hy)
    under = terrain.heights[max(i0, 0) : i1 + 1, max(j0, 0) : j1 + 1]
    return Victim(x, y, yaw, float(under.max()) + VICTIM_SIZE[2] / 2 + 0.005)


class VictimBody:
    """The victim as one static box in the world, moved at every reset."""

    COLOUR = (1.0, 0.45, 0.05, 1.0)  # high-visibility orange

    def __init__(self, sim: Sim) -> None:
        client = sim.client
        self._client = client
        half = (VICTIM_SIZE / 2).tolist()
        shape = client.createCollisionShape(client.GEOM_BOX, halfExtents=half)
        visual = client.createVisualShape(client.GEOM_BOX, halfExtents=half, rgbaColor=self.COLOUR)
        self.body = client.createMultiBody(0, shape, visual, [0.0, 0.0, -5.0])

    def place(self, victim: Victim) -> None:
        orientation = self._client.getQuaternionFromEuler([0.0, 0.0, victim.yaw])
        self._client.resetBasePositionAndOrientation(
            self.body, [victim.x, victim.y, victim.z], orientation
        )


class VictimDetector:
    """A thermal camera on the robot's nose: range and bearing to the victim when it is in view.

    In view = within ``max_range`` of the sensor, within ±``fov``/2 of the
    heading, and at least one sight line (to head, chest or legs) reaches the
    victim before any terrain or debris. Readings carry Gaussian noise
    (``range_noise`` fraction of the range, ``bearing_noise`` rad).
    """

    def __init__(
        self,
        sim: Sim,
        victim_body: int,
        max_range: float,
        fov: float,
        range_noise: float = 0.03,
        bearing_noise: float = math.radians(1.0),
    ) -> None:
        self._client = sim.client
        self.victim_body = victim_body
        self.max_range = max_range
        self.half_fov = fov / 2
        self.range_noise = range_noise
        self.bearing_noise = bearing_noise

    def in_sight(self, sensor: np.ndarray, victim: Victim) -> bool:
        """Whether any sight line from ``sensor`` reaches the victim first (terrain and debris block
        it)."""
        targets = victim.sight_points()
        hits = self._client.rayTestBatch(
            [sensor.tolist()] * len(targets), targets.tolist(), collisionFilterMask=WORLD_MASK
        )
        return any(hit[0] == self.victim_body for hit in hits)

    def detect(
        self, rng: np.random.Generator, sensor: np.ndarray, yaw: float, victim: Victim
    ) -> tuple[float, float] | None:
        """(range m, bearing rad in the heading frame) with noise, or None when the victim is not in
        view."""
        dx, dy = victim.x - sensor[0], victim.y - sensor[1]
        distance = math.hypot(dx, dy)
        bearing = (math.atan2(dy, dx) - yaw + math.pi) % (2 * math.pi) - math.pi
        if (
            distance > self.max_range
            or abs(bearing) > self.half_fov
            or not self.in_sight(sensor, victim)
        ):
            return None
        return distance * (
            1.0 + self.range_noise * rng.standard_normal()
        ), bearing + self.bearing_noise * rng.standard_normal()
