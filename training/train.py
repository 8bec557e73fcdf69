"""Training with Stable-Baselines3: ``train(config, out)`` starts a run, ``resume(run_dir)``
continues one.

A run folder (``<out>/<scenario>_<robot>_<algo>_<YYYYmmdd-HHMMSS>/``) holds
config.yaml (resolved), manifest.json, tb/ (TensorBoard), checkpoints/step_<N>/,
best/, final/, evaluations.json, card.json, card.md, learning_curve.png and
eval.mp4. Both entry points end the same way: a final checkpoint, final/, the
final evaluation (fixed seeds), the card, the learning curve and the video.

A ``curriculum`` config wraps each training env (not the evaluation envs,
which stay at the configured difficulty) in :class:`TerrainCurriculum`.

A ``residual`` config trains the model on ``ResidualEnv`` (observation + the
base controller's action in, correction out); every evaluation, the card and
the video run the composed policy on the plain env, i.e. what the robot does.

A goal-conditioned env (Dict observation: observation, achieved_goal,
desired_goal) trains ``MultiInputPolicy``; VecNormalize then normalises every
key, and a ``her`` config uses SB3's ``HerReplayBuffer`` (checkpointed and
resumed with the rest, see :mod:`robodojo.training.checkpoints`).
"""

from __future__ import annotations

import functools
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, TextIO, cast

from robodojo.envs import make as make_robodojo_env
from robodojo.envs import resolve_env_id
from robodojo.envs.curriculum import TerrainCurriculum
from robodojo.evaluation import catalog
from robodojo.evaluation.files import package_version, write_json
from robodojo.evaluation.progress import ProgressBar
from robodojo.evaluation.report import format_summary
from robodojo.evaluation.video import MissingExtraError, require_video_extra
from robodojo.policies import resolve_controller
from robodojo.policies.residual import ResidualEnv
from robodojo.training import checkpoints as ckpt
from robodojo.training.config import (
    OFF_POLICY,
    ConfigError,
    algo_class,
    describe_residual,
    dump,
    load_yaml,
    model_kwargs,
    resolve,
    validate,
)
from robodojo.training.sb3_policy import MODEL_FILE, NORMALIZER_FILE

CONFIG_FILE, MANIFEST_FILE = "config.yaml", "manifest.json"
PACKAGES = (
    "robodojo",
    "stable-baselines3",
    "sb3-contrib",
    "torch",
    "gymnasium",
    "pybullet",
    "numpy",
    "tqdm",
    "pyyaml",
)


def make_env(
    env_id: str,
    residual: dict[str, Any] | None = None,
    curriculum: dict[str, Any] | None = None,
    **kwargs: Any,
):
    """One training env; also what each worker process runs first (one torch thread per process:
    2 cores).

    With ``curriculum`` ({levels, start_level, top_level_random}) the env is wrapped in
    :class:`~robodojo.envs.curriculum.TerrainCurriculum` (each worker keeps its own level).
    With ``residual`` ({base, scale}) the env is (then) wrapped in :class:`ResidualEnv`: the
    model sees [observation, base action] and outputs the correction.
    """
    import torch

    torch.set_num_threads(1)
    env = make_robodojo_env(env_id, **kwargs)
    if (
        curriculum is not None
    ):  # on the raw env: the residual's base controller then acts on the curriculum's terrain
        env = TerrainCurriculum(env, **curriculum)
    if residual is not None:
        env = ResidualEnv(env, **residual)
    return env


