"""Bad input to ``robodojo train`` (hyperparameters, corrupt checkpoints): one line on stderr
naming the argument, the value and what is allowed, exit status 2, no traceback, and nothing
left behind (no half-made run folder, no rewritten config or manifest).

Needs the ``train`` extra. The resume tests share one tiny PPO run (768 steps, a checkpoint every
256); each works on its own copy.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from robodojo.training import checkpoints as ckpt
from robodojo.training.config import (
    ALGO_RULES,
    POLICY_RULES,
    RESERVED_ALGO_KWARGS,
    RESERVED_POLICY_KWARGS,
    ConfigError,
    algo_class,
    build_config,
    resolve,
)


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[str]]:
    """``robodojo ARGS`` in this process: (exit status, stderr lines without pybullet's banner)."""
    from robodojo.cli.main import main

    status = main(list(args))
    err = capsys.readouterr().err
    return status, [
        line for line in err.splitlines() if line and not line.startswith("pybullet build time")
    ]


def assert_one_line_error(status: int, lines: list[str], *named: str) -> None:
    assert status == 2, lines
    assert len(lines) == 1, lines
    assert "Traceback" not in lines[0]
    for text in named:
        assert text in lines[0], f"{text!r} missing from: {lines[0]}"


# -- hyperparameters: declared type and range ---------------------------------------------


@pytest.mark.parametrize(
    "setting, named",
    [
        ("algo_kwargs.ppo.learning_rate=banana", "'banana'"),
        ("algo_kwargs.ppo.n_steps=banana", "'banana'"),
        ("policy_kwargs.net_arch=banana", "'banana'"),
    ],
)
def test_bad_hyperparameter_on_the_command_line_is_one_line(
    setting: str, named: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    monkeypatch.chdir(tmp_path)
    status, lines = cli(capsys, "train", "fall_recovery", "--set", setting, "-q")
    key = setting.split("=", maxsplit=1)[0]
    assert_one_line_error(status, lines, "robodojo train: error:", key, named, "must be")
    assert not (tmp_path / "runs").exists()


def test_bad_hyperparameter_through_the_real_entry_point(tmp_path: Path) -> None:
    run = subprocess.run(
        [
            *(sys.executable, "-m", "robodojo.cli", "train", "fall_recovery"),
            *("--set", "algo_kwargs.ppo.learning_rate=banana"),
        ],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    lines = [line for line in run.stderr.splitlines() if not line.startswith("pybullet build")]
    assert run.returncode == 2 and lines == [
        "robodojo train: error: algo_kwargs.ppo.learning_rate must be a finite number > 0, "
        "got 'banana'"
    ]
    assert not list(tmp_path.iterdir())


_BAD = {
    "ppo": [
        *(f"learning_rate={v}" for v in ("banana", "-1", "0", ".nan", ".inf", "nan", "[1]")),
        *(f"n_steps={v}" for v in ("banana", "0", "-5", "1.5", ".nan", "true")),
        "batch_size=0",
        "batch_size=1",  # advantage normalisation needs 2
        "n_epochs=0",
        *(f"gamma={v}" for v in ("1.5", "-0.1", ".nan")),
        "gae_lambda=2",
        *(f"clip_range={v}" for v in ("0", "-0.2", ".inf")),
        "clip_range_vf=0",
        *(f"ent_coef={v}" for v in ("-1", ".nan", "auto")),
        "vf_coef=-1",
        "max_grad_norm=0",
        "target_kl=0",
        "normalize_advantage=yes please",
        "sde_sample_freq=-2",
        "rollout_buffer_kwargs={gamma: 0.5}",
        *(
            f"policy_kwargs.{v}"
            for v in (
                "net_arch=[64, 0]",
                "net_arch=[64, -1]",
                "net_arch=[.nan]",
                "net_arch={pi: [64]}",
                "net_arch={pi: [64], qf: [64]}",
                "log_std_init=.nan",
                "log_std_init=.inf",
                "ortho_init=maybe",
                "optimizer_kwargs={eps: 0}",
                "optimizer_kwargs={lr: 0.1}",
                "use_sde=true",
            )
        ),
    ],
    "sac": [
        *(f"learning_rate={v}" for v in ("banana", "-1", "0", ".nan", ".inf")),
        *(f"buffer_size={v}" for v in ("0", "-1", "banana", "1e9.5")),
        "learning_starts=-1",
        "batch_size=0",
        *(f"tau={v}" for v in ("0", "2", ".nan")),
        "gamma=2",
        *(f"train_freq={v}" for v in ("0", "banana", "[1, minute]", "[0, step]")),
        *(f"gradient_steps={v}" for v in ("0", "-2")),
        *(f"ent_coef={v}" for v in ("-0.1", "auto_0", "auto_x", "banana", ".nan")),
        *(f"target_entropy={v}" for v in ("banana", ".inf")),
        "n_steps=0",
        "target_update_interval=0",
        "action_noise=normal",
        *(
            f"policy_kwargs.{v}"
            for v in (
                "net_arch=[64, banana]",
                "net_arch=[0]",
                "n_critics=0",
                "clip_mean=0",
                "log_std_init=.nan",
            )
        ),
    ],
}


@pytest.mark.parametrize(
    "algo, setting", [(algo, setting) for algo, settings in _BAD.items() for setting in settings]
)
def test_every_exposed_hyperparameter_is_checked_by_type_and_range(algo: str, setting: str) -> None:
    path = f"algo_kwargs.{algo}.{setting.split('=', maxsplit=1)[0]}"
    with pytest.raises(ConfigError) as error:
        build_config("fall_recovery", sets=[f"algo_kwargs.{algo}.{setting}"], algo=algo)
    message = str(error.value)
    assert "\n" not in message
    assert path.rsplit(".", 1)[0] in message, message  # names the argument ...
    assert "must be" in message or "unknown key" in message, message  # ... and what is allowed


@pytest.mark.parametrize(
    "sets, algo, expected",
    [
        (["n_envs=1", "algo_kwargs.ppo.n_steps=1"], "ppo", "n_steps x n_envs must be >= 2"),
        (["n_envs=2", "algo_kwargs.sac.train_freq=[1, episode]"], "sac", "needs n_envs 1"),
        (["algo_kwargs.sac.optimize_memory_usage=true"], "sac", "handle_timeout_termination"),
        (["algo_kwargs.tqc.top_quantiles_to_drop_per_net=25"], "tqc", "below n_quantiles (25)"),
    ],
)
def test_hyperparameters_that_only_fail_together(sets: list[str], algo: str, expected: str) -> None:
    with pytest.raises(ConfigError, match=expected.replace("(", r"\(").replace(")", r"\)")):
        build_config("fall_recovery", sets=sets, algo=algo)


def test_good_values_pass_and_are_normalised() -> None:
    config = build_config(
        "fall_recovery",
        sets=[
            "algo_kwargs.sac.buffer_size=1e5",
            "algo_kwargs.sac.train_freq=[4, step]",
            "algo_kwargs.sac.ent_coef=auto_0.1",
            "algo_kwargs.sac.policy_kwargs.net_arch={pi: [64.0], qf: [32]}",
        ],
        algo="sac",
    )
    sac = config["algo_kwargs"]["sac"]
    assert sac["buffer_size"] == 100_000 and isinstance(sac["buffer_size"], int)
    assert sac["train_freq"] == [4, "step"] and sac["ent_coef"] == "auto_0.1"
    assert sac["policy_kwargs"]["net_arch"] == {"pi": [64], "qf": [32]}
    for scenario in ("fall_recovery", "locomotion", "rescue", "transport", "weld"):
        for algo in ("ppo", "sac", "tqc"):
            build_config(scenario, algo=algo)  # every shipped default passes


def test_every_sb3_argument_has_a_rule() -> None:
    """A Stable-Baselines3 upgrade that adds an argument fails here until it has a rule."""
    for algo in ALGO_RULES:
        cls = algo_class(algo)
        accepted = set(inspect_parameters(cls.__init__)) - RESERVED_ALGO_KWARGS - {"policy_kwargs"}
        assert accepted == set(ALGO_RULES[algo]), algo
        policy = set(inspect_parameters(cls.policy_aliases["MlpPolicy"].__init__))
        assert policy - RESERVED_POLICY_KWARGS == set(POLICY_RULES[algo]), algo


def inspect_parameters(function) -> list[str]:
    import inspect

    return list(inspect.signature(function).parameters)


@pytest.mark.parametrize(
    ("setting", "named"),
    [
        ("env_kwargs.episode_seconds=-1", "episode_seconds must be a number in (0, 3600] s"),
        ("env_kwargs.episode_seconds=banana", "episode_seconds must be a number"),
        ("env_kwargs.hold_seconds=[1]", "hold_seconds must be a number"),
        ("env_kwargs.reward_weights={upright: nan}", "upright"),
    ],
)
def test_env_argument_values_are_checked_as_the_env_declares_them(setting: str, named: str) -> None:
    """Env values are the envs layer's to check (robodojo.envs.check_env_arguments, from the
    class's ARGUMENTS); config validation calls it from one place, without building an env."""
    from robodojo.training import config as config_module

    build_config("fall_recovery", sets=["env_kwargs.episode_seconds=2"])
    with pytest.raises(ConfigError, match=re.escape(named)):
        build_config("fall_recovery", sets=[setting])
    source = Path(config_module.__file__).read_text()
    assert source.count("check_env_arguments(env_id, env_kwargs)") == 1


TINY = {
    "scenario": "fall_recovery",
    "residual": None,
    "env_kwargs": {"episode_seconds": 1},
    "n_envs": 1,
    "total_steps": 768,
    "checkpoint_every": 256,
    "eval_every": 0,
    "eval_episodes": 1,
    "final_eval_episodes": 1,
    "video_episodes": 0,
    "algo_kwargs": {"ppo": {"n_steps": 256, "batch_size": 256, "n_epochs": 1}},
}


def test_a_run_that_cannot_start_leaves_no_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    """Anything that stops a run after its folder exists but before it trained removes the folder;
    an env argument the env rejects fails before there is one."""
    import stable_baselines3.common.logger

    from robodojo.training.train import train

    def broken(*args, **kwargs):
        raise RuntimeError("no space left on device")

    monkeypatch.setattr(stable_baselines3.common.logger, "configure", broken)
    with pytest.raises(ConfigError, match="the run cannot start: RuntimeError: no space left"):
        train(resolve(TINY), tmp_path / "runs", quiet=True)
    assert list((tmp_path / "runs").iterdir()) == []
    monkeypatch.undo()

    existing = tmp_path / "runs" / "mine"
    existing.mkdir()
    with pytest.raises(ConfigError, match="episode_seconds must be"):
        train(resolve({**TINY, "env_kwargs": {"episode_seconds": -1}}), tmp_path / "runs")
    monkeypatch.chdir(tmp_path)
    capsys.readouterr()
    status, lines = cli(capsys, "train", "fall_recovery", "--set", "env_kwargs.episode_seconds=-1")
    assert_one_line_error(status, lines, "episode_seconds must be")
    assert [p.name for p in (tmp_path / "runs").iterdir()] == ["mine"]  # never an existing one


# -- resume: a corrupt checkpoint is skipped -----------------------------------------------


@pytest.fixture(scope="module")
def base_run(tmp_path_factory) -> Path:
    from robodojo.training.train import train

    run_dir = train(
        resolve(TINY), tmp_path_factory.mktemp("base"), quiet=True, run_name="run", stream=None
    )
    assert sorted(p.name for p in (run_dir / "checkpoints").iterdir()) == [
        "step_256",
        "step_512",
        "step_768",
    ]
    return run_dir


def copy_run(base_run: Path, tmp_path: Path) -> Path:
    run_dir = tmp_path / "run"
    shutil.copytree(base_run, run_dir)
    return run_dir


def truncate(path: Path) -> None:
    os.truncate(path, path.stat().st_size // 2)


def snapshot(folder: Path) -> dict[str, str]:
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


FILES = ("model.zip", "state.json", "vecnormalize.pkl")


@pytest.mark.parametrize("name", FILES)
def test_verify_names_the_truncated_file(name: str, base_run: Path, tmp_path: Path) -> None:
    run_dir = copy_run(base_run, tmp_path)
    truncate(run_dir / "checkpoints" / "step_768" / name)
    found, corrupt = ckpt.resume_point(run_dir, normalizer=True, replay=False)
    assert found is not None and found.folder.name == "step_512" and found.step == 512
    assert [(c.folder.name, c.file) for c in corrupt] == [("step_768", name)]
    assert "\n" not in str(corrupt[0]) and str(corrupt[0]).startswith(
        f"checkpoint {run_dir / 'checkpoints' / 'step_768'} is corrupt ({name}: "
    )


@pytest.mark.parametrize("name", FILES)
def test_resume_skips_a_corrupt_checkpoint(
    name: str, base_run: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    run_dir = copy_run(base_run, tmp_path)
    (run_dir / "card.json").unlink()  # as if killed after the last checkpoint
    truncate(run_dir / "checkpoints" / "step_768" / name)
    monkeypatch.chdir(tmp_path)
    status, lines = cli(capsys, "train", "--resume", "run", "-q")
    assert status == 0, lines
    assert lines[0].startswith(f"checkpoint run/checkpoints/step_768 is corrupt ({name}: ")
    assert lines[0].endswith("): skipped") and lines[1] == "resuming run from checkpoint step_512"
    resumed = json.loads((run_dir / "manifest.json").read_text())["resumes"]
    assert [(r["from_checkpoint"], r["from_step"]) for r in resumed] == [("step_512", 512)]
    assert resumed[0]["skipped_corrupt"][0].startswith(f"step_768 ({name}: ")
    assert json.loads((run_dir / "card.json").read_text())["training"]["steps"] == 768


def test_resume_with_no_complete_checkpoint_changes_nothing(
    base_run: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    run_dir = copy_run(base_run, tmp_path)
    for step, name in zip((256, 512, 768), FILES, strict=True):
        truncate(run_dir / "checkpoints" / f"step_{step}" / name)
    (run_dir / "checkpoints" / f".step_1024{ckpt._TMP_MARK}1").mkdir()  # a killed write
    before = snapshot(run_dir)
    monkeypatch.chdir(tmp_path)
    status, lines = cli(capsys, "train", "--resume", "run", "--steps", "2048")
    assert_one_line_error(
        status, lines, "cannot resume run: no checkpoint is complete", "step_768: vecnormalize.pkl"
    )
    assert "step_512: state.json: JSONDecodeError" in lines[0]
    assert "step_256: model.zip: BadZipFile" in lines[0]
    assert snapshot(run_dir) == before  # config.yaml (total_steps) and manifest.json included
    assert (run_dir / "checkpoints" / f".step_1024{ckpt._TMP_MARK}1").is_dir()


def test_a_refused_resume_changes_nothing(
    base_run: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    run_dir = copy_run(base_run, tmp_path)
    before = snapshot(run_dir)
    monkeypatch.chdir(tmp_path)
    status, lines = cli(capsys, "train", "--resume", "run", "--steps", "100")
    assert_one_line_error(status, lines, "--steps 100 is below the 768 steps")
    status, lines = cli(capsys, "train", "--resume", "run")
    assert_one_line_error(status, lines, "already finished at 768 steps")
    assert snapshot(run_dir) == before
