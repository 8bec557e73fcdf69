"""Training configuration: per-scenario YAML defaults, overrides and strict validation.

A config is a plain dict (what ``config.yaml`` in a run folder holds). It is
built from ``training/configs/<scenario>.yaml``, then a ``--config`` file
(partial YAML, merged key by key), then ``--set a.b.c=value`` overrides, then
the CLI flags (--robot/--algo/--steps/--n-envs/--seed). :func:`validate`
rejects unknown keys anywhere — top level, env constructor arguments,
``residual``, ``curriculum``, Stable-Baselines3 constructor and policy
arguments — with the valid ones listed.

``residual: {base: scripted, scale: 0.5}`` trains a correction on top of a
scripted controller (:class:`~robodojo.policies.residual.ResidualEnv`);
evaluations, the card and the video then run the composed policy.

``curriculum: {levels: 11, start_level: 0}`` (or ``true`` for those defaults;
null, the default, for none) wraps every training env in
:class:`~robodojo.envs.curriculum.TerrainCurriculum` (an env with a terrain
``difficulty``: locomotion, rescue): each worker climbs the difficulty levels
as it succeeds. Evaluations stay at ``env_kwargs.difficulty``.

``her: {n_sampled_goal: 4, goal_selection_strategy: future}`` (sac / tqc on a
goal-conditioned env only: Dict observation with observation / achieved_goal /
desired_goal and ``compute_reward``) trains with SB3's ``HerReplayBuffer``;
null (the default) keeps the algorithm's own buffer. Note that HER cannot
sample before the first episode ends, so ``learning_starts`` must exceed an
episode's length.

Only PyYAML is imported at module level; SB3 (and torch) load when hyperparameter
names are checked against the algorithm's constructor. No env is ever built to
validate a config: what it checks (arguments, reset options, goal-conditioned
observations) is declared on the env classes.
"""

from __future__ import annotations

import copy
import importlib
import inspect
import math
import re
from pathlib import Path
from typing import Any

from robodojo import envs
from robodojo.envs import env_class, resolve_env_id, short_name
from robodojo.evaluation import catalog
from robodojo.evaluation.evaluate import EvalConfigError, check_config
from robodojo.policies import base_controller_names, resolve_controller

CONFIG_DIR = Path(__file__).resolve().parent / "configs"

#: Every top-level key a config has, in the order config.yaml is written.
TOP_LEVEL_KEYS = (
    "scenario",
    "robot",
    "env_kwargs",
    "curriculum",
    "residual",
    "residual_hold_steps",
    "algo",
    "her",
    "total_steps",
    "n_envs",
    "seed",
    "normalize_observations",
    "normalize_rewards",
    "checkpoint_every",
    "eval_every",
    "eval_episodes",
    "eval_seed",
    "final_eval_episodes",
    "final_eval_seed",
    "video_episodes",
    "policy_kwargs",
    "algo_kwargs",
)
#: algo name -> (module, class). TQC lives in sb3-contrib.
ALGORITHMS = {
    "ppo": ("stable_baselines3", "PPO"),
    "sac": ("stable_baselines3", "SAC"),
    "tqc": ("sb3_contrib", "TQC"),
}
OFF_POLICY = frozenset({"sac", "tqc"})
#: Activation names a config may use for policy_kwargs.activation_fn (attributes of torch.nn).
ACTIVATIONS = {
    "elu": "ELU",
    "relu": "ReLU",
    "tanh": "Tanh",
    "leaky_relu": "LeakyReLU",
    "gelu": "GELU",
    "silu": "SiLU",
}
#: Constructor arguments robodojo sets itself.
RESERVED_ALGO_KWARGS = {
    "self",
    "policy",
    "env",
    "seed",
    "verbose",
    "device",
    "tensorboard_log",
    "_init_setup_model",
    "replay_buffer_class",
}
RESERVED_POLICY_KWARGS = {"self", "observation_space", "action_space", "lr_schedule"}
#: (minimum, key) for integer settings.
_INTEGERS = {
    "total_steps": 1,
    "n_envs": 1,
    "seed": 0,
    "checkpoint_every": 1,
    "eval_every": 0,
    "eval_episodes": 1,
    "eval_seed": 0,
    "final_eval_episodes": 1,
    "final_eval_seed": 0,
    "video_episodes": 0,
    "residual_hold_steps": 0,
}
#: ``residual:`` sub-keys and the scale used when only the base is given.
RESIDUAL_KEYS = ("base", "scale")
DEFAULT_RESIDUAL_SCALE = 0.5
#: ``curriculum:`` sub-keys (TerrainCurriculum arguments) and their defaults (``curriculum: true``)
CURRICULUM_DEFAULTS = {"levels": 11, "start_level": 0, "top_level_random": True}
#: ``her:`` sub-keys (HerReplayBuffer arguments a config may set) and the goal strategies it knows.
HER_KEYS = (
    "n_sampled_goal",
    "goal_selection_strategy",
    "copy_info_dict",
    "handle_timeout_termination",
)
HER_STRATEGIES = ("future", "final", "episode")
#: The keys of a goal-conditioned env's Dict observation (what HerReplayBuffer relabels).
GOAL_KEYS = ("observation", "achieved_goal", "desired_goal")
_NUMBER = re.compile(r"^[+-]?(\d[\d_]*\.?\d*|\.\d+)([eE][+-]?\d+)?$")


