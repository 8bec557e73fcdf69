"""The model card (``card.md``) an exported policy ships with: what it is, how well it did, how to
run it, its interface and provenance. Rendered from its ``policy.json`` (and the run's card), one
section each."""

from __future__ import annotations

import math
from typing import Any

from robodojo.evaluation.catalog import REPORT_METRICS
from robodojo.evaluation.report import plain
from robodojo.training.card import SPEED_DEFINITION, conditions, evaluation_difficulty
from robodojo.training.export_spec import RESIDUAL_FORMULA

FOLDER = "<this folder>"


def card_markdown(
    spec: dict[str, Any], title: str, run_card: dict[str, Any] | None = None, curve: bool = False
) -> str:
    """The model card: what the policy is, how well it did, how to run it, its interface and
    provenance.

    ``run_card`` (the run's card.json) adds the final evaluation's headline
    metrics and the training time; ``curve`` links the copied learning curve.
    """
    sections = (
        _summary(spec, title),
        _evaluation(spec, run_card, curve),
        _use(spec),
        _interface(spec),
        _provenance(spec),
    )
    return "\n".join(line for section in sections for line in section)


def _summary(spec: dict[str, Any], title: str) -> list[str]:
    prov, robot, residual = spec["provenance"], spec.get("robot"), spec.get("residual")
    lines = [
        f"# {title}",
        "",
        f"{prov['algo'].upper()} policy for `{spec['env_id']}`"
        + (f", robot `{robot}`" if robot else "")
        + f", exported by robodojo {prov['robodojo_version']} on {prov['exported_at'][:10]}.",
        "",
    ]
    if residual:
        lines += [
            f"A residual policy on the scripted `{residual['base']}` controller, "
            f"scale {residual['scale']:g}: "
            f"{residual.get('formula', RESIDUAL_FORMULA)}. The ONNX is the network alone; "
            "loading it (below) composes it with the controller, built from the robot and "
            "control period in policy.json.",
            "",
        ]
    if spec.get("env_kwargs"):
        arguments = ", ".join(
            f"{name}={plain(value)}" for name, value in spec["env_kwargs"].items()
        )
        lines += [
            f"Trained on the env built with {arguments} (policy.json `env_kwargs`); "
            "`robodojo eval` builds it the same way unless told otherwise with `--env-arg`.",
            "",
        ]
    return lines


def _evaluation(spec: dict[str, Any], run_card: dict[str, Any] | None, curve: bool) -> list[str]:
    card = spec["provenance"].get("card") or {}
    lines = ["## Evaluation", ""]
    if card.get("success_rate") is not None:
        ci = card.get("ci95") or [math.nan, math.nan]
        lines.append(
            f"Success {card['success_rate']:.1%} (Wilson 95% CI {ci[0]:.1%}-{ci[1]:.1%}) over "
            f"{_where(spec, card, run_card)}; source: {card.get('source', 'the run card')}."
        )
    else:
        lines.append("The run had no evaluation card; measure it with the command below.")
    if run_card:
        metrics = run_card.get("final_evaluation", {}).get("metrics", {})
        shown = [
            f"{title} {metrics[name]['mean']:.3g}"
            for name, title in REPORT_METRICS.get(spec["env_id"], [])
            if (metrics.get(name) or {}).get("mean") is not None
        ]
        if shown:
            lines.append("Final evaluation, " + "; ".join(shown) + ".")
        training = run_card.get("training") or {}
        if training.get("steps"):
            lines.append(
                f"Trained for {training['steps']:,} steps in {training['wall_time'] / 60:.0f} min: "
                f"{training['steps_per_second']:.0f} steps/s, counting "
                f"{training.get('steps_per_second_definition', SPEED_DEFINITION)}."
            )
    if curve:
        lines += ["", "![learning curve](learning_curve.png)"]
    return lines


def _where(spec: dict[str, Any], card: dict[str, Any], run_card: dict[str, Any] | None) -> str:
    """The episodes, seeds and difficulty behind the card's success figure, from the run card:
    the final evaluation, or the best periodic one when that chose the exported checkpoint."""
    episodes = card.get("episodes", "?")
    if not run_card:
        return f"{episodes} episodes (seeds and difficulty not recorded)"
    periodic = str(card.get("source", "")).startswith("best periodic")
    record = (
        run_card.get("best_periodic_evaluation") if periodic else run_card.get("final_evaluation")
    ) or {}
    difficulty = record.get(
        "difficulty", (run_card.get("final_evaluation") or {}).get("difficulty")
    )
    if difficulty is None and run_card.get("config") is not None:
        difficulty = evaluation_difficulty(run_card["config"], spec["env_id"])
    return conditions(episodes, record.get("seeds"), difficulty)


