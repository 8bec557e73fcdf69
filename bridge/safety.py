"""The deploy runner's safety layer: small rules, each unit-tested, and the switches that arm and
stop it.

Every command ``robodojo deploy`` publishes passes, in this order:

1. **NaN guard** — a policy output that is not finite latches a fault (the
   policy is broken; nothing it says is used) → safe state ``damp``.
2. **Soft start** — for ``soft_start_seconds`` after arming, the target is
   blended from the pose measured at arming to the policy's target
   (weight k / N on the k-th step), so the first commands never jump.
3. **Per-step change limit** — each joint target moves at most ``max_step``
   rad from the previous command (default: the policy's own
   ``max_target_speed × control_dt``, the limit the env trained it under,
   so the limit changes nothing the policy would have done in simulation).
4. **Joint-limit clamp** — into [lower + margin, upper − margin] from the
   policy's spec (margin 0 by default: the env's own clip).
5. A final finiteness check on what would be sent.

Steps 3–4 with no soft start are exactly the env's ``apply_action``
pipeline (rate limit from the previous targets, then clip), so sim-in-the-loop
reproduces training.

**Safe states.** ``hold`` keeps publishing the last command that passed the
layer (the PD keeps pushing towards it); ``damp`` publishes the latest
*measured* joint positions as targets, so the position controller's PD has
nothing to track and only its damping acts (the joints go soft and stay
roughly where they are). Every safe state is published at the control rate
and reported (log line and event) with its reason.

**Switches** (defaults in brackets):

* operator enable [required]: nothing is published until enabled
  (``/robodojo/enable`` true, or ``--enable``); disabling → ``damp``.
* e-stop: ``/robodojo/estop`` true → ``damp``, latched.
* watchdog [``damp``, timeout 2.5 control periods]: no fresh JointState *or*
  Imu for longer than the timeout → the watchdog action (``damp`` by
  default, ``hold`` on request). It resumes (with a new soft start) once
  fresh state has arrived for ``resume_periods`` control periods, unless
  ``latch_watchdog`` is set.
* attitude e-stop [per scenario]: tilt (body z from world up) beyond the
  limit → ``damp``, latched. Off for fall recovery (the robot starts upside
  down); 60° for any other scenario unless configured.
* NaN guard: see above, latched.

Latched states clear only on an operator *re-enable*: ``/robodojo/enable``
going false → true after the cause is gone (for the e-stop: after
``/robodojo/estop`` false).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

HOLD = "hold"
DAMP = "damp"
SAFE_ACTIONS = (HOLD, DAMP)

#: Watchdog timeout in control periods: with the runner waking exactly at the
#: deadline, a dead state stream is detected 2.5 periods after its last message
#: (plus scheduling delay), inside the three periods the bridge promises.
STALE_PERIODS = 2.5
#: Fresh control periods of state before an unlatched watchdog lets the policy run again.
RESUME_PERIODS = 5
DEFAULT_SOFT_START_SECONDS = 0.5
#: Attitude e-stop per scenario: tilt limit in degrees, None = off.
SCENARIO_TILT_LIMITS: dict[str, float | None] = {
    # Fall recovery starts upside down and rolls over on purpose.
    "robodojo/FallRecovery-v0": None,
}
DEFAULT_TILT_LIMIT_DEG = 60.0


def default_tilt_limit_deg(env_id: str) -> float | None:
    """The attitude e-stop's tilt limit for a scenario, degrees (None: off)."""
    return SCENARIO_TILT_LIMITS.get(env_id, DEFAULT_TILT_LIMIT_DEG)


# -- the rules -----------------------------------------------------------------------------


def is_finite(values: Any) -> bool:
    """The NaN guard: every value is a finite number."""
    return bool(np.all(np.isfinite(np.asarray(values, dtype=np.float64))))


def soft_start(
    targets: np.ndarray, start_pose: np.ndarray, step_index: int, ramp_steps: int
) -> np.ndarray:
    """Blend from ``start_pose`` to ``targets``: weight (k + 1) / N on step k (0-based), full from
    step N − 1 on."""
    if ramp_steps <= 0 or step_index + 1 >= ramp_steps:
        return np.asarray(targets, dtype=np.float64)
    weight = (step_index + 1) / ramp_steps
    return start_pose + weight * (np.asarray(targets, dtype=np.float64) - start_pose)


def limit_step(
    targets: np.ndarray, previous: np.ndarray, max_step: np.ndarray | float
) -> np.ndarray:
    """Move from ``previous`` towards ``targets`` by at most ``max_step`` per joint (as the env's
    rate limit)."""
    return previous + np.clip(np.asarray(targets, dtype=np.float64) - previous, -max_step, max_step)


