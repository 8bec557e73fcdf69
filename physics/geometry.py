"""Rotations and small vector helpers, numpy only: the one place robodojo converts between frames.

Quaternions are (x, y, z, w), as PyBullet orders them; rotation matrices map
the rotated frame into the world (columns are the frame's axes). Several
helpers spell out their arithmetic in plain floats because they run on every
control step, where numpy's per-call cost dominates 3-vectors; each says so.
"""

from __future__ import annotations

import math

import numpy as np

UP = np.array([0.0, 0.0, 1.0])


def quat_to_matrix(quaternion: np.ndarray) -> np.ndarray:
    """Rotation matrix of an (x, y, z, w) quaternion, as PyBullet orders it."""
    x, y, z, w = quaternion
    return np.array(
        [
            [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
            [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
            [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
        ]
    )


def quat_axes(quaternion: tuple[float, float, float, float]) -> tuple[tuple, tuple, float]:
    """A body's x and y axes (world) and the z component of its z axis, from its (x, y, z, w)
    quaternion.

    The first two columns and the last entry of :func:`quat_to_matrix`, with
    the same arithmetic, without building the matrix (a per-step read).
    """
    x, y, z, w = quaternion
    x_axis = (1 - 2 * (y * y + z * z), 2 * (x * y + z * w), 2 * (x * z - y * w))
    y_axis = (2 * (x * y - z * w), 1 - 2 * (x * x + z * z), 2 * (y * z + x * w))
    return x_axis, y_axis, 1 - 2 * (x * x + y * y)


def matrix_to_quat(rotation: np.ndarray) -> np.ndarray:
    """(x, y, z, w) quaternion of a rotation matrix (Shepperd's method: stable for every angle)."""
    m = rotation
    trace = m[0, 0] + m[1, 1] + m[2, 2]
    if trace > 0.0:
        s = 2.0 * math.sqrt(1.0 + trace)
        q = [(m[2, 1] - m[1, 2]) / s, (m[0, 2] - m[2, 0]) / s, (m[1, 0] - m[0, 1]) / s, 0.25 * s]
    elif m[0, 0] > m[1, 1] and m[0, 0] > m[2, 2]:
        s = 2.0 * math.sqrt(1.0 + m[0, 0] - m[1, 1] - m[2, 2])
        q = [0.25 * s, (m[0, 1] + m[1, 0]) / s, (m[0, 2] + m[2, 0]) / s, (m[2, 1] - m[1, 2]) / s]
    elif m[1, 1] > m[2, 2]:
        s = 2.0 * math.sqrt(1.0 + m[1, 1] - m[0, 0] - m[2, 2])
        q = [(m[0, 1] + m[1, 0]) / s, 0.25 * s, (m[1, 2] + m[2, 1]) / s, (m[0, 2] - m[2, 0]) / s]
    else:
        s = 2.0 * math.sqrt(1.0 + m[2, 2] - m[0, 0] - m[1, 1])
        q = [(m[0, 2] + m[2, 0]) / s, (m[1, 2] + m[2, 1]) / s, 0.25 * s, (m[1, 0] - m[0, 1]) / s]
    result = np.array(q)
    return result / np.linalg.norm(result)


def rot_y(angle: float) -> np.ndarray:
    """Rotation matrix about y by ``angle`` rad."""
    c, s = math.cos(angle), math.sin(angle)
    return np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]])


def rotation_about(axis: np.ndarray, angle: float) -> np.ndarray:
    """Rotation matrix about unit ``axis`` by ``angle`` rad (Rodrigues)."""
    if angle == 0.0:
        return np.eye(3)
    x, y, z = axis
    c, s = math.cos(angle), math.sin(angle)
    t = 1.0 - c
    return np.array([
        [c + t * x * x, t * x * y - s * z, t * x * z + s * y],
        [t * x * y + s * z, c + t * y * y, t * y * z - s * x],
        [t * x * z - s * y, t * y * z + s * x, c + t * z * z],
    ])  # fmt: skip


def rotation_vector(rotation: np.ndarray) -> np.ndarray:
    """Axis × angle (rad) of a rotation matrix (angles below π)."""
    skew = np.array(
        [
            rotation[2, 1] - rotation[1, 2],
            rotation[0, 2] - rotation[2, 0],
            rotation[1, 0] - rotation[0, 1],
        ]
    )
    sin2 = float(np.linalg.norm(skew))  # 2·sin(angle)
    if sin2 < 1e-12:
        return np.zeros(3)
    angle = math.atan2(sin2 / 2.0, (rotation[0, 0] + rotation[1, 1] + rotation[2, 2] - 1.0) / 2.0)
    return skew * (angle / sin2)


