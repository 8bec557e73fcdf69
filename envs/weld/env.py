"""robodojo/Weld-v0: an industrial arm tracks the true weld seam of a part the fixture got slightly
wrong."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from robodojo.envs.arguments import (
    EPISODE_SECONDS_OR_DEFAULT,
    Argument,
    Choice,
    Number,
    Pairs,
    Weights,
    robot_of,
)
from robodojo.envs.base import RobotTaskEnv
from robodojo.envs.weld.path import LEAD
from robodojo.envs.weld.scoring import Tolerances
from robodojo.envs.weld.task import DEFAULT_WEIGHTS, WeldTask
from robodojo.sim_assets.seams import JOINT_TYPES, MAX_LENGTH, SEAM_SHAPES


class WeldEnv(RobotTaskEnv):
    """## Description

    An industrial arm with a swan-neck MIG/MAG torch must weld a seam whose
    true position differs from the taught path by a few millimetres and
    degrees (fixture error, fit-up variation, distortion), as real welding
    cells do. Every episode is a new part on the fixture table: a fillet (T),
    lap or butt joint with a straight, arc, S-curve or cornered seam of
    10–40 cm. The torch must follow the *true* seam with the wire on the root
    (≤ 1 mm), the contact tip 15 ± 3 mm from the work, the work angle within
    10° of the joint's (45° fillet and lap, 90° butt), a 5–15° push angle and
    the travel speed within 15 % of the target (10 mm/s = 60 cm/min). The arm
    is kinematic (joints set through IK, joint speed limits respected): welding
    needs no contact physics, so a step costs microseconds.

    ## Action Space

    ``control="twist"`` (default): ``Box(-1, 1, (5,), float32)``, a twist in
    the taught path's frame, applied through the robot's IK: travel speed =
    target × (1 + a₀) (0 … 2× target); lateral and depth offset rates a₁, a₂ ×
    10 mm/s; work- and travel-angle rates a₃, a₄ × 30°/s. Offsets are held
    (±20 mm, ±30°), so the zero action replays the taught program at the
    target speed (teach-and-repeat). ``control="joint"``: ``Box(-1, 1, (n,))``
    joint-rate commands × 0.5 rad/s, n the arm's joints. Finite values outside
    [-1, 1] are clipped; NaN/inf or a wrong shape raise ``ValueError``. The
    policy runs at 25 Hz.

    ## Observation Space

    ``Box(-5, 5, (21 + n + m,), float32)`` (n joints, m action size), what a
    welding cell measures:

    | index | observation | unit |
    |---|---|---|
    | 0–3 | seam tracker: lateral deviation of the true seam from the taught path at 10/20/30/40 mm look-ahead | mm / 5 |
    | 4–7 | seam tracker: depth deviation (along the torch axis) at the same look-aheads | mm / 5 |
    | 8–11 | tracker reading valid (0 = dropout; the reading is then 0) | 0/1 |
    | 12–13 | torch aim point offset from the taught path: lateral, depth (forward kinematics) | mm / 5 |
    | 14–15 | torch work angle error, travel angle − 10° nominal push (vs the taught path) | deg / 10 |
    | 16–18 | TCP velocity in the taught path frame: along, lateral, depth | mm/s / 10 |
    | 19–20 | travelled along the taught path (from the lead-in start at −8 mm), and left to go | m / 0.2 |
    | 21…20+n | joint positions, −1…1 over the joint limits | |
    | last m | previous action | |

    Tracker readings have 0.05 mm Gaussian noise; each drops out with 5 %
    chance per step, and all of them for 3–12 steps with 1 % chance (spatter).

    ## Rewards

    reward = Σ weight × term, unweighted terms in ``info["reward_terms"]``:

    | term | value | default weight |
    |---|---|---|
    | progress | aim-point speed along the true seam / target, capped at 1, minus the excess over 1.15 | 1.0 |
    | welded | seam length welded in tolerance this step / (target speed × dt) | 2.0 |
    | lateral | (lateral error / 1 mm)², capped at 25 | −0.1 |
    | ctwd | ((CTWD − 15 mm) / 3 mm)², capped at 25 | −0.1 |
    | work_angle | (work angle error / 10°)², capped at 25 | −0.05 |
    | travel_angle | (degrees outside the 5–15° push range / 5°)², capped at 25 | −0.05 |
    | smoothness | ‖aₜ − aₜ₋₁‖² | −0.05 |
    | collision | 1 when the torch or arm touches the part or the table | −50.0 |
    | success | 1 on the last step of a successful weld | 20.0 |

    ## Starting State

    A new part every episode: joint type, shape and length (10–40 cm) uniform;
    its midpoint uniform in the disc (``part_center``, ``part_radius``;
    default the arm's welding disc), turned so that the torch side faces the
    robot (±45°). The true seam is the taught one shifted ±3 mm along and
    across, ±1 mm up or down, turned ±1.5° and bowed ±2 mm, each ×
    ``difficulty``. The part is then *taught* as a programmer would: the first
    weld direction and torch roll about its axis (0°, ±90°, 180°) that the arm
    can follow continuously along the whole taught path (IK within joint
    speed limits and 0.05 rad clear of joint limits) is used; parts no
    program reaches are redrawn (10–17 % of draws, mostly long cornered
    seams). The torch starts at the taught path's lead-in point, 8 mm before
    the seam, with the nominal angles (10° push).

    ## Episode End

    Terminated when the torch reaches the end of the taught run-out or the
    aim point the end of the true seam, or on a collision; truncated at
    ``episode_seconds``. Success: ≥ 95 % of the true seam (1 mm samples)
    welded within every tolerance and no collision. ``info["episode_metrics"]``:
    ``weld_fraction``, ``seam_reached``, ``seam_length_mm``, lateral and CTWD
    error mean/max (mm), travel speed mean (mm/s) and coefficient of
    variation, work-angle error mean/max and travel angle mean / max
    excursion outside the range (deg), ``collision`` and ``duration`` (s).

    ## Arguments

    ```python
    gymnasium.make("robodojo/Weld-v0", robot="kuka_iiwa", render_mode=None, control="twist",
                   difficulty=1.0, joint=None, shape=None, travel_speed=0.01,
                   lateral_tolerance=0.001, ctwd=0.015, ctwd_tolerance=0.003,
                   work_angle_tolerance=10.0, travel_angle_range=(5.0, 15.0), speed_tolerance=0.15,
                   part_center=None, part_radius=None, episode_seconds=None, reward_weights=None)
    ```

    * ``robot``: ``"kuka_iiwa"`` (default), ``"xarm6"``, ``"panda"``, ``"ur5"`` or ``"ur10"``.
    * ``difficulty``: fit-up error scale, 0 (perfect fixture) … 2.
    * ``joint`` / ``shape``: fix the joint type (``"fillet"``, ``"lap"``, ``"butt"``) or seam shape
      (``"straight"``, ``"arc"``, ``"s_curve"``, ``"corner"``); None draws them.
    * tolerances in m, degrees and fractions as above; ``travel_speed`` in m/s.
    * ``part_center`` (x, y) and ``part_radius``, m: the disc part midpoints are drawn from. It must
      lie inside the arm's welding disc (``spec.work_center``, ``spec.work_radius``), else
      ``ValueError`` at construction; default: that disc.
    * ``episode_seconds``: default 1.5 × the longest seam's welding time + 2 s.

    ## Version History

    * v0: since the 2026-12 redesign registered with ``max_episode_steps`` (the default
      ``episode_seconds`` at 25 Hz), episodes unchanged.
    """  # noqa: E501 (markdown table rows cannot wrap)

    ROBOT_KIND = "arm"
    CAMERA: ClassVar[dict[str, float]] = {
        "distance": 0.45,
        "yaw": 60.0,
        "pitch": -35.0,
    }  # close on the torch: the bead is millimetres wide
    CONTROL_DT = 0.04
    ARGUMENTS: ClassVar[Mapping[str, Argument]] = {
        "robot": robot_of("arm"),
        "control": Choice(("twist", "joint")),
        "difficulty": Number(0, 2),  # above 1: more fit-up error than a real cell allows
        "joint": Choice(JOINT_TYPES, optional=True),
        "shape": Choice(SEAM_SHAPES, optional=True),
        "travel_speed": Number(0, 0.1, "m/s", low_open=True),
        "lateral_tolerance": Number(0, 0.05, "m", low_open=True),
        "ctwd": Number(0, 0.1, "m", low_open=True),
        "ctwd_tolerance": Number(0, 0.05, "m", low_open=True),
        "work_angle_tolerance": Number(0, 90, "deg", low_open=True),
        "travel_angle_range": Pairs(Number(-90, 90, "deg"), what="(min, max)"),
        "speed_tolerance": Number(0, 1, low_open=True),
        "part_center": Pairs(Number(-5, 5, "m"), ordered=False, what="(x, y)", optional=True),
        "part_radius": Number(0, 5, "m", low_open=True, optional=True),
        "episode_seconds": EPISODE_SECONDS_OR_DEFAULT,
        "reward_weights": Weights(DEFAULT_WEIGHTS),
    }

    @staticmethod
    def default_episode_seconds(travel_speed: float) -> float:
        """1.5 × the longest seam's welding time (with its lead-in and run-out) + 2 s."""
        return 1.5 * (MAX_LENGTH + 2 * LEAD) / travel_speed + 2.0

    @classmethod
    def timing(cls, arguments: Mapping[str, Any]) -> tuple[float, float]:
        seconds = arguments["episode_seconds"]
        return cls.CONTROL_DT, float(
            cls.default_episode_seconds(arguments["travel_speed"]) if seconds is None else seconds
        )

    def __init__(
        self,
        robot: str = "kuka_iiwa",
        render_mode: str | None = None,
        control: str = "twist",
        difficulty: float = 1.0,
        joint: str | None = None,
        shape: str | None = None,
        travel_speed: float = 0.01,
        lateral_tolerance: float = 0.001,
        ctwd: float = 0.015,
        ctwd_tolerance: float = 0.003,
        work_angle_tolerance: float = 10.0,
        travel_angle_range: tuple[float, float] = (5.0, 15.0),
        speed_tolerance: float = 0.15,
        part_center: tuple[float, float] | None = None,
        part_radius: float | None = None,
        episode_seconds: float | None = None,
        reward_weights: dict[str, float] | None = None,
    ) -> None:
        self.record_arguments(locals())
        tolerances = Tolerances(
            lateral=lateral_tolerance,
            ctwd=ctwd,
            ctwd_band=ctwd_tolerance,
            work_angle=work_angle_tolerance,
            travel_angle_min=float(travel_angle_range[0]),
            travel_angle_max=float(travel_angle_range[1]),
            travel_speed=travel_speed,
            speed_band=speed_tolerance,
        )
        task = WeldTask(
            robot, control, difficulty, joint, shape, tolerances, part_center, part_radius,
            reward_weights=reward_weights, control_dt=self.CONTROL_DT,
        )  # fmt: skip
        if episode_seconds is None:
            episode_seconds = self.default_episode_seconds(travel_speed)
        super().__init__(
            task,
            physics_dt=self.CONTROL_DT,
            substeps=1,
            episode_seconds=episode_seconds,
            render_mode=render_mode,
        )
        task.render_bead = render_mode is not None
        self.robot_name = robot