def clamp_to_limits(targets: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """Clip each target into its joint's [lower, upper]."""
    return np.clip(targets, lower, upper)


def tilt_exceeded(gravity: np.ndarray, limit_rad: float | None) -> float | None:
    """The tilt (rad) if it exceeds ``limit_rad``, else None; ``gravity`` is projected gravity (body
    frame)."""
    if limit_rad is None:
        return None
    tilt = math.acos(float(np.clip(-gravity[2], -1.0, 1.0)))
    return tilt if tilt > limit_rad else None


def damp_targets(measured: np.ndarray) -> np.ndarray:
    """Safe state ``damp``: target the measured pose, so position PD only damps."""
    return np.asarray(measured, dtype=np.float64).copy()


class Watchdog:
    """Staleness of a stream: ``feed(now)`` on every good message, ``age(now)`` since the last."""

    def __init__(self, timeout: float) -> None:
        if not timeout > 0:
            raise ValueError(f"watchdog timeout must be > 0 s, got {timeout}")
        self.timeout = timeout
        self.last: float | None = None

    def feed(self, now: float) -> None:
        self.last = now

    def age(self, now: float) -> float | None:
        return None if self.last is None else now - self.last

    def expired(self, now: float) -> bool:
        age = self.age(now)
        return age is not None and age > self.timeout

    def deadline(self) -> float | None:
        """When the stream goes stale if nothing more arrives."""
        return None if self.last is None else self.last + self.timeout


# -- the configuration and the command filter ------------------------------------------------


@dataclass(frozen=True)
class SafetyConfig:
    """The safety layer's settings; :meth:`for_spec` fills the defaults from a policy's IO spec."""

    control_dt: float
    lower: np.ndarray  #: joint limits the clamp uses (margin applied), policy joint order
    upper: np.ndarray
    max_step: np.ndarray  #: rad per control step, per joint
    soft_start_seconds: float = DEFAULT_SOFT_START_SECONDS
    stale_timeout: float = 0.05
    watchdog_action: str = DAMP
    latch_watchdog: bool = False
    resume_periods: int = RESUME_PERIODS
    tilt_limit: float | None = None  #: rad; None = attitude e-stop off
    require_enable: bool = True

    def __post_init__(self) -> None:
        if self.watchdog_action not in SAFE_ACTIONS:
            raise ValueError(
                f"watchdog action must be one of {SAFE_ACTIONS}, got {self.watchdog_action!r}"
            )
        if self.soft_start_seconds < 0:
            raise ValueError("soft start must be >= 0 s")
        if np.any(self.lower > self.upper):
            raise ValueError("the joint-limit margin leaves no range on some joint")
        if np.any(np.asarray(self.max_step) <= 0):
            raise ValueError("the per-step change limit must be > 0")

    @property
    def ramp_steps(self) -> int:
        return int(round(self.soft_start_seconds / self.control_dt))

    @classmethod
    def for_spec(
        cls,
        spec: dict[str, Any],
        *,
        soft_start_seconds: float = DEFAULT_SOFT_START_SECONDS,
        max_joint_speed: float | None = None,
        limit_margin: float = 0.0,
        stale_periods: float = STALE_PERIODS,
        watchdog_action: str = DAMP,
        latch_watchdog: bool = False,
        tilt_limit_deg: float | str | None = "scenario",
        require_enable: bool = True,
    ) -> SafetyConfig:
        """Defaults from ``policy.json``: limits, the env's max target speed, the scenario's
        attitude limit.

        ``max_joint_speed`` (rad/s) can only tighten the policy's ``max_target_speed``.
        ``tilt_limit_deg="scenario"`` takes :func:`default_tilt_limit_deg`; None turns it off.
        """
        action, dt = spec["action"], float(spec["control_dt"])
        lower = np.asarray(action["lower"], dtype=np.float64) + limit_margin
        upper = np.asarray(action["upper"], dtype=np.float64) - limit_margin
        speed = float(action.get("max_target_speed") or math.inf)
        if max_joint_speed is not None:
            if not max_joint_speed > 0:
                raise ValueError("max joint speed must be > 0 rad/s")
            speed = min(speed, max_joint_speed)
        if not math.isfinite(speed):
            raise ValueError(
                "the policy's spec has no action.max_target_speed; pass a max joint speed"
            )
        if tilt_limit_deg == "scenario":
            tilt_limit_deg = default_tilt_limit_deg(spec["env_id"])
        return cls(
            control_dt=dt,
            lower=lower,
            upper=upper,
            max_step=np.full(lower.shape, speed * dt),
            soft_start_seconds=soft_start_seconds,
            stale_timeout=stale_periods * dt,
            watchdog_action=watchdog_action,
            latch_watchdog=latch_watchdog,
            tilt_limit=None if tilt_limit_deg is None else math.radians(float(tilt_limit_deg)),
            require_enable=require_enable,
        )

    def describe(self) -> str:
        tilt = "off" if self.tilt_limit is None else f"{math.degrees(self.tilt_limit):.0f} deg"
        return (
            f"soft start {self.soft_start_seconds:g} s; "
            f"max change {float(np.max(self.max_step)):.3g} rad/step "
            f"({float(np.max(self.max_step)) / self.control_dt:.3g} rad/s); "
            f"joint-limit clamp; watchdog {self.stale_timeout * 1e3:.0f} ms "
            f"({self.stale_timeout / self.control_dt:g} periods) "
            f"-> {self.watchdog_action}{' (latched)' if self.latch_watchdog else ''}; "
            f"attitude e-stop {tilt}; NaN guard -> damp"
        )


class CommandFilter:
    """Rules 2–5 on one stream of commands; :meth:`arm` starts a new soft start from a measured
    pose."""

    def __init__(self, config: SafetyConfig) -> None:
        self.config = config
        self.start_pose: np.ndarray | None = None
        self.previous: np.ndarray | None = None
        self.steps = 0

    def arm(self, measured: np.ndarray) -> None:
        """Start from ``measured``: the soft start blends from it and the rate limit counts from
        it."""
        self.start_pose = np.clip(
            np.asarray(measured, dtype=np.float64), self.config.lower, self.config.upper
        )
        self.previous = self.start_pose.copy()
        self.steps = 0

    def __call__(self, targets: np.ndarray) -> np.ndarray:
        """The command to send for the policy's ``targets``; raises ValueError if not armed or not
        finite."""
        if self.start_pose is None or self.previous is None:
            raise ValueError("the command filter is not armed")
        config = self.config
        blended = soft_start(targets, self.start_pose, self.steps, config.ramp_steps)
        limited = limit_step(blended, self.previous, config.max_step)
        command = clamp_to_limits(limited, config.lower, config.upper)
        if not is_finite(command):
            raise ValueError(f"non-finite command {command.tolist()}")
        self.previous = command
        self.steps += 1
        return command
