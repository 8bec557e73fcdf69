"""``robodojo export RUN_DIR``: registered by :mod:`robodojo.cli.main`; cheap to import (no
torch here).

Exit status: 0 exported and verified; 1 written but failed verification (the
spec is marked failed and will not load); 2 usage errors (no such run,
unknown algorithm, a tolerance, opset or observation count out of range, the
``train`` extra missing), on one line, before anything is written.
"""

from __future__ import annotations

import argparse
import sys

USAGE_ERROR = 2
FAILED = 1


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "export",
        help="export a trained run to policy.onnx + policy.json (the format to ship and deploy)",
        description=(
            "Export RUN_DIR's policy to ONNX with observation normalisation baked in, write its IO "
            "spec (policy.json) and a card, then check the ONNX against the SB3 policy on "
            "observations recorded from env rollouts. Needs the train extra; running the result "
            "needs only robodojo[onnx]."
        ),
    )
    parser.add_argument(
        "run_dir",
        metavar="RUN_DIR",
        help="a `robodojo train` run folder (or one of its checkpoint folders)",
    )
    parser.add_argument(
        "--checkpoint",
        choices=("best", "final"),
        help="which checkpoint (default: the one the run's card evaluated, else best, else final)",
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--out", metavar="DIR", help="output folder (default: RUN_DIR/export)")
    where.add_argument(
        "--pretrained",
        metavar="NAME",
        help="write into robodojo's policies/pretrained/NAME "
        "(to ship it; listed by `robodojo list`)",
    )
    parser.add_argument(
        "--observations",
        type=int,
        default=1000,
        metavar="N",
        help="recorded observations to verify on (default: 1000)",
    )
    parser.add_argument(
        "--tolerance",
        type=float,
        default=1e-5,
        help="max abs action difference allowed, a finite number > 0 (default: 1e-5)",
    )
    parser.add_argument(
        "--seed", type=int, default=0, help="seed of the verification rollouts (default: 0)"
    )
    parser.add_argument(
        "--opset",
        type=int,
        default=18,
        help="ONNX opset: 18 up to the highest the installed torch.onnx exporter supports "
        "(23 with torch 2.13) (default: 18)",
    )
    parser.add_argument("--env", help="env id or short name, if the run has no config.yaml")
    parser.add_argument("--robot", help="robot, if the run has no config.yaml")
    parser.add_argument("--algo", help="ppo, a2c, sac or tqc, if the run has no config.yaml")
    parser.set_defaults(run=cmd_export)


def cmd_export(args: argparse.Namespace) -> int:
    try:
        from robodojo.training import export
    except ImportError as error:
        print(
            f"robodojo export: error: export needs the train extra ({error.name} is missing): "
            "pip install 'robodojo[train]'",
            file=sys.stderr,
        )
        return USAGE_ERROR
    try:
        export.check_arguments(args.tolerance, args.opset, args.observations, flag="--")
        out = export.pretrained_folder(args.pretrained) if args.pretrained else args.out
        result = export.export_run(
            args.run_dir,
            out=out,
            checkpoint=args.checkpoint,
            observations=args.observations,
            tolerance=args.tolerance,
            seed=args.seed,
            opset=args.opset,
            title=args.pretrained,
            env_id=args.env,
            robot=args.robot,
            algo=args.algo,
        )
    except export.VerificationError as error:
        print(f"robodojo export: FAILED: {error}", file=sys.stderr)
        return FAILED
    except export.ExportError as error:
        print(f"robodojo export: error: {error}", file=sys.stderr)
        return USAGE_ERROR
    except ImportError as error:
        print(
            f"robodojo export: error: {error.name or error} is missing: "
            "pip install 'robodojo[train]'",
            file=sys.stderr,
        )
        return USAGE_ERROR
    spec, verification = result.spec, result.spec["verification"]
    print(
        f"exported {spec['provenance']['algo']} policy for {spec['env_id']} ({spec['robot']}) "
        f"to {result.directory}"
    )
    width = max(map(len, result.files))
    for name, size in result.files.items():
        print(f"  {name:<{width}}  {size / 1024:8.1f} KiB")
    print(
        f"  verified: max abs diff {verification['max_abs_diff']:.2e} on "
        f"{verification['observations']} recorded observations "
        f"(tolerance {verification['tolerance']:g}); "
        f"{verification['random_max_abs_diff']:.2e} on "
        f"{verification['random_observations']} random ones"
    )
    print(f"  sha256 {spec['onnx']['sha256']}")
    print(
        f"evaluate it (torch not needed): robodojo eval --policy {result.directory} --episodes 100"
    )
    return 0
