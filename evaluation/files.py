"""Files a user keeps: JSON written so a failure never leaves half of one, and the versions that
made them."""

from __future__ import annotations

import json
import math
import os
import threading
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np


def to_json_safe(value: Any) -> Any:
    """Plain, strict JSON data: NaN/inf → None (strict JSON has none), numpy → Python, unknown
    objects → str."""
    if isinstance(value, dict):
        return {str(k): to_json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json_safe(v) for v in value]
    if isinstance(value, np.ndarray):
        return to_json_safe(value.tolist())
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if value is None or isinstance(value, (str, int, bool)):
        return value
    return str(value)


def write_json(path: str | Path, data: Any, *, fsync: bool = False) -> None:
    """Write ``data`` as strict JSON (NaN/inf become null) atomically: a temporary file beside
    ``path``, then a rename, so a reader or a crash never sees half a file. ``fsync`` makes it
    survive power loss. Missing parent folders are made."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(to_json_safe(data), indent=2, allow_nan=False) + "\n"
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}-{threading.get_ident()}")
    fd = os.open(
        tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666
    )  # the umask decides, as for any file
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            if fsync:
                os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def package_version(name: str) -> str | None:
    """The installed version of distribution ``name``, or None."""
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def check_output_file(path: str | Path, what: str, suffix: str | None = None) -> Path:
    """Check, before any work starts, that ``path`` can receive an output file; a ``ValueError``
    naming ``what`` (e.g. ``--json``) otherwise.

    The folder must already exist (a typo in it should not silently grow a new tree), ``path``
    must not be a folder, and ``suffix`` (e.g. ``.mp4``), if given, is required: it decides the
    file's format.
    """
    path = Path(path)
    if suffix is not None and path.suffix.lower() != suffix:
        raise ValueError(f"{what} {path}: must be a {suffix} file")
    if path.is_dir():
        raise ValueError(f"{what} {path}: is a folder; give a file name")
    folder = path.parent
    if not folder.is_dir():
        raise ValueError(f"{what} {path}: folder {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise ValueError(f"{what} {path}: not writable")
    return path
