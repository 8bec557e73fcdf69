"""``robodojo train``: config validation, smoke runs (PPO and SAC), resume, and resume after kill
-9.

Runs are tiny: 1 s episodes (``episode_seconds: 1``), a few thousand steps,
2-3 evaluation episodes. Training speed is measured in benchmarks/, not here.
Needs the ``train`` extra (stable-baselines3, sb3-contrib, torch, ...).
"""

from __future__ import annotations

import io
import json
import os
import pickle
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import yaml

from robodojo.training import checkpoints as ckpt
from robodojo.training.config import (
    TOP_LEVEL_KEYS,
    ConfigError,
    build_config,
    model_kwargs,
    parse_set,
    resolve,
)
from robodojo.training.sb3_policy import SB3Policy, load_policy

TINY = {
    "scenario": "fall_recovery",
    "residual": None,  # plain policies here; the residual smoke run below sets its own
    "env_kwargs": {"episode_seconds": 1},
    "n_envs": 1,
    "eval_episodes": 2,
    "final_eval_episodes": 3,
    "video_episodes": 1,
    "algo_kwargs": {
        "ppo": {"n_steps": 256, "batch_size": 256, "n_epochs": 2},
        "sac": {"learning_starts": 300, "buffer_size": 10000, "batch_size": 64},
    },
}


def tiny(**changes) -> dict:
    return resolve({**TINY, **changes})


def robodojo(*args: str, timeout: float = 120, **kwargs) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "robodojo.cli", *args],
        check=False,
        capture_output=True,
        text=True,
        timeout=timeout,
        **kwargs,
    )


def strict_json(path: Path):
    def reject(constant: str) -> None:
        raise ValueError(f"non-standard JSON constant {constant} in {path}")

    return json.loads(path.read_text(), parse_constant=reject)


