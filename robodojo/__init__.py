"""robodojo: Gymnasium environments on PyBullet for the scenarios industry names — arc welding, transport
of goods, quadruped rescue over rubble, fall recovery — with scripted controllers, trained policies,
headless evaluation and a ROS 2 bridge.

This package is the composition root: importing it (or any of its packages)
registers every Gymnasium id (:mod:`robodojo.envs`) and lets walkers be named
after trained policies (:mod:`robodojo.policies` registers that resolver with
the skills layer below the envs). The layers and the direction of imports
are in ``docs/architecture.md``.
"""

__version__ = "0.1.0"

from robodojo import envs, policies  # noqa: E402,F401  (registration; see the docstring)

__all__ = ["__version__", "envs", "policies"]
