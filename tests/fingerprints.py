"""Seeded-episode fingerprints: what "behaviour unchanged" is measured against.

Each case plays whole episodes (or a fixed number of steps) of one env
configuration with one policy from fixed seeds, several episodes in a row in
one env (so history between resets is part of what is checked), and hashes
every observation, reward, termination flag, reward term, success flag and
the final episode metrics bit for bit. ``tests/fingerprints.json`` holds the
hashes recorded before the 2026-12 redesign; ``test_fingerprints.py`` replays
the cases and compares.

Only public, stable API is used here (``make_policy``, and ``robodojo.envs.make``
where it exists, ``gymnasium.make`` before it: both build the env with its own
time limit), so the same script recorded the old code and checks the new::

    python tests/fingerprints.py --write tests/fingerprints.json   # re-record (say why in the
    commit)
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

FINGERPRINTS = Path(__file__).with_name("fingerprints.json")


@dataclass(frozen=True)
class Case:
    """One env configuration played by one policy over ``seeds`` (in this order, in one env)."""

    name: str
    env_id: str
    #: "random": uniform actions from an rng of its own (seeded per episode), else a policy name
    policy: str
    seeds: tuple[int, ...]
    kwargs: dict[str, Any] = field(default_factory=dict)
    max_steps: int = (
        10_000  #: per episode: longer ones are cut here (their metrics are then not in the hash)
    )


FALL, WELD, TRANSPORT = "robodojo/FallRecovery-v0", "robodojo/Weld-v0", "robodojo/Transport-v0"
LOCOMOTION, RESCUE = "robodojo/Locomotion-v0", "robodojo/QuadrupedRescue-v0"
QUADRUPEDS = ("a1", "aliengo", "laikago", "mini_cheetah")
ARMS = ("kuka_iiwa", "xarm6", "panda")
TRANSPORT_ARMS = ("panda", "kuka_iiwa", "xarm6")

CASES: list[Case] = [
    *(Case(f"fall_{r}_getup", FALL, "scripted", (0, 1, 2), {"robot": r}) for r in QUADRUPEDS),
    *(
        Case(f"fall_{r}_random", FALL, "random", (3, 4), {"robot": r}, max_steps=120)
        for r in QUADRUPEDS
    ),
    Case(
        "fall_a1_short_weights",
        FALL,
        "random",
        (5, 6),
        {"episode_seconds": 1.0, "reward_weights": {"energy": -0.01}, "hold_seconds": 0.5},
    ),
    *(Case(f"weld_{r}_seam_tracking", WELD, "seam_tracking", (0, 1), {"robot": r}) for r in ARMS),
    Case(
        "weld_kuka_teach_and_repeat_d2",
        WELD,
        "teach_and_repeat",
        (2, 3),
        {"difficulty": 2.0, "shape": "corner"},
    ),
    Case(
        "weld_xarm_joint_random",
        WELD,
        "random",
        (4, 5),
        {"robot": "xarm6", "control": "joint"},
        max_steps=150,
    ),
    Case(
        "weld_panda_fillet_arc_random",
        WELD,
        "random",
        (6,),
        {"robot": "panda", "joint": "fillet", "shape": "arc"},
        max_steps=200,
    ),
    *(
        Case(f"transport_{r}_pick_and_place", TRANSPORT, "scripted", (0, 1), {"robot": r})
        for r in TRANSPORT_ARMS
    ),
    Case(
        "transport_panda_two_fragile", TRANSPORT, "scripted", (2,), {"parcels": 2, "fragile": True}
    ),
    Case(
        "transport_panda_dense_random",
        TRANSPORT,
        "random",
        (3, 4),
        {"reward_type": "dense"},
        max_steps=120,
    ),
    Case(
        "transport_kuka_joint_random",
        TRANSPORT,
        "random",
        (5, 6, 7),
        {"robot": "kuka_iiwa", "control": "joint"},
        max_steps=120,
    ),
    Case(
        "locomotion_a1_trot_d075",
        LOCOMOTION,
        "scripted",
        (0, 1),
        {"difficulty": 0.75},
        max_steps=400,
    ),
    *(
        Case(
            f"locomotion_{r}_trot",
            LOCOMOTION,
            "scripted",
            (2,),
            {"robot": r, "difficulty": 0.25},
            max_steps=200,
        )
        for r in QUADRUPEDS[1:]
    ),
    Case("locomotion_a1_random", LOCOMOTION, "random", (3,), {"difficulty": 0.5}, max_steps=100),
    Case(
        "locomotion_a1_learned",
        LOCOMOTION,
        "locomotion_a1",
        (4,),
        {"difficulty": 0.5},
        max_steps=300,
    ),
    Case("rescue_a1_rescuer_d0", RESCUE, "scripted", (0,), {"difficulty": 0.0}),
    Case("rescue_a1_rescuer_d075", RESCUE, "scripted", (1, 2), {"difficulty": 0.75}, max_steps=120),
    Case(
        "rescue_a1_joints_rescuer",
        RESCUE,
        "scripted",
        (3,),
        {"action": "joints", "difficulty": 0.5},
        max_steps=300,
    ),
    Case("rescue_a1_joints_random", RESCUE, "random", (4,), {"action": "joints"}, max_steps=100),
    Case(
        "rescue_a1_policy_learned_walker",
        RESCUE,
        "rescue_a1",
        (5,),
        {"walker": "locomotion_a1", "difficulty": 0.5},
        max_steps=120,
    ),
    Case(
        "rescue_a1_trot_policy", RESCUE, "rescue_a1_trot", (6,), {"difficulty": 0.25}, max_steps=120
    ),
    Case("rescue_laikago_rescuer", RESCUE, "scripted", (7,), {"robot": "laikago"}, max_steps=80),
    Case("fall_a1_pretrained", FALL, "fall_recovery_a1", (7, 8), {}),
    Case("fall_go2_pretrained", FALL, "fall_recovery_go2", (7, 8), {"robot": "go2"}),
    Case("fall_go2_getup", FALL, "scripted", (0, 1), {"robot": "go2"}),
    Case("locomotion_go2_trot", LOCOMOTION, "scripted", (0,), {"robot": "go2"}, max_steps=200),
    Case("weld_kuka_pretrained", WELD, "weld_kuka_iiwa", (7,), {}),
    Case("transport_panda_pretrained", TRANSPORT, "transport_panda", (7,), {}),
    *(
        Case(f"resets_{name}", env_id, policy, tuple(range(100, 160)), kwargs, max_steps=3)
        for name, env_id, policy, kwargs in (
            ("weld", WELD, "teach_and_repeat", {}),
            ("transport", TRANSPORT, "scripted", {}),
            ("locomotion_debris", LOCOMOTION, "scripted", {"difficulty": 1.0}),
        )
    ),
    # More resets than robodojo.envs.base.REBUILD_EVERY_RESETS: episodes across a world rebuild
    Case(
        "resets_transport_past_a_rebuild",
        TRANSPORT,
        "scripted",
        tuple(range(1000, 1520)),
        {},
        max_steps=1,
    ),
]


def _update(digest: Any, value: Any) -> None:
    """Feed ``value`` into the hash exactly: arrays by dtype, shape and bytes, floats by their 8
    bytes."""
    if isinstance(value, dict):
        for key in sorted(value):
            digest.update(str(key).encode())
            _update(digest, value[key])
    elif isinstance(value, np.ndarray):
        digest.update(f"{value.dtype}{value.shape}".encode())
        digest.update(np.ascontiguousarray(value).tobytes())
    elif isinstance(value, (bool, np.bool_)):
        digest.update(b"T" if value else b"F")
    elif isinstance(value, (float, np.floating)):
        digest.update(np.float64(value).tobytes())
    elif isinstance(value, (int, np.integer)):
        digest.update(str(int(value)).encode())
    else:
        digest.update(repr(value).encode())


def _policy(case: Case, env: Any) -> Any:
    if case.policy == "random":
        return None
    from robodojo.policies import make_policy

    return make_policy(case.policy, env, case.env_id)


def play(case: Case) -> list[dict[str, Any]]:
    """The case's episodes: per episode the seed, steps, return, final metrics (if it ended) and the
    hash."""
    import gymnasium

    import robodojo.envs

    make = getattr(
        robodojo.envs, "make", gymnasium.make
    )  # the old code had no TimeLimit, the new one fits it
    env = make(case.env_id, **case.kwargs)
    episodes = []
    try:
        policy = _policy(case, env)
        space = env.action_space
        for seed in case.seeds:
            digest = hashlib.sha256()
            observation, info = env.reset(seed=seed)
            _update(digest, observation)
            _update(digest, info.get("is_success"))
            rng = np.random.default_rng(10_000 + seed)
            if policy is not None:
                policy.reset()
            total, steps, metrics, ended = 0.0, 0, None, False
            while steps < case.max_steps:
                if policy is None:
                    action = rng.uniform(space.low, space.high).astype(space.dtype)
                else:
                    action = policy(observation)
                observation, reward, terminated, truncated, info = env.step(action)
                steps += 1
                total += float(reward)
                for value in (
                    observation,
                    float(reward),
                    terminated,
                    truncated,
                    info.get("reward_terms", {}),
                    info.get("is_success"),
                    info.get("physics_error"),
                ):
                    _update(digest, value)
                if terminated or truncated:
                    metrics, ended = info.get("episode_metrics"), True
                    _update(digest, metrics)
                    break
            episodes.append(
                {
                    "seed": seed,
                    "steps": steps,
                    "ended": ended,
                    "return": repr(total),
                    "metrics": {k: repr(float(v)) for k, v in (metrics or {}).items()},
                    "sha256": digest.hexdigest(),
                }
            )
    finally:
        env.close()
    return episodes


def record(cases: list[Case]) -> dict[str, Any]:
    return {
        case.name: {
            "env_id": case.env_id,
            "policy": case.policy,
            "kwargs": case.kwargs,
            "episodes": play(case),
        }
        for case in cases
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", type=Path, help="write the fingerprints here")
    parser.add_argument("--check", type=Path, default=None, help="compare with these fingerprints")
    parser.add_argument("--only", nargs="*", help="case names")
    args = parser.parse_args(argv)
    cases = [c for c in CASES if not args.only or c.name in args.only]
    result = {}
    for case in cases:
        result[case.name] = record([case])[case.name]
        print(
            case.name,
            [e["steps"] for e in result[case.name]["episodes"]],
            file=sys.stderr,
            flush=True,
        )
    if args.write:
        args.write.write_text(json.dumps(result, indent=1, sort_keys=True) + "\n")
    if args.check:
        expected = json.loads(args.check.read_text())
        moved = [name for name in result if result[name] != expected.get(name)]
        print("moved:", moved or "none")
        return 1 if moved else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
