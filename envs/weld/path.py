"""The taught path a welding program follows, and the laser seam tracker that corrects it.

:class:`TaughtPath` is the nominal seam (the CAD/teach-in path the cell is
handed) extended by a straight lead-in and run-out, with the nominal torch
frame at every 1 mm sample: ``z`` the torch axis (out of the nozzle; from the
joint's bisector tilted by the nominal push angle), ``b`` across the seam
(⊥ z, toward the wall), ``x`` = travel direction ⊥ z. Poses in the path are
*offsets*: ``lateral`` along b, ``depth`` along z (+ = deeper into the joint),
and two angle offsets (work: about the tangent; travel: about b).

:class:`SeamTracker` is a laser-stripe tracker mounted ahead of the torch: at
each look-ahead distance d it finds the true seam in the stripe plane (⊥ the
path at progress s + d) and reports how far it lies from the taught path
there — (lateral, depth) in that point's torch frame — the correction a
real tracking system hands the robot controller. Readings carry Gaussian
noise and drop out (spatter, reflections), alone or in bursts.
"""

from __future__ import annotations

import math

import numpy as np

from robodojo.physics.geometry import UP, cross3, nearest_segment, rotation_about, unit
from robodojo.sim_assets.seams import SAMPLE_SPACING, Seam

#: straight lead-in before the seam and run-out after it, m
LEAD = 0.008