def _use(spec: dict[str, Any]) -> list[str]:
    observes = (
        "action = policy(observation)  # the env's raw Dict observation in, action out"
        if spec["observation"].get("keys")
        else "action = policy(observation)  # raw float32 observation in, action out"
    )
    if spec.get("residual"):
        observes += (
            "\n# residual: policy.network is the bare OnnxPolicy "
            "(input [observation, base action], output correction)"
        )
    return [
        "",
        "## Use",
        "",
        "```bash",
        f"robodojo eval --policy {FOLDER} --episodes 100 --seed 0   "
        "# env and robot come from policy.json",
        "```",
        "",
        "```python",
        "from robodojo.policies.onnx_policy import OnnxPolicy",
        "",
        f'policy = OnnxPolicy.load("{FOLDER}", env=env)  '
        "# checks env id, robot, layout, joints, scaling",
        observes,
        "```",
        "",
        "Needs only `pip install 'robodojo[onnx]'` (onnxruntime): no torch, nothing unpickled. "
        "Ship `policy.onnx` +",
        "`policy.json` (+ these cards); the run's `model.zip` / `vecnormalize.pkl` are pickles "
        "for resuming training only.",
    ]


def _interface(spec: dict[str, Any]) -> list[str]:
    lines = [
        "",
        "## Interface",
        "",
        f"- Control: {spec['control_rate_hz']:g} Hz (one action every {spec['control_dt']:g} s).",
        f"- Input `observation`: float32 `[batch, {spec['observation']['size']}]`, "
        "raw (normalisation is inside the graph):",
    ]
    keys = spec["observation"].get("keys")
    if keys:
        order = ", ".join(f"{key['name']} ({key['size']})" for key in keys)
        lines.append(
            f"  the env's Dict observation with its keys concatenated in this order: {order} "
            "(`OnnxPolicy` does it for you)"
        )
    offset = 0
    for item in spec["observation"]["layout"]:
        end = offset + item["size"]
        where = f"[{item['key']}] " if keys and item.get("key") else ""
        lines.append(
            f"  - `[{offset}:{end}]` {where}{item['name']} ({item.get('unit', '')}) "
            f"— {item.get('source', '')}"
        )
        offset = end
    return lines + _action_lines(spec)


def _action_lines(spec: dict[str, Any]) -> list[str]:
    action, residual = spec["action"], spec.get("residual")
    kind = f", {action['type']}" if action.get("type") else ""
    if residual:
        lines = [
            f"- Output `correction`: float32 `[batch, {action['size']}]` in [-1, 1]; "
            f"the robot gets clip(base_action + {residual['scale']:g} · correction, -1, 1){kind}."
        ]
    else:
        lines = [
            f"- Output `action`: float32 `[batch, {action['size']}]` "
            f"in [{min(action['low']):g}, {max(action['high']):g}]{kind}."
        ]
    if action.get("joints"):
        lines.append(f"- Joint order: {', '.join(action['joints'])}.")
    if action.get("mapping"):
        lines.append(f"- Mapping: {action['mapping']}.")
    return lines


def _provenance(spec: dict[str, Any]) -> list[str]:
    prov, verification = spec["provenance"], spec["verification"]
    return [
        "",
        "## Provenance and verification",
        "",
        f"- Run `{prov['run']}` ({prov['checkpoint']} checkpoint), {prov['trained_steps']:,} steps"
        + (f", seed {prov['seed']}" if prov.get("seed") is not None else "")
        + (f", commit `{prov['git_commit']}`" if prov.get("git_commit") else "")
        + ".",
        f"- ONNX vs the SB3 policy on {verification['observations']} recorded observations: "
        f"max abs diff {verification['max_abs_diff']:.2e} "
        f"(tolerance {verification['tolerance']:g}).",
        f"- `policy.onnx` SHA-256 `{spec['onnx']['sha256']}` (checked on every load).",
        "",
    ]