def scalars(tb_dir: Path) -> dict[str, list[int]]:
    """TensorBoard scalar tag -> steps logged, over every event file in ``tb_dir``."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    accumulator = EventAccumulator(str(tb_dir))
    accumulator.Reload()
    return {
        tag: [event.step for event in accumulator.Scalars(tag)]
        for tag in accumulator.Tags()["scalars"]
    }


def step_dirs(run_dir: Path) -> list[int]:
    return sorted(int(p.name.split("_")[1]) for p in (run_dir / "checkpoints").glob("step_*"))


# -- configuration -------------------------------------------------------------------


def test_defaults_load_and_cli_flags_win(tmp_path: Path) -> None:
    extra = tmp_path / "extra.yaml"
    extra.write_text("algo_kwargs: {ppo: {n_steps: 64}}\nseed: 3\ntotal_steps: 1e6\n")
    config = build_config(
        "robodojo/FallRecovery-v0",
        extra,
        ["seed=5", "algo_kwargs.ppo.learning_rate=1e-4"],
        seed=7,
        n_envs=None,
    )
    assert list(config) == list(TOP_LEVEL_KEYS)
    assert (
        config["scenario"] == "fall_recovery" and config["seed"] == 7
    )  # flag > --set > --config > defaults
    ppo = config["algo_kwargs"]["ppo"]
    default_batch = build_config("fall_recovery")["algo_kwargs"]["ppo"]["batch_size"]
    assert (
        ppo["n_steps"] == 64 and ppo["batch_size"] == default_batch != 64
    )  # merged key by key, not replaced
    assert ppo["learning_rate"] == 1e-4 and isinstance(
        ppo["learning_rate"], float
    )  # "1e-4" is text to PyYAML
    assert config["total_steps"] == 1_000_000 and isinstance(config["total_steps"], int)
    assert config["normalize_rewards"] is True  # auto -> true for PPO
    assert build_config("fall_recovery", algo="sac")["normalize_rewards"] is False
    assert (
        build_config("fall_recovery", sets=["algo_kwargs.sac.buffer_size=1e5"])["algo_kwargs"][
            "sac"
        ]["buffer_size"]
        == 100_000
    )
    assert parse_set("a.b.c=[1, 2]") == {"a": {"b": {"c": [1, 2]}}}
    assert config["residual"] == {
        "base": "scripted",
        "scale": 1.0,
    }  # fall recovery trains a residual by default
    assert build_config("fall_recovery", sets=["residual=null"])["residual"] is None
    assert build_config("fall_recovery", sets=["residual.scale=0.5"])["residual"] == {
        "base": "scripted",
        "scale": 0.5,
    }


@pytest.mark.parametrize(
    "sets, expected",
    [
        (
            ["learning_rate=0.1"],
            ["unknown config key", "learning_rate", "valid keys", "total_steps", "algo_kwargs"],
        ),
        (
            ["algo_kwargs.ppo.n_stepz=64"],
            ["PPO does not accept n_stepz", "valid keys", "n_steps", "gae_lambda"],
        ),
        (["algo_kwargs.sac.clip_range=0.2"], ["SAC does not accept clip_range", "buffer_size"]),
        (["algo_kwargs.ddpg.tau=1"], ["unknown algorithm", "ddpg", "ppo, sac, tqc"]),
        (["policy_kwargs.net_archh=[64]"], ["does not accept net_archh", "net_arch"]),
        (["policy_kwargs.activation_fn=swish"], ["swish", "elu"]),
        (["env_kwargs.episode_secs=1"], ["episode_secs", "valid keys", "episode_seconds"]),
        (["env_kwargs.robot=a1"], ["top-level robot"]),
        (["robot=t800"], ["t800", "a1"]),
        (["algo=dqn"], ["dqn", "ppo, sac, tqc"]),
        (["total_steps=0"], ["total_steps", ">= 1"]),
        (["seed.value=3"], ["seed is a single value"]),
        (["n_steps"], ["KEY.SUB=VALUE"]),
        (["=3"], ["KEY.SUB=VALUE"]),
        (["algo_kwargs.ppo.seed=3"], ["set by robodojo"]),
        (["residual.base=backflip"], ["residual.base", "backflip", "valid names: scripted, getup"]),
        (["residual.base=scripted", "residual.scale=0"], ["residual.scale must be a number > 0"]),
        (
            ["residual.base=scripted", "residual.scale=-0.5"],
            ["residual.scale must be a number > 0"],
        ),
        (
            ["residual.base=scripted", "residual.bias=1"],
            ["residual: unknown key(s) bias", "valid keys: base, scale"],
        ),
    ],
)
def test_config_errors_name_the_valid_choices(sets: list[str], expected: list[str]) -> None:
    with pytest.raises(ConfigError) as error:
        build_config("fall_recovery", sets=sets)
    for text in expected:
        assert text in str(error.value), f"{text!r} missing from: {error.value}"


def test_config_file_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("algo: [ppo\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        build_config("fall_recovery", bad)
    bad.write_text("scenario: juggling\n")
    with pytest.raises(ConfigError, match="unknown environment 'juggling'"):
        build_config("fall_recovery", bad)
    with pytest.raises(ConfigError, match="cannot read config"):
        build_config("fall_recovery", tmp_path / "missing.yaml")


@pytest.mark.parametrize(
    "args, expected",
    [
        (["train", "fall_recovery", "--set", "bogus=1"], "valid keys"),
        (["train", "fall_recovery", "--set", "algo_kwargs.ppo.n_stepz=2"], "n_steps"),
        (["train"], "give a SCENARIO"),
        (["train", "juggling"], "unknown environment 'juggling'"),
        (["train", "--resume", "nowhere"], "not a run folder"),
        (["train", "--resume", "nowhere", "--algo", "sac"], "only --steps may change"),
        (["train", "fall_recovery", "--steps", "0"], "must be a whole number >= 1"),
    ],
)
def test_cli_usage_errors_exit_2_in_one_line(
    args: list[str], expected: str, tmp_path: Path
) -> None:
    run = robodojo(*args, cwd=tmp_path)
    assert run.returncode == 2, run.stderr
    assert expected in run.stderr and "Traceback" not in run.stderr
    if "--steps" not in args:  # argparse prints its usage block first; ours are one line
        lines = [
            line for line in run.stderr.splitlines() if not line.startswith("pybullet build time")
        ]  # pybullet's C banner
        assert len(lines) == 1, run.stderr
    assert not (tmp_path / "runs").exists()


def test_missing_train_extra_says_how_to_install(tmp_path: Path) -> None:
    code = (
        "import sys; sys.modules['stable_baselines3'] = None; from robodojo.cli.main import main; "
        "sys.exit(main(['train', 'fall_recovery']))"
    )
    run = subprocess.run(
        [sys.executable, "-c", code],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert run.returncode == 2
    assert run.stderr.strip().splitlines() == [
        "robodojo train: error: training needs stable-baselines3 (not installed): "
        "pip install 'robodojo[train]'"
    ]


def test_train_cli_imports_no_heavy_modules() -> None:
    """The training stack loads when `train` runs, not when the CLI starts (importing robodojo
    registers the envs, so the physics does load)."""
    code = (
        "import sys, robodojo.cli.train, robodojo.cli.main; heavy = {'torch', 'stable_baselines3', "
        "'yaml', 'tqdm', 'matplotlib', 'onnxruntime', 'cyclonedds'} & set(sys.modules); "
        "assert not heavy, heavy"
    )
    run = subprocess.run(
        [sys.executable, "-c", code], check=False, capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 0, run.stderr


# -- checkpoint files ------------------------------------------------------------------


def test_half_written_folders_are_never_picked(tmp_path: Path) -> None:
    complete = tmp_path / "checkpoints" / "step_100"
    ckpt.write_dir_atomically(
        complete, lambda d: [(d / "model.zip").write_text("m"), (d / "state.json").write_text("{}")]
    )

    def crash(folder: Path) -> None:
        (folder / "model.zip").write_text("half")
        raise RuntimeError("killed mid-write")

    with pytest.raises(RuntimeError):
        ckpt.write_dir_atomically(tmp_path / "checkpoints" / "step_200", crash)
    (tmp_path / "checkpoints" / "step_300").mkdir()  # no state.json: not a checkpoint
    (tmp_path / "checkpoints" / "step_300" / "model.zip").write_text("m")
    assert ckpt.latest_checkpoint(tmp_path) == complete
    assert ckpt.clean_tmp(tmp_path) == [f".step_200.tmp-{os.getpid()}"]
    assert sorted(p.name for p in (tmp_path / "checkpoints").iterdir()) == ["step_100", "step_300"]


def test_curriculum_levels_are_logged_to_tensorboard(tmp_path: Path) -> None:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    from robodojo.training.train import train

    curriculum = {"levels": [0.0, 0.2, 0.4], "start_level": 2, "top_level_random": False}
    config = tiny(
        scenario="locomotion",
        total_steps=768,
        checkpoint_every=768,
        eval_every=768,
        curriculum=curriculum,
    )
    run_dir = train(config, tmp_path, quiet=True)
    accumulator = EventAccumulator(str(run_dir / "tb"))
    accumulator.Reload()
    logged = {
        tag: [(e.step, e.value) for e in accumulator.Scalars(tag)]
        for tag in accumulator.Tags()["scalars"]
        if tag.startswith("curriculum/")
    }
    assert sorted(logged) == [
        "curriculum/difficulty_mean",
        "curriculum/level_max",
        "curriculum/level_mean",
    ]
    assert [step for step, _ in logged["curriculum/level_mean"]] == [
        256,
        512,
        768,
    ]  # once per rollout
    for (_, level), (_, difficulty) in zip(
        logged["curriculum/level_mean"], logged["curriculum/difficulty_mean"], strict=True
    ):
        assert level in (0, 1, 2) and difficulty == pytest.approx(curriculum["levels"][int(level)])


# -- PPO smoke run ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def ppo_run(tmp_path_factory) -> tuple[Path, str]:
    from robodojo.training.train import train

    log = io.StringIO()
    config = tiny(
        n_envs=2, total_steps=2048, checkpoint_every=512, eval_every=1024
    )  # rollout: 256 x 2 = 512 steps
    run_dir = train(
        config, tmp_path_factory.mktemp("ppo"), quiet=False, stream=log, command=["pytest", "ppo"]
    )
    return run_dir, log.getvalue()


def test_ppo_run_folder_has_every_file(ppo_run: tuple[Path, str]) -> None:
    run_dir, log = ppo_run
    assert re.fullmatch(r"fall_recovery_a1_ppo_\d{8}-\d{6}", run_dir.name)
    config = yaml.safe_load((run_dir / "config.yaml").read_text())
    assert config == tiny(n_envs=2, total_steps=2048, checkpoint_every=512, eval_every=1024)

    manifest = strict_json(run_dir / "manifest.json")
    assert manifest["packages"]["stable-baselines3"] and manifest["packages"]["torch"].startswith(
        "2."
    )
    assert manifest["seeds"]["worker_seeds"] == [0, 1] and manifest["seeds"][
        "final_eval_seeds"
    ] == [0, 2]
    assert (
        manifest["physics"]["control_dt"] == pytest.approx(0.02)
        and manifest["physics"]["substeps"] == 5
    )
    assert manifest["physics"]["solver_iterations"] >= 1
    assert manifest["command"] == ["pytest", "ppo"] and manifest["host"]["cpu_count"] >= 1
    assert (
        manifest["vec_env"] == "SubprocVecEnv"
        and manifest["resumes"] == []
        and "finished" in manifest
    )
    assert manifest["git"] is None or re.fullmatch(r"[0-9a-f]{40}", manifest["git"]["commit"])

    tags = scalars(run_dir / "tb")
    assert tags["eval/success_rate"] == [1024, 2048]
    assert max(tags["train/value_loss"]) >= 1536 and "rollout/ep_rew_mean" in tags
    assert not [
        tag for tag in tags if tag.startswith("curriculum/")
    ]  # fall recovery has no terrain curriculum

    assert step_dirs(run_dir) == [512, 1024, 1536, 2048]
    for step in step_dirs(run_dir):
        folder = run_dir / "checkpoints" / f"step_{step}"
        assert sorted(p.name for p in folder.iterdir()) == [
            "model.zip",
            "state.json",
            "vecnormalize.pkl",
        ]
        state = strict_json(folder / "state.json")
        assert state["num_timesteps"] == step and state["wall_time"] > 0
        assert [e["step"] for e in state["evaluations"]] == [s for s in (1024, 2048) if s <= step]
    assert not list(run_dir.rglob(".*tmp-*"))

    evaluations = strict_json(run_dir / "evaluations.json")
    assert [e["step"] for e in evaluations] == [1024, 2048]
    for record in evaluations:
        low, high = record["success_ci95"]
        assert record["episodes"] == 2 and record["seeds"] == [1_000_000, 1_000_001]
        assert (
            0 <= low <= record["success_rate"]
            and record["success_rate"] <= high <= 1
            and np.isfinite(record["return_mean"])
        )
        assert {"stood", "energy", "peak_torque"} <= set(record["metrics"])

    for folder in ("best", "final"):
        assert {"model.zip", "vecnormalize.pkl", "meta.json"} <= {
            p.name for p in (run_dir / folder).iterdir()
        }
    best = strict_json(run_dir / "best" / "meta.json")["evaluation"]
    assert best["step"] in (1024, 2048) and best in evaluations
    assert strict_json(run_dir / "final" / "meta.json")["num_timesteps"] == 2048

    card = strict_json(run_dir / "card.json")
    final = card["final_evaluation"]
    assert (
        card["algo"] == "ppo"
        and card["robot"] == "a1"
        and card["seed"] == 0
        and card["config"] == config
    )
    assert final["episodes"] == 3 and final["seeds"] == [0, 2]
    assert final["success_ci95"][0] <= final["success_rate"] <= final["success_ci95"][1]
    assert np.isfinite(final["return_mean"]) and {"stood", "energy", "time_to_stand"} <= set(
        final["metrics"]
    )
    assert (
        card["training"]["steps"] == 2048
        and card["training"]["wall_time"] > 0
        and card["training"]["sessions"] == 1
    )
    markdown = (run_dir / "card.md").read_text()
    assert (
        "Wilson 95% CI" in markdown
        and "(learning_curve.png)" in markdown
        and "2,048 steps" in markdown
    )
    # which episodes the success figures come from, and what steps/s counts
    assert final["difficulty"] is None and final["env_kwargs"] == {"episode_seconds": 1}
    assert "3 episodes, seeds 0-2, no difficulty setting, deterministic actions" in markdown
    assert "(2 episodes, seeds 1000000-1000001, no difficulty setting)" in markdown
    assert card["training"]["steps_per_second_definition"] in " ".join(markdown.split())
    # the progress bar's last steps/s is the card's (same steps, nearly the same wall time)
    bar_rate = float(re.findall(r"([\d,]+) steps/s", log)[-1].replace(",", ""))
    assert bar_rate == pytest.approx(card["training"]["steps_per_second"], rel=0.25), log

    assert (run_dir / "learning_curve.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    video = (run_dir / "eval.mp4").read_bytes()
    assert video[4:8] == b"ftyp" and len(video) > 1000
    assert card["video"] == "eval.mp4"

    # The progress lines (not a TTY here): steps, rate, ETA and the latest evaluation.
    assert re.search(
        r"2,048/2,048 steps \(100%\)\s+[\d,]+ steps/s\s+ETA \S+\s+eval success \d+%", log
    ), log
    assert "eval @ 1,024 steps: success" in log and "run folder:" in log


def test_progress_bar_rate_is_the_average_since_training_started() -> None:
    """On a terminal tqdm showed a moving average of its updates, which come only while the envs
    step: the rollout speed, above the card's steps/s (which counts updates and evaluations too).
    It now shows the average since training started, the card's definition."""
    from robodojo.training.callbacks import TrainingProgress

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    progress = TrainingProgress(10_000, 0, "ppo test", stream=Terminal())
    progress.restart(time.perf_counter() - 10.0)  # training started 10 s ago
    progress.update(1000)
    bar = progress._bar
    assert bar is not None and bar.smoothing == 0
    shown = bar.format_dict
    assert shown["rate"] is None and shown["elapsed"] == pytest.approx(10.0, abs=1.0)
    assert progress.rate() == pytest.approx(100.0, rel=0.1)
    progress.close()