def train(
    config: dict[str, Any],
    out: str | Path = "runs",
    *,
    command: list[str] | None = None,
    quiet: bool = False,
    stream: TextIO | None = None,
    run_name: str | None = None,
) -> Path:
    """Train from ``config`` (a partial config naming its ``scenario`` is merged over the defaults).

    Returns the run folder. Raises :class:`ConfigError` for invalid configs, and for a run that
    cannot start (an env argument the env rejects, an algorithm that will not build): the run
    folder is only created once the model is built, and removed again if the run still fails
    before its first training step.
    """
    config = resolve(config)
    try:  # builds the env once, in this process: a bad env argument fails here, in one line
        info = manifest(config, command)
    except (ValueError, TypeError) as error:
        raise ConfigError(f"cannot build the env: {_one_line(error)}") from error
    name = (
        run_name
        or f"{config['scenario']}_{config['robot']}_{config['algo']}_"
        f"{time.strftime('%Y%m%d-%H%M%S')}"
    )
    made: list[Path] = []

    def begin() -> Path:
        """Create the run folder; called once the model is built, right before training."""
        run_dir = Path(out) / name
        for suffix in range(2, 1000):  # two runs started in the same second
            if not run_dir.exists():
                break
            run_dir = Path(out) / f"{name}-{suffix}"
        run_dir.mkdir(parents=True)
        made.append(run_dir)
        dump(config, run_dir / CONFIG_FILE)
        ckpt.write_json_atomically(run_dir / MANIFEST_FILE, info)
        print(
            f"run folder: {run_dir}  "
            f"(continue after a crash with: robodojo train --resume {run_dir})",
            file=stream if stream is not None else sys.stderr,
        )
        return run_dir

    status = _Status()
    try:
        return _session(begin, config, None, quiet, stream, status)
    except BaseException as error:
        if not status.started:
            for run_dir in made:  # only the folder this call created, never an existing one
                shutil.rmtree(run_dir, ignore_errors=True)
            if isinstance(error, Exception) and not isinstance(error, ConfigError):
                raise ConfigError(f"the run cannot start: {_one_line(error)}") from error
        raise


def resume(
    run_dir: str | Path,
    total_steps: int | None = None,
    *,
    command: list[str] | None = None,
    quiet: bool = False,
    stream: TextIO | None = None,
) -> Path:
    """Continue ``run_dir`` from its latest complete checkpoint (its config.yaml decides everything
    but ``total_steps``, which may be raised), then finish it as a fresh run would.

    Every file of the checkpoint is loaded first; a corrupt one is reported (one line) and the
    previous checkpoint used. Nothing in the run folder changes until the resumed session is
    ready to train: a resume that fails (a ConfigError) leaves the folder as it was.
    """
    run_dir = Path(run_dir)
    out = stream if stream is not None else sys.stderr
    if not (run_dir / CONFIG_FILE).is_file():
        raise ConfigError(f"{run_dir} is not a run folder (no {CONFIG_FILE})")
    config = validate(load_yaml(run_dir / CONFIG_FILE))
    normalizer = config["normalize_observations"] or config["normalize_rewards"]
    checkpoint, corrupt = ckpt.resume_point(run_dir, normalizer, config["algo"] in OFF_POLICY)
    if checkpoint is None and corrupt:
        raise ConfigError(
            f"cannot resume {run_dir}: no checkpoint is complete ("
            + "; ".join(f"{c.folder.name}: {c.file}: {c.reason}" for c in corrupt)
            + ")"
        )
    for error in corrupt:
        print(f"{error}: skipped", file=out)
    step = checkpoint.step if checkpoint else 0
    if total_steps is not None:
        if total_steps < step:
            raise ConfigError(f"--steps {total_steps} is below the {step} steps already trained")
        config["total_steps"] = total_steps
    if step >= config["total_steps"] and (run_dir / "card.json").exists():
        raise ConfigError(
            f"{run_dir} already finished at {step} steps; "
            f"pass --steps N (> {step}) to train further"
        )

    def begin() -> Path:
        """Record the resume; called once the checkpoint is loaded, right before training."""
        removed = ckpt.clean_tmp(run_dir)
        if total_steps is not None:
            dump(config, run_dir / CONFIG_FILE)
        info = (
            json.loads((run_dir / MANIFEST_FILE).read_text())
            if (run_dir / MANIFEST_FILE).exists()
            else {}
        )
        info.setdefault("resumes", []).append(
            {
                "time": _now(),
                "from_checkpoint": checkpoint.folder.name if checkpoint else None,
                "from_step": step,
                "total_steps": config["total_steps"],
                "worker_seeds": _worker_seeds(config, step),
                "removed_incomplete": removed,
                "skipped_corrupt": [f"{c.folder.name} ({c.file}: {c.reason})" for c in corrupt],
                "command": command if command is not None else sys.argv,
            }
        )
        ckpt.write_json_atomically(run_dir / MANIFEST_FILE, info)
        where = (
            f"checkpoint {checkpoint.folder.name}"
            if checkpoint
            else "the start (no checkpoint yet)"
        )
        print(f"resuming {run_dir} from {where}", file=out)
        return run_dir

    status = _Status()
    try:
        return _session(begin, config, checkpoint, quiet, stream, status)
    except Exception as error:
        if status.started or isinstance(error, ConfigError):
            raise
        where = checkpoint.folder if checkpoint else "the start"
        raise ConfigError(f"cannot resume {run_dir} from {where}: {_one_line(error)}") from error


