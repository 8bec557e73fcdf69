"""Measure a robot spec's facts in simulation (used to fill and test the spec files).

Run ``python -m robodojo.robots.calibrate [ROBOT ...]`` to print them, and
``python -m robodojo.robots.calibrate ROBOT --keyframes [--trials N --starts K --seed S]``
to search the self-righting keyframes (see :func:`search_keyframe`).
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass

import numpy as np

from robodojo.physics import Sim
from robodojo.robots.quadruped import Quadruped, QuadrupedSpec
from robodojo.robots.registry import get_robot_spec, robot_names

PHYSICS_DT = 0.004


def _standing_sim(
    spec: QuadrupedSpec, start_pose: np.ndarray, base_height: float
) -> tuple[Sim, Quadruped]:
    sim = Sim(PHYSICS_DT)
    sim.load_urdf("plane.urdf")
    robot = Quadruped(spec)
    robot.load(sim)
    robot.reset([0.0, 0.0, base_height], [0.0, 0.0, 0.0, 1.0], start_pose)
    return sim, robot


def measure_standing_height(spec: QuadrupedSpec, seconds: float = 3.0) -> float:
    """Base height after holding ``home`` on flat ground under the spec's gains.

    The robot starts with its feet 1 cm above the ground: a drop from higher up
    can leave a short robot sitting on its hind legs.
    """
    sim, robot = _standing_sim(spec, spec.home, base_height=0.6)
    robot.move_base([0.0, 0.0, 0.61 - robot.lowest_point()], [0.0, 0.0, 0.0, 1.0])
    robot.set_targets(spec.home)
    for _ in range(int(seconds / PHYSICS_DT)):
        robot.step_physics()
    height = float(robot.base_pose()[0][2])
    sim.close()
    return height


def stand_from_belly(
    spec: QuadrupedSpec, ramp_seconds: float = 0.5, hold_seconds: float = 2.0
) -> dict[str, float]:
    """Lie the robot on its belly, legs tucked, ramp the targets to home; report the outcome.

    This is the actuation check: under its gains and torque limits a robot
    must be able to push its own weight from the ground to standing.
    """
    sim, robot = _standing_sim(spec, spec.tuck, base_height=0.5)
    robot.set_targets(spec.tuck)
    for _ in range(int(1.0 / PHYSICS_DT)):  # settle on the belly
        robot.step_physics()
    lying_height = float(robot.base_pose()[0][2])
    ramp_steps = int(ramp_seconds / PHYSICS_DT)
    peak = 0.0
    for k in range(ramp_steps + int(hold_seconds / PHYSICS_DT)):
        blend = min(1.0, (k + 1) / ramp_steps)
        robot.set_targets((1 - blend) * spec.tuck + blend * spec.home)
        robot.step_physics()
        peak = max(peak, float(np.max(np.abs(robot.last_torque) / spec.torque_limit)))
    _, _, rotation = robot.imu()
    result = {
        "lying_height": lying_height,
        "final_height": float(robot.base_pose()[0][2]),
        "up_z": float(rotation[2, 2]),
        "peak_torque_fraction": peak,
    }
    sim.close()
    return result


# -- self-righting keyframe search ------------------------------------------------

#: Body roll that puts the robot on its back / right side / left side (the right
#: side down means projected gravity along −y in the body frame).
LYING_ROLL = {"back": np.pi, "right": np.pi / 2, "left": -np.pi / 2}
KEYFRAME_FOR = {"back": "flip", "right": "roll_right", "left": "roll_left"}
#: Legs on the lower side when lying on each side (FR, FL, RR, RL order).
_LOWER_LEGS = {
    "right": np.array([1, 0, 1, 0], dtype=bool),
    "left": np.array([0, 1, 0, 1], dtype=bool),
}
_FRONT_LEGS = np.array([1, 1, 0, 0], dtype=bool)
BELLY_DOWN_GRAVITY_Z = (
    -0.9
)  # success: projected gravity z below this (the get-up's "ready to stand")


@dataclass(frozen=True)
class Keyframe:
    """A candidate self-righting pose and how it did."""

    pose: np.ndarray  #: full joint vector, rad
    success: float  #: fraction of start states that ended belly-down
    gravity_z: float  #: mean projected-gravity z at the end (−1 = flat on the belly)


def _lying_class(gravity: np.ndarray) -> str:
    """How the scripted get-up would classify this fall (thresholds as in policies/getup.py)."""
    if gravity[2] > 0.5:
        return "back"
    if gravity[2] >= -0.6:
        return "right" if gravity[1] < 0 else "left"
    return "belly"


def _lying_starts(
    sim: Sim, robot: Quadruped, lying: str, rng: np.random.Generator, count: int
) -> list[int]:
    """Saved states of the robot at rest on its back or a side, orientation and legs jittered."""
    spec, client = robot.spec, sim.client
    states: list[int] = []
    for _ in range(20 * count):
        if len(states) == count:
            break
        orientation = client.getQuaternionFromEuler(
            [
                LYING_ROLL[lying] + rng.uniform(-0.35, 0.35),
                rng.uniform(-0.25, 0.25),
                rng.uniform(-np.pi, np.pi),
            ]
        )
        # Legs anywhere between the tuck (later cycles) and a random pose (just after a fall).
        pose = spec.tuck + rng.uniform(0.0, 1.0) * (rng.uniform(spec.lower, spec.upper) - spec.tuck)
        robot.reset([0.0, 0.0, 1.0], orientation, pose)
        lowest = min(
            client.getAABB(robot.body_id, link)[0][2]
            for link in range(-1, client.getNumJoints(robot.body_id))
        )
        robot.reset(
            [0.0, 0.0, 1.01 - lowest], orientation, pose
        )  # lowest point 1 cm above the ground
        for _ in range(int(0.5 / PHYSICS_DT)):
            robot.step_physics()
        if (
            _lying_class(robot.imu()[1]) == lying
        ):  # keep only starts the get-up would treat this way
            states.append(client.saveState())
    return states


def _rollout(
    sim: Sim,
    robot: Quadruped,
    state: int,
    pose: np.ndarray,
    push_s: float,
    tuck_s: float,
    max_speed: float,
) -> float:
    """Push with ``pose`` then tuck, targets rate-limited like the env's; return the final gravity
    z."""
    sim.client.restoreState(state)
    robot.read_joints()
    robot.set_targets(robot.q)
    step = max_speed * PHYSICS_DT
    for goal, seconds in ((pose, push_s), (robot.spec.tuck, tuck_s)):
        for _ in range(int(seconds / PHYSICS_DT)):
            robot.set_targets(robot.targets + np.clip(goal - robot.targets, -step, step))
            robot.step_physics()
    return float(robot.imu()[1][2])


def _rank(keyframe: Keyframe) -> tuple[float, float]:
    """Better keyframes rank higher: more successes, then flatter on the belly."""
    return keyframe.success, -keyframe.gravity_z


def search_keyframe(
    spec: QuadrupedSpec,
    lying: str,
    trials: int = 150,
    seed: int = 0,
    starts: int = 6,
    keep: int = 5,
    push_seconds: float = 0.5,
    tuck_seconds: float = 0.8,
    max_target_speed: float = 15.0,
    split_back: bool = False,
) -> list[Keyframe]:
    """Random search for a pose that rolls the robot from ``lying`` ("back", "right", "left") onto
    its belly.

    Each trial draws a pose uniformly within the joint limits — one (hip, thigh,
    calf) for all legs when on the back, one for the lower-side and one for the
    upper-side legs when on a side — holds it for ``push_seconds`` and then the
    tuck for ``tuck_seconds`` (the scripted get-up's timing, targets moving at
    ≤ ``max_target_speed`` rad/s as in the env), from each of ``starts`` jittered
    lying states. A trial succeeds from a start if the robot ends belly-down.
    The first half of the trials sample the whole joint range, the second half
    perturb the best pose so far (σ = 0.2 rad). Returns the ``keep`` best poses,
    highest success fraction first (ties: flattest on the belly).
    """
    if lying not in LYING_ROLL:
        raise ValueError(f"lying must be one of {sorted(LYING_ROLL)}, got {lying!r}")
    rng = np.random.default_rng(seed)
    sim, robot = _standing_sim(spec, spec.tuck, base_height=1.0)
    states = _lying_starts(sim, robot, lying, rng, starts)
    if not states:
        sim.close()
        raise RuntimeError(f"{spec.name}: could not make the robot rest on its {lying}")
    n_legs = spec.num_joints // 3
    lower, upper = spec.lower.reshape(n_legs, 3), spec.upper.reshape(n_legs, 3)
    # On a side: one pose for the lower side's legs, one for the upper side's. On the back: one
    # for all legs, or (split_back) one for the front and one for the rear legs, whose ranges
    # differ on some robots (Go2's rear thighs swing 1 rad further back).
    lower_side = _LOWER_LEGS.get(lying, _FRONT_LEGS if split_back else np.ones(n_legs, dtype=bool))
    results: list[Keyframe] = []
    for trial in range(trials):
        # One (hip, thigh, calf) per group of legs, within the tightest limits of that group:
        # uniform for the first half of the trials, then around the best pose so far.
        best = max(results, key=_rank) if trial >= trials // 2 else None
        pose: np.ndarray = np.empty((n_legs, 3))
        for group in (lower_side, ~lower_side):
            if group.any():
                low, high = lower[group].max(axis=0), upper[group].min(axis=0)
                centre = None if best is None else best.pose.reshape(n_legs, 3)[group][0]
                pose[group] = (
                    rng.uniform(low, high)
                    if centre is None
                    else np.clip(centre + rng.normal(0.0, 0.2, 3), low, high)
                )
        pose = pose.reshape(-1)
        finals = np.array(
            [
                _rollout(sim, robot, s, pose, push_seconds, tuck_seconds, max_target_speed)
                for s in states
            ]
        )
        results.append(
            Keyframe(pose, float(np.mean(finals < BELLY_DOWN_GRAVITY_Z)), float(finals.mean()))
        )
    sim.close()
    return sorted(results, key=_rank, reverse=True)[:keep]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("robots", nargs="*", help="robot names (default: all)")
    parser.add_argument(
        "--keyframes", action="store_true", help="search the flip / roll keyframes instead"
    )
    parser.add_argument("--trials", type=int, default=150, help="poses tried per keyframe")
    parser.add_argument(
        "--starts", type=int, default=6, help="jittered lying states each pose is tried from"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--split-back", action="store_true", help="on the back, search front and rear legs apart"
    )
    parser.add_argument(
        "--lying", choices=sorted(LYING_ROLL), action="append", help="only these (repeatable)"
    )
    args = parser.parse_args(argv)
    for name in args.robots or robot_names("quadruped"):
        spec = get_robot_spec(name, kind="quadruped")
        if not args.keyframes:
            print(
                f"{name}: standing_height={measure_standing_height(spec):.4f} m, "
                f"from belly: {stand_from_belly(spec)}"
            )
            continue
        for lying, keyframe in KEYFRAME_FOR.items():
            if args.lying and lying not in args.lying:
                continue
            print(f"{name} {keyframe!r} (lying on its {lying}):")
            for k in search_keyframe(
                spec,
                lying,
                trials=args.trials,
                seed=args.seed,
                starts=args.starts,
                split_back=args.split_back,
            ):
                pose = np.clip(
                    np.round(k.pose, 2), spec.lower, spec.upper
                )  # rounded, still within limits
                print(
                    f"  success {k.success:.2f}  gravity_z {k.gravity_z:+.2f}  "
                    f"pose {pose.reshape(-1, 3).tolist()}"
                )


if __name__ == "__main__":
    main()
