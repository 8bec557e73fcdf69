"""The robot registry: every robot file registers its spec here by name.

Every spec has a ``kind`` ("quadruped", "arm"); an env names the kind it
drives (``ROBOT_KIND``) and asks for specs of that kind only, so a task
depends on the kind's interface, never on a robot's name. Robot modules
import this module (never the package), so importing the package can load
them without a cycle.
"""

from __future__ import annotations

from typing import Any

#: name -> spec, every kind of robot.
ROBOTS: dict[str, Any] = {}


def register_robot(spec: Any) -> Any:
    """Add a robot spec (anything with ``name`` and ``kind``) to the registry and return it."""
    if spec.name in ROBOTS:
        raise ValueError(f"robot {spec.name!r} is already registered")
    ROBOTS[spec.name] = spec
    return spec


def robot_names(kind: str | None = None) -> list[str]:
    """Registered robot names, of one ``kind`` if given, sorted."""
    return sorted(name for name, spec in ROBOTS.items() if kind is None or spec.kind == kind)


def get_robot_spec(name: str, kind: str | None = None) -> Any:
    """The spec registered as ``name`` (of ``kind`` if given); a ValueError lists the valid names
    otherwise."""
    spec = ROBOTS.get(name) if isinstance(name, str) else None
    if spec is None or (kind is not None and spec.kind != kind):
        what = f"{kind} robots" if kind else "robots"
        reason = (
            f"{name!r} is {_with_article(spec.kind)}"
            if spec is not None
            else f"unknown robot {name!r}"
        )
        raise ValueError(f"{reason}; valid {what}: {', '.join(robot_names(kind))}")
    return spec


def _with_article(noun: str) -> str:
    return f"an {noun}" if noun[:1] in "aeiou" else f"a {noun}"
