"""``robodojo sim-robot`` and ``robodojo deploy``: registered by :mod:`robodojo.cli.main` (cheap
to import).

Exit status: 0 ran and stopped normally; 2 usage errors (bad arguments, a policy
that cannot be loaded or does not fit, a transport that is not installed).
"""

from __future__ import annotations

import argparse
import math
import signal
import sys

USAGE_ERROR = 2
DEFAULT_CONTROLLER = "forward_position_controller"


def _transport_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--transport",
        choices=("auto", "dds", "rclpy"),
        default="auto",
        help="rclpy (a ROS 2 installation's own node), dds (plain CycloneDDS, wire-compatible with "
        "rmw_cyclonedds; needs robodojo[ros]) or auto: rclpy if importable, else dds (default)",
    )
    parser.add_argument(
        "--domain", type=int, default=None, help="DDS domain id (default: $ROS_DOMAIN_ID, else 0)"
    )
    parser.add_argument(
        "--controller",
        default=DEFAULT_CONTROLLER,
        help=f"the forward command controller's name: commands go to /<controller>/commands "
        f"(default: {DEFAULT_CONTROLLER})",
    )
    parser.add_argument(
        "--joint-states-topic",
        default="/joint_states",
        metavar="TOPIC",
        help="sensor_msgs/JointState topic (default: /joint_states, joint_state_broadcaster's)",
    )
    parser.add_argument(
        "--imu-topic",
        default="/imu",
        metavar="TOPIC",
        help="sensor_msgs/Imu topic (default: /imu; ros2_control's imu_sensor_broadcaster "
        "publishes /imu_sensor_broadcaster/imu)",
    )


def add_parser(commands: argparse._SubParsersAction) -> None:
    sim = commands.add_parser(
        "sim-robot",
        help="PyBullet plays the robot's ROS 2 driver (rehearse a deployment on the real topics)",
        description=(
            "Simulate ROBOT in SCENARIO and act as its driver in real time: publish /joint_states "
            "and /imu at the control rate, apply Float64MultiArray commands from "
            "/<controller>/commands as PD targets, and report (--status) whether it stood up."
        ),
    )
    sim.add_argument("--robot", default="a1", help="robot (default: a1)")
    sim.add_argument(
        "--scenario",
        default="fall_recovery",
        help="scenario short name or env id (default: fall_recovery)",
    )
    sim.add_argument("--seed", type=int, default=None, help="seed of the fall (default: random)")
    sim.add_argument(
        "--joints",
        metavar="J1,J2,...",
        help="the controller's joint order, used for /joint_states and for reading commands "
        "(default: the robot's order FR, FL, RR, RL x hip, thigh, calf)",
    )
    sim.add_argument(
        "--status",
        metavar="FILE",
        help="write a JSON status (stood, time to stand, real-time keeping) here",
    )
    sim.add_argument("--duration", type=float, metavar="S", help="stop after S simulated seconds")
    sim.add_argument(
        "--exit-after-stand",
        type=float,
        metavar="S",
        help="stop S seconds after the robot has stood (the env's success)",
    )
    _transport_args(sim)
    sim.set_defaults(run=cmd_sim_robot)

    dep = commands.add_parser(
        "deploy",
        help="run an exported policy on ROS 2 topics, behind a safety layer",
        description=(
            "Read the policy's IO spec, build observations from /joint_states and /imu (joints "
            "mapped by name), run the policy at its control rate and publish joint targets on "
            "/<controller>/commands behind the safety layer: operator enable, soft start, per-step "
            "change limit, joint-limit clamp, NaN guard, watchdog, e-stop (/robodojo/estop) and an "
            "attitude e-stop (per scenario). Nothing is sent until enabled."
        ),
    )
    dep.add_argument(
        "--policy",
        required=True,
        help="exported policy (.onnx, its .json or their folder), a pretrained name, or 'scripted'",
    )
    dep.add_argument("--env", help="scenario for --policy scripted (default: fall_recovery)")
    dep.add_argument(
        "--robot",
        help="robot for --policy scripted (default: a1); checked against an exported policy",
    )
    dep.add_argument(
        "--dry-run",
        action="store_true",
        help="compute and log commands (console once a second; every one with --log), never "
        "publish them; runs as if enabled, since nothing is sent",
    )
    dep.add_argument(
        "--enable",
        action="store_true",
        help="start enabled (otherwise wait for true on /robodojo/enable)",
    )
    dep.add_argument(
        "--command-joints",
        metavar="J1,J2,...|FILE.yaml",
        help="the controller's joint order (comma list, or a ros2_control controllers YAML whose "
        "<controller>.ros__parameters.joints is read); default: the policy's order",
    )
    dep.add_argument(
        "--allow-extra-joints",
        action="store_true",
        help="accept JointStates naming joints the policy does not use (ignored); "
        "default: reject them",
    )
    dep.add_argument(
        "--soft-start",
        type=float,
        default=None,
        metavar="S",
        help="ramp from the measured pose to the policy's targets over S seconds (default: 0.5)",
    )
    dep.add_argument(
        "--max-joint-speed",
        type=float,
        metavar="RAD_S",
        help="tighter per-step change limit, rad/s (default: the policy's max_target_speed)",
    )
    dep.add_argument(
        "--limit-margin",
        type=float,
        default=0.0,
        metavar="RAD",
        help="clamp targets this far inside the joint limits (default: 0)",
    )
    dep.add_argument(
        "--watchdog-periods",
        type=float,
        default=None,
        metavar="N",
        help="state older than N control periods trips the watchdog (default: 2.5)",
    )
    dep.add_argument(
        "--watchdog-action",
        choices=("damp", "hold"),
        default="damp",
        help="damp: targets = measured positions; hold: keep the last command (default: damp)",
    )
    dep.add_argument(
        "--latch-watchdog",
        action="store_true",
        help="after a watchdog trip, wait for a re-enable instead of resuming when state returns",
    )
    tilt = dep.add_mutually_exclusive_group()
    tilt.add_argument(
        "--tilt-limit",
        type=float,
        metavar="DEG",
        help="attitude e-stop: damp beyond this tilt "
        "(default: per scenario; off for fall_recovery)",
    )
    tilt.add_argument("--no-tilt-limit", action="store_true", help="turn the attitude e-stop off")
    dep.add_argument("--duration", type=float, metavar="S", help="stop after S seconds")
    dep.add_argument(
        "--log", metavar="FILE", help="append JSON lines here: every event, and every command"
    )
    dep.add_argument(
        "--log-steps",
        action="store_true",
        help="with --log, record every command (always on in --dry-run)",
    )
    _transport_args(dep)
    dep.set_defaults(run=cmd_deploy)


