"""The issue's bar for the scripted rescuer (≥ 80 % at difficulty 0) on 100 seeded episodes, both
action levels (`make test-slow`)."""

from __future__ import annotations

import pytest

from robodojo.evaluation.evaluate import evaluate

ENV_ID = "robodojo/QuadrupedRescue-v0"


@pytest.mark.slow
@pytest.mark.parametrize("action", ["velocity", "joints"])
def test_scripted_rescuer_reaches_80_percent_at_difficulty_0_on_100_episodes(action: str) -> None:
    result = evaluate(
        ENV_ID,
        "scripted",
        100,
        seed=0,
        robot="a1",
        env_kwargs={"action": action, "difficulty": 0.0},
    )
    assert result.success_rate >= 0.8, f"{action}: {result.successes}/100"
