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
from importlib import metadata
from typing import Any

import gymnasium as gym

from robodojo.envs import resolve_env_id
from robodojo.policies import Policy, load_policy, make_policy, policy_path
from robodojo.policies.onnx_policy import MissingOnnxRuntimeError, PolicySpecError, read_spec
from robodojo.robots import get_robot_spec
from robodojo.training import catalog
from robodojo.training.stats import finite_mean_std, wilson_interval
from robodojo.training.video import VideoWriter, frame_stride, require_video_extra

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
        for name in dict.fromkeys(key for e in self.episodes for key in e.metrics):  # first-seen order
            values = [e.metrics.get(name, math.nan) for e in self.episodes]
            mean, std, count = finite_mean_std(values)
            defined = {e.index for e, v in zip(self.episodes, values) if math.isfinite(v)}
            if count == n:
                over = "all episodes"
            elif defined == successful:  # e.g. time_to_stand: only defined where the robot stood
                over = "successful episodes"
            else:
                over = f"{count} of {n} episodes where defined"
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
    params = catalog.env_parameters(env_id)
    env_kwargs = env_kwargs or {}
    settable = sorted(name for name in params if name != "render_mode")
    unknown = sorted(set(env_kwargs) - set(settable))
    if unknown:
        raise EvalConfigError(f"{env_id} has no argument(s) {', '.join(unknown)}; valid: {', '.join(settable)}")
    if robot is not None and "robot" in env_kwargs:
        raise EvalConfigError("give the robot either as --robot or as --env-arg robot=..., not both")
    robot = robot if robot is not None else env_kwargs.get("robot")
    if robot is not None:
        if "robot" not in params:
            raise EvalConfigError(f"{env_id} does not take a robot")
        try:
            get_robot_spec(robot, kind=catalog.robot_kind(env_id))
        except ValueError as error:
            raise EvalConfigError(str(error)) from None
    if policy is None:  # the caller brings its own policy factory
        return env_id
    if catalog.looks_like_path(policy):
        exported_policy_spec(policy)  # exists, is not a pickle, and its spec parses
        return env_id
    if policy not in catalog.policy_names(env_id):
        raise EvalConfigError(f"unknown policy {policy!r} for {env_id}; valid names: {', '.join(catalog.policy_names(env_id))}")
    return env_id