class _Status:
    """Whether a session got as far as training (after which its run folder is kept: resumable)."""

    started = False


def _one_line(error: BaseException) -> str:
    return f"{type(error).__name__}: {' '.join(str(error).split()) or 'no detail'}"


def _worker_seeds(config: dict[str, Any], step: int) -> list[int]:
    """Worker i gets seed + i; a resumed session shifts by the step so it does not replay the same
    starts."""
    return [config["seed"] + step + i for i in range(config["n_envs"])]


def _session(
    begin: Any,
    config: dict[str, Any],
    checkpoint: ckpt.Verified | None,
    quiet: bool,
    stream: TextIO | None,
    status: _Status,
) -> Path:
    """Build the envs and the model (new, or loaded from ``checkpoint``), then ``begin()`` (which
    creates or records the run folder and returns it), train and finish."""
    import gymnasium as gym
    import torch
    from stable_baselines3.common.env_util import make_vec_env
    from stable_baselines3.common.logger import configure
    from stable_baselines3.common.vec_env import DummyVecEnv, SubprocVecEnv, VecNormalize

    from robodojo.training.callbacks import EVALUATIONS, TrainingCallback, TrainingProgress

    torch.set_num_threads(1)
    state = checkpoint.state if checkpoint else {}
    start = state.get("num_timesteps", 0)
    env_kwargs = {"robot": config["robot"], **config["env_kwargs"]}
    venv = make_vec_env(
        functools.partial(
            make_env,
            resolve_env_id(config["scenario"]),
            config["residual"],
            config.get("curriculum"),
        ),
        n_envs=config["n_envs"],
        seed=_worker_seeds(config, start)[0],
        env_kwargs=env_kwargs,
        vec_env_cls=SubprocVecEnv if config["n_envs"] > 1 else DummyVecEnv,
    )
    env, vecnormalize = venv, None
    goal_conditioned = isinstance(venv.observation_space, gym.spaces.Dict)
    progress = TrainingProgress(
        config["total_steps"],
        start,
        f"{config['algo']} {config['scenario']} {config['robot']}",
        enabled=not quiet,
        stream=stream,
    )
    try:
        if config["normalize_observations"] or config["normalize_rewards"]:
            if checkpoint:
                vecnormalize = VecNormalize.load(str(checkpoint.folder / NORMALIZER_FILE), venv)
                vecnormalize.training = True
            else:
                gamma = config["algo_kwargs"][config["algo"]].get("gamma", 0.99)
                # A Dict observation (goal-conditioned env) has every key normalised, goals
                # included: the replay buffer keeps raw observations and normalises at sampling,
                # after HER relabelled them.
                keys = (
                    list(cast(gym.spaces.Dict, venv.observation_space).spaces)
                    if goal_conditioned
                    else None
                )
                vecnormalize = VecNormalize(
                    venv,
                    norm_obs=config["normalize_observations"],
                    norm_reward=config["normalize_rewards"],
                    gamma=gamma,
                    norm_obs_keys=keys if config["normalize_observations"] else None,
                )
            env = vecnormalize
        cls = algo_class(config["algo"])
        if checkpoint:
            model = cls.load(checkpoint.folder / MODEL_FILE, env=env, device="cpu")
            model.set_random_seed(config["seed"] + start)
            if config["algo"] in OFF_POLICY and checkpoint.replay_buffer is not None:
                ckpt.load_replay_buffer(model, checkpoint.replay_buffer)
            elif config["algo"] in OFF_POLICY:  # only the newest checkpoint keeps its buffer
                model.learning_starts = start + model.learning_starts
                progress.write(
                    f"{checkpoint.folder.name} keeps no replay buffer (only the newest checkpoint "
                    f"does): collecting {model.learning_starts - start:,} steps before training"
                )
        else:
            model = cls(
                policy_name(venv.observation_space),
                env,
                seed=config["seed"],
                device="cpu",
                verbose=0,
                **model_kwargs(config),
            )
        run_dir = begin()
        model.set_logger(
            configure(str(run_dir / "tb"), ["tensorboard"])
        )  # sessions append to the same tb/
        history = state.get("evaluations", [])
        ckpt.write_json_atomically(run_dir / EVALUATIONS, history)
        callback = TrainingCallback(
            run_dir,
            config,
            vecnormalize,
            progress,
            history,
            _best(run_dir, state),
            state.get("wall_time", 0.0),
        )
        remaining = config["total_steps"] - start
        status.started = True
        if remaining > 0:
            model.learn(
                remaining,
                callback=callback,
                reset_num_timesteps=checkpoint is None,
                progress_bar=False,
            )
        else:
            callback.init_callback(model)
        if model.num_timesteps >= callback.next_eval:  # the last multiple of eval_every: the end
            callback.evaluate()
        if model.num_timesteps not in (callback.last_checkpoint, start):
            callback.checkpoint()  # a kill during the final evaluation then loses no training
    finally:
        progress.close()
        _close(venv)
    _finish(run_dir, config, model, vecnormalize, callback, quiet, stream)
    return run_dir


