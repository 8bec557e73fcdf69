"""Weld scoring against hand-computed cases, and the taught path / tracker geometry it rests on."""

from __future__ import annotations

import math

import numpy as np
import pytest

from robodojo.envs.weld.path import SeamTracker, TaughtPath
from robodojo.envs.weld.scoring import (
    IN_TOLERANCE,
    NOT_REACHED,
    OUT_OF_TOLERANCE,
    SeamProjector,
    Tolerances,
    WeldLedger,
    WeldStats,
    torch_errors,
    within_tolerance,
)
from robodojo.sim_assets.seams import (
    FitUpError,
    Seam,
    apply_fit_up_error,
    generate_seam,
    place_seam,
    reverse,
    transform,
)

X, Y, Z = np.eye(3)


def straight_fillet(length: float = 0.1, side: float = 1.0) -> Seam:
    """A seam along +x from the origin, wall on +y (side=1) or −y, sampled every 1 mm."""
    n = int(round(length / 0.001)) + 1
    points = np.column_stack([np.linspace(0.0, length, n), np.zeros(n), np.zeros(n)])
    return Seam("fillet", "straight", points, np.tile(X, (n, 1)), np.tile(side * Y, (n, 1)))


def unit(v) -> np.ndarray:
    v = np.asarray(v, dtype=np.float64)
    return v / np.linalg.norm(v)


def test_torch_on_the_bisector_has_no_error() -> None:
    # wall on +y: the torch comes from (−y + z)/√2 and points the other way; tip 15 mm back along
    # the axis
    axis = unit([0.0, 1.0, -1.0])
    tip = -0.015 * axis
    e = torch_errors(tip, axis, np.zeros(3), X, Y, 45.0)
    assert e.ctwd == pytest.approx(0.015)
    assert e.lateral == pytest.approx(0.0, abs=1e-12)
    assert e.work_angle == pytest.approx(45.0)
    assert e.work_angle_error == pytest.approx(0.0, abs=1e-9)
    assert e.travel_angle == pytest.approx(0.0, abs=1e-9)


def test_hand_computed_offsets_and_angles() -> None:
    # torch vertical (work angle 90°) 2 mm toward the wall from the root line, tip 12 mm above the
    # plate
    axis = -Z
    tip = np.array([0.0, 0.002, 0.012])
    e = torch_errors(tip, axis, np.zeros(3), X, Y, 45.0)
    assert e.ctwd == pytest.approx(0.012)
    assert e.lateral == pytest.approx(0.002)  # the wire lands 2 mm toward the wall
    assert e.work_angle == pytest.approx(90.0)
    assert e.work_angle_error == pytest.approx(45.0)
    # tilt the vertical torch 10° so the nozzle points ahead (+x): a 10° push
    push = np.array([math.sin(math.radians(10)), 0.0, -math.cos(math.radians(10))])
    assert torch_errors(tip, push, np.zeros(3), X, Y, 90.0).travel_angle == pytest.approx(10.0)
    assert torch_errors(
        tip, push * [-1, 1, 1], np.zeros(3), X, Y, 90.0
    ).travel_angle == pytest.approx(-10.0)  # drag


def test_lateral_sign_follows_the_wall_side() -> None:
    axis = -Z
    tip = np.array([0.0, 0.001, 0.015])
    assert torch_errors(tip, axis, np.zeros(3), X, Y, 90.0).lateral == pytest.approx(0.001)
    assert torch_errors(tip, axis, np.zeros(3), X, -Y, 90.0).lateral == pytest.approx(-0.001)


def test_tolerance_edges() -> None:
    tol = Tolerances()
    axis = unit([0.0, 1.0, -1.0])
    push = unit(axis * math.cos(math.radians(10)) + X * math.sin(math.radians(10)))

    def ok(lateral: float = 0.0, ctwd: float = 0.015, speed: float = 0.010) -> bool:
        across = unit(np.cross(X, push))
        across = across if across @ Y > 0 else -across
        tip = -ctwd * push + lateral * across
        return within_tolerance(torch_errors(tip, push, np.zeros(3), X, Y, 45.0), speed, tol)

    assert ok()
    assert ok(lateral=0.00099) and not ok(lateral=0.00101) and not ok(lateral=-0.00101)
    assert ok(ctwd=0.0179) and not ok(ctwd=0.0181) and not ok(ctwd=0.0119)
    assert ok(speed=0.0114) and not ok(speed=0.0116) and not ok(speed=0.0084)
    straight = -np.array([0.0, -1.0, 1.0]) / math.sqrt(
        2
    )  # no push: 0° travel angle is outside 5–15°
    assert not within_tolerance(
        torch_errors(-0.015 * straight, straight, np.zeros(3), X, Y, 45.0), 0.01, tol
    )


