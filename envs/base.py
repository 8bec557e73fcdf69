"""RobotTaskEnv: one Gymnasium env = one Sim + one robot + one Task.

The env owns what every scenario shares: the control rate and physics
substeps, seeding, action checking, episode time limit, physics blow-up
detection, rendering and the ``info`` contract. A :class:`Task` owns what is
specific to a scenario: the scene, the start state, observations, reward
terms, success and metrics.
"""

from __future__ import annotations

import abc
import time
from typing import Any

import gymnasium as gym
import numpy as np

from robodojo.envs.sim import Sim, display_available

class Task(abc.ABC):
    """A scenario's rules. Subclasses document their observation, reward and success.

    The env calls ``build`` once, ``reset`` per episode, and per control step
    ``apply_action``, ``advance`` (the physics substeps), ``after_step``,
    ``physics_error``, ``reward_terms``, ``is_terminated``, ``is_success``
    and ``observe``.
    """

    #: term name -> weight; reward = Σ weight × term
    reward_weights: dict[str, float]
    #: keys of ``env.reset(options=...)`` passed on to :meth:`reset` as keyword arguments
    RESET_OPTIONS: tuple[str, ...] = ()

    @abc.abstractmethod
    def build(self, sim: Sim) -> None:
        """Load the robot and scene into ``sim`` (once per env; resets never reload)."""

    @abc.abstractmethod
    def reset(self, rng: np.random.Generator) -> None:
        """Put the scene in a start state drawn from ``rng``."""

    @abc.abstractmethod
    def apply_action(self, action: np.ndarray) -> None:
        """Turn a checked, clipped action into robot commands for the next control step."""

    @abc.abstractmethod
    def advance(self, substeps: int) -> None:
        """Advance the world by ``substeps`` physics steps (actuators included): one control step."""

    def after_step(self) -> None:
        """Bookkeeping once the control step's substeps have run."""

    @abc.abstractmethod
    def observe(self) -> np.ndarray:
        """The observation the policy sees."""

    @abc.abstractmethod
    def reward_terms(self) -> dict[str, float]:
        """Unweighted reward terms for the step that just ran."""

    @abc.abstractmethod
    def is_success(self) -> bool:
        """Whether the task counts as solved now."""

    def is_terminated(self) -> bool:
        """Whether the episode ends now (success or failure), before any time limit."""
        return False

    def is_truncated(self) -> bool:
        """Whether the episode is cut short now for a reason other than the time limit (e.g. off the map)."""
        return False

    def physics_error(self) -> str | None:
        """A description of a physics blow-up (NaN, absurd speeds), or None."""
        return None

    def episode_metrics(self) -> dict[str, float]:
        """Scenario metrics reported in ``info["episode_metrics"]`` when the episode ends."""
        return {}

    def camera_target(self) -> np.ndarray:
        """World point the render camera follows."""
        return np.zeros(3)

    def observation_layout(self) -> list[dict[str, Any]]:
        """The observation vector's fields in order: name, size, unit and where a real robot gets it."""
        return []

    def action_interface(self) -> dict[str, Any]:
        """How an action becomes robot commands (what a deployment must reproduce)."""
        return {}