def rotation_matrix(vector: np.ndarray) -> np.ndarray:
    """Rotation matrix of an axis × angle vector (Rodrigues)."""
    angle = float(np.linalg.norm(vector))
    if angle < 1e-12:
        return np.eye(3)
    k = vector / angle
    skew = np.array([[0.0, -k[2], k[1]], [k[2], 0.0, -k[0]], [-k[1], k[0], 0.0]])
    return np.eye(3) + math.sin(angle) * skew + (1.0 - math.cos(angle)) * skew @ skew


def rotation_angle(a: np.ndarray, b: np.ndarray) -> float:
    """Angle (rad) of the rotation taking ``a`` to ``b`` (both 3×3)."""
    # atan2 of (sin, cos), not arccos: arccos of a cosine a float32 rounding below 1 reads ~0.3 mrad
    return float(np.linalg.norm(rotation_vector(a.T @ b)))


def down_quaternion(yaw: float) -> tuple[float, float, float, float]:
    """Quaternion of a frame whose z points straight down (−world z), turned ``yaw`` rad about the
    vertical."""
    # R = Rz(yaw) · Rx(π): x = (cos, sin, 0), z = (0, 0, −1)
    half = 0.5 * yaw
    return (math.cos(half), math.sin(half), 0.0, 0.0)


def yaw_of(quaternion: tuple[float, float, float, float]) -> float:
    """Yaw (rad) of a frame's x axis in the horizontal plane, from its quaternion."""
    x, y, z, w = quaternion
    return math.atan2(2.0 * (x * y + w * z), 1.0 - 2.0 * (y * y + z * z))


def tilted_yaw_quaternion(normal: np.ndarray, yaw: float) -> tuple[float, float, float, float]:
    """Quaternion (x, y, z, w): ``yaw`` about z, then the smallest rotation taking z to
    ``normal``."""
    nx, ny, nz = (float(w) for w in normal)
    sin_angle = math.hypot(nx, ny)  # |z × normal|, the rotation axis being (-ny, nx, 0) / sin_angle
    half_angle = math.atan2(sin_angle, nz) / 2
    if sin_angle < 1e-12:
        x1 = y1 = 0.0
    else:
        x1, y1 = -ny / sin_angle * math.sin(half_angle), nx / sin_angle * math.sin(half_angle)
    w1 = math.cos(half_angle)
    z2, w2 = math.sin(yaw / 2), math.cos(yaw / 2)
    # Hamilton product tilt ⊗ turn, the tilt having no z part and the turn only z and w
    return (x1 * w2 + y1 * z2, y1 * w2 - x1 * z2, w1 * z2, w1 * w2)


def unit(v: np.ndarray) -> np.ndarray:
    """``v`` / |v| for a 3-vector (math.sqrt: numpy's norm costs µs a call on the hot path)."""
    return v / math.sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2])


def cross3(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a × b for 3-vectors (numpy's cross costs ~30 µs a call on the hot path)."""
    return np.array(
        [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]]
    )


def length(vector: np.ndarray) -> float:
    """Euclidean length of a short vector (np.linalg.norm costs ~3 µs a call on the per-step
    path)."""
    return math.sqrt(float(np.dot(vector, vector)))


def nearest_segment(
    points: np.ndarray, point: np.ndarray, hint: int | None, window: int
) -> tuple[int, float]:
    """Segment (first sample i, fraction along it) of a polyline closest to ``point``.

    Searches ±``window`` segments around ``hint`` (None = everywhere); an answer
    on the edge of the window triggers the full search, so a jump is never missed.
    """
    last = len(points) - 1
    lo, hi = (0, last) if hint is None else (max(0, hint - window), min(last, hint + window + 1))
    start = points[lo:hi]
    seg = points[lo + 1 : hi + 1] - start
    length2 = np.einsum("ij,ij->i", seg, seg)
    frac = np.clip(np.einsum("ij,ij->i", point - start, seg) / np.maximum(length2, 1e-18), 0.0, 1.0)
    gap = point - (start + frac[:, None] * seg)
    k = int(np.argmin(np.einsum("ij,ij->i", gap, gap)))
    if hint is not None and ((k == 0 and lo > 0) or (k == hi - lo - 1 and hi < last)):
        return nearest_segment(points, point, None, window)
    return lo + k, float(frac[k])
