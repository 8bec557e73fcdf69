"""Hostile input at every boundary: each env argument, each ``eval`` flag, each action type.

Every case either works or fails with the documented one-line error — a
``TypeError`` / ``ValueError`` naming the argument from Python, exit status 2
and one stderr line from the CLI — never a traceback, never a hang.

The env-argument grid is every registered id × every declared constructor
argument × :data:`HOSTILE` values. Checking a value costs microseconds, so
``make test`` checks the whole grid; a value that passes the check is then
used to build the env and run a step, which costs ~0.1-1 s: ``make test``
builds a seeded sample of :data:`BUILT_IN_FAST_RUN` of those cases,
``make test-slow`` all of them.
"""

from __future__ import annotations

import inspect
import json
import math
import random
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gymnasium
import numpy as np
import pytest

import robodojo.envs
from robodojo.cli.main import main as robodojo_main
from robodojo.envs import ENV_IDS, check_env_arguments, env_class
from robodojo.envs.base import COMMON_ARGUMENTS
from robodojo.policies.pretrained import discover

#: Values a careless or hostile caller passes. Each is tried for every argument of every env.
HOSTILE: list[Any] = [
    "banana",
    "",
    None,
    True,
    False,
    math.nan,
    math.inf,
    -math.inf,
    float("1e999"),
    -1,
    0,
    1e-9,
    1e12,
    -1e12,
    2**70,
    [],
    {},
    (1,),
    (1, 2, 3),
    [[1, [2]]],
    {"a": {"b": 1}},
    object(),
]
BUILT_IN_FAST_RUN = 25  #: accepted cases built and stepped in ``make test`` (all of them when slow)


def _declared(env_id: str) -> dict[str, Any]:
    cls = env_class(env_id)
    return {**COMMON_ARGUMENTS, **cls.ARGUMENTS}


def _grid() -> list[tuple[str, str, Any]]:
    return [
        (env_id, name, value)
        for env_id in sorted(ENV_IDS)
        for name in sorted(_declared(env_id))
        if name != "render_mode"  # its own tests: a window cannot open here
        for value in HOSTILE
    ]


def _assert_one_line_naming(error: BaseException, name: str) -> None:
    message = str(error)
    assert "\n" not in message, f"not one line: {message!r}"
    assert name in message, f"does not name {name!r}: {message}"


@pytest.mark.parametrize("env_id", sorted(ENV_IDS))
def test_every_constructor_argument_is_declared_and_its_default_allowed(env_id: str) -> None:
    cls = env_class(env_id)
    parameters = inspect.signature(cls.__init__).parameters
    names = [n for n in parameters if n != "self"]
    assert sorted(names) == sorted(_declared(env_id)), "ARGUMENTS must declare every argument"
    defaults = {n: parameters[n].default for n in names}
    check_env_arguments(env_id, defaults)  # the defaults pass their own declarations


def test_checking_the_whole_grid_never_raises_anything_but_the_documented_errors() -> None:
    accepted = 0
    for env_id, name, value in _grid():
        try:
            check_env_arguments(env_id, {name: value})
        except (TypeError, ValueError) as error:
            _assert_one_line_naming(error, name)
        else:
            accepted += 1
    total = len(_grid())
    assert total > 1000 and 0 < accepted < total / 5, (accepted, total)


def _accepted_cases() -> list[tuple[str, str, Any]]:
    cases = []
    for env_id, name, value in _grid():
        try:
            check_env_arguments(env_id, {name: value})
        except (TypeError, ValueError):
            continue
        cases.append((env_id, name, value))
    return cases


def _sample(slow: bool) -> list[Any]:
    cases = _accepted_cases()
    if not slow:
        cases = random.Random(14).sample(cases, min(BUILT_IN_FAST_RUN, len(cases)))
    return [
        pytest.param(*case, id=f"{case[0].split('/')[-1]}-{case[1]}={case[2]!r}") for case in cases
    ]


def _build_and_step(env_id: str, name: str, value: Any) -> None:
    """An accepted value builds an env that resets and steps, or the task rejects it (a value that
    depends on other arguments or the robot) with one line naming it."""
    try:
        env = robodojo.envs.make(env_id, **{name: value})
    except (TypeError, ValueError) as error:
        _assert_one_line_naming(error, name)
        return
    try:
        env.reset(seed=0)
        _, reward, *_ = env.step(env.action_space.sample())
        assert math.isfinite(reward)
    finally:
        env.close()


@pytest.mark.parametrize(("env_id", "name", "value"), _sample(slow=False))
def test_accepted_hostile_values_build_a_working_env(env_id: str, name: str, value: Any) -> None:
    _build_and_step(env_id, name, value)


@pytest.mark.slow
@pytest.mark.parametrize(("env_id", "name", "value"), _sample(slow=True))
def test_every_accepted_hostile_value_builds_a_working_env(
    env_id: str, name: str, value: Any
) -> None:
    _build_and_step(env_id, name, value)


