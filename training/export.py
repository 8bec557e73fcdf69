"""``robodojo export RUN_DIR``: a trained run → ``policy.onnx`` + ``policy.json`` (+ a card).

The torch side of deployment (needs the ``train`` extra: torch, SB3, onnx,
onnxscript). It loads the run's SB3 checkpoint and VecNormalize statistics —
pickles, so only ever a run you made yourself — and builds one small torch
module that does what ``model.predict(vecnormalize.normalize_obs(obs),
deterministic=True)`` does:

    raw observation → clip((obs − mean) / sqrt(var + eps), ±clip_obs)
                        (float64, as VecNormalize)
                    → actor → Gaussian mean (PPO/A2C) or tanh(mean) (SAC/TQC)
                    → clip to the action bounds (PPO)
                      / rescale [−1, 1] → [low, high] (squashed)

then exports it with ``torch.onnx.export`` (batch axis dynamic, critic
weights left out), writes the IO spec (env, robot, observation layout,
normalisation, action scaling, joint order, control rate, provenance) and a
model card, and finally *verifies* the file it wrote: the ONNX, loaded
through :class:`~robodojo.policies.onnx_policy.OnnxPolicy` exactly as users
load it, is compared with the SB3 policy on observations recorded from env
rollouts. The max abs difference goes into the spec; above the tolerance
the export is marked failed (and refuses to load).

A goal-conditioned run (Dict observation: ``MultiInputPolicy``, e.g. SAC + HER)
exports with ONE flat float32 input, the Dict's keys concatenated in the
policy's key order (sorted: achieved_goal, desired_goal, observation), each
key normalised with its own statistics inside the graph; policy.json lists the
keys and sizes (``observation.keys``), and the verification feeds the same Dict
observations to SB3 and, flattened, to the ONNX.

A residual run (see :mod:`robodojo.training.export_spec`) exports its network
alone: input = [env observation, base controller's action] (normalisation
baked in), output = the correction in [-1, 1], named ``correction``. Its
verification records observations from the residual env (``ResidualEnv``),
i.e. exactly what the network saw in training; loading composes it with the
base controller again.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import json
import logging
import math
import pickle
import shutil
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import gymnasium as gym
import numpy as np

from robodojo.envs import make as make_robodojo_env
from robodojo.evaluation.files import to_json_safe as jsonable
from robodojo.evaluation.files import write_json
from robodojo.interface import dict_sizes
from robodojo.policies import pretrained
from robodojo.policies.onnx_policy import OnnxPolicy
from robodojo.policies.registry import reserved_names
from robodojo.policies.residual import ResidualEnv
from robodojo.policies.spec import FORMAT, ONNX_FILE, SPEC_FILE, check_spec
from robodojo.training.card import CURVE_PNG
from robodojo.training.export_spec import (
    ALGORITHMS,
    TRAIN_HINT,
    ExportError,
    Run,
    build_spec,
    load_run,
)
from robodojo.training.model_card import card_markdown
from robodojo.training.sb3_policy import load_for_inference

DEFAULT_OPSET = 18  # the dynamo exporter's minimum; onnxruntime >= 1.14 runs it
DEFAULT_OBSERVATIONS = 1000
DEFAULT_TOLERANCE = 1e-5
#: Probability of a uniform random action while recording observations (wider coverage than the
#: policy alone).
EXPLORE = 0.3


class VerificationError(ExportError):
    """The exported ONNX disagrees with the SB3 policy by more than the tolerance."""


class ExportArgumentError(ExportError, ValueError):
    """An export argument outside what is allowed (the message names it, its value and the
    range)."""


def supported_opsets() -> tuple[int, int]:
    """(lowest, highest) ONNX opset the installed torch.onnx exporter (dynamo) writes as asked.

    Below torch's own opset library (18) it exports at 18 and tries an automatic down-conversion
    that may silently keep 18; above ``ONNX_MAX_OPSET`` torch does not claim support.
    """
    import torch.onnx._constants as onnx_constants

    try:
        from torch.onnx._internal.exporter import _constants as exporter_constants

        low = int(exporter_constants.TORCHLIB_OPSET)
    except (ImportError, AttributeError):  # a torch without the dynamo exporter's constants
        low = DEFAULT_OPSET
    return low, int(getattr(onnx_constants, "ONNX_MAX_OPSET", DEFAULT_OPSET))


def check_arguments(tolerance: Any, opset: Any, observations: Any = 1, flag: str = "") -> None:
    """Raise :class:`ExportArgumentError` for a tolerance that is not a finite number > 0, an
    opset outside :func:`supported_opsets` or fewer than 1 observation; ``flag`` ("--") prefixes
    the names as the command line spells them."""
    if (
        isinstance(tolerance, bool)
        or not isinstance(tolerance, (int, float))
        or not (math.isfinite(tolerance) and tolerance > 0)
    ):
        raise ExportArgumentError(f"{flag}tolerance must be a finite number > 0, got {tolerance!r}")
    low, high = supported_opsets()
    if isinstance(opset, bool) or not isinstance(opset, int) or not low <= opset <= high:
        import torch

        raise ExportArgumentError(
            f"{flag}opset must be an integer in [{low}, {high}] (what torch {torch.__version__}'s "
            f"ONNX exporter writes), got {opset!r}"
        )
    if isinstance(observations, bool) or not isinstance(observations, int) or observations < 1:
        raise ExportArgumentError(
            f"{flag}observations must be an integer >= 1, got {observations!r}"
        )


@dataclass
class ExportResult:
    directory: Path
    spec: dict[str, Any]
    files: dict[str, int]  #: file name → bytes

    @property
    def max_abs_diff(self) -> float:
        return self.spec["verification"]["max_abs_diff"]


def load_model(run: Run) -> tuple[Any, Any]:
    """(SB3 model on CPU, VecNormalize or None). Unpickles: only for runs you trust (your own)."""
    module_name, class_name = ALGORITHMS[run.algo]
    try:
        algorithm = getattr(importlib.import_module(module_name), class_name)
    except ImportError:
        raise ExportError(f"export needs {module_name} and torch: {TRAIN_HINT}") from None
    # HER models too (no env needed)
    model = load_for_inference(algorithm, str(run.model_path), device="cpu")
    vecnormalize = None
    if run.vecnormalize_path is not None:
        # What VecNormalize.load does, minus the venv.
        with open(run.vecnormalize_path, "rb") as handle:
            vecnormalize = pickle.load(handle)
        if not getattr(vecnormalize, "norm_obs", False):
            vecnormalize = None  # reward-only normalisation: nothing to bake into the actor
    return model, vecnormalize


# -- the torch module ----------------------------------------------------------------


def build_actor(model: Any, vecnormalize: Any = None) -> Any:
    """A torch module: raw observation batch → the deterministic action SB3's ``predict``
    returns."""
    import torch
    from gymnasium import spaces
    from stable_baselines3.common.policies import ActorCriticPolicy

    policy = model.policy
    keys = dict_keys(policy.observation_space)
    if keys is None and (
        not isinstance(policy.observation_space, spaces.Box)
        or len(policy.observation_space.shape) != 1
    ):
        raise ExportError(
            f"only flat Box or Dict-of-Box observations export, got {policy.observation_space}"
        )
    if not isinstance(policy.action_space, spaces.Box):
        raise ExportError(f"only Box actions export, got {policy.action_space}")
    if isinstance(policy, ActorCriticPolicy):  # PPO, A2C: Gaussian mean; tanh only with gSDE squash
        trunk = torch.nn.Sequential(
            policy.pi_features_extractor, policy.mlp_extractor.policy_net, policy.action_net
        )
        squash = bool(policy.squash_output)
    elif hasattr(policy, "actor") and hasattr(policy.actor, "latent_pi"):  # SAC, TQC: tanh(mean)
        actor = policy.actor
        trunk = torch.nn.Sequential(actor.features_extractor, actor.latent_pi, actor.mu)
        squash = True
    else:
        raise ExportError(f"don't know how to export a {type(policy).__name__}")
    # Per key (a Dict policy) or one array each.
    mean: Any = None
    std: Any = None
    clip: float | None = None
    if vecnormalize is not None:
        rms = vecnormalize.obs_rms
        clip = float(vecnormalize.clip_obs)
        if keys is not None:  # one running mean/std per normalised key; other keys pass through
            normalized = set(getattr(vecnormalize, "norm_obs_keys", None) or rms)
            mean = {
                key: np.asarray(rms[key].mean, dtype=np.float64).ravel()
                for key in keys
                if key in normalized
            }
            std = {
                key: np.sqrt(
                    np.asarray(rms[key].var, dtype=np.float64).ravel() + vecnormalize.epsilon
                )
                for key in keys
                if key in normalized
            }
        else:
            mean = np.asarray(rms.mean, dtype=np.float64)
            std = np.sqrt(np.asarray(rms.var, dtype=np.float64) + vecnormalize.epsilon)
    shapes = (
        None if keys is None else {key: tuple(policy.observation_space[key].shape) for key in keys}
    )
    return _make_module(
        trunk, squash, policy.action_space.low, policy.action_space.high, mean, std, clip, shapes
    )


def dict_keys(space: Any) -> dict[str, int] | None:
    """A Dict observation space's keys → flat sizes in the space's (= the policy's input) order;
    None for other spaces.

    Raises :class:`ExportError` unless every key is a Box.
    """
    from gymnasium import spaces

    if not isinstance(space, spaces.Dict):
        return None
    for key, sub in space.spaces.items():
        if not isinstance(sub, spaces.Box):
            raise ExportError(f"only Box entries in a Dict observation export, {key!r} is {sub}")
    return dict_sizes(space)


def _make_module(
    trunk: Any,
    squash: bool,
    low: np.ndarray,
    high: np.ndarray,
    mean: Any,
    std: Any,
    clip: Any,
    shapes: dict[str, tuple[int, ...]] | None = None,
) -> Any:
    """The exported actor. ``shapes`` (key → shape, input order) for a Dict policy: the flat input
    is cut into those keys, each normalised with its own ``mean[key]`` / ``std[key]`` (if it has
    them)."""
    import torch

    class ExportedActor(torch.nn.Module):
        # Registered buffers (nn.Module's __getattr__ types them as Tensor | Module).
        low: torch.Tensor
        high: torch.Tensor
        obs_mean: torch.Tensor
        obs_std: torch.Tensor

        def __init__(self) -> None:
            super().__init__()
            self.trunk = trunk
            self.squash = squash
            self.normalize = mean is not None
            self.clip_obs = clip
            self.register_buffer("low", torch.as_tensor(np.asarray(low, dtype=np.float32)))
            self.register_buffer("high", torch.as_tensor(np.asarray(high, dtype=np.float32)))
            # (key, start, end, shape, normalised) per Dict key, in input order
            self.keys = []
            if shapes is not None:
                start = 0
                for index, (key, shape) in enumerate(shapes.items()):
                    end = start + int(np.prod(shape))
                    normalised = self.normalize and key in mean
                    if normalised:
                        self.register_buffer(
                            f"obs_mean_{index}", torch.as_tensor(mean[key], dtype=torch.float64)
                        )
                        self.register_buffer(
                            f"obs_std_{index}", torch.as_tensor(std[key], dtype=torch.float64)
                        )
                    self.keys.append((key, start, end, shape, normalised))
                    start = end
            elif self.normalize:
                # float64 like VecNormalize (float32 obs − float64 mean), then float32 like
                # normalize_obs
                self.register_buffer("obs_mean", torch.as_tensor(mean, dtype=torch.float64))
                self.register_buffer("obs_std", torch.as_tensor(std, dtype=torch.float64))

        def _scale(self, x: torch.Tensor, mean: torch.Tensor, std: torch.Tensor) -> torch.Tensor:
            x = ((x.to(torch.float64) - mean) / std).clamp(-self.clip_obs, self.clip_obs)
            return x.to(torch.float32)

        def forward(self, observation: torch.Tensor) -> torch.Tensor:
            # A Dict policy: slices of the flat input, one per key, as the policy's extractor wants.
            if self.keys:
                x: Any = {}
                for index, (key, start, end, shape, normalised) in enumerate(self.keys):
                    part = observation[:, start:end]
                    if normalised:
                        part = self._scale(
                            part,
                            getattr(self, f"obs_mean_{index}"),
                            getattr(self, f"obs_std_{index}"),
                        )
                    x[key] = part.reshape(-1, *shape)
            else:
                x = observation
                if self.normalize:
                    x = self._scale(x, self.obs_mean, self.obs_std)
            action = self.trunk(x)
            if self.squash:  # as policy.unscale_action, in float32
                action = self.low + 0.5 * (torch.tanh(action) + 1.0) * (self.high - self.low)
            else:  # as predict's np.clip to the action space
                action = torch.minimum(torch.maximum(action, self.low), self.high)
            return action

    return ExportedActor().eval()


def reference_actions(model: Any, vecnormalize: Any, observations: Any) -> np.ndarray:
    """The SB3 policy's deterministic actions for a batch of raw observations (the ground truth).

    For a Dict policy ``observations`` is a Dict of per-key batches.
    """
    if isinstance(observations, dict):
        batch: Any = {
            key: np.asarray(value, dtype=np.float32) for key, value in observations.items()
        }
    else:
        batch = np.asarray(observations, dtype=np.float32)
    if vecnormalize is not None:
        batch = vecnormalize.normalize_obs(batch)
    actions, _ = model.predict(batch, deterministic=True)
    return np.asarray(actions, dtype=np.float32)


def export_onnx(
    module: Any,
    path: Path,
    observation_size: int,
    opset: int = DEFAULT_OPSET,
    output: str = "action",
) -> None:
    """``torch.onnx.export`` with a dynamic batch axis, quietly, weights inside the file."""
    import torch

    try:
        import onnxscript  # noqa: F401  - torch's exporter needs it
    except ImportError:
        raise ExportError(f"torch.onnx's exporter needs onnxscript: {TRAIN_HINT}") from None
    example = (torch.zeros(2, observation_size, dtype=torch.float32),)
    quiet = [
        logging.getLogger(name)
        for name in ("torch.onnx", "torch.export", "torch._dynamo", "onnxscript")
    ]
    levels = [logger.level for logger in quiet]
    with warnings.catch_warnings(), contextlib.redirect_stdout(None):
        warnings.simplefilter("ignore")
        for logger in quiet:
            logger.setLevel(logging.ERROR)
        try:
            program = torch.onnx.export(
                module,
                example,
                dynamo=True,
                input_names=["observation"],
                output_names=[output],
                dynamic_shapes=({0: torch.export.Dim("batch")},),
                opset_version=opset,
                external_data=False,
                verbose=False,
            )
            assert program is not None  # None only without dynamo=True
            program.save(str(path), external_data=False)
        finally:
            for logger, level in zip(quiet, levels, strict=True):
                logger.setLevel(level)


def add_metadata(path: Path, props: dict[str, str], doc: str) -> None:
    """Embed the spec (minus hash and verification) in the ONNX's metadata, then check the model."""
    import onnx

    model = onnx.load(str(path))
    onnx.helper.set_model_props(model, props)
    model.doc_string = doc
    model.producer_name = "robodojo"
    onnx.checker.check_model(model, full_check=True)
    onnx.save(model, str(path))


# -- observations for verification --------------------------------------------------


def make_env(
    env_id: str, env_kwargs: dict[str, Any], residual: dict[str, Any] | None = None
) -> gym.Env:
    """The env the model acts on: ``env_id``, wrapped in ``ResidualEnv`` for a residual run."""
    env = make_robodojo_env(env_id, **env_kwargs)
    if residual:
        env = ResidualEnv(env, **residual)
    return env


def record_observations(
    env_id: str,
    env_kwargs: dict[str, Any],
    count: int,
    seed: int,
    act: Any,
    explore: float = EXPLORE,
    residual: dict[str, Any] | None = None,
) -> np.ndarray | dict[str, np.ndarray]:
    """``count`` observations from rollouts of ``act`` (with ``explore`` random actions), episode i
    seeded seed+i.

    With ``residual`` ({base, scale}) the rollouts run on ``ResidualEnv``: observations are
    [env observation, base action] and ``act`` returns corrections.
    """
    env = make_env(env_id, env_kwargs, residual)
    rng = np.random.default_rng(seed)
    observations: list[Any] = []
    try:
        action_space = cast(gym.spaces.Box, env.action_space)  # robodojo envs act in a Box
        low, high = action_space.low, action_space.high
        observation, _ = env.reset(seed=seed)
        episode = 0
        while len(observations) < count:
            observations.append(_float32(observation))
            action = rng.uniform(low, high) if rng.random() < explore else act(observation)
            observation, _, terminated, truncated, _ = env.step(action)
            if terminated or truncated:
                episode += 1
                observation, _ = env.reset(seed=seed + episode)
    finally:
        env.close()
    if isinstance(observations[0], dict):  # a goal-conditioned env: a Dict of per-key batches
        return {key: np.stack([o[key] for o in observations]) for key in observations[0]}
    return np.stack(observations)


def _float32(observation: Any) -> Any:
    if isinstance(observation, dict):
        return {key: np.asarray(value, dtype=np.float32) for key, value in observation.items()}
    return np.asarray(observation, dtype=np.float32)


def count_of(observations: Any) -> int:
    """Rows in a batch of observations (a Dict's per-key batches share them)."""
    return (
        len(next(iter(observations.values())))
        if isinstance(observations, dict)
        else len(observations)
    )


def row(observations: Any, index: int) -> Any:
    """Observation ``index`` of a batch (a Dict batch gives a Dict, as the env returns it)."""
    if isinstance(observations, dict):
        return {key: value[index] for key, value in observations.items()}
    return observations[index]


def random_observations(space: gym.Space, count: int, seed: int) -> Any:
    """Uniform samples inside the observation bounds (finite ones; ±10 where unbounded); a Dict
    space key by key."""
    rng = np.random.default_rng(seed)

    def uniform(box: gym.spaces.Box) -> np.ndarray:
        low = np.where(np.isfinite(box.low), box.low, -10.0)
        high = np.where(np.isfinite(box.high), box.high, 10.0)
        return rng.uniform(low, high, size=(count, *box.shape)).astype(np.float32)

    if isinstance(space, gym.spaces.Dict):
        return {key: uniform(cast(gym.spaces.Box, box)) for key, box in space.spaces.items()}
    return uniform(cast(gym.spaces.Box, space))  # exported policies observe Boxes


def _space_signature(space: Any) -> Any:
    """What must agree between a model's and an env's observation space: the shape, or each Dict
    key's shape."""
    if isinstance(space, gym.spaces.Dict):
        return {key: tuple(sub.shape or ()) for key, sub in space.spaces.items()}
    return tuple(space.shape or ())


# -- the whole export ----------------------------------------------------------------


def export_run(
    run_dir: str | Path,
    out: str | Path | None = None,
    checkpoint: str | None = None,
    observations: int = DEFAULT_OBSERVATIONS,
    tolerance: float = DEFAULT_TOLERANCE,
    seed: int = 0,
    opset: int = DEFAULT_OPSET,
    title: str | None = None,
    env_id: str | None = None,
    robot: str | None = None,
    algo: str | None = None,
) -> ExportResult:
    """Export ``run_dir`` into ``out`` (default ``<run>/export``) and verify it; see the module
    docstring.

    The steps: load the run and its model, check the model fits the env, write
    the ONNX and its spec, verify the written files against the SB3 policy,
    copy the run's cards and write the model card. Raises
    :class:`VerificationError` (after writing a spec marked failed) if the ONNX
    differs from the SB3 policy by more than ``tolerance``.
    """
    check_arguments(tolerance, opset, observations)
    run = load_run(run_dir, checkpoint, env_id=env_id, robot=robot, algo=algo)
    model, vecnormalize = load_model(run)
    env_kwargs = {**run.env_kwargs, **({"robot": run.robot} if run.robot else {})}
    interface, actual_robot, obs_space = _check_model_fits_env(run, model, env_kwargs)
    out_dir = Path(out) if out is not None else run.directory / "export"
    out_dir.mkdir(parents=True, exist_ok=True)
    spec_path = out_dir / SPEC_FILE
    spec_path.unlink(missing_ok=True)  # never leave an old spec beside a new graph
    spec = _write_onnx(
        run, model, vecnormalize, interface, actual_robot, opset, out_dir / ONNX_FILE
    )
    spec["verification"] = {"passed": None}
    write_json(spec_path, spec)  # the files users will load, verified next
    spec["verification"] = _verify(
        run, model, vecnormalize, env_kwargs, obs_space, out_dir, observations, tolerance, seed
    )
    write_json(spec_path, spec)
    files = {ONNX_FILE: (out_dir / ONNX_FILE).stat().st_size, SPEC_FILE: spec_path.stat().st_size}
    files.update(_copy_run_cards(run, out_dir))
    title = (
        title
        or f"{run.algo.upper()} on {run.env_id} ({actual_robot}), "
        f"run {run.directory.resolve().name}"
    )
    (out_dir / "card.md").write_text(
        card_markdown(spec, title, run.card, curve=(out_dir / CURVE_PNG).is_file()),
        encoding="utf-8",
    )
    files["card.md"] = (out_dir / "card.md").stat().st_size
    result = ExportResult(out_dir, spec, files)
    verification = spec["verification"]
    if not verification["passed"]:
        worst = max(verification["max_abs_diff"], verification["single_observation_max_abs_diff"])
        raise VerificationError(
            f"ONNX and SB3 actions differ by {worst:.3g} > tolerance {tolerance:g} on "
            f"{verification['observations']} recorded observations; "
            f"{spec_path} is marked failed and will not load"
        )
    return result


def _check_model_fits_env(
    run: Run, model: Any, env_kwargs: dict[str, Any]
) -> tuple[dict[str, Any], Any, gym.Space]:
    """(the env's interface, its robot, its observation space), once the model's spaces are seen to
    fit it."""
    # A residual's model sees [observation, base action].
    env = make_env(run.env_id, env_kwargs, run.residual)
    try:
        interface = env.unwrapped.interface() if hasattr(env.unwrapped, "interface") else {}
        actual_robot = getattr(env.unwrapped, "robot_name", run.robot)
        model_obs, env_obs = (
            _space_signature(model.observation_space),
            _space_signature(env.observation_space),
        )
        if model_obs != env_obs or env.action_space.shape != model.action_space.shape:
            what = "residual env" if run.residual else "env"
            raise ExportError(
                f"the model's spaces {model_obs}/{model.action_space.shape} do not match the "
                f"{what} {run.env_id}'s {env_obs}/{env.action_space.shape} (wrong --env or --robot"
                + (
                    "?)"
                    if run.residual
                    else ", or a residual run whose config.yaml lost its residual block?)"
                )
            )
        return interface, actual_robot, env.observation_space
    finally:
        env.close()


def _write_onnx(
    run: Run,
    model: Any,
    vecnormalize: Any,
    interface: dict[str, Any],
    robot: Any,
    opset: int,
    onnx_path: Path,
) -> dict[str, Any]:
    """Export the actor to ``onnx_path`` with its spec embedded as metadata; return the spec with
    the file's hash."""
    import torch

    module = build_actor(model, vecnormalize)
    spec = build_spec(run, model, vecnormalize, interface, robot, opset)
    with torch.no_grad():
        export_onnx(
            module, onnx_path, spec["observation"]["size"], opset, output=spec["onnx"]["output"]
        )
    embedded = {k: v for k, v in spec.items() if k not in ("onnx", "verification")}
    add_metadata(
        onnx_path,
        {
            "robodojo.format": FORMAT,
            "robodojo.env_id": run.env_id,
            "robodojo.robot": str(robot),
            "robodojo.spec": json.dumps(jsonable(embedded), separators=(",", ":")),
        },
        f"robodojo policy for {run.env_id} ({robot}): "
        f"{_graph_summary(run, dict_keys(model.policy.observation_space))}; "
        "see policy.json",
    )
    spec["onnx"]["sha256"] = hashlib.sha256(onnx_path.read_bytes()).hexdigest()
    check_spec(jsonable(spec), str(onnx_path.with_name(SPEC_FILE)))
    return spec


def _verify(
    run: Run,
    model: Any,
    vecnormalize: Any,
    env_kwargs: dict[str, Any],
    obs_space: gym.Space,
    out_dir: Path,
    observations: int,
    tolerance: float,
    seed: int,
) -> dict[str, Any]:
    """Load the written files the way users do and compare their actions with SB3's, on recorded
    and random observations."""
    import torch

    with torch.no_grad():
        recorded = record_observations(
            run.env_id,
            env_kwargs,
            observations,
            seed,
            act=lambda o: reference_actions(model, vecnormalize, _batch_of_one(o))[0],
            residual=run.residual,
        )
        synthetic = random_observations(obs_space, observations, seed + 1)
        expected = reference_actions(model, vecnormalize, recorded)
        expected_synthetic = reference_actions(model, vecnormalize, synthetic)
    loaded = OnnxPolicy.load(out_dir, env=None)
    loaded = getattr(loaded, "network", loaded)  # a residual: check the network itself
    # A Dict batch is flattened key by key, as users' Dict observations are.
    got = loaded.predict(recorded)
    got_synthetic = loaded.predict(synthetic)
    # The batch-of-one path too.
    single = np.stack([loaded(row(recorded, i)) for i in range(min(50, count_of(recorded)))])
    diff = float(np.max(np.abs(got - expected)))
    diff_single = float(np.max(np.abs(single - expected[:50])))
    diff_synthetic = float(np.max(np.abs(got_synthetic - expected_synthetic)))
    return {
        "passed": bool(max(diff, diff_single) <= tolerance and np.isfinite(got).all()),
        "reference": "stable_baselines3 "
        "model.predict(vecnormalize.normalize_obs(obs), deterministic=True)",
        "observations": count_of(recorded),
        "source": f"rollouts of the policy ({EXPLORE:.0%} uniform random actions) "
        f"on {run.env_id}{_wrapped(run)}, episode i seeded {seed}+i",
        "max_abs_diff": diff,
        "single_observation_max_abs_diff": diff_single,
        "random_observations": count_of(synthetic),
        "random_max_abs_diff": diff_synthetic,
        "tolerance": tolerance,
    }


def _copy_run_cards(run: Run, out_dir: Path) -> dict[str, int]:
    """The run's evaluation card and learning curve travel with the policy; returns name ->
    bytes."""
    files = {}
    for extra in ("card.json", CURVE_PNG):
        source = run.directory / extra
        if source.is_file() and source.resolve() != (out_dir / extra).resolve():
            shutil.copyfile(source, out_dir / extra)
            files[extra] = (out_dir / extra).stat().st_size
    return files


def _wrapped(run: Run) -> str:
    residual = run.residual
    return (
        f" wrapped in ResidualEnv (base {residual['base']}, scale {residual['scale']:g})"
        if residual
        else ""
    )


def _batch_of_one(observation: Any) -> Any:
    if isinstance(observation, dict):
        return {key: np.asarray(value)[None] for key, value in observation.items()}
    return np.asarray(observation)[None]


def _graph_summary(run: Run, keys: dict[str, int] | None = None) -> str:
    raw = (
        "raw observation"
        if keys is None
        else f"raw observation (Dict keys {', '.join(keys)} concatenated)"
    )
    if not run.residual:
        return f"{raw} -> action"
    return (
        f"[{raw}, base action] -> correction "
        f"(residual on {run.residual['base']}, scale {run.residual['scale']:g})"
    )


def pretrained_folder(name: str) -> Path:
    """Where ``--pretrained NAME`` writes: ``policies/pretrained/NAME`` in the robodojo source
    tree."""
    if not pretrained.NAME.match(name) or name in reserved_names():
        raise ExportError(
            f"{name!r} cannot name a pretrained policy: "
            "use lower-case letters, digits, _ . - and no controller name"
        )
    return pretrained.ROOT / name


__all__ = [
    "ExportArgumentError",
    "ExportError",
    "ExportResult",
    "Run",
    "VerificationError",
    "build_actor",
    "check_arguments",
    "count_of",
    "dict_keys",
    "export_run",
    "load_model",
    "load_run",
    "record_observations",
    "reference_actions",
    "row",
    "supported_opsets",
]