def test_saved_policy_normalises_like_vecnormalize_and_replays_the_card(
    ppo_run: tuple[Path, str],
) -> None:
    from stable_baselines3 import PPO

    from robodojo.training.callbacks import evaluate_model

    run_dir, _ = ppo_run
    with open(run_dir / "final" / "vecnormalize.pkl", "rb") as handle:
        vecnormalize = pickle.load(handle)
    assert vecnormalize.obs_rms.count > 2048  # statistics were gathered (and saved) during training
    model = PPO.load(run_dir / "final" / "model.zip", device="cpu")
    policy = load_policy(run_dir / "final")
    observations = np.random.default_rng(0).normal(0, 5, size=(64, 42)).astype(np.float32)
    for observation in observations:
        expected = vecnormalize.normalize_obs(observation)
        assert np.array_equal(policy.normalize(observation), expected)
        assert np.array_equal(policy(observation), model.predict(expected, deterministic=True)[0])
    assert not np.array_equal(
        SB3Policy(model)(observations[0]), policy(observations[0])
    )  # normalising matters

    # The saved final model + statistics reproduce the card's evaluation exactly (fixed seeds,
    # deterministic).
    card = strict_json(run_dir / "card.json")
    config = card["config"]
    result = evaluate_model(
        model, vecnormalize, config, config["final_eval_episodes"], config["final_eval_seed"]
    )
    assert result.summary()["return_mean"] == pytest.approx(
        card["final_evaluation"]["return_mean"], rel=1e-9
    )
    assert result.successes == card["final_evaluation"]["successes"]