class TaughtPath:
    """The nominal seam, extended by ``lead`` (m) at both ends, with nominal torch frames.

    ``roll`` (rad) turns the torch about its own axis (where the swan neck points:
    x = travel direction at 0), chosen per part so the arm can reach the whole path.

    Arclength ``s`` runs from ``-lead`` (lead-in start) to ``length + lead``; the
    seam proper is [0, length].
    """

    def __init__(
        self, nominal: Seam, push_angle_deg: float, lead: float = LEAD, roll: float = 0.0
    ) -> None:
        self.seam = nominal
        self.lead = lead
        self.length = nominal.length
        extra = int(round(lead / SAMPLE_SPACING))
        steps = np.arange(1, extra + 1)[:, None] * SAMPLE_SPACING
        head = nominal.points[0] - steps[::-1] * nominal.tangents[0]
        tail = nominal.points[-1] + steps * nominal.tangents[-1]
        self.points = np.concatenate([head, nominal.points, tail])
        self.s = np.concatenate([-steps[::-1, 0], nominal.arclength, nominal.length + steps[:, 0]])
        pad = lambda a: np.concatenate([np.repeat(a[:1], extra, 0), a, np.repeat(a[-1:], extra, 0)])  # noqa: E731
        self.tangents = pad(nominal.tangents)
        self.sides = pad(nominal.sides)
        bisectors = pad(nominal.bisectors)
        push = math.radians(push_angle_deg)
        z = (
            -math.cos(push) * bisectors + math.sin(push) * self.tangents
        )  # push: the nozzle points ahead
        self.z = z / np.linalg.norm(z, axis=1, keepdims=True)
        b = np.cross(self.tangents, self.z)
        b *= np.sign(np.einsum("ij,ij->i", b, self.sides))[
            :, None
        ]  # toward the wall, whichever side it is on
        self.b = b / np.linalg.norm(b, axis=1, keepdims=True)
        x = self.tangents - np.einsum("ij,ij->i", self.tangents, self.z)[:, None] * self.z
        x /= np.linalg.norm(x, axis=1, keepdims=True)
        # signed curvature toward the wall (1/m): how much a sideways offset lengthens or shortens
        # the path
        turning = np.gradient(self.tangents, self.s, axis=0)
        self.curvature = np.einsum("ij,ij->i", turning, self.sides)
        # the torch's roll about its own axis is the programmer's free choice (it moves the swan
        # neck, not the arc): x turned by ``roll`` about z
        self.roll = roll
        x = math.cos(roll) * x + math.sin(roll) * np.cross(self.z, x)
        self.x = x / np.linalg.norm(x, axis=1, keepdims=True)
        self._local_s = math.nan

    @property
    def start(self) -> float:
        return -self.lead

    @property
    def end(self) -> float:
        return self.length + self.lead

    def _locate(self, s: float) -> tuple[int, float]:
        s = min(max(s, self.s[0]), self.s[-1])
        i = min(int(np.searchsorted(self.s, s, side="right")) - 1, len(self.s) - 2)
        return i, (s - self.s[i]) / (self.s[i + 1] - self.s[i])

    def local(self, s: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Everything interpolated at ``s``: point, nominal TCP rotation (columns x, y = z × x, z
        the torch axis), tangent, side, across (⊥ torch axis and tangent, toward the wall).

        Interpolated, not per sample, so a torch held off the path moves smoothly
        through corners. Cached: a step asks for the same ``s`` several times.
        """
        if s != self._local_s:
            i, f = self._locate(s)
            point = self.points[i] + f * (self.points[i + 1] - self.points[i])
            z = unit(self.z[i] + f * (self.z[i + 1] - self.z[i]))
            x = self.x[i] + f * (self.x[i + 1] - self.x[i])
            x = unit(x - (x @ z) * z)
            tangent = unit(self.tangents[i] + f * (self.tangents[i + 1] - self.tangents[i]))
            side = unit(self.sides[i] + f * (self.sides[i + 1] - self.sides[i]))
            across = unit(cross3(tangent, z))
            across = across if across @ side >= 0 else -across
            self._local = (point, np.column_stack([x, cross3(z, x), z]), tangent, side, across)
            self._local_s = s
        return self._local

    def torch_pose(
        self, s: float, lateral: float, depth: float, work: float, travel: float, ctwd: float
    ) -> tuple[np.ndarray, np.ndarray]:
        """TCP position and rotation for path offsets (m, rad) at progress ``s`` with stand-off
        ``ctwd``.

        The aim point (tip + ctwd·axis) sits ``lateral`` across and ``depth`` along
        the nominal torch axis from the path; + work = steeper torch (turned about
        UP × side, whichever side the wall is on), + travel = more push.
        """
        point, nominal, tangent, side, across = self.local(s)
        rotation = nominal
        if work or travel:
            tilt_axis = unit(
                cross3(nominal[:, 2], tangent)
            )  # ⊥ torch axis and travel: push/drag turns about it
            rotation = (
                rotation_about(unit(cross3(UP, side)), work)
                @ rotation_about(tilt_axis, travel)
                @ nominal
            )
        position = point + lateral * across + depth * nominal[:, 2] - ctwd * rotation[:, 2]
        return position, rotation

    def stretch(self, s: float, lateral: float, depth: float) -> float:
        """Path length the aim point covers per metre of progress at these offsets (≠ 1 on curves).

        A point held ``h`` toward the wall from a curve of curvature κ (toward the
        wall) travels (1 − κ·h) m per metre: used to keep the programmed speed a
        true TCP speed, as robot controllers do when a tracker shifts the path.
        """
        _, rotation, _, side, across = self.local(s)
        i, f = self._locate(s)
        curvature = self.curvature[i] + f * (self.curvature[i + 1] - self.curvature[i])
        toward_wall = lateral * (across @ side) + depth * (rotation[:, 2] @ side)
        return max(1.0 - curvature * toward_wall, 0.2)

    def offsets(self, s: float, tip: np.ndarray, rotation: np.ndarray, ctwd: float) -> np.ndarray:
        """(lateral, depth) in m of a TCP pose's aim point (tip + ctwd·axis) from the path at ``s``:
        the inverse of :meth:`torch_pose`."""
        point, nominal, _, _, across = self.local(s)
        aim = tip + ctwd * rotation[:, 2] - point
        return np.array([aim @ across, aim @ nominal[:, 2]])

    def project(self, point: np.ndarray, hint: int, window: int = 8) -> float:
        """Arclength of the path point nearest ``point``, searched around sample ``hint``."""
        i, frac = nearest_segment(self.points, point, hint, window)
        return float(self.s[i] + frac * (self.s[i + 1] - self.s[i]))

    def index(self, s: float) -> int:
        return self._locate(s)[0]

    def deviations(self, true: Seam) -> tuple[np.ndarray, np.ndarray]:
        """Where the true seam crosses each sample's stripe plane, relative to the path: (N, 2)
        (lateral, depth) m, (N,) valid.

        The stripe plane at sample i passes through ``points[i]`` ⊥ ``tangents[i]``;
        samples where the true seam does not cross it (beyond its ends) are invalid.
        """
        n = len(self.points)
        true_s = true.arclength
        # search each plane's crossing within ±30 mm of the same arclength on the true seam
        guess = np.clip(np.searchsorted(true_s, self.s), 0, len(true_s) - 1)
        offsets = np.arange(-30, 31)
        idx = np.clip(guess[:, None] + offsets[None, :], 0, len(true_s) - 1)
        signed = np.einsum("nkj,nj->nk", true.points[idx] - self.points[:, None, :], self.tangents)
        crossing = (signed[:, :-1] <= 0) & (signed[:, 1:] > 0) & (idx[:, 1:] != idx[:, :-1])
        valid = crossing.any(axis=1)
        k = np.argmax(crossing, axis=1)
        rows = np.arange(n)
        a, c = signed[rows, k], signed[rows, k + 1]
        f = np.where(valid, -a / np.where(c - a == 0, 1.0, c - a), 0.0)
        hit = true.points[idx[rows, k]] + f[:, None] * (
            true.points[idx[rows, k + 1]] - true.points[idx[rows, k]]
        )
        delta = hit - self.points
        result = np.stack(
            [np.einsum("ij,ij->i", delta, self.b), np.einsum("ij,ij->i", delta, self.z)], axis=1
        )
        return np.where(valid[:, None], result, 0.0), valid


class SeamTracker:
    """Laser seam tracker readings at look-ahead distances ahead of the torch (see the module
    docstring).

    Args:
        lookahead: distances ahead of the torch, m.
        noise: Gaussian σ of each reading, m (laser trackers: 20–150 µm).
        dropout: chance a single reading is lost on a step.
        burst_chance / burst_steps: chance per step that every reading is lost for a burst of
            steps (spatter).
    """

    def __init__(
        self,
        lookahead: tuple[float, ...] = (0.010, 0.020, 0.030, 0.040),
        noise: float = 0.00005,
        dropout: float = 0.05,
        burst_chance: float = 0.01,
        burst_steps: tuple[int, int] = (3, 12),
    ) -> None:
        if not lookahead or min(lookahead) <= 0:
            raise ValueError("look-ahead distances must be positive")
        if noise < 0 or not 0 <= dropout < 1 or not 0 <= burst_chance < 1:
            raise ValueError("noise must be >= 0 and dropout, burst_chance in [0, 1)")
        self.lookahead = np.asarray(lookahead, dtype=np.float64)
        self.noise = noise
        self.dropout = dropout
        self.burst_chance = burst_chance
        self.burst_steps = burst_steps

    def reset(self, path: TaughtPath, true: Seam, rng: np.random.Generator) -> None:
        self.path = path
        self.table, self.valid = path.deviations(true)
        self.rng = rng
        self.burst_left = 0

    def read(self, s: float) -> tuple[np.ndarray, np.ndarray]:
        """(K, 2) readings (lateral, depth) m and (K,) validity at torch progress ``s``; lost
        readings are 0."""
        path = self.path
        where = np.interp(s + self.lookahead, path.s, np.arange(len(path.s)))
        lo = np.floor(where).astype(int)
        hi = np.minimum(lo + 1, len(path.s) - 1)
        f = (where - lo)[:, None]
        value = self.table[lo] * (1 - f) + self.table[hi] * f
        valid = self.valid[lo] & self.valid[hi] & (s + self.lookahead <= path.s[-1])
        rng = self.rng
        value = value + rng.normal(0.0, self.noise, value.shape)
        valid &= rng.random(len(valid)) >= self.dropout
        if self.burst_left == 0 and rng.random() < self.burst_chance:
            self.burst_left = int(rng.integers(self.burst_steps[0], self.burst_steps[1] + 1))
        if self.burst_left > 0:
            self.burst_left -= 1
            valid[:] = False
        return np.where(valid[:, None], value, 0.0), valid
