"""The classifier: a class-weighted logistic regression, its calibrated scores, and checked model files.

``liblinear`` in its dual form is the solver: on bigram TF-IDF with far more
features than labelled records it fits in a few milliseconds, where the default
``lbfgs`` takes hundreds.

Saved models are joblib files with a JSON sidecar (versions, settings, number of
labelled records, creation time, SHA-256 of the file). ``load_model`` refuses a
file whose hash or library versions do not match the sidecar: a pickle from
elsewhere is never loaded blindly.
"""

from __future__ import annotations

import hashlib
import json
import platform
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd
import scipy
import sklearn
from sklearn.linear_model import LogisticRegression

import screener
from screener.errors import ConfigError, ProjectError


def make_classifier(*, C: float = 1.0, tol: float = 1e-4, random_state: int | None = None) -> LogisticRegression:
    """The default classifier: L2 logistic regression, liblinear dual solver.

    Class weights are given per fit as sample weights (see ``active``), so that
    the weighting can be undone when scores are calibrated.
    """
    if not C > 0:
        raise ConfigError(f"C must be > 0, got {C!r}")
    return LogisticRegression(C=C, solver="liblinear", dual=True, tol=tol, max_iter=1000, random_state=random_state)


def class_weights(y: np.ndarray, positive_weight: float | str) -> tuple[float, float]:
    """(weight of a relevant example, weight of an irrelevant one).

    A number ``w`` gives the relevant class ``w`` times the irrelevant class's total weight
    (ASReview's ``balanced`` sampler's ``ratio``); ``"balanced"`` is ``w = 1``, scikit-learn's
    rule. Either way the weights add up to the number of examples, so that ``C`` means the
    same at every class weight.
    """
    n_pos = max(int((y == 1).sum()), 1)
    n_neg = max(int((y == 0).sum()), 1)
    n = n_pos + n_neg
    if positive_weight == "balanced":
        w = 1.0
    else:
        try:
            w = float(positive_weight)
        except (TypeError, ValueError):
            raise ConfigError(f"class_weight must be 'balanced' or a number, got {positive_weight!r}") from None
        if not w > 0:
            raise ConfigError(f"class_weight must be > 0, got {w!r}")
    w_neg = n / ((w + 1) * n_neg)
    return w * n_neg / n_pos * w_neg, w_neg


def calibrated_proba(margins: np.ndarray, w_pos: float, w_neg: float) -> np.ndarray:
    """Probabilities of relevance from the weighted model's margins.

    Weighting the classes multiplies the fitted odds by ``w_pos / w_neg``; dividing
    it back out (a shift of the logit) makes scores comparable across models fit
    on different label counts (the prior-shift correction of Saerens et al. 2002).
    """
    z = margins - np.log(w_pos / w_neg)
    return 1.0 / (1.0 + np.exp(-np.clip(z, -40, 40)))


# --- model files ---------------------------------------------------------------------------

def library_versions() -> dict[str, str]:
    return {
        "screener": screener.__version__,
        "scikit-learn": sklearn.__version__,
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "pandas": pd.__version__,
        "joblib": joblib.__version__,
        "python": platform.python_version(),
    }


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
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
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
