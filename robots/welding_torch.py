"""A robotic MIG/MAG welding torch with a swan neck, built from PyBullet primitives.

Geometry, in the **mount frame** (the arm's flange face: z out of the flange,
away from the arm; x, y as the flange's own axes):

* **holder** (base link, −1): a Ø50 mm cylinder along z, ``holder_length``
  long — the torch mount and collision sensor a robot torch sits on.
* **neck_lower** (link 0) and **neck_upper** (link 1): the swan neck, Ø22 mm,
  bending toward +x in the x–z plane (the *bend plane*): the lower piece
  leans ``bend/2`` from the flange axis, the upper one the full ``bend``,
  which approximates the neck's smooth curve by two straight pieces.
* **nozzle** (link 2): the copper gas nozzle, Ø16 mm, continuing the upper
  neck; the contact tip sits ``tip_recess`` inside its open end.

**TCP frame** (the contact tip, where CTWD is measured from):
origin on the nozzle axis, ``tip_recess`` inside the nozzle's end;
``z`` = the nozzle axis pointing *out of the nozzle* toward the work (the wire
feed direction); ``x`` = in the bend plane, perpendicular to z, on the side the
neck bends toward ("torch forward": the direction the tip moves if you tilt
the torch about y); ``y = z × x``, normal to the bend plane. In the mount
frame the TCP rotation is exactly R_y(bend).

The torch is a static body (mass 0) with collision shapes on every part, so
``getClosestPoints`` reports which part (link index, see :data:`TORCH_LINKS`)
comes near a workpiece. It is never simulated: :class:`robodojo.robots.arm.Arm`
resets its base pose from the flange every time the joints are set.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from robodojo.physics import (
    Sim,
    pybullet,
)  # pybullet for constants only; calls go through the Sim's client
from robodojo.physics.bodies import static_compound
from robodojo.physics.geometry import matrix_to_quat, rot_y

#: torch part -> PyBullet link index in the torch body (−1 is the base)
TORCH_LINKS: dict[str, int] = {"holder": -1, "neck_lower": 0, "neck_upper": 1, "nozzle": 2}

# Colours chosen to read in a 320×240 TinyRenderer frame: near-black neck, copper nozzle.
_DARK = (0.12, 0.12, 0.14, 1.0)
_HOLDER = (0.30, 0.31, 0.34, 1.0)
_COPPER = (0.86, 0.47, 0.20, 1.0)


@dataclass(frozen=True)
class TorchSpec:
    """Dimensions of a swan-neck torch (metres, degrees). Defaults: a 22° robot neck, ~0.29 m flange
    to tip."""

    name: str = "swan_neck_22"
    bend_deg: float = 22.0  #: neck bend; robot torch necks come in 0°, 22°, 35° and 45°
    holder_length: float = 0.09
    holder_radius: float = 0.025
    neck_lower_length: float = 0.07
    neck_upper_length: float = 0.08
    neck_radius: float = 0.011
    nozzle_length: float = 0.05
    nozzle_radius: float = 0.008  #: Ø16 mm gas nozzle
    tip_recess: float = 0.002  #: contact tip inside the nozzle end (spray transfer: 0–3 mm)

    def _pieces(self) -> list[tuple[np.ndarray, np.ndarray, float]]:
        """(start point, unit direction, length) of the lower neck, upper neck and nozzle, in the
        mount frame."""
        bend = math.radians(self.bend_deg)
        half = rot_y(bend / 2.0)[:, 2]
        full = rot_y(bend)[:, 2]
        start = np.array([0.0, 0.0, self.holder_length])
        upper_start = start + self.neck_lower_length * half
        nozzle_start = upper_start + self.neck_upper_length * full
        return [
            (start, half, self.neck_lower_length),
            (upper_start, full, self.neck_upper_length),
            (nozzle_start, full, self.nozzle_length),
        ]

    @property
    def flange_to_tcp(self) -> tuple[np.ndarray, np.ndarray]:
        """TCP position (m) and rotation (3×3) in the mount frame:
        ``p_world = R_mount @ p + t_mount``."""
        nozzle_start, direction, length = self._pieces()[2]
        return nozzle_start + (length - self.tip_recess) * direction, rot_y(
            math.radians(self.bend_deg)
        )

    def build(self, sim: Sim) -> int:
        """Create the torch as one static multibody and return its body id (base frame = mount
        frame)."""
        client = sim.client
        pieces = self._pieces()
        radii = (self.neck_radius, self.neck_radius, self.nozzle_radius)
        colours = (_DARK, _DARK, _COPPER)
        bends = (
            math.radians(self.bend_deg) / 2.0,
            math.radians(self.bend_deg),
            math.radians(self.bend_deg),
        )
        # Overlap each piece into its predecessor by r·tan(kink/2) (+2 mm) so the outside of a bend
        # has no gap.
        kink = math.radians(self.bend_deg) / 2.0
        collisions, visuals, positions, orientations = [], [], [], []
        for (start, direction, length), radius, colour, angle in zip(
            pieces, radii, colours, bends, strict=True
        ):
            overlap = radius * math.tan(kink / 2.0) + 0.002
            full_length = length + overlap
            collisions.append(
                client.createCollisionShape(
                    pybullet.GEOM_CYLINDER, radius=radius, height=full_length
                )
            )
            visuals.append(
                client.createVisualShape(
                    pybullet.GEOM_CYLINDER, radius=radius, length=full_length, rgbaColor=colour
                )
            )
            positions.append(list(start + direction * (length - overlap) / 2.0))
            orientations.append(list(matrix_to_quat(rot_y(angle))))
        holder_centre = [0.0, 0.0, self.holder_length / 2.0]
        base_collision = client.createCollisionShape(
            pybullet.GEOM_CYLINDER,
            radius=self.holder_radius,
            height=self.holder_length,
            collisionFramePosition=holder_centre,
        )
        base_visual = client.createVisualShape(
            pybullet.GEOM_CYLINDER, radius=self.holder_radius, length=self.holder_length,
            visualFramePosition=holder_centre, rgbaColor=_HOLDER,
        )  # fmt: skip
        return static_compound(
            client, collisions, visuals, positions, orientations, base_collision, base_visual
        )


#: The torch every arm gets unless told otherwise.
DEFAULT_TORCH = TorchSpec()
