"""RobotTaskEnv: one Gymnasium env = one Sim + one robot + one Task.

The env owns what every scenario shares: the control rate and physics
substeps, seeding, action checking, episode time limit, physics blow-up
detection, rendering, pickling and the ``info`` contract. A :class:`Task`
owns what is specific to a scenario: the scene, the start state, its
declared observation and action (:mod:`robodojo.interface`), reward terms,
success and metrics.
"""

from __future__ import annotations

import abc
import inspect
import time
from collections.abc import Mapping
from numbers import Real
from typing import Any, ClassVar

import gymnasium as gym
import numpy as np

from robodojo.envs.arguments import Argument, Choice, check_arguments
from robodojo.interface import ActionInterface, Layout
from robodojo.physics import Sim, display_available

#: A world that removes bodies (Weld's workpiece, Transport's parcels, rubble debris) is rebuilt
#: every this many resets: PyBullet keeps ~0.85 kB for every link of every body it ever made and
#: ~3.5 kB for every fresh shape (measured: Weld 31.5 kB a reset, Transport 4.5 kB, Locomotion at
#: difficulty 1 15 kB), and only a new client gives it back. 500 keeps Weld under 16 MB and costs
#: < 0.2 ms a reset (a rebuild takes 20-80 ms).
REBUILD_EVERY_RESETS = 500


class Task(abc.ABC):
    """A scenario's rules. Subclasses document their observation, reward and success.

    A task declares its observation (``layout``) and action (``actions``)
    once; the env's spaces and ``interface()`` derive from them. The env calls
    ``build`` once per world, ``reset`` per episode, and per control step
    ``apply_action``, ``advance`` (the physics substeps), ``after_step``,
    ``physics_error``, ``reward_terms``, ``is_terminated``, ``is_success``
    and ``observe``.
    """

    #: term name -> weight; reward = Σ weight × term
    reward_weights: dict[str, float]
    #: the observation vector (for a goal-conditioned Dict observation: its "observation" key)
    layout: Layout
    #: what an action means
    actions: ActionInterface

    def observation_space(self) -> gym.Space:
        """The env's observation space (a Box over :attr:`layout` unless the task observes more)."""
        return self.layout.space()

    @abc.abstractmethod
    def build(self, sim: Sim) -> None:
        """Load the robot and scene into ``sim`` (once per world; resets never reload)."""

    @abc.abstractmethod
    def reset(self, rng: np.random.Generator) -> None:
        """Put the scene in a start state drawn from ``rng``."""

    @abc.abstractmethod
    def apply_action(self, action: np.ndarray) -> None:
        """Turn a checked, clipped action into robot commands for the next control step."""

    @abc.abstractmethod
    def advance(self, substeps: int) -> None:
        """Advance the world by ``substeps`` physics steps (actuators included): one control
        step."""

    def after_step(self) -> None:  # noqa: B027 - optional hook
        """Bookkeeping once the control step's substeps have run."""

    @abc.abstractmethod
    def observe(self) -> Any:
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
        """Whether the episode is cut short now for a reason other than the time limit (e.g. off the
        map)."""
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


