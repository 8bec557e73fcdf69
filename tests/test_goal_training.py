"""Goal-conditioned training: Dict observations through train (SAC + HER), resume, export, ONNX and
residuals.

A tiny goal env lives in this file — a point on a plane that must reach a goal
(Dict observation: observation / achieved_goal / desired_goal; a sparse
``compute_reward`` that works on one sample and on batches) — and is
registered with Gymnasium and, for the length of this module, with robodojo's
scenario tables, so ``train()`` / ``resume()`` / ``export_run()`` run on it
exactly as on a real scenario. One test then trains and exports the real
``robodojo/Transport-v0`` (a residual on its scripted pick-and-place).
"""

from __future__ import annotations

import io
import json
import shutil
import warnings
from pathlib import Path
from types import SimpleNamespace

import gymnasium as gym
import numpy as np
import pytest
import yaml

torch = pytest.importorskip("torch")
pytest.importorskip("stable_baselines3")

from stable_baselines3 import SAC, HerReplayBuffer  # noqa: E402
from stable_baselines3.common.vec_env import DummyVecEnv, VecNormalize  # noqa: E402

from robodojo import envs as robodojo_envs  # noqa: E402
from robodojo import policies  # noqa: E402
from robodojo.policies.residual import ResidualEnv, ResidualPolicy  # noqa: E402
from robodojo.training import checkpoints as ckpt  # noqa: E402
from robodojo.training import config as config_module  # noqa: E402
from robodojo.training.config import ConfigError, model_kwargs, resolve  # noqa: E402
from robodojo.training.sb3_policy import SB3Policy, load_policy  # noqa: E402

POINT_ID = "robodojo_test/PointGoal-v0"
POINT = "point_goal"
GOAL_KEYS = ["achieved_goal", "desired_goal", "observation"]  # a Gymnasium Dict sorts its keys
TOLERANCE = 1e-5


class PointGoalEnv(gym.Env):
    """A point on a plane must reach a goal within ``episode_steps`` steps (sparse reward: -1 until
    within 0.1).

    observation = [position (2), velocity (2)], achieved_goal = position, desired_goal = the goal.
    """

    # gymnasium.Env declares metadata an (instance) attribute: a ClassVar here would contradict it
    metadata = {"render_modes": ["rgb_array"], "render_fps": 10}  # noqa: RUF012
    control_dt = 0.1
    DISTANCE = 0.1
    #: what robodojo's configuration reads from a scenario's class, without building it
    GOAL_CONDITIONED = True
    RESET_OPTIONS = ()

    def __init__(
        self, robot: str | None = None, render_mode: str | None = None, episode_steps: int = 20
    ) -> None:
        self.render_mode = render_mode
        self.episode_steps = episode_steps
        self.observation_space = gym.spaces.Dict(
            {
                "observation": gym.spaces.Box(-2.0, 2.0, (4,), np.float32),
                "achieved_goal": gym.spaces.Box(-1.0, 1.0, (2,), np.float32),
                "desired_goal": gym.spaces.Box(-1.0, 1.0, (2,), np.float32),
            }
        )
        self.action_space = gym.spaces.Box(-1.0, 1.0, (2,), np.float32)
        self.position = np.zeros(2)
        self.velocity = np.zeros(2)
        self.goal = np.zeros(2)
        self.steps = 0

    def compute_reward(self, achieved_goal, desired_goal, info):
        distance = np.linalg.norm(np.asarray(achieved_goal) - np.asarray(desired_goal), axis=-1)
        return -(distance > self.DISTANCE).astype(np.float32)

    def _observation(self) -> dict[str, np.ndarray]:
        return {
            "observation": np.concatenate([self.position, self.velocity]).astype(np.float32),
            "achieved_goal": self.position.astype(np.float32),
            "desired_goal": self.goal.astype(np.float32),
        }

    def reset(self, *, seed: int | None = None, options=None):
        super().reset(seed=seed)
        self.position = self.np_random.uniform(-0.8, 0.8, 2)
        self.goal = self.np_random.uniform(-0.8, 0.8, 2)
        self.velocity = np.zeros(2)
        self.steps = 0
        return self._observation(), {"is_success": False}

    def step(self, action):
        action = np.clip(np.asarray(action, dtype=np.float64), -1.0, 1.0)
        self.velocity = 0.2 * action
        self.position = np.clip(self.position + self.velocity, -1.0, 1.0)
        self.steps += 1
        observation = self._observation()
        reward = float(
            self.compute_reward(observation["achieved_goal"], observation["desired_goal"], {})
        )
        success = reward == 0.0
        info = {
            "is_success": success,
            "episode_metrics": {"distance": float(np.linalg.norm(self.position - self.goal))},
        }
        return observation, reward, success, self.steps >= self.episode_steps, info

    def render(self):
        frame = np.full((64, 64, 3), 255, dtype=np.uint8)
        for point, colour in ((self.goal, (0, 160, 0)), (self.position, (200, 0, 0))):
            x, y = ((point + 1.0) * 31.5).astype(int)
            frame[max(0, y - 2) : y + 3, max(0, x - 2) : x + 3] = colour
        return frame

    def interface(self) -> dict:
        return {
            "observation": [
                {"name": "position", "size": 2, "unit": "1", "source": "sim"},
                {"name": "velocity", "size": 2, "unit": "1/step", "source": "sim"},
            ],
            "action": {"type": "velocity"},
            "control_dt": self.control_dt,
            "physics_dt": self.control_dt,
            "substeps": 1,
        }


