"""The ``robodojo`` command: ``list`` and ``eval`` here; ``train``, ``export``, ``sim-robot`` and
``deploy`` in their own modules, each registering its subcommand.

Exit status: 0 on success; 1 when ``eval`` finishes below ``--min-success``
(so CI can tell "the agent is not good enough" apart from "the job is
broken"); 2 for usage errors — bad arguments (argparse), unknown env, robot or
policy names, missing optional extras — reported on one line, no traceback.
"""

from __future__ import annotations

import argparse
import ast
import math
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from robodojo.cli import bridge, export, train

USAGE_ERROR = 2
BELOW_BAR = 1

#: Subcommands that live in their own modules. Each stays cheap to import (no torch, no DDS at
#: import time) and provides ``add_parser(subparsers)``, which registers the command and sets
#: ``run=`` (a function of the parsed args returning the exit status).
COMMAND_MODULES = (train, export, bridge)


def parse_env_arg(text: str) -> tuple[str, Any]:
    """``KEY=VALUE`` → (key, value), the value read as a Python literal when it is one.

    ``episode_seconds=2`` gives 2, ``reward_weights={'energy': 0}`` a dict,
    ``robot=a1`` the string "a1". Lower-case true/false/none are accepted
    too, since that is what people type in shells and CI files.
    """
    key, sep, raw = text.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    lowered = {
        "true": True,
        "false": False,
        "none": None,
        "null": None,
        "nan": math.nan,
        "inf": math.inf,
        "-inf": -math.inf,
    }
    if raw.strip().lower() in lowered:
        return key.strip(), lowered[raw.strip().lower()]
    try:
        return key.strip(), ast.literal_eval(raw)
    except (ValueError, SyntaxError):
        return key.strip(), raw


def fraction(text: str) -> float:
    # Values above 1 are allowed on purpose: an unreachable bar is how CI tests its failure path.
    value = float(text)
    if not value >= 0.0:  # also rejects NaN
        raise argparse.ArgumentTypeError(f"must be a fraction >= 0, got {text}")
    return value


def _whole_number(text: str, low: int) -> int:
    try:
        value = int(text)
    except ValueError:
        value = low - 1
    if value < low:
        raise argparse.ArgumentTypeError(f"must be a whole number >= {low}, got {text!r}")
    return value


def positive_int(text: str) -> int:
    return _whole_number(text, 1)