class RobotTaskEnv(gym.Env, gym.utils.EzPickle):
    """Gymnasium env composing a :class:`Sim` and a :class:`Task`.

    Args:
        task: the scenario.
        physics_dt: physics timestep, s.
        substeps: physics steps per control step; control rate = 1 / (physics_dt · substeps).
        episode_seconds: time limit; reaching it truncates the episode.
        render_mode: None, "rgb_array" (headless TinyRenderer) or "human" (PyBullet window).
        render_size: (width, height) of rgb_array frames.
        solver_iterations: constraint-solver iterations per physics step (PyBullet's default
            if None).

    Every ``info`` carries ``is_success`` and ``reward_terms`` (unweighted; the
    weights are ``reward_weights``); the final step's also ``episode_metrics``.
    Finite out-of-range actions are clipped to the action space; NaN/inf or a
    wrong shape raise ``ValueError``. A physics blow-up truncates the episode
    with ``info["physics_error"]`` and the next reset rebuilds the world.
    Pickling (and ``copy.deepcopy``) makes a fresh env from the same
    constructor arguments, as Gymnasium's ``EzPickle`` does: a live PyBullet
    world cannot be copied.

    Subclasses declare, as class attributes, what configuration tools read
    without building a world: ``ROBOT_KIND``, ``RESET_OPTIONS`` (the keys
    ``reset(options=...)`` takes), ``GOAL_CONDITIONED``, and the
    :meth:`timing` of an instance made with given arguments.
    """

    metadata: dict[str, Any] = {  # noqa: RUF012 (gymnasium.Env declares it an instance attribute)
        "render_modes": ["human", "rgb_array"],
        "render_fps": 50,
    }
    #: rgb_array camera around the task's camera target: distance (m), yaw and pitch (deg)
    CAMERA: ClassVar[dict[str, float]] = {"distance": 1.2, "yaw": 50.0, "pitch": -25.0}
    #: the kind of robot ``robot=`` names ("quadruped", "arm")
    ROBOT_KIND: ClassVar[str | None] = None
    #: keys of ``env.reset(options=...)``, passed on to the task's ``reset`` as keyword arguments
    RESET_OPTIONS: ClassVar[tuple[str, ...]] = ()
    #: a Dict observation (observation, achieved_goal, desired_goal) with ``compute_reward``, for
    #: hindsight relabelling
    GOAL_CONDITIONED: ClassVar[bool] = False
    #: every constructor argument (but ``render_mode``, common to all) and the values it allows;
    #: checked first thing in the constructor and by tools before they make an env
    ARGUMENTS: ClassVar[Mapping[str, Argument]] = {}
    action_space: gym.spaces.Box  # every robodojo action is a Box in [-1, 1]

    def __init__(
        self,
        task: Task,
        physics_dt: float,
        substeps: int,
        episode_seconds: float,
        render_mode: str | None = None,
        render_size: tuple[int, int] = (480, 360),
        solver_iterations: int | None = None,
    ) -> None:
        if render_mode not in (None, *self.metadata["render_modes"]):
            raise ValueError(
                f"render_mode must be one of {self.metadata['render_modes']} or None, "
                f"got {render_mode!r}"
            )
        if substeps < 1 or physics_dt <= 0 or episode_seconds <= 0:
            raise ValueError("substeps must be >= 1, physics_dt and episode_seconds > 0")
        self.task = task
        self.action_space = task.actions.space()
        self.observation_space = task.observation_space()
        self.physics_dt = physics_dt
        self.substeps = substeps
        self.control_dt = physics_dt * substeps
        self.max_episode_steps = int(round(episode_seconds / self.control_dt))
        self.render_mode = render_mode
        self.render_size = render_size
        # Advertise "human" only where a window can open, so headless checkers skip it.
        modes = [
            m for m in type(self).metadata["render_modes"] if m != "human" or display_available()
        ]
        self.metadata = {
            **type(self).metadata,
            "render_modes": modes,
            "render_fps": int(round(1.0 / self.control_dt)),
        }
        self._solver_iterations = solver_iterations
        self.sim = self._build_sim()
        self._steps = 0
        self._needs_reset = True
        self._needs_rebuild = False
        self._resets_in_world = 0

    def record_arguments(self, constructor_locals: Mapping[str, Any]) -> None:
        """Keep a subclass's constructor arguments (its ``locals()``, taken first thing in
        ``__init__``): pickling and ``copy.deepcopy`` make a fresh env from them (Gymnasium's
        ``EzPickle``)."""
        arguments = {
            name: value
            for name, value in constructor_locals.items()
            if name not in ("self", "__class__")
        }
        type(self).check_arguments(arguments)
        gym.utils.EzPickle.__init__(self, **arguments)

    # -- declared metadata -------------------------------------------------------------------
    @classmethod
    def check_arguments(cls, arguments: Mapping[str, Any], owner: str | None = None) -> None:
        """Check constructor arguments (some or all) against :attr:`ARGUMENTS`, without building
        anything: a ``TypeError`` / ``ValueError`` whose one line starts with ``owner`` (the class
        name by default) and names the argument, the value and what is allowed."""
        owner = owner or cls.__name__
        declared = {**COMMON_ARGUMENTS, **cls.ARGUMENTS}
        check_arguments(owner, declared, cls.__init__, arguments)
        control_dt, episode_seconds = cls.timing(cls.bound_arguments(**arguments))
        _check_lasts_a_step(owner, episode_seconds, control_dt)

    @classmethod
    def timing(cls, arguments: Mapping[str, Any]) -> tuple[float, float]:
        """(control period, episode length) in s of an instance made with ``arguments`` (all of them
        bound)."""
        raise NotImplementedError

    @classmethod
    def bound_arguments(cls, **kwargs: Any) -> dict[str, Any]:
        """``kwargs`` completed with the constructor's defaults (a TypeError for unknown names)."""
        bound = inspect.signature(cls.__init__).bind(None, **kwargs)
        bound.apply_defaults()
        return {name: value for name, value in bound.arguments.items() if name != "self"}

    @classmethod
    def max_episode_steps_for(cls, **kwargs: Any) -> int:
        """Control steps in an episode of an instance made with ``kwargs``: what a TimeLimit must
        allow."""
        control_dt, episode_seconds = cls.timing(cls.bound_arguments(**kwargs))
        return int(round(episode_seconds / control_dt))

    # -- the interface ----------------------------------------------------------------------
    @property
    def reward_weights(self) -> dict[str, float]:
        return dict(self.task.reward_weights)

    def interface(self) -> dict[str, Any]:
        """The policy's side of the env: observation layout, action meaning and timing.

        Exported policies carry this so a deployment can rebuild observations
        and commands without the simulator.
        """
        return {
            "observation": self.task.layout.describe(),
            "action": self.task.actions.describe(),
            "control_dt": self.control_dt,
            "physics_dt": self.physics_dt,
            "substeps": self.substeps,
        }

    # -- the world ----------------------------------------------------------------------------
    def _build_sim(self) -> Sim:
        sim = Sim(
            self.physics_dt,
            gui=self.render_mode == "human",
            solver_iterations=self._solver_iterations,
        )
        self.task.build(sim)
        return sim

    def _rebuild_sim(self) -> None:
        self.sim.close()
        self.sim = self._build_sim()
        self._needs_rebuild = False
        self._resets_in_world = 0

    def _world_is_worn(self) -> bool:
        """Whether the world has made and removed bodies for long enough that its leftovers should
        go."""
        return self.sim.removed_bodies > 0 and self._resets_in_world >= REBUILD_EVERY_RESETS

    def _check_open(self) -> None:
        if self.sim.closed:
            raise gym.error.ClosedEnvironmentError(
                f"{type(self).__name__} is closed; make a new one (gymnasium.make(env.spec))"
            )

    # -- the episode ----------------------------------------------------------------------------
    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[Any, dict[str, Any]]:
        self._check_open()
        super().reset(seed=seed)
        # A blown-up solver may keep poisoned caches, and a world that made and removed many bodies
        # holds their memory: either way, start from a fresh world (episodes do not depend on the
        # world's history).
        if self._needs_rebuild or self._world_is_worn():
            self._rebuild_sim()
        self._resets_in_world += 1
        options = dict(options or {})
        unknown = set(options) - set(self.RESET_OPTIONS)
        if unknown:
            raise ValueError(
                f"unknown reset options {sorted(unknown)}; "
                f"valid options: {sorted(self.RESET_OPTIONS)}"
            )
        self.task.reset(self.np_random, **options)
        self._steps = 0
        self._needs_reset = False
        return self.task.observe(), {"is_success": self.task.is_success()}

    def check_action(self, action: Any) -> np.ndarray:
        """Validate an action: real numbers (``TypeError`` otherwise: a dict, strings, None,
        bools, complex numbers), the right shape and finite (``ValueError``), then clipped into the
        action space."""
        space = self.action_space
        array = _real_array(action, space.shape)
        if array.shape != space.shape:
            raise ValueError(f"action has shape {array.shape}, expected {space.shape}")
        if not np.isfinite(array).all():
            raise ValueError(
                "action contains NaN or inf at indices "
                f"{np.flatnonzero(~np.isfinite(array)).tolist()}"
            )
        return np.minimum(
            np.maximum(array, space.low), space.high
        )  # np.clip's dispatch costs µs per step

    def step(self, action: Any) -> tuple[Any, float, bool, bool, dict[str, Any]]:
        self._check_open()
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
            info: dict[str, Any] = {
                "physics_error": error,
                "is_success": False,
                "reward_terms": {},
                "episode_metrics": task.episode_metrics(),
            }
            return _zero_non_finite(task.observe()), 0.0, False, True, info

        terms = task.reward_terms()
        weights = task.reward_weights
        reward = float(sum([weights[name] * value for name, value in terms.items()]))
        terminated = task.is_terminated()
        truncated = not terminated and (
            self._steps >= self.max_episode_steps or task.is_truncated()
        )
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
        self._check_open()
        width, height = self.render_size
        return self.sim.render(width, height, self.task.camera_target(), **self.CAMERA)

    def close(self) -> None:
        if getattr(self, "sim", None) is not None:
            self.sim.close()


