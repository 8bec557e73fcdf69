"""Export: a trained run → policy.onnx + policy.json; eval runs it with onnxruntime alone.

Tiny PPO and SAC runs (a few hundred steps on 1-s episodes, VecNormalize on)
are saved in the `robodojo train` run-folder layout with SB3 directly, then
exported; so is a real `robodojo train` residual run (a network on top of the
scripted get-up). The ONNX must reproduce the SB3 policy (normalisation
included) on 1,000 observations recorded from env rollouts (from ResidualEnv
for the residual, whose loaded policy must also compose like the SB3 one);
`robodojo eval --policy` must run it in a process where torch cannot be
imported and nothing is unpickled; tampered files, other robots, unknown
residual bases and failed exports are refused.
"""

from __future__ import annotations

import ast
import hashlib
import io
import json
import pickle
import shutil
import subprocess
import sys
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("stable_baselines3")
pytest.importorskip("onnxscript")
pytest.importorskip("onnxruntime")
yaml = pytest.importorskip("yaml")

from stable_baselines3 import PPO, SAC  # noqa: E402
from stable_baselines3.common.vec_env import DummyVecEnv, VecNormalize  # noqa: E402

from robodojo.policies import make_policy, pretrained  # noqa: E402
from robodojo.policies.onnx_policy import OnnxPolicy  # noqa: E402
from robodojo.policies.spec import FORMAT, PolicySpecError, read_spec  # noqa: E402
from robodojo.training import export  # noqa: E402
from robodojo.training.sb3_policy import SB3Policy  # noqa: E402

ENV_ID = "robodojo/FallRecovery-v0"
ENV_KWARGS = {"episode_seconds": 1}
REPO = Path(__file__).resolve().parents[1]
TOLERANCE = 1e-5


def make_run(root: Path, algo: str, steps: int) -> Path:
    """A run folder as `robodojo train` lays it out: config.yaml, manifest.json, card.json, best/,
    final/."""
    torch.set_num_threads(1)
    venv = DummyVecEnv([lambda: gym.make(ENV_ID, robot="a1", **ENV_KWARGS)])
    venv.seed(0)
    # clip_obs=5 so that clipping, not just scaling, is part of what the ONNX must reproduce
    venv = VecNormalize(venv, norm_obs=True, norm_reward=True, clip_obs=5.0)
    if algo == "ppo":
        model = PPO("MlpPolicy", venv, n_steps=128, batch_size=64, n_epochs=2, seed=0, device="cpu")
    elif algo == "sac":
        model = SAC(
            "MlpPolicy",
            venv,
            learning_starts=100,
            batch_size=64,
            seed=0,
            device="cpu",
            policy_kwargs={"net_arch": [64, 64]},
        )
    else:
        from sb3_contrib import TQC

        model = TQC(
            "MlpPolicy",
            venv,
            seed=0,
            device="cpu",
            policy_kwargs={"net_arch": [32, 32], "n_critics": 1},
        )
    if steps:
        model.learn(steps)
    else:  # untrained: give it statistics far from identity so normalisation matters
        rng = np.random.default_rng(0)
        venv.obs_rms.mean = rng.normal(0.0, 0.5, 42)
        venv.obs_rms.var = rng.uniform(0.01, 4.0, 42)
    run = root / f"{algo}-run"
    for checkpoint in ("best", "final"):
        (run / checkpoint).mkdir(parents=True)
        model.save(run / checkpoint / "model.zip")
        venv.save(str(run / checkpoint / "vecnormalize.pkl"))
    venv.close()
    config = {
        "scenario": "fall_recovery",
        "robot": "a1",
        "env_kwargs": ENV_KWARGS,
        "algo": algo,
        "total_steps": steps,
        "n_envs": 1,
        "seed": 0,
        "normalize_observations": True,
        "normalize_rewards": True,
    }
    (run / "config.yaml").write_text(yaml.safe_dump(config))
    (run / "manifest.json").write_text(
        json.dumps(
            {
                "env_id": ENV_ID,
                "git": {"commit": "0123abc", "dirty": False},
                "packages": {"torch": torch.__version__},
            }
        )
    )
    card = {
        "model": "final/model.zip",
        "algo": algo,
        "final_evaluation": {"episodes": 20, "success_rate": 0.25, "success_ci95": [0.11, 0.47]},
        "best_periodic_evaluation": {
            "step": steps,
            "episodes": 5,
            "success_rate": 0.4,
            "return_mean": -3.0,
        },
    }
    (run / "card.json").write_text(json.dumps(card))
    return run


