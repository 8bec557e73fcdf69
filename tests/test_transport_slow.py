"""The issue's bar for the scripted pick-and-place, on the full 100 seeded episodes per variant
(`make test-slow`)."""

from __future__ import annotations

import pytest

from robodojo.evaluation.evaluate import evaluate

ENV_ID = "robodojo/Transport-v0"


@pytest.mark.slow
@pytest.mark.parametrize(
    ("robot", "env_kwargs"),
    [
        ("panda", {}),
        ("panda", {"parcels": 3}),
        ("panda", {"fragile": True}),
        ("kuka_iiwa", {}),
        ("xarm6", {}),
        ("ur5", {}),
        ("ur10", {}),
    ],
    ids=["panda", "panda-3-parcels", "panda-fragile", "kuka_iiwa", "xarm6", "ur5", "ur10"],
)
def test_scripted_pick_and_place_reaches_95_percent_on_100_episodes(
    robot: str, env_kwargs: dict
) -> None:
    result = evaluate(ENV_ID, "scripted", 100, seed=0, robot=robot, env_kwargs=env_kwargs)
    assert result.success_rate >= 0.95, f"{robot} {env_kwargs}: {result.successes}/100"
