"""Every registered quadruped: its spec agrees with the simulation, and it can stand up from its
belly."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pytest

from robodojo.robots import ROBOTS, Quadruped, QuadrupedSpec, get_robot_spec, robot_names
from robodojo.robots.calibrate import (
    KEYFRAME_FOR,
    measure_standing_height,
    search_keyframe,
    stand_from_belly,
)

NAMES = robot_names("quadruped")


@contextmanager
def loaded(spec: QuadrupedSpec) -> Iterator[Quadruped]:
    """The robot loaded alone into a fresh Sim, closed afterwards."""
    from robodojo.physics import Sim

    sim = Sim(0.004)
    try:
        robot = Quadruped(spec)
        robot.load(sim)
        yield robot
    finally:
        sim.close()


@pytest.mark.parametrize("name", NAMES)
def test_standing_height_matches_measurement(name: str) -> None:
    """Within 2 % (A1's 0.293 m was measured after a 30 cm drop, which splays its feet a little;
    the measurement now starts with the feet 1 cm above the ground and reads 0.298 m)."""
    spec = ROBOTS[name]
    assert measure_standing_height(spec) == pytest.approx(spec.standing_height, rel=0.02)


def _feet(robot: Quadruped, pose: np.ndarray) -> np.ndarray:
    """Base-frame (x, y, z) of each leg's lowest point (the calf link and what hangs off it)."""
    client, body = robot._client, robot.body_id
    robot.reset([0.0, 0.0, 1.0], [0.0, 0.0, 0.0, 1.0], pose)
    points = []
    for leg in range(4):
        calf = robot.joint_ids[3 * leg + 2]
        links = [calf] + [
            j for j in range(robot.num_links) if client.getJointInfo(body, j)[16] == calf
        ]
        low, high = min((client.getAABB(body, link) for link in links), key=lambda box: box[0][2])
        points.append([(low[0] + high[0]) / 2, (low[1] + high[1]) / 2, low[2] - 1.0])
    return np.array(points)


@pytest.mark.parametrize("name", NAMES)
def test_leg_kinematics_match_the_spec_conventions(name: str) -> None:
    """What the trot relies on, by forward kinematics: ``hip_sign`` tells which way a hip moves
    its foot sideways, the knee sign (from home) which way the thigh swings it fore and aft, and
    the feet stand under the hips at home."""
    spec = ROBOTS[name]
    knee_sign = 1.0 if spec.home[2] < 0 else -1.0
    with loaded(spec) as robot:
        home = _feet(robot, spec.home)
        for leg in range(4):
            for joint, axis, expected in ((0, 1, spec.hip_sign[leg]), (1, 0, -knee_sign)):
                pose = spec.home.copy()
                pose[3 * leg + joint] += 0.05
                moved = (_feet(robot, pose) - home)[leg, axis]
                assert np.sign(moved) == expected, f"leg {leg} joint {joint} moved {moved:+.4f}"
    assert np.all(np.sign(home[:, 1]) == [-1, 1, -1, 1])  # FR, FL, RR, RL: right feet at −y
    assert np.all(np.sign(home[:, 0]) == [1, 1, -1, -1])  # front feet ahead


@pytest.mark.parametrize("name", NAMES)
def test_stands_up_from_belly(name: str) -> None:
    """The actuation check: gains and torque limits suffice to lift the robot's own weight."""
    spec = ROBOTS[name]
    result = stand_from_belly(spec)
    assert result["up_z"] >= 0.9
    assert result["final_height"] >= 0.8 * spec.standing_height
    assert result["peak_torque_fraction"] <= 1.0 + 1e-9


@pytest.mark.parametrize("name", NAMES)
def test_joint_table_and_poses(name: str) -> None:
    spec = ROBOTS[name]
    assert spec.num_joints == 12
    assert len(set(spec.joint_names)) == 12
    assert len(set(spec.urdf_joint_names)) == 12
    assert set(KEYFRAME_FOR.values()) <= set(spec.keyframes)
    for label, pose in {"home": spec.home, "tuck": spec.tuck, **spec.keyframes}.items():
        assert np.all((spec.lower <= pose) & (pose <= spec.upper)), (
            f"{label} outside the joint limits"
        )
    assert np.all(spec.torque_limit > 0) and np.all(spec.kp > 0) and np.all(spec.kd > 0)


@pytest.mark.parametrize("name", NAMES)
def test_urdf_joints_and_mass(name: str) -> None:
    """The URDF has every named joint (loading checks it) and weighs what the spec says."""
    spec = ROBOTS[name]
    with loaded(spec) as robot:
        client = robot._client
        mass = sum(
            client.getDynamicsInfo(robot.body_id, link)[0]
            for link in range(-1, client.getNumJoints(robot.body_id))
        )
    assert mass == pytest.approx(spec.mass, abs=0.01)


def test_unknown_robot_lists_valid_names() -> None:
    with pytest.raises(ValueError) as error:
        get_robot_spec("spot")
    for name in ROBOTS:  # every kind is listed when no kind is asked for
        assert name in str(error.value)


def test_keyframe_search_runs() -> None:
    spec = ROBOTS["a1"]
    found = search_keyframe(spec, "back", trials=2, seed=0, starts=1, keep=2)
    assert len(found) == 2
    for keyframe in found:
        assert 0.0 <= keyframe.success <= 1.0
        assert np.all((spec.lower <= keyframe.pose) & (keyframe.pose <= spec.upper))
    with pytest.raises(ValueError):
        search_keyframe(spec, "upside-down")


def test_laikago_vendor_angles() -> None:
    """Laikago's URDF zero differs from Unitree's: home must read as Unitree's stand (0, 0.67,
    −1.25)."""
    from robodojo.robots.laikago import to_vendor

    spec = ROBOTS["laikago"]
    np.testing.assert_allclose(to_vendor(spec.home), [0.0, 0.67, -1.25] * 4, atol=1e-9)


@pytest.mark.parametrize("name", NAMES)
def test_joint_limits_are_hard_stops(name: str) -> None:
    """Every joint stops at the spec's limits even where the URDF declares none.

    Full torque is applied past each limit on a hanging robot for 0.5 s. A
    joint without a stop spins right through (23–43 rad here for Aliengo,
    Laikago and Mini Cheetah before stops were added); PyBullet's stops are
    soft, so under full torque a joint sinks ≤ ~0.5 rad into one (A1's own
    URDF limits behave the same).
    """
    import pybullet

    spec = ROBOTS[name]
    with loaded(spec) as robot:
        client = robot._client
        client.createConstraint(
            robot.body_id, -1, -1, -1, pybullet.JOINT_FIXED, [0, 0, 0], [0, 0, 0], [0, 0, 1.5]
        )
        for sign, limit in ((1.0, spec.upper), (-1.0, spec.lower)):
            robot.reset([0.0, 0.0, 1.5], [0.0, 0.0, 0.0, 1.0], spec.home)
            for _ in range(125):
                client.setJointMotorControlArray(
                    robot.body_id,
                    robot.joint_ids,
                    pybullet.TORQUE_CONTROL,
                    forces=sign * spec.torque_limit,
                )
                client.stepSimulation()
            robot.read_joints()
            overshoot = sign * (robot.q - limit)
            assert np.all(overshoot < 0.6), (
                f"{name}: joints {np.flatnonzero(overshoot >= 0.6).tolist()} passed their limits"
            )