def non_negative_int(text: str) -> int:
    return _whole_number(text, 0)


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (the message and where to look), not the usage
    block: the same shape as every other robodojo error. Subcommand parsers inherit it."""

    def error(self, message: str) -> NoReturn:
        self.exit(USAGE_ERROR, f"{self.prog}: error: {message} (see `{self.prog} --help`)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog="robodojo", description="robodojo: robot scenarios on PyBullet.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    commands.add_parser("list", help="list environments, robots and policies").set_defaults(
        run=lambda args: cmd_list()
    )

    ev = commands.add_parser(
        "eval",
        help="evaluate a policy headlessly",
        description="Run N episodes (seeds S..S+N-1) and print success rate (Wilson 95% CI), "
        "return and episode metrics.",
    )
    ev.add_argument(
        "--env",
        help="environment id or short name (see `robodojo list`); "
        "optional for an exported policy, whose spec names its env",
    )
    ev.add_argument(
        "--robot",
        help="robot name (default: the exported policy's robot, else the env's default robot)",
    )
    ev.add_argument(
        "--env-arg",
        action="append",
        default=[],
        type=parse_env_arg,
        metavar="KEY=VALUE",
        help="env constructor argument, value parsed as a Python literal if possible (repeatable)",
    )
    ev.add_argument(
        "--policy",
        default="scripted",
        help="random, scripted, a controller or pretrained policy name, or an exported policy "
        "(.onnx, its .json, or their folder; runs with onnxruntime only) (default: scripted)",
    )
    ev.add_argument(
        "--episodes", type=positive_int, default=10, help="number of episodes (default: 10)"
    )
    ev.add_argument(
        "--seed", type=non_negative_int, default=0, help="episode i uses seed SEED+i (default: 0)"
    )
    ev.add_argument(
        "--video", metavar="FILE", help="write an MP4 of the first episodes (needs robodojo[video])"
    )
    ev.add_argument(
        "--video-realtime",
        action="store_true",
        help="film every real-time frame (25 fps) instead of a cheaper time-lapse; "
        "filming then costs ~20-45x the evaluation itself",
    )
    ev.add_argument(
        "--video-episodes",
        type=non_negative_int,
        default=3,
        metavar="K",
        help="episodes to film (default: 3)",
    )
    ev.add_argument("--json", metavar="FILE", help="write the full results as JSON")
    ev.add_argument(
        "--min-success",
        type=fraction,
        metavar="X",
        help="exit with status 1 if the success rate is below X",
    )
    ev.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    ev.set_defaults(run=cmd_eval)
    for module in COMMAND_MODULES:
        module.add_parser(commands)
    return parser


def cmd_list() -> int:
    from robodojo.evaluation.catalog import describe_everything, scripted_default

    catalogue = describe_everything()
    print("Environments:")
    for env in catalogue["environments"]:
        robots = (
            ", ".join(f"{r} (default)" if r == env["default_robot"] else r for r in env["robots"])
            or "-"
        )
        print(f"  {env['id']}  [{env['short_name']}]")
        print(f"      {env['description']}")
        print(f"      robots:   {robots}")
        scripted = scripted_default(env["id"])
        shipped_names = {entry["name"] for entry in env["pretrained"]}
        policies = [
            f"scripted (= {scripted})" if p == "scripted" and scripted else p
            for p in env["policies"]
            if p not in shipped_names
        ]
        print(f"      policies: {', '.join(policies)}")
        shipped = env["pretrained"]
        print(f"      pretrained: {'' if shipped else 'none shipped yet'}".rstrip())
        for entry in shipped:
            print(f"        {entry['name']}  ({entry['description']})")
    print("\nRobots:")
    rows = [("name", "kind", "mass (kg)", "joints", "")]
    rows += [
        (
            r["name"],
            r["kind"],
            f"{r['mass']:.2f}" if r["mass"] else "-",
            str(r["joints"]),
            r["detail"],
        )
        for r in catalogue["robots"]
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    for row in rows:
        print(
            "  "
            + "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    # Imported here so `robodojo --help` and `robodojo list` stay quick and argparse errors need no
    # physics.
    from robodojo.evaluation.evaluate import EvalConfigError, evaluate
    from robodojo.evaluation.files import check_output_file, write_json
    from robodojo.evaluation.progress import ProgressBar
    from robodojo.evaluation.report import format_summary
    from robodojo.evaluation.video import FRAME_BUDGET_PER_SIM_SECOND, MissingExtraError

    env_kwargs = dict(args.env_arg)
    try:  # before the evaluation, so its results are never lost to a bad path
        if args.json:
            check_output_file(args.json, "--json")
        if args.video:
            check_output_file(args.video, "--video", ".mp4")
    except ValueError as error:
        print(f"robodojo eval: error: {error}", file=sys.stderr)
        return USAGE_ERROR
    bar = ProgressBar(
        args.episodes, label=f"{args.env or ''} {args.policy}".strip(), enabled=not args.quiet
    )
    try:
        result = evaluate(
            args.env,
            args.policy,
            args.episodes,
            args.seed,
            robot=args.robot,
            env_kwargs=env_kwargs,
            video_path=args.video,
            video_episodes=args.video_episodes,
            video_budget=math.inf if args.video_realtime else FRAME_BUDGET_PER_SIM_SECOND,
            on_episode=lambda r: bar.update(r.success),
            on_step=bar.step,  # filmed or long episodes move the bar while they run
        )
    except (EvalConfigError, MissingExtraError) as error:
        bar.close()
        print(f"robodojo eval: error: {error}", file=sys.stderr)
        return USAGE_ERROR
    bar.close()
    print(format_summary(result))
    if args.json:
        write_json(args.json, {**result.to_dict(), "min_success": args.min_success})
        print(f"results written to {args.json}")
    if args.min_success is not None and result.success_rate < args.min_success:
        print(
            f"FAIL: success rate {result.success_rate:.1%} is below "
            f"--min-success {args.min_success:.1%}",
            file=sys.stderr,
        )
        return BELOW_BAR
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
