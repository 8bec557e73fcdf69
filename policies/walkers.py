"""Walkers named after trained Locomotion-v0 policies (``walker="locomotion_a1"`` in
QuadrupedRescue-v0).

The envs sit below the policies, so they cannot load a policy themselves: this
module registers a resolver with :mod:`robodojo.skills.walking`, which the env
asks for any walker name other than ``"trot"``. Importing
:mod:`robodojo.policies` (done by importing :mod:`robodojo`) registers it.
"""

from __future__ import annotations

import numpy as np

from robodojo.envs.locomotion import observation_layout
from robodojo.policies.base import Policy
from robodojo.policies.registry import load_policy, policy_path
from robodojo.robots.quadruped import QuadrupedSpec
from robodojo.skills.walking import WalkerFactory, WalkingController

LOCOMOTION_ID = "robodojo/Locomotion-v0"


class PolicyWalker(WalkingController):
    """The walking controller with a Locomotion-v0 policy (e.g. the shipped ``locomotion_a1``) in
    place of the trot.

    The policy sees what Locomotion-v0 observes: proprioception, body velocity, command
    (in the order of :func:`robodojo.envs.locomotion.observation_layout`). The scripted
    get-up still takes over after a fall.
    """

    def __init__(self, spec: QuadrupedSpec, control_dt: float, policy: Policy) -> None:
        self.policy = policy
        self.size = observation_layout(spec).size
        super().__init__(spec, control_dt)

    def restart_walking(self) -> None:
        super().restart_walking()
        self.policy.reset()

    def walk(
        self, proprioception: np.ndarray, body_velocity: np.ndarray, command: np.ndarray
    ) -> np.ndarray:
        observation = np.concatenate([proprioception, body_velocity, command]).astype(np.float32)
        return np.asarray(self.policy(observation), dtype=np.float32)


def policy_walker(name: str) -> WalkerFactory | None:
    """The walker factory for a Locomotion-v0 policy's pretrained name or exported path, else
    None."""
    path = policy_path(name)
    if path is None:
        return None
    policy = load_policy(path, env_id=LOCOMOTION_ID)
    if policy.env_id != LOCOMOTION_ID:
        raise ValueError(f"walker {name!r} is a policy for {policy.env_id}, not {LOCOMOTION_ID}")

    def build(spec: QuadrupedSpec, control_dt: float) -> PolicyWalker:
        if policy.robot not in (None, spec.name):
            raise ValueError(f"walker {name!r} was trained for {policy.robot!r}, not {spec.name!r}")
        return PolicyWalker(spec, control_dt, policy)

    return build
