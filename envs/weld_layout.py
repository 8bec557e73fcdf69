"""Weld-v0's observation and action layout: numbers a controller needs without importing the simulator.

Shared by the env (:mod:`robodojo.envs.weld_task`) and the scripted
controllers (:mod:`robodojo.policies.weld`), so both read the same indices.
"""

from __future__ import annotations

import math

import numpy as np

#: laser tracker look-ahead distances ahead of the torch, m
LOOKAHEAD = (0.010, 0.020, 0.030, 0.040)
#: twist control: a1..a4 × these = lateral, depth offset rates (m/s) and work, travel angle rates (rad/s)
OFFSET_RATES = np.array([0.010, 0.010, math.radians(30.0), math.radians(30.0)])
#: the offsets are held within ± these (m, m, rad, rad)
OFFSET_LIMITS = np.array([0.020, 0.020, math.radians(30.0), math.radians(30.0)])
TWIST_ACTION_SIZE = 5

_K = len(LOOKAHEAD)
TRACKER_LATERAL = slice(0, _K)  #: mm / 5
TRACKER_DEPTH = slice(_K, 2 * _K)  #: mm / 5
TRACKER_VALID = slice(2 * _K, 3 * _K)  #: 0/1
TORCH_OFFSET = slice(3 * _K, 3 * _K + 2)  #: aim point lateral, depth from the taught path, mm / 5
TORCH_ANGLES = slice(3 * _K + 2, 3 * _K + 4)  #: work angle error, travel angle − nominal, deg / 10
TCP_VELOCITY = slice(3 * _K + 4, 3 * _K + 7)  #: mm/s / 10
PROGRESS = 3 * _K + 7  #: m travelled along the taught path / 0.2 (then m left to go / 0.2)
JOINTS_START = 3 * _K + 9
MM_PER_UNIT = 5.0  #: observation scale of the millimetre fields
DEG_PER_UNIT = 10.0  #: observation scale of the angle fields
M_PER_PROGRESS_UNIT = 0.2
