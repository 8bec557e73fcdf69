"""The action library's walking controller: trot on command, get up after a fall.

:class:`WalkingController` is what QuadrupedRescue-v0's ``action="velocity"``
runs under the policy, and :class:`TrotPolicy` drives Locomotion-v0 with it.
Both read only what the robot measures: proprioception (IMU, encoders) and
the state estimator's body velocity.
"""

from __future__ import annotations

import numpy as np
from robodojo.policies.base import Policy
from robodojo.policies.getup import ScriptedGetUp
from robodojo.policies.trot import TrotGait
from robodojo.robots import QuadrupedSpec

#: Projected-gravity z above this (body z·world z below 0.5, ~60° of tilt) means fallen.
FALLEN_GRAVITY_Z = -0.5
GRAVITY = slice(3, 6)  # in the proprioception block
GYRO = slice(0, 3)
LOCOMOTION_ID = "robodojo/Locomotion-v0"


class WalkingController:
    """Joint-target actions for a body velocity command; the scripted get-up takes over after a fall.

    Args:
        spec: the quadruped.
        control_dt: the period it is called at, s.
    """

    def __init__(self, spec: QuadrupedSpec, control_dt: float) -> None:
        self.spec = spec
        self.gait = TrotGait(spec, control_dt)
        self.getup = ScriptedGetUp(spec, control_dt)
        self.reset()

    def reset(self) -> None:
        self.getup.reset()
        self.recovering = False
        self.restart_walking()

    def __call__(self, proprioception: np.ndarray, body_velocity: np.ndarray, command: np.ndarray) -> np.ndarray:
        """``proprioception`` as FallRecovery-v0's observation; ``body_velocity`` in the heading frame."""
        gravity = proprioception[GRAVITY]
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

    def walk(self, proprioception: np.ndarray, body_velocity: np.ndarray, command: np.ndarray) -> np.ndarray:
        """The trot's action for ``command``."""
        gravity = proprioception[GRAVITY]
        yaw_rate = float(proprioception[GYRO] @ -gravity)  # the gyro's component about world z
        return self.spec.targets_to_action(self.gait.targets(command, body_velocity, yaw_rate, gravity)).astype(np.float32)


class PolicyWalker(WalkingController):
    """The walking controller with a Locomotion-v0 policy (e.g. the shipped ``locomotion_a1``) in place of the trot.

    The policy sees what Locomotion-v0 observes: proprioception, body velocity, command.
    The scripted get-up still takes over after a fall.
    """

    def __init__(self, spec: QuadrupedSpec, control_dt: float, policy: Policy) -> None:
        self.policy = policy
        super().__init__(spec, control_dt)

    def restart_walking(self) -> None:
        super().restart_walking()
        self.policy.reset()

    def walk(self, proprioception: np.ndarray, body_velocity: np.ndarray, command: np.ndarray) -> np.ndarray:
        observation = np.concatenate([proprioception, body_velocity, command]).astype(np.float32)
        return np.asarray(self.policy(observation), dtype=np.float32)


def make_walker(walker: str, spec: QuadrupedSpec, control_dt: float) -> WalkingController:
    """``"trot"``: the scripted trot; otherwise a Locomotion-v0 policy's pretrained name or exported path."""
    if walker == "trot":
        return WalkingController(spec, control_dt)
    from robodojo.policies import load_policy, policy_path

    path = policy_path(walker)
    if path is None:
        raise ValueError(f"walker must be 'trot' or a Locomotion-v0 policy (pretrained name or exported path), got {walker!r}")
    policy = load_policy(path, env_id=LOCOMOTION_ID)
    if policy.env_id != LOCOMOTION_ID:
        raise ValueError(f"walker {walker!r} is a policy for {policy.env_id}, not {LOCOMOTION_ID}")
    if policy.robot not in (None, spec.name):
        raise ValueError(f"walker {walker!r} was trained for {policy.robot!r}, not {spec.name!r}")
    return PolicyWalker(spec, control_dt, policy)


class TrotPolicy:
    """Locomotion-v0's scripted policy: the walking controller on the observed command."""

    VELOCITY = slice(42, 45)
    COMMAND = slice(45, 48)

    def __init__(self, spec: QuadrupedSpec, control_dt: float) -> None:
        self.controller = WalkingController(spec, control_dt)

    def reset(self) -> None:
        self.controller.reset()

    def __call__(self, observation: np.ndarray) -> np.ndarray:
        observation = np.asarray(observation, dtype=np.float64)
        return self.controller(observation[:42], observation[self.VELOCITY], observation[self.COMMAND])