RESIDUAL = {"base": "scripted", "scale": 0.5}


def make_residual_run(root: Path) -> Path:
    """A real `robodojo train` residual run: PPO on ResidualEnv (observation + the get-up's action
    in, correction out)."""
    from robodojo.training.train import train

    config = {
        "scenario": "fall_recovery",
        "env_kwargs": ENV_KWARGS,
        "n_envs": 1,
        "total_steps": 256,
        "eval_every": 0,
        "final_eval_episodes": 1,
        "video_episodes": 0,
        "residual": RESIDUAL,
        "algo_kwargs": {"ppo": {"n_steps": 128, "batch_size": 128, "n_epochs": 1}},
    }
    return train(config, root, quiet=True, stream=io.StringIO(), run_name="residual-run")


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("runs")
    return {
        "ppo": make_run(root, "ppo", 512),
        "sac": make_run(root, "sac", 400),
        "residual": make_residual_run(root),
    }


@pytest.fixture(scope="module")
def exported(runs) -> dict[str, export.ExportResult]:
    return {algo: export.export_run(run) for algo, run in runs.items()}


def load_sb3(run: Path) -> SB3Policy:
    model, vecnormalize = export.load_model(export.load_run(run))
    return SB3Policy(model, vecnormalize)


# -- ONNX == the torch policy ------------------------------------------------------------


@pytest.mark.parametrize("algo", ["ppo", "sac"])
def test_onnx_matches_sb3_policy_on_1000_recorded_observations(algo, runs, exported) -> None:
    reference = load_sb3(runs[algo])
    # recorded independently of export's own check: another seed, acting with the reference
    observations = export.record_observations(
        ENV_ID, {"robot": "a1", **ENV_KWARGS}, 1000, seed=123, act=reference
    )
    assert observations.shape == (1000, 42) and len(np.unique(observations, axis=0)) > 900
    policy = OnnxPolicy.load(exported[algo].directory, env=None)
    expected = np.stack([reference(o) for o in observations])
    batch = policy.predict(observations)
    single = np.stack([policy(o) for o in observations])
    diff = max(np.abs(batch - expected).max(), np.abs(single - expected).max())
    print(f"{algo}: max abs diff ONNX vs SB3 on 1000 recorded observations = {diff:.3g}")
    assert diff <= TOLERANCE
    assert batch.dtype == np.float32 and np.all(batch >= -1.0) and np.all(batch <= 1.0)
    # the baked-in normalisation is doing real work: without it the actions would be far off
    raw, _ = reference.model.predict(observations, deterministic=True)
    assert np.abs(raw - expected).max() > 1e-2
    assert exported[algo].max_abs_diff <= TOLERANCE


def test_tqc_exports_too(tmp_path) -> None:
    pytest.importorskip("sb3_contrib")
    run = make_run(tmp_path, "tqc", 0)
    result = export.export_run(run, observations=200)
    assert result.spec["provenance"]["algo"] == "tqc" and result.max_abs_diff <= TOLERANCE


# -- the IO spec ---------------------------------------------------------------------------


