"""Where robot models come from, and the URDF files PyBullet is given.

Two sources, both installed wheels (nothing is downloaded at run time):
``pybullet_data`` (inside the pybullet wheel) and ``example-robot-data``
(LAAS-CNRS's package of URDFs and meshes: Unitree Go2 and B1, Universal
Robots arms, ...). The latter writes its mesh paths as
``package://example-robot-data/robots/...``, which PyBullet cannot resolve;
:func:`example_robot_urdf` rewrites them to the installed folder and keeps the
result in the user's cache (never in site-packages).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import xml.etree.ElementTree as ET
from functools import cache
from importlib import metadata
from pathlib import Path

import numpy as np
import pybullet_data

EXAMPLE_ROBOT_DATA = "example-robot-data"
_PACKAGE_URI = f"package://{EXAMPLE_ROBOT_DATA}/"
#: a spec's ``urdf`` that starts with this names a file under example-robot-data's ``robots/``
FROM_EXAMPLE_ROBOT_DATA = f"{EXAMPLE_ROBOT_DATA}:"


@cache
def example_robot_data_root() -> Path:
    """The installed ``share/example-robot-data`` folder (holds ``robots/<name>_description``)."""
    try:
        distribution = metadata.distribution(EXAMPLE_ROBOT_DATA)
    except metadata.PackageNotFoundError:
        raise ImportError(
            f"{EXAMPLE_ROBOT_DATA} is not installed (pip install 'example-robot-data>=6,<7'); "
            "robodojo's Go2, B1 and UR models come from it"
        ) from None
    root = Path(str(distribution.locate_file(f"cmeel.prefix/share/{EXAMPLE_ROBOT_DATA}")))
    if not (root / "robots").is_dir():
        raise ImportError(f"{EXAMPLE_ROBOT_DATA} is installed but has no robots folder at {root}")
    return root


def absolute_mesh_paths(root: ET.Element, source_dir: Path) -> None:
    """Make every mesh filename in ``root`` absolute.

    ``package://example-robot-data/...`` points into the installed package;
    any other ``package://`` or relative name is read relative to ``source_dir``
    (how PyBullet itself reads pybullet_data's files).
    """
    for mesh in root.iter("mesh"):
        name = mesh.get("filename", "")
        if name.startswith(_PACKAGE_URI):
            mesh.set("filename", str(example_robot_data_root() / name.removeprefix(_PACKAGE_URI)))
            continue
        name = name.removeprefix("package://")
        if name and not os.path.isabs(name):
            mesh.set("filename", str((source_dir / name).resolve()))


def cached_urdf(text: str, stem: str) -> str:
    """Path of a URDF file holding ``text`` in the user's cache (written once per content)."""
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    folder = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "robodojo" / "urdf"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:  # read-only home (some CI sandboxes): fall back to the temp folder
        folder = Path(tempfile.gettempdir()) / "robodojo-urdf"
        folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{stem}_{digest}.urdf"
    if not path.exists():  # write then rename, so a parallel worker never loads half a file
        fd, tmp = tempfile.mkstemp(dir=folder, suffix=".urdf")
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
        os.replace(tmp, path)
    return str(path)


def source_file(urdf: str) -> Path:
    """The installed file a spec's ``urdf`` names: ``example-robot-data:<path under robots/>``,
    an absolute path, or a path relative to pybullet_data."""
    if urdf.startswith(FROM_EXAMPLE_ROBOT_DATA):
        return example_robot_data_root() / "robots" / urdf.removeprefix(FROM_EXAMPLE_ROBOT_DATA)
    return Path(urdf) if os.path.isabs(urdf) else Path(pybullet_data.getDataPath()) / urdf


def loadable_urdf(urdf: str, sphere_meshes: tuple[str, ...] = ()) -> str:
    """What to hand ``loadURDF`` for a spec's ``urdf``: pybullet_data's files as they are,
    example-robot-data's as a cached copy with absolute mesh paths.

    Collision meshes whose file name is in ``sphere_meshes`` become spheres
    (:func:`fitted_sphere`): a convex foot mesh against the rubble's heightfield
    costs a GJK query per triangle it overlaps, a sphere a closed-form test.
    """
    if not urdf.startswith(FROM_EXAMPLE_ROBOT_DATA) and not sphere_meshes:
        return urdf
    source = source_file(urdf)
    tree = ET.parse(source).getroot()
    absolute_mesh_paths(tree, source.parent)
    if sphere_meshes:
        _spheres_for_meshes(tree, sphere_meshes)
    _collision_shapes_as_visuals(tree)
    return cached_urdf(ET.tostring(tree, encoding="unicode"), source.stem)


#: the colour of a link whose COLLADA visual is replaced by its collision shapes
PLAIN_GREY = "0.55 0.57 0.6 1"


def _collision_shapes_as_visuals(root: ET.Element) -> None:
    """Draw links whose visuals are COLLADA meshes with their collision shapes instead.

    PyBullet parses COLLADA slowly: loading example-robot-data's B1 took 8.0 s with its ``.dae``
    visuals and 0.03 s without them (Go2 1.3 s, UR5 0.94 s), on every env build. Physics never
    reads visuals; a rendered frame then shows the collision hulls in grey.
    """
    for link in root.iter("link"):
        visuals = link.findall("visual")
        if not any(_mesh_name(v).lower().endswith(".dae") for v in visuals):
            continue
        for visual in visuals:
            link.remove(visual)
        for collision in link.findall("collision"):
            visual = ET.SubElement(link, "visual")
            for child in collision:
                if child.tag in ("origin", "geometry"):
                    visual.append(ET.fromstring(ET.tostring(child)))
            material = ET.SubElement(visual, "material", name="robodojo_plain_grey")
            ET.SubElement(material, "color", rgba=PLAIN_GREY)


def _mesh_name(element: ET.Element) -> str:
    mesh = element.find("geometry/mesh")
    return "" if mesh is None else mesh.get("filename", "")


def stl_vertices(path: str | Path) -> np.ndarray:
    """The (n, 3) vertices of a binary STL file."""
    data = Path(path).read_bytes()
    count = int(np.frombuffer(data[80:84], np.uint32)[0])
    record = np.dtype([("normal", "<f4", 3), ("vertices", "<f4", (3, 3)), ("attribute", "<u2")])
    triangles = np.frombuffer(data[84 : 84 + 50 * count], dtype=record)
    return triangles["vertices"].reshape(-1, 3).astype(np.float64)


def fitted_sphere(path: str | Path) -> tuple[np.ndarray, float]:
    """A sphere for a roughly round mesh (a foot): radius half its two narrowest extents' mean,
    centred over the mesh's middle in x and y, its bottom at the mesh's lowest point (so a robot
    stands exactly as tall on it)."""
    vertices = stl_vertices(path)
    low, high = vertices.min(axis=0), vertices.max(axis=0)
    radius = float(np.sort(high - low)[:2].mean() / 2.0)
    centre = np.array([(low[0] + high[0]) / 2.0, (low[1] + high[1]) / 2.0, low[2] + radius])
    return centre, radius


def _spheres_for_meshes(root: ET.Element, names: tuple[str, ...]) -> None:
    for collision in root.iter("collision"):
        geometry = collision.find("geometry")
        mesh = None if geometry is None else geometry.find("mesh")
        if geometry is None or mesh is None or Path(mesh.get("filename", "")).name not in names:
            continue
        centre, radius = fitted_sphere(mesh.get("filename", ""))
        origin = collision.find("origin")
        if origin is not None:  # a sphere only needs the origin's offset, not its rotation
            if any(float(v) != 0.0 for v in origin.get("rpy", "0 0 0").split()):
                raise ValueError(
                    f"{mesh.get('filename')}: a rotated collision mesh cannot become a sphere"
                )
            centre = centre + np.array([float(v) for v in origin.get("xyz", "0 0 0").split()])
            collision.remove(origin)
        geometry.remove(mesh)
        ET.SubElement(geometry, "sphere", radius=f"{radius:.5f}")
        xyz = " ".join(f"{v:.5f}" for v in centre)
        collision.insert(0, ET.Element("origin", xyz=xyz, rpy="0 0 0"))
