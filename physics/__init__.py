"""The bottom layer: the engine wrapper (one PyBullet client per env), static compound bodies,
geometry.

Nothing here knows a robot or a scenario. ``pybullet`` is re-exported for its
constants (``pybullet.TORQUE_CONTROL`` …): every *call* goes through a
:class:`Sim`'s client.
"""

from robodojo.physics.sim import Sim, display_available, pybullet

__all__ = ["Sim", "display_available", "pybullet"]
