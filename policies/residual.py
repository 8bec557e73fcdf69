"""Residual policies: a learned correction on top of a scripted controller.

A residual policy sees the env's observation followed by the base
controller's action, and outputs a correction ``r`` in [-1, 1]; the robot gets
``clip(base + scale · r, -1, 1)``. With ``r = 0`` it is exactly the scripted
controller, so training starts from a policy that already succeeds and only
has to learn to do better (faster, gentler). The same composition runs at
deployment: :class:`ResidualPolicy` wraps any network policy (ONNX included)
with the base controller, which needs nothing but numpy.

The base is one of the env's scripted controllers (``scripted`` = the env's
default, or a name in ``CONTROLLER_BUILDERS``), built from the robot and the
control period alone (:func:`~robodojo.policies.controllers.make_controller`). ``robodojo
train --set residual.base=scripted --set residual.scale=0.5`` trains on
:class:`ResidualEnv`; ``robodojo export`` writes the network alone (input =
[observation, base action], output = the correction) with a ``residual``
block in ``policy.json``, and ``OnnxPolicy.load`` returns the composed
:class:`ResidualPolicy`.

On a goal-conditioned env (Dict observation with ``observation``,
``achieved_goal`` and ``desired_goal``) the base action is appended to the
``observation`` key only and the goals pass through untouched, so hindsight
relabelling stays valid: the executed action, ``clip(base + scale · r)``,
depends only on the ``observation`` key (which carries the base action) and
the correction ``r``, never on ``desired_goal`` directly, so a stored
transition is still one the env could produce for a relabelled goal. (The base
action inside the *next* observation was computed for the episode's real
goal; that is the one approximation relabelling a residual makes.)
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from typing import Any, cast

import gymnasium as gym
import numpy as np

from robodojo.policies.base import Policy
from robodojo.policies.controllers import controller_for_env
from robodojo.policies.spec import RESIDUAL_KEY


def compose(base_action: np.ndarray, residual: np.ndarray, scale: float) -> np.ndarray:
    """The action the robot receives: base + scale · residual, inside [-1, 1]."""
    return np.clip(
        np.asarray(base_action, dtype=np.float64) + scale * np.asarray(residual, dtype=np.float64),
        -1.0,
        1.0,
    ).astype(np.float32)


def residual_observation_space(
    observation_space: gym.Space, action_space: gym.spaces.Box
) -> gym.Space:
    """The network's observation space: the env's, with the base action (bounds of
    ``action_space``) appended.

    A flat Box gets it at its end; a Dict gets it at the end of its ``observation``
    key, keeping the other keys (and their order) as they are.
    """

    def extend(box: gym.Space, where: str) -> gym.spaces.Box:
        if not isinstance(box, gym.spaces.Box) or len(box.shape) != 1:
            raise ValueError(f"a residual needs a flat Box {where}, got {box}")
        low = np.concatenate([box.low, action_space.low]).astype(np.float32)
        high = np.concatenate([box.high, action_space.high]).astype(np.float32)
        return gym.spaces.Box(low, high, dtype=np.float32)

    if isinstance(observation_space, gym.spaces.Dict):
        if RESIDUAL_KEY not in observation_space.spaces:
            raise ValueError(
                f"a residual on a Dict observation needs an {RESIDUAL_KEY!r} key, "
                f"got {list(observation_space.spaces)}"
            )
        spaces = {
            key: extend(space, f"{key!r} key") if key == RESIDUAL_KEY else space
            for key, space in observation_space.spaces.items()
        }
        return gym.spaces.Dict(OrderedDict(spaces))  # OrderedDict: keep the env's key order
    return extend(observation_space, "observation")


def augment(observation: Any, base_action: np.ndarray) -> Any:
    """[observation, base action]: for a Dict observation, a copy whose ``observation`` key has the
    base action appended."""
    base_action = np.asarray(base_action, dtype=np.float32)
    if isinstance(observation, Mapping):
        augmented = {key: np.asarray(value, dtype=np.float32) for key, value in observation.items()}
        augmented[RESIDUAL_KEY] = np.concatenate([augmented[RESIDUAL_KEY], base_action]).astype(
            np.float32
        )
        return augmented
    return np.concatenate([np.asarray(observation, dtype=np.float32), base_action]).astype(
        np.float32
    )


class ResidualEnv(gym.Wrapper, gym.utils.RecordConstructorArgs):
    """Train a residual on ``env``: observation = [env observation, base action], action =
    correction.

    The observation is the env's (N values) followed by the base controller's
    action for it (M values, the action size), so the network sees what the
    controller is about to do (for a Dict observation: its ``observation`` key
    gets the base action appended, the other keys are unchanged); its action
    ``r`` in [-1, 1] is the correction, and the env receives
    ``clip(base + scale · r, -1, 1)``. Rewards, termination and info are the env's.

    Args:
        env: the env (made by ``gymnasium.make``; its actions must live in [-1, 1]).
        base: a scripted controller for that env (``scripted`` or a registered
            controller name); it sees the env's own observation.
        scale: how far the correction may move the action (in action units), > 0.
    """

    def __init__(self, env: gym.Env, base: str = "scripted", scale: float = 0.5) -> None:
        gym.utils.RecordConstructorArgs.__init__(self, base=base, scale=scale)
        super().__init__(env)
        space = cast(gym.spaces.Box, env.action_space)  # a Box: its bounds are checked next
        if not (np.all(space.low == -1.0) and np.all(space.high == 1.0)):
            raise ValueError("a residual needs an env whose actions lie in [-1, 1]")
        if not scale > 0:
            raise ValueError(f"residual scale must be > 0, got {scale}")
        if env.spec is None:
            raise ValueError(
                "ResidualEnv needs an env made by gymnasium.make "
                "(it looks up the base controller by id)"
            )
        self.base_name = base
        self.base = controller_for_env(base, env)
        self.scale = float(scale)
        self.observation_space = residual_observation_space(env.observation_space, space)
        self._base_action = np.zeros(space.shape, dtype=np.float32)

    def _augment(self, observation: Any) -> Any:
        self._base_action = np.asarray(self.base(observation), dtype=np.float32)
        return augment(observation, self._base_action)

    def reset(self, **kwargs: Any):
        observation, info = self.env.reset(**kwargs)
        self.base.reset()
        return self._augment(observation), info

    def step(self, action: Any):
        residual = (
            self.unwrapped.check_action(action)
            if hasattr(self.unwrapped, "check_action")
            else action
        )
        observation, reward, terminated, truncated, info = self.env.step(
            compose(self._base_action, residual, self.scale)
        )
        return self._augment(observation), reward, terminated, truncated, info


class ResidualPolicy:
    """Deploy a residual: ``network`` (a policy over [observation, base action]) on top of ``base``.

    Maps the env's own observation to the robot's action: the base acts on the
    observation, the network sees [observation, base action] and returns the
    correction ``r``, and the result is ``clip(base + scale · r, -1, 1)``.
    ``reset()`` resets both (the base controller has state).
    """

    def __init__(self, network: Policy, base: Policy, scale: float) -> None:
        self.network = network
        self.base = base
        self.scale = float(scale)

    def reset(self) -> None:
        self.base.reset()
        self.network.reset()

    def __call__(self, observation: Any) -> np.ndarray:
        base_action = np.asarray(self.base(observation), dtype=np.float32)
        residual = self.network(augment(observation, base_action))
        return compose(base_action, residual, self.scale)


class ExportedResidualPolicy(ResidualPolicy):
    """What ``OnnxPolicy.load`` returns for a residual export: the ONNX network composed with its
    base.

    ``network`` is the :class:`~robodojo.policies.onnx_policy.OnnxPolicy` (its
    ``predict`` maps [observation, base action] batches to corrections);
    ``spec`` is its ``policy.json``, whose ``residual`` block named the base and scale.
    """

    # The OnnxPolicy; Any because onnx_policy imports this module (a type import would be a cycle).
    network: Any

    @property
    def spec(self) -> dict[str, Any]:
        return self.network.spec

    @property
    def env_id(self) -> str:
        return self.network.env_id

    @property
    def robot(self) -> str | None:
        return self.network.robot

    def __call__(self, observation: Any) -> np.ndarray:
        keys = self.network.observation_keys
        if keys is not None:  # a goal-conditioned policy: the env's Dict observation
            if not isinstance(observation, Mapping):
                raise ValueError(
                    "this residual policy takes the env's Dict observation "
                    f"(keys {', '.join(keys)}), got {type(observation).__name__}"
                )
            size = keys[RESIDUAL_KEY] - self.network.action_size
            given = np.size(observation.get(RESIDUAL_KEY, ()))
            if given != size:
                raise ValueError(
                    f"observation[{RESIDUAL_KEY!r}] has {given} values; "
                    f"this residual policy takes the env's "
                    f"{size} (it appends the base controller's action itself)"
                )
            return super().__call__(observation)
        size = self.network.observation_size - self.network.action_size
        if isinstance(observation, Mapping) or np.size(observation) != size:
            what = (
                "a Dict" if isinstance(observation, Mapping) else f"{np.size(observation)} values"
            )
            raise ValueError(
                f"observation has {what}; this residual policy takes the env's {size} values "
                "(it appends the base controller's action itself)"
            )
        return super().__call__(observation)

    def __repr__(self) -> str:
        return (
            f"ExportedResidualPolicy({self.network!r}, base={type(self.base).__name__}, "
            f"scale={self.scale:g})"
        )
