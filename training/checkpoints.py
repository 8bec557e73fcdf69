"""Run-folder files that must survive ``kill -9``: checkpoints, best/ and final/ models, JSON.

Every folder is written under a temporary name and renamed into place only
when complete (files fsynced first), so a killed process leaves at most a
``.tmp`` folder, which :func:`latest_checkpoint` ignores and :func:`clean_tmp`
removes. ``state.json`` is written last inside a checkpoint: a ``step_<N>``
folder without it is not a checkpoint.

Off-policy replay buffers are saved compactly (only the filled rows) and
only the newest checkpoint keeps one: a full 1e6-transition buffer is ~0.4 GB.
Dict-observation and HER buffers (goal-conditioned envs) are saved the same
way; a HER buffer gets its env back when loaded.

A disk can still truncate a file after the rename (a full disk, a copy cut
short), so resuming first *verifies* a checkpoint (:func:`verify_checkpoint`:
every file it holds loads) and falls back to the previous one when it does not
(:func:`resume_point`).
"""

from __future__ import annotations

import json
import os
import pickle
import re
import shutil
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from robodojo.evaluation.files import to_json_safe, write_json
from robodojo.training.sb3_policy import META_FILE, MODEL_FILE, NORMALIZER_FILE

CHECKPOINTS = "checkpoints"
STATE_FILE = "state.json"
REPLAY_FILE = "replay_buffer.pkl"
_STEP_DIR = re.compile(r"^step_(\d+)$")
_TMP_MARK = ".tmp-"


