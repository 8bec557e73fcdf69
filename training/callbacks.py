"""What runs inside ``model.learn``: progress, periodic evaluation, best model, checkpoints.

Evaluations and checkpoints happen at rollout boundaries (SB3's
``on_rollout_start``): there the weights include every update for the steps
counted so far, so a checkpoint at step N resumes exactly at N. For PPO that
is once per ``n_steps x n_envs`` steps, so they land on the first boundary at
or after each multiple of ``eval_every`` / ``checkpoint_every``.
"""

from __future__ import annotations

import math
import sys
import time
from pathlib import Path
from typing import Any, TextIO

import numpy as np
from stable_baselines3.common.callbacks import BaseCallback

from robodojo.evaluation.evaluate import EvalResult, evaluate
from robodojo.evaluation.progress import clock
from robodojo.policies import controller_for_env
from robodojo.policies.residual import ResidualPolicy
from robodojo.training import checkpoints as ckpt
from robodojo.training.card import eval_record, score
from robodojo.training.config import OFF_POLICY
from robodojo.training.sb3_policy import SB3Policy

EVALUATIONS = "evaluations.json"


def evaluate_model(
    model: Any,
    vecnormalize: Any,
    config: dict[str, Any],
    episodes: int,
    seed: int,
    video_path: str | None = None,
    video_episodes: int = 0,
    on_episode: Any = None,
) -> EvalResult:
    """Deterministic episodes (seeds seed..seed+episodes-1) with frozen copies of the normalisation
    statistics.

    For a residual config the policy evaluated on the plain env is the model
    composed with its base controller (``ResidualPolicy``): what the robot does.
    """
    network = SB3Policy(model, vecnormalize)
    label = f"{config['algo']} {model.num_timesteps:,} steps"
    residual = config.get("residual")
    if residual:
        label += f" + {residual['base']} (residual, scale {residual['scale']:g})"
    return evaluate(
        config["scenario"],
        label,
        episodes,
        seed,
        robot=config["robot"],
        env_kwargs=config["env_kwargs"],
        video_path=video_path,
        video_episodes=video_episodes,
        on_episode=on_episode,
        policy_factory=lambda env, episode_seed: deployed_policy(network, residual, env),
    )


def deployed_policy(network: SB3Policy, residual: dict[str, Any] | None, env: Any) -> Any:
    """What drives the robot: the network itself, or a residual network composed with its base
    controller."""
    if not residual:
        return network
    return ResidualPolicy(network, controller_for_env(residual["base"], env), residual["scale"])


def hold_output_at_zero(model: Any) -> None:
    """Zero the layer producing the action mean, so a residual policy's correction is exactly 0.

    Off-policy residual training otherwise collapses: its first actor updates climb a still
    random critic and saturate the correction within a few thousand steps, ruining the base
    controller it sits on (measured on Transport-v0: 0 % success at 40 k steps). Held at zero,
    the critics first learn the base controller's values; the exploration noise still varies
    the actions they see.
    """
    import torch

    layer = model.actor.mu if hasattr(model, "actor") else model.policy.action_net
    with torch.no_grad():
        layer.weight.zero_()
        layer.bias.zero_()


