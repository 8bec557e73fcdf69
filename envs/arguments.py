"""Every env constructor argument declared once: its type and the values it allows.

Each env class lists its arguments in ``ARGUMENTS`` (name -> :class:`Argument`).
The env checks them first thing in its constructor, and the tools that take
env arguments from users (``--env-arg``, ``train --set env_kwargs.*``, a
policy spec's ``env_kwargs``) check them through :func:`check_arguments`
before anything runs, so a bad value fails at the boundary with one line that
names the argument, the value and what is allowed: a ``TypeError`` for a
value of the wrong type, a ``ValueError`` for one out of range.

The declarations are deliberately coarse (types and plausible physical
ranges); the tasks still check what depends on several arguments or on the
robot (a goal within the arm's reach, a detector range below the victim's
distance).
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from numbers import Integral, Real
from typing import Any

from robodojo.envs.rewards import merge_weights
from robodojo.robots import get_robot_spec, robot_names


def _shown(value: Any) -> str:
    """A value as a user typed it (``'banana'``, ``nan``, ``[1, 2]``), kept to one short line."""
    text = repr(value)
    if hasattr(value, "dtype") and hasattr(value, "item") and getattr(value, "ndim", 1) == 0:
        text = repr(value.item())  # np.float64(9.0) -> 9.0
    text = " ".join(text.split())
    return text if len(text) <= 60 else text[:57] + "..."


class Argument:
    """One constructor argument's rule. Subclasses say what they allow (:meth:`allowed`) and check
    a value (:meth:`check`)."""

    #: None is allowed (it means "the env's default rule", e.g. episode length from the path)
    optional: bool = False

    def allowed(self) -> str:
        raise NotImplementedError

    def problem(self, value: Any) -> type[Exception] | None:
        """The exception type a value deserves (TypeError, ValueError), or None when it is
        allowed."""
        raise NotImplementedError

    def check(self, owner: str, name: str, value: Any) -> None:
        if value is None and self.optional:
            return
        error = self.problem(value)
        if error is not None:
            or_none = " (or None)" if self.optional else ""
            raise error(f"{owner}: {name} must be {self.allowed()}{or_none}, got {_shown(value)}")


def _is_real(value: Any) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool)


@dataclass(frozen=True)
class Number(Argument):
    """A finite real number in [low, high] (an end is open when ``low_open`` / ``high_open``)."""

    low: float
    high: float
    unit: str = ""
    low_open: bool = False
    high_open: bool = False
    optional: bool = False

    def interval(self) -> str:
        left = "(" if self.low_open else "["
        right = ")" if self.high_open else "]"
        unit = f" {self.unit}" if self.unit else ""
        return f"{left}{self.low:g}, {self.high:g}{right}{unit}"

    def allowed(self) -> str:
        return f"a number in {self.interval()}"

    def contains(self, value: float) -> bool:
        above = value > self.low if self.low_open else value >= self.low
        below = value < self.high if self.high_open else value <= self.high
        return math.isfinite(value) and above and below

    def problem(self, value: Any) -> type[Exception] | None:
        if not _is_real(value):
            return TypeError
        return None if self.contains(float(value)) else ValueError


@dataclass(frozen=True)
class Integer(Argument):
    """A whole number (not a bool, not a float) in [low, high]."""

    low: int
    high: int
    optional: bool = False

    def allowed(self) -> str:
        return f"an integer from {self.low} to {self.high}"

    def problem(self, value: Any) -> type[Exception] | None:
        if isinstance(value, bool) or not isinstance(value, Integral):
            return TypeError
        return None if self.low <= int(value) <= self.high else ValueError


@dataclass(frozen=True)
class Flag(Argument):
    """True or False (not 0/1, not "yes")."""

    optional: bool = False

    def allowed(self) -> str:
        return "True or False"

    def problem(self, value: Any) -> type[Exception] | None:
        return None if isinstance(value, bool) else TypeError


@dataclass(frozen=True)
class Choice(Argument):
    """One of a set of names; ``options`` may be a function, for registries that grow (robots)."""

    options: Sequence[str] | Callable[[], Sequence[str]]
    optional: bool = False

    def names(self) -> list[str]:
        return list(self.options() if callable(self.options) else self.options)

    def allowed(self) -> str:
        return "one of " + ", ".join(self.names())

    def problem(self, value: Any) -> type[Exception] | None:
        if not isinstance(value, str):
            return TypeError
        return None if value in self.names() else ValueError


@dataclass(frozen=True)
class Text(Argument):
    """A non-empty string whose meaning a later layer resolves (a walker's name or path)."""

    what: str
    optional: bool = False

    def allowed(self) -> str:
        return self.what

    def problem(self, value: Any) -> type[Exception] | None:
        if not isinstance(value, str):
            return TypeError
        return None if value.strip() else ValueError


@dataclass(frozen=True)
class Pairs(Argument):
    """``count`` pairs of numbers (or one pair when ``count`` is 1), each number in ``element``;
    with ``ordered`` each pair is (low, high), low <= high."""

    element: Number
    count: int = 1
    ordered: bool = True
    what: str = "(low, high)"
    optional: bool = False

    def allowed(self) -> str:
        shape = self.what if self.count == 1 else f"{self.count} {self.what} pairs"
        order = ", low <= high" if self.ordered else ""
        return f"{shape} with every number in {self.element.interval()}{order}"

    def _pairs(self, value: Any) -> list[Any] | None:
        """The value as a list of pairs, or None if it does not have that shape."""
        rows = [value] if self.count == 1 else value
        if not isinstance(rows, Sequence) or isinstance(rows, str) or len(rows) != self.count:
            return None
        if not all(
            isinstance(r, Sequence) and not isinstance(r, str) and len(r) == 2 for r in rows
        ):
            return None
        return list(rows)

    def problem(self, value: Any) -> type[Exception] | None:
        pairs = self._pairs(value)
        if pairs is None:
            return TypeError
        numbers = [x for pair in pairs for x in pair]
        if not all(_is_real(x) for x in numbers):
            return TypeError
        if not all(self.element.contains(float(x)) for x in numbers):
            return ValueError
        if self.ordered and any(float(low) > float(high) for low, high in pairs):
            return ValueError
        return None


@dataclass(frozen=True)
class Weights(Argument):
    """Reward weights: a mapping of the scenario's term names to finite numbers, or None."""

    defaults: Mapping[str, float]
    optional: bool = True

    def allowed(self) -> str:
        return "a dict of reward term -> finite number"

    def problem(self, value: Any) -> type[Exception] | None:
        return None if isinstance(value, Mapping) else TypeError

    def check(self, owner: str, name: str, value: Any) -> None:
        super().check(owner, name, value)
        try:
            merge_weights(self.defaults, value)  # the term names and each weight
        except ValueError as error:
            where = "" if name in str(error) else f"{name}: "
            raise ValueError(f"{owner}: {where}{error}") from None


@dataclass(frozen=True)
class Robot(Argument):
    """A registered robot of one kind (the registry may grow after import: new robots count)."""

    kind: str
    optional: bool = False

    def allowed(self) -> str:
        article = "an" if self.kind[:1] in "aeiou" else "a"
        return f"{article} {self.kind} robot: one of {', '.join(robot_names(self.kind))}"

    def problem(self, value: Any) -> type[Exception] | None:
        if not isinstance(value, str):
            return TypeError
        return None if value in robot_names(self.kind) else ValueError

    def check(self, owner: str, name: str, value: Any) -> None:
        if isinstance(value, str) and value in robot_names():
            try:
                get_robot_spec(value, self.kind)  # "'a1' is a quadruped; valid arm robots: ..."
            except ValueError as error:
                raise ValueError(f"{owner}: {name}: {error}") from None
        super().check(owner, name, value)


def robot_of(kind: str) -> Robot:
    """A robot of ``kind`` among those registered when the check runs."""
    return Robot(kind)


#: The arguments several envs share.
EPISODE_SECONDS = Number(0, 3600, "s", low_open=True)
#: None: the env derives the length from the task (the seam, the parcels)
EPISODE_SECONDS_OR_DEFAULT = Number(0, 3600, "s", low_open=True, optional=True)
DIFFICULTY = Number(0, 1)
MAX_TARGET_SPEED = Number(0, 100, "rad/s", low_open=True)  # joint speed limit of the motor model


def check_arguments(
    owner: str,
    declared: Mapping[str, Argument],
    constructor: Callable[..., Any],
    arguments: Mapping[str, Any],
) -> None:
    """Check ``arguments`` (some or all of ``constructor``'s) against their declarations.

    ``owner`` (an env id or class name) starts every message. An argument the
    constructor does not take is a ``TypeError`` listing the ones it does.
    """
    parameters = [n for n in inspect.signature(constructor).parameters if n != "self"]
    unknown = sorted(set(arguments) - set(parameters))
    if unknown:
        raise TypeError(
            f"{owner} has no argument {', '.join(map(repr, unknown))}; "
            f"its arguments: {', '.join(parameters)}"
        )
    for name, value in arguments.items():
        if name in declared:  # robodojo's envs declare all (a test checks); foreign ones may not
            declared[name].check(owner, name, value)