def test_ledger_counts_samples_the_aim_passes() -> None:
    ledger = WeldLedger(np.arange(11) * 0.001)  # 11 samples, 0..10 mm
    assert ledger.deposit(0.0, 0.0035, ok=True) == 4  # samples 0, 1, 2, 3
    assert ledger.deposit(0.0035, 0.0061, ok=False) == 0  # 4, 5, 6 out of tolerance
    assert ledger.deposit(0.0, 0.0061, ok=True) == 0  # a second pass neither spoils nor mends
    assert ledger.deposit(0.0061, 0.0061, ok=True) == 0  # standing still welds nothing
    assert ledger.deposit(0.0061, 0.0100, ok=True) == 4  # 7, 8, 9 and the last sample
    assert (
        ledger.status.tolist() == [IN_TOLERANCE] * 4 + [OUT_OF_TOLERANCE] * 3 + [IN_TOLERANCE] * 4
    )
    assert ledger.welded_fraction == pytest.approx(8 / 11)
    assert ledger.reached_fraction == 1.0
    assert WeldLedger(np.arange(5) * 0.001).status.tolist() == [NOT_REACHED] * 5


def test_stats_summary_by_hand() -> None:
    stats = WeldStats()
    e = torch_errors(
        np.array([0.0, 0.0005, 0.017]), -Z, np.zeros(3), X, Y, 90.0
    )  # lateral 0.5 mm, CTWD 17 mm
    stats.add(e, 0.010)
    e = torch_errors(
        np.array([0.0, -0.0015, 0.014]), -Z, np.zeros(3), X, Y, 90.0
    )  # lateral 1.5 mm, CTWD 14 mm
    stats.add(e, 0.012)
    summary = stats.summary(Tolerances())
    assert summary["lateral_error_mean_mm"] == pytest.approx(1.0)
    assert summary["lateral_error_max_mm"] == pytest.approx(1.5)
    assert summary["ctwd_error_mean_mm"] == pytest.approx(1.5)
    assert summary["ctwd_error_max_mm"] == pytest.approx(2.0)
    assert summary["travel_speed_mean_mm_s"] == pytest.approx(11.0)
    assert summary["travel_speed_cv"] == pytest.approx(1.0 / 11.0)
    assert summary["travel_angle_error_max_deg"] == pytest.approx(5.0)  # 0° is 5° below the range
    assert all(math.isnan(v) for v in WeldStats().summary(Tolerances()).values())


def test_projector_finds_the_closest_point() -> None:
    projector = SeamProjector(straight_fillet())
    s, i, f = projector.project(np.array([0.0423, 0.005, 0.002]), full_search=True)
    assert s == pytest.approx(0.0423)
    assert i == 42 and f == pytest.approx(0.3)
    assert projector.project(np.array([-0.01, 0.0, 0.0]))[0] == 0.0  # clamped at the ends
    assert projector.project(np.array([0.5, 0.0, 0.0]), full_search=True)[0] == pytest.approx(0.1)


@pytest.mark.parametrize("joint", ["fillet", "lap", "butt"])
def test_torch_pose_and_offsets_are_inverse(joint: str) -> None:
    rng = np.random.default_rng(3)
    nominal = place_seam(
        generate_seam(rng, joint=joint, shape="s_curve"), np.array([0.55, 0.0, 0.008]), 0.4
    )
    path = TaughtPath(nominal, push_angle_deg=10.0)
    projector = SeamProjector(nominal)
    for s in (0.0, 0.05, nominal.length * 0.7):
        tip, rotation = path.torch_pose(s, 0.0012, -0.0007, 0.0, 0.0, 0.015)
        assert path.offsets(s, tip, rotation, 0.015) == pytest.approx([0.0012, -0.0007], abs=1e-9)
        tip, rotation = path.torch_pose(s, 0.0, 0.0, math.radians(4.0), math.radians(3.0), 0.015)
        _, i, f = projector.project(tip + 0.015 * rotation[:, 2], full_search=True)
        point, tangent, side = projector.frame(i, f)
        e = torch_errors(tip, rotation[:, 2], point, tangent, side, nominal.work_angle)
        assert e.ctwd == pytest.approx(0.015, abs=1e-6) and abs(e.lateral) < 1e-6
        assert e.work_angle_error == pytest.approx(4.0, abs=0.3)  # + work = steeper
        assert e.travel_angle == pytest.approx(13.0, abs=0.3)  # + travel = more push


