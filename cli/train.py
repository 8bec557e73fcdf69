"""``robodojo train``: the command-line face of :mod:`robodojo.training.train`.

Cheap to import (argparse only): torch and Stable-Baselines3 load when the
command runs, after a one-line check that the ``train`` extra is installed.
Exit status: 0 done, 2 usage or configuration error (one line, no traceback),
130 interrupted (the run folder can be resumed).
"""

from __future__ import annotations

import argparse
import importlib.util
import sys

USAGE_ERROR = 2
INTERRUPTED = 130
INSTALL_HINT = "pip install 'robodojo[train]'"
#: Import name -> distribution, for the missing-extra message.
TRAIN_MODULES = {
    "stable_baselines3": "stable-baselines3",
    "torch": "torch",
    "yaml": "pyyaml",
    "tqdm": "tqdm",
    "tensorboard": "tensorboard",
    "matplotlib": "matplotlib",
}


def _positive(text: str) -> int:
    """A whole number >= 1; 3e6 and 3_000_000 are accepted too."""
    try:
        value = float(text.replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if not value.is_integer() or value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 1, got {text}")
    return int(value)


def _non_negative(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {text}")
    return value


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "train",
        help="train a policy with Stable-Baselines3 (needs robodojo[train])",
        description=(
            "Train on SCENARIO with the defaults in training/configs/<scenario>.yaml, overridden "
            "by --config, then --set, then the flags. Writes a run folder (config, manifest, "
            "TensorBoard logs, checkpoints, best and final models, report card, learning curve, "
            "video). --resume RUN_DIR continues a run from its latest checkpoint, e.g. after the "
            "process was killed."
        ),
    )
    parser.add_argument(
        "scenario", nargs="?", metavar="SCENARIO", help="scenario name or id, e.g. fall_recovery"
    )
    parser.add_argument("--robot", help="robot name (default: the config's)")
    parser.add_argument(
        "--algo", choices=("ppo", "sac", "tqc"), help="algorithm (default: the config's)"
    )
    parser.add_argument(
        "--steps",
        type=_positive,
        metavar="N",
        help="total training steps (with --resume: a new total)",
    )
    parser.add_argument(
        "--n-envs", type=_positive, metavar="K", help="worker processes (worker i gets seed S+i)"
    )
    parser.add_argument("--seed", type=_non_negative, metavar="S", help="training seed")
    parser.add_argument(
        "--config", metavar="FILE", help="YAML file merged over the scenario's defaults"
    )
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override one config value, e.g. --set algo_kwargs.ppo.n_steps=512 (repeatable)",
    )
    parser.add_argument(
        "--resume", metavar="RUN_DIR", help="continue this run folder from its last checkpoint"
    )
    parser.add_argument(
        "--out", default="runs", metavar="DIR", help="where run folders go (default: runs/)"
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bar or summary")
    parser.set_defaults(run=run)
    return parser


def missing_extra() -> list[str]:
    """Distributions of the ``train`` extra that cannot be imported here."""
    missing = []
    for module, distribution in TRAIN_MODULES.items():
        try:
            found = importlib.util.find_spec(module) is not None
        except (ImportError, ValueError):
            found = False
        if not found:
            missing.append(distribution)
    return missing


def _error(message: str) -> int:
    print(f"robodojo train: error: {message}", file=sys.stderr)
    return USAGE_ERROR


def run(args: argparse.Namespace) -> int:
    missing = missing_extra()
    if missing:
        return _error(f"training needs {', '.join(missing)} (not installed): {INSTALL_HINT}")
    from robodojo.training.config import (
        ConfigError,
        build_config,
    )  # torch-free, but imports the physics
    from robodojo.training.train import resume, train

    command = [sys.argv[0], *sys.argv[1:]]
    try:
        if args.resume:
            given = [
                name
                for name, value in (
                    ("SCENARIO", args.scenario),
                    ("--robot", args.robot),
                    ("--algo", args.algo),
                    ("--n-envs", args.n_envs),
                    ("--seed", args.seed),
                    ("--config", args.config),
                    ("--set", args.set or None),
                )
                if value is not None
            ]
            if given:
                return _error(
                    "--resume continues the run's own config.yaml; only --steps may change it, "
                    f"not {', '.join(given)}"
                )
            resume(args.resume, args.steps, command=command, quiet=args.quiet)
        else:
            if not args.scenario:
                return _error(
                    "give a SCENARIO (e.g. fall_recovery; see `robodojo list`) or --resume RUN_DIR"
                )
            config = build_config(
                args.scenario,
                args.config,
                args.set,
                robot=args.robot,
                algo=args.algo,
                total_steps=args.steps,
                n_envs=args.n_envs,
                seed=args.seed,
            )
            train(config, args.out, command=command, quiet=args.quiet)
    except ConfigError as error:
        return _error(str(error))
    except KeyboardInterrupt:
        print(
            "\nrobodojo train: interrupted; continue with `robodojo train --resume RUN_DIR`",
            file=sys.stderr,
        )
        return INTERRUPTED
    return 0
