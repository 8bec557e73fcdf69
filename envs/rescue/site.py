"""The rescue site's victim and the robot's victim detector (a thermal camera: range, bearing, line
of sight)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

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


#: Colours of the person's clothes and skin: none is the robots' orange or the rubble's greys.
SKIN = (0.87, 0.66, 0.52, 1.0)
HAIR = (0.25, 0.16, 0.1, 1.0)
JACKET = (0.15, 0.6, 0.25, 1.0)  # green: the ground renders blue-grey
TROUSERS = (0.2, 0.22, 0.26, 1.0)  # dark grey
BOOTS = (0.1, 0.08, 0.07, 1.0)


@dataclass(frozen=True)
class _Part:
    """One primitive of the person: a box (``size`` = half extents), a sphere (``size`` =
    (radius,)) or a capsule along the body's length (``size`` = (radius, length))."""

    shape: str
    size: tuple[float, ...]
    centre: tuple[float, float, float]  #: in the victim box's frame (m)
    colour: tuple[float, float, float, float]


_FLOOR = -VICTIM_SIZE[2] / 2  # the box's underside: every part rests on it

#: A person lying on their back, head toward +x, inside the victim's 1.5 x 0.45 x 0.22 m box
#: (the arms' sleeves reach 5 mm past its sides).
PERSON: tuple[_Part, ...] = (
    _Part("sphere", (0.1,), (0.62, 0.0, _FLOOR + 0.1), SKIN),
    _Part("sphere", (0.095,), (0.64, 0.0, _FLOOR + 0.09), HAIR),  # the back of the head
    _Part("box", (0.26, 0.15, 0.09), (0.25, 0.0, _FLOOR + 0.09), JACKET),
    _Part("box", (0.1, 0.14, 0.075), (-0.08, 0.0, _FLOOR + 0.075), TROUSERS),
    *(
        part
        for side in (-1.0, 1.0)
        for part in (
            _Part("capsule", (0.045, 0.4), (0.27, side * 0.185, _FLOOR + 0.045), JACKET),
            _Part("sphere", (0.045,), (0.0, side * 0.185, _FLOOR + 0.045), SKIN),
            _Part("capsule", (0.065, 0.46), (-0.38, side * 0.075, _FLOOR + 0.065), TROUSERS),
            _Part("box", (0.04, 0.05, 0.07), (-0.69, side * 0.075, _FLOOR + 0.07), BOOTS),
        )
    ),
)


class VictimBody:
    """The victim as one static box in the world, moved at every reset, drawn as a person.

    The box is the only collision shape (what the robot touches and the detector's sight lines
    hit); the person (:data:`PERSON`) is visual shapes only, so it does not change the physics.
    """

    def __init__(self, sim: Sim) -> None:
        client = sim.client
        self._client = client
        half = (VICTIM_SIZE / 2).tolist()
        shape = client.createCollisionShape(client.GEOM_BOX, halfExtents=half)
        self.body = client.createMultiBody(0, shape, _person_visual(client), [0.0, 0.0, -5.0])
        for index, part in enumerate(PERSON):
            client.changeVisualShape(self.body, -1, shapeIndex=index, rgbaColor=part.colour)

    def place(self, victim: Victim) -> None:
        orientation = self._client.getQuaternionFromEuler([0.0, 0.0, victim.yaw])
        self._client.resetBasePositionAndOrientation(
            self.body, [victim.x, victim.y, victim.z], orientation
        )


def _person_visual(client: Any) -> int:
    """One visual shape array holding every part of :data:`PERSON` (capsules turned to lie along
    the body's length)."""
    along_x = client.getQuaternionFromEuler([0.0, math.pi / 2, 0.0])
    types = {"box": client.GEOM_BOX, "sphere": client.GEOM_SPHERE, "capsule": client.GEOM_CAPSULE}
    return client.createVisualShapeArray(
        shapeTypes=[types[part.shape] for part in PERSON],
        halfExtents=[list(part.size) if part.shape == "box" else [0.0] * 3 for part in PERSON],
        radii=[part.size[0] for part in PERSON],
        lengths=[part.size[1] if part.shape == "capsule" else 0.0 for part in PERSON],
        visualFramePositions=[list(part.centre) for part in PERSON],
        visualFrameOrientations=[
            list(along_x) if part.shape == "capsule" else [0.0, 0.0, 0.0, 1.0] for part in PERSON
        ],
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