def test_tracker_reads_a_known_shift_exactly() -> None:
    nominal = straight_fillet(0.2)
    true = transform(
        nominal, 0.0, np.array([0.0, 0.002, -0.001])
    )  # 2 mm toward the wall, 1 mm lower
    path = TaughtPath(nominal, push_angle_deg=0.0)
    tracker = SeamTracker(noise=0.0, dropout=0.0, burst_chance=0.0)
    tracker.reset(path, true, np.random.default_rng(0))
    readings, valid = tracker.read(0.05)
    assert valid.all()
    b, z = path.b[0], path.z[0]  # 45° fillet: b = (y + z)/√2, z = (y − z)/√2
    expected = [np.array([0.0, 0.002, -0.001]) @ b, np.array([0.0, 0.002, -0.001]) @ z]
    np.testing.assert_allclose(readings, np.tile(expected, (4, 1)), atol=1e-9)
    _, valid = tracker.read(0.185)  # 15 mm from the end: the 20–40 mm look-aheads see no seam
    assert valid.tolist() == [True, False, False, False]


def test_tracker_noise_and_dropouts_have_the_stated_rates() -> None:
    nominal = straight_fillet(0.4)
    path = TaughtPath(nominal, push_angle_deg=10.0)
    tracker = SeamTracker(noise=0.00005, dropout=0.05, burst_chance=0.0)
    tracker.reset(path, nominal, np.random.default_rng(1))
    readings, valid = zip(*(tracker.read(s) for s in np.linspace(0.0, 0.3, 2000)), strict=True)
    valid = np.array(valid)
    values = np.array(readings)[valid]
    assert 0.04 < 1.0 - valid.mean() < 0.06
    assert np.std(values) == pytest.approx(0.00005, rel=0.1)


def test_fit_up_error_at_difficulty_zero_is_a_perfect_fixture() -> None:
    rng = np.random.default_rng(0)
    nominal = place_seam(generate_seam(rng), np.array([0.55, 0.0, 0.008]), 1.0)
    true = apply_fit_up_error(nominal, FitUpError.sample(rng, 0.0))
    table, valid = TaughtPath(nominal, 10.0).deviations(true)
    assert np.abs(table[valid]).max() < 1e-6


def test_reversed_seam_keeps_its_wall() -> None:
    seam = generate_seam(np.random.default_rng(4), joint="fillet", shape="arc")
    back = reverse(seam)
    np.testing.assert_allclose(back.points, seam.points[::-1])
    np.testing.assert_allclose(back.tangents, -seam.tangents[::-1])
    np.testing.assert_allclose(back.sides, seam.sides[::-1])  # the wall does not move
    assert back.length == pytest.approx(seam.length)


def test_offsets_toward_the_inside_of_a_curve_shorten_the_path() -> None:
    """On an arc of radius R with the wall toward its centre, an aim point h inside travels (1 −
    h/R) per metre."""
    radius, n = 0.2, 201
    angle = np.linspace(0.0, 0.5, n)  # 0.1 m of arc, counter-clockwise around the origin
    points = np.column_stack([radius * np.cos(angle), radius * np.sin(angle), np.zeros(n)])
    tangents = np.column_stack([-np.sin(angle), np.cos(angle), np.zeros(n)])
    sides = -points / radius  # toward the centre
    path = TaughtPath(Seam("butt", "arc", points, tangents, sides), push_angle_deg=0.0)
    assert path.stretch(0.05, 0.004, 0.0) == pytest.approx(1.0 - 0.004 / radius, abs=1e-4)
    assert path.stretch(0.05, -0.004, 0.0) == pytest.approx(1.0 + 0.004 / radius, abs=1e-4)
    assert path.stretch(0.05, 0.0, 0.0) == pytest.approx(1.0)