class RobotTaskEnv(gym.Env):
    """Gymnasium env composing a :class:`Sim` and a :class:`Task`.

    Args:
        task: the scenario.
        action_space / observation_space: the task's spaces.
        physics_dt: physics timestep, s.
        substeps: physics steps per control step; control rate = 1 / (physics_dt · substeps).
        episode_seconds: time limit; reaching it truncates the episode.
        render_mode: None, "rgb_array" (headless TinyRenderer) or "human" (PyBullet window).
        render_size: (width, height) of rgb_array frames.

    Every ``info`` carries ``is_success`` and ``reward_terms`` (unweighted; the
    weights are ``reward_weights``); the final step's also ``episode_metrics``.
    Finite out-of-range actions are clipped to the action space; NaN/inf or a
    wrong shape raise ``ValueError``. A physics blow-up truncates the episode
    with ``info["physics_error"]`` and the next reset rebuilds the world.
    """

    metadata: dict[str, Any] = {"render_modes": ["human", "rgb_array"], "render_fps": 50}
    #: rgb_array camera around the task's camera target: distance (m), yaw and pitch (deg)
    CAMERA: dict[str, float] = {"distance": 1.2, "yaw": 50.0, "pitch": -25.0}

    def __init__(
        self,
        task: Task,
        action_space: gym.spaces.Box,
        observation_space: gym.spaces.Space,
        physics_dt: float,
        substeps: int,
        episode_seconds: float,
        render_mode: str | None = None,
        render_size: tuple[int, int] = (480, 360),
        solver_iterations: int | None = None,
    ) -> None:
        if render_mode not in (None, *self.metadata["render_modes"]):
            raise ValueError(f"render_mode must be one of {self.metadata['render_modes']} or None, got {render_mode!r}")
        if substeps < 1 or physics_dt <= 0 or episode_seconds <= 0:
            raise ValueError("substeps must be >= 1, physics_dt and episode_seconds > 0")
        self.task = task
        self.action_space = action_space
        self.observation_space = observation_space
        self.physics_dt = physics_dt
        self.substeps = substeps
        self.control_dt = physics_dt * substeps
        self.max_episode_steps = int(round(episode_seconds / self.control_dt))
        self.render_mode = render_mode
        self.render_size = render_size
        # Advertise "human" only where a window can open, so headless checkers skip it.
        modes = [m for m in type(self).metadata["render_modes"] if m != "human" or display_available()]
        self.metadata = {**type(self).metadata, "render_modes": modes, "render_fps": int(round(1.0 / self.control_dt))}
        self._solver_iterations = solver_iterations
        self.sim = self._build_sim()
        self._steps = 0
        self._needs_reset = True
        self._needs_rebuild = False

    @property
    def reward_weights(self) -> dict[str, float]:
        return dict(self.task.reward_weights)

    def interface(self) -> dict[str, Any]:
        """The policy's side of the env: observation layout, action meaning and timing.

        Exported policies carry this so a deployment can rebuild observations
        and commands without the simulator.
        """
        return {
            "observation": self.task.observation_layout(),
            "action": self.task.action_interface(),
            "control_dt": self.control_dt,
            "physics_dt": self.physics_dt,
            "substeps": self.substeps,
        }

    def _build_sim(self) -> Sim:
        sim = Sim(self.physics_dt, gui=self.render_mode == "human", solver_iterations=self._solver_iterations)
        self.task.build(sim)
        return sim

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        if self._needs_rebuild:  # a blown-up solver may keep poisoned caches: start from a fresh world
            self.sim.close()
            self.sim = self._build_sim()
            self._needs_rebuild = False
        options = dict(options or {})
        unknown = set(options) - set(self.task.RESET_OPTIONS)
        if unknown:
            raise ValueError(f"unknown reset options {sorted(unknown)}; valid options: {sorted(self.task.RESET_OPTIONS)}")
        self.task.reset(self.np_random, **options)
        self._steps = 0
        self._needs_reset = False
        return self.task.observe(), {"is_success": self.task.is_success()}

    def check_action(self, action: Any) -> np.ndarray:
        """Validate an action: right shape and finite, then clipped into the action space."""
        space = self.action_space
        array = np.asarray(action, dtype=np.float64)
        if array.shape != space.shape:
            raise ValueError(f"action has shape {array.shape}, expected {space.shape}")
        if not np.isfinite(array).all():
            raise ValueError(f"action contains NaN or inf at indices {np.flatnonzero(~np.isfinite(array)).tolist()}")
        return np.minimum(np.maximum(array, space.low), space.high)  # np.clip's dispatch costs µs per step

    def step(self, action: Any):
        if self._needs_reset:
            raise gym.error.ResetNeeded("call reset() before step() (and after an episode ends)")
        task = self.task
        task.apply_action(self.check_action(action))
        task.advance(self.substeps)
        task.after_step()
        self._steps += 1

        error = task.physics_error()
        if error is not None:
            self._needs_rebuild = True
            self._needs_reset = True
            info: dict[str, Any] = {"physics_error": error, "is_success": False, "reward_terms": {}, "episode_metrics": task.episode_metrics()}
            observation = np.nan_to_num(task.observe(), nan=0.0, posinf=0.0, neginf=0.0)
            return observation, 0.0, False, True, info

        terms = task.reward_terms()
        weights = task.reward_weights
        reward = float(sum([weights[name] * value for name, value in terms.items()]))
        terminated = task.is_terminated()
        truncated = not terminated and (self._steps >= self.max_episode_steps or task.is_truncated())
        info = {"is_success": task.is_success(), "reward_terms": terms}
        if terminated or truncated:
            info["episode_metrics"] = task.episode_metrics()
            self._needs_reset = True
        if self.render_mode == "human":
            time.sleep(self.control_dt)
        return task.observe(), reward, terminated, truncated, info

    def render(self) -> np.ndarray | None:
        if self.render_mode != "rgb_array":
            return None
        width, height = self.render_size
        return self.sim.render(width, height, self.task.camera_target(), **self.CAMERA)

    def __reduce__(self):  # a copy would share this PyBullet client, and collecting it would disconnect the original
        raise TypeError(f"{type(self).__name__} holds a live PyBullet client and cannot be pickled or copied; make a new env with gymnasium.make(env.spec)")

    def close(self) -> None:
        if getattr(self, "sim", None) is not None:
            self.sim.close()
