"""Locomotion-v0's scripted controller: the robot's walking skill on the observed command."""

from __future__ import annotations

import numpy as np

from robodojo.envs.locomotion import observation_layout
from robodojo.robots.quadruped import QuadrupedSpec
from robodojo.skills.walking import WalkingController


class TrotPolicy:
    """The scripted trot (with the get-up after a fall) tracking the command in the observation."""

    def __init__(self, spec: QuadrupedSpec, control_dt: float) -> None:
        layout = observation_layout(spec)
        self.proprioception = layout.span("gyro", "previous_action")
        self.velocity = layout.slice("base_linear_velocity")
        self.command = layout.slice("velocity_command")
        self.controller = WalkingController(spec, control_dt)

    def reset(self) -> None:
        self.controller.reset()

    def __call__(self, observation: np.ndarray) -> np.ndarray:
        observation = np.asarray(observation, dtype=np.float64)
        return self.controller(
            observation[self.proprioception], observation[self.velocity], observation[self.command]
        )
