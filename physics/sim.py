"""The physics client wrapper: one PyBullet client per environment.

Every PyBullet call in robodojo goes through ``Sim.client`` (a
``BulletClient`` bound to this client's id), so two environments in one
process never touch each other's world. This module is where a second
engine will plug in: nothing above the physics layer talks to PyBullet's
module-level state.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np


@contextmanager
def _c_output_silenced(fds: tuple[int, ...] = (1,)) -> Iterator[None]:
    """Point file descriptors ``fds`` at /dev/null for a moment: PyBullet's C code prints on import
    and connect."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(fd) for fd in fds]
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        for fd in fds:
            os.dup2(devnull, fd)
        yield
    finally:
        for fd, copy in zip(fds, saved, strict=True):
            os.dup2(copy, fd)
            os.close(copy)
        os.close(devnull)


with _c_output_silenced(
    (1, 2)
):  # "pybullet build time: ..." would open every command's stderr (and CI logs)
    import pybullet
import pybullet_data  # noqa: E402
from pybullet_utils.bullet_client import BulletClient  # noqa: E402


def display_available() -> bool:
    """True when a GUI window could open (X11/Wayland on Linux; assumed elsewhere)."""
    if sys.platform.startswith("linux"):
        return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    return True


class Sim:
    """Owns one PyBullet physics client and the world's global settings.

    Args:
        timestep: physics step in seconds.
        gui: open PyBullet's GUI window instead of a headless DIRECT client.
        gravity: world z gravity in m/s².
        solver_iterations: constraint-solver iterations per step (PyBullet's default is 50).
    """

    def __init__(
        self,
        timestep: float,
        gui: bool = False,
        gravity: float = -9.81,
        solver_iterations: int | None = None,
    ) -> None:
        if gui and not display_available():
            raise RuntimeError(
                "render_mode='human' opens a PyBullet window, but no display was found "
                "(DISPLAY is unset). Use render_mode='rgb_array' for headless rendering."
            )
        self.timestep = timestep
        self.gravity = gravity
        self.gui = gui
        with _c_output_silenced():
            self.client: BulletClient = BulletClient(
                connection_mode=pybullet.GUI if gui else pybullet.DIRECT
            )
        self.client.setAdditionalSearchPath(pybullet_data.getDataPath())
        self.client.setTimeStep(timestep)
        self.client.setGravity(0.0, 0.0, gravity)
        self.client.setPhysicsEngineParameter(
            deterministicOverlappingPairs=1
        )  # else resets depend on history
        if solver_iterations is not None:
            self.client.setPhysicsEngineParameter(numSolverIterations=solver_iterations)
        if gui:
            self.client.configureDebugVisualizer(pybullet.COV_ENABLE_GUI, 0)
        #: the solver iterations in force (PyBullet's default unless ``solver_iterations`` was
        #: given)
        self.solver_iterations: int = self.client.getPhysicsEngineParameters()[
            "numSolverIterations"
        ]
        #: bodies removed from this world so far: PyBullet keeps memory for every body it made, so
        #: an env rebuilds a world that has removed many (see RobotTaskEnv.reset)
        self.removed_bodies = 0
        self._closed = False

    @property
    def closed(self) -> bool:
        return self._closed

    def step(self) -> None:
        self.client.stepSimulation()

    @contextmanager
    def coarse_steps(self, timestep: float, solver_iterations: int) -> Iterator[Callable[[], None]]:
        """Step at another timestep and solver iteration count inside the block, e.g. to settle a
        scene cheaply.

        Yields the step function; on exit the world's own timestep and
        iteration count are back in force.
        """
        client = self.client
        client.setTimeStep(timestep)
        client.setPhysicsEngineParameter(numSolverIterations=solver_iterations)
        try:
            yield client.stepSimulation
        finally:
            client.setPhysicsEngineParameter(numSolverIterations=self.solver_iterations)
            client.setTimeStep(self.timestep)

    def load_urdf(
        self,
        path: str,
        position: Any = (0.0, 0.0, 0.0),
        orientation: Any = (0.0, 0.0, 0.0, 1.0),
        **kwargs: Any,
    ) -> int:
        """Load a URDF (absolute, or relative to pybullet_data) and return its body id."""
        if kwargs.get("flags", 0) & pybullet.URDF_MERGE_FIXED_LINKS:
            with _c_output_silenced():  # the merge prints a line per link on stdout
                return self.client.loadURDF(
                    path, basePosition=position, baseOrientation=orientation, **kwargs
                )
        return self.client.loadURDF(
            path, basePosition=position, baseOrientation=orientation, **kwargs
        )

    def remove_body(self, body: int) -> None:
        """Remove ``body`` from the world (and count it: see :attr:`removed_bodies`)."""
        self.client.removeBody(body)
        self.removed_bodies += 1

    def render(
        self,
        width: int,
        height: int,
        target: np.ndarray,
        distance: float,
        yaw: float,
        pitch: float,
    ) -> np.ndarray:
        """Render an RGB frame (uint8, height × width × 3) from a camera looking at ``target``."""
        view = self.client.computeViewMatrixFromYawPitchRoll(
            cameraTargetPosition=[float(v) for v in target],
            distance=distance,
            yaw=yaw,
            pitch=pitch,
            roll=0.0,
            upAxisIndex=2,
        )
        projection = self.client.computeProjectionMatrixFOV(
            fov=60.0, aspect=width / height, nearVal=0.05, farVal=50.0
        )
        renderer = pybullet.ER_BULLET_HARDWARE_OPENGL if self.gui else pybullet.ER_TINY_RENDERER
        _, _, rgba, _, _ = self.client.getCameraImage(
            width,
            height,
            viewMatrix=view,
            projectionMatrix=projection,
            renderer=renderer,
            # Only the colours are used: skipping the segmentation mask is a few percent of a
            # frame. No shadows (TinyRenderer's default, said here): they cost ~25 % more.
            shadow=0,
            flags=pybullet.ER_NO_SEGMENTATION_MASK,
        )
        return np.asarray(rgba, dtype=np.uint8).reshape(height, width, 4)[:, :, :3].copy()

    def close(self) -> None:
        """Disconnect the client. Safe to call any number of times."""
        if not self._closed:
            self._closed = True
            self.client.disconnect()

    def __del__(self) -> None:
        try:  # noqa: SIM105 (not suppress(): __del__ may run after module globals are cleared)
            self.close()
        except Exception:
            pass
