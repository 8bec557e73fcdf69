"""The Franka Hand (parallel gripper) and the URDF of any arm wearing it.

Transport needs a real gripper with contact physics. pybullet_data ships one
good parallel gripper: the Franka Hand inside ``franka_panda/panda.urdf``
(two prismatic fingers, 0–40 mm each, so an 80 mm opening). :func:`arm_with_hand_urdf`
grafts that hand onto any arm's flange and writes the result as a URDF in the
user's cache folder (nothing is downloaded: every mesh path points into the
installed pybullet_data or example-robot-data). The Panda gets its own hand back, exactly as in the
original file.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from robodojo.robots.model_files import absolute_mesh_paths, cached_urdf, source_file

HAND_SOURCE = "franka_panda/panda.urdf"
#: the hand's links and the joints that hang them together, as named in HAND_SOURCE
HAND_LINKS = ("panda_hand", "panda_leftfinger", "panda_rightfinger", "panda_grasptarget")
HAND_JOINTS = ("panda_finger_joint1", "panda_finger_joint2", "panda_grasptarget_hand")


@dataclass(frozen=True)
class HandSpec:
    """A parallel gripper's figures (Franka Hand datasheet unless noted)."""

    finger_joints: tuple[str, str] = ("panda_finger_joint1", "panda_finger_joint2")
    tcp_link: str = "panda_grasptarget"  #: between the finger pads, 105 mm past the mounting face
    finger_travel: float = 0.04  #: m per finger, so the opening is 2 × this
    grip_force: float = 140.0  #: N per finger: the hand's peak force (70 N continuous)
    finger_speed: float = (
        0.1  #: m/s per finger (datasheet: 50 mm/s each; doubled to keep episodes short)
    )
    pad_friction: float = 1.0  #: rubber pads
    mass: float = 0.73  #: kg (hand + fingers)

    @property
    def max_opening(self) -> float:
        return 2.0 * self.finger_travel


FRANKA_HAND = HandSpec()


def _strip(root: ET.Element, links: tuple[str, ...]) -> None:
    """Remove ``links`` and every joint whose child is one of them."""
    for element in list(root):
        if element.tag == "link" and element.get("name") in links:
            root.remove(element)
        elif element.tag == "joint":
            child = element.find("child")
            if child is not None and child.get("link") in links:
                root.remove(element)


def merged_urdf_text(
    arm_urdf: str, flange_link: str, flange_offset: float, drop_links: tuple[str, ...]
) -> str:
    """URDF text: the arm of ``arm_urdf`` (minus ``drop_links``) with the Franka Hand on
    ``flange_link``.

    The hand mounts ``flange_offset`` m along the flange link's z, turned −45° about it as on
    the Panda (so the fingers close along the flange's ±45° diagonal on every arm alike).
    """
    arm_path = source_file(arm_urdf)
    arm = ET.parse(arm_path).getroot()
    absolute_mesh_paths(arm, arm_path.parent)
    _strip(arm, tuple(drop_links) + HAND_LINKS)
    hand_path = source_file(HAND_SOURCE)
    hand = ET.parse(hand_path).getroot()
    absolute_mesh_paths(hand, hand_path.parent)
    for element in hand:
        if (element.tag == "link" and element.get("name") in HAND_LINKS) or (
            element.tag == "joint" and element.get("name") in HAND_JOINTS
        ):
            arm.append(element)
    mount = ET.SubElement(arm, "joint", name="hand_mount", type="fixed")
    ET.SubElement(mount, "parent", link=flange_link)
    ET.SubElement(mount, "child", link="panda_hand")
    ET.SubElement(mount, "origin", xyz=f"0 0 {flange_offset!r}", rpy=f"0 0 {-math.pi / 4!r}")
    return ET.tostring(arm, encoding="unicode")


def arm_with_hand_urdf(
    arm_urdf: str, flange_link: str, flange_offset: float = 0.0, drop_links: tuple[str, ...] = ()
) -> str:
    """Path of a URDF file holding the arm with the Franka Hand (written once per content into a
    cache folder)."""
    text = merged_urdf_text(arm_urdf, flange_link, flange_offset, drop_links)
    return cached_urdf(text, f"{Path(arm_urdf).stem}_{flange_link}_hand")
