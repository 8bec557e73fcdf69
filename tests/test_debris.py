"""Loose debris: how many pieces per difficulty, resting on the terrain, clear of the start, light
enough to push, seeded."""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np
import pytest

from robodojo.physics import Sim
from robodojo.sim_assets.debris import MASS, MAX_PIECES, DebrisField
from robodojo.sim_assets.terrain import Terrain, TerrainBody, generate_terrain

PHYSICS_DT = 0.004
START = (1.0, 0.0, 0.6)  #: the keep-clear disc the locomotion env passes (x, y, radius)


@pytest.fixture
def sim() -> Iterator[Sim]:
    sim = Sim(PHYSICS_DT)
    yield sim
    sim.close()


def scattered(sim: Sim, seed: int, difficulty: float = 1.0) -> tuple[DebrisField, Terrain]:
    """A terrain body and debris for ``seed``, both drawn from one generator as the env does."""
    rng = np.random.default_rng(seed)
    terrain = generate_terrain(rng, difficulty)
    TerrainBody(sim, terrain)
    debris = DebrisField(sim)
    debris.scatter(rng, terrain, [START])
    return debris, terrain


def positions(sim: Sim, bodies: list[int]) -> np.ndarray:
    return np.array([sim.client.getBasePositionAndOrientation(body)[0] for body in bodies])


@pytest.mark.parametrize("difficulty", [0.0, 0.25, 0.5])
def test_no_debris_up_to_half_difficulty(sim: Sim, difficulty: float) -> None:
    debris, _ = scattered(sim, 0, difficulty)
    assert debris.pieces == [] and debris.body_ids == []


@pytest.mark.parametrize("seed", range(3))
def test_full_difficulty_rests_twelve_light_pieces_on_the_terrain(sim: Sim, seed: int) -> None:
    debris, terrain = scattered(sim, seed)
    assert len(debris.pieces) == len(debris.body_ids) == MAX_PIECES
    for piece, body in zip(debris.pieces, debris.body_ids, strict=True):
        assert MASS[0] - 1e-9 <= piece.mass <= MASS[1] + 1e-9
        assert sim.client.getDynamicsInfo(body, -1)[0] == pytest.approx(piece.mass)
        assert (
            min(piece.half_extents[:2]) >= 0.04 - 1e-9
            and max(piece.half_extents[:2]) <= 0.15 + 1e-9
        )
        assert 0.015 - 1e-9 <= piece.half_extents[2] <= 0.04 + 1e-9
        x, y, _ = piece.position
        assert (
            1.5 - 0.01 <= x <= terrain.length - 0.3 + 0.01
            and abs(y) <= terrain.width / 2 - 0.2 + 0.01
        )  # ± the tilt's shift
        # never inside the ground: PyBullet finds no penetration at the start
        for contact in sim.client.getClosestPoints(body, 0, 0.01):  # body 0: the terrain
            assert contact[8] > -1e-3
    start = positions(sim, debris.body_ids)
    for _ in range(round(1.0 / PHYSICS_DT)):
        sim.client.stepSimulation()
    moved = np.linalg.norm(positions(sim, debris.body_ids) - start, axis=1)
    assert moved.max() < 0.03, f"pieces moved {np.round(moved, 3)} m: not at rest when placed"
    # resting on the ground, not on a ledge above it: every piece is within its size of the terrain
    # under it
    for piece, (x, y, z) in zip(debris.pieces, positions(sim, debris.body_ids), strict=True):
        assert z - terrain.height_at(x, y) < 2 * piece.half_extents[2] + 0.05