class GoToGoal:
    """A scripted controller for the point: head for the desired goal (it reads the Dict
    observation)."""

    def reset(self) -> None:
        pass

    def __call__(self, observation) -> np.ndarray:
        direction = np.asarray(observation["desired_goal"]) - np.asarray(
            observation["achieved_goal"]
        )
        return np.clip(3.0 * direction, -1.0, 1.0).astype(np.float32)


POINT_DEFAULTS = {
    "scenario": POINT,
    "robot": None,
    "env_kwargs": {},
    "residual": None,
    "algo": "sac",
    "her": {"n_sampled_goal": 4, "goal_selection_strategy": "future"},
    "total_steps": 300,
    "n_envs": 1,
    "seed": 0,
    "normalize_observations": True,
    "normalize_rewards": "auto",
    "checkpoint_every": 150,
    "eval_every": 0,
    "eval_episodes": 2,
    "eval_seed": 1000,
    "final_eval_episodes": 3,
    "final_eval_seed": 0,
    "video_episodes": 0,
    "policy_kwargs": {"net_arch": [32, 32]},
    "algo_kwargs": {
        "ppo": {"n_steps": 64, "batch_size": 64, "n_epochs": 1},
        "sac": {"learning_starts": 100, "buffer_size": 2000, "batch_size": 32},
        "tqc": {},
    },
}


@pytest.fixture(scope="module", autouse=True)
def point_scenario(tmp_path_factory):
    """PointGoal registered with Gymnasium and (for this module) robodojo's scenario, controller and
    config tables."""
    configs = tmp_path_factory.mktemp("configs")
    for source in config_module.CONFIG_DIR.glob("*.yaml"):
        shutil.copy(source, configs / source.name)
    (configs / f"{POINT}.yaml").write_text(yaml.safe_dump(POINT_DEFAULTS))
    if POINT_ID not in gym.registry:
        gym.register(POINT_ID, entry_point=f"{__name__}:PointGoalEnv")
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(robodojo_envs.ENV_IDS, POINT_ID, f"{__name__}:PointGoalEnv")
        patch.setitem(robodojo_envs.SCENARIOS, POINT, POINT_ID)
        patch.setitem(
            policies.CONTROLLER_BUILDERS, POINT_ID, {"go_to_goal": lambda spec, dt: GoToGoal()}
        )
        patch.setattr(config_module, "CONFIG_DIR", configs)
        yield


def point(**changes) -> dict:
    return resolve({"scenario": POINT, **changes})


# -- configuration -----------------------------------------------------------------------


