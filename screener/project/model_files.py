"""Model files: a saved learner with a checked JSON sidecar.

Saved models are joblib files with a JSON sidecar (versions, settings, number of
labelled records, creation time, SHA-256 of the file). ``load_model`` refuses a
file whose hash or library versions do not match the sidecar: a pickle from
elsewhere is never loaded blindly.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import joblib

from screener.errors import ProjectError
from screener.model import library_versions


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def sidecar_path(path: Path) -> Path:
    return path.with_suffix(path.suffix + ".json")


def save_model(obj: Any, path: str | Path, *, settings: dict, n_labelled: int) -> Path:
    """Write ``obj`` with joblib and its JSON sidecar; returns the model path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    joblib.dump(obj, tmp)
    tmp.replace(path)
    meta = {
        "format": "screener-model/1",
        "versions": library_versions(),
        "settings": settings,
        "n_labelled": int(n_labelled),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "sha256": _sha256(path),
    }
    side = sidecar_path(path)
    side.write_text(json.dumps(meta, indent=2, sort_keys=True, default=str))
    return path


def read_sidecar(path: str | Path) -> dict:
    side = sidecar_path(Path(path))
    if not side.is_file():
        raise ProjectError(f"{path}: no sidecar {side.name}; refusing to load a model file of unknown origin")
    try:
        return json.loads(side.read_text())
    except json.JSONDecodeError:
        raise ProjectError(f"{side}: the sidecar is not valid JSON; retrain the model (screener rank) to replace it") from None


def load_model(path: str | Path) -> tuple[Any, dict]:
    """Load a model saved by ``save_model`` after checking its hash and library versions."""
    path = Path(path)
    if not path.is_file():
        raise ProjectError(f"{path}: model file not found")
    meta = read_sidecar(path)
    if meta.get("sha256") != _sha256(path):
        raise ProjectError(f"{path}: file does not match its sidecar's hash; it was changed or replaced, so it is not loaded")
    here = library_versions()
    for lib in ("scikit-learn", "numpy", "joblib"):
        saved = meta.get("versions", {}).get(lib)
        if saved != here[lib]:
            raise ProjectError(
                f"{path}: saved with {lib} {saved}, this environment has {here[lib]}; retrain instead of loading it"
            )
    return joblib.load(path), meta