def _fsync_tree(folder: Path) -> None:
    for path in folder.iterdir():
        if path.is_file():
            with open(path, "rb") as handle:
                os.fsync(handle.fileno())
    _fsync_dir(folder)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_dir_atomically(target: Path, fill: Callable[[Path], None]) -> Path:
    """``fill(tmp)`` writes the files; then ``tmp`` replaces ``target`` (an existing one is swapped
    out)."""
    target = Path(target)
    tmp = target.with_name(f".{target.name}{_TMP_MARK}{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    fill(tmp)
    _fsync_tree(tmp)
    old = target.with_name(f".{target.name}.old{_TMP_MARK}{os.getpid()}")
    if target.exists():
        os.rename(target, old)
    os.rename(tmp, target)
    _fsync_dir(target.parent)
    shutil.rmtree(old, ignore_errors=True)
    return target


def write_json_atomically(path: Path, data: Any) -> None:
    """Strict JSON, fsynced, replaced in one rename (a killed process leaves at most a ``.tmp-``
    file)."""
    write_json(path, data, fsync=True)


def save_model_dir(
    target: Path,
    model: Any,
    vecnormalize: Any,
    meta: dict[str, Any] | None = None,
    extra: Callable[[Path], None] | None = None,
) -> Path:
    """model.zip (+ vecnormalize.pkl, + meta.json, + whatever ``extra`` writes) into ``target``,
    atomically."""

    def fill(folder: Path) -> None:
        model.save(folder / MODEL_FILE)
        if vecnormalize is not None:
            vecnormalize.save(str(folder / NORMALIZER_FILE))
        if extra is not None:
            extra(folder)
        if meta is not None:
            (folder / META_FILE).write_text(json.dumps(to_json_safe(meta), indent=2) + "\n")

    return write_dir_atomically(target, fill)


def save_checkpoint(
    run_dir: Path, model: Any, vecnormalize: Any, state: dict[str, Any], replay: bool
) -> Path:
    """``checkpoints/step_<num_timesteps>/``: model, normaliser, replay buffer (off-policy),
    state.json last."""
    folder = Path(run_dir) / CHECKPOINTS / f"step_{model.num_timesteps}"

    def extra(tmp: Path) -> None:
        if replay:
            save_replay_buffer(model, tmp / REPLAY_FILE)
        (tmp / STATE_FILE).write_text(
            json.dumps(to_json_safe(state), indent=2, allow_nan=False) + "\n"
        )

    save_model_dir(folder, model, vecnormalize, extra=extra)
    if replay:  # older checkpoints no longer need their (large) buffers
        for older in checkpoints(run_dir):
            if older != folder:
                (older / REPLAY_FILE).unlink(missing_ok=True)
    return folder


def checkpoints(run_dir: Path) -> list[Path]:
    """Complete checkpoints (model.zip and state.json present), oldest first."""
    root = Path(run_dir) / CHECKPOINTS
    found = []
    for path in root.iterdir() if root.is_dir() else ():
        match = _STEP_DIR.match(path.name)
        if (
            match
            and path.is_dir()
            and (path / STATE_FILE).is_file()
            and (path / MODEL_FILE).is_file()
        ):
            found.append((int(match.group(1)), path))
    return [path for _, path in sorted(found)]


def latest_checkpoint(run_dir: Path) -> Path | None:
    found = checkpoints(run_dir)
    return found[-1] if found else None


class CorruptCheckpointError(Exception):
    """A checkpoint folder whose files do not all load."""

    def __init__(self, folder: Path, file: str, reason: str) -> None:
        self.folder, self.file, self.reason = Path(folder), file, reason
        super().__init__(f"checkpoint {folder} is corrupt ({file}: {reason})")


@dataclass
class Verified:
    """A checkpoint whose files all loaded: its folder, state.json and the unpickled replay buffer
    (None when it keeps none: only the newest checkpoint does)."""

    folder: Path
    state: dict[str, Any]
    replay_buffer: Any = None

    @property
    def step(self) -> int:
        return int(self.state["num_timesteps"])


def _reason(error: BaseException) -> str:
    if error.__cause__ is not None:  # SB3 wraps the zipfile error in its own ValueError
        error = error.__cause__
    text = " ".join(str(error).split()) or "no detail"
    return f"{type(error).__name__}: {text}"


def verify_checkpoint(folder: Path, normalizer: bool, replay: bool) -> Verified:
    """Load every file of ``folder`` (state.json, model.zip without an env, vecnormalize.pkl if the
    run normalises, replay_buffer.pkl if it is off-policy and the file is there); raise
    :class:`CorruptCheckpointError` naming the first that does not load."""
    from stable_baselines3.common.save_util import load_from_zip_file

    folder = Path(folder)
    match = _STEP_DIR.match(folder.name)
    try:
        state = json.loads((folder / STATE_FILE).read_text())
    except (OSError, ValueError) as error:
        raise CorruptCheckpointError(folder, STATE_FILE, _reason(error)) from None
    step = state.get("num_timesteps") if isinstance(state, dict) else None
    if isinstance(step, bool) or not isinstance(step, int) or step < 0:
        raise CorruptCheckpointError(folder, STATE_FILE, f"no step count (num_timesteps: {step!r})")
    if match and int(match.group(1)) != step:
        raise CorruptCheckpointError(folder, STATE_FILE, f"num_timesteps {step} in {folder.name}")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            data, params, _ = load_from_zip_file(folder / MODEL_FILE, device="cpu")
        if data is None or not params:
            raise ValueError("no model data or parameters in it")
    except Exception as error:  # whatever a truncated zip or pickle raises
        raise CorruptCheckpointError(folder, MODEL_FILE, _reason(error)) from None
    files = [NORMALIZER_FILE] if normalizer else []
    if replay and (folder / REPLAY_FILE).exists():
        files.append(REPLAY_FILE)
    loaded = {}
    for name in files:
        try:
            with open(folder / name, "rb") as handle:
                loaded[name] = pickle.load(handle)
        except Exception as error:  # UnpicklingError, EOFError, OSError, ...
            raise CorruptCheckpointError(folder, name, _reason(error)) from None
    return Verified(folder, state, loaded.get(REPLAY_FILE))


def resume_point(
    run_dir: Path, normalizer: bool, replay: bool
) -> tuple[Verified | None, list[CorruptCheckpointError]]:
    """The newest checkpoint that verifies, and the newer ones that did not (newest first).

    (None, []) when the run has no checkpoint yet; (None, [every one]) when none verifies."""
    corrupt: list[CorruptCheckpointError] = []
    for folder in reversed(checkpoints(run_dir)):
        try:
            return verify_checkpoint(folder, normalizer, replay), corrupt
        except CorruptCheckpointError as error:
            corrupt.append(error)
    return None, corrupt


def clean_tmp(run_dir: Path) -> list[str]:
    """Remove half-written folders a killed process left; put back a best/ or final/ caught
    mid-swap."""
    removed = []
    for parent in (Path(run_dir), Path(run_dir) / CHECKPOINTS):
        for path in sorted(parent.glob(f".*{_TMP_MARK}*")) if parent.is_dir() else ():
            name = path.name[1:].split(_TMP_MARK)[0]
            if name.endswith(".old") and not (parent / name[: -len(".old")]).exists():
                os.rename(path, parent / name[: -len(".old")])  # killed between the two renames
                continue
            shutil.rmtree(path) if path.is_dir() else path.unlink()
            removed.append(path.name)
    return removed


def _buffer_arrays(buffer: Any) -> dict[tuple[str, str | None], np.ndarray]:
    """The buffer's per-row arrays: (attribute, None) for an array, (attribute, key) inside a dict
    of arrays.

    Dict-observation buffers (DictReplayBuffer, HerReplayBuffer) keep ``observations`` and
    ``next_observations`` as dicts of arrays; HER adds ``ep_start``, ``ep_length`` and ``infos``.
    """
    size = buffer.buffer_size

    def per_row(value: Any) -> bool:
        return isinstance(value, np.ndarray) and value.ndim >= 1 and value.shape[0] == size

    found: dict[tuple[str, str | None], np.ndarray] = {}
    for name, value in vars(buffer).items():
        if per_row(value):
            found[name, None] = value
        elif isinstance(value, dict) and value and all(per_row(item) for item in value.values()):
            found.update({(name, key): item for key, item in value.items()})
    return found


def _set_array(buffer: Any, where: tuple[str, str | None], value: np.ndarray) -> None:
    name, key = where
    if key is None:
        setattr(buffer, name, value)
    else:
        getattr(buffer, name)[key] = value


def save_replay_buffer(model: Any, path: Path) -> None:
    """Pickle ``model.replay_buffer`` with only its filled rows (SB3 would write every row).

    Works for flat, Dict and HER buffers; a HerReplayBuffer's env is left out by
    its own pickling (:func:`load_replay_buffer` sets it again).
    """
    buffer = model.replay_buffer
    rows = buffer.buffer_size if buffer.full else buffer.pos
    full = _buffer_arrays(buffer)
    try:
        for where, value in full.items():
            _set_array(buffer, where, value[:rows])
        buffer._robodojo_truncated = [[name, key] for name, key in full]
        with open(path, "wb") as handle:
            pickle.dump(buffer, handle, protocol=pickle.HIGHEST_PROTOCOL)
    finally:
        for where, value in full.items():
            _set_array(buffer, where, value)
        buffer.__dict__.pop("_robodojo_truncated", None)


def load_replay_buffer(model: Any, path: Path | Any) -> None:
    """Inverse of :func:`save_replay_buffer`: rows padded back to the buffer's size, put on
    ``model``. ``path`` may also be the buffer :func:`verify_checkpoint` already unpickled.

    A HerReplayBuffer gets the model's env again (it computes relabelled rewards
    with the env's ``compute_reward``) and, as SB3's ``load_replay_buffer`` does,
    its last, unfinished episodes are closed: the resumed session starts new episodes.
    """
    if isinstance(path, (str, Path)):
        with open(path, "rb") as handle:
            buffer = pickle.load(handle)
    else:  # already unpickled (by verify_checkpoint)
        buffer = path
    for entry in buffer.__dict__.pop("_robodojo_truncated", []):
        where = (
            (entry, None) if isinstance(entry, str) else (entry[0], entry[1])
        )  # older checkpoints: names only
        value = (
            getattr(buffer, where[0]) if where[1] is None else getattr(buffer, where[0])[where[1]]
        )
        if value.dtype == object:  # HER's infos: one dict per row and env
            padded = np.empty((buffer.buffer_size, *value.shape[1:]), dtype=object)
            for index in np.ndindex(padded.shape):
                padded[index] = {}
        else:
            padded = np.zeros((buffer.buffer_size, *value.shape[1:]), dtype=value.dtype)
        padded[: len(value)] = value
        _set_array(buffer, where, padded)
    buffer.device = model.device
    from stable_baselines3 import HerReplayBuffer

    if isinstance(buffer, HerReplayBuffer):
        if model.get_env() is None:
            raise ValueError(
                "a HerReplayBuffer needs the model's env to be loaded (it computes rewards with it)"
            )
        buffer.set_env(model.get_env())
        with warnings.catch_warnings():
            warnings.filterwarnings(
                "ignore", message="The last trajectory in the replay buffer will be truncated"
            )
            buffer.truncate_last_trajectory()
    model.replay_buffer = buffer