def test_her_config_sets_the_her_buffer_and_is_validated() -> None:
    config = point()
    assert list(config)[list(config).index("algo") + 1] == "her"
    assert config["her"] == {"n_sampled_goal": 4, "goal_selection_strategy": "future"}
    kwargs = model_kwargs(config)
    assert kwargs["replay_buffer_class"] is HerReplayBuffer
    assert kwargs["replay_buffer_kwargs"] == {
        "n_sampled_goal": 4,
        "goal_selection_strategy": "future",
    }
    assert "replay_buffer_class" not in model_kwargs(point(her=None))
    assert (
        point(her={"goal_selection_strategy": "FINAL"})["her"]["goal_selection_strategy"] == "final"
    )

    bad = [
        ({"algo": "ppo"}, "needs an off-policy algo"),
        (
            {"her": {"n_sampled_goals": 4}},
            "her: unknown key(s) n_sampled_goals; valid keys: n_sampled_goal",
        ),
        ({"her": {"goal_selection_strategy": "past"}}, "future, final, episode"),
        ({"her": {"n_sampled_goal": 0}}, "her.n_sampled_goal must be an integer >= 1"),
        ({"her": "future"}, "her must be null or a mapping"),
        (
            {"algo_kwargs": {"sac": {"replay_buffer_kwargs": {"n_sampled_goal": 8}}}},
            "set them under her",
        ),
    ]
    for changes, message in bad:
        with pytest.raises(ConfigError, match=None) as error:
            point(**changes)
        assert message in str(error.value), (changes, str(error.value))
    # a flat-Box env is no goal env: HER cannot relabel it
    with pytest.raises(
        ConfigError, match=r"needs a goal-conditioned env.*FallRecovery-v0 is not one"
    ) as error:
        resolve({"scenario": "fall_recovery", "algo": "sac", "her": {"n_sampled_goal": 4}})
    assert "her=null" in str(error.value)


# -- HER replay buffer: checkpoint round trip, VecNormalize ------------------------------------


def _her_model(steps: int) -> tuple[SAC, VecNormalize]:
    torch.set_num_threads(1)
    venv = VecNormalize(DummyVecEnv([lambda: gym.make(POINT_ID)]), norm_reward=False)
    venv.seed(0)
    model = SAC(
        "MultiInputPolicy",
        venv,
        learning_starts=60,
        buffer_size=1000,
        batch_size=16,
        seed=0,
        device="cpu",
        replay_buffer_class=HerReplayBuffer,
        policy_kwargs={"net_arch": [16]},
        replay_buffer_kwargs={"n_sampled_goal": 4, "goal_selection_strategy": "future"},
    )
    model.learn(steps)
    return model, venv


def test_her_buffer_checkpoints_compactly_and_relabels_raw_goals(tmp_path: Path) -> None:
    model, venv = _her_model(130)  # episodes of up to 20 steps, the last one unfinished
    buffer = model.replay_buffer
    ckpt.save_replay_buffer(model, tmp_path / "replay.pkl")
    assert (
        buffer.observations["observation"].shape[0] == 1000 and buffer.env is venv
    )  # restored after saving
    full = SAC(
        "MultiInputPolicy",
        venv,
        buffer_size=1000,
        replay_buffer_class=HerReplayBuffer,
        device="cpu",
    )
    full.replay_buffer.pos = 130
    full.save_replay_buffer(tmp_path / "sb3.pkl")  # SB3's own: every row
    assert (tmp_path / "replay.pkl").stat().st_size < 0.5 * (tmp_path / "sb3.pkl").stat().st_size

    other = SAC(
        "MultiInputPolicy",
        venv,
        buffer_size=1000,
        replay_buffer_class=HerReplayBuffer,
        device="cpu",
    )
    ckpt.load_replay_buffer(other, tmp_path / "replay.pkl")
    loaded = other.replay_buffer
    assert isinstance(loaded, HerReplayBuffer) and loaded.env is venv and loaded.pos == 130
    for key in GOAL_KEYS:
        assert loaded.observations[key].shape == (1000, 1, len(buffer.observations[key][0, 0]))
        np.testing.assert_array_equal(loaded.observations[key], buffer.observations[key])
        np.testing.assert_array_equal(loaded.next_observations[key], buffer.next_observations[key])
    end = int(np.flatnonzero(buffer.dones[:130, 0])[-1]) + 1  # where the last finished episode ends
    assert (
        20 <= end < 130
        and buffer.ep_length[:end].min() > 0
        and buffer.ep_length[end:130].max() == 0
    )
    np.testing.assert_array_equal(loaded.ep_start[:end], buffer.ep_start[:end])
    np.testing.assert_array_equal(loaded.ep_length[:end], buffer.ep_length[:end])
    # the unfinished last episode was closed where it stopped, as SB3's own load_replay_buffer does
    assert (loaded.ep_length[end:130, 0] == 130 - end).all() and loaded.timeouts[129, 0] == 1
    assert loaded.ep_length[130:].sum() == 0 and all(info == {} for info in loaded.infos[130:, 0])

    # Stored observations are raw; sampling normalises them *after* relabelling, so every reward,
    # real or relabelled, is compute_reward on the raw goals.
    np.random.seed(0)
    samples = loaded.sample(256, env=venv)
    raw = venv.unnormalize_obs(
        {key: value.numpy() for key, value in samples.next_observations.items()}
    )
    assert (
        np.abs(samples.next_observations["desired_goal"].numpy()).max() > 1.0
        or venv.obs_rms["desired_goal"].var.min() < 0.3
    )
    rewards = PointGoalEnv().compute_reward(raw["achieved_goal"], raw["desired_goal"], {})
    np.testing.assert_allclose(samples.rewards.numpy()[:, 0], rewards, atol=1e-6)
    assert (rewards == 0).sum() > 20  # the hindsight goals turned failures into successes
    other.learn(40, reset_num_timesteps=False)  # training goes on with the loaded buffer
    assert other.replay_buffer.pos == 170
    venv.close()