# -- the cases, by name ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("env", "kwargs", "error", "named"),
    [
        ("weld", {"difficulty": "banana"}, TypeError, "difficulty"),
        ("weld", {"difficulty": math.nan}, ValueError, "difficulty"),
        ("weld", {"difficulty": True}, TypeError, "difficulty"),
        ("fall_recovery", {"episode_seconds": "banana"}, TypeError, "episode_seconds"),
        ("fall_recovery", {"episode_seconds": math.nan}, ValueError, "episode_seconds"),
        ("fall_recovery", {"episode_seconds": math.inf}, ValueError, "episode_seconds"),
        ("fall_recovery", {"episode_seconds": 1e-9}, ValueError, "one control step"),
        ("fall_recovery", {"reward_weights": {"upright": "a"}}, ValueError, "upright"),
        ("fall_recovery", {"reward_weights": {"upright": 1e999}}, ValueError, "upright"),
        ("fall_recovery", {"reward_weights": {"upright": math.nan}}, ValueError, "upright"),
        ("rescue", {"walker": 3}, TypeError, "walker"),
        ("transport", {"size_range": (0.1,)}, TypeError, "size_range"),
        ("transport", {"robot": "a1"}, ValueError, "quadruped"),
    ],
)
def test_reported_tracebacks_are_one_line_errors(
    env: str, kwargs: dict, error: type[Exception], named: str
) -> None:
    for make in (robodojo.envs.make, gymnasium.make):  # ours checks first; Gymnasium's via the
        with pytest.raises(error) as raised:  # constructor (it appends the kwargs to a TypeError)
            make(robodojo.envs.resolve_env_id(env), **kwargs).close()
        _assert_one_line_naming(raised.value, named)


# -- actions ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("make_action", "error", "named"),
    [
        (lambda n: np.array([None] * n, dtype=object), TypeError, "None"),
        (lambda n: {"a": 1.0}, TypeError, "dict"),
        (lambda n: np.ones(n, bool), TypeError, "booleans"),
        (lambda n: np.ones(n, complex), TypeError, "complex"),
        (lambda n: "0.5", TypeError, "str"),
        (lambda n: None, TypeError, "NoneType"),
        (lambda n: [[0.0, 0.0], [0.0]], ValueError, "ragged"),
        (lambda n: np.full(n, np.nan), ValueError, "NaN"),
    ],
    ids=["none-objects", "dict", "bool", "complex", "str", "None", "ragged", "nan"],
)
@pytest.mark.parametrize("env_id", sorted(ENV_IDS))
def test_bad_actions_name_the_real_problem(
    make_env, env_id: str, make_action, error: type[Exception], named: str
) -> None:
    env = make_env(env_id)
    env.reset(seed=0)
    with pytest.raises(error, match=named):
        env.step(make_action(env.action_space.shape[0]))
    env.step(np.zeros(env.action_space.shape))  # the episode goes on


# -- the eval command -------------------------------------------------------------------------
def _eval(capsys: pytest.CaptureFixture[str], *flags: str) -> tuple[int, list[str], str]:
    """Exit status, stderr's lines and stdout of ``robodojo eval FLAGS`` run in this process."""
    try:
        code = robodojo_main(["eval", "--quiet", *flags])
    except SystemExit as exit_:  # argparse
        code = int(exit_.code or 0)
    out, err = capsys.readouterr()
    return code, [line for line in err.splitlines() if line.strip()], out


