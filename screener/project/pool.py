"""The pool and its model: the kept records' features, the learner fit on the ledger, ranking.

The pool is the project's kept records (one per duplicate group); features are
fit on the whole pool once (``load_pool``) and the classifier is refit as
decisions arrive (``fit_learner`` rebuilds it from the ledger; a session then refits it at
each ``active.step`` under the fit policy). Both follow the project's settings
(``screener.project.settings``), which the pool carries. Nothing here prints.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp

from screener.active import ActiveLearner, step
from screener.criteria import Criteria
from screener.errors import ProjectError, ScreenerError
from screener.features import TextFeatures
from screener.labels import queue_labels, training_labels
from screener.project.create import project_criteria
from screener.project.imports import ImportSummary, Progress, _quiet, import_files
from screener.project.model_files import (
    feature_arrays,
    feature_digest,
    learner_arrays,
    load_model,
    recover_hint,
    restore_learner,
    save_model,
)
from screener.project.settings import project_settings
from screener.project.store import Store
from screener.project.votes import project_labels
from screener.seeding import stream
from screener.settings import ProjectSettings


@dataclass
class Pool:
    """The kept records with their features (fit once), in project id order."""

    records: pd.DataFrame
    ids: np.ndarray
    X: sp.csr_matrix | list[sp.csr_matrix]  # one matrix, or one per view (the interleave: word, char)
    pseudo: sp.csr_matrix | list | None
    criteria: Criteria
    signature: str
    features: TextFeatures | None = None  # the fitted vectorizer(s): the word vocabulary names X's (first) columns
    settings: ProjectSettings = field(default_factory=ProjectSettings)  # the project's, when it was loaded

    @property
    def word_X(self) -> sp.csr_matrix:
        """The word view's matrix, whose columns the vocabulary names: what explanations read."""
        return self.X[0] if isinstance(self.X, list) else self.X

    @cached_property
    def feature_arrays(self) -> dict[str, np.ndarray]:
        return feature_arrays(self.features) if self.features is not None else {}

    @cached_property
    def feature_digest(self) -> str | None:
        return feature_digest(self.feature_arrays) if self.features is not None else None


def load_pool(store: Store) -> Pool:
    records = store.records()
    if records.empty:
        raise ProjectError(f"{store.folder}: the project has no records yet; add some with 'screener import'")
    criteria = project_criteria(store)
    settings = project_settings(store)
    features = settings.ranker.make_features()
    X = features.fit_transform(records)
    pseudo = features.transform([criteria.pseudo_document()]) if criteria.pseudo_document() else None
    ids = records["id"].to_numpy(np.int64)
    signature = hashlib.sha1(ids.tobytes()).hexdigest()[:16]
    return Pool(records, ids, X, pseudo, criteria, signature, features, settings)


def learner_settings(learner: ActiveLearner) -> dict:
    return learner.settings()


def project_learner(seed: int, n_ledger: int, settings: ProjectSettings | None = None) -> ActiveLearner:
    """The learner a project rebuilds at this ledger length (its settings, default ``ProjectSettings()``;
    the ``learner`` stream), unfitted."""
    settings = settings or ProjectSettings()
    return settings.ranker.make_learner(random_state=stream("learner", int(seed), int(n_ledger)))


def fit_learner(pool: Pool, labels: np.ndarray, *, seed: int, n_ledger: int) -> ActiveLearner:
    """A learner rebuilt from the ledger: a new one (the project's settings) fit on the current labels.

    Its generator is the ``learner`` stream of the project seed and the ledger length, so the
    rebuilt model depends only on the ledger: the same project state gives the same queue after
    a restart. Within a session it is then warm-started at each step (``session.Trainer``).
    """
    learner = project_learner(seed, n_ledger, pool.settings)
    return learner.fit(pool.X, training_labels(labels), pseudo=pool.pseudo)


def _model_settings(pool: Pool, learner: ActiveLearner, n_ledger: int) -> dict:
    return {"learner": learner_settings(learner), "features": pool.settings.ranker.make_features().settings(),
            "pool_signature": pool.signature, "ledger_rows": int(n_ledger)}


def register_model(store: Store, pool: Pool, learner: ActiveLearner, labels: np.ndarray,
                   n_ledger: int, *, save: bool) -> int:
    """Give a fitted model a version in the project (and save it under ``models/``)."""
    settings = _model_settings(pool, learner, n_ledger)
    version = store.add_model(n_include=int((labels == "include").sum()),
                              n_exclude=int((labels == "exclude").sum()), settings=settings, durable=save)
    if save:
        save_project_model(store, pool, version, learner, settings)
    return version