def _real_array(action: Any, shape: tuple[int, ...]) -> np.ndarray:
    """``action`` as float64, or a ``TypeError`` saying why it is not an array of real numbers."""
    if isinstance(action, np.ndarray) and action.dtype.kind in "fiu":  # the usual case, per step
        return action.astype(np.float64, copy=False)
    expected = f"an array of shape {shape} of real numbers"
    if isinstance(action, Mapping | str | bytes) or action is None:
        raise TypeError(f"action must be {expected}, got {type(action).__name__}")
    try:
        raw = np.asarray(action)
    except ValueError:  # ragged nesting: a shape problem
        raise ValueError(
            f"action must be {expected}, got a ragged {type(action).__name__}"
        ) from None
    if raw.dtype.kind in "fiu":
        return raw.astype(np.float64, copy=False)
    if raw.dtype.kind == "O":  # Python objects: fine when they are all real numbers
        bad = [x for x in raw.ravel() if isinstance(x, bool) or not isinstance(x, Real)]
        if not bad:
            return raw.astype(np.float64)
        raise TypeError(f"action must be {expected}, got an element {bad[0]!r}")
    names = {"b": "booleans", "c": "complex numbers", "U": "strings", "S": "bytes"}
    raise TypeError(f"action must be {expected}, got {names.get(raw.dtype.kind, raw.dtype)}")


#: arguments every env takes
COMMON_ARGUMENTS: dict[str, Argument] = {
    "render_mode": Choice(RobotTaskEnv.metadata["render_modes"], optional=True),
}


def _check_lasts_a_step(owner: str, episode_seconds: float, control_dt: float) -> None:
    if round(episode_seconds / control_dt) < 1:
        raise ValueError(
            f"{owner}: episode_seconds must last at least one control step ({control_dt:g} s), "
            f"got {episode_seconds:g}"
        )


def _zero_non_finite(observation: Any) -> Any:
    """The observation of a blown-up world, NaN and inf replaced by 0 (a Dict key by key)."""
    if isinstance(observation, dict):
        return {
            key: np.nan_to_num(value, nan=0.0, posinf=0.0, neginf=0.0)
            for key, value in observation.items()
        }
    return np.nan_to_num(observation, nan=0.0, posinf=0.0, neginf=0.0)
