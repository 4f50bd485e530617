"""Replaying a fully labelled pool: the oracle loop over ``active`` (EVALUATION.md's protocol).

Priors are drawn as EVALUATION.md defines (``RandomState(seed).choice`` over the
included rows in file order, then a fresh ``RandomState(seed)`` over the excluded
rows) or given as record ids. Everything after that is independent of the
input's row order: the pool is put in record-id order and shuffled with the seed.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from screener.active import UNLABELLED, ActiveLearner
from screener.criteria import Criteria
from screener.errors import ConfigError, DataError, ScreenerError
from screener.features import TextFeatures
from screener.metrics import DEFAULT_METRICS, evaluate_order
from screener.model import library_versions
from screener.seeding import check_random_state

DEFAULT_LABEL = "label_included"


@dataclass
class SimulationSettings:
    """How a run is replayed: learner and feature settings plus the loop's own."""

    learner: dict = field(default_factory=dict)
    features: dict = field(default_factory=dict)
    retrain_every: int = 1
    stop_at_last_relevant: bool = False
    stop_at_recall: float | None = None  # stop once this share of the (non-prior) relevant records is found

    def as_dict(self) -> dict:
        return {
            "learner": {**ActiveLearner().__dict__, **self.learner, "random_state": None},
            "features": {**TextFeatures().get_params(), **self.features},
            "retrain_every": self.retrain_every,
            "stop_at_last_relevant": self.stop_at_last_relevant,
            "stop_at_recall": self.stop_at_recall,
        }


def labels_of(records: pd.DataFrame, label_column: str) -> np.ndarray:
    """The 0/1 labels of a fully labelled pool, with a clear error where they are not usable."""
    if label_column not in records.columns:
        found = [c for c in records.columns if c.startswith("label")]
        raise DataError(f"no label column {label_column!r}; label columns found: {', '.join(found) or 'none'}")
    col = records[label_column]
    if col.isna().any():
        raise DataError(f"{label_column!r} has {int(col.isna().sum())} records without a label; simulation needs every label")
    y = col.astype(int).to_numpy()
    if y.sum() == 0:
        raise DataError(f"{label_column!r} has no relevant records: nothing to find")
    if y.sum() == len(y):
        raise DataError(f"{label_column!r} has no irrelevant records: nothing to screen out")
    return y


def draw_priors(y: np.ndarray, seed: int) -> list[int]:
    """Row positions of one included and one excluded prior, as EVALUATION.md draws them.

    ``RandomState(seed).choice(rows, 1, replace=False)``, then the same from a fresh
    ``RandomState(seed)`` over the excluded rows: the draw of ASReview's ``--prior-seed``, which
    reproduces EVALUATION.md's reference table (plain ``choice(rows)`` picks other records).
    """
    inc = np.flatnonzero(y == 1)
    exc = np.flatnonzero(y == 0)
    return [int(np.random.RandomState(seed).choice(inc, 1, replace=False)[0]),
            int(np.random.RandomState(seed).choice(exc, 1, replace=False)[0])]


def prior_rows(records: pd.DataFrame, prior_ids: Sequence[str]) -> list[int]:
    ids = records["record_id"].astype(str)
    pos = {rid: i for i, rid in enumerate(ids)}
    missing = [p for p in prior_ids if str(p) not in pos]
    if missing:
        raise ConfigError(f"--prior-ids: no record with id {', '.join(map(str, missing))} in the data")
    return [pos[str(p)] for p in prior_ids]