# -- train / resume / export on the point env -----------------------------------------------


@pytest.fixture(scope="module")
def her_run(tmp_path_factory) -> Path:
    from robodojo.training.train import train

    return train(
        point(video_episodes=1),
        tmp_path_factory.mktemp("her"),
        quiet=True,
        stream=io.StringIO(),
        run_name="her-run",
    )


def test_sac_her_run_folder_and_resume_keep_the_her_buffer(her_run: Path, tmp_path: Path) -> None:
    from robodojo.training.train import resume

    run_dir = tmp_path / "run"
    shutil.copytree(her_run, run_dir)
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["observation_keys"] == GOAL_KEYS and manifest["her"]["n_sampled_goal"] == 4
    card = json.loads((run_dir / "card.json").read_text())
    assert card["training"]["steps"] == 300 and card["final_evaluation"]["episodes"] == 3
    assert "distance" in card["final_evaluation"]["metrics"]
    model = load_policy(
        run_dir / "final"
    ).model  # SB3 itself cannot load a HER model without an env
    assert type(model.policy).__name__ == "MultiInputPolicy"
    vecnormalize = VecNormalize.load(
        str(run_dir / "final" / "vecnormalize.pkl"), DummyVecEnv([lambda: gym.make(POINT_ID)])
    )
    assert (
        vecnormalize.norm_obs_keys == GOAL_KEYS and vecnormalize.obs_rms["observation"].count > 250
    )

    step_300 = run_dir / "checkpoints" / "step_300"
    saved = tmp_path / "replay_300.pkl"
    shutil.copy(step_300 / ckpt.REPLAY_FILE, saved)  # the resumed run deletes it
    resume(run_dir, total_steps=400, quiet=True, stream=io.StringIO())
    model = SAC.load(
        run_dir / "checkpoints" / "step_400" / "model.zip", env=vecnormalize, device="cpu"
    )
    ckpt.load_replay_buffer(model, run_dir / "checkpoints" / "step_400" / ckpt.REPLAY_FILE)
    before = SAC.load(step_300 / "model.zip", env=vecnormalize, device="cpu")
    ckpt.load_replay_buffer(before, saved)
    after, first = model.replay_buffer, before.replay_buffer
    assert isinstance(after, HerReplayBuffer) and after.pos == 400 and first.pos == 300
    for key in GOAL_KEYS:  # the first session's 300 transitions carried over
        np.testing.assert_array_equal(after.observations[key][:300], first.observations[key][:300])
    assert after.ep_length[:300].min() > 0 and after.ep_length[300:400].max() > 0
    assert json.loads((run_dir / "card.json").read_text())["training"]["sessions"] == 2
    vecnormalize.close()


@pytest.fixture(scope="module")
def exported(her_run: Path, tmp_path_factory):
    from robodojo.training.export import export_run
    from robodojo.training.train import train

    ppo_run = train(
        point(algo="ppo", her=None, total_steps=128, final_eval_episodes=1),
        tmp_path_factory.mktemp("ppo"),
        quiet=True,
        stream=io.StringIO(),
        run_name="ppo-run",
    )
    return {
        "sac": (her_run, export_run(her_run, observations=300)),
        "ppo": (ppo_run, export_run(ppo_run, observations=300)),
    }


