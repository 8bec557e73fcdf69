"""Behaviour unchanged, measured: every recorded seeded episode replays bit for bit.

``fingerprints.json`` was recorded on the code before the 2026-12 layering
redesign (commit 0ceeba9) with ``tests/fingerprints.py``; a case that moves
must be explained in its commit and re-recorded on purpose.
"""

from __future__ import annotations

import json

import pytest
from fingerprints import CASES, FINGERPRINTS, play

RECORDED = json.loads(FINGERPRINTS.read_text())


def test_every_case_was_recorded() -> None:
    assert sorted(RECORDED) == sorted(case.name for case in CASES)


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_seeded_episodes_replay_bit_for_bit(case) -> None:
    expected = RECORDED[case.name]
    assert (expected["env_id"], expected["policy"], expected["kwargs"]) == (
        case.env_id,
        case.policy,
        case.kwargs,
    )
    for got, want in zip(play(case), expected["episodes"], strict=True):
        assert got == want, f"{case.name} seed {want['seed']}: {got} != recorded {want}"
