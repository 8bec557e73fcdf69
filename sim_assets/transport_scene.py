"""The transport cell: a work table, a conveyor strip parcels arrive on, a pallet they go to, and
parcels.

Every dimension is in metres, world frame, the arm's base at the origin and the
table top at z = 0. Parcels are boxes of random size, mass, friction and colour;
:func:`sample_parcel` draws one, :func:`spawn_parcel` makes its body.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import numpy as np

from robodojo.physics import Sim
from robodojo.physics.bodies import static_compound

TABLE_TOP = 0.0
TABLE_CENTER = (0.45, 0.0)
TABLE_HALF = (0.32, 0.55)  #: x, y half sizes: x 0.13 … 0.77, y −0.55 … 0.55
TABLE_THICKNESS = 0.04

CONVEYOR_CENTER = (0.45, 0.25)
CONVEYOR_HALF = (0.10, 0.13)  #: a belt section 20 cm wide, 26 cm along y
CONVEYOR_TOP = 0.012
#: parcel centres are drawn this far inside the belt's edges
PICK_MARGIN = 0.03

PALLET_CENTER = (0.45, -0.25)
PALLET_HALF = (0.15, 0.15)
PALLET_TOP = 0.015
#: goal slots for several parcels: a 2 × 2 grid this far from the pallet centre
SLOT_OFFSET = 0.075
#: a single parcel's goal is drawn this far from the pallet centre at most (per axis)
GOAL_SPREAD = 0.07

CARDBOARD = ((0.72, 0.56, 0.38), (0.80, 0.66, 0.47), (0.62, 0.47, 0.31))


@dataclass(frozen=True)
class ParcelSpec:
    """One parcel: box sides (m: x, y along the belt, z up), mass (kg), friction coefficient,
    colour."""

    size: tuple[float, float, float]
    mass: float
    friction: float
    color: tuple[float, float, float]

    @property
    def narrow_side(self) -> float:
        """The smaller horizontal side: what the gripper closes on."""
        return min(self.size[0], self.size[1])


@dataclass(frozen=True)
class ParcelRanges:
    """Where parcel properties are drawn from (uniform)."""

    size: tuple[float, float] = (0.04, 0.10)
    mass: tuple[float, float] = (0.1, 2.0)
    friction: tuple[float, float] = (0.4, 1.0)

    def check(self, max_grip: float) -> None:
        """Raise ``ValueError`` for ranges no gripper of ``max_grip`` (m, widest graspable side)
        could handle."""
        for name in ("size", "mass", "friction"):
            low, high = getattr(self, name)
            if not 0 < low <= high:
                raise ValueError(
                    f"parcel {name} range must satisfy 0 < low <= high, got ({low}, {high})"
                )
        if self.size[0] > max_grip:
            raise ValueError(
                f"parcels of {self.size[0] * 100:.1f} cm and more cannot be grasped: the gripper "
                f"closes on at most {max_grip * 100:.1f} cm (its opening minus clearance); "
                "lower the size range"
            )
        if self.size[1] > 2 * min(CONVEYOR_HALF):
            raise ValueError(
                f"parcels of up to {self.size[1]} m do not fit on the "
                f"{2 * min(CONVEYOR_HALF)} m conveyor"
            )


def sample_parcel(rng: np.random.Generator, ranges: ParcelRanges, max_grip: float) -> ParcelSpec:
    """Draw a parcel; its narrower horizontal side is redrawn below ``max_grip`` if both were
    wider."""
    size = rng.uniform(*ranges.size, size=3)
    if min(size[0], size[1]) > max_grip:
        size[int(rng.integers(2))] = rng.uniform(ranges.size[0], min(ranges.size[1], max_grip))
    if rng.random() < 0.5:
        color = CARDBOARD[int(rng.integers(len(CARDBOARD)))]
    else:
        color = cast(
            tuple[float, float, float], tuple(float(c) for c in rng.uniform(0.15, 0.95, size=3))
        )
    return ParcelSpec(
        size=cast(tuple[float, float, float], tuple(float(s) for s in size)),
        mass=float(rng.uniform(*ranges.mass)),
        friction=float(rng.uniform(*ranges.friction)),
        color=cast(tuple[float, float, float], tuple(float(c) for c in color)),
    )


def build_cell(sim: Sim) -> dict[str, int]:
    """The static scene: table, conveyor strip and pallet. Returns their body ids by name."""
    half_t = TABLE_THICKNESS / 2
    # the belt, and its side rails just below the belt surface so parcels never catch on them
    rails = [
        (
            (CONVEYOR_HALF[0] + 0.01, 0.005, CONVEYOR_TOP / 2),
            (
                CONVEYOR_CENTER[0],
                CONVEYOR_CENTER[1] + side * (CONVEYOR_HALF[1] + 0.005),
                CONVEYOR_TOP / 2,
            ),
            (0.5, 0.5, 0.55, 1.0),
        )
        for side in (1, -1)
    ]
    belt = (
        (*CONVEYOR_HALF, CONVEYOR_TOP / 2),
        (*CONVEYOR_CENTER, CONVEYOR_TOP / 2),
        (0.18, 0.18, 0.20, 1.0),
    )
    parts = {
        "table": [
            ((*TABLE_HALF, half_t), (*TABLE_CENTER, TABLE_TOP - half_t), (0.55, 0.45, 0.32, 1.0))
        ],
        "conveyor": [belt, *rails],
        "pallet": [
            (
                (*PALLET_HALF, PALLET_TOP / 2),
                (*PALLET_CENTER, PALLET_TOP / 2),
                (0.76, 0.60, 0.38, 1.0),
            )
        ],
    }
    return {name: _static_boxes(sim, boxes) for name, boxes in parts.items()}


def _static_boxes(sim: Sim, boxes: list[tuple]) -> int:
    """One fixed body made of boxes given as (half extents, centre, rgba)."""
    client = sim.client
    collisions = [
        client.createCollisionShape(client.GEOM_BOX, halfExtents=list(half)) for half, _, _ in boxes
    ]
    visuals = [
        client.createVisualShape(client.GEOM_BOX, halfExtents=list(half), rgbaColor=list(rgba))
        for half, _, rgba in boxes
    ]
    return static_compound(
        client, collisions, visuals, [c for _, c, _ in boxes], [(0.0, 0.0, 0.0, 1.0)] * len(boxes)
    )


def support_top(x: float, y: float) -> float:
    """Height (m) of the surface under the point (x, y): pallet, conveyor belt or table."""
    if abs(x - PALLET_CENTER[0]) <= PALLET_HALF[0] and abs(y - PALLET_CENTER[1]) <= PALLET_HALF[1]:
        return PALLET_TOP
    if (
        abs(x - CONVEYOR_CENTER[0]) <= CONVEYOR_HALF[0]
        and abs(y - CONVEYOR_CENTER[1]) <= CONVEYOR_HALF[1]
    ):
        return CONVEYOR_TOP
    return TABLE_TOP


def pick_pose(rng: np.random.Generator, parcel: ParcelSpec) -> tuple[np.ndarray, float]:
    """A parcel's arrival pose on the belt: centre (m) resting on it, and yaw (rad) within ±90°."""
    reach = np.array(CONVEYOR_HALF) - PICK_MARGIN
    xy = np.array(CONVEYOR_CENTER) + rng.uniform(-reach, reach)
    return np.array([xy[0], xy[1], CONVEYOR_TOP + parcel.size[2] / 2]), float(
        rng.uniform(-np.pi / 2, np.pi / 2)
    )