@pytest.mark.parametrize("algo", ["sac", "ppo"])
def test_goal_policy_exports_one_flat_input_matching_the_torch_policy(algo: str, exported) -> None:
    from robodojo.policies.onnx_policy import OnnxPolicy, PolicySpecError, check_compatible
    from robodojo.training.export import load_model, load_run, record_observations

    run_dir, result = exported[algo]
    spec = result.spec
    assert spec["verification"]["passed"] and result.max_abs_diff <= TOLERANCE
    assert spec["verification"]["observations"] == 300
    observation = spec["observation"]
    assert (
        observation["keys"]
        == [
            {"name": "achieved_goal", "size": 2},
            {"name": "desired_goal", "size": 2},
            {"name": "observation", "size": 4},
        ]
        and observation["size"] == 8
    )
    assert [(f["key"], f["name"]) for f in observation["layout"]] == [
        ("achieved_goal", "achieved_goal"),
        ("desired_goal", "desired_goal"),
        ("observation", "position"),
        ("observation", "velocity"),
    ]
    assert sorted(observation["normalization"]["keys"]) == GOAL_KEYS

    model, vecnormalize = load_model(load_run(run_dir))
    reference = SB3Policy(model, vecnormalize)
    env = gym.make(POINT_ID)
    policy = OnnxPolicy.load(result.directory, env=env)
    assert policy.observation_keys == {"achieved_goal": 2, "desired_goal": 2, "observation": 4}
    observations = record_observations(POINT_ID, {}, 200, seed=77, act=reference)
    assert sorted(observations) == GOAL_KEYS and observations["observation"].shape == (200, 4)
    expected = np.stack([reference({k: v[i] for k, v in observations.items()}) for i in range(200)])
    single = np.stack([policy({k: v[i] for k, v in observations.items()}) for i in range(200)])
    batch = policy.predict(observations)
    flat = np.concatenate([observations[key] for key in GOAL_KEYS], axis=1)  # the documented order
    assert (
        np.abs(single - expected).max() <= TOLERANCE and np.abs(batch - expected).max() <= TOLERANCE
    )
    np.testing.assert_array_equal(policy.predict(flat), batch)
    # the baked-in per-key normalisation matters, and so does the key order
    raw, _ = model.predict(dict(observations.items()), deterministic=True)
    assert np.abs(raw - expected).max() > 1e-3
    swapped = np.concatenate(
        [observations[key] for key in ("desired_goal", "achieved_goal", "observation")], axis=1
    )
    assert np.abs(policy.predict(swapped) - expected).max() > 1e-3

    with pytest.raises(ValueError, match="no key"):
        policy({"observation": np.zeros(4), "achieved_goal": np.zeros(2)})
    with pytest.raises(ValueError, match=r"observation\['desired_goal'\] has shape \(3,\)"):
        policy(
            {"observation": np.zeros(4), "achieved_goal": np.zeros(2), "desired_goal": np.zeros(3)}
        )
    flat_env = SimpleNamespace(
        observation_space=gym.spaces.Box(-1, 1, (8,)),
        action_space=env.action_space,
        spec=None,
        unwrapped=SimpleNamespace(),
    )
    with pytest.raises(PolicySpecError, match="takes a Dict observation"):
        check_compatible(spec, flat_env)
    env.close()