class ConfigError(ValueError):
    """The configuration asks for something that does not exist or cannot work."""


def _yaml():
    import yaml

    return yaml


def scenario_name(name: str) -> str:
    """Short scenario name for a short name or a Gymnasium id (``robodojo/FallRecovery-v0``)."""
    try:
        return short_name(name)
    except ValueError as error:
        raise ConfigError(str(error)) from None


def defaults_path(scenario: str) -> Path:
    return CONFIG_DIR / f"{scenario_name(scenario)}.yaml"


def load_yaml(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    try:
        data = _yaml().safe_load(path.read_text())
    except OSError as error:
        raise ConfigError(f"cannot read config {path}: {error.strerror or error}") from None
    except _yaml().YAMLError as error:
        raise ConfigError(f"{path} is not valid YAML: {' '.join(str(error).split())}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path} must hold a mapping of config keys, got {type(data).__name__}")
    return _numbers(data)


def load_defaults(scenario: str) -> dict[str, Any]:
    path = defaults_path(scenario)
    if not path.exists():
        raise ConfigError(f"no training defaults for {scenario_name(scenario)!r} (expected {path})")
    return load_yaml(path)


def _numbers(value: Any) -> Any:
    """Numeric text to numbers, recursively: PyYAML reads ``3e-4`` and ``1e6`` as strings."""
    if isinstance(value, dict):
        return {key: _numbers(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_numbers(item) for item in value]
    if isinstance(value, str) and _NUMBER.match(value.strip()):
        text = value.strip().replace("_", "")
        try:
            return int(text)
        except ValueError:
            return float(text)
    return value


def merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """``override`` merged into a copy of ``base``: mappings key by key, anything else replaced."""
    merged = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def parse_set(text: str) -> dict[str, Any]:
    """``a.b.c=value`` -> ``{"a": {"b": {"c": value}}}``, the value read as a YAML scalar."""
    key, sep, raw = text.partition("=")
    parts = key.strip().split(".")
    if not sep or not all(part.strip() for part in parts):
        raise ConfigError(
            f"--set expects KEY.SUB=VALUE (e.g. algo_kwargs.ppo.n_steps=512), got {text!r}"
        )
    try:
        value: Any = _numbers(_yaml().safe_load(raw)) if raw.strip() else None
    except _yaml().YAMLError:
        raise ConfigError(f"--set {text!r}: cannot read {raw!r} as a YAML value") from None
    for part in reversed(parts):
        value = {part.strip(): value}
    return value


def build_config(
    scenario: str,
    config_file: str | Path | None = None,
    sets: list[str] | tuple[str, ...] = (),
    **flags: Any,
) -> dict[str, Any]:
    """Defaults for ``scenario`` < ``config_file`` < ``--set`` < non-None ``flags``; validated."""
    scenario = scenario_name(scenario)
    layers = [load_yaml(config_file)] if config_file else []
    layers += [parse_set(text) for text in sets]
    layers.append({key: value for key, value in flags.items() if value is not None})
    partial: dict[str, Any] = {}
    for layer in layers:
        _check_scalar_paths(partial, layer)
        partial = merge(partial, layer)
    if "scenario" in partial and scenario_name(str(partial["scenario"])) != scenario:
        raise ConfigError(
            f"the config is for scenario {partial['scenario']!r} but {scenario!r} was asked for"
        )
    partial["scenario"] = scenario
    return resolve(partial)


def _check_scalar_paths(base: dict[str, Any], layer: dict[str, Any], prefix: str = "") -> None:
    for key, value in layer.items():
        if (
            isinstance(value, dict)
            and key in base
            and base[key] is not None
            and not isinstance(base[key], (dict, list))  # a mapping may replace a list: net_arch
        ):
            raise ConfigError(f"{prefix}{key} is a single value, it has no sub-keys to set")
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            _check_scalar_paths(base[key], value, f"{prefix}{key}.")


def resolve(config: dict[str, Any]) -> dict[str, Any]:
    """A partial config (it must name its ``scenario``) merged over that scenario's defaults,
    validated."""
    if not isinstance(config, dict) or "scenario" not in config:
        raise ConfigError("a config must name its scenario (e.g. scenario: fall_recovery)")
    defaults = load_defaults(str(config["scenario"]))
    _check_scalar_paths(defaults, config)
    merged = merge(defaults, _numbers(config))
    merged["scenario"] = scenario_name(str(merged["scenario"]))
    return validate(merged)


def validate(config: dict[str, Any]) -> dict[str, Any]:
    """Check a complete config; return it with ``auto`` values filled in and keys in the standard
    order."""
    config = copy.deepcopy(config)
    config.setdefault(
        "residual", None
    )  # config.yaml files written before residual training existed
    config.setdefault("her", None)  # ... and before goal-conditioned (HER) training existed
    config.setdefault("residual_hold_steps", 0)  # ... and before a residual could be held at zero
    config.setdefault("curriculum", None)  # ... and before the terrain curriculum
    unknown = sorted(set(config) - set(TOP_LEVEL_KEYS), key=str)
    if unknown:
        raise ConfigError(
            f"unknown config key(s) {', '.join(map(str, unknown))}; "
            f"valid keys: {', '.join(TOP_LEVEL_KEYS)}"
        )
    missing = [key for key in TOP_LEVEL_KEYS if key not in config]
    if missing:
        raise ConfigError(f"config is missing key(s) {', '.join(missing)}")
    for key, minimum in _INTEGERS.items():
        config[key] = _integer(key, config[key], minimum)
    if config["algo"] not in ALGORITHMS:
        raise ConfigError(f"unknown algo {config['algo']!r}; valid: {', '.join(ALGORITHMS)}")
    if not isinstance(config["normalize_observations"], bool):
        raise ConfigError(
            "normalize_observations must be true or false, "
            f"got {config['normalize_observations']!r}"
        )
    if config["normalize_rewards"] == "auto":
        config["normalize_rewards"] = config["algo"] not in OFF_POLICY
    if not isinstance(config["normalize_rewards"], bool):
        raise ConfigError(
            f"normalize_rewards must be true, false or auto, got {config['normalize_rewards']!r}"
        )
    for key in ("env_kwargs", "policy_kwargs", "algo_kwargs"):
        if config[key] is None:
            config[key] = {}
        if not isinstance(config[key], dict):
            raise ConfigError(f"{key} must be a mapping, got {config[key]!r}")
    _check_env(config)
    config["residual"] = _check_residual(config["residual"], resolve_id(config["scenario"]))
    config["curriculum"] = _check_curriculum(
        config["curriculum"], resolve_id(config["scenario"]), config["robot"], config["env_kwargs"]
    )
    if config["residual_hold_steps"] and config["residual"] is None:
        raise ConfigError(
            "residual_hold_steps holds a residual's correction at zero: "
            "it needs a residual (residual.base)"
        )
    unknown = sorted(set(config["algo_kwargs"]) - set(ALGORITHMS), key=str)
    if unknown:
        raise ConfigError(
            f"unknown algorithm(s) in algo_kwargs: {', '.join(map(str, unknown))}; "
            f"valid: {', '.join(ALGORITHMS)}"
        )
    for name in ALGORITHMS:
        block = config["algo_kwargs"].setdefault(name, {})
        if block is None:
            block = config["algo_kwargs"][name] = {}
        if not isinstance(block, dict):
            raise ConfigError(f"algo_kwargs.{name} must be a mapping, got {block!r}")
        if name == config["algo"] or _importable(ALGORITHMS[name][0]):
            config["algo_kwargs"][name] = _check_algo_kwargs(name, block, config)
    config["her"] = _check_her(config)
    return {key: config[key] for key in TOP_LEVEL_KEYS}


def _integer(key: str, value: Any, minimum: int) -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigError(f"{key} must be an integer >= {minimum}, got {value!r}")
    return value


def _check_env(config: dict[str, Any]) -> None:
    env_kwargs = config["env_kwargs"]
    for key in ("robot", "render_mode"):
        if key in env_kwargs:
            raise ConfigError(
                f"env_kwargs.{key} cannot be set"
                + (": use the top-level robot key" if key == "robot" else "")
            )
    try:
        settable = sorted(
            set(catalog.env_parameters(resolve_id(config["scenario"]))) - {"robot", "render_mode"}
        )
        unknown = sorted(set(env_kwargs) - set(settable), key=str)
        if unknown:
            raise ConfigError(
                f"env_kwargs: unknown argument(s) {', '.join(map(str, unknown))}; "
                f"valid keys: {', '.join(settable)}"
            )
        check_config(config["scenario"], None, config["robot"], env_kwargs)
    except EvalConfigError as error:
        raise ConfigError(str(error)) from None
    _check_env_values(resolve_id(config["scenario"]), env_kwargs)


def _check_env_values(env_id: str, env_kwargs: dict[str, Any]) -> None:
    """Each env argument's type and range, as the env declares them (``ARGUMENTS``), checked
    without building the env."""
    try:
        envs.check_env_arguments(env_id, env_kwargs)
    except (ValueError, TypeError) as error:
        raise ConfigError(f"env_kwargs: {error}") from None


def _check_residual(residual: Any, env_id: str) -> dict[str, Any] | None:
    """``residual: {base: NAME, scale: S}`` (scale defaults to 0.5) or null; a ConfigError
    otherwise."""
    if residual is None:
        return None
    if not isinstance(residual, dict):
        raise ConfigError(
            f"residual must be null or a mapping {{base: NAME, scale: S}}, got {residual!r}"
        )
    unknown = sorted(set(residual) - set(RESIDUAL_KEYS), key=str)
    if unknown:
        raise ConfigError(
            f"residual: unknown key(s) {', '.join(map(str, unknown))}; "
            f"valid keys: {', '.join(RESIDUAL_KEYS)}"
        )
    names = base_controller_names(env_id)
    base = residual.get("base")
    if base not in names:
        valid = (
            f"valid names: {', '.join(names)}"
            if names
            else f"{env_id} has no scripted controller to build on"
        )
        raise ConfigError(f"residual.base must name a scripted controller, got {base!r}; {valid}")
    scale = residual.get("scale", DEFAULT_RESIDUAL_SCALE)
    if (
        isinstance(scale, bool)
        or not isinstance(scale, (int, float))
        or not (math.isfinite(scale) and scale > 0)
    ):
        raise ConfigError(f"residual.scale must be a number > 0, got {scale!r}")
    return {"base": base, "scale": float(scale)}


def _check_curriculum(
    curriculum: Any, env_id: str, robot: Any, env_kwargs: dict[str, Any]
) -> dict[str, Any] | None:
    """``curriculum: {levels, start_level, top_level_random}`` (missing keys default), ``true``
    (all defaults), or null / false; returned complete, or a ConfigError. The env must take a
    ``difficulty`` reset option."""
    if curriculum is None or curriculum is False:
        return None
    if curriculum is True:
        curriculum = {}
    if not isinstance(curriculum, dict):
        raise ConfigError(
            "curriculum must be null, true or a mapping {levels: N, start_level: L}, "
            f"got {curriculum!r}"
        )
    unknown = sorted(set(curriculum) - set(CURRICULUM_DEFAULTS), key=str)
    if unknown:
        raise ConfigError(
            f"curriculum: unknown key(s) {', '.join(map(str, unknown))}; "
            f"valid keys: {', '.join(CURRICULUM_DEFAULTS)}"
        )
    result = {**CURRICULUM_DEFAULTS, **curriculum}
    levels = result["levels"]
    if isinstance(levels, float) and levels.is_integer():
        levels = int(levels)
    if isinstance(levels, list):
        if not levels or not all(
            isinstance(d, (int, float)) and not isinstance(d, bool) and 0 <= d <= 1 for d in levels
        ):
            raise ConfigError(
                "curriculum.levels must be a count >= 1 or a list of difficulties in [0, 1], "
                f"got {levels!r}"
            )
        levels = [float(d) for d in levels]
        count = len(levels)
    elif isinstance(levels, int) and not isinstance(levels, bool) and levels >= 1:
        count = levels
    else:
        raise ConfigError(
            "curriculum.levels must be a count >= 1 or a list of difficulties in [0, 1], "
            f"got {levels!r}"
        )
    start = result["start_level"]
    if isinstance(start, float) and start.is_integer():
        start = int(start)
    if isinstance(start, bool) or not isinstance(start, int) or not 0 <= start < count:
        raise ConfigError(
            f"curriculum.start_level must be an integer in [0, {count - 1}], "
            f"got {result['start_level']!r}"
        )
    if not isinstance(result["top_level_random"], bool):
        raise ConfigError(
            f"curriculum.top_level_random must be true or false, got {result['top_level_random']!r}"
        )
    if "difficulty" not in env_class(env_id).RESET_OPTIONS:
        raise ConfigError(
            "curriculum needs an env whose reset takes options={'difficulty': d} "
            f"(a terrain env such as locomotion); {env_id} does not: "
            "set curriculum to null (--set curriculum=null)"
        )
    return {"levels": levels, "start_level": start, "top_level_random": result["top_level_random"]}


def _check_her(config: dict[str, Any]) -> dict[str, Any] | None:
    """``her: {n_sampled_goal: 4, goal_selection_strategy: future}`` or null; a ConfigError
    otherwise.

    HER relabels goals in the replay buffer, so it needs an off-policy algorithm
    (sac, tqc) and a goal-conditioned env: a Dict observation with the keys
    observation / achieved_goal / desired_goal and ``compute_reward`` (checked
    declared by the env class: ``GOAL_CONDITIONED``).
    """
    her = config["her"]
    if her is None:
        return None
    if not isinstance(her, dict):
        raise ConfigError(
            "her must be null or a mapping such as "
            f"{{n_sampled_goal: 4, goal_selection_strategy: future}}, got {her!r}"
        )
    unknown = sorted(set(her) - set(HER_KEYS), key=str)
    if unknown:
        raise ConfigError(
            f"her: unknown key(s) {', '.join(map(str, unknown))}; valid keys: {', '.join(HER_KEYS)}"
        )
    her = dict(her)
    if "n_sampled_goal" in her:
        her["n_sampled_goal"] = _integer("her.n_sampled_goal", her["n_sampled_goal"], 1)
    strategy = her.get("goal_selection_strategy")
    if strategy is not None and str(strategy).lower() not in HER_STRATEGIES:
        raise ConfigError(
            f"her.goal_selection_strategy must be one of {', '.join(HER_STRATEGIES)}, "
            f"got {strategy!r}"
        )
    if strategy is not None:
        her["goal_selection_strategy"] = str(strategy).lower()
    for key in ("copy_info_dict", "handle_timeout_termination"):
        if key in her and not isinstance(her[key], bool):
            raise ConfigError(f"her.{key} must be true or false, got {her[key]!r}")
    if config["algo"] not in OFF_POLICY:
        raise ConfigError(
            "her (hindsight experience replay) needs an off-policy algo "
            f"({', '.join(sorted(OFF_POLICY))}), "
            f"not {config['algo']}: set algo to sac or tqc, or her to null (--set her=null)"
        )
    overlap = sorted(
        set(config["algo_kwargs"][config["algo"]].get("replay_buffer_kwargs") or {}) & set(HER_KEYS)
    )
    if overlap:
        raise ConfigError(
            f"algo_kwargs.{config['algo']}.replay_buffer_kwargs sets {', '.join(overlap)}: "
            "set them under her"
        )
    env_id = resolve_id(config["scenario"])
    if not env_class(env_id).GOAL_CONDITIONED:
        raise ConfigError(
            f"her needs a goal-conditioned env (a Dict observation with {', '.join(GOAL_KEYS)} and "
            f"compute_reward), but {env_id} is not one; set her to null (--set her=null)"
        )
    return her


def describe_residual(residual: dict[str, Any] | None, env_id: str) -> str | None:
    """One line for cards and manifests: "residual on the scripted controller getup, scale 0.5"."""
    if residual is None:
        return None
    controller = resolve_controller(residual["base"], env_id)
    which = "the scripted controller" if residual["base"] == "scripted" else "the controller"
    return f"residual on {which} {controller}, scale {residual['scale']:g}"


def resolve_id(scenario: str) -> str:
    return resolve_env_id(scenario)


def _importable(module: str) -> bool:
    try:
        importlib.import_module(module)
    except ImportError:
        return False
    return True


def algo_class(name: str) -> type[Any]:
    module, cls = ALGORITHMS[name]
    try:
        return getattr(importlib.import_module(module), cls)
    except ImportError:
        package = "sb3-contrib" if module == "sb3_contrib" else "stable-baselines3"
        raise ConfigError(
            f"algo {name} needs {package}, which is not installed: pip install 'robodojo[train]'"
        ) from None


def _parameters(function: Any, reserved: set[str]) -> dict[str, inspect.Parameter]:
    return {n: p for n, p in inspect.signature(function).parameters.items() if n not in reserved}


def _check_algo_kwargs(name: str, block: dict[str, Any], config: dict[str, Any]) -> dict[str, Any]:
    """``algo_kwargs.<name>``: known keys, each value by its rule (:data:`ALGO_RULES`), then the
    policy arguments; for the chosen algorithm also the shared ``policy_kwargs`` and the checks
    that need the rest of the config (workers, env). Returns the block with values normalised."""
    cls = algo_class(name)
    accepted = _parameters(cls.__init__, RESERVED_ALGO_KWARGS)
    block = dict(block)
    reserved = sorted(set(block) & RESERVED_ALGO_KWARGS, key=str)
    if reserved:
        raise ConfigError(
            f"algo_kwargs.{name}: {', '.join(reserved)} are set by robodojo "
            "(use the top-level keys)"
        )
    unknown = sorted(set(block) - set(accepted), key=str)
    if unknown:
        raise ConfigError(
            f"algo_kwargs.{name}: {cls.__name__} does not accept {', '.join(map(str, unknown))}; "
            f"valid keys: {', '.join(accepted)}"
        )
    rules = ALGO_RULES[name]
    for key, value in block.items():
        if key == "policy_kwargs":
            continue
        if key in rules:
            block[key] = rules[key].check(f"algo_kwargs.{name}.{key}", value)
        elif (  # an argument newer than the rules: 1e6 read as a float where SB3 wants an int
            isinstance(accepted[key].default, int)
            and not isinstance(accepted[key].default, bool)
            and isinstance(value, float)
            and value.is_integer()
        ):
            block[key] = int(value)
    own = block.get("policy_kwargs") or {}
    if not isinstance(own, dict):
        raise ConfigError(f"algo_kwargs.{name}.policy_kwargs must be a mapping, got {own!r}")
    shared = config["policy_kwargs"]
    merged = {**shared, **own}
    policy = cls.policy_aliases["MlpPolicy"]
    valid = _parameters(policy.__init__, RESERVED_POLICY_KWARGS)
    unknown = sorted(set(merged) - set(valid), key=str)
    if unknown:
        raise ConfigError(
            f"policy_kwargs for {name}: {policy.__name__} does not accept "
            f"{', '.join(map(str, unknown))}; "
            f"valid keys: {', '.join(valid)}"
        )
    policy_rules = POLICY_RULES[name]
    chosen = name == config["algo"]
    for key, value in merged.items():
        if key not in policy_rules:
            continue
        if key in own:
            checked = policy_rules[key].check(f"algo_kwargs.{name}.policy_kwargs.{key}", value)
            block["policy_kwargs"] = {**block["policy_kwargs"], key: checked}
        elif chosen:  # the shared keys are checked against the algorithm that uses them
            shared[key] = policy_rules[key].check(f"policy_kwargs.{key}", value)
    if chosen:
        _check_combination(name, block, {**shared, **own}, accepted, config)
    return block


def _check_combination(
    name: str,
    block: dict[str, Any],
    policy_kwargs: dict[str, Any],
    accepted: dict[str, inspect.Parameter],
    config: dict[str, Any],
) -> None:
    """What SB3 asserts about several values together (or the env), for the chosen algorithm."""

    def value(key: str) -> Any:
        return block[key] if key in block else accepted[key].default

    where = f"algo_kwargs.{name}"
    n_envs = config["n_envs"]
    if name == "ppo" and value("normalize_advantage"):
        if value("batch_size") < 2:
            raise ConfigError(
                f"{where}.batch_size must be >= 2 with advantage normalisation "
                f"(normalize_advantage: true), got {value('batch_size')!r}"
            )
        if value("n_steps") * n_envs < 2:
            raise ConfigError(
                f"{where}.n_steps x n_envs must be >= 2 with advantage normalisation, "
                f"got n_steps {value('n_steps')} x n_envs {n_envs}"
            )
    if name not in OFF_POLICY:
        return
    goal_conditioned = env_class(resolve_id(config["scenario"])).GOAL_CONDITIONED
    train_freq = value("train_freq")
    if isinstance(train_freq, list) and train_freq[1] == "episode" and n_envs > 1:
        raise ConfigError(
            f"{where}.train_freq {train_freq!r} counts episodes, which needs n_envs 1, "
            f"got n_envs {n_envs}"
        )
    if value("n_steps") > 1 and (goal_conditioned or config["her"] is not None):
        raise ConfigError(
            f"{where}.n_steps (n-step returns) must be 1 on a goal-conditioned env "
            f"(SB3 has no n-step Dict or HER buffer), got {value('n_steps')!r}"
        )
    if value("optimize_memory_usage"):
        handle = (value("replay_buffer_kwargs") or {}).get("handle_timeout_termination", True)
        if goal_conditioned or config["her"] is not None or handle:
            raise ConfigError(
                f"{where}.optimize_memory_usage must be false "
                + (
                    "on a goal-conditioned env (Dict and HER buffers do not support it)"
                    if goal_conditioned or config["her"] is not None
                    else "unless replay_buffer_kwargs.handle_timeout_termination is false"
                )
                + ", got true"
            )
    if name == "tqc":
        quantiles = policy_kwargs.get("n_quantiles", 25)
        drop = value("top_quantiles_to_drop_per_net")
        if drop >= quantiles:
            raise ConfigError(
                f"{where}.top_quantiles_to_drop_per_net must be below n_quantiles ({quantiles}), "
                f"got {drop!r}"
            )


# -- Stable-Baselines3 hyperparameters: declared type and range ---------------------------------
#
# Every constructor argument of PPO / SAC / TQC and of their policies that a config may set has a
# rule here; a value outside it is a ConfigError naming the key, the value and what is allowed,
# raised before any env, model or run folder exists (SB3 would otherwise fail deep inside torch,
# or train on NaN). tests/test_train.py checks every argument SB3 declares has a rule.


class _Rule:
    """Checks one value: returns it (possibly normalised: 1e6 -> 1000000) or raises ConfigError."""

    allowed = "?"

    def check(self, path: str, value: Any) -> Any:
        if not self.accepts(value):
            raise ConfigError(f"{path} must be {self.allowed}, got {value!r}")
        return self.normalise(value)

    def accepts(self, value: Any) -> bool:  # pragma: no cover - every rule overrides it
        raise NotImplementedError

    def normalise(self, value: Any) -> Any:
        return value


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


class _Number(_Rule):
    """A finite float (an int is accepted) within [low, high]; ``open_low`` / ``open_high``
    exclude the end."""

    def __init__(
        self,
        low: float | None = None,
        high: float | None = None,
        *,
        open_low: bool = False,
        open_high: bool = False,
        null: bool = False,
    ) -> None:
        self.low, self.high, self.open_low, self.open_high, self.null = (
            low,
            high,
            open_low,
            open_high,
            null,
        )
        if low is not None and high is not None:
            where = f"in {'(' if open_low else '['}{low:g}, {high:g}{')' if open_high else ']'}"
        elif low is not None:
            where = f"{'>' if open_low else '>='} {low:g}"
        elif high is not None:
            where = f"{'<' if open_high else '<='} {high:g}"
        else:
            where = ""
        self.allowed = ("null or " if null else "") + f"a finite number {where}".rstrip()

    def accepts(self, value: Any) -> bool:
        if value is None:
            return self.null
        if not _is_number(value) or not math.isfinite(value):
            return False
        if self.low is not None and (value <= self.low if self.open_low else value < self.low):
            return False
        return not (
            self.high is not None and (value >= self.high if self.open_high else value > self.high)
        )

    def normalise(self, value: Any) -> Any:
        return None if value is None else float(value)


class _Integer(_Rule):
    """An integer >= ``low`` (a whole float such as 1e6 is made an int), or one of ``also``."""

    def __init__(self, low: int, also: tuple[int, ...] = ()) -> None:
        self.low, self.also = low, also
        self.allowed = f"an integer >= {low}" + "".join(f" or {value}" for value in also)

    def accepts(self, value: Any) -> bool:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return (
            isinstance(value, int)
            and not isinstance(value, bool)
            and (value >= self.low or value in self.also)
        )

    def normalise(self, value: Any) -> Any:
        return int(value)


class _Flag(_Rule):
    allowed = "true or false"

    def accepts(self, value: Any) -> bool:
        return isinstance(value, bool)


class _Fixed(_Rule):
    """Set by robodojo or SB3, or a Python object a YAML config cannot express: null only."""

    def __init__(self, why: str) -> None:
        self.allowed = f"null ({why})"

    def accepts(self, value: Any) -> bool:
        return value is None or value == {}


class _Mapping(_Rule):
    """Null or a mapping whose keys each have their own rule."""

    def __init__(self, rules: dict[str, _Rule], elsewhere: dict[str, str] | None = None) -> None:
        self.rules, self.elsewhere = rules, elsewhere or {}
        self.allowed = f"null or a mapping with key(s) {', '.join(rules)}"

    def check(self, path: str, value: Any) -> Any:
        if value is None:
            return None
        if not isinstance(value, dict):
            raise ConfigError(f"{path} must be {self.allowed}, got {value!r}")
        moved = sorted(set(value) & set(self.elsewhere), key=str)
        if moved:
            raise ConfigError(
                f"{path} sets {', '.join(moved)}: set them under {self.elsewhere[moved[0]]}"
            )
        unknown = sorted(set(value) - set(self.rules), key=str)
        if unknown:
            raise ConfigError(
                f"{path}: unknown key(s) {', '.join(map(str, unknown))}; "
                f"valid keys: {', '.join(self.rules)}"
            )
        return {key: self.rules[key].check(f"{path}.{key}", item) for key, item in value.items()}


class _Betas(_Rule):
    allowed = "a list of two numbers in [0, 1), e.g. [0.9, 0.999]"

    def accepts(self, value: Any) -> bool:
        return (
            isinstance(value, (list, tuple))
            and len(value) == 2
            and all(_is_number(b) and 0 <= b < 1 for b in value)
        )

    def normalise(self, value: Any) -> Any:
        return [float(b) for b in value]


class _TrainFreq(_Rule):
    allowed = 'an integer >= 1 or [N, "step" | "episode"] with N >= 1'

    def accepts(self, value: Any) -> bool:
        if isinstance(value, (list, tuple)):
            return (
                len(value) == 2
                and _Integer(1).accepts(value[0])
                and value[1] in ("step", "episode")
            )
        return _Integer(1).accepts(value)

    def normalise(self, value: Any) -> Any:
        return [int(value[0]), value[1]] if isinstance(value, (list, tuple)) else int(value)


class _EntCoef(_Rule):
    """SAC / TQC: "auto", "auto_<initial value > 0>" (learned), or a fixed number >= 0."""

    allowed = '"auto", "auto_X" (learned, starting at X > 0) or a finite number >= 0'

    def accepts(self, value: Any) -> bool:
        if isinstance(value, str):
            if value == "auto":
                return True
            if not value.startswith("auto_"):
                return False
            try:
                start = float(value[len("auto_") :])
            except ValueError:
                return False
            return math.isfinite(start) and start > 0
        return _Number(0).accepts(value)

    def normalise(self, value: Any) -> Any:
        return value if isinstance(value, str) else float(value)


class _TargetEntropy(_Rule):
    allowed = '"auto" or a finite number'

    def accepts(self, value: Any) -> bool:
        return value == "auto" or _Number().accepts(value)

    def normalise(self, value: Any) -> Any:
        return value if isinstance(value, str) else float(value)


class _NetArch(_Rule):
    """A list of layer sizes (shared by the networks) or a mapping of one list per network."""

    def __init__(self, networks: tuple[str, ...]) -> None:
        self.networks = networks
        keys = ", ".join(f"{name}: [...]" for name in networks)
        self.allowed = f"a list of layer sizes (integers >= 1) or a mapping {{{keys}}}"

    @staticmethod
    def _layers(value: Any) -> bool:
        return isinstance(value, list) and all(_Integer(1).accepts(size) for size in value)

    def accepts(self, value: Any) -> bool:
        if isinstance(value, dict):
            return set(value) == set(self.networks) and all(map(self._layers, value.values()))
        return self._layers(value)

    def normalise(self, value: Any) -> Any:
        if isinstance(value, dict):
            return {name: [int(size) for size in value[name]] for name in value}
        return [int(size) for size in value]


class _Activation(_Rule):
    allowed = f"one of {', '.join(ACTIVATIONS)}"

    def accepts(self, value: Any) -> bool:
        return isinstance(value, str) and value in ACTIVATIONS


_POSITIVE = _Number(0, open_low=True)
_NON_NEGATIVE = _Number(0)
_FRACTION = _Number(0, 1)
_OBJECT = "a Python object a config cannot give"
_SHARED_ALGO_RULES: dict[str, _Rule] = {
    "learning_rate": _POSITIVE,
    "gamma": _FRACTION,
    "use_sde": _Flag(),
    "sde_sample_freq": _Integer(1, also=(-1,)),
    "stats_window_size": _Integer(1),
}
_OFF_POLICY_RULES: dict[str, _Rule] = {
    **_SHARED_ALGO_RULES,
    "buffer_size": _Integer(1),
    "learning_starts": _Integer(0),
    "batch_size": _Integer(1),
    "tau": _Number(0, 1, open_low=True),
    "train_freq": _TrainFreq(),
    "gradient_steps": _Integer(1, also=(-1,)),
    "action_noise": _Fixed(_OBJECT),
    "replay_buffer_kwargs": _Mapping(
        {"handle_timeout_termination": _Flag()},
        elsewhere={key: "her" for key in HER_KEYS if key != "handle_timeout_termination"},
    ),
    "optimize_memory_usage": _Flag(),
    "n_steps": _Integer(1),
    "ent_coef": _EntCoef(),
    "target_update_interval": _Integer(1),
    "target_entropy": _TargetEntropy(),
    "use_sde_at_warmup": _Flag(),
}
#: algo -> constructor argument -> rule (policy_kwargs has its own table below).
ALGO_RULES: dict[str, dict[str, _Rule]] = {
    "ppo": {
        **_SHARED_ALGO_RULES,
        "n_steps": _Integer(1),
        "batch_size": _Integer(1),
        "n_epochs": _Integer(1),
        "gae_lambda": _FRACTION,
        "clip_range": _POSITIVE,
        "clip_range_vf": _Number(0, open_low=True, null=True),
        "normalize_advantage": _Flag(),
        "ent_coef": _NON_NEGATIVE,
        "vf_coef": _NON_NEGATIVE,
        "max_grad_norm": _POSITIVE,
        "rollout_buffer_class": _Fixed(_OBJECT),
        "rollout_buffer_kwargs": _Fixed("SB3 sets every RolloutBuffer argument itself"),
        "target_kl": _Number(0, open_low=True, null=True),
    },
    "sac": _OFF_POLICY_RULES,
    "tqc": {**_OFF_POLICY_RULES, "top_quantiles_to_drop_per_net": _Integer(0)},
}
_SHARED_POLICY_RULES: dict[str, _Rule] = {
    "activation_fn": _Activation(),
    "log_std_init": _Number(),
    "use_expln": _Flag(),
    "normalize_images": _Flag(),
    "share_features_extractor": _Flag(),
    "features_extractor_class": _Fixed(_OBJECT),
    "features_extractor_kwargs": _Fixed("the default extractors need none"),
    "optimizer_class": _Fixed(_OBJECT),
    "optimizer_kwargs": _Mapping(
        {
            "eps": _POSITIVE,
            "weight_decay": _NON_NEGATIVE,
            "amsgrad": _Flag(),
            "betas": _Betas(),
        }
    ),
    # SB3 passes the algorithm's own use_sde to the policy
    "use_sde": _Fixed("set algo_kwargs.<algo>.use_sde instead"),
}
_OFF_POLICY_POLICY_RULES: dict[str, _Rule] = {
    **_SHARED_POLICY_RULES,
    "net_arch": _NetArch(("pi", "qf")),
    "clip_mean": _POSITIVE,
    "n_critics": _Integer(1),
}
#: algo -> policy constructor argument (policy_kwargs) -> rule.
POLICY_RULES: dict[str, dict[str, _Rule]] = {
    "ppo": {
        **_SHARED_POLICY_RULES,
        "net_arch": _NetArch(("pi", "vf")),
        "ortho_init": _Flag(),
        "full_std": _Flag(),
        "squash_output": _Flag(),
    },
    "sac": _OFF_POLICY_POLICY_RULES,
    "tqc": {**_OFF_POLICY_POLICY_RULES, "n_quantiles": _Integer(1)},
}


def model_kwargs(config: dict[str, Any]) -> dict[str, Any]:
    """Constructor keyword arguments for the config's SB3 class (activation names made torch
    classes)."""
    import torch

    kwargs = copy.deepcopy(config["algo_kwargs"][config["algo"]])
    policy_kwargs = {
        **copy.deepcopy(config["policy_kwargs"]),
        **(kwargs.pop("policy_kwargs", None) or {}),
    }
    if isinstance(policy_kwargs.get("activation_fn"), str):
        policy_kwargs["activation_fn"] = getattr(
            torch.nn, ACTIVATIONS[policy_kwargs["activation_fn"]]
        )
    if policy_kwargs:
        kwargs["policy_kwargs"] = policy_kwargs
    if config.get("her"):
        from stable_baselines3 import HerReplayBuffer

        kwargs["replay_buffer_class"] = HerReplayBuffer
        kwargs["replay_buffer_kwargs"] = {
            **(kwargs.get("replay_buffer_kwargs") or {}),
            **copy.deepcopy(config["her"]),
        }
    return kwargs


def dump(config: dict[str, Any], path: str | Path) -> None:
    Path(path).write_text(_yaml().safe_dump(config, sort_keys=False, default_flow_style=None))