@pytest.mark.parametrize(
    "flags",
    [
        ["--env", "weld", "--env-arg", "difficulty=banana"],
        ["--env", "weld", "--env-arg", "difficulty=nan"],
        ["--env", "fall_recovery", "--env-arg", "episode_seconds=inf"],
        ["--env", "fall_recovery", "--env-arg", "episode_seconds=1e999"],
        ["--env", "fall_recovery", "--env-arg", "episode_seconds=1e-9"],
        ["--env", "fall_recovery", "--env-arg", "reward_weights={'upright': 'a'}"],
        ["--env", "fall_recovery", "--env-arg", "render_mode=human"],
        ["--env", "fall_recovery", "--env-arg", "bogus=1"],
        ["--env", "fall_recovery", "--env-arg", "noequals"],
        ["--env", "fall_recovery", "--seed", "-1"],
        ["--env", "fall_recovery", "--seed", "banana"],
        ["--env", "fall_recovery", "--episodes", "0"],
        ["--env", "fall_recovery", "--episodes", "1e999"],
        ["--env", "fall_recovery", "--video-episodes", "-1"],
        ["--env", "fall_recovery", "--min-success", "nan"],
        ["--env", "fall_recovery", "--json", "."],
        ["--env", "fall_recovery", "--json", "/nonexistent/dir/r.json"],
        ["--env", "fall_recovery", "--video", "v.txt"],
        ["--env", "fall_recovery", "--video", "/nonexistent/dir/v.mp4"],
        ["--env", "banana"],
        ["--env", ""],
        ["--env", "fall_recovery", "--robot", "banana"],
        ["--env", "fall_recovery", "--policy", "banana"],
        ["--env", "fall_recovery", "--policy", ""],
        ["--policy", "/etc/passwd"],
        ["--bogus-flag"],
    ],
)
def test_bad_eval_flags_exit_2_with_one_line(
    capsys: pytest.CaptureFixture[str], flags: list[str], tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, lines, _ = _eval(capsys, *flags)
    assert code == 2 and len(lines) == 1, (code, lines)
    assert lines[0].startswith("robodojo") and ": error: " in lines[0], lines
    assert list(tmp_path.iterdir()) == [], "a failed command must leave nothing behind"


def test_a_bad_output_path_is_refused_before_the_evaluation_runs(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """The results would otherwise be computed, then lost when written."""
    code, lines, out = _eval(
        capsys, "--env", "fall_recovery", "--episodes", "1", "--json", str(tmp_path)
    )
    assert code == 2 and "is a folder" in lines[0]
    assert "success rate" not in out  # nothing ran


def _edited_copy(tmp_path: Path, name: str, change: Callable[[dict], None]) -> Path:
    """A copy of the shipped policy ``name`` whose policy.json ``change`` has edited."""
    folder = tmp_path / "edited"
    shutil.copytree(discover()[name].path, folder)
    spec = json.loads((folder / "policy.json").read_text())
    change(spec)
    (folder / "policy.json").write_text(json.dumps(spec))
    return folder


# -- a policy spec's env arguments ----------------------------------------------------------------
@pytest.mark.parametrize(
    ("env_kwargs", "named"),
    [
        ("not a dict", "env_kwargs"),
        ({"walker": 3}, "walker"),
        ({"difficulty": "hard"}, "difficulty"),
        ({"bogus": 1}, "bogus"),
        ({"episode_seconds": None}, "episode_seconds"),
    ],
)
def test_an_edited_policy_spec_is_refused_in_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, env_kwargs: Any, named: str
) -> None:
    folder = _edited_copy(tmp_path, "rescue_a1", lambda spec: spec.update(env_kwargs=env_kwargs))
    code, lines, _ = _eval(capsys, "--policy", str(folder), "--episodes", "1")
    assert code == 2 and len(lines) == 1, (code, lines)
    assert "env_kwargs" in lines[0] and named in lines[0], lines


# -- a closed env -----------------------------------------------------------------------------
@pytest.mark.parametrize("env_id", sorted(ENV_IDS))
def test_a_closed_env_says_so_on_every_call(env_id: str) -> None:
    env = robodojo.envs.make(env_id, render_mode="rgb_array")
    env.reset(seed=0)
    env.close()
    env.close()  # closing twice is harmless
    for call in (
        lambda: env.reset(seed=0),
        lambda: env.step(np.zeros(env.action_space.shape)),
        env.render,
    ):
        with pytest.raises(gymnasium.error.ClosedEnvironmentError, match="is closed"):
            call()


# -- every field of a policy spec -----------------------------------------------------------------
SPEC_HOSTILE: list[Any] = [None, "banana", -1, 1e999, [], {}, [None], True]
SPEC_CASES_IN_FAST_RUN = 40  #: seeded sample in ``make test``; every (field, value) when slow


def _spec_fields(value: Any, path: tuple = ()) -> list[tuple]:
    """Paths to every entry of a spec (containers too; the first element of a list of objects)."""
    paths = [path] if path else []
    if isinstance(value, dict):
        for key, item in value.items():
            paths += _spec_fields(item, (*path, key))
    elif isinstance(value, list) and value and isinstance(value[0], dict):
        paths += _spec_fields(value[0], (*path, 0))
    return paths


def _spec_cases(slow: bool) -> list[Any]:
    spec = json.loads((discover()["fall_recovery_a1"].path / "policy.json").read_text())
    cases = [(path, value) for path in _spec_fields(spec) for value in SPEC_HOSTILE]
    if not slow:
        cases = random.Random(14).sample(cases, SPEC_CASES_IN_FAST_RUN)
    return [pytest.param(p, v, id=f"{'.'.join(map(str, p))}={v!r}") for p, v in cases]


def _eval_with_edited_spec(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, path: tuple, value: Any
) -> None:
    def replace(spec: dict) -> None:
        parent = spec
        for key in path[:-1]:
            parent = parent[key]
        parent[path[-1]] = value

    folder = _edited_copy(tmp_path, "fall_recovery_a1", replace)
    flags = ["--policy", str(folder), "--episodes", "1", "--env-arg", "episode_seconds=0.1"]
    code, lines, _ = _eval(capsys, *flags)
    assert code == 0 or (code == 2 and len(lines) == 1), (code, lines)


@pytest.mark.parametrize(("path", "value"), _spec_cases(slow=False))
def test_a_spec_field_edited_to_anything_works_or_fails_in_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, path: tuple, value: Any
) -> None:
    _eval_with_edited_spec(capsys, tmp_path, path, value)


@pytest.mark.slow
@pytest.mark.parametrize(("path", "value"), _spec_cases(slow=True))
def test_every_spec_field_edited_to_anything_works_or_fails_in_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, path: tuple, value: Any
) -> None:
    _eval_with_edited_spec(capsys, tmp_path, path, value)
