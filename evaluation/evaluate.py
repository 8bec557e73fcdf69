"""Headless evaluation of a policy on a robodojo env: the library behind ``robodojo eval``.

``evaluate(...)`` runs N episodes with seeds S, S+1, …, S+N−1 and returns an
:class:`EvalResult` (per-episode results + summary). The policy is rebuilt for
every episode with that episode's seed, so any single episode can be replayed
alone with ``--seed S+i --episodes 1`` (e.g. to film a failure).

Exported policies (a ``.onnx``, its ``.json`` spec or their folder) and
shipped pretrained ones are loaded once, with onnxruntime only, checked
against the env (id, robot, layout, joints, scaling, rate); when no env or
robot is given they default to the ones in the policy's spec.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, cast

import gymnasium as gym
import numpy as np

from robodojo.envs import RobotTaskEnv, check_env_arguments, resolve_env_id
from robodojo.envs import make as make_env
from robodojo.evaluation.files import check_output_file, package_version
from robodojo.evaluation.stats import finite_mean_std, wilson_interval
from robodojo.evaluation.video import (
    FRAME_BUDGET_PER_SIM_SECOND,
    VIDEO_SIZE,
    FrameSchedule,
    VideoWriter,
    frame_schedule,
    require_video_extra,
)
from robodojo.policies import Policy, PolicyChoice, load_policy, make_policy, resolve_policy
from robodojo.policies.registry import exported_spec
from robodojo.policies.spec import MissingOnnxRuntimeError, PolicySpecError

#: How long the last frame of a filmed episode is held, with the outcome badge on it.
HOLD_SECONDS = 0.6
GREEN, RED, AMBER = (30, 150, 60), (190, 40, 40), (200, 130, 0)


class EvalConfigError(ValueError):
    """The evaluation was asked for something that does not exist (bad name, argument, path)."""


@dataclass
class EpisodeResult:
    index: int
    seed: int
    success: bool
    episode_return: float
    length: int  #: control steps
    duration: float  #: simulated seconds
    metrics: dict[str, float] = field(default_factory=dict)
    physics_error: str | None = None
    frames: int = 0  #: video frames written for this episode (0 if not filmed)


@dataclass
class EvalResult:
    env_id: str
    robot: str | None
    env_kwargs: dict[str, Any]
    policy: str
    seed: int
    episodes: list[EpisodeResult]
    wall_time: float
    video_path: str | None = None
    robodojo_version: str = "unknown"
    #: For exported policies: which file ran (path, SHA-256) and where it came from.
    policy_source: dict[str, Any] | None = None

    @property
    def seeds(self) -> list[int]:
        return [episode.seed for episode in self.episodes]

    @property
    def successes(self) -> int:
        return sum(episode.success for episode in self.episodes)

    @property
    def success_rate(self) -> float:
        return self.successes / len(self.episodes) if self.episodes else math.nan

    def summary(self) -> dict[str, Any]:
        """Aggregates: success with Wilson 95 % CI, return, length, metrics, physics errors."""
        n = len(self.episodes)
        returns = finite_mean_std(e.episode_return for e in self.episodes)
        successful = {e.index for e in self.episodes if e.success}
        metrics: dict[str, dict[str, Any]] = {}
        for name in dict.fromkeys(
            key for e in self.episodes for key in e.metrics
        ):  # first-seen order
            values = [e.metrics.get(name, math.nan) for e in self.episodes]
            mean, std, count = finite_mean_std(values)
            defined = {
                e.index for e, v in zip(self.episodes, values, strict=True) if math.isfinite(v)
            }
            if count == n:
                over = "all episodes"
            elif defined == successful:  # e.g. time_to_stand: only defined where the robot stood
                over = "successful episodes"
            else:
                over = f"{count} of {n} episode{'' if n == 1 else 's'} where defined"
            metrics[name] = {"mean": mean, "std": std, "n": count, "over": over}
        return {
            "episodes": n,
            "successes": self.successes,
            "success_rate": self.success_rate,
            "success_ci95": list(wilson_interval(self.successes, n)),
            "return_mean": returns[0],
            "return_std": returns[1],
            "length_mean": finite_mean_std(e.length for e in self.episodes)[0],
            "duration_mean": finite_mean_std(e.duration for e in self.episodes)[0],
            "metrics": metrics,
            "physics_errors": sum(e.physics_error is not None for e in self.episodes),
        }

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["seeds"] = self.seeds
        data["summary"] = self.summary()
        return data


def check_config(
    env: str, policy: str | None, robot: str | None = None, env_kwargs: dict[str, Any] | None = None
) -> str:
    """Validate names and arguments before any simulation starts; return the full env id.

    Raises :class:`EvalConfigError` with a message that lists the valid choices.
    """
    try:
        env_id = resolve_env_id(env)
    except ValueError as error:
        raise EvalConfigError(str(error)) from None
    env_kwargs = env_kwargs or {}
    if robot is not None and "robot" in env_kwargs:
        raise EvalConfigError(
            "give the robot either as --robot or as --env-arg robot=..., not both"
        )
    if "render_mode" in env_kwargs:
        raise EvalConfigError("render_mode is not an --env-arg: --video films the episodes")
    try:  # every argument's type and range, as the constructor declares them
        check_env_arguments(env_id, env_kwargs if robot is None else {**env_kwargs, "robot": robot})
    except (TypeError, ValueError) as error:
        raise EvalConfigError(str(error)) from None
    if policy is not None:  # else the caller brings its own policy factory
        choose_policy(policy, env_id)
    return env_id


def choose_policy(policy: str, env_id: str | None) -> tuple[PolicyChoice, dict[str, Any] | None]:
    """What ``policy`` names (names first, then paths) and, for an exported policy, its checked
    spec."""
    try:
        choice = resolve_policy(policy, env_id)
        return choice, exported_spec(choice)
    except ValueError as error:  # unknown names, PolicySpecError, pickled checkpoints
        raise EvalConfigError(str(error)) from None


@dataclass
class _Plan:
    """What an evaluation runs, settled before any simulation: the env, its arguments, the
    policy."""

    env_id: str
    env_kwargs: dict[str, Any]
    choice: PolicyChoice | None  #: None: the caller's policy factory
    spec: dict[str, Any] | None  #: an exported policy's policy.json


def _plan(
    env_id: str | None,
    policy_name: str,
    robot: str | None,
    env_kwargs: dict[str, Any],
    custom_policy: bool,
) -> _Plan:
    """Resolve the env and policy. An exported policy supplies the env and robot when they are not
    given, and the env arguments it was trained with as defaults under the caller's."""
    choice, spec = (
        (None, None)
        if custom_policy
        else choose_policy(policy_name, None if env_id is None else _env_id(env_id))
    )
    if spec is not None:
        env_id = env_id if env_id is not None else spec["env_id"]
        if robot is None and "robot" not in env_kwargs and spec.get("robot"):
            robot = spec["robot"]
    if env_id is None:
        raise EvalConfigError(
            "--env is required unless --policy is an exported or pretrained policy"
        )
    env_id = check_config(env_id, None if custom_policy else policy_name, robot, env_kwargs)
    if choice is not None and choice.kind != "exported":  # controllers resolve against the env
        choice, spec = choose_policy(policy_name, env_id)
    if spec is not None and spec["env_id"] == env_id:
        # The env the policy was trained in (e.g. Rescue's walker under its commands); the caller's
        # arguments win.
        env_kwargs = {
            **{k: v for k, v in spec.get("env_kwargs", {}).items() if k != "robot"},
            **env_kwargs,
        }
    if robot is not None:
        env_kwargs["robot"] = robot
    return _Plan(env_id, env_kwargs, choice, spec)