def simulate(
    records: pd.DataFrame,
    *,
    label_column: str = DEFAULT_LABEL,
    seed: int = 0,
    prior_ids: Sequence[str] | None = None,
    settings: SimulationSettings | None = None,
    criteria: Criteria | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> pd.DataFrame:
    """Replay one screening of a labelled pool; returns the order (``rank,record_id,label,is_prior,score``)."""
    settings = settings or SimulationSettings()
    if settings.retrain_every < 1:
        raise ConfigError(f"retrain_every must be >= 1, got {settings.retrain_every}")
    if settings.stop_at_recall is not None and not 0 < settings.stop_at_recall <= 1:
        raise ConfigError(f"stop_at_recall must be in (0, 1], got {settings.stop_at_recall}")
    y_file = labels_of(records, label_column)
    # None: draw one included and one excluded prior; an empty list: start cold (criteria only, or random).
    priors_file = draw_priors(y_file, seed) if prior_ids is None else prior_rows(records, prior_ids)

    rng = check_random_state(seed)
    # Canonical order (by record id), then a seeded shuffle: the input's row order cannot matter.
    ids_file = records["record_id"].astype(str).to_numpy()
    perm = np.argsort(ids_file, kind="stable")[rng.permutation(len(ids_file))]
    where = np.empty_like(perm)
    where[perm] = np.arange(len(perm))
    pool = records.iloc[perm].reset_index(drop=True)
    y = y_file[perm]
    ids = ids_file[perm]

    features = TextFeatures(**settings.features)
    X = features.fit_transform(pool)  # float32: half the memory traffic when scoring every record
    pseudo = features.transform([criteria.pseudo_document()]) if criteria else None
    learner = ActiveLearner(**{**settings.learner, "random_state": rng})

    labels = np.full(len(y), UNLABELLED, dtype=np.int8)
    prior_pos = [int(where[p]) for p in priors_file]
    labels[prior_pos] = y[prior_pos]
    picked: list[int] = []
    picked_scores: list[float] = []
    n_relevant = int(y.sum())
    found = int(y[prior_pos].sum())
    n_total = len(y) - len(prior_pos)
    # records@r's target: relevant records found outside the priors (EVALUATION.md)
    stop_found = (found + math.ceil(settings.stop_at_recall * (n_relevant - found) - 1e-9)
                  if settings.stop_at_recall is not None else None)
    since_fit = settings.retrain_every
    scores = None
    checkpoints: list[tuple[int, float, float]] = []  # for model-based stopping rules
    while len(picked) < n_total:
        if since_fit >= settings.retrain_every or scores is None:
            learner.fit(X, labels, pseudo=pseudo)
            scores = learner.scores(X)
            since_fit = 0
            p = scores[labels == UNLABELLED]
            checkpoints.append((len(prior_pos) + len(picked), float(p.sum()), float((p * (1 - p)).sum())))
        j = int(learner.select(scores, labels, n=1)[0])
        labels[j] = y[j]
        picked.append(j)
        picked_scores.append(float(scores[j]))
        found += int(y[j])
        since_fit += 1
        if progress is not None:
            progress(len(picked), n_total)
        if (settings.stop_at_last_relevant and found == n_relevant) or (stop_found is not None and found >= stop_found):
            break

    rows = prior_pos + picked
    order = pd.DataFrame(
        {
            "rank": np.arange(1, len(rows) + 1),
            "record_id": ids[rows],
            "label": y[rows],
            "is_prior": np.r_[np.ones(len(prior_pos), int), np.zeros(len(picked), int)],
            "score": np.r_[np.full(len(prior_pos), np.nan), picked_scores],
        }
    )
    order.attrs["checkpoints"] = pd.DataFrame(checkpoints, columns=["n_screened", "expected_remaining", "var"])
    return order


def run_metrics(order: pd.DataFrame, pool_size: int, n_relevant: int | None = None) -> dict:
    """Metrics of a (possibly stopped-early) order: the unscreened records count as screened last.

    After ``stop_at_last_relevant`` every unscreened record is irrelevant. After ``stop_at_recall``
    give ``n_relevant`` (relevant records in the pool): the unfound ones go at the very end, so
    ``records@r`` is exact up to the recall the run stopped at and a worst case beyond it.
    """
    if len(order) < pool_size:
        missing = pool_size - len(order)
        unfound = 0 if n_relevant is None else n_relevant - int(order["label"].sum())
        tail = pd.DataFrame({"rank": np.arange(len(order) + 1, pool_size + 1), "record_id": [f"__unscreened{i}" for i in range(missing)],
                             "label": np.r_[np.zeros(missing - unfound, int), np.ones(unfound, int)], "is_prior": 0, "score": np.nan})
        order = pd.concat([order, tail], ignore_index=True)
    return evaluate_order(order, [*DEFAULT_METRICS, "first@1", "first@5"])


@dataclass(frozen=True)
class SimulationJob:
    """One (data set, seed) run of a sweep, written to ``out_dir``."""

    data: str
    seed: int
    out_dir: str
    label_column: str = DEFAULT_LABEL
    prior_ids: tuple[str, ...] | None = None
    criteria: str | None = None
    settings: SimulationSettings = field(default_factory=SimulationSettings)


def run_job(job: SimulationJob) -> dict:
    """Read the data, simulate, write ``order.csv`` and ``metrics.json``; returns the metrics row."""
    from screener.criteria import load_criteria
    from screener.orders import write_order
    from screener.readers import read_file

    records = read_file(job.data)
    criteria = load_criteria(job.criteria) if job.criteria else None
    t0 = time.perf_counter()
    try:
        order = simulate(records, label_column=job.label_column, seed=job.seed, prior_ids=job.prior_ids,
                         settings=job.settings, criteria=criteria)
    except ScreenerError as exc:  # name the file: a sweep reads many
        raise type(exc)(f"{job.data}: {exc}") from None
    wall = time.perf_counter() - t0
    row = {
        "dataset": Path(job.data).stem,
        "seed": job.seed,
        "label_column": job.label_column,
        "prior_ids": [str(r) for r in order.loc[order.is_prior == 1, "record_id"]],
        "criteria": job.criteria,
        **run_metrics(order, len(records), int(labels_of(records, job.label_column).sum())),
        "wall_s": round(wall, 3),
        "settings": job.settings.as_dict(),
        "versions": library_versions(),
    }
    out = Path(job.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    write_order(order, out / "order.csv")
    (out / "metrics.json").write_text(json.dumps(row, indent=2, default=_jsonable))
    return row


def _jsonable(value):
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    return str(value)