def next_multiple(step: int, every: int) -> float:
    return math.inf if every <= 0 else (step // every + 1) * every


class TrainingProgress:
    """Steps done/total, steps/s, ETA and the latest evaluation's success rate.

    tqdm redraws one line on a terminal; elsewhere (CI logs, files) a plain line
    is printed every 10 % or 60 s. Steps/s is the card's definition
    (:data:`~robodojo.training.card.SPEED_DEFINITION`) for this session: steps since
    :meth:`restart` (training start) over the wall time since, evaluations included.
    tqdm's own rate used to be a moving average of the step updates, which happen
    while envs step only: it showed the rollout speed, above the card's.
    """

    LOG_SECONDS = 60.0

    def __init__(
        self,
        total: int,
        initial: int,
        label: str,
        enabled: bool = True,
        stream: TextIO | None = None,
    ) -> None:
        self.total, self.initial, self.done, self.label = total, initial, initial, label
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = enabled
        self.success = "-"
        self.start = time.perf_counter()
        self._last_line, self._last_logged = self.start, initial
        self._bar = None
        if enabled and getattr(self.stream, "isatty", lambda: False)():
            from tqdm import tqdm

            self._bar = tqdm(
                total=total,
                initial=initial,
                desc=label,
                unit="step",
                unit_scale=True,
                file=self.stream,
                dynamic_ncols=True,
                smoothing=0,  # the average since training started: the card's steps/s
            )
            self._bar.set_postfix_str("eval success -")

    def restart(self, start: float) -> None:
        """Count time from ``start`` (a ``time.perf_counter()``: when training starts, the moment
        the card's wall time counts from)."""
        self.start = self._last_line = start
        if self._bar is not None:
            self._bar.start_t = self._bar.last_print_t = self._bar._time() - (
                time.perf_counter() - start
            )

    def rate(self) -> float:
        elapsed = time.perf_counter() - self.start
        return (self.done - self.initial) / elapsed if elapsed > 0 else 0.0

    def line(self) -> str:
        rate = self.rate()
        # PPO finishes its last rollout, so done can pass total by up to one rollout: ETA 0, not
        # negative.
        eta = max(0, self.total - self.done) / rate if rate > 0 else math.nan
        return (
            f"{self.label} {self.done:,}/{self.total:,} steps "
            f"({100 * self.done / self.total:.0f}%)  "
            f"{rate:,.0f} steps/s  ETA {clock(eta)}  eval success {self.success}"
        )

    def update(self, done: int) -> None:
        if not self.enabled:
            self.done = done
            return
        if self._bar is not None:
            self._bar.update(min(done, self.total) - min(self.done, self.total))
            self.done = done
            return
        self.done = done
        now = time.perf_counter()
        if done - self._last_logged >= self.total / 10 or now - self._last_line >= self.LOG_SECONDS:
            self.write(self.line())
            self._last_line, self._last_logged = now, done

    def set_eval(self, record: dict[str, Any]) -> None:
        self.success = f"{100 * record['success_rate']:.0f}%"
        if self._bar is not None:
            self._bar.set_postfix_str(f"eval success {self.success}")

    def write(self, text: str) -> None:
        if not self.enabled:
            return
        if self._bar is not None:
            self._bar.write(text, file=self.stream)
        else:
            print(text, file=self.stream, flush=True)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        elif self.enabled and self.done != self._last_logged:
            self.write(self.line())


class TrainingCallback(BaseCallback):
    """Periodic evaluation (-> evaluations.json, best/, TensorBoard ``eval/*``) and checkpoints.

    ``history`` and ``best`` carry over from a resumed checkpoint; ``wall_offset`` is
    the training wall time of earlier sessions up to that checkpoint.
    """

    def __init__(
        self,
        run_dir: Path,
        config: dict[str, Any],
        vecnormalize: Any,
        progress: TrainingProgress,
        history: list[dict[str, Any]],
        best: dict[str, Any] | None,
        wall_offset: float,
    ) -> None:
        super().__init__()
        self.run_dir, self.config, self.vecnormalize, self.progress = (
            Path(run_dir),
            config,
            vecnormalize,
            progress,
        )
        self.history, self.best, self.wall_offset = history, best, wall_offset
        self.session_start = time.perf_counter()
        self.next_eval = self.next_checkpoint = math.inf
        self.last_checkpoint: int | None = None
        #: a residual's correction is held at zero until this step (config residual_hold_steps)
        self.hold_until = config.get("residual_hold_steps", 0) if config.get("residual") else 0
        #: worker index -> (curriculum level, difficulty) of its current episode, from the step
        #: infos
        self.curriculum: dict[int, tuple[int, float]] = {}

    def wall_time(self) -> float:
        return self.wall_offset + time.perf_counter() - self.session_start

    def _on_training_start(self) -> None:
        # the card's wall time and the progress bar's steps/s both count from here
        self.session_start = time.perf_counter()
        self.progress.restart(self.session_start)
        step = self.model.num_timesteps
        self.next_eval = next_multiple(step, self.config["eval_every"])
        self.next_checkpoint = next_multiple(step, self.config["checkpoint_every"])

    def _on_rollout_start(self) -> None:
        step = self.model.num_timesteps
        if step >= self.next_eval:
            self.evaluate()
            self.next_eval = next_multiple(step, self.config["eval_every"])
        if step >= self.next_checkpoint:
            self.checkpoint()
            self.next_checkpoint = next_multiple(step, self.config["checkpoint_every"])

    def _on_step(self) -> bool:
        self.progress.update(self.model.num_timesteps)
        if self.model.num_timesteps < self.hold_until:
            hold_output_at_zero(self.model)
        if self.config.get("curriculum"):
            for worker, info in enumerate(self.locals.get("infos", ())):
                if "curriculum_level" in info:
                    self.curriculum[worker] = (info["curriculum_level"], info["difficulty"])
        return True

    def _on_rollout_end(self) -> None:
        # Logged with the rollout's other scalars: how far up the terrain curriculum the workers
        # are.
        if self.curriculum:
            levels, difficulties = zip(*self.curriculum.values(), strict=True)
            self.logger.record("curriculum/level_mean", float(np.mean(levels)))
            self.logger.record("curriculum/level_max", int(max(levels)))
            self.logger.record("curriculum/difficulty_mean", float(np.mean(difficulties)))

    def evaluate(self) -> dict[str, Any]:
        step = self.model.num_timesteps
        result = evaluate_model(
            self.model,
            self.vecnormalize,
            self.config,
            self.config["eval_episodes"],
            self.config["eval_seed"],
        )
        record = eval_record(result, step, self.wall_time())
        self.history.append(record)
        ckpt.write_json_atomically(self.run_dir / EVALUATIONS, self.history)
        improved = self.best is None or score(record) > score(self.best)
        if improved:
            ckpt.save_model_dir(
                self.run_dir / "best", self.model, self.vecnormalize, meta=self.meta(record)
            )
            self.best = record
        for key in ("success_rate", "return_mean"):
            self.logger.record(f"eval/{key}", record[key])
        for name, value in record["metrics"].items():
            if math.isfinite(value):
                self.logger.record(f"eval/{name}", value)
        self.logger.dump(step)
        self.progress.set_eval(record)
        self.progress.write(
            f"eval @ {step:,} steps: success {100 * record['success_rate']:.0f}% "
            f"[{100 * record['success_ci95'][0]:.0f}-{100 * record['success_ci95'][1]:.0f}%], "
            f"return {record['return_mean']:.2f}" + ("  (new best)" if improved else "")
        )
        return record

    def meta(self, evaluation: dict[str, Any] | None = None) -> dict[str, Any]:
        return {
            "algo": self.config["algo"],
            "scenario": self.config["scenario"],
            "robot": self.config["robot"],
            "env_kwargs": self.config["env_kwargs"],
            "residual": self.config.get("residual"),
            "num_timesteps": self.model.num_timesteps,
            "normalize_observations": self.config["normalize_observations"],
            "evaluation": evaluation,
        }

    def state(self) -> dict[str, Any]:
        return {
            "num_timesteps": self.model.num_timesteps,
            "wall_time": self.wall_time(),
            "evaluations": self.history,
            "best": self.best,
            "saved": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }

    def checkpoint(self) -> Path:
        folder = ckpt.save_checkpoint(
            self.run_dir,
            self.model,
            self.vecnormalize,
            self.state(),
            replay=self.config["algo"] in OFF_POLICY,
        )
        self.last_checkpoint = self.model.num_timesteps
        return folder