def cmd_sim_robot(args: argparse.Namespace) -> int:
    from robodojo.bridge.sim_robot import run_sim_robot

    try:
        return run_sim_robot(args)
    except (ValueError, ImportError) as error:
        print(f"robodojo sim-robot: error: {error}", file=sys.stderr)
        return USAGE_ERROR


def read_command_joints(text: str | None, controller: str) -> list[str] | None:
    """``--command-joints``: a comma list, or the ``joints`` of ``controller`` in a ros2_control
    YAML file."""
    if not text:
        return None
    if text.endswith((".yaml", ".yml")):
        try:
            import yaml
        except ImportError:
            raise ValueError(
                "reading a controllers YAML needs pyyaml (pip install pyyaml), or pass a comma list"
            ) from None
        try:
            with open(text, encoding="utf-8") as handle:
                data = yaml.safe_load(handle) or {}
        except OSError as error:
            raise ValueError(f"cannot read {text}: {error}") from None
        joints = ((data.get(controller) or {}).get("ros__parameters") or {}).get("joints")
        if not isinstance(joints, list) or not joints:
            raise ValueError(f"{text} has no {controller}: ros__parameters: joints: [...]")
        return [str(j) for j in joints]
    return [j.strip() for j in text.split(",") if j.strip()]


def cmd_deploy(args: argparse.Namespace) -> int:
    try:
        from robodojo.bridge.connect import open_transport
        from robodojo.bridge.deploy_node import DeployNode, EventLog
        from robodojo.bridge.deploy_policy import build_core, load_policy_for_deploy
        from robodojo.bridge.safety import DEFAULT_SOFT_START_SECONDS, STALE_PERIODS, SafetyConfig

        loaded = load_policy_for_deploy(args.policy, env=args.env, robot=args.robot)
        tilt: float | str | None = "scenario"
        if args.no_tilt_limit:
            tilt = None
        elif args.tilt_limit is not None:
            tilt = args.tilt_limit
        config = SafetyConfig.for_spec(
            loaded.spec,
            soft_start_seconds=DEFAULT_SOFT_START_SECONDS
            if args.soft_start is None
            else args.soft_start,
            max_joint_speed=args.max_joint_speed,
            limit_margin=args.limit_margin,
            stale_periods=STALE_PERIODS if args.watchdog_periods is None else args.watchdog_periods,
            watchdog_action=args.watchdog_action,
            latch_watchdog=args.latch_watchdog,
            tilt_limit_deg=tilt,
        )
        command_joints = read_command_joints(args.command_joints, args.controller)
        core = build_core(
            loaded,
            config,
            command_joints=command_joints,
            enabled=args.enable or args.dry_run,
            allow_extra_joints=args.allow_extra_joints,
        )
        transport = open_transport(args.transport, args.domain, node_name="robodojo_deploy")
    except (ValueError, ImportError) as error:
        print(f"robodojo deploy: error: {error}", file=sys.stderr)
        return USAGE_ERROR
    log = EventLog(path=args.log)
    try:
        node = DeployNode(
            core,
            transport,
            controller=args.controller,
            dry_run=args.dry_run,
            log=log,
            log_steps=args.log_steps,
            joint_states_topic=args.joint_states_topic,
            imu_topic=args.imu_topic,
        )
        print(
            f"deploy: {loaded.description} at {1 / config.control_dt:g} Hz via {transport.name} "
            f"(domain {getattr(transport, 'domain', '?')}); commands "
            f"{'NOT published (dry run)' if args.dry_run else 'on ' + node.command_topic} "
            f"for {', '.join(core.command_joints)}",
            file=sys.stderr,
            flush=True,
        )
        enable = (
            "not needed (dry run: nothing is sent)"
            if args.dry_run
            else "given (--enable)"
            if args.enable
            else "required: publish true on /robodojo/enable"
        )
        print(
            f"deploy: safety: operator enable {enable}; {config.describe()}",
            file=sys.stderr,
            flush=True,
        )
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: node.stop())
        return node.run(
            duration=args.duration
            if args.duration is not None and math.isfinite(args.duration)
            else None
        )
    finally:
        log.close()
        transport.close()
