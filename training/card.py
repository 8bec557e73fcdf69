"""What a finished run reports: evaluation records, the report card and the learning curve.

``card.json`` holds the final evaluation (success rate with its Wilson 95 %
interval, return, scenario metric means; its seeds and difficulty), training
steps, wall time and speed (:data:`SPEED_DEFINITION`), the
algorithm, robot, seed, the residual setting (base controller and scale, or
null: a residual run is evaluated composed with its base) and the resolved
config; ``card.md`` is the short human version, linking ``learning_curve.png``
(success rate and return of the periodic evaluations against training steps)
and ``eval.mp4``.
"""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any

from robodojo.evaluation import catalog
from robodojo.evaluation.evaluate import EvalResult
from robodojo.evaluation.files import write_json
from robodojo.evaluation.report import mean_std, percent, plural, success_cell
from robodojo.policies import resolve_controller
from robodojo.training.config import describe_residual

CARD_JSON, CARD_MD, CURVE_PNG, VIDEO = "card.json", "card.md", "learning_curve.png", "eval.mp4"
#: What ``training.steps_per_second`` (and the progress bar's steps/s) measures.
SPEED_DEFINITION = (
    "env steps summed over workers, per second of training wall time, rollouts, updates, "
    "periodic evaluations and checkpoints included, the final evaluation not"
)


def evaluation_difficulty(config: dict[str, Any], env_id: str) -> float | None:
    """The terrain / seam difficulty every evaluation ran at (``env_kwargs.difficulty``, else the
    env's default; evaluations never use the training curriculum), or None for an env without
    one."""
    parameters = catalog.env_parameters(env_id)
    if "difficulty" not in parameters:
        return None
    return float(
        (config.get("env_kwargs") or {}).get("difficulty", parameters["difficulty"].default)
    )


def conditions(episodes: Any, seeds: Any, difficulty: float | None) -> str:
    """Where a success figure comes from: "100 episodes, seeds 0-99, difficulty 0.25"."""
    text = plural(episodes, "episode") if isinstance(episodes, int) else f"{episodes} episodes"
    if seeds:
        text += f", seeds {seeds[0]}-{seeds[1]}"
    return text + (
        f", difficulty {difficulty:g}" if difficulty is not None else ", no difficulty setting"
    )


def eval_record(result: EvalResult, step: int, wall_time: float) -> dict[str, Any]:
    """One line of ``evaluations.json``: what an evaluation at ``step`` training steps saw."""
    summary = result.summary()
    return {
        "step": int(step),
        "wall_time": float(wall_time),
        "episodes": summary["episodes"],
        "seeds": [result.seeds[0], result.seeds[-1]],
        "successes": summary["successes"],
        "success_rate": summary["success_rate"],
        "success_ci95": summary["success_ci95"],
        "return_mean": summary["return_mean"],
        "return_std": summary["return_std"],
        "metrics": {name: metric["mean"] for name, metric in summary["metrics"].items()},
        "eval_seconds": result.wall_time,
    }


def score(record: dict[str, Any]) -> tuple[float, float]:
    """Ordering for best/: success rate first, then mean return."""
    ret = record["return_mean"]
    return record["success_rate"], ret if math.isfinite(ret) else -math.inf


def write_card(
    run_dir: Path,
    config: dict[str, Any],
    result: EvalResult,
    training: dict[str, Any],
    evaluations: list[dict[str, Any]],
    best: dict[str, Any] | None,
    video: str | None,
) -> dict[str, Any]:
    """card.json and card.md in ``run_dir``; returns the card."""
    summary = result.summary()
    difficulty = evaluation_difficulty(config, result.env_id)
    card = {
        "scenario": config["scenario"],
        "env_id": result.env_id,
        "robot": result.robot,
        "algo": config["algo"],
        "seed": config["seed"],
        "model": "final/model.zip",
        "residual": residual_record(config, result.env_id),
        "final_evaluation": {
            "episodes": summary["episodes"],
            "seeds": [result.seeds[0], result.seeds[-1]],
            "success_rate": summary["success_rate"],
            "success_ci95": summary["success_ci95"],
            "successes": summary["successes"],
            "return_mean": summary["return_mean"],
            "return_std": summary["return_std"],
            "length_mean": summary["length_mean"],
            "metrics": summary["metrics"],
            "physics_errors": summary["physics_errors"],
            "deterministic": True,
            "difficulty": difficulty,
            "env_kwargs": config["env_kwargs"],
        },
        # steps, wall_time, steps_per_second, sessions
        "training": {**training, "steps_per_second_definition": SPEED_DEFINITION},
        "best_periodic_evaluation": None if best is None else {**best, "difficulty": difficulty},
        "periodic_evaluations": len(evaluations),
        "learning_curve": CURVE_PNG,
        "video": video,
        "config": config,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "robodojo_version": result.robodojo_version,
    }
    write_json(run_dir / CARD_JSON, card)
    (run_dir / CARD_MD).write_text(card_markdown(card, summary))
    return card


def residual_record(config: dict[str, Any], env_id: str) -> dict[str, Any] | None:
    """For a residual run: base (as configured), the controller it stands for, scale and a one-line
    description."""
    residual = config.get("residual")
    if not residual:
        return None
    return {
        **residual,
        "controller": resolve_controller(residual["base"], env_id),
        "description": describe_residual(residual, env_id),
        "evaluated": "the composed policy (ResidualPolicy)",
    }


