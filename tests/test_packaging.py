"""The wheel: built from the source tree, installed in a clean venv, importable, ids registered on
import (no .pth).

Builds from a copy of the source tree (so the working tree gets no build/ or
egg-info churn) and installs into a fresh venv; the machine's pip config
points at local wheel indexes, so this takes ~15-30 s.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

from robodojo.envs import ENV_IDS

REPO = Path(__file__).resolve().parents[1]
PACKAGES = (
    "physics",
    "interface",
    "robots",
    "sim_assets",
    "skills",
    "envs",
    "policies",
    "evaluation",
    "training",
    "bridge",
    "cli",
)
PROBE = "zz-packaging-probe"
PRETRAINED_FILES = ("policy.onnx", "policy.json", "card.md", "card.json")
SOURCE_IGNORE = shutil.ignore_patterns(
    ".venv",
    ".git",
    "build",
    "dist",
    "*.egg-info",
    "__pycache__",
    ".pytest_cache",
    "reports",
    "runs",
    "*.mp4",
)


def _run(command: list[str], cwd: Path, timeout: float) -> subprocess.CompletedProcess:
    result = subprocess.run(
        command, check=False, cwd=cwd, capture_output=True, text=True, timeout=timeout
    )
    assert result.returncode == 0, (
        f"{command} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    )
    return result


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("wheel")
    source = root / "src"
    shutil.copytree(REPO, source, ignore=SOURCE_IGNORE)
    # A stand-in shipped policy, so the wheel's package data is checked even before a real one
    # ships.
    probe = source / "policies" / "pretrained" / PROBE
    probe.mkdir(parents=True, exist_ok=True)
    for name in PRETRAINED_FILES:
        (probe / name).write_text("probe\n")
    _run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            str(source),
            "--no-deps",
            "-w",
            str(root / "dist"),
            "-q",
        ],
        root,
        600,
    )
    wheels = list((root / "dist").glob("robodojo-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


def test_wheel_ships_only_the_robodojo_namespace(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    top_level = {name.split("/")[0] for name in names}
    dist_info = [t for t in top_level if t.endswith(".dist-info")]
    assert len(dist_info) == 1, top_level
    assert top_level == {"robodojo", *dist_info}, (
        f"unexpected top-level entries: {sorted(top_level)}"
    )
    assert not any(name.endswith(".pth") for name in names), (
        "no import hook: Gymnasium 1.x registers on import"
    )
    for package in PACKAGES:
        assert f"robodojo/{package}/__init__.py" in names, (
            f"robodojo.{package} is missing from the wheel"
        )
    assert not any(name.startswith(("robodojo/tests/", "tests/")) for name in names)
    # shipped policies: ONNX + IO spec + cards, and nothing compiled or stray
    assert "robodojo/policies/pretrained/__init__.py" in names
    for name in PRETRAINED_FILES:
        assert f"robodojo/policies/pretrained/{PROBE}/{name}" in names, (
            f"{name} of a pretrained policy is not shipped"
        )
    assert not any(name.endswith((".pyc", ".zip", ".pkl")) for name in names)
    assert not any("/benchmarks/" in name or name.startswith("benchmarks/") for name in names)
    entry_points = zipfile.ZipFile(wheel).read(f"{dist_info[0]}/entry_points.txt").decode()
    assert "robodojo.cli:main" in entry_points


def test_wheel_installs_and_works_in_a_clean_venv(wheel, tmp_path):
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True, clear=True).create(env_dir)
    python = env_dir / "bin" / "python"
    _run([str(python), "-m", "pip", "install", "-q", str(wheel)], tmp_path, 600)

    # Nothing imports robodojo here: the module-qualified id imports it (Gymnasium 1.x's
    # convention).
    script = (
        "import sys, gymnasium, numpy as np\n"
        "ids = sys.argv[1:]\n"
        "for env_id in ids:\n"
        "    env = gymnasium.make('robodojo.envs:' + env_id)\n"
        "    obs, info = env.reset(seed=0)\n"
        "    for _ in range(5):\n"
        "        obs, reward, terminated, truncated, info = env.step(env.action_space.sample())\n"
        "    assert obs in env.observation_space and np.isfinite(reward), env_id\n"
        "    env.close()\n"
        "import robodojo, robodojo.envs, robodojo.robots, robodojo.policies\n"
        "import robodojo.training, robodojo.cli\n"
        "print(robodojo.envs.__file__)\n"
        "print('version', robodojo.__version__)\n"
        "print(len(ids), 'ok')\n"
    )
    result = _run([str(python), "-I", "-c", script, *sorted(ENV_IDS)], tmp_path, 300)
    lines = result.stdout.split("\n")
    location = Path(next(line for line in lines if line.endswith("__init__.py")))
    assert env_dir in location.parents, f"robodojo was imported from {location}, not the clean venv"
    assert f"{len(ENV_IDS)} ok" in result.stdout
    assert (
        "version 0.1.0" in result.stdout
    )  # one definition: robodojo.__version__ is the wheel's version
    # nothing generic like `envs` landed in site-packages
    site_packages = location.parents[2]
    assert not any((site_packages / package).exists() for package in PACKAGES)
