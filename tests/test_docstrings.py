"""Env classes carry Gymnasium-style docstrings whose documented defaults match the code."""

from __future__ import annotations

import ast
import inspect
import re

import pytest
from conftest import env_class

from robodojo.envs import ENV_IDS
from robodojo.robots import robot_names

SECTIONS = (
    "Description",
    "Action Space",
    "Observation Space",
    "Rewards",
    "Starting State",
    "Episode End",
    "Arguments",
    "Version History",
)

ENV_PARAMS = [pytest.param(env_id, id=env_id.split("/")[-1]) for env_id in sorted(ENV_IDS)]


def _sections(doc: str) -> dict[str, str]:
    """'## Title' → body, in order."""
    parts = re.split(r"^\s*##\s+(.+?)\s*$", doc, flags=re.MULTILINE)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def _documented_make_call(arguments: str) -> ast.Call:
    """The ``gymnasium.make(...)`` call in the Arguments section's code block, parsed."""
    blocks = re.findall(r"```(?:python)?\n(.*?)```", arguments, flags=re.DOTALL)
    calls = [
        node
        for block in blocks
        for node in ast.walk(ast.parse(inspect.cleandoc(block)))
        if isinstance(node, ast.Call) and ast.unparse(node.func) in ("gymnasium.make", "gym.make")
    ]
    assert len(calls) == 1, (
        f"expected one gymnasium.make(...) call in the Arguments section, found {len(calls)}"
    )
    return calls[0]


@pytest.mark.parametrize("env_id", ENV_PARAMS)
def test_docstring_has_gymnasium_sections(env_id):
    doc = inspect.getdoc(env_class(env_id))
    assert doc, f"{env_id}: no docstring"
    sections = _sections(doc)
    missing = [title for title in SECTIONS if title not in sections]
    assert not missing, f"{env_id}: docstring lacks sections {missing}"
    order = [title for title in sections if title in SECTIONS]
    assert order == list(SECTIONS), f"{env_id}: sections out of order: {order}"
    empty = [title for title in SECTIONS if len(sections[title].strip()) < 20]
    assert not empty, f"{env_id}: sections with (almost) no text: {empty}"


def documented_default_problems(cls: type, env_id: str) -> list[str]:
    """Where the Arguments section's ``gymnasium.make(...)`` call disagrees with
    ``cls.__init__``."""
    call = _documented_make_call(_sections(inspect.getdoc(cls))["Arguments"])
    problems = []
    if [ast.literal_eval(arg) for arg in call.args] != [env_id]:
        problems.append(f"the documented call makes {ast.unparse(call)}, not {env_id!r}")
    documented = {keyword.arg: ast.literal_eval(keyword.value) for keyword in call.keywords}
    parameters = {
        name: parameter
        for name, parameter in inspect.signature(cls.__init__).parameters.items()
        if name != "self"
        and parameter.kind not in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD)
    }
    if set(documented) != set(parameters):
        problems.append(
            f"documented arguments {sorted(documented)} differ from the constructor's "
            f"{sorted(parameters)}"
        )
    for name, value in documented.items():
        if name not in parameters:
            continue
        default = parameters[name].default
        if (
            default is inspect.Parameter.empty
            or value != default
            or type(value) is not type(default)
        ):
            problems.append(f"{name}: documented {value!r}, real default {default!r}")
    return problems


@pytest.mark.parametrize("env_id", ENV_PARAMS)
def test_documented_make_call_matches_signature(env_id):
    assert documented_default_problems(env_class(env_id), env_id) == []


@pytest.mark.parametrize("env_id", ENV_PARAMS)
def test_arguments_section_names_every_robot(env_id):
    cls = env_class(env_id)
    if "robot" not in inspect.signature(cls.__init__).parameters:
        pytest.skip("env takes no robot argument")
    arguments = _sections(inspect.getdoc(cls))["Arguments"]
    undocumented = [
        name
        for name in robot_names(getattr(cls, "ROBOT_KIND", None))
        if f'"{name}"' not in arguments
    ]
    assert not undocumented, f"robots missing from the Arguments section: {undocumented}"


@pytest.mark.parametrize("env_id", ENV_PARAMS)
def test_documented_reward_terms_match_the_env(env_id, make_env):
    """Every reward term the env reports has a row in the Rewards section (and no stale rows)."""
    rewards = _sections(inspect.getdoc(env_class(env_id)))["Rewards"]
    rows = re.findall(r"^\|\s*([a-z_]+)\s*\|", rewards, flags=re.MULTILINE)
    documented = {row for row in rows if row not in ("term",)}
    env = make_env(env_id)
    assert documented == set(env.unwrapped.reward_weights)


def test_checker_catches_stale_documentation():
    """The checker itself: a stale default, a missing argument and a wrong id are all reported."""

    class Fake:
        """## Arguments

        ```python
        gymnasium.make("robodojo/Other-v0", speed=2.0, size=3)
        ```
        """

        def __init__(self, speed: float = 1.0, size: int = 3, colour: str = "red") -> None: ...

    problems = documented_default_problems(Fake, "robodojo/Fake-v0")
    assert len(problems) == 3, problems
    assert any("speed" in p for p in problems) and any("colour" in p for p in problems)
    assert not any(p.startswith("size") for p in problems)