def policy_name(observation_space: Any) -> str:
    """SB3's policy for the observation space: ``MultiInputPolicy`` for a Dict (goal-conditioned
    env), else ``MlpPolicy``."""
    import gymnasium as gym

    return "MultiInputPolicy" if isinstance(observation_space, gym.spaces.Dict) else "MlpPolicy"


def _close(venv: Any) -> None:
    """Close the workers; after Ctrl-C they may already be gone (SIGINT reaches the whole process
    group)."""
    try:
        venv.close()
    except (EOFError, OSError):
        for process in getattr(venv, "processes", []):
            process.terminate()
            process.join(timeout=5)


def _best(run_dir: Path, state: dict[str, Any]) -> dict[str, Any] | None:
    """The record behind best/ (it may come from after the checkpoint: it was still evaluated)."""
    meta = run_dir / "best" / "meta.json"
    if meta.is_file():
        return json.loads(meta.read_text()).get("evaluation") or state.get("best")
    return state.get("best")


def _finish(
    run_dir: Path,
    config: dict[str, Any],
    model: Any,
    vecnormalize: Any,
    callback: Any,
    quiet: bool,
    stream: TextIO | None,
) -> None:
    from robodojo.training.callbacks import evaluate_model
    from robodojo.training.card import (
        CURVE_PNG,
        VIDEO,
        eval_record,
        plot_learning_curve,
        write_card,
    )

    out = stream if stream is not None else sys.stderr
    wall = callback.wall_time()
    ckpt.save_model_dir(run_dir / "final", model, vecnormalize, meta=callback.meta())
    video = VIDEO if config["video_episodes"] > 0 else None
    if video:
        try:
            require_video_extra()
        except MissingExtraError as error:
            print(f"warning: no eval.mp4: {error}", file=out)
            video = None
    bar = ProgressBar(
        config["final_eval_episodes"], label="final evaluation", stream=stream, enabled=not quiet
    )
    result = evaluate_model(
        model,
        vecnormalize,
        config,
        config["final_eval_episodes"],
        config["final_eval_seed"],
        video_path=str(run_dir / VIDEO) if video else None,
        video_episodes=config["video_episodes"],
        on_episode=lambda r: bar.update(r.success),
    )
    bar.close()
    write_json(run_dir / "final" / "evaluation.json", result.to_dict())
    final = eval_record(result, model.num_timesteps, wall)
    info = json.loads((run_dir / MANIFEST_FILE).read_text())
    training = {
        "steps": model.num_timesteps,
        "wall_time": wall,
        "steps_per_second": model.num_timesteps / max(wall, 1e-9),
        "sessions": 1 + len(info.get("resumes", [])),
    }
    title = f"{config['algo'].upper()} {result.env_id} ({result.robot}), seed {config['seed']}"
    if config["residual"]:
        title += f"\n{describe_residual(config['residual'], result.env_id)}"
    headline = catalog.REPORT_METRICS.get(result.env_id, [None])[0]
    plot_learning_curve(run_dir / CURVE_PNG, callback.history, final, title, metric=headline)
    write_card(run_dir, config, result, training, callback.history, callback.best, video)
    info["finished"] = _now()
    ckpt.write_json_atomically(run_dir / MANIFEST_FILE, info)
    if not quiet:
        print(format_summary(result), file=out)
    print(f"run folder: {run_dir}  (card: {run_dir / 'card.md'})", file=out)


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")


