"""Every registered arm: it loads with its torch, its home is sane, and IK and tracking are
accurate."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator

import numpy as np
import pybullet
import pytest

from robodojo.physics import Sim
from robodojo.robots import ROBOTS, robot_names
from robodojo.robots.arm import Arm, ArmSpec, rotation_angle, weld_orientation

NAMES = robot_names("arm")


@pytest.fixture(scope="module", params=NAMES)
def arm(request) -> Iterator[Arm]:
    """One loaded arm per registered name (shared by a module's tests: each test resets it
    first)."""
    sim = Sim(1.0 / 240.0)
    try:
        arm = Arm(ROBOTS[request.param])
        arm.load(sim)
        arm.sim = sim
        yield arm
    finally:
        sim.close()


def test_every_arm_is_registered() -> None:
    assert {"kuka_iiwa", "xarm6", "panda", "ur5", "ur10"} <= set(NAMES)
    for name in NAMES:
        spec = ROBOTS[name]
        assert isinstance(spec, ArmSpec) and spec.kind == "arm"
        assert spec.work_radius > 0 and np.shape(spec.work_center) == (3,)


def test_spec_rejects_home_outside_limits() -> None:
    spec = ROBOTS["xarm6"]
    with pytest.raises(ValueError, match="home"):
        dataclasses.replace(spec, home=spec.upper + 0.1)


def test_home_points_the_torch_down_over_the_work_area(arm: Arm) -> None:
    spec = arm.spec
    assert np.all(spec.home >= spec.lower) and np.all(spec.home <= spec.upper)
    arm.reset(spec.home)
    assert np.allclose(arm.q, spec.home)  # not clipped
    position, rotation = arm.tcp_pose()
    assert rotation[:, 2] @ np.array([0.0, 0.0, -1.0]) > math.cos(
        math.radians(35)
    )  # within 35° of straight down
    # the TCP is 0.10 m above the work-area centre (homes were computed with solve_ik to 0.1 mm)
    assert np.allclose(position, spec.work_center + np.array([0.0, 0.0, 0.10]), atol=1e-3)


def test_tcp_follows_the_flange(arm: Arm) -> None:
    """The torch body sits on the flange, and the TCP is the torch's contact tip, ~0.29 m out along
    the neck."""
    arm.reset(arm.spec.home)
    flange_p, flange_r = arm.flange_pose()
    torch_p, _torch_q = arm._client.getBasePositionAndOrientation(arm.tool_body_id)
    assert np.allclose(torch_p, flange_p, atol=1e-6)
    tcp_p, _tcp_r = arm.tcp_pose()
    offset, _tcp_rotation = arm.tool.flange_to_tcp
    assert np.allclose(tcp_p, flange_p + flange_r @ offset, atol=1e-9)
    assert 0.25 < np.linalg.norm(tcp_p - flange_p) < 0.35


def test_solve_ik_reaches_reachable_targets(arm: Arm) -> None:
    """Targets from FK of random joints near home are reachable by construction: IK must find
    them."""
    spec, rng = arm.spec, np.random.default_rng(0)
    failures = []
    for _ in range(8):
        q_goal = np.clip(
            spec.home + rng.uniform(-0.3, 0.3, spec.num_joints), spec.lower, spec.upper
        )
        arm.reset(q_goal)
        target_p, target_r = arm.tcp_pose()
        arm.reset(spec.home)
        result = arm.solve_ik(target_p, target_r, q_start=spec.home)
        assert np.allclose(arm.q, spec.home)  # solve_ik leaves the arm where it was
        arm.reset(result.q)
        p, r = arm.tcp_pose()
        error, angle = np.linalg.norm(p - target_p), rotation_angle(r, target_r)
        if not (result.success and error <= 1e-4 and angle <= 1e-3):
            failures.append((error, angle))
        assert np.all(result.q >= spec.lower) and np.all(result.q <= spec.upper)
    assert not failures, failures


def test_solve_ik_reaches_weld_poses_in_the_work_disc(arm: Arm) -> None:
    """Most 45° fillet poses inside the spec's work disc are reached from home (either seam sign
    allowed)."""
    spec, rng = arm.spec, np.random.default_rng(1)
    reached = 0
    count = 12
    for _ in range(count):
        a, r = rng.uniform(0, 2 * math.pi), spec.work_radius * math.sqrt(rng.uniform())
        p = spec.work_center + np.array([r * math.cos(a), r * math.sin(a), rng.uniform(0.0, 0.05)])
        approach = math.atan2(p[1], p[0]) + math.radians(rng.uniform(-45, 45))
        work, travel = 45 + rng.uniform(-10, 10), rng.uniform(-10, 10)
        reached += any(
            arm.solve_ik(
                p, weld_orientation(approach, work, travel, spin), q_start=spec.home
            ).success
            for spin in (0.0, math.pi)
        )
    assert reached >= count - 1, f"{reached}/{count}"


def test_weld_orientation_frame() -> None:
    rotation = weld_orientation(0.3, 45.0)
    assert np.allclose(rotation.T @ rotation, np.eye(3)) and np.isclose(
        np.linalg.det(rotation), 1.0
    )
    z, x = rotation[:, 2], rotation[:, 0]
    assert np.isclose(math.degrees(math.asin(-z[2])), 45.0)  # 45° below the horizontal
    assert np.isclose(math.atan2(z[1], z[0]), 0.3)  # pointing along the approach azimuth
    assert abs(x[2]) < 1e-12 and abs(x @ z) < 1e-12  # x horizontal, along the seam
    tilted = weld_orientation(0.3, 45.0, travel_angle_deg=10.0)
    assert np.isclose(rotation_angle(rotation, tilted), math.radians(10.0))
    assert np.allclose(weld_orientation(0.3, 45.0, rotate_about_axis=math.pi)[:, 0], -x)


def test_track_follows_a_straight_line(arm: Arm) -> None:
    """A 5 cm line at 0.4 mm per call, with a slow turn of the torch: error ≤ 0.05 mm at every
    call."""
    spec = arm.spec
    arm.reset(spec.home)
    start_p, start_r = arm.tcp_pose()
    direction = np.array([0.6, 0.8, 0.0])
    steps = int(0.05 / 0.0004)
    turn = math.radians(0.1)  # 0.1° per step about world z: 12.5° over the line
    worst, worst_angle = 0.0, 0.0
    for k in range(1, steps + 1):
        c, s = math.cos(turn * k), math.sin(turn * k)
        target_r = np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]]) @ start_r
        target_p = start_p + direction * 0.0004 * k
        result = arm.track(target_p, target_r)
        p, r = arm.tcp_pose()  # track leaves the arm at its answer
        assert np.allclose(arm.q, result.q)
        assert np.all(arm.q >= spec.lower) and np.all(arm.q <= spec.upper)
        worst = max(worst, float(np.linalg.norm(p - target_p)))
        worst_angle = max(worst_angle, rotation_angle(r, target_r))
    assert worst <= 5e-5, f"{worst * 1e3:.4f} mm"
    assert worst_angle <= 1e-3
    assert np.linalg.norm(arm.tcp_pose()[0] - start_p) == pytest.approx(0.05, abs=1e-4)


def test_track_stops_at_joint_limits(arm: Arm) -> None:
    """A target out of reach leaves the joints inside their limits and reports failure."""
    arm.reset(arm.spec.home)
    p, r = arm.tcp_pose()
    result = arm.track(p + np.array([3.0, 0.0, 0.0]), r)
    assert not result.success
    assert np.all(arm.q >= arm.spec.lower) and np.all(arm.q <= arm.spec.upper)


def test_collision_distance(arm: Arm) -> None:
    client = arm.sim.client
    arm.reset(arm.spec.home)
    tcp_p, tcp_r = arm.tcp_pose()
    shape = client.createCollisionShape(pybullet.GEOM_BOX, halfExtents=[0.05, 0.05, 0.05])
    # a box around the nozzle: the torch penetrates it
    inside = client.createMultiBody(
        baseMass=0.0,
        baseCollisionShapeIndex=shape,
        basePosition=(tcp_p - 0.02 * tcp_r[:, 2]).tolist(),
    )
    # a box 2 m away from everything
    far = client.createMultiBody(
        baseMass=0.0, baseCollisionShapeIndex=shape, basePosition=[3.0, 3.0, 0.5]
    )
    try:
        assert arm.collision_distance([inside]) < 0.0
        assert arm.collision_distance([far], margin=0.02) >= 0.02
        assert arm.collision_distance([far, inside]) < 0.0
    finally:
        client.removeBody(inside)
        client.removeBody(far)


def test_tcp_jacobian_matches_finite_differences(arm: Arm) -> None:
    """The per-step IK's Jacobian (PyBullet's, for the TCP in the flange frame) is the TCP's true
    one."""
    rng = np.random.default_rng(2)
    q0 = np.clip(
        arm.spec.home + rng.uniform(-0.3, 0.3, arm.spec.num_joints),
        arm.spec.lower + 0.01,
        arm.spec.upper - 0.01,
    )
    arm.set_joint_positions(q0)
    jacobian = arm._tcp_jacobian()
    p0, r0 = arm.tcp_pose()
    h = 1e-4
    for i in range(arm.spec.num_joints):
        dq = np.zeros_like(q0)
        dq[i] = h
        arm.set_joint_positions(q0 + dq)
        p1, r1 = arm.tcp_pose()
        np.testing.assert_allclose((p1 - p0) / h, jacobian[:3, i], atol=2e-3)
        skew = (r1 @ r0.T - r0 @ r1.T) / 2.0  # small rotation ≈ I + [ω]×
        np.testing.assert_allclose(
            np.array([skew[2, 1], skew[0, 2], skew[1, 0]]) / h, jacobian[3:, i], atol=2e-3
        )
    arm.set_joint_positions(q0)


#: Universal Robots datasheet joint speeds (°/s, base … wrist 3): CB3 and e-Series alike
UR_DATASHEET_SPEEDS = {
    "ur5": (180.0, 180.0, 180.0, 180.0, 180.0, 180.0),
    "ur10": (120.0, 120.0, 180.0, 180.0, 180.0, 180.0),
}


@pytest.mark.parametrize("name", sorted(UR_DATASHEET_SPEEDS))
def test_ur_spec_matches_its_urdf_and_datasheet(name: str) -> None:
    """Joint names are the URDF's and Universal_Robots_ROS2_Driver's, the limits the URDF's
    (±360°, elbow ±180°), the speeds the datasheet's and within the URDF's, the flange is
    ``tool0``."""
    import xml.etree.ElementTree as ET

    from robodojo.robots.model_files import source_file

    spec = ROBOTS[name]
    driver_names = tuple(
        f"{j}_joint"
        for j in ("shoulder_pan", "shoulder_lift", "elbow", "wrist_1", "wrist_2", "wrist_3")
    )
    assert spec.joint_names == spec.urdf_joint_names == driver_names
    urdf = ET.parse(source_file(spec.urdf)).getroot()
    joints = {joint.get("name"): joint for joint in urdf.findall("joint")}  # not transmissions
    for i, joint_name in enumerate(spec.urdf_joint_names):
        limit = joints[joint_name].find("limit")
        assert limit is not None
        assert float(limit.get("lower")) == pytest.approx(spec.lower[i], abs=1e-9)
        assert float(limit.get("upper")) == pytest.approx(spec.upper[i], abs=1e-9)
        assert spec.max_joint_speed[i] <= float(limit.get("velocity")) + 0.06
    np.testing.assert_allclose(spec.upper, np.radians([360, 360, 180, 360, 360, 360]))
    np.testing.assert_allclose(np.degrees(spec.max_joint_speed), UR_DATASHEET_SPEEDS[name])
    assert spec.flange_link == "tool0" and spec.flange_offset == 0.0
    assert {link.get("name") for link in urdf.iter("link")} >= {"tool0", "world"}


@pytest.mark.parametrize("name", sorted(UR_DATASHEET_SPEEDS))
def test_ur_reaches_fillet_poses_on_the_edge_of_its_work_disc(name: str) -> None:
    """IK from home reaches 45° fillet poses on the work disc's rim, every 45° around it (either
    seam direction), and the flange sits d6 past wrist 3 (82.3 / 92.2 mm)."""
    spec = ROBOTS[name]
    sim = Sim(1.0 / 240.0)
    try:
        arm = Arm(spec)
        arm.load(sim)
        wrist = arm._client.getLinkState(arm.body_id, arm.joint_ids[-1])[4]
        flange, _ = arm.flange_pose()
        d6 = {"ur5": 0.0823, "ur10": 0.0922}[name]
        assert np.linalg.norm(flange - np.array(wrist)) == pytest.approx(d6, abs=1e-6)
        missed = []
        for k in range(8):
            a = k * math.pi / 4
            p = spec.work_center + np.array(
                [spec.work_radius * math.cos(a), spec.work_radius * math.sin(a), 0.01]
            )
            approach = math.atan2(p[1], p[0])
            if not any(
                arm.solve_ik(p, weld_orientation(approach, 45.0, 10.0, spin), spec.home).success
                for spin in (0.0, math.pi)
            ):
                missed.append(round(math.degrees(a)))
        assert not missed, f"{name} misses the disc's rim at {missed}°"
    finally:
        sim.close()
