"""Model files: a fitted learner saved as data (numpy arrays and JSON), never as code.

A model is ``models/model-vNNNNN.npz`` (arrays, read with ``allow_pickle=False``) and its
sidecar ``model-vNNNNN.npz.json`` (format, settings, library versions, SHA-256 of the npz).
Nothing in a project folder is ever unpickled, so a planted model file can hold wrong
numbers but cannot run code (README "Threat model"). A file is loaded only from the
project's own ``models/`` folder, when its hash matches its sidecar and every library that
builds the matrix or computes the scores has the version it was saved with; otherwise it
is refused with the command that replaces it. The hash is an integrity check (a torn or
edited file), not authentication: whoever can write the folder can write both.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from screener.errors import ProjectError
from screener.model import library_versions
from screener.vocabulary import Vocabulary

FORMAT = "screener-model/2"
SUFFIX = ".npz"
# The libraries whose version can change the feature matrix or the scores computed from a model.
CHECKED_LIBRARIES = ("screener", "scikit-learn", "numpy", "scipy", "pandas", "numba")


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def sidecar_path(path: Path) -> Path:
    return path.with_suffix(path.suffix + ".json")


def recover_hint(folder: Path) -> str:
    """The command that replaces a refused model (it ignores saved models and fits a new one)."""
    return f"run 'screener rank {folder} --retrain --out ranked.csv' to replace it"


def save_model(arrays: dict[str, np.ndarray], path: str | Path, *, settings: dict, n_labelled: int,
               extra: dict | None = None) -> Path:
    """Write ``arrays`` as an npz (no pickles) and its JSON sidecar; returns the model path.

    Both files are written to temporary names and renamed into place, the sidecar last, so a
    killed process leaves either the old pair, or a new npz without a matching sidecar (refused).
    """
    path = Path(path)
    if path.suffix != SUFFIX:
        raise ValueError(f"a model file must end in {SUFFIX}, got {path.name}")
    path.parent.mkdir(parents=True, exist_ok=True)
    for name, value in arrays.items():
        if np.asarray(value).dtype == object:
            raise ValueError(f"array {name!r} holds Python objects; a model file holds numbers and text only")
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as fh:
        np.savez_compressed(fh, **{k: np.asarray(v) for k, v in arrays.items()})
    tmp.replace(path)
    meta = {
        "format": FORMAT,
        "versions": library_versions(),
        "settings": settings,
        "n_labelled": int(n_labelled),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "sha256": _sha256(path),
        **(extra or {}),
    }
    side = sidecar_path(path)
    tmp_side = side.with_name(side.name + ".tmp")
    tmp_side.write_text(json.dumps(meta, indent=2, sort_keys=True, default=str))
    tmp_side.replace(side)
    return path


def model_path(folder: str | Path, stored: str) -> Path:
    """The model file a project's database names, refused unless it is an npz inside ``models/``."""
    folder = Path(folder)
    models = (folder / "models").resolve()
    path = (folder / stored).resolve()
    if not path.is_relative_to(models) or path.suffix != SUFFIX:
        raise ProjectError(f"{folder}: the project database names the model file {stored!r}, which is not an "
                           f"{SUFFIX} file in the project's models/ folder, so it is not loaded; "
                           f"{recover_hint(folder)}")
    return path