@pytest.mark.parametrize("algo", ["ppo", "sac"])
def test_spec_describes_the_env_interface_and_provenance(algo, runs, exported, make_env) -> None:
    result = exported[algo]
    spec = read_spec(result.directory)
    env = make_env(ENV_ID, robot="a1")
    interface = env.unwrapped.interface()
    assert (
        spec["format"] == FORMAT
        and spec["env_id"] == ENV_ID
        and spec["scenario"] == "fall_recovery"
    )
    assert spec["robot"] == "a1" and spec["env_kwargs"] == ENV_KWARGS
    assert spec["observation"]["size"] == 42 and spec["observation"]["dtype"] == "float32"
    assert spec["observation"]["layout"] == interface["observation"]
    for key, value in interface["action"].items():
        assert spec["action"][key] == value, key  # joint order by name, home/limits, gains, mapping
    assert spec["action"]["low"] == [-1.0] * 12 and spec["action"]["high"] == [1.0] * 12
    assert spec["control_dt"] == interface["control_dt"] and spec["control_rate_hz"] == 50
    with open(runs[algo] / "final" / "vecnormalize.pkl", "rb") as handle:  # our own file
        vecnormalize = pickle.load(handle)
    normalization = spec["observation"]["normalization"]
    assert normalization["baked_in"] is True and normalization["clip"] == 5.0
    assert np.array_equal(normalization["mean"], vecnormalize.obs_rms.mean)
    assert np.array_equal(normalization["var"], vecnormalize.obs_rms.var)
    assert normalization["epsilon"] == vecnormalize.epsilon
    prov = spec["provenance"]
    assert (
        prov["algo"] == algo
        and prov["seed"] == 0
        and prov["git_commit"] == "0123abc"
        and prov["run"] == f"{algo}-run"
    )
    assert (
        prov["checkpoint"] == "final"
    )  # the checkpoint the run's card evaluated, so the listed numbers are its own
    assert (
        prov["card"]["success_rate"] == 0.25
        and prov["card"]["ci95"] == [0.11, 0.47]
        and prov["card"]["episodes"] == 20
    )
    assert prov["torch"] and prov["stable_baselines3"] and prov["exported_at"]
    verification = spec["verification"]
    assert (
        verification["passed"]
        and verification["observations"] == 1000
        and verification["max_abs_diff"] <= TOLERANCE
    )
    onnx_file = result.directory / "policy.onnx"
    assert spec["onnx"]["sha256"] == hashlib.sha256(onnx_file.read_bytes()).hexdigest()
    assert onnx_file.stat().st_size < 200_000  # kilobytes: the actor only, no critic
    card = (result.directory / "card.md").read_text()
    assert card.count(spec["onnx"]["sha256"]) == 1
    assert all(
        f"{name}={value!r}" in card for name, value in ENV_KWARGS.items()
    )  # the env it was trained on

    import onnx

    model = onnx.load(str(onnx_file))
    (graph_input,) = model.graph.input
    assert graph_input.name == "observation"
    batch, size = graph_input.type.tensor_type.shape.dim
    assert batch.dim_param and size.dim_value == 42  # dynamic batch axis
    metadata = {p.key: p.value for p in model.metadata_props}
    assert metadata["robodojo.robot"] == "a1"
    assert (
        json.loads(metadata["robodojo.spec"])["action"]["joints"] == interface["action"]["joints"]
    )


# -- evaluation and deployment: onnxruntime only --------------------------------------------


NO_TORCH = """
import json, pickle, sys
for name in ("torch", "stable_baselines3", "sb3_contrib", "onnx", "onnxscript", *sys.argv[2:]):
    sys.modules[name] = None  # `import name` now raises ImportError
def refuse(*args, **kwargs):
    raise AssertionError("something was unpickled")
pickle.load = pickle.loads = pickle.Unpickler = refuse
from robodojo.cli.main import main
status = main(json.loads(sys.argv[1]))
heavy = ("torch", "stable_baselines3")
loaded = sorted(m for m, mod in sys.modules.items() if mod is not None and m.split(".")[0] in heavy)
assert not loaded, loaded
print("onnxruntime imported:", sys.modules.get("onnxruntime") is not None)
sys.exit(status)
"""


