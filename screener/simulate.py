"""Replaying a fully labelled pool: the oracle loop over ``active`` (EVALUATION.md's protocol).

Priors are drawn as EVALUATION.md defines (``RandomState(seed).choice`` over the
included rows in file order, then a fresh ``RandomState(seed)`` over the excluded
rows) or given as record ids. Everything after that is independent of the
input's row order: the pool is put in record-id order and shuffled with the seed.
The loop itself (``replay``) is ``active.step`` once per record, the step a project's
session runs; ``replay_pool`` is the protocol around it for any learner ``step`` drives (the
built-in ``ActiveLearner`` here, a rank ensemble in ``screener.ensemble``).
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

from screener.active import Learner, step
from screener.criteria import Criteria
from screener.errors import ConfigError, ScreenerError
from screener.labels import LABEL_COLUMN, UNLABELLED, file_labels
from screener.metrics import DEFAULT_METRICS, evaluate_order
from screener.model import library_versions
from screener.seeding import stream
from screener.settings import DEFAULT_VIEWS, RankerSettings, check_views

DEFAULT_LABEL = LABEL_COLUMN
labels_of = file_labels  # the name simulations have used


@dataclass(frozen=True)
class SimulationSettings:
    """How a run is replayed: learner and feature settings (``RankerSettings``) plus the loop's own."""

    learner: dict = field(default_factory=dict)
    features: dict = field(default_factory=dict)
    retrain_every: int = 1
    stop_at_last_relevant: bool = False
    stop_at_recall: float | None = None  # stop once this share of the (non-prior) relevant records is found
    views: str = DEFAULT_VIEWS  # the interleave, or "word" (``screener.settings.VIEWS``)

    @property
    def ranker(self) -> RankerSettings:
        return RankerSettings(features=self.features, learner=self.learner, views=self.views)

    def as_dict(self) -> dict:
        return {
            **self.ranker.as_dict(),
            "retrain_every": self.retrain_every,
            "stop_at_last_relevant": self.stop_at_last_relevant,
            "stop_at_recall": self.stop_at_recall,
        }

    def check(self) -> None:
        if not isinstance(self.retrain_every, int) or self.retrain_every < 1:
            raise ConfigError(f"retrain_every must be an integer >= 1, got {self.retrain_every!r}")
        if self.stop_at_recall is not None and not 0 < self.stop_at_recall <= 1:
            raise ConfigError(f"stop_at_recall must be in (0, 1], got {self.stop_at_recall}")
        check_views(self.views)


@dataclass(frozen=True)
class Simulation:
    """A replayed screening: the order, the model's checkpoints (``n_screened``,
    ``expected_remaining``, ``var`` after each fit, for model-based stopping rules; ``None`` when
    the learner's scores are not probabilities) and the learner."""

    order: pd.DataFrame
    checkpoints: pd.DataFrame | None
    learner: Learner | None = field(default=None, repr=False, compare=False)  # as the last step left it


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
    return run_simulation(records, label_column=label_column, seed=seed, prior_ids=prior_ids, settings=settings,
                          criteria=criteria, progress=progress).order