def test_pieces_keep_clear_of_the_start_and_of_each_other(sim: Sim) -> None:
    rng = np.random.default_rng(5)
    terrain = generate_terrain(rng, 1.0)
    debris = DebrisField(sim)
    discs = [START, (4.0, 0.5, 0.8)]
    for _ in range(5):
        debris.scatter(rng, terrain, discs)
        footprints = [
            (p.position[0], p.position[1], math.hypot(*p.half_extents[:2])) for p in debris.pieces
        ]
        for x, y, r in footprints:
            assert all(math.hypot(x - cx, y - cy) >= r + cr for cx, cy, cr in discs)
        for a, (x1, y1, r1) in enumerate(footprints):
            for x2, y2, r2 in footprints[a + 1 :]:
                assert math.hypot(x1 - x2, y1 - y2) >= r1 + r2


def test_a_robot_can_push_the_heaviest_piece(sim: Sim) -> None:
    flat = Terrain(np.zeros((161, 81)), 1.0)  # difficulty 1 (full debris) on flat ground
    TerrainBody(sim, flat)
    debris = DebrisField(sim)
    debris.scatter(np.random.default_rng(0), flat)
    heaviest = max(range(len(debris.pieces)), key=lambda k: debris.pieces[k].mass)
    body = debris.body_ids[heaviest]
    start = positions(sim, [body])[0]
    # Pieces start asleep (cheap to simulate); a contact wakes them, an external force does not.
    sim.client.changeDynamics(body, -1, activationState=sim.client.ACTIVATION_STATE_WAKE_UP)
    for _ in range(round(0.5 / PHYSICS_DT)):
        sim.client.applyExternalForce(
            body,
            -1,
            [30.0, 0.0, 0.0],
            sim.client.getBasePositionAndOrientation(body)[0],
            sim.client.WORLD_FRAME,
        )
        sim.client.stepSimulation()
    assert (
        positions(sim, [body])[0][0] - start[0] > 0.2
    )  # 30 N on ≤ 1.5 kg against ~0.3 friction: well over 0.2 m


def test_a_sleeping_piece_wakes_when_something_hits_it(sim: Sim) -> None:
    flat = Terrain(np.zeros((161, 81)), 1.0)
    TerrainBody(sim, flat)
    debris = DebrisField(sim)
    debris.scatter(np.random.default_rng(0), flat)
    body = debris.body_ids[0]
    (x, y, z), _ = sim.client.getBasePositionAndOrientation(body)
    client = sim.client
    half_height = debris.pieces[0].half_extents[
        2
    ]  # a 12 kg block driven into it at 1 m/s, like a robot's leg
    shape = client.createCollisionShape(client.GEOM_BOX, halfExtents=[0.1, 0.1, half_height])
    pusher = client.createMultiBody(12.0, shape, -1, [x - 0.5, y, z + 0.01])
    for _ in range(round(1.0 / PHYSICS_DT)):
        client.resetBaseVelocity(pusher, [1.0, 0.0, 0.0], [0.0, 0.0, 0.0])
        client.stepSimulation()
    assert client.getBasePositionAndOrientation(body)[0][0] - x > 0.1


def test_same_generator_state_same_debris(sim: Sim) -> None:
    terrain = generate_terrain(np.random.default_rng(2), 1.0)
    other = Sim(PHYSICS_DT)
    try:
        a, b = DebrisField(sim), DebrisField(other)
        a.scatter(np.random.default_rng(7), terrain, [START])
        b.scatter(np.random.default_rng(7), terrain, [START])
        assert a.pieces == b.pieces
        b.scatter(np.random.default_rng(8), terrain, [START])
        assert a.pieces != b.pieces
    finally:
        other.close()


def test_rescattering_and_clearing_leak_no_bodies(sim: Sim) -> None:
    rng = np.random.default_rng(0)
    body = TerrainBody(sim, generate_terrain(rng, 0.0))
    debris = DebrisField(sim)
    for _ in range(20):
        terrain = generate_terrain(rng, 1.0)
        body.update(terrain)
        debris.scatter(rng, terrain, [START])
        assert sim.client.getNumBodies() == 1 + len(debris.body_ids) == 1 + MAX_PIECES
    assert max(debris.body_ids) <= 2 * MAX_PIECES  # removed ids are reused
    debris.clear()
    assert sim.client.getNumBodies() == 1 and debris.pieces == []
