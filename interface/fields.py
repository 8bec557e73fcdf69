"""One definition per interface: an observation is a :class:`Layout` of named :class:`Field` s.

A scenario declares its observation once, as fields (name, size, unit,
bounds, frame, and where a real robot gets it). Everything else derives
from that declaration: the Gymnasium space (:meth:`Layout.space`), the
vector the env returns (:meth:`Layout.assemble`), the description exported
with a policy and read by a deployment (:meth:`Layout.describe`), and the
slices controllers read (:meth:`Layout.slice`), so the simulator, an
exported policy and the ROS 2 bridge cannot drift apart.

An action is an :class:`ActionInterface`: its size (every robodojo action
lies in [-1, 1]) and the facts a deployment needs to turn it into robot
commands (type, mapping, joints, scales).
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym
import numpy as np


@dataclass(frozen=True)
class Field:
    """One named block of an observation vector.

    ``low`` / ``high`` are the sensor's range (a scalar for the whole block or
    one value per element): observations are clipped to it, as real sensors
    saturate. ``info`` carries extra facts a deployment needs (the joint names
    a block is ordered by, a tracker's look-ahead distances …).
    """

    name: str
    size: int
    unit: str
    source: str  #: where a real robot gets it (the ROS 2 message, the sensor)
    low: Any = -np.inf
    high: Any = np.inf
    frame: str | None = None
    info: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not (isinstance(self.size, int) and self.size >= 1):
            raise ValueError(
                f"field {self.name!r}: size must be a positive integer, got {self.size!r}"
            )
        low, high = self.bounds()
        if np.any(low > high):
            raise ValueError(f"field {self.name!r}: low exceeds high")

    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """(low, high), float64 arrays of ``size`` values."""
        return (
            np.broadcast_to(np.asarray(self.low, dtype=np.float64), (self.size,)),
            np.broadcast_to(np.asarray(self.high, dtype=np.float64), (self.size,)),
        )

    def describe(self) -> dict[str, Any]:
        """What an exported policy's ``observation.layout`` lists for this field."""
        entry: dict[str, Any] = {"name": self.name, "size": self.size, "unit": self.unit}
        if self.frame is not None:
            entry["frame"] = self.frame
        entry.update(self.info)
        entry["source"] = self.source
        return entry


class Layout:
    """An observation vector: its fields in order, their slices and bounds (float32, as the
    space)."""

    def __init__(self, fields: Iterable[Field]) -> None:
        self.fields: tuple[Field, ...] = tuple(fields)
        names = [f.name for f in self.fields]
        if len(set(names)) != len(names):
            raise ValueError(f"a layout names a field twice: {names}")
        self.slices: dict[str, slice] = {}
        start = 0
        for item in self.fields:
            self.slices[item.name] = slice(start, start + item.size)
            start += item.size
        self.size = start
        bounds = [item.bounds() for item in self.fields]
        self.low = np.concatenate([low for low, _ in bounds]).astype(np.float32)
        self.high = np.concatenate([high for _, high in bounds]).astype(np.float32)

    def __contains__(self, name: object) -> bool:
        return name in self.slices

    def __iter__(self) -> Iterator[Field]:
        return iter(self.fields)

    def field(self, name: str) -> Field:
        return self.fields[[f.name for f in self.fields].index(name)]

    def slice(self, name: str) -> slice:
        """Where field ``name`` sits in the vector; a KeyError names the fields there are."""
        try:
            return self.slices[name]
        except KeyError:
            raise KeyError(
                f"no observation field {name!r}; the layout has {', '.join(self.slices)}"
            ) from None

    def span(self, first: str, last: str) -> builtins.slice:
        """The consecutive fields from ``first`` to ``last`` (both included), e.g. a robot's
        proprioception block."""
        return slice(self.slice(first).start, self.slice(last).stop)

    def index(self, name: str) -> int:
        """The position of a one-value field."""
        where = self.slice(name)
        if where.stop - where.start != 1:
            raise ValueError(f"field {name!r} holds {where.stop - where.start} values, not one")
        return where.start

    def space(self) -> gym.spaces.Box:
        return gym.spaces.Box(self.low, self.high, dtype=np.float32)

    def describe(self) -> list[dict[str, Any]]:
        return [item.describe() for item in self.fields]

    def assemble(self, parts: Sequence[Any]) -> np.ndarray:
        """The observation from one value block per field, in order: float32, clipped to the bounds.

        Clipping after the float32 cast gives the same numbers as clipping first
        (every bound is a float32 and rounding is monotonic).
        """
        raw = np.concatenate(parts).astype(np.float32)
        if raw.shape != (self.size,):
            raise ValueError(
                f"the observation parts hold {raw.size} values, the layout {self.size}"
            )
        return np.clip(raw, self.low, self.high)

    def __repr__(self) -> str:
        return "Layout(" + ", ".join(f"{f.name}[{f.size}]" for f in self.fields) + ")"


@dataclass(frozen=True)
class ActionInterface:
    """What a policy's action means: ``size`` values in [-1, 1], and how they become robot commands.

    ``details`` holds what a deployment must reproduce (``mapping``, ``joints``
    or ``fields``, scales, limits, gains); :meth:`describe` is the ``action``
    block of an exported policy.
    """

    type: str
    size: int
    details: Mapping[str, Any] = field(default_factory=dict)

    def space(self) -> gym.spaces.Box:
        return gym.spaces.Box(-1.0, 1.0, shape=(self.size,), dtype=np.float32)

    def describe(self) -> dict[str, Any]:
        return {"type": self.type, **self.details}


def box_size(space: gym.Space) -> int:
    """Values in one sample of a flat Box, or of a Dict of them."""
    if isinstance(space, gym.spaces.Dict):
        return sum(box_size(sub) for sub in space.spaces.values())
    shape = getattr(space, "shape", None) or (0,)
    return int(np.prod(shape))


def dict_sizes(space: gym.Space) -> dict[str, int] | None:
    """Key → flat size of a Dict space, in the space's key order (a policy's input order); None for
    other spaces.

    Gymnasium sorts the keys of a Dict made from a plain dict, so this is the
    order an SB3 ``MultiInputPolicy`` concatenates them in.
    """
    spaces = getattr(space, "spaces", None)
    if not isinstance(spaces, Mapping):
        return None
    return {key: box_size(sub) for key, sub in spaces.items()}