# -- residual smoke run ------------------------------------------------------------------


@pytest.fixture(scope="module")
def residual_run(tmp_path_factory) -> Path:
    """A tiny residual PPO run through the `robodojo train` CLI; 4-s episodes so that standing up is
    possible."""
    from robodojo.cli.main import main

    out = tmp_path_factory.mktemp("residual")
    config = out / "tiny.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                **TINY,
                "env_kwargs": {"episode_seconds": 4},
                "total_steps": 256,
                "eval_every": 256,
                "video_episodes": 1,
                "algo_kwargs": {"ppo": {"n_steps": 128, "batch_size": 128, "n_epochs": 1}},
            }
        )
    )
    args = [
        "train",
        "fall_recovery",
        "--config",
        str(config),
        "--set",
        "residual.base=scripted",
        "--set",
        "residual.scale=0.5",
        "--out",
        str(out / "runs"),
        "-q",
    ]
    assert main(args) == 0
    (run_dir,) = (out / "runs").iterdir()
    return run_dir


def test_residual_run_evaluates_the_composed_policy(residual_run: Path) -> None:
    from stable_baselines3 import PPO

    from robodojo.evaluation.evaluate import evaluate
    from robodojo.policies import make_controller
    from robodojo.policies.residual import ResidualPolicy

    run_dir = residual_run
    config = yaml.safe_load((run_dir / "config.yaml").read_text())
    assert config["residual"] == {"base": "scripted", "scale": 0.5}
    assert strict_json(run_dir / "manifest.json")["residual"]["controller"] == "getup"
    assert strict_json(run_dir / "final" / "meta.json")["residual"] == config["residual"]
    card = strict_json(run_dir / "card.json")
    assert card["residual"]["controller"] == "getup" and card["residual"]["scale"] == 0.5
    assert card["residual"]["description"] == "residual on the scripted controller getup, scale 0.5"
    assert (
        "Residual policy on the scripted `getup` controller, scale 0.5"
        in (run_dir / "card.md").read_text()
    )
    assert (run_dir / "eval.mp4").is_file() and strict_json(run_dir / "evaluations.json")[0][
        "success_rate"
    ] > 0

    model = PPO.load(run_dir / "final" / "model.zip", device="cpu")
    assert model.observation_space.shape == (42 + 12,)  # the network saw [observation, base action]
    with open(run_dir / "final" / "vecnormalize.pkl", "rb") as handle:
        vecnormalize = pickle.load(handle)
    final = card["final_evaluation"]
    assert final["episodes"] == 3 and final["success_rate"] > 0

    def composed(env, seed):
        base = make_controller("scripted", env.spec.id, "a1", env.unwrapped.control_dt)
        return ResidualPolicy(SB3Policy(model, vecnormalize), base, 0.5)

    # The card is exactly the composed policy on the plain env: rebuilt independently, it replays
    # the numbers.
    kwargs = {"robot": "a1", "env_kwargs": config["env_kwargs"]}
    replay = evaluate(
        "fall_recovery", "replay", 3, config["final_eval_seed"], policy_factory=composed, **kwargs
    )
    assert replay.successes == final["successes"]
    assert replay.summary()["return_mean"] == pytest.approx(final["return_mean"], rel=1e-9)
    scripted = evaluate("fall_recovery", "scripted", 3, config["final_eval_seed"], **kwargs)
    assert (
        scripted.summary()["return_mean"] != final["return_mean"]
    )  # the network's correction was in the loop
    # A fresh plain network of the same size outputs about 0 (the home pose), which sometimes stands
    # up by
    # itself; the composed policy stands up from more of these starts.
    import gymnasium

    plain = PPO(
        "MlpPolicy",
        gymnasium.make("robodojo/FallRecovery-v0", **config["env_kwargs"]),
        seed=0,
        device="cpu",
        **model_kwargs(config),
    )
    alone = evaluate(
        "fall_recovery",
        "plain",
        3,
        config["final_eval_seed"],
        policy_factory=lambda env, seed: SB3Policy(plain),
        **kwargs,
    )
    print(
        f"success on seeds 0-2: residual run {final['successes']}/3, "
        f"fresh plain network {alone.successes}/3"
    )
    assert alone.successes < final["successes"]