def run_without_torch(args: list[str], *blocked: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", NO_TORCH, json.dumps(args), *blocked],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("name", ["ppo", "residual"])
def test_eval_runs_the_onnx_without_torch_and_without_unpickling(name, exported, tmp_path) -> None:
    directory = exported[name].directory
    for target, out in (
        (directory / "policy.onnx", tmp_path / "a.json"),
        (directory, tmp_path / "b.json"),
    ):
        run = run_without_torch(
            [
                "eval",
                "--policy",
                str(target),
                "--episodes",
                "2",
                "--env-arg",
                "episode_seconds=0.5",
                "--json",
                str(out),
                "--quiet",
            ]
        )
        assert run.returncode == 0, run.stderr
        assert "onnxruntime imported: True" in run.stdout
        data = json.loads(out.read_text())
        # env and robot came from the spec; the JSON pins the exact file that ran
        assert data["env_id"] == ENV_ID and data["robot"] == "a1" and data["seeds"] == [0, 1]
        assert all(episode["length"] == 25 for episode in data["episodes"])
        assert data["policy_source"]["sha256"] == exported[name].spec["onnx"]["sha256"]
        assert (
            data["policy_source"]["algo"] == "ppo"
        )  # the residual's base controller too was built torch-free


def test_eval_refuses_a_policy_for_another_robot(exported) -> None:
    run = run_without_torch(
        [
            "eval",
            "--env",
            "fall_recovery",
            "--robot",
            "aliengo",
            "--policy",
            str(exported["ppo"].directory),
            "--episodes",
            "1",
            "--quiet",
        ]
    )
    assert run.returncode == 2
    (error,) = [line for line in run.stderr.splitlines() if "error:" in line]
    assert "'a1'" in error and "'aliengo'" in error and "Traceback" not in run.stderr


def test_missing_onnxruntime_names_the_extra(exported) -> None:
    run = run_without_torch(
        ["eval", "--policy", str(exported["ppo"].directory), "--episodes", "1", "--quiet"],
        "onnxruntime",
    )
    assert run.returncode == 2
    assert "pip install 'robodojo[onnx]'" in run.stderr and "Traceback" not in run.stderr


def test_loading_code_imports_neither_torch_nor_pickle() -> None:
    for path in (
        REPO / "policies" / "onnx_policy.py",
        REPO / "policies" / "spec.py",
        REPO / "policies" / "pretrained" / "__init__.py",
        REPO / "cli" / "export.py",
        REPO / "training" / "export_spec.py",
        REPO / "training" / "model_card.py",
    ):
        imported = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                imported |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module:
                imported.add(node.module.split(".")[0])
        forbidden = {
            "torch",
            "pickle",
            "_pickle",
            "dill",
            "cloudpickle",
            "joblib",
            "stable_baselines3",
            "sb3_contrib",
        }
        assert not imported & forbidden, f"{path.name} imports {imported & forbidden}"


# -- residual policies ---------------------------------------------------------------------------


def test_residual_export_is_the_network_with_a_residual_block(exported, make_env) -> None:
    result = exported["residual"]
    spec = read_spec(result.directory)
    interface = make_env(ENV_ID, robot="a1").unwrapped.interface()
    assert (
        spec["residual"]["base"] == "getup" and spec["residual"]["scale"] == 0.5
    )  # "scripted" resolved
    observation = spec["observation"]
    assert (
        observation["size"] == 54
        and observation["env_size"] == 42
        and "network's input" in observation["note"]
    )
    assert observation["layout"][:-1] == interface["observation"]
    assert observation["layout"][-1] == {
        "name": "base_action",
        "size": 12,
        "unit": "1",
        "source": "the base controller's action (computed by the runtime)",
    }
    assert (
        len(observation["normalization"]["mean"]) == 54 and spec["onnx"]["output"] == "correction"
    )
    assert (
        spec["action"]["joints"] == interface["action"]["joints"]
    )  # what the robot receives, after composing
    verification = spec["verification"]
    print(
        f"residual: max abs diff ONNX vs SB3 on {verification['observations']} "
        "ResidualEnv observations = "
        f"{verification['max_abs_diff']:.3g}"
    )
    assert (
        verification["passed"]
        and verification["observations"] == 1000
        and verification["max_abs_diff"] <= TOLERANCE
    )
    assert "ResidualEnv" in verification["source"]
    assert "base_action" in (result.directory / "card.md").read_text()

    import onnx

    model = onnx.load(str(result.directory / "policy.onnx"))
    assert [d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim][1:] == [54]
    assert [o.name for o in model.graph.output] == ["correction"]


def test_residual_onnx_composes_like_the_sb3_residual(runs, exported, make_env) -> None:
    """Loaded from the export (torch-free), the policy maps the plain observation to the robot's
    action exactly
    as ResidualPolicy(SB3Policy(model, vecnormalize), base, scale) does, on a seeded rollout."""
    from robodojo.policies import load_policy
    from robodojo.policies.residual import ExportedResidualPolicy, ResidualPolicy

    env = make_env(ENV_ID, robot="a1", **ENV_KWARGS)
    model, vecnormalize = export.load_model(export.load_run(runs["residual"]))
    network, corrections = SB3Policy(model, vecnormalize), []

    def spy(
        observation: np.ndarray,
    ) -> np.ndarray:  # the reference's network, recording its corrections
        corrections.append(network(observation))
        return corrections[-1]

    spy.reset = network.reset  # type: ignore[attr-defined]
    reference = ResidualPolicy(spy, make_policy("scripted", env, ENV_ID), 0.5)
    directory = exported["residual"].directory
    candidates = [
        make_policy(str(directory), env, ENV_ID),
        load_policy(directory, env=env),
        OnnxPolicy.load(directory),
    ]
    assert all(
        isinstance(p, ExportedResidualPolicy) and isinstance(p.network, OnnxPolicy)
        for p in candidates
    )
    assert candidates[0].spec["residual"]["base"] == "getup"
    with pytest.raises(ValueError, match="takes the env's 42"):
        candidates[0](np.zeros(54, dtype=np.float32))  # it appends the base action itself
    diff = 0.0
    for seed in range(4):  # 4 episodes of 50 steps; the reference drives
        observation, _ = env.reset(seed=seed)
        for policy in (reference, *candidates):
            policy.reset()
        done = False
        while not done:
            expected = reference(observation)
            for policy in candidates:  # each has its own base controller, stepping in lockstep
                diff = max(diff, float(np.abs(policy(observation) - expected).max()))
            observation, _, terminated, truncated, _ = env.step(expected)
            done = terminated or truncated
    print(
        f"residual: composed ONNX vs composed SB3 over 4 seeded episodes, max abs diff = {diff:.3g}"
    )
    assert diff <= TOLERANCE
    assert (
        len(corrections) == 200 and np.abs(corrections).max() > 1e-3
    )  # the network's correction is really applied


def test_residual_spec_naming_an_unknown_base_is_refused(exported, tmp_path) -> None:
    from robodojo.cli.main import main

    folder = tmp_path / "residual"
    shutil.copytree(exported["residual"].directory, folder)
    spec = json.loads((folder / "policy.json").read_text())
    spec["residual"]["base"] = "backflip"
    (folder / "policy.json").write_text(json.dumps(spec))
    with pytest.raises(
        PolicySpecError,
        match=r"residual.base: unknown controller 'backflip'.*valid names: scripted, getup",
    ):
        OnnxPolicy.load(folder)
    assert main(["eval", "--policy", str(folder), "--episodes", "1", "--quiet"]) == 2
    spec["residual"] = {"base": "getup", "scale": 0.0}
    (folder / "policy.json").write_text(json.dumps(spec))
    with pytest.raises(PolicySpecError, match=r"residual.scale"):
        read_spec(folder)


def test_residual_policy_checked_against_the_env(exported, make_env) -> None:
    folder = exported["residual"].directory
    with pytest.raises(PolicySpecError, match="robot 'a1'"):
        make_policy(str(folder), make_env(ENV_ID, robot="aliengo"), ENV_ID)
    plain = exported["ppo"].spec
    assert (
        plain.get("residual") is None and plain["onnx"]["output"] == "action"
    )  # plain exports unchanged


# -- refusals ------------------------------------------------------------------------------------


def copy_export(exported, tmp_path: Path) -> Path:
    target = tmp_path / "copy"
    shutil.copytree(exported["ppo"].directory, target)
    return target


def test_tampered_onnx_is_refused(exported, tmp_path) -> None:
    folder = copy_export(exported, tmp_path)
    data = bytearray((folder / "policy.onnx").read_bytes())
    data[len(data) // 2] ^= 0x01  # one bit of one weight
    (folder / "policy.onnx").write_bytes(bytes(data))
    with pytest.raises(PolicySpecError, match="SHA-256"):
        OnnxPolicy.load(folder)
    with pytest.raises(PolicySpecError, match="SHA-256"):
        OnnxPolicy.load(folder / "policy.onnx")


def test_spec_cannot_point_outside_its_folder(exported, tmp_path) -> None:
    folder = copy_export(exported, tmp_path)
    spec = json.loads((folder / "policy.json").read_text())
    spec["onnx"]["file"] = "../elsewhere.onnx"
    (folder / "policy.json").write_text(json.dumps(spec))
    with pytest.raises(PolicySpecError, match=r"plain .onnx file name"):
        OnnxPolicy.load(folder)


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (lambda s: s.update(format="robodojo-policy/2"), "format"),
        (lambda s: s["observation"].update(size=41), "layout sizes"),
        (lambda s: s["action"]["low"].pop(), "action.low"),
    ],
    ids=["format", "observation-size", "action-bounds"],
)
def test_malformed_specs_are_refused(exported, tmp_path, change, match) -> None:
    folder = copy_export(exported, tmp_path)
    spec = json.loads((folder / "policy.json").read_text())
    change(spec)
    (folder / "policy.json").write_text(json.dumps(spec))
    with pytest.raises(PolicySpecError, match=match):
        OnnxPolicy.load(folder)


