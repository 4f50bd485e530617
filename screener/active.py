"""One active-learning step: fit on the labelled rows, score every row, pick what to screen next.

``step`` is that step, and the simulation (``simulate``), a session's background trainer
(``session.Trainer``) and ``rank`` all call it, so benchmarks measure what users run. How the
learner is refit from one step to the next is its ``fit_policy`` (``FitPolicy``): warm-started from
the last fit with a pass budget and a partly kept presumed-irrelevant sample (``WARM``, what
simulations and projects run), or every fit from scratch (``FRESH``).

Labels are one int8 array over the pool (``screener.labels``): 1 relevant, 0 irrelevant, -1 not
yet screened, and 2 held (a "maybe": not a training example, not queued again).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Protocol

import numpy as np
import scipy.sparse as sp
import sklearn
from sklearn.base import BaseEstimator, clone

from screener.errors import ConfigError
from screener.labels import HELD, UNLABELLED
from screener.model import DEFAULT_C, DEFAULT_TOL, calibrated_proba, class_weights, make_classifier
from screener.query import make_query_strategy
from screener.seeding import check_random_state
from screener.solver import WarmLogisticRegression

__all__ = ["FRESH", "UNLABELLED", "WARM", "ActiveLearner", "FitPolicy", "Learner", "QueueSelection", "StepResult", "step"]


@dataclass(frozen=True)
class FitPolicy:
    """How the learner is refit as labels arrive: a setting of its own, stored with every run.

    warm_start : each fit carries on from the last one (its dual variables and presumed sample);
        ``False`` fits every time from scratch, to ``tol``, with a new presumed sample.
    warm_epochs : passes over the training rows of a fit that carries on from the last one
        (``solver="cd"`` only): a whole number, or a share in (0, 1) for one partial pass (the rows
        new to the fit, then that share of the others at random); ``None`` runs every fit to
        ``tol``. What a fit leaves undone is carried on by the next; a fit from scratch (the
        first, or on another matrix) always runs to ``tol``.
    presumed_refresh : share of the presumed-irrelevant sample drawn anew at each fit (the rest is
        kept from the last fit, less any record labelled since); 1 draws a new sample every time.

    ``WARM`` (0.5 passes, a tenth of the sample new) ranks as well as fitting every time to
    ``tol`` with a new sample, with far less work per step (README, "How the defaults were
    chosen"; ``benchmarks/sweep_ranker.py``).
    """

    warm_start: bool = True
    warm_epochs: float | None = 0.5
    presumed_refresh: float = 0.1

    def check(self) -> None:
        """Raise ``ConfigError`` naming the first bad field."""
        if not isinstance(self.warm_start, (bool, np.bool_)):
            raise ConfigError(f"fit_policy.warm_start must be True or False, got {self.warm_start!r}")
        we = self.warm_epochs
        if we is not None and not (isinstance(we, (int, float, np.number)) and not isinstance(we, bool)
                                   and (0 < we < 1 or we == int(we) >= 1)):
            raise ConfigError(f"fit_policy.warm_epochs must be a whole number >= 1, a share in (0, 1), or None; got {we!r}")
        if not (isinstance(self.presumed_refresh, (int, float, np.number)) and 0 < self.presumed_refresh <= 1):
            raise ConfigError(f"fit_policy.presumed_refresh must be in (0, 1], got {self.presumed_refresh!r}")

    def as_dict(self) -> dict:
        return asdict(self)


WARM = FitPolicy()
FRESH = FitPolicy(warm_start=False, warm_epochs=None, presumed_refresh=1.0)


class QueueSelection:
    """Picking from the unscreened rows by a query strategy: what every learner ``step`` drives shares.

    Needs ``_setup()`` (idempotent) to give ``query_`` (a query strategy) and ``rng_`` (the learner's generator).
    """

    def select(self, scores: np.ndarray, labels: np.ndarray, n: int = 1) -> np.ndarray:
        """Row indices of the next ``n`` unscreened records, in the order to show them."""
        self._setup()
        unl = np.flatnonzero(np.asarray(labels) == UNLABELLED)
        if len(unl) == 0:
            return unl
        picked = self.query_.select(np.asarray(scores)[unl], min(n, len(unl)), self.rng_)
        return unl[picked]

    def ranking(self, scores: np.ndarray, labels: np.ndarray) -> np.ndarray:
        """Every unscreened row in queue order: the next record as ``select`` picks it (the same
        draws as a simulation's), then the rest in the query strategy's order under a generator
        seeded by the learner's state (``_tail_generator``), which leaves the learner's own draws untouched."""
        head = self.select(scores, labels, n=1)
        rest = np.asarray(labels) == UNLABELLED
        rest[head] = False
        unl = np.flatnonzero(rest)
        if len(unl) == 0:
            return head
        tail = self.query_.select(np.asarray(scores)[unl], len(unl), _tail_generator(self.rng_))
        return np.concatenate([head, unl[tail]])


def _tail_generator(rng: np.random.Generator) -> np.random.Generator:
    """A generator for the queue's tail, seeded by ``rng``'s state alone (``rng`` is not advanced).

    ``rng.spawn`` would depend on the seed sequence behind ``rng``, which a model restored from its
    file does not have (only the state is saved): the same state must give the same queue.
    """
    state = rng.bit_generator.state.get("state")
    if isinstance(state, dict) and isinstance(state.get("state"), int):
        return np.random.default_rng([state["state"] & (2**64 - 1), state["state"] >> 64, 0x7A11])
    return rng.spawn(1)[0]


class ActiveLearner(QueueSelection, BaseEstimator):
    """Class-weighted logistic regression plus a query strategy.

    A scikit-learn estimator: the constructor stores its arguments unchanged; they are checked at
    the first fit or select (``ConfigError``, a ``ValueError``, naming the parameter).

    Parameters
    ----------
    C : inverse regularisation strength of the logistic regression.
    class_weight : ``"balanced"`` or the relevant class's total weight relative to the irrelevant class's.
    query : name of a query strategy (``screener.query.QUERY_STRATEGIES``).
    random_share : share of random picks for the ``max_random`` strategy.
    presumed_negatives : number of unscreened records, drawn at random at each fit, added as
        irrelevant examples ("presumptive non-relevant", Cormack & Grossman's BMI, 2015). With a
        few percent relevant records a random record is almost always irrelevant; the sample
        stops early models from latching onto the first few labels. At least 100 are used
        while no irrelevant record is labelled (README, "How the defaults were chosen").
    presumed_share : draw the presumed-irrelevant sample from this share of the unscreened
        records, those the last model scored lowest (1: from all of them, at random; a smaller
        share keeps relevant records the model already ranks high out of the sample).
    max_negatives : keep at most this many labelled irrelevant records in a fit: those the
        current model scores highest (the hardest), as in FASTREAD's aggressive undersampling
        (Yu, Kraft & Menzies 2018). It bounds the cost of a step however many records are
        labelled. ``None`` keeps them all.
    criteria_weight : sample weight of the criteria pseudo-document, a relevant example
        (cold start). It counts until ``criteria_until`` relevant records are labelled.
    criteria_until : number of labelled relevant records after which the pseudo-document is dropped.
    solver : ``"cd"`` (``screener.solver``: liblinear's dual coordinate descent, compiled, each fit
        started from the previous model) or ``"liblinear"`` (scikit-learn's, every fit from scratch).
    tol : the solver's stopping tolerance (liblinear's ``eps``).
    classifier : any scikit-learn-style linear classifier (``fit(X, y, sample_weight=)``, ``coef_``,
        ``intercept_``), e.g. ``LinearSVC()``; it is cloned, given a seed drawn from ``random_state``
        if it takes one, and fit on the training rows. ``None``: the built-in logistic regression
        of ``solver``, ``C`` and ``tol`` (which an injected classifier replaces). Its margins are
        calibrated as a logistic regression's would be: only a logistic regression gives
        probabilities that the stopping advice can trust.
    fit_policy : ``FitPolicy`` (or a dict of its fields); ``None`` is ``WARM``.
    random_state : seed or ``numpy.random.Generator``; the only source of randomness.
    """

    def __init__(
        self,
        *,
        C: float = DEFAULT_C,
        class_weight: float | str = "balanced",
        query: str = "max",
        random_share: float = 0.05,
        presumed_negatives: int = 100,
        presumed_share: float = 1.0,
        max_negatives: int | None = None,
        criteria_weight: float = 1.0,
        criteria_until: int = 3,
        solver: str = "cd",
        tol: float = DEFAULT_TOL,
        classifier=None,
        fit_policy: FitPolicy | dict | None = None,
        random_state=None,
    ):
        self.C = C
        self.class_weight = class_weight
        self.query = query
        self.random_share = random_share
        self.presumed_negatives = presumed_negatives
        self.presumed_share = presumed_share
        self.max_negatives = max_negatives
        self.criteria_weight = criteria_weight
        self.criteria_until = criteria_until
        self.solver = solver
        self.tol = tol
        self.classifier = classifier
        self.fit_policy = fit_policy
        self.random_state = random_state

    @property
    def policy(self) -> FitPolicy:
        """The fit policy in force: ``WARM`` when ``fit_policy`` is None; a dict (from a JSON
        configuration) names ``FitPolicy`` fields."""
        if self.fit_policy is None:
            return WARM
        if isinstance(self.fit_policy, dict):
            unknown = set(self.fit_policy) - set(FitPolicy.__dataclass_fields__)
            if unknown:
                raise ConfigError(f"fit_policy: unknown field {', '.join(sorted(unknown))}; "
                                  f"fields: {', '.join(FitPolicy.__dataclass_fields__)}")
            return FitPolicy(**self.fit_policy)
        if not isinstance(self.fit_policy, FitPolicy):
            raise ConfigError(f"fit_policy must be a FitPolicy, a dict of its fields or None, got {self.fit_policy!r}")
        return self.fit_policy

    def settings(self) -> dict:
        """The parameters that decide a ranking, as JSON-able values (the fit policy as a dict,
        a classifier by its repr, no ``random_state``)."""
        params = self.get_params(deep=False)
        params.pop("random_state")
        if params["presumed_share"] == 1.0:  # added after projects were made: at its default it is left
            params.pop("presumed_share")     # out, so a project's stored settings and saved model still match
        params["fit_policy"] = self.policy.as_dict()
        if params["classifier"] is not None:
            params["classifier"] = repr(params["classifier"])
        return params

    # -- fitting -------------------------------------------------------------------------------
    def _setup(self) -> None:
        if hasattr(self, "rng_"):
            return
        self.policy.check()
        if self.classifier is None and self.solver not in ("cd", "liblinear"):
            raise ConfigError(f"solver must be 'cd' or 'liblinear', got {self.solver!r}")
        if self.classifier is not None and not (hasattr(self.classifier, "fit") and hasattr(self.classifier, "get_params")):
            raise ConfigError(f"classifier must be a scikit-learn-style estimator, got {self.classifier!r}")
        if self.presumed_negatives < 0:
            raise ConfigError(f"presumed_negatives must be >= 0, got {self.presumed_negatives!r}")
        if not 0 < self.presumed_share <= 1:
            raise ConfigError(f"presumed_share must be in (0, 1], got {self.presumed_share!r}")
        if self.max_negatives is not None and self.max_negatives < 1:
            raise ConfigError(f"max_negatives must be >= 1 or None, got {self.max_negatives!r}")
        self.rng_ = check_random_state(self.random_state)
        params = {"random_share": self.random_share} if self.query == "max_random" else {}
        self.query_ = make_query_strategy(self.query, **params)
        self.classifier_ = self._new_classifier()

    def _new_classifier(self):
        """A classifier to fit, its seed drawn from ours (the solver shuffles coordinates)."""
        seed = int(self.rng_.integers(2**31 - 1))
        if self.classifier is not None:
            clf = clone(self.classifier)
            if "random_state" in clf.get_params(deep=False):
                clf.set_params(random_state=seed)
            return clf
        if self.solver == "cd":
            return WarmLogisticRegression(C=self.C, tol=self.tol, warm_epochs=self.policy.warm_epochs, random_state=seed)
        return make_classifier(C=self.C, tol=self.tol, random_state=seed)

    def fit(self, X: sp.csr_matrix, labels: np.ndarray, *, pseudo: sp.csr_matrix | None = None) -> ActiveLearner:
        """Fit on the labelled rows of ``X`` (and the criteria pseudo-document, if given).

        Under a fit policy without ``warm_start`` every fit starts from scratch (a new classifier
        and presumed sample); otherwise it carries on from the last.
        """
        solve = self.fit_begin(X, labels, pseudo=pseudo)
        if solve is not None:
            solve()
        return self

    def fit_begin(self, X: sp.csr_matrix, labels: np.ndarray, *, pseudo: sp.csr_matrix | None = None):
        """``fit`` in two parts: this one draws from the learner's generator (the presumed sample)
        and returns the other, the solver's run, as a callable (``None`` if there is nothing to
        fit). The solver draws only from its own generator, so a rank ensemble runs its members'
        solvers side by side (``screener.ensemble``) and fits exactly as one after the other."""
        first = not hasattr(self, "rng_")
        self._setup()
        if not first and not self.policy.warm_start:
            self.classifier_ = self._new_classifier()
            self.presumed_ = None
        labels = np.asarray(labels)
        if labels.shape[0] != X.shape[0]:
            raise ConfigError(f"labels has {labels.shape[0]} entries but the pool has {X.shape[0]} records")
        pos = np.flatnonzero(labels == 1)
        neg = np.flatnonzero(labels == 0)
        self.n_labelled_ = len(pos) + len(neg)
        n_neg_all = len(neg)
        if self.max_negatives is not None and len(neg) > self.max_negatives:
            neg = self._hardest(X, neg)
        use_pseudo = pseudo is not None and len(pos) < self.criteria_until and self.criteria_weight > 0
        self.used_criteria_ = use_pseudo  # whether this fit learns from the criteria row (a rank ensemble asks)
        n_presumed = self.presumed_negatives if len(neg) else max(self.presumed_negatives, 100)
        unl = np.flatnonzero(labels == UNLABELLED)
        presumed = self._presumed(labels, self._presumable(X, unl), min(n_presumed, len(unl)))
        if (len(pos) == 0 and not use_pseudo) or (len(neg) + len(presumed) == 0):
            self.coef_ = None  # nothing to learn from yet: the queue is in random order
            return None

        rows = np.concatenate([pos, neg, presumed])
        y = np.concatenate([np.ones(len(pos)), np.zeros(len(neg) + len(presumed))]).astype(np.int8)
        if use_pseudo:
            y = np.append(y, 1).astype(np.int8)
        w_pos, w_neg = class_weights(y, self.class_weight)
        weights = np.where(y == 1, w_pos, w_neg)
        if use_pseudo:
            weights[-1] *= self.criteria_weight
        if not (isinstance(self.classifier_, WarmLogisticRegression) and not use_pseudo):
            Xt = sp.vstack([X[rows], pseudo], format="csr") if use_pseudo else X[rows]

        def solve() -> None:
            if isinstance(self.classifier_, WarmLogisticRegression) and not use_pseudo:
                self.classifier_.fit(X, y, sample_weight=weights, rows=rows)  # the rows in place, no copy
            else:
                with sklearn.config_context(skip_parameter_validation=True, assume_finite=True):
                    self.classifier_.fit(Xt, y, sample_weight=weights)
            self.coef_ = np.asarray(self.classifier_.coef_).ravel().astype(X.dtype)  # float32 X: a float32 product
            self.intercept_ = float(np.ravel(self.classifier_.intercept_)[0])
            # Dropping irrelevant examples raises the fitted odds as class weighting does: undo both
            # when calibrating (approximate for hard negatives, which are not a random subsample).
            self.weights_ = (w_pos * max(n_neg_all, 1) / max(len(neg), 1), w_neg)

        return solve

    def _presumable(self, X: sp.csr_matrix, unl: np.ndarray) -> np.ndarray:
        """The unscreened rows the presumed sample is drawn from: all, or the ``presumed_share``
        the last model scored lowest (random ties)."""
        if self.presumed_share >= 1 or getattr(self, "coef_", None) is None:
            return unl
        k = max(int(np.ceil(self.presumed_share * len(unl))), 1)
        margins = X[unl] @ self.coef_
        low = np.lexsort((self.rng_.random(len(unl)), margins))[:k]
        return np.sort(unl[low])

    def _presumed(self, labels: np.ndarray, unl: np.ndarray, n: int) -> np.ndarray:
        """The presumed-irrelevant sample: ``n`` unscreened rows, the fit policy's ``presumed_refresh`` of them new at each fit."""
        last = getattr(self, "presumed_", None)
        n = min(n, len(unl))
        if n == 0:
            presumed = unl[:0]
        elif self.policy.presumed_refresh >= 1 or last is None:
            presumed = self.rng_.choice(unl, size=n, replace=False)
        else:
            keep = last[labels[last] == UNLABELLED]
            n_keep = min(len(keep), n - int(np.ceil(self.policy.presumed_refresh * n)))
            keep = self.rng_.choice(keep, size=max(n_keep, 0), replace=False)
            free = np.zeros(len(labels), dtype=bool)
            free[unl] = True
            free[keep] = False
            presumed = np.concatenate([keep, self.rng_.choice(np.flatnonzero(free), size=n - len(keep), replace=False)])
        self.presumed_ = presumed
        return presumed

    def _hardest(self, X: sp.csr_matrix, neg: np.ndarray) -> np.ndarray:
        """The ``max_negatives`` irrelevant records the current model scores highest (random ties)."""
        if getattr(self, "coef_", None) is None:
            return self.rng_.choice(neg, self.max_negatives, replace=False)
        margins = X[neg] @ self.coef_
        keep = np.lexsort((self.rng_.random(len(neg)), -margins))[: self.max_negatives]
        return np.sort(neg[keep])

    # -- scoring and querying ---------------------------------------------------------------------
    def margins(self, X: sp.csr_matrix) -> np.ndarray:
        """Raw decision values (for ranking; ``scores`` for probabilities)."""
        if getattr(self, "coef_", None) is None:
            return np.zeros(X.shape[0])
        return X @ self.coef_ + self.intercept_

    def scores(self, X: sp.csr_matrix) -> np.ndarray:
        """Calibrated probability of relevance of every row (0.5 everywhere before any model)."""
        if getattr(self, "coef_", None) is None:
            return np.full(X.shape[0], 0.5)
        return calibrated_proba(self.margins(X), *self.weights_)


class Learner(Protocol):
    """What ``step`` drives: ``ActiveLearner``, or any object with the same four methods (a rank
    ensemble, ``screener.ensemble.RankEnsemble``, whose ``X`` is one matrix per member, and whose
    ``priority(X, labels)``, the scores its queue follows, ``step`` uses where a learner has one)."""

    def fit(self, X: Any, labels: np.ndarray, *, pseudo: Any = None) -> Learner: ...

    def scores(self, X: Any) -> np.ndarray: ...

    def select(self, scores: np.ndarray, labels: np.ndarray, n: int = 1) -> np.ndarray: ...

    def ranking(self, scores: np.ndarray, labels: np.ndarray) -> np.ndarray: ...


@dataclass(frozen=True)
class StepResult:
    """What one step gives: every row's calibrated score, the rows to show next, in order, and
    the scores the queue follows (``priority``: the scores themselves, except for a learner with
    a ``priority`` of its own, such as a rank ensemble, whose queue combines its members' ranks)."""

    scores: np.ndarray
    queue: np.ndarray
    priority: np.ndarray | None = None

    def __post_init__(self):
        if self.priority is None:
            object.__setattr__(self, "priority", self.scores)


def step(learner: Learner, X: sp.csr_matrix, labels: np.ndarray, *, candidates: np.ndarray | None = None,
         pseudo: sp.csr_matrix | None = None, n: int | None = 1, fit: bool = True) -> StepResult:
    """One active-learning step: fit ``learner`` on the labelled rows, score every row, pick the next.

    ``labels`` are learner labels (``screener.labels``); a held row (2, a "maybe") is left out of
    the queue but may be drawn into the presumed-irrelevant sample like any unscreened row.
    ``candidates`` (learner labels too), where it differs from ``labels``, says which rows may be
    picked: its unscreened ones (a reviewer in a team is served only the records open to them).
    ``n`` is how many records to pick (``None``: the whole queue, as a session needs to serve
    records while the next fit runs; its first record is the one ``n=1`` picks). ``fit=False``
    scores and picks with the learner as it is (a model loaded from a project).
    """
    labels = np.asarray(labels)
    if fit:
        held = labels == HELD
        learner.fit(X, np.where(held, UNLABELLED, labels).astype(np.int8) if held.any() else labels, pseudo=pseudo)
    priority = learner.priority(X, labels) if hasattr(learner, "priority") else None
    scores = learner.scores(X)
    order_by = scores if priority is None else priority
    candidates = labels if candidates is None else np.asarray(candidates)
    picked = learner.ranking(order_by, candidates) if n is None else learner.select(order_by, candidates, n=n)
    return StepResult(scores, picked, priority)
