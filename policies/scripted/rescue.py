"""Scripted rescuer for QuadrupedRescue-v0: explore until the detector fires, then walk to the
victim.

It navigates in the start frame from odometry (the observation's pose) and
steers round what the height scan shows it cannot step over. Before any
detection it walks a sweep along the site (the victim lies beyond the
rubble, ahead of the start), weaving its heading so the detector's field of
view covers the width; once it has seen the victim it heads for where the
last detection put them. With ``action="velocity"`` it outputs the command;
with ``action="joints"`` it runs the same walking controller the velocity
level uses and outputs joint targets.
"""

from __future__ import annotations

import math

import numpy as np

from robodojo.envs.rescue.interface import COMMAND_SCALE, SCAN_X, SCAN_Y, observation_layout
from robodojo.robots.quadruped import QuadrupedSpec
from robodojo.skills.walking import WalkingController

#: Exploration waypoints in the start frame, m: along the site, sweeping its width.
SWEEP = ((3.0, 0.0), (4.5, 0.8), (5.5, -0.8), (6.8, 0.8), (6.8, -0.8), (4.5, 0.0))
WAYPOINT_REACHED = 0.4  # m
CRUISE_SPEED = 0.45  # m/s
TURN_GAIN = 2.0  # rad/s per rad of heading error
#: Height-scan steering: a rise or drop beyond this within the look-ahead band is an obstacle.
OBSTACLE_STEP = 0.09  # m
LOOK_AHEAD = (0.25, 0.7)  # m ahead of the base
WEAVE = 0.35  # rad amplitude of the heading weave while exploring
WEAVE_PERIOD = 4.0  # s


class ScriptedRescuer:
    """Explore, detect, approach; for either action level (told apart by the observation's
    length)."""

    def __init__(self, spec: QuadrupedSpec, control_dt: float) -> None:
        self.spec = spec
        self.control_dt = control_dt
        self.walker = WalkingController(spec, control_dt)
        # The joints level's fields are a prefix of the velocity level's.
        layout = observation_layout(spec, velocity=False)
        self.joints_level_size = layout.size
        self.proprioception = layout.span("gyro", "previous_action")
        self.velocity = layout.slice("base_linear_velocity")
        self.pose = layout.slice("pose_from_start")
        self.ever_seen = layout.index("victim_ever_seen")
        self.last_seen = layout.slice("victim_last_seen")
        self.scan = layout.slice("height_scan")
        gx, _ = np.meshgrid(SCAN_X, SCAN_Y, indexing="ij")
        self.ahead = ((gx >= LOOK_AHEAD[0]) & (gx <= LOOK_AHEAD[1])).ravel()
        self.side = np.tile(np.sign(SCAN_Y), SCAN_X.size)  # +1 left, −1 right, 0 centre
        self.reset()

    def reset(self) -> None:
        self.walker.reset()
        self.waypoint = 0
        self.time = 0.0

    def command(self, observation: np.ndarray) -> np.ndarray:
        """Body velocity command (vx m/s, vy m/s, ωz rad/s) for this observation."""
        pose = observation[self.pose]  # x, y, z, cos yaw, sin yaw
        position = pose[:2]
        heading = math.atan2(pose[4], pose[3])
        if observation[self.ever_seen] > 0.5:
            target, weave = observation[self.last_seen], 0.0
        else:
            while (
                self.waypoint < len(SWEEP) - 1
                and np.linalg.norm(np.subtract(SWEEP[self.waypoint], position)) < WAYPOINT_REACHED
            ):
                self.waypoint += 1
            target = np.array(SWEEP[self.waypoint])
            weave = WEAVE * math.sin(2 * math.pi * self.time / WEAVE_PERIOD)
        offset = target - position
        wanted = math.atan2(offset[1], offset[0]) + weave + self._avoidance(observation)
        error = (wanted - heading + math.pi) % (2 * math.pi) - math.pi
        speed = CRUISE_SPEED * max(0.0, math.cos(error)) ** 2
        return np.array([speed, 0.0, TURN_GAIN * error])

    def _avoidance(self, observation: np.ndarray) -> float:
        """A heading nudge (rad) away from the side where the scan ahead shows steps too big to
        walk."""
        scan = observation[self.scan]
        ground = np.median(scan[~self.ahead]) if (~self.ahead).any() else 0.0
        blocked = self.ahead & (np.abs(scan - ground) > OBSTACLE_STEP)
        if not blocked.any():
            return 0.0
        left, right = (blocked & (self.side > 0)).sum(), (blocked & (self.side < 0)).sum()
        return 0.6 if right > left else -0.6

    def __call__(self, observation: np.ndarray) -> np.ndarray:
        observation = np.asarray(observation, dtype=np.float64)
        command = self.command(observation)
        self.time += self.control_dt
        if (
            observation.size > self.joints_level_size
        ):  # action="velocity": the env's controller walks
            return np.clip(command / COMMAND_SCALE, -1.0, 1.0).astype(np.float32)
        command = np.clip(command, -COMMAND_SCALE, COMMAND_SCALE)
        return self.walker(observation[self.proprioception], observation[self.velocity], command)
