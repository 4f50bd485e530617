"""One active-learning step: fit on the labelled rows, score every row, pick what to screen next.

The simulation and the interactive session share this code, so benchmarks
measure what users run. Labels are one int8 array over the pool: 1 relevant,
0 irrelevant, -1 not yet screened.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import sklearn

from screener.errors import ConfigError
from screener.model import calibrated_proba, class_weights, make_classifier
from screener.query import make_query_strategy
from screener.seeding import check_random_state
from screener.solver import WarmLogisticRegression

UNLABELLED = -1


class ActiveLearner:
    """Class-weighted logistic regression plus a query strategy.

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
        while no irrelevant record is labelled. Default 100: on the shared pools it lowered
        mean records@95 from 307.4 to 300.0 (5 seeds, README "How the defaults were chosen").
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
    warm_epochs : passes over the training rows of a fit that carries on from the last one
        (``"cd"`` only): a whole number, or a share in (0, 1) for one partial pass (the rows new to
        the fit, then that share of the others at random); ``None`` runs every fit to ``tol``. The
        next fit starts from this one's dual variables, so what a fit leaves undone is carried on;
        a fit from scratch (the first, or on another matrix) always runs to ``tol``.
    presumed_refresh : share of the presumed-irrelevant sample drawn anew at each fit (the rest is
        kept from the last fit, less any record labelled since); 1 draws a new sample every time.
    random_state : seed or ``numpy.random.Generator``; the only source of randomness.

    The defaults of ``warm_epochs`` and ``presumed_refresh`` (0.5 and 0.1) rank as well as fitting
    every time to ``tol`` with a new sample (mean records@95 299.7 against 300.1, 14 shared pools
    × 5 seeds, ``benchmarks/sweep_ranker.py``), with far less work per step.
    """

    def __init__(
        self,
        *,
        C: float = 4.0,
        class_weight: float | str = "balanced",
        query: str = "max",
        random_share: float = 0.05,
        presumed_negatives: int = 100,
        presumed_refresh: float = 0.1,
        max_negatives: int | None = None,
        criteria_weight: float = 1.0,
        criteria_until: int = 3,
        solver: str = "cd",
        tol: float = 1e-4,
        warm_epochs: float | None = 0.5,
        random_state=None,
    ):
        self.C = C
        self.class_weight = class_weight
        self.query = query
        self.random_share = random_share
        self.presumed_negatives = presumed_negatives
        self.presumed_refresh = presumed_refresh
        self.max_negatives = max_negatives
        self.criteria_weight = criteria_weight
        self.criteria_until = criteria_until
        self.solver = solver
        self.tol = tol
        self.warm_epochs = warm_epochs
        self.random_state = random_state

    # -- fitting -------------------------------------------------------------------------------
    def _setup(self) -> None:
        if not hasattr(self, "rng_"):
            self.rng_ = check_random_state(self.random_state)
            params = {"random_share": self.random_share} if self.query == "max_random" else {}
            self.query_ = make_query_strategy(self.query, **params)
            # The solver shuffles coordinates with a seed of its own: derive it from ours.
            seed = int(self.rng_.integers(2**31 - 1))
            if self.solver == "cd":
                self.classifier_ = WarmLogisticRegression(C=self.C, tol=self.tol, warm_epochs=self.warm_epochs,
                                                          random_state=seed)
            elif self.solver == "liblinear":
                self.classifier_ = make_classifier(C=self.C, tol=self.tol, random_state=seed)
            else:
                raise ConfigError(f"solver must be 'cd' or 'liblinear', got {self.solver!r}")
            if not 0 < self.presumed_refresh <= 1:
                raise ConfigError(f"presumed_refresh must be in (0, 1], got {self.presumed_refresh!r}")
            if self.presumed_negatives < 0:
                raise ConfigError(f"presumed_negatives must be >= 0, got {self.presumed_negatives!r}")
            if self.max_negatives is not None and self.max_negatives < 1:
                raise ConfigError(f"max_negatives must be >= 1 or None, got {self.max_negatives!r}")

    def fit(self, X: sp.csr_matrix, labels: np.ndarray, *, pseudo: sp.csr_matrix | None = None) -> "ActiveLearner":
        """Fit on the labelled rows of ``X`` (and the criteria pseudo-document, if given)."""
        self._setup()
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
        n_presumed = self.presumed_negatives if len(neg) else max(self.presumed_negatives, 100)
        unl = np.flatnonzero(labels == UNLABELLED)
        presumed = self._presumed(labels, unl, min(n_presumed, len(unl)))
        if (len(pos) == 0 and not use_pseudo) or (len(neg) + len(presumed) == 0):
            self.coef_ = None  # nothing to learn from yet: the queue is in random order
            return self

        rows = np.concatenate([pos, neg, presumed])
        y = np.concatenate([np.ones(len(pos)), np.zeros(len(neg) + len(presumed))]).astype(np.int8)
        if use_pseudo:
            y = np.append(y, 1).astype(np.int8)
        w_pos, w_neg = class_weights(y, self.class_weight)
        weights = np.where(y == 1, w_pos, w_neg)
        if use_pseudo:
            weights[-1] *= self.criteria_weight
        if self.solver == "cd" and not use_pseudo:
            self.classifier_.fit(X, y, sample_weight=weights, rows=rows)  # the rows in place, no copy
        else:
            Xt = sp.vstack([X[rows], pseudo], format="csr") if use_pseudo else X[rows]
            with sklearn.config_context(skip_parameter_validation=True, assume_finite=True):
                self.classifier_.fit(Xt, y, sample_weight=weights)
        self.coef_ = self.classifier_.coef_.ravel().astype(X.dtype)  # float32 X: a float32 product
        self.intercept_ = float(np.ravel(self.classifier_.intercept_)[0])
        # Dropping irrelevant examples raises the fitted odds as class weighting does: undo both
        # when calibrating (approximate for hard negatives, which are not a random subsample).
        self.weights_ = (w_pos * max(n_neg_all, 1) / max(len(neg), 1), w_neg)
        return self

    def _presumed(self, labels: np.ndarray, unl: np.ndarray, n: int) -> np.ndarray:
        """The presumed-irrelevant sample: ``n`` unscreened rows, ``presumed_refresh`` of them new at each fit."""
        last = getattr(self, "presumed_", None)
        if n == 0:
            presumed = unl[:0]
        elif self.presumed_refresh >= 1 or last is None:
            presumed = self.rng_.choice(unl, size=n, replace=False)
        else:
            keep = last[labels[last] == UNLABELLED]
            n_keep = min(len(keep), n - int(np.ceil(self.presumed_refresh * n)))
            keep = self.rng_.choice(keep, size=max(n_keep, 0), replace=False)
            free = labels == UNLABELLED
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

    def select(self, scores: np.ndarray, labels: np.ndarray, n: int = 1) -> np.ndarray:
        """Row indices of the next ``n`` unscreened records, in the order to show them."""
        self._setup()
        unl = np.flatnonzero(np.asarray(labels) == UNLABELLED)
        if len(unl) == 0:
            return unl
        picked = self.query_.select(np.asarray(scores)[unl], min(n, len(unl)), self.rng_)
        return unl[picked]

    def ranking(self, scores: np.ndarray, labels: np.ndarray) -> np.ndarray:
        """Every unscreened row in queue order (the query strategy applied to the whole queue)."""
        return self.select(scores, labels, n=int((np.asarray(labels) == UNLABELLED).sum()))
