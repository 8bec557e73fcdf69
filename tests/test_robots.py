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
    spec = ROBOTS[name]
    assert measure_standing_height(spec) == pytest.approx(spec.standing_height, abs=0.005)


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