def _env_id(name: str) -> str:
    try:
        return resolve_env_id(name)
    except ValueError as error:
        raise EvalConfigError(str(error)) from None


def _make_env(plan: _Plan, filmed: int) -> gym.Env:
    try:
        env = make_env(plan.env_id, render_mode="rgb_array" if filmed else None, **plan.env_kwargs)
    except ValueError as error:  # constructors reject bad values (e.g. episode_seconds=-1)
        raise EvalConfigError(
            f"cannot create {plan.env_id} with {plan.env_kwargs}: {error}"
        ) from None
    if filmed:
        cast(RobotTaskEnv, env.unwrapped).render_size = VIDEO_SIZE  # cheaper frames: video.py
    return env


def _policy_factory(
    plan: _Plan,
    env: gym.Env,
    given: Callable[[gym.Env, int], Policy] | None,
) -> tuple[Callable[[gym.Env, int], Policy], dict[str, Any] | None]:
    """How each episode gets its policy (rebuilt per seed; an exported one is loaded once) and, for
    an exported policy, what file ran."""
    if given is not None:
        return given, None
    choice = plan.choice
    assert choice is not None
    if choice.exported:
        assert choice.location is not None and plan.spec is not None
        try:
            loaded = load_policy(choice.location, env=env, env_id=plan.env_id)
        except (PolicySpecError, MissingOnnxRuntimeError) as error:
            raise EvalConfigError(str(error)) from None
        return (lambda env, seed: loaded), policy_source(choice.location, plan.spec)

    def build(env: gym.Env, seed: int) -> Policy:
        try:
            return make_policy(choice.name, env, plan.env_id, seed=seed)
        except ValueError as error:  # e.g. a robot lacking a controller's keyframes
            raise EvalConfigError(str(error)) from None

    return build, None