def read_sidecar(path: Path, folder: Path) -> dict:
    side = sidecar_path(path)
    if not side.is_file():
        raise ProjectError(f"{path}: no sidecar {side.name}; refusing to load a model file of unknown origin; "
                           f"{recover_hint(folder)}")
    try:
        meta = json.loads(side.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ProjectError(f"{side}: the sidecar is not valid JSON; {recover_hint(folder)}") from None
    if not isinstance(meta, dict):
        raise ProjectError(f"{side}: the sidecar is not a JSON object; {recover_hint(folder)}")
    return meta


def load_model(folder: str | Path, stored: str) -> tuple[dict[str, np.ndarray], dict]:
    """The arrays and sidecar of the model file ``stored`` (a path relative to the project folder).

    Refused with a ``ProjectError`` naming the recovering command when the path leaves
    ``models/``, the file does not match its sidecar's hash or format, or a checked library's
    version differs from the one it was saved with.
    """
    folder = Path(folder)
    path = model_path(folder, stored)
    if not path.is_file():
        raise ProjectError(f"{path}: model file not found; {recover_hint(folder)}")
    meta = read_sidecar(path, folder)
    if meta.get("format") != FORMAT:
        raise ProjectError(f"{path}: not a {FORMAT} model file; {recover_hint(folder)}")
    if meta.get("sha256") != _sha256(path):
        raise ProjectError(f"{path}: file does not match its sidecar's hash; it was changed or replaced, so it "
                           f"is not loaded; {recover_hint(folder)}")
    here = library_versions()
    saved = meta.get("versions") if isinstance(meta.get("versions"), dict) else {}
    for lib in CHECKED_LIBRARIES:
        if saved.get(lib) != here[lib]:
            raise ProjectError(f"{path}: saved with {lib} {saved.get(lib)}, this environment has {here[lib]}, "
                               f"so it is not loaded; {recover_hint(folder)}")
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {name: npz[name] for name in npz.files}
    except (ValueError, OSError, zipfile.BadZipFile, EOFError) as exc:
        raise ProjectError(f"{path}: cannot be read as a model file ({exc}), so it is not loaded; "
                           f"{recover_hint(folder)}") from None
    return arrays, meta


# --- a learner and its features as arrays -----------------------------------------------------

def feature_arrays(features) -> dict[str, np.ndarray]:
    """The fitted vocabulary (terms in column order, newline-joined UTF-8) and idf of ``TextFeatures``."""
    vocabulary = features.vectorizer_.vocabulary_
    if isinstance(vocabulary, Vocabulary):  # already the terms in column order, newline-joined
        blob = vocabulary.blob
    else:  # scikit-learn's own dict (n-grams beyond 2 are counted by it)
        terms = [""] * len(vocabulary)
        for term, column in vocabulary.items():
            terms[column] = term
        blob = np.frombuffer("\n".join(terms).encode("utf-8"), dtype=np.uint8)
    arrays = {"vocabulary": blob, "idf": np.asarray(features.vectorizer_.idf_)}
    char = getattr(features, "char", None)  # the interleave's second view (``ensemble.ViewFeatures``)
    if char is not None:
        arrays["char_terms"] = np.frombuffer("\n".join(char.terms_).encode("utf-8"), dtype=np.uint8)
        arrays["char_idf"] = np.asarray(char.idf_)
    return arrays


def feature_digest(arrays: dict[str, np.ndarray]) -> str:
    """SHA-256 of the vocabulary and idf (of each view): the same digest means the same feature columns."""
    h = hashlib.sha256(arrays["vocabulary"].tobytes())
    h.update(np.ascontiguousarray(arrays["idf"], dtype=np.float64).tobytes())
    if "char_terms" in arrays:
        h.update(b"\0char\0" + arrays["char_terms"].tobytes())
        h.update(np.ascontiguousarray(arrays["char_idf"], dtype=np.float64).tobytes())
    return h.hexdigest()


def _rng_state(rng) -> dict | None:
    if isinstance(rng, np.random.Generator) and isinstance(rng.bit_generator, np.random.PCG64):
        return rng.bit_generator.state
    return None


ENSEMBLE_STATE = ("n_fits_", "n_scorings_", "loss_", "hits_", "picks_", "fitted_at_", "relevant_at_", "criteria_phase_")


def learner_arrays(learner) -> tuple[dict[str, np.ndarray], dict]:
    """(arrays, JSON-able state) of a fitted ``ActiveLearner``, or of a rank ensemble (each
    member's under ``m<i>_``): what scoring and the queue need."""
    if hasattr(learner, "members_"):
        arrays, members = {}, []
        for i, member in enumerate(learner.members_):
            a, state = learner_arrays(member)
            arrays.update({f"m{i}_{k}": v for k, v in a.items()})
            members.append(state)
        state = {"n_labelled": members[0]["n_labelled"], "rng": _rng_state(learner.rng_), "members": members,
                 "ensemble": {k: np.asarray(getattr(learner, k)).tolist() for k in ENSEMBLE_STATE}}
        if getattr(learner, "ranks_", None) is not None and learner.adapt is not None:  # what the next fit charges
            arrays["ranks"] = learner.ranks_
        return arrays, state
    coef = getattr(learner, "coef_", None)
    arrays = {} if coef is None else {"coef": np.asarray(coef), "intercept": np.array([learner.intercept_]),
                                      "weights": np.asarray(learner.weights_, dtype=np.float64)}
    state = {"n_labelled": int(getattr(learner, "n_labelled_", 0)), "rng": _rng_state(getattr(learner, "rng_", None))}
    clf = getattr(learner, "classifier_", None)
    if getattr(learner, "solver", None) == "cd" and getattr(clf, "coef_", None) is not None:
        # the warm-started solver's own model and generator: the next fit carries on from them
        arrays["classifier_coef"] = np.asarray(clf.coef_, dtype=np.float64)
        arrays["classifier_intercept"] = np.array([float(clf.intercept_)])
        state["classifier_rng"] = _rng_state(getattr(clf, "rng_", None))
    return arrays, state


def _generator(state) -> np.random.Generator | None:
    if isinstance(state, dict) and state.get("bit_generator") == "PCG64":
        bit_generator = np.random.PCG64()
        bit_generator.state = state
        return np.random.Generator(bit_generator)
    return None


def restore_learner(learner, arrays: dict[str, np.ndarray], state: dict):
    """Give an unfitted ``ActiveLearner`` or rank ensemble (built from the saved settings) the saved fitted state."""
    learner._setup()
    if hasattr(learner, "members_"):
        if len(state.get("members", ())) != len(learner.members_):
            raise ValueError(f"the file has {len(state.get('members', ()))} members, the settings "
                             f"{len(learner.members_)}")
        if (rng := _generator(state.get("rng"))) is not None:
            learner.rng_ = rng
        for i, member in enumerate(learner.members_):
            prefix = f"m{i}_"
            restore_learner(member, {k[len(prefix):]: v for k, v in arrays.items() if k.startswith(prefix)},
                            state["members"][i])
            member.rng_ = learner.rng_  # the members draw from the ensemble's generator, as when fitted
        for k, v in state.get("ensemble", {}).items():
            if k in ENSEMBLE_STATE:
                setattr(learner, k, np.asarray(v, dtype=np.asarray(getattr(learner, k)).dtype)
                        if isinstance(v, list) else type(getattr(learner, k))(v))
        learner.ranks_ = arrays.get("ranks")
        return learner
    if (rng := _generator(state.get("rng"))) is not None:
        learner.rng_ = rng
    if "classifier_coef" in arrays:
        learner.classifier_.coef_ = arrays["classifier_coef"]
        learner.classifier_.intercept_ = float(arrays["classifier_intercept"][0])
        if (rng := _generator(state.get("classifier_rng"))) is not None:
            learner.classifier_.rng_ = rng
    learner.n_labelled_ = int(state.get("n_labelled", 0))
    if "coef" in arrays:
        learner.coef_ = arrays["coef"]
        learner.intercept_ = float(arrays["intercept"][0])
        learner.weights_ = tuple(float(w) for w in arrays["weights"])
    else:
        learner.coef_ = None
    return learner