def exported_policy_spec(policy: str) -> tuple[str, dict[str, Any]] | None:
    """(location, spec) if ``policy`` is an exported policy's path or a pretrained name, else None."""
    try:
        location = policy_path(policy)
        return None if location is None else (location, read_spec(location))
    except ValueError as error:  # PolicySpecError, pickled checkpoints
        raise EvalConfigError(str(error)) from None


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
) -> EvalResult:
    """Run ``episodes`` headless episodes of ``policy_name`` on ``env_id`` (id or short name).

    Only the first ``video_episodes`` episodes are rendered (into ``video_path``),
    so long evaluations pay for rendering only where someone will watch.
    ``on_episode`` is called after each episode (progress bars).
    ``policy_factory(env, seed)``, if given, builds the policy instead of the
    name lookup (e.g. a freshly trained model); ``policy_name`` then only labels it.
    An exported policy (path or pretrained name) supplies ``env_id`` and
    ``robot`` when they are None, and its training ``env_kwargs`` as defaults
    under the caller's.
    """
    if episodes < 1:
        raise EvalConfigError(f"episodes must be >= 1, got {episodes}")
    env_kwargs = dict(env_kwargs or {})
    exported = None if policy_factory else exported_policy_spec(policy_name)
    if exported is not None:
        spec = exported[1]
        env_id = env_id if env_id is not None else spec["env_id"]
        if robot is None and "robot" not in env_kwargs and spec.get("robot"):
            robot = spec["robot"]
    if env_id is None:
        raise EvalConfigError("--env is required unless --policy is an exported or pretrained policy")
    env_id = check_config(env_id, None if policy_factory else policy_name, robot, env_kwargs)
    if exported is not None and exported[1]["env_id"] == env_id:
        # The env the policy was trained in (e.g. Rescue's walker under its commands); the caller's arguments win.
        trained_in = {k: v for k, v in exported[1].get("env_kwargs", {}).items() if k != "robot"}
        env_kwargs = {**trained_in, **env_kwargs}
    if robot is not None:
        env_kwargs["robot"] = robot
    filmed = min(episodes, max(0, video_episodes)) if video_path else 0
    if filmed:
        require_video_extra()  # fail before the evaluation, not after it
    try:
        env = gym.make(env_id, render_mode="rgb_array" if filmed else None, **env_kwargs)
    except ValueError as error:  # constructors reject bad values (e.g. episode_seconds=-1)
        raise EvalConfigError(f"cannot create {env_id} with {env_kwargs}: {error}") from None

    start = time.perf_counter()
    results: list[EpisodeResult] = []
    writer: VideoWriter | None = None
    source: dict[str, Any] | None = None
    try:
        if exported is not None:
            try:
                loaded = load_policy(exported[0], env=env, env_id=env_id)
            except (PolicySpecError, MissingOnnxRuntimeError) as error:
                raise EvalConfigError(str(error)) from None
            policy_factory = lambda env, seed: loaded  # noqa: E731 - load once; run_episode resets it
            source = policy_source(exported[0], loaded.spec)
        control_dt = env.unwrapped.control_dt
        stride = frame_stride(control_dt)
        if filmed:
            writer = VideoWriter(video_path, fps=1.0 / (stride * control_dt))
        robot_name = getattr(env.unwrapped, "robot_name", robot)
        for index in range(episodes):
            episode_seed = seed + index
            try:
                if policy_factory is not None:
                    policy = policy_factory(env, episode_seed)
                else:
                    policy = make_policy(policy_name, env, env_id, seed=episode_seed)
            except ValueError as error:  # e.g. a robot lacking a controller's keyframes
                raise EvalConfigError(str(error)) from None
            camera = None
            if writer is not None and index < filmed:
                camera = _Camera(writer, stride, f"{robot_name or env_id} | {policy_name} | episode {index + 1}/{filmed} | seed {episode_seed}")
            result = run_episode(env, policy, index, episode_seed, camera)
            results.append(result)
            if on_episode is not None:
                on_episode(result)
    finally:
        if writer is not None:
            writer.close()
        env.close()
    return EvalResult(
        env_id=env_id,
        robot=robot_name,
        env_kwargs={k: v for k, v in env_kwargs.items() if k != "robot"},
        policy=policy_name,
        seed=seed,
        episodes=results,
        wall_time=time.perf_counter() - start,
        video_path=video_path if filmed else None,
        robodojo_version=robodojo_version(),
        policy_source=source,
    )


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


def run_episode(env: gym.Env, policy: Policy, index: int, seed: int, camera: _Camera | None = None) -> EpisodeResult:
    """One episode from ``env.reset(seed=seed)`` to termination or truncation."""
    control_dt = env.unwrapped.control_dt
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
        if camera and steps % camera.stride == 0:
            camera.film(env, steps, control_dt, success=info.get("is_success", False))
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


@dataclass
class _Camera:
    """Films one episode: a frame every ``stride`` steps, then the last frame held with the outcome."""

    writer: VideoWriter
    stride: int
    caption: str

    def film(self, env: gym.Env, step: int, control_dt: float, success: bool) -> None:
        badge = ("SUCCESS", GREEN) if success else None
        self.writer.add(env.render(), f"{self.caption} | t={step * control_dt:4.2f}s", badge)

    def finish(self, env: gym.Env, step: int, control_dt: float, success: bool, error: str | None) -> None:
        # Success ends an episode at once, so without this hold the badge would flash by unseen.
        badge = ("SUCCESS", GREEN) if success else ("PHYSICS ERROR", AMBER) if error else ("FAILED", RED)
        frame = env.render()
        caption = f"{self.caption} | t={step * control_dt:4.2f}s"
        for _ in range(max(1, int(round(HOLD_SECONDS * self.writer.fps)))):
            self.writer.add(frame, caption, badge)


def robodojo_version() -> str:
    try:
        return metadata.version("robodojo")
    except metadata.PackageNotFoundError:
        return "unknown"
