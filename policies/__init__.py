"""Policies: the Policy protocol, the action library of scripted controllers, and loading by name.

``make_policy(name, env, env_id)`` accepts ``"random"``, ``"scripted"`` (the
env's default controller), a controller registered for that env, the name of
a shipped pretrained policy (``policies/pretrained/<name>/``) or the path of
an exported policy — names first, then paths (:mod:`robodojo.policies.registry`).
Exported policies run with onnxruntime only (the ``onnx`` extra): no torch,
and nothing is unpickled. An exported *residual* policy loads composed with
the base controller its spec names.

Importing this package also lets a QuadrupedRescue-v0 walker be named after a
trained Locomotion-v0 policy (:mod:`robodojo.policies.walkers`).
"""

from robodojo.policies.base import Policy, RandomPolicy
from robodojo.policies.controllers import (
    CONTROLLER_BUILDERS,
    base_controller_names,
    controller_for_env,
    controller_names,
    make_controller,
    resolve_controller,
)  # fmt: skip
from robodojo.policies.registry import (
    PolicyChoice,
    load_policy,
    looks_like_path,
    make_policy,
    policy_names,
    policy_path,
    pretrained_names,
    resolve_policy,
    scripted_names,
)  # fmt: skip
from robodojo.policies.walkers import policy_walker
from robodojo.skills.walking import register_walker_resolver

register_walker_resolver(policy_walker)

__all__ = [
    "CONTROLLER_BUILDERS",
    "Policy",
    "PolicyChoice",
    "RandomPolicy",
    "base_controller_names",
    "controller_for_env",
    "controller_names",
    "load_policy",
    "looks_like_path",
    "make_controller",
    "make_policy",
    "policy_names",
    "policy_path",
    "pretrained_names",
    "resolve_controller",
    "resolve_policy",
    "scripted_names",
]