def test_residual_env_and_policy_on_a_dict_observation() -> None:
    from gymnasium.utils.env_checker import check_env

    env = ResidualEnv(gym.make(POINT_ID), "scripted", scale=0.5)
    space = env.observation_space
    assert list(space.spaces) == GOAL_KEYS and space["observation"].shape == (6,)
    assert space["achieved_goal"] == env.unwrapped.observation_space["achieved_goal"]
    observation, _ = env.reset(seed=4)
    inner = env.unwrapped._observation()
    np.testing.assert_array_equal(observation["desired_goal"], inner["desired_goal"])
    np.testing.assert_array_equal(observation["observation"][:4], inner["observation"])
    np.testing.assert_allclose(observation["observation"][4:], GoToGoal()(inner))
    # HER's relabelled rewards come from the wrapped env's compute_reward, through the wrapper
    assert env.get_wrapper_attr("compute_reward")(
        np.zeros((3, 2)), np.full((3, 2), 0.05), [{}] * 3
    ).tolist() == [0, 0, 0]

    # zero correction = the base controller; the composed policy drives the plain env the same way
    plain = gym.make(POINT_ID)
    wrapped = ResidualPolicy(lambda o: np.zeros(2, dtype=np.float32), GoToGoal(), scale=0.5)
    o_plain, _ = plain.reset(seed=4)
    for _ in range(10):
        residual_obs, _, _, _, _ = env.step(np.zeros(2))
        o_plain, *_ = plain.step(wrapped(o_plain))
        np.testing.assert_array_equal(residual_obs["achieved_goal"], o_plain["achieved_goal"])
    seen = []
    probe = ResidualPolicy(
        lambda o: seen.append(o) or np.ones(2, dtype=np.float32), GoToGoal(), scale=0.5
    )
    action = probe(o_plain)
    assert seen[0]["observation"].shape == (6,) and np.array_equal(
        seen[0]["desired_goal"], o_plain["desired_goal"]
    )
    np.testing.assert_allclose(action, np.clip(GoToGoal()(o_plain) + 0.5, -1, 1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_env(ResidualEnv(gym.make(POINT_ID), "scripted", scale=0.5), skip_render_check=True)
    env.close()
    plain.close()


# -- the real thing: Transport-v0 --------------------------------------------------------------


@pytest.mark.skipif(
    "robodojo/Transport-v0" not in robodojo_envs.ENV_IDS,
    reason="Transport-v0 is not registered yet",
)
def test_transport_residual_sac_her_trains_and_exports(tmp_path: Path) -> None:
    from robodojo.policies.onnx_policy import OnnxPolicy
    from robodojo.policies.residual import ExportedResidualPolicy
    from robodojo.training.export import export_run
    from robodojo.training.train import train

    # 4-s episodes (100 steps): HER samples only once an episode has ended, i.e. after
    # learning_starts
    her = {"n_sampled_goal": 4, "goal_selection_strategy": "future", "copy_info_dict": True}
    config = {
        "scenario": "transport",
        "algo": "sac",
        "her": her,
        "residual_hold_steps": 100,
        "env_kwargs": {"episode_seconds": 4},
        "n_envs": 1,
        "total_steps": 300,
        "checkpoint_every": 300,
        "eval_every": 0,
        "final_eval_episodes": 1,
        "video_episodes": 0,
        "algo_kwargs": {"sac": {"learning_starts": 150, "buffer_size": 1000, "batch_size": 32}},
    }
    full = resolve(config)
    assert full["her"] == her and full["residual"] == {"base": "scripted", "scale": 0.3}
    run_dir = train(config, tmp_path, quiet=True, stream=io.StringIO(), run_name="transport")
    assert json.loads((run_dir / "card.json").read_text())["training"]["steps"] == 300
    result = export_run(run_dir, observations=200)
    assert (
        result.spec["verification"]["passed"]
        and result.spec["residual"]["base"] == "pick_and_place"
    )
    keys = {k["name"]: k["size"] for k in result.spec["observation"]["keys"]}
    env = gym.make("robodojo/Transport-v0", robot=full["robot"], episode_seconds=4)
    observation, _ = env.reset(seed=0)
    assert keys["observation"] == observation["observation"].size + env.action_space.shape[0]
    assert keys["desired_goal"] == observation["desired_goal"].size
    policy = OnnxPolicy.load(result.directory, env=env)
    assert isinstance(policy, ExportedResidualPolicy)
    policy.reset()
    for _ in range(5):
        action = policy(observation)
        assert action.shape == env.action_space.shape and np.all(np.abs(action) <= 1.0)
        observation, *_ = env.step(action)
    env.close()


def _mean_layer_peak(checkpoint: Path) -> float:
    from robodojo.training.sb3_policy import load_for_inference

    model = load_for_inference(SAC, checkpoint / "model.zip")
    return float(model.actor.mu.weight.detach().abs().max())


def test_residual_hold_keeps_the_correction_at_zero_then_lets_it_learn(tmp_path: Path) -> None:
    """Held, the action-mean layer stays at zero (one actor update's worth at most); unheld, it is
    the random init."""
    from robodojo.training.train import train

    base = {
        "scenario": POINT,
        "residual": {"base": "go_to_goal", "scale": 0.5},
        "total_steps": 300,
        "checkpoint_every": 150,
    }
    held = train(
        {**base, "residual_hold_steps": 250},
        tmp_path,
        quiet=True,
        stream=io.StringIO(),
        run_name="held",
    )
    free = train(base, tmp_path, quiet=True, stream=io.StringIO(), run_name="free")
    assert (
        _mean_layer_peak(held / "checkpoints" / "step_150")
        < 1e-3
        < 0.05
        < _mean_layer_peak(free / "checkpoints" / "step_150")
    )
    assert (
        _mean_layer_peak(held / "final") > 1e-3
    )  # released after step 250: the actor learns again
    with pytest.raises(ConfigError, match="needs a residual"):
        point(residual_hold_steps=100)
