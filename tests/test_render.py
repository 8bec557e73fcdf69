"""Rendering: headless rgb_array frames, human mode without a display, advertised modes."""

from __future__ import annotations

import gymnasium
import numpy as np
import pytest
from conftest import (
    DEFAULT_ENV_ID,
    assert_same_rollout,
    connected_clients,
    env_robot_params,
    random_actions,
    robot_kwargs,
    rollout,
)


def _distinct_colours(frame: np.ndarray) -> int:
    return len(np.unique(frame.reshape(-1, 3), axis=0))


@pytest.mark.parametrize(("env_id", "robot"), env_robot_params())
def test_rgb_array_frame_shape_dtype_and_content(make_env, env_id, robot):
    env = make_env(env_id, render_mode="rgb_array", **robot_kwargs(robot))
    env.reset(seed=0)
    frame = env.render()
    assert isinstance(frame, np.ndarray)
    assert frame.shape == (360, 480, 3) and frame.dtype == np.uint8
    assert frame.std() > 20, "frame is (nearly) blank"
    assert _distinct_colours(frame) > 50, "frame has too few colours to show a scene"
    # The camera shows the robot: a different fall (seed) gives a visibly different picture.
    env.reset(seed=1)
    other = env.render()
    changed = np.any(frame != other, axis=2).mean()
    assert changed > 0.01, (
        f"only {changed:.2%} of the pixels differ between two different start states"
    )


def test_render_without_render_mode_returns_none(make_env):
    env = make_env()
    env.reset(seed=0)
    assert env.render() is None


def test_rendering_does_not_change_the_physics(make_env):
    reference, env = make_env(), make_env(render_mode="rgb_array")
    actions = random_actions(env.action_space, 30, seed=4)
    plain = rollout(reference, 4, actions)
    rendered = rollout(
        env, 4, actions, between=lambda step: env.render() if step % 10 == 0 else None
    )
    assert_same_rollout(plain, rendered)


def test_human_mode_without_display_raises_clearly(monkeypatch):
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    before = connected_clients()
    with pytest.raises(RuntimeError, match="rgb_array") as raised:
        gymnasium.make(DEFAULT_ENV_ID, render_mode="human")
    assert "display" in str(raised.value).lower()
    assert connected_clients() == before, (
        "a failed human-mode construction left a PyBullet client connected"
    )


def test_metadata_advertises_human_only_with_a_display(monkeypatch, make_env):
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    headless = make_env()
    assert headless.unwrapped.metadata["render_modes"] == ["rgb_array"]
    monkeypatch.setenv("DISPLAY", ":0")  # only the metadata is checked: no window is opened
    with_display = make_env()
    assert set(with_display.unwrapped.metadata["render_modes"]) == {"human", "rgb_array"}


def test_unknown_render_mode_is_rejected():
    from robodojo.envs.fall_recovery import FallRecoveryEnv

    with pytest.raises(ValueError, match="render_mode"):
        FallRecoveryEnv(render_mode="rgb")