def run_simulation(
    records: pd.DataFrame,
    *,
    label_column: str = DEFAULT_LABEL,
    seed: int = 0,
    prior_ids: Sequence[str] | None = None,
    settings: SimulationSettings | None = None,
    criteria: Criteria | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Simulation:
    """As ``simulate``, with the model's checkpoints."""
    settings = settings or SimulationSettings()
    settings.check()

    def build(pool: pd.DataFrame, rng: np.random.Generator) -> tuple[Learner, object, object]:
        features = settings.ranker.make_features()  # one matrix per view; float32, half the memory traffic
        X = features.fit_transform(pool)
        pseudo = features.transform([criteria.pseudo_document()]) if criteria else None
        return settings.ranker.make_learner(random_state=rng), X, pseudo

    return replay_pool(records, build, label_column=label_column, seed=seed, prior_ids=prior_ids,
                       retrain_every=settings.retrain_every, stop_at_recall=settings.stop_at_recall,
                       stop_at_last_relevant=settings.stop_at_last_relevant, progress=progress)


Build = Callable[[pd.DataFrame, np.random.Generator], tuple[Learner, object, object]]


@dataclass(frozen=True)
class EnsembleRun:
    """A replayed screening by a ``screener.ensemble.RankEnsemble``: the order (``simulate``'s
    columns) and the members' weights at the end (equal unless ``adapt``)."""

    order: pd.DataFrame
    weights: tuple[float, ...]


def simulate_ensemble(records: pd.DataFrame, *, label_column: str = DEFAULT_LABEL, seed: int = 0,
                      prior_ids: Sequence[str] | None = None, members: Sequence[dict] = ({"features": "word"},),
                      features: dict | None = None, stop_at_recall: float | None = None, **params) -> EnsembleRun:
    """Replay one screening with a ``RankEnsemble`` of ``members`` (``params``: its other
    parameters, ``adapt``, ``combine``, ``weights`` and so on; ``features`` maps a feature-set name
    to its settings): ``replay_pool``, the protocol and loop of every replay."""
    from screener.ensemble import ensemble_build  # the ensemble's model code, loaded only when used

    build = ensemble_build(members=members, features=features, **params)
    run = replay_pool(records, build, label_column=label_column, seed=seed, prior_ids=prior_ids,
                      stop_at_recall=stop_at_recall)
    return EnsembleRun(run.order, tuple(float(w) for w in run.learner.weights_))


def replay_pool(
    records: pd.DataFrame,
    build: Build,
    *,
    label_column: str = DEFAULT_LABEL,
    seed: int = 0,
    prior_ids: Sequence[str] | None = None,
    retrain_every: int = 1,
    stop_at_recall: float | None = None,
    stop_at_last_relevant: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> Simulation:
    """EVALUATION.md's protocol around ``replay``, for any learner ``active.step`` drives.

    ``build(pool, rng)`` gives ``(learner, X, pseudo)`` for the shuffled pool: ``X`` is whatever
    the learner's ``fit``/``scores`` take (a matrix; an ensemble's one matrix per member), and
    ``rng`` (the ``simulation`` stream, after the shuffle) is the learner's only generator.
    """
    y_file = labels_of(records, label_column)
    # None: draw one included and one excluded prior; an empty list: start cold (criteria only, or random).
    priors_file = draw_priors(y_file, seed) if prior_ids is None else prior_rows(records, prior_ids)

    rng = stream("simulation", seed)  # the shuffle, then the learner: one generator, as always
    # Canonical order (by record id), then a seeded shuffle: the input's row order cannot matter.
    ids_file = records["record_id"].astype(str).to_numpy()
    perm = np.argsort(ids_file, kind="stable")[rng.permutation(len(ids_file))]
    where = np.empty_like(perm)
    where[perm] = np.arange(len(perm))
    pool = records.iloc[perm].reset_index(drop=True)
    y = y_file[perm]
    ids = ids_file[perm]
    learner, X, pseudo = build(pool, rng)

    labels = np.full(len(y), UNLABELLED, dtype=np.int8)
    prior_pos = [int(where[p]) for p in priors_file]
    labels[prior_pos] = y[prior_pos]
    n_relevant = int(y.sum())
    found = int(y[prior_pos].sum())
    # records@r's target: relevant records found outside the priors (EVALUATION.md)
    stop_found = (found + math.ceil(stop_at_recall * (n_relevant - found) - 1e-9)
                  if stop_at_recall is not None else None)
    if stop_at_last_relevant:
        stop_found = n_relevant if stop_found is None else min(stop_found, n_relevant)
    picked, picked_scores, checkpoints = replay(learner, X, y, labels, pseudo=pseudo, retrain_every=retrain_every,
                                                stop_found=stop_found, progress=progress)

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
    cps = pd.DataFrame(checkpoints, columns=["n_screened", "expected_remaining", "var"]) if _calibrated(learner) else None
    return Simulation(order, cps, learner)


def _calibrated(learner: Learner) -> bool:
    """Whether the learner's scores are probabilities: checkpoints sum them, so a learner whose
    scores are not (an ensemble of models without probabilities) has none, and model-based stopping rules are left out of
    its replays."""
    return bool(getattr(learner, "calibrated", True))


def replay(learner: Learner, X, y: np.ndarray, labels: np.ndarray, *, pseudo=None, retrain_every: int = 1,
           stop_found: int | None = None, max_picks: int | None = None,
           progress: Callable[[int, int], None] | None = None,
           ) -> tuple[list[int], list[float], list[tuple[int, float, float]]]:
    """The oracle loop: ``active.step``, then the record it picks labelled with its true label ``y``.

    ``labels`` (learner labels, the priors known) is updated in place. With ``retrain_every``
    > 1 the records between fits are picked from the last scores. Stops when every record is
    screened, ``stop_found`` relevant records are found or ``max_picks`` records are picked. Returns the rows picked, their scores
    at the time and the model's checkpoints (records screened, expected and variance of the
    relevant records left, after each fit; none when its scores are not probabilities).
    """
    picked: list[int] = []
    picked_scores: list[float] = []
    checkpoints: list[tuple[int, float, float]] = []
    n_known = int((labels != UNLABELLED).sum())
    n_total = int((labels == UNLABELLED).sum())
    found = int((labels == 1).sum())
    since_fit, scores = retrain_every, None
    calibrated = _calibrated(learner)
    while len(picked) < n_total:
        if since_fit >= retrain_every or scores is None:
            result = step(learner, X, labels, pseudo=pseudo, n=1)
            scores, priority, j = result.scores, result.priority, int(result.queue[0])
            since_fit = 0
            if calibrated:
                p = scores[labels == UNLABELLED]
                checkpoints.append((n_known + len(picked), float(p.sum()), float((p * (1 - p)).sum())))
        else:
            j = int(learner.select(priority, labels, n=1)[0])
        labels[j] = y[j]
        picked.append(j)
        picked_scores.append(float(scores[j]))
        found += int(y[j])
        since_fit += 1
        if progress is not None:
            progress(len(picked), n_total)
        if (stop_found is not None and found >= stop_found) or len(picked) == max_picks:
            break
    return picked, picked_scores, checkpoints


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
        run = run_simulation(records, label_column=job.label_column, seed=job.seed, prior_ids=job.prior_ids,
                             settings=job.settings, criteria=criteria)
        order = run.order
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
    write_order(order, out / "order.csv", checkpoints=run.checkpoints)
    (out / "metrics.json").write_text(json.dumps(row, indent=2, default=_jsonable))
    return row


def _jsonable(value):
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    return str(value)