# -- off-policy smoke run and resume ------------------------------------------------------


def test_sac_run_and_resume_keep_the_replay_buffer(tmp_path: Path) -> None:
    from stable_baselines3 import SAC

    from robodojo.training.train import resume, train

    config = tiny(
        algo="sac", total_steps=1000, checkpoint_every=500, eval_every=500, video_episodes=0
    )
    run_dir = train(config, tmp_path, quiet=True)
    assert step_dirs(run_dir) == [500, 1000]
    assert not (
        run_dir / "checkpoints" / "step_500" / "replay_buffer.pkl"
    ).exists()  # only the newest keeps one
    assert (run_dir / "checkpoints" / "step_1000" / "replay_buffer.pkl").is_file()
    assert not (run_dir / "final" / "vecnormalize.pkl").exists() or config["normalize_observations"]
    assert strict_json(run_dir / "card.json")["training"]["steps"] == 1000
    assert (
        not (run_dir / "eval.mp4").exists() and strict_json(run_dir / "card.json")["video"] is None
    )

    with pytest.raises(ConfigError, match="already finished at 1000 steps"):
        resume(run_dir)
    resume(run_dir, total_steps=1500, quiet=True)
    manifest = strict_json(run_dir / "manifest.json")
    assert [
        (r["from_checkpoint"], r["from_step"], r["total_steps"]) for r in manifest["resumes"]
    ] == [("step_1000", 1000, 1500)]
    assert yaml.safe_load((run_dir / "config.yaml").read_text())["total_steps"] == 1500
    assert step_dirs(run_dir) == [500, 1000, 1500]
    model = SAC.load(run_dir / "checkpoints" / "step_1500" / "model.zip", device="cpu")
    ckpt.load_replay_buffer(model, run_dir / "checkpoints" / "step_1500" / "replay_buffer.pkl")
    # 1000 transitions carried over from the first session + 500 new ones (a fresh buffer would hold
    # 500).
    assert model.replay_buffer.pos == 1500 and model.replay_buffer.observations.shape[0] == 10000
    assert np.abs(model.replay_buffer.observations[:1500]).sum() > 0
    assert [e["step"] for e in strict_json(run_dir / "evaluations.json")] == [500, 1000, 1500]
    assert scalars(run_dir / "tb")["eval/success_rate"] == [
        500,
        1000,
        1500,
    ]  # one curve across sessions
    card = strict_json(run_dir / "card.json")
    assert card["training"]["steps"] == 1500 and card["training"]["sessions"] == 2