def card_markdown(card: dict[str, Any], summary: dict[str, Any]) -> str:
    final, training = card["final_evaluation"], card["training"]
    minutes = training["wall_time"] / 60.0
    took = f"{minutes / 60:.2f} h" if minutes >= 60 else f"{minutes:.1f} min"
    rows = [
        ("success rate (Wilson 95% CI)", success_cell(summary)),
        ("return", mean_std(summary["return_mean"], summary["return_std"])),
    ]
    for name, metric in summary["metrics"].items():
        over = (
            "" if metric["over"] == "all episodes" else f" (over {metric['over']}, n={metric['n']})"
        )
        rows.append(
            (name, (mean_std(metric["mean"], metric["std"]) if metric["n"] else "n/a") + over)
        )
    residual = card.get("residual")
    lines = [f"# {card['algo'].upper()} on {card['env_id']} ({card['robot']})", ""]
    if residual:
        lines += [
            f"Residual policy on the scripted `{residual['controller']}` controller, "
            f"scale {residual['scale']:g}: "
            "the network sees the observation and the controller's action and outputs "
            "a correction r in [-1, 1]; "
            f"the robot gets clip(base + {residual['scale']:g} r, -1, 1). "
            "Every evaluation here ran that composed policy.",
            "",
        ]
    her = (card.get("config") or {}).get("her")
    if her:
        lines += [
            "Trained with hindsight experience replay (SB3's HerReplayBuffer: "
            + ", ".join(f"{key} {value}" for key, value in her.items())
            + ") on the goal-conditioned observation.",
            "",
        ]
    model = "`final/model.zip`" + (f" on top of `{residual['controller']}`" if residual else "")
    difficulty = final.get("difficulty")
    lines += [
        f"Final evaluation of {model}: "
        f"{conditions(final['episodes'], final['seeds'], difficulty)}, deterministic actions.",
        "",
        "| measure | value |",
        "|---|---|",
        *(f"| {name} | {value} |" for name, value in rows),
        "",
        f"Training: {training['steps']:,} steps in {took} ({training['wall_time']:.0f} s, "
        f"{training['steps_per_second']:.0f} steps/s), seed {card['seed']}, "
        f"{training['sessions']} session(s). Steps/s counts {SPEED_DEFINITION}, over every "
        "session (the progress bar shows the same for its session).",
    ]
    best = card["best_periodic_evaluation"]
    if best:
        lines += [
            "",
            f"Best periodic evaluation (`best/`): {percent(best['success_rate'])} success, return "
            f"{best['return_mean']:.2f} at step {best['step']:,} "
            f"({conditions(best['episodes'], best.get('seeds'), difficulty)}).",
        ]
    lines += ["", f"![learning curve]({CURVE_PNG})"]
    if card["video"]:
        lines += ["", f"Video of the first evaluation episodes: [{card['video']}]({card['video']})"]
    lines += [
        "",
        "Full configuration: `config.yaml`; environment and versions: `manifest.json`.",
        "",
    ]
    return "\n".join(lines)


def plot_learning_curve(
    path: Path,
    evaluations: list[dict[str, Any]],
    final: dict[str, Any] | None,
    title: str,
    metric: tuple[str, str] | None = None,
) -> None:
    """Success rate (with its 95 % interval), mean return and, if given, one episode ``metric``
    (name, title: e.g. time to stand) of each evaluation against training steps.

    The metric panel matters when success saturates early (a residual policy
    stands from the first evaluation on; what it learns is to stand sooner).
    """
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    panels = 3 if metric else 2
    fig, axes = plt.subplots(panels, 1, figsize=(7, 2.75 * panels), sharex=True)
    top, bottom = axes[0], axes[1]
    steps = [e["step"] for e in evaluations]
    if evaluations:
        top.plot(
            steps,
            [100 * e["success_rate"] for e in evaluations],
            "o-",
            color="tab:blue",
            label="periodic evaluation",
        )
        top.fill_between(
            steps,
            [100 * e["success_ci95"][0] for e in evaluations],
            [100 * e["success_ci95"][1] for e in evaluations],
            color="tab:blue",
            alpha=0.2,
            label="95% CI",
        )
        bottom.plot(
            steps,
            [e["return_mean"] for e in evaluations],
            "o-",
            color="tab:green",
            label="periodic evaluation",
        )
    if final is not None:
        low, high = final["success_ci95"]
        rate = 100 * final["success_rate"]
        top.errorbar(
            [final["step"]],
            [rate],
            yerr=[[max(0.0, rate - 100 * low)], [max(0.0, 100 * high - rate)]],
            fmt="s",
            color="tab:red",
            capsize=4,
            label=f"final ({plural(final['episodes'], 'episode')})",
        )
        bottom.plot([final["step"]], [final["return_mean"]], "s", color="tab:red", label="final")
    if metric:
        name, label = metric
        panel = axes[2]
        panel.plot(
            steps,
            [e["metrics"].get(name, float("nan")) for e in evaluations],
            "o-",
            color="tab:purple",
            label="periodic evaluation",
        )
        if final is not None and name in final.get("metrics", {}):
            panel.plot(
                [final["step"]], [final["metrics"][name]], "s", color="tab:red", label="final"
            )
        panel.set_ylabel(label)
    top.set_ylabel("success rate (%)")
    top.set_ylim(-5, 105)
    bottom.set_ylabel("mean return")
    axes[-1].set_xlabel("training steps")
    for axis in axes:
        axis.grid(alpha=0.3)
        axis.legend(loc="best", fontsize=8)
    top.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
