"""Rubble-field generator: bounded slopes and jumps per difficulty, a route across, and the PyBullet
field matching the grid."""

from __future__ import annotations

import numpy as np
import pytest

from robodojo.physics import Sim
from robodojo.sim_assets.terrain import (
    A1_STEP_LIMIT,
    GAP_DEPTH,
    MAX_OBSTACLE,
    MAX_SLOPE,
    MAX_STEP,
    TerrainBody,
    generate_terrain,
    traversable,
)  # fmt: skip

SEEDS = range(50)


def test_difficulty_zero_is_flat_ground() -> None:
    terrain = generate_terrain(np.random.default_rng(0), 0.0)
    assert not terrain.heights.any() and terrain.max_slope() == 0.0


@pytest.mark.parametrize("difficulty", [0.25, 0.5, 0.75, 1.0])
def test_slopes_and_jumps_are_bounded_by_difficulty(difficulty: float) -> None:
    for seed in SEEDS:
        terrain = generate_terrain(np.random.default_rng(seed), difficulty)
        assert terrain.max_slope() <= MAX_SLOPE * difficulty + 1e-6
        # worst case: a block straddling a step edge, next to a trench cut into the lower side
        assert terrain.max_jump() <= MAX_OBSTACLE + MAX_STEP * difficulty + GAP_DEPTH + 0.01


@pytest.mark.parametrize("difficulty", [0.0, 0.25, 0.5])
def test_a_route_within_the_a1_step_limit_crosses_every_field_up_to_half_difficulty(
    difficulty: float,
) -> None:
    assert all(
        traversable(generate_terrain(np.random.default_rng(seed), difficulty)) for seed in SEEDS
    )


def test_harder_fields_are_rougher_and_seeds_differ() -> None:
    rough = [
        np.abs(np.diff(generate_terrain(np.random.default_rng(1), d).heights, axis=0)).mean()
        for d in (0.25, 0.5, 1.0)
    ]
    assert rough == sorted(rough) and rough[0] > 0
    a, b = (generate_terrain(np.random.default_rng(s), 0.5).heights for s in (1, 2))
    assert not np.array_equal(a, b)
    np.testing.assert_array_equal(a, generate_terrain(np.random.default_rng(1), 0.5).heights)


def test_a_wall_makes_the_field_impassable() -> None:
    terrain = generate_terrain(np.random.default_rng(0), 0.0)
    terrain.heights[80, :] = 2 * A1_STEP_LIMIT
    assert not traversable(terrain)


def drop_ball(sim: Sim, x: float, y: float, z: float) -> float:
    """Drop a 3 cm ball from (x, y, z); its centre's height after 1.2 s (the ball is removed)."""
    ball = sim.client.createMultiBody(
        0.1, sim.client.createCollisionShape(sim.client.GEOM_SPHERE, radius=0.03), -1, [x, y, z]
    )
    for _ in range(300):
        sim.step()
    rest = sim.client.getBasePositionAndOrientation(ball)[0][2]
    sim.client.removeBody(ball)
    return rest


def test_the_pybullet_field_matches_the_grid_before_and_after_replacing_it() -> None:
    sim = Sim(0.004)
    try:
        flat = generate_terrain(np.random.default_rng(0), 0.0)
        body = TerrainBody(sim, flat)
        rough = generate_terrain(np.random.default_rng(3), 1.0)
        body.update(rough)  # same collision shape, new heights
        rng = np.random.default_rng(0)
        errors = []
        for _ in range(100):
            x, y = rng.uniform(0.3, rough.length - 0.3), rng.uniform(-1.5, 1.5)
            hit = sim.client.rayTest([x, y, 2.0], [x, y, -2.0])[0]
            errors.append(abs(hit[3][2] - rough.height_at(x, y)))
        assert np.median(errors) < 0.005
        # contacts follow the new heights too (rays alone did even when contacts did not)
        x, y = 4.0, 0.0
        assert drop_ball(sim, x, y, rough.height_at(x, y) + 0.3) > rough.heights.min() - 0.05
    finally:
        sim.close()


def test_every_field_shows_its_own_corners_not_the_creation_pins() -> None:
    # The field is created with its corners pinned to the height range, then replaced at once:
    # no field an episode plays on (nor a render) carries the pins.
    sim = Sim(0.004)
    try:
        first = generate_terrain(np.random.default_rng(1), 0.75)
        body = TerrainBody(sim, first)
        for terrain in (first, generate_terrain(np.random.default_rng(2), 1.0)):
            body.update(terrain)
            for x, y in (
                (0.01, -terrain.width / 2 + 0.01),
                (terrain.length - 0.01, terrain.width / 2 - 0.01),
            ):
                hit = sim.client.rayTest([x, y, 2.0], [x, y, -2.0])[0]
                assert hit[0] == body.body and abs(hit[3][2] - terrain.height_at(x, y)) < 0.01
            # a ball on the highest cell of a field that was never pinned rests on it (no
            # fall-through)
            i, j = np.unravel_index(
                terrain.heights[5:-5, 5:-5].argmax(), terrain.heights[5:-5, 5:-5].shape
            )
            x, y = (i + 5) * terrain.cell, (j + 5) * terrain.cell - terrain.width / 2
            assert (
                drop_ball(sim, x, y, terrain.heights[i + 5, j + 5] + 0.3)
                > terrain.heights[i + 5, j + 5]
            )
    finally:
        sim.close()