def evaluate(
    env_id: str | None,
    policy_name: str,
    episodes: int,
    seed: int = 0,
    robot: str | None = None,
    env_kwargs: dict[str, Any] | None = None,
    video_path: str | None = None,
    video_episodes: int = 3,
    on_episode: Callable[[EpisodeResult], None] | None = None,
    policy_factory: Callable[[gym.Env, int], Policy] | None = None,
    on_step: Callable[[int, int], None] | None = None,
    video_budget: float = FRAME_BUDGET_PER_SIM_SECOND,
) -> EvalResult:
    """Run ``episodes`` headless episodes of ``policy_name`` on ``env_id`` (id or short name).

    Only the first ``video_episodes`` episodes are rendered (into ``video_path``),
    so long evaluations pay for rendering only where someone will watch.
    Filmed episodes are time-lapses when the real-time frame rate exceeds
    ``video_budget`` frames per simulated second (``math.inf``: real time).
    ``on_episode`` is called after each episode (progress bars), ``on_step``
    after every control step with (steps so far, the episode's step limit).
    ``policy_factory(env, seed)``, if given, builds the policy instead of the
    name lookup (e.g. a freshly trained model); ``policy_name`` then only labels it.
    An exported policy (path or pretrained name) supplies ``env_id`` and
    ``robot`` when they are None, and its training ``env_kwargs`` as defaults
    under the caller's.
    """
    _check_whole_number("episodes", episodes, 1)
    _check_whole_number("seed", seed, 0)
    _check_whole_number("video_episodes", video_episodes, 0)
    plan = _plan(env_id, policy_name, robot, dict(env_kwargs or {}), policy_factory is not None)
    filmed = min(episodes, max(0, video_episodes)) if video_path else 0
    if filmed:
        require_video_extra()  # fail before the evaluation, not after it
        try:
            check_output_file(str(video_path), "video_path", ".mp4")
        except ValueError as error:
            raise EvalConfigError(str(error)) from None
    env = _make_env(plan, filmed)
    start = time.perf_counter()
    writer: VideoWriter | None = None
    try:
        factory, source = _policy_factory(plan, env, policy_factory)
        schedule = frame_schedule(cast(RobotTaskEnv, env.unwrapped).control_dt, video_budget)
        if filmed:
            writer = VideoWriter(str(video_path), fps=schedule.fps)
        robot_name = getattr(env.unwrapped, "robot_name", robot)
        results = []
        for index in range(episodes):
            camera = None
            if writer is not None and index < filmed:
                caption = (
                    f"{robot_name or plan.env_id} | {policy_name} | "
                    f"episode {index + 1}/{filmed} | seed {seed + index}"
                )
                camera = _Camera(writer, schedule, caption)
            policy = factory(env, seed + index)
            results.append(run_episode(env, policy, index, seed + index, camera, on_step))
            if on_episode is not None:
                on_episode(results[-1])
    finally:
        if writer is not None:
            writer.close()
        env.close()
    return EvalResult(
        env_id=plan.env_id,
        robot=robot_name,
        env_kwargs={k: v for k, v in plan.env_kwargs.items() if k != "robot"},
        policy=policy_name,
        seed=seed,
        episodes=results,
        wall_time=time.perf_counter() - start,
        video_path=video_path if filmed else None,
        robodojo_version=robodojo_version(),
        policy_source=source,
    )


