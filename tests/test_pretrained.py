"""The regression gate for shipped policies: each still performs as its card says.

Every policy in ``policies/pretrained/`` is evaluated on 20 fixed seeds
(through the same torch-free path users run) and must stay within
``MARGIN`` of the success rate on its card, which came from 100 episodes at
export time. With 20 episodes, a policy truly at its card's rate falls more
than 0.15 below it rarely (< 2 % for a 0.9 policy, never for a 1.0 one), so a
failure here means the env, robot or runtime changed under the policy.
"""

from __future__ import annotations

import pytest

from robodojo.evaluation.evaluate import evaluate
from robodojo.policies.pretrained import discover

SHIPPED = discover()
MARGIN = 0.15
SEEDS = 20
GATE_SEED = 50_000  #: not the seeds the card was measured on


def test_a_fall_recovery_policy_is_shipped() -> None:
    assert any(p.env_id == "robodojo/FallRecovery-v0" and p.robot == "a1" for p in SHIPPED.values())


def test_a_weld_policy_is_shipped() -> None:
    assert any(p.env_id == "robodojo/Weld-v0" and p.robot == "kuka_iiwa" for p in SHIPPED.values())


def test_a_transport_policy_is_shipped() -> None:
    assert any(p.env_id == "robodojo/Transport-v0" and p.robot == "panda" for p in SHIPPED.values())


def test_a_velocity_level_rescue_policy_is_shipped() -> None:
    assert any(
        p.env_id == "robodojo/QuadrupedRescue-v0" and p.robot == "a1" for p in SHIPPED.values()
    )


def test_a_locomotion_policy_is_shipped() -> None:
    assert any(p.env_id == "robodojo/Locomotion-v0" and p.robot == "a1" for p in SHIPPED.values())


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_shipped_policy_is_small_and_documented(name: str) -> None:
    folder = SHIPPED[name].path
    assert (folder / "policy.onnx").stat().st_size < 1_000_000, "ship kilobytes, not megabytes"
    assert (folder / "card.md").is_file()
    assert SHIPPED[name].success_rate is not None, "a shipped policy needs an evaluation card"


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_shipped_policy_matches_its_card(name: str) -> None:
    pretrained = SHIPPED[name]
    result = evaluate(pretrained.env_id, name, SEEDS, seed=GATE_SEED, robot=pretrained.robot)
    assert result.success_rate >= pretrained.success_rate - MARGIN, (
        f"{name}: {result.successes}/{SEEDS} on seeds {GATE_SEED}..{GATE_SEED + SEEDS - 1}, "
        f"card says {pretrained.success_rate:.0%}"
    )