def goal_positions(
    rng: np.random.Generator, parcels: list[ParcelSpec], fixed: np.ndarray | None = None
) -> list[np.ndarray]:
    """Each parcel's goal: its centre standing on the surface below. One parcel: at ``fixed`` (x, y)
    if given, else anywhere near the pallet's middle; several: distinct slots of a 2 × 2 grid on the
    pallet (random order, ±1 cm jitter)."""
    center = np.array(PALLET_CENTER)
    if fixed is not None:
        xys = [np.asarray(fixed, dtype=np.float64)]
    elif len(parcels) == 1:
        xys = [center + rng.uniform(-GOAL_SPREAD, GOAL_SPREAD, size=2)]
    else:
        slots = [center + SLOT_OFFSET * np.array(s) for s in ((-1, -1), (-1, 1), (1, -1), (1, 1))]
        order = rng.permutation(len(slots))[: len(parcels)]
        xys = [slots[i] + rng.uniform(-0.01, 0.01, size=2) for i in order]
    return [
        np.array([xy[0], xy[1], support_top(xy[0], xy[1]) + p.size[2] / 2])
        for xy, p in zip(xys, parcels, strict=False)
    ]


def spawn_parcel(sim: Sim, parcel: ParcelSpec, position: np.ndarray, yaw: float) -> int:
    """Create the parcel's body at rest at ``position`` turned ``yaw``; returns its body id."""
    client = sim.client
    half = [s / 2 for s in parcel.size]
    shape = client.createCollisionShape(client.GEOM_BOX, halfExtents=half)
    visual = client.createVisualShape(
        client.GEOM_BOX, halfExtents=half, rgbaColor=[*parcel.color, 1.0]
    )
    body = client.createMultiBody(
        parcel.mass, shape, visual, position.tolist(), client.getQuaternionFromEuler([0, 0, yaw])
    )
    client.changeDynamics(
        body, -1, lateralFriction=parcel.friction, spinningFriction=0.002, rollingFriction=0.0
    )
    return body
