"""Static compound bodies: many primitive shapes as the fixed links of one PyBullet multibody.

One body instead of many keeps per-step queries (closest points, contacts)
to one call per pair and makes removal a single ``removeBody``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from robodojo.physics.sim import pybullet  # constants only; calls go through the given client


def static_compound(
    client: Any,
    collisions: Sequence[int],
    visuals: Sequence[int],
    positions: Sequence[Sequence[float]],
    orientations: Sequence[Sequence[float]],
    base_collision: int = -1,
    base_visual: int = -1,
) -> int:
    """A mass-0 multibody whose links (one per shape, fixed to the base at the origin) are the given
    shapes.

    Link i has collision shape ``collisions[i]`` and visual ``visuals[i]`` at
    ``positions[i]`` / ``orientations[i]`` (x, y, z, w) in the base frame; the base
    may carry a shape of its own. Returns the body id.
    """
    n = len(collisions)
    return client.createMultiBody(
        baseMass=0.0,
        baseCollisionShapeIndex=base_collision,
        baseVisualShapeIndex=base_visual,
        basePosition=[0.0, 0.0, 0.0],
        linkMasses=[0.0] * n,
        linkCollisionShapeIndices=list(collisions),
        linkVisualShapeIndices=list(visuals),
        linkPositions=[list(p) for p in positions],
        linkOrientations=[list(q) for q in orientations],
        linkInertialFramePositions=[[0.0, 0.0, 0.0]] * n,
        linkInertialFrameOrientations=[[0.0, 0.0, 0.0, 1.0]] * n,
        linkParentIndices=[0] * n,  # every link hangs off the base (0 = base here)
        linkJointTypes=[pybullet.JOINT_FIXED] * n,
        linkJointAxis=[[0.0, 0.0, 1.0]] * n,
    )
