"""QuadrupedRescue-v0's observation layout and velocity-action scales — numpy only.

The scripted rescuer and a deployment read observations through these
indices, so they live apart from the simulation.
"""

from __future__ import annotations

import numpy as np

# ---- proprioception, as FallRecovery-v0 (12 joints)
PROPRIOCEPTION = slice(0, 42)
GRAVITY = slice(3, 6)
# ---- state estimate
VELOCITY = slice(42, 45)  #: body velocity in the heading frame, m/s
POSE = slice(45, 50)  #: x, y, z (m) and cos, sin of the yaw, relative to the start pose (start frame)
POSE_XY = slice(45, 47)
POSE_YAW = slice(48, 50)
# ---- the victim detector (thermal camera)
VISIBLE = 50  #: 1 when the victim is detected this step
DETECTION = slice(51, 54)  #: range (m), cos, sin of the bearing (heading frame); 0 when not visible
LAST_SEEN = slice(54, 56)  #: where the last detection put the victim, start frame, m (0 before any)
LAST_SEEN_AGE = 56  #: s since that detection (MAX_AGE before any)
EVER_SEEN = 57  #: 1 once the victim has been detected
# ---- local height scan: terrain height − base height on a grid in the heading frame
SCAN_X = np.linspace(-0.2, 0.8, 11)  #: m ahead of the base (looks mostly forward, as a depth camera)
SCAN_Y = np.linspace(-0.3, 0.3, 7)  #: m to the left
SCAN = slice(58, 58 + SCAN_X.size * SCAN_Y.size)
SCAN_LOW, SCAN_HIGH = -1.0, 0.5  #: m: clipped (a gap deeper than 1 m reads −1)
OBS_SIZE = SCAN.stop  #: with action="joints"
PREVIOUS_COMMAND = slice(OBS_SIZE, OBS_SIZE + 3)  #: action="velocity" only: the last command, in [-1, 1]

POSE_RANGE = 10.0  #: m
MAX_AGE = 60.0  #: s

#: action="velocity": a in [-1, 1]^3 -> (vx m/s, vy m/s, ωz rad/s) = a * COMMAND_SCALE
COMMAND_SCALE = np.array([0.5, 0.2, 0.8])


def scan_grid(x: float, y: float, yaw: float) -> np.ndarray:
    """World (x, y) of the height-scan points for a base at (x, y) heading ``yaw``: (N, 2), x-major."""
    gx, gy = np.meshgrid(SCAN_X, SCAN_Y, indexing="ij")
    c, s = np.cos(yaw), np.sin(yaw)
    return np.stack([x + c * gx.ravel() - s * gy.ravel(), y + s * gx.ravel() + c * gy.ravel()], axis=1)