def save_project_model(store: Store, pool: Pool, version: int, learner: ActiveLearner, settings: dict) -> Path:
    """Save the learner's coefficients, the pool's vocabulary and idf and the settings as data (npz + JSON)."""
    arrays, state = learner_arrays(learner)
    path = store.models_dir / f"model-v{version:05d}.npz"
    save_model({**arrays, **pool.feature_arrays}, path, settings=settings, n_labelled=state["n_labelled"],
               extra={"learner_state": state, "features_sha256": pool.feature_digest})
    store.set_model_path(version, path)
    return path


def load_project_model(store: Store, stored: str, learner: ActiveLearner, *, expected: dict,
                       digest: str | None) -> tuple[ActiveLearner | None, dict]:
    """The saved model named by the database, restored into ``learner`` (unfitted, built with the
    project's settings); checked and refused as ``model_files.load_model`` says. A model saved
    under other settings than ``expected`` (or other features than the pool's ``digest``) is not
    restored: ``(None, meta)`` (it was fit for another ranker, or other features, and is refit)."""
    arrays, meta = load_model(store.folder, stored)
    if meta.get("settings") != expected or meta.get("features_sha256") != digest:
        return None, meta
    try:
        restore_learner(learner, arrays, meta.get("learner_state", {}))
    except (TypeError, ValueError, KeyError, ScreenerError) as exc:
        raise ProjectError(f"{store.folder / stored}: the saved model cannot be restored ({exc}); "
                           f"{recover_hint(store.folder)}") from None
    return learner, meta


def current_model(store: Store, pool: Pool, labels: np.ndarray, *, retrain: bool = False,
                  save: bool = True) -> tuple[ActiveLearner, int]:
    """The model for the current ledger: the latest saved one when it still fits, else a new fit.

    A saved model that is refused (outside ``models/``, hash, format, library versions) raises
    a ``ProjectError`` naming the recovering command; ``retrain=True`` ignores saved models.
    """
    n_ledger = store.n_decisions()
    seed = int(store.get_meta("seed", "0"))
    latest = store.latest_saved_model()
    if latest is not None and not retrain:
        # Reused only if it was fit on this ledger, this pool and the project's feature and learner
        # settings, on the same feature columns (a model from older defaults or other settings,
        # another ranker's included, would score a differently built matrix): checked before it
        # is restored into the project's learner.
        expected = json.loads(json.dumps(_model_settings(pool, pool.settings.ranker.make_learner(), n_ledger)))
        learner, _ = load_project_model(store, latest["path"], project_learner(seed, n_ledger, pool.settings),
                                        expected=expected, digest=pool.feature_digest)
        if learner is not None:
            return learner, int(latest["version"])
    learner = fit_learner(pool, labels, seed=seed, n_ledger=n_ledger)
    return learner, register_model(store, pool, learner, labels, n_ledger, save=save)


RANK_COLUMNS = ["record_id", "title", "score", "rank", "year", "authors", "journal", "doi", "pmid",
                "source", "source_record_id"]


def rank_project(folder: str | Path, *, new: Sequence[str | Path] = (), retrain: bool = False,
                 progress: Progress = _quiet) -> tuple[pd.DataFrame, ImportSummary | None]:
    """Rank the unscreened records in the current model's queue order (the interleave's by default), with
    the calibrated scores (the word model's probabilities).

    With ``new`` files, they are imported first (de-duplicated against everything) and
    only their new records are ranked, by a model fit on every decision so far.
    """
    summary = import_files(folder, new, progress=progress) if new else None
    with Store.open(folder) as store:
        progress("building features")
        pool = load_pool(store)
        labels = project_labels(store, pool.ids)  # decided outcomes (dual mode: agreed or resolved)
        progress("fitting the model")
        learner, version = current_model(store, pool, labels, retrain=retrain)
        result = step(learner, pool.X, queue_labels(labels), n=None, fit=False)
        scores, order = result.scores, result.queue
        store.set_scores(pool.ids, scores, version)
    if summary is not None:
        order = order[np.isin(pool.ids[order], summary.added_ids)]
    ranked = pool.records.iloc[order].rename(columns={"id": "record_id"})
    ranked = ranked.assign(score=scores[order], rank=np.arange(1, len(order) + 1))
    return ranked[RANK_COLUMNS].reset_index(drop=True), summary