def manifest(config: dict[str, Any], command: list[str] | None = None) -> dict[str, Any]:
    """What reproducing the run needs: versions, git commit, seeds, physics settings, command
    line."""
    import gymnasium as gym

    env_id = resolve_env_id(config["scenario"])
    env = make_robodojo_env(env_id, robot=config["robot"], **config["env_kwargs"])
    try:
        interface = env.unwrapped.interface() if hasattr(env.unwrapped, "interface") else {}
        solver_iterations = getattr(getattr(env.unwrapped, "sim", None), "solver_iterations", None)
        goal_keys = (
            list(env.observation_space.spaces)
            if isinstance(env.observation_space, gym.spaces.Dict)
            else None
        )
    finally:
        env.close()
    n, m = config["eval_episodes"], config["final_eval_episodes"]
    return {
        "env_id": env_id,
        "python": platform.python_version(),
        "packages": {name: package_version(name) for name in PACKAGES},
        "git": _git(),
        "seeds": {
            "seed": config["seed"],
            "worker_seeds": _worker_seeds(config, 0),
            "eval_seeds": [config["eval_seed"], config["eval_seed"] + n - 1],
            "final_eval_seeds": [config["final_eval_seed"], config["final_eval_seed"] + m - 1],
        },
        "physics": {
            "control_dt": interface.get("control_dt"),
            "physics_dt": interface.get("physics_dt"),
            "substeps": interface.get("substeps"),
            "solver_iterations": solver_iterations,
        },
        "interface": interface,
        "observation_keys": goal_keys,
        "her": config.get("her"),
        "residual": None
        if config["residual"] is None
        else {
            **config["residual"],
            "controller": resolve_controller(config["residual"]["base"], env_id),
            "description": describe_residual(config["residual"], env_id),
            "observation": (
                "the env's observation followed by the base controller's action"
                if goal_keys is None
                else "the env's Dict observation, its 'observation' key followed by "
                "the base controller's action (the goals unchanged)"
            ),
            "action": "the correction r in [-1, 1]; the robot gets clip(base + scale * r, -1, 1)",
        },
        "vec_env": "SubprocVecEnv" if config["n_envs"] > 1 else "DummyVecEnv",
        "torch_threads_per_process": 1,
        "command": command if command is not None else sys.argv,
        "cwd": os.getcwd(),
        "started": _now(),
        "host": {
            "cpu_count": os.cpu_count(),
            "platform": platform.platform(),
            "machine": platform.machine(),
        },
        "resumes": [],
    }


def _git() -> dict[str, Any] | None:
    """Commit of the robodojo checkout this code runs from (None for an installed wheel)."""
    root = Path(__file__).resolve().parent.parent
    try:
        commit = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"],
            check=False,  # the return code is checked below
            capture_output=True,
            text=True,
            timeout=10,
        )
        if commit.returncode != 0:
            return None
        status = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
            check=False,
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return {
        "commit": commit.stdout.strip(),
        "dirty": bool(status.stdout.strip()),
        "root": str(root),
    }