def _check_whole_number(name: str, value: Any, low: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise EvalConfigError(f"{name} must be an integer >= {low}, got {value!r}")


def policy_source(location: str, spec: dict[str, Any]) -> dict[str, Any]:
    """What an evaluation of an exported policy ran: enough to pin the file in a CI card."""
    provenance = spec.get("provenance") or {}
    return {
        "path": location,
        "format": spec.get("format"),
        "sha256": spec["onnx"]["sha256"],
        "env_id": spec.get("env_id"),
        "robot": spec.get("robot"),
        "algo": provenance.get("algo"),
        "run": provenance.get("run"),
        "git_commit": provenance.get("git_commit"),
    }


def run_episode(
    env: gym.Env,
    policy: Policy,
    index: int,
    seed: int,
    camera: _Camera | None = None,
    on_step: Callable[[int, int], None] | None = None,
) -> EpisodeResult:
    """One episode from ``env.reset(seed=seed)`` to termination or truncation.

    ``on_step(steps, max_episode_steps)`` runs after every step, so a progress bar can move
    inside a slow episode.
    """
    control_dt, limit = cast(RobotTaskEnv, env.unwrapped).control_dt, _step_limit(env)
    observation, info = env.reset(seed=seed)
    policy.reset()
    frames_before = camera.writer.frames if camera else 0
    if camera:
        camera.film(env, 0, control_dt, success=False)
    total, steps = 0.0, 0
    while True:
        observation, reward, terminated, truncated, info = env.step(policy(observation))
        total += float(reward)
        steps += 1
        if camera and steps % camera.schedule.stride == 0:
            camera.film(env, steps, control_dt, success=info.get("is_success", False))
        if on_step is not None:
            on_step(steps, limit)
        if terminated or truncated:
            break
    success = bool(info.get("is_success", False))
    error = info.get("physics_error")
    if camera:
        camera.finish(env, steps, control_dt, success, error)
    return EpisodeResult(
        index=index,
        seed=seed,
        success=success,
        episode_return=total,
        length=steps,
        duration=steps * control_dt,
        metrics={k: float(v) for k, v in info.get("episode_metrics", {}).items()},
        physics_error=error,
        frames=(camera.writer.frames - frames_before) if camera else 0,
    )


def _step_limit(env: gym.Env) -> int:
    """The episode's step limit (0 if unknown): the TimeLimit's, else the env's own (any env with
    a ``control_dt`` can be evaluated, not only a RobotTaskEnv)."""
    spec_limit = env.spec.max_episode_steps if env.spec is not None else None
    return int(spec_limit or getattr(env.unwrapped, "max_episode_steps", 0) or 0)


@dataclass
class _Camera:
    """Films one episode: a frame every ``schedule.stride`` steps, then the last frame held with
    the outcome."""

    writer: VideoWriter
    schedule: FrameSchedule
    caption: str
    #: the step last filmed and its picture: an episode ending on a filmed step is not rendered
    #: twice
    _last: tuple[int, np.ndarray] | None = None

    def film(self, env: gym.Env, step: int, control_dt: float, success: bool) -> None:
        badge = ("SUCCESS", GREEN) if success else None
        self.writer.add(self._render(env, step), self._caption(step, control_dt), badge)

    def finish(
        self, env: gym.Env, step: int, control_dt: float, success: bool, error: str | None
    ) -> None:
        # Success ends an episode at once, so without this hold the badge would flash by unseen.
        badge = (
            ("SUCCESS", GREEN)
            if success
            else ("PHYSICS ERROR", AMBER)
            if error
            else ("FAILED", RED)
        )
        self.writer.add(self._render(env, step), self._caption(step, control_dt), badge)
        self.writer.repeat(max(1, int(round(HOLD_SECONDS * self.writer.fps))) - 1)

    def _render(self, env: gym.Env, step: int) -> np.ndarray:
        if self._last is None or self._last[0] != step:
            # rgb_array: the env was made to be filmed
            self._last = (step, cast(np.ndarray, env.render()))
        return self._last[1]

    def _caption(self, step: int, control_dt: float) -> str:
        speed = f" {self.schedule.label}" if self.schedule.label else ""
        return f"{self.caption}\nt={step * control_dt:4.2f}s{speed}"  # 2 lines fit 320 px


def robodojo_version() -> str:
    return package_version("robodojo") or "unknown"