def test_policy_checked_against_the_env(exported, make_env) -> None:
    folder = exported["ppo"].directory
    assert isinstance(make_policy(str(folder), make_env(ENV_ID, robot="a1"), ENV_ID), OnnxPolicy)
    with pytest.raises(PolicySpecError, match="robot 'a1'"):
        make_policy(str(folder), make_env(ENV_ID, robot="aliengo"), ENV_ID)
    with pytest.raises(ValueError, match="pickled"):
        make_policy(str(folder.parent / "final" / "model.zip"), make_env(ENV_ID), ENV_ID)


def test_failed_verification_is_marked_and_never_loads(runs, tmp_path, monkeypatch) -> None:
    reference = export.reference_actions  # an exporter bug: the ONNX no longer acts as SB3 does
    monkeypatch.setattr(export, "reference_actions", lambda *args: reference(*args) + 0.5)
    with pytest.raises(export.VerificationError, match="tolerance"):
        export.export_run(runs["ppo"], out=tmp_path / "bad", observations=20)
    assert (
        json.loads((tmp_path / "bad" / "policy.json").read_text())["verification"]["passed"]
        is False
    )
    with pytest.raises(PolicySpecError, match="failed verification"):
        OnnxPolicy.load(tmp_path / "bad")


@pytest.mark.parametrize(
    "args, named",
    [
        (["--tolerance", "nan"], "--tolerance must be a finite number > 0, got nan"),
        (["--tolerance", "inf"], "--tolerance must be a finite number > 0, got inf"),
        (["--tolerance", "0"], "--tolerance must be a finite number > 0, got 0.0"),
        (["--tolerance=-1e-5"], "--tolerance must be a finite number > 0, got -1e-05"),
        (["--opset", "1"], "--opset must be an integer in [18, "),
        (["--opset", "17"], "--opset must be an integer in [18, "),
        (["--opset", "999"], "got 999"),
        (["--observations", "0"], "--observations must be an integer >= 1, got 0"),
    ],
)
def test_export_arguments_are_checked_first(runs, tmp_path, capsys, args, named) -> None:
    from robodojo.cli.main import main

    out = tmp_path / "out"
    assert main(["export", str(runs["ppo"]), "--out", str(out), *args]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("robodojo export: error: ") and named in err[0], err
    assert not out.exists()  # no spec marked failed, no folder
    low, high = export.supported_opsets()
    assert low == 18 and high >= low
    with pytest.raises(ValueError, match="tolerance must be a finite number > 0"):
        export.export_run(runs["ppo"], out=out, tolerance=float("nan"))
    with pytest.raises(ValueError, match=f"opset must be an integer in \\[{low}, {high}\\]"):
        export.export_run(runs["ppo"], out=out, opset=high + 1)
    assert not out.exists()


# -- the CLI and shipping
# ----------------------------------------------------------------------------


def test_export_cli(runs, tmp_path, capsys) -> None:
    from robodojo.cli.main import main

    out = tmp_path / "cli-export"
    assert (
        main(
            [
                "export",
                str(runs["ppo"]),
                "--out",
                str(out),
                "--checkpoint",
                "best",
                "--observations",
                "100",
            ]
        )
        == 0
    )
    printed = capsys.readouterr().out
    listing = [line for line in printed.splitlines() if line.endswith(" KiB")]
    assert len(listing) >= 4 and len({line.index(" KiB") for line in listing}) == 1, printed
    assert len({len(line.split()[0]) + line.index(line.split()[0]) for line in listing}) > 1
    assert (
        "max abs diff" in printed
        and "policy.onnx" in printed
        and "robodojo eval --policy" in printed
    )
    spec = read_spec(out)
    assert (
        spec["provenance"]["checkpoint"] == "best" and spec["verification"]["observations"] == 100
    )
    # best/ was chosen by a periodic evaluation: that, not final/'s card, is what describes it
    assert (
        spec["provenance"]["card"]["success_rate"] == 0.4
        and "best periodic" in spec["provenance"]["card"]["source"]
    )
    assert main(["export", str(tmp_path / "no-such-run")]) == 2
    assert "no such run folder" in capsys.readouterr().err


def test_pretrained_registry_lists_and_loads(
    exported, tmp_path, monkeypatch, capsys, make_env
) -> None:
    from robodojo.cli.main import main
    from robodojo.evaluation.evaluate import evaluate

    shutil.copytree(exported["sac"].directory, tmp_path / "a1-tiny-sac")
    monkeypatch.setattr(pretrained, "ROOT", tmp_path)
    (entry,) = pretrained.discover().values()
    assert (entry.name, entry.env_id, entry.robot, entry.algo, entry.success_rate) == (
        "a1-tiny-sac",
        ENV_ID,
        "a1",
        "sac",
        0.25,
    )
    assert (
        pretrained.names(ENV_ID, "a1") == ["a1-tiny-sac"]
        and pretrained.names(ENV_ID, "aliengo") == []
    )
    assert main(["list"]) == 0
    listing = capsys.readouterr().out
    assert "a1-tiny-sac" in listing and "success 25%" in listing
    assert isinstance(make_policy("a1-tiny-sac", make_env(ENV_ID, robot="a1"), ENV_ID), OnnxPolicy)
    result = evaluate(None, "a1-tiny-sac", 1, env_kwargs={"episode_seconds": 0.2})
    assert result.robot == "a1" and result.policy_source["algo"] == "sac"


def test_shipped_pretrained_policies_load_and_fit_their_env() -> None:
    shipped = pretrained.discover()
    assert shipped, "no pretrained policy is shipped"
    for entry in shipped.values():
        env = gym.make(entry.env_id, **({"robot": entry.robot} if entry.robot else {}))
        try:
            policy = OnnxPolicy.load(entry.path, env=env)
            observation, _ = env.reset(seed=0)
            assert env.action_space.contains(policy(observation))
        finally:
            env.close()
        assert (
            policy.spec["verification"]["passed"]
            and policy.spec["verification"]["max_abs_diff"] <= TOLERANCE
        )
        assert (entry.path / "card.md").is_file()
        assert (
            sum(f.stat().st_size for f in entry.path.iterdir()) < 1_000_000
        )  # kilobytes, not megabytes


def test_exports_a_real_robodojo_train_run(tmp_path) -> None:
    """The contract with `robodojo train`: its run folder exports as is (config.yaml, manifest,
    card, final/)."""
    train = pytest.importorskip("robodojo.training.train")
    config = {
        "scenario": "fall_recovery",
        "env_kwargs": ENV_KWARGS,
        "n_envs": 1,
        "total_steps": 256,
        "residual": None,
        "eval_episodes": 1,
        "final_eval_episodes": 2,
        "video_episodes": 0,
        "algo_kwargs": {"ppo": {"n_steps": 128, "batch_size": 128, "n_epochs": 1}},
    }
    run = train.train(config, tmp_path, quiet=True, stream=io.StringIO())
    result = export.export_run(run, observations=200)
    spec, card = result.spec, json.loads((run / "card.json").read_text())
    assert (
        spec["robot"] == "a1"
        and spec["env_kwargs"] == ENV_KWARGS
        and result.max_abs_diff <= TOLERANCE
    )
    assert spec["provenance"]["checkpoint"] == "final" and spec["provenance"]["run"] == run.name
    assert spec["provenance"]["card"]["episodes"] == 2
    assert spec["provenance"]["card"]["success_rate"] == card["final_evaluation"]["success_rate"]
    manifest = json.loads((run / "manifest.json").read_text())
    assert spec["provenance"]["git_commit"] == (manifest["git"] or {}).get("commit")
    assert OnnxPolicy.load(result.directory / "policy.onnx").predict(np.zeros((3, 42))).shape == (
        3,
        12,
    )