# -- kill -9 and resume ------------------------------------------------------------------------


def test_resume_after_kill_9_loses_at_most_one_checkpoint_interval(tmp_path: Path) -> None:
    # PPO logs to TensorBoard after every rollout (128 x 2 = 256 steps): that is how far the killed
    # process got.
    interval, total = 768, 3072
    config_file = tmp_path / "tiny.yaml"
    ppo = {**TINY["algo_kwargs"]["ppo"], "n_steps": 128, "batch_size": 128}
    config_file.write_text(
        yaml.safe_dump(
            {
                **TINY,
                "n_envs": 2,
                "total_steps": total,
                "checkpoint_every": interval,
                "eval_every": 1536,
                "algo_kwargs": {"ppo": ppo},
            }
        )
    )
    out = tmp_path / "runs"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "robodojo.cli",
            "train",
            "fall_recovery",
            "--config",
            str(config_file),
            "--out",
            str(out),
            "-q",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 150
        while not list(out.glob("*/checkpoints/step_*")):
            assert process.poll() is None, f"training ended early: {process.stderr.read().decode()}"
            assert time.monotonic() < deadline, "no checkpoint within 150 s"
            time.sleep(0.02)
        time.sleep(0.75)  # kill somewhere past the first checkpoint: that work is lost
        assert process.poll() is None, "training finished before it could be killed; raise total"
        os.kill(process.pid, signal.SIGKILL)
        assert process.wait(timeout=30) == -signal.SIGKILL
        deadline = time.monotonic() + 20  # the orphaned env workers notice and exit by themselves
        while _group_alive(process.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _group_alive(process.pid), "env worker processes outlived the killed trainer"
    finally:
        if _group_alive(process.pid):
            os.killpg(process.pid, signal.SIGKILL)
        process.stderr.close()

    (run_dir,) = out.iterdir()
    at_kill = step_dirs(run_dir)
    assert at_kill and at_kill[0] == interval and not (run_dir / "card.json").exists()
    reached = max(
        max(steps) for steps in scalars(run_dir / "tb").values()
    )  # last step the killed process logged
    # Plant what a kill mid-write could leave: a half folder and a step folder without state.json.
    (run_dir / "checkpoints" / f".step_{total}.tmp-99999").mkdir()
    (run_dir / "checkpoints" / f"step_{10 * total}").mkdir()

    run = robodojo("train", "--resume", str(run_dir), "-q", timeout=240)
    assert run.returncode == 0, run.stderr
    resumed = strict_json(run_dir / "manifest.json")["resumes"]
    assert len(resumed) == 1 and resumed[0]["from_checkpoint"] == f"step_{at_kill[-1]}"
    assert resumed[0]["from_step"] == at_kill[-1]
    # The planted folder goes, and so does whatever the kill itself interrupted (e.g. an
    # evaluations.json
    # being replaced); nothing complete is ever removed.
    removed = resumed[0]["removed_incomplete"]
    assert f".step_{total}.tmp-99999" in removed and all(".tmp-" in name for name in removed), (
        removed
    )
    assert not list(run_dir.rglob("*.tmp-*"))
    lost = reached - resumed[0]["from_step"]
    print(
        f"kill -9: checkpoints at kill {at_kill}, last logged step {reached}, "
        f"resumed from {resumed[0]['from_step']}, lost {lost}"
    )
    assert 0 <= lost <= interval, (
        f"killed at ~{reached} steps, resumed from {resumed[0]['from_step']}"
    )
    assert [s for s in step_dirs(run_dir) if s != 10 * total] == list(
        range(interval, total + 1, interval)
    )
    card = strict_json(run_dir / "card.json")
    assert card["training"]["steps"] == total and card["training"]["sessions"] == 2
    assert (run_dir / "eval.mp4").is_file() and (run_dir / "learning_curve.png").is_file()
    steps = [e["step"] for e in strict_json(run_dir / "evaluations.json")]
    assert steps == [1536, 3072]  # no evaluation counted twice across the kill


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # Zombies still count for killpg; look for live members.
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == pgid and fields[0] != "Z":
                return True
    return False
