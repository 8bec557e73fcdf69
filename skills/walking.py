"""The walking skill an env runs under a velocity command: trot on command, get up after a fall.

:class:`WalkingController` is what QuadrupedRescue-v0's ``action="velocity"``
runs under the policy, and the base of Locomotion-v0's scripted controller.
It reads only what the robot measures: proprioception (IMU, encoders) and the
state estimator's body velocity.

Walkers are named: ``"trot"`` is this controller; other names (a trained
Locomotion-v0 policy, ``locomotion_a1``) are resolved by whoever registered a
resolver with :func:`register_walker_resolver` — the policies layer does, so
the envs below it never import a policy loader (see docs/architecture.md).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import numpy as np

from robodojo.robots.quadruped import QuadrupedSpec
from robodojo.skills.getup import ScriptedGetUp
from robodojo.skills.trot import TrotGait

#: Projected-gravity z above this (body z·world z below 0.5, ~60° of tilt) means fallen.
FALLEN_GRAVITY_Z = -0.5
TROT = "trot"


class Walker(Protocol):
    """Joint-target actions for a body-velocity command, from proprioception and the body
    velocity."""

    def reset(self) -> None: ...

    def __call__(
        self, proprioception: np.ndarray, body_velocity: np.ndarray, command: np.ndarray
    ) -> np.ndarray: ...


#: builds a walker for a robot and the period it is called at (s)
WalkerFactory = Callable[[QuadrupedSpec, float], Walker]
#: name -> factory, or None when the name is not the resolver's
WalkerResolver = Callable[[str], "WalkerFactory | None"]
_RESOLVERS: list[WalkerResolver] = []


class WalkingController:
    """Joint-target actions for a body velocity command; the scripted get-up takes over after a
    fall.

    Args:
        spec: the quadruped.
        control_dt: the period it is called at, s.
    """

    def __init__(self, spec: QuadrupedSpec, control_dt: float) -> None:
        self.spec = spec
        proprioception = spec.proprioception()
        self.gravity = proprioception.slice("projected_gravity")
        self.gyro = proprioception.slice("gyro")
        self.gait = TrotGait(spec, control_dt)
        self.getup = ScriptedGetUp(spec, control_dt)
        self.reset()

    def reset(self) -> None:
        self.getup.reset()
        self.recovering = False
        self.restart_walking()

    def __call__(
        self, proprioception: np.ndarray, body_velocity: np.ndarray, command: np.ndarray
    ) -> np.ndarray:
        """``proprioception`` as FallRecovery-v0's observation; ``body_velocity`` in the heading
        frame."""
        gravity = proprioception[self.gravity]
        if gravity[2] > FALLEN_GRAVITY_Z and not self.recovering:
            self.recovering = True
            self.getup.reset()
        if self.recovering:
            action = self.getup(proprioception)
            if not self.getup.standing:
                return action
            self.recovering = False
            self.restart_walking()
        return self.walk(proprioception, body_velocity, command)

    def restart_walking(self) -> None:
        self.gait.reset()

    def walk(
        self, proprioception: np.ndarray, body_velocity: np.ndarray, command: np.ndarray
    ) -> np.ndarray:
        """The trot's action for ``command``."""
        gravity = proprioception[self.gravity]
        yaw_rate = float(proprioception[self.gyro] @ -gravity)  # the gyro's component about world z
        return self.spec.targets_to_action(
            self.gait.targets(command, body_velocity, yaw_rate, gravity)
        ).astype(np.float32)


def register_walker_resolver(resolver: WalkerResolver) -> None:
    """Let ``resolver`` name walkers (called with a name; returns a factory, or None if the name is
    not its)."""
    if resolver not in _RESOLVERS:
        _RESOLVERS.append(resolver)


def walker_factory(name: str) -> WalkerFactory:
    """The factory a walker name stands for: ``"trot"``, else the first resolver that knows the
    name.

    Raises ``ValueError`` (a resolver may raise a more precise one, e.g. for a
    policy trained on another env).
    """
    if name == TROT:
        return WalkingController
    for resolver in _RESOLVERS:
        factory = resolver(name)
        if factory is not None:
            return factory
    raise ValueError(
        "walker must be 'trot' or a Locomotion-v0 policy (pretrained name or exported path), "
        f"got {name!r}"
    )
