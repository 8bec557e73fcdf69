"""Measure a robot spec's facts in simulation (used to fill and test the spec files).

Run ``python -m robodojo.robots.calibrate [ROBOT ...]`` to print them.
"""

from __future__ import annotations

import sys

import numpy as np

from robodojo.robots import ROBOTS, Quadruped, QuadrupedSpec, get_robot_spec

PHYSICS_DT = 0.004


def _standing_sim(spec: QuadrupedSpec, start_pose: np.ndarray, base_height: float):
    from robodojo.envs.sim import Sim  # envs sit above robots; import only when measuring

    sim = Sim(PHYSICS_DT)
    sim.load_urdf("plane.urdf")
    robot = Quadruped(spec)
    robot.load(sim)
    robot.reset([0.0, 0.0, base_height], [0.0, 0.0, 0.0, 1.0], start_pose)
    return sim, robot


def measure_standing_height(spec: QuadrupedSpec, seconds: float = 3.0) -> float:
    """Base height after holding ``home`` on flat ground under the spec's gains."""
    sim, robot = _standing_sim(spec, spec.home, base_height=0.6)
    robot.set_targets(spec.home)
    for _ in range(int(seconds / PHYSICS_DT)):
        robot.step_physics()
    height = float(robot.base_pose()[0][2])
    sim.close()
    return height


def stand_from_belly(spec: QuadrupedSpec, ramp_seconds: float = 0.5, hold_seconds: float = 2.0) -> dict[str, float]:
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


def main(names: list[str]) -> None:
    for name in names or sorted(ROBOTS):
        spec = get_robot_spec(name)
        print(f"{name}: standing_height={measure_standing_height(spec):.4f} m, from belly: {stand_from_belly(spec)}")


if __name__ == "__main__":
    main(sys.argv[1:])
