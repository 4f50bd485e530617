"""Warm-started L2 logistic regression by dual coordinate descent, compiled with numba.

Active learning refits after every label, each time on nearly the same rows as
the fit before. scikit-learn's liblinear solves every fit from scratch and pays
a fixed validation overhead of its own (about 2 ms a call); this module solves
the same problem with the same algorithm, on the rows of the pool's matrix in
place (no copy of the training rows), and starts each fit from the previous
model, so that a refit needs a few passes over the rows instead of tens.

The problem is liblinear's solver 7 (``L2R_LR_DUAL``), as scikit-learn calls it
with ``LogisticRegression(solver="liblinear", dual=True)`` and
``intercept_scaling=1``::

    min_w  ½‖w‖² + Σ_i C_i log(1 + exp(−y_i w·x_i)),   y_i ∈ {−1, +1}

where the intercept is an extra feature of value 1, regularised like the others,
and ``C_i`` is ``C`` times the row's sample weight. Its dual is solved one
coordinate at a time with a safeguarded Newton method per coordinate (Yu, Huang
& Lin 2011, "Dual coordinate descent methods for logistic regression and maximum
entropy models", Machine Learning 85:41–75, Algorithm 3)::

    min_α  ½ αᵀQα + Σ_i α_i log α_i + (C_i − α_i) log(C_i − α_i),  0 < α_i < C_i,  Q_ij = y_i y_j x_i·x_j

with ``w = Σ_i α_i y_i x_i``. At the optimum ``α_i / C_i`` is the fitted
probability of row i's *other* label, ``σ(−y_i w·x_i)``. That gives the warm
start: every row, old or new, starts from ``α_i = C_i σ(−y_i w₀·x_i)`` under the
previous fit's ``w₀``, which is the previous optimum for rows already fitted
(rescaled to their new ``C_i``) and a good guess for new ones. The stopping rule
is liblinear's: stop after a pass in which no dual gradient exceeded ``tol``.
"""

from __future__ import annotations

import math

import numba
import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator

from screener.errors import ConfigError
from screener.model import DEFAULT_C, DEFAULT_TOL
from screener.seeding import check_random_state

_MAX_INNER = 100  # Newton steps per coordinate (liblinear's max_inner_iter)
_ETA = 0.1  # shrink factor when a Newton step leaves (0, C) (ξ in the paper)
_REFRESH_EVERY = 64  # recompute w = Σ α_i y_i x_i from scratch every this many carried-over fits


@numba.njit(cache=True, nogil=True)
def _start(indptr, indices, data, rows, y, C, w0, warm, alpha, alpha_c, w, xtx):  # pragma: no cover - compiled
    """Initial α (from the model ``w0`` if ``warm``, else liblinear's), then w = Σ α_i y_i x_i and ‖x_i‖² + 1."""
    nf = w.shape[0] - 1
    w[:] = 0.0
    for i in range(rows.shape[0]):
        r = rows[i]
        m = w0[nf]
        s = 1.0
        for k in range(indptr[r], indptr[r + 1]):
            v = data[k]
            s += v * v
            m += w0[indices[k]] * v
        xtx[i] = s
        if warm:
            z = -y[i] * m
            p = 1.0 / (1.0 + np.exp(-min(max(z, -30.0), 30.0)))  # σ(−y m): probability of the other label
            a = C[i] * min(max(p, 1e-8), 1.0 - 1e-8)  # strictly inside (0, C)
        else:
            a = min(0.001 * C[i], 1e-8)  # liblinear's start, just inside the lower bound
        alpha[i] = a
        alpha_c[i] = C[i] - a
        c = y[i] * a
        for k in range(indptr[r], indptr[r + 1]):
            w[indices[k]] += c * data[k]
        w[nf] += c


@numba.njit(cache=True, nogil=True)
def _carry_over(indptr, indices, data, rows, y, C, prev_rows, pool_alpha, pool_y, pool_xtx, mark,
                alpha, alpha_c, xtx, w, fresh):  # pragma: no cover - compiled
    """Start a fit from the last one's dual variables, kept per pool row (``pool_alpha``, ``pool_y``;
    ``w`` = Σ pool_alpha_r pool_y_r x_r on entry).

    A row fitted last time with the same label keeps its α (brought inside its new (0, C_i));
    a row new to the fit, or relabelled, starts from α_i = C_i σ(−y_i w·x_i) under the last
    model (and is flagged in ``fresh``); a row left out now takes its term out of ``w``. Only
    changed rows are touched, so the cost is a small share of a pass when one label is added.
    """
    nf = w.shape[0] - 1
    n = rows.shape[0]
    for i in range(n):
        mark[rows[i]] = i + 1
    # initial α of new and relabelled rows, under the last model (before w changes)
    for i in range(n):
        r = rows[i]
        xtx[i] = pool_xtx[r]
        fresh[i] = pool_y[r] != y[i]
        if not fresh[i]:
            alpha[i] = pool_alpha[r]
        else:
            m = w[nf]
            for k in range(indptr[r], indptr[r + 1]):
                m += w[indices[k]] * data[k]
            z = -y[i] * m
            p = 1.0 / (1.0 + np.exp(-min(max(z, -30.0), 30.0)))
            alpha[i] = C[i] * p
    # rows that left the fit or changed label: their old term leaves w
    for j in range(prev_rows.shape[0]):
        r = prev_rows[j]
        i = mark[r] - 1
        if i < 0 or pool_y[r] != y[i]:
            c = -pool_alpha[r] * pool_y[r]
            for k in range(indptr[r], indptr[r + 1]):
                w[indices[k]] += c * data[k]
            w[nf] += c
            pool_y[r] = 0.0
            pool_alpha[r] = 0.0
    # every row strictly inside (0, C_i); w follows the change
    for i in range(n):
        r = rows[i]
        lo = 1e-8 * C[i]
        a = min(max(alpha[i], lo), C[i] - lo)
        old = pool_alpha[r] if pool_y[r] == y[i] else 0.0
        delta = (a - old) * y[i]
        if delta != 0.0:
            for k in range(indptr[r], indptr[r + 1]):
                w[indices[k]] += delta * data[k]
            w[nf] += delta
        alpha[i] = a
        alpha_c[i] = C[i] - a
        mark[r] = 0


@numba.njit(cache=True, nogil=True)
def _w_from_alpha(indptr, indices, data, rows, y, alpha, w):  # pragma: no cover - compiled
    """w = Σ α_i y_i x_i (intercept last), from scratch."""
    nf = w.shape[0] - 1
    w[:] = 0.0
    for i in range(rows.shape[0]):
        r = rows[i]
        c = y[i] * alpha[i]
        for k in range(indptr[r], indptr[r + 1]):
            w[indices[k]] += c * data[k]
        w[nf] += c


@numba.njit(cache=True, nogil=True)
def _row_norms(indptr, data, out):  # pragma: no cover - compiled
    """‖x_r‖² + 1 (the intercept's feature) for every row."""
    for r in range(out.shape[0]):
        s = 1.0
        for k in range(indptr[r], indptr[r + 1]):
            s += data[k] * data[k]
        out[r] = s


@numba.njit(cache=True, nogil=True)
def _epoch(indptr, indices, data, rows, y, C, alpha, alpha_c, w, xtx, order, innereps):  # pragma: no cover
    """One pass of dual coordinate descent over the rows in ``order`` (liblinear's inner loop).

    ``alpha_c`` holds ``C_i − α_i``: like liblinear we keep both, so that a variable
    near either bound stays accurate. Returns (largest |gradient| seen, Newton steps).
    """
    nf = w.shape[0] - 1
    gmax = 0.0
    newton_iter = 0
    for s in range(order.shape[0]):
        i = order[s]
        r = rows[i]
        Ci = C[i]
        yi = y[i]
        start = indptr[r]
        end = indptr[r + 1]
        d = w[nf]
        for k in range(start, end):
            d += w[indices[k]] * data[k]
        a = xtx[i]
        b = yi * d
        # minimise over α_i (sign 1) or over C_i − α_i (sign −1), whichever is the smaller side
        sign = 1.0
        alpha_old = alpha[i]
        if 0.5 * a * (alpha_c[i] - alpha[i]) + b < 0:
            sign = -1.0
            alpha_old = alpha_c[i]
        z = alpha_old
        if Ci - z < 0.5 * Ci:
            z = 0.1 * z
        gp = a * (z - alpha_old) + sign * b + np.log(z / (Ci - z))
        gmax = max(gmax, abs(gp))
        inner = 0
        while inner <= _MAX_INNER:
            if abs(gp) < innereps:
                break
            gpp = a + Ci / (Ci - z) / z
            tmpz = z - gp / gpp
            if tmpz <= 0:
                z *= _ETA
            else:
                z = tmpz
            gp = a * (z - alpha_old) + sign * b + np.log(z / (Ci - z))
            newton_iter += 1
            inner += 1
        if inner > 0:
            if sign > 0:
                alpha[i] = z
                alpha_c[i] = Ci - z
            else:
                alpha_c[i] = z
                alpha[i] = Ci - z
            step = sign * (z - alpha_old) * yi
            for k in range(start, end):
                w[indices[k]] += step * data[k]
            w[nf] += step
    return gmax, newton_iter


def _csr_parts(X: sp.csr_matrix) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if not (sp.issparse(X) and X.format == "csr"):
        raise ValueError(f"X must be a scipy CSR matrix, got {type(X).__name__}")
    # Column indices are never negative: unsigned, numba drops its wraparound check from the inner loops.
    indices = X.indices.view(np.uint32 if X.indices.dtype == np.int32 else np.uint64)
    return X.indptr, indices, X.data


class WarmLogisticRegression(BaseEstimator):
    """L2-regularised logistic regression fit by dual coordinate descent, warm-started from its last fit.

    Same objective and, to ``tol``, the same solution as
    ``LogisticRegression(solver="liblinear", dual=True, C=C)`` with ``sample_weight``
    (see the module docstring), without scikit-learn's per-fit overhead. A scikit-learn
    estimator (``get_params``, ``set_params``, ``clone``); the parameters are checked at the first
    fit (``ConfigError`` naming the parameter).

    Parameters
    ----------
    C : inverse regularisation strength; row i's cost is ``C * sample_weight[i]`` (default
        ``model.DEFAULT_C``, the learner's).
    tol : liblinear's stopping rule: stop after a pass over the rows in which no
        coordinate's dual gradient exceeded ``tol`` in absolute value (scikit-learn
        passes its ``tol`` to liblinear the same way; 1e-4 is its default).
    max_epochs : most passes over the rows per fit (liblinear's ``max_iter``).
    warm_epochs : most passes of a fit that carries on from the last fit on the same matrix
        (``None``: ``max_epochs``); a share in (0, 1) makes one partial pass: the rows new to the
        fit (or relabelled), then that share of the others, drawn at random. Stopping there before ``tol`` is met leaves the rest of the
        work to the next fit, which starts from this one's dual variables. A fit from scratch
        always runs to ``tol`` (or ``max_epochs``).
    warm_start : start each fit from the previous fit's model (see the module docstring);
        ``False`` starts every fit from scratch.
    random_state : seed or ``numpy.random.Generator``; each pass visits the rows in a
        random order drawn from it (one generator for the estimator's life, so a
        sequence of fits is reproducible).

    Attributes
    ----------
    coef_ : (n_features,) float64 weights (a view that the next fit on the same matrix overwrites:
        copy it to keep it).  intercept_ : float.
    n_epochs_ : passes over the rows the last fit made.  converged_ : whether it met ``tol``.
    """

    def __init__(self, *, C: float = DEFAULT_C, tol: float = DEFAULT_TOL, max_epochs: int = 1000, warm_epochs: int | None = None,
                 warm_start: bool = True, random_state=None):
        self.C = C
        self.tol = tol
        self.max_epochs = max_epochs
        self.warm_epochs = warm_epochs
        self.warm_start = warm_start
        self.random_state = random_state

    def _setup(self) -> None:
        if hasattr(self, "rng_"):
            return
        if not (isinstance(self.C, (int, float, np.number)) and self.C > 0):
            raise ConfigError(f"C must be > 0, got {self.C!r}")
        if not (isinstance(self.tol, (int, float, np.number)) and self.tol > 0):
            raise ConfigError(f"tol must be > 0, got {self.tol!r}")
        if not (isinstance(self.max_epochs, (int, np.integer)) and self.max_epochs >= 1):
            raise ConfigError(f"max_epochs must be an int >= 1, got {self.max_epochs!r}")
        we = self.warm_epochs
        if we is not None and not (isinstance(we, (int, float, np.number)) and (0 < we < 1 or we == int(we) >= 1)):
            raise ConfigError(f"warm_epochs must be a whole number >= 1, a share in (0, 1), or None; got {we!r}")
        self.rng_ = check_random_state(self.random_state)

    def fit(self, X: sp.csr_matrix, y: np.ndarray, sample_weight: np.ndarray | None = None, *,
            rows: np.ndarray | None = None) -> WarmLogisticRegression:
        """Fit on the rows of ``X``, or on ``X[rows]`` without copying them.

        ``y`` holds 0/1 labels (1 is the positive class) and ``sample_weight`` non-negative
        weights, both aligned with the rows fitted. Rows of weight 0 are left out, as
        liblinear does. Raises ``ValueError`` unless both classes have positive weight
        (the caller's contract, not a user mistake).
        """
        self._setup()
        indptr, indices, data = _csr_parts(X)
        n = X.shape[0] if rows is None else len(rows)
        rows = np.arange(n, dtype=np.int64) if rows is None else np.asarray(rows, dtype=np.int64)
        if n and (rows.min() < 0 or rows.max() >= X.shape[0]):
            raise ValueError(f"rows must index rows of X (0..{X.shape[0] - 1})")
        y = np.asarray(y)
        weights = np.ones(n) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
        if y.shape != (n,) or weights.shape != (n,):
            raise ValueError(f"y and sample_weight must have one entry per fitted row ({n})")
        if np.any(weights < 0) or not np.all(np.isfinite(weights)):
            raise ValueError("sample_weight must be finite and >= 0")
        keep = weights > 0
        if not keep.all():
            rows, y, weights = rows[keep], y[keep], weights[keep]
        is_pos = y == 1
        if not np.any(is_pos) or np.all(is_pos) or not np.all(is_pos | (y == 0)):
            raise ValueError("y must hold 0/1 labels with both classes present (among rows of positive weight)")
        ys = np.where(is_pos, 1.0, -1.0)
        C = self.C * weights

        alpha, alpha_c, xtx = np.empty(len(rows)), np.empty(len(rows)), np.empty(len(rows))
        pool = self._pool_state(X) if self.warm_start else None
        carried = warm = pool is not None and pool["prev_rows"] is not None
        budget = self.max_epochs if not carried or self.warm_epochs is None else min(self.warm_epochs, self.max_epochs)
        if carried:
            w = pool["w"]
            fresh = np.empty(len(rows), dtype=np.bool_)
            _carry_over(indptr, indices, data, rows, ys, C, pool["prev_rows"], pool["alpha"], pool["y"], pool["xtx"],
                        pool["mark"], alpha, alpha_c, xtx, w, fresh)
            pool["fits"] += 1
            if pool["fits"] % _REFRESH_EVERY == 0:  # no drift from thousands of small updates
                _w_from_alpha(indptr, indices, data, rows, ys, alpha, w)
        else:
            w0 = np.zeros(X.shape[1] + 1)
            warm = self.warm_start and getattr(self, "coef_", None) is not None and len(self.coef_) == X.shape[1]
            if warm:  # a different matrix than last time (e.g. with the criteria row): start from the model
                w0[:-1] = self.coef_
                w0[-1] = self.intercept_
            w = np.empty(X.shape[1] + 1)
            _start(indptr, indices, data, rows, ys, C, w0, warm, alpha, alpha_c, w, xtx)

        n_last = len(rows)  # rows visited by the last pass: a fractional budget visits part of them
        if carried and budget < 1:
            new = np.flatnonzero(fresh)
            old = np.flatnonzero(~fresh)
            n_last = min(len(rows), len(new) + math.ceil(budget * len(old)))

        # liblinear starts Newton's inner tolerance loose and tightens it as passes get cheap. A
        # warm start run to tol is next to the optimum: precise steps from the first pass. Under a
        # pass budget the next fit carries on anyway, and loose steps are the cheaper tracking.
        innereps_min = min(1e-8, self.tol)
        innereps = max(innereps_min, 0.1 * self.tol) if warm and budget == self.max_epochs else 1e-2
        epoch, converged = 0, False
        while epoch < budget:
            if n_last < len(rows):  # the new rows, then a random share of the others
                order = np.concatenate([new, self.rng_.choice(old, n_last - len(new), replace=False)])
            else:
                order = self.rng_.permutation(len(rows))
            gmax, newton_iter = _epoch(indptr, indices, data, rows, ys, C, alpha, alpha_c, w, xtx, order, innereps)
            epoch += 1
            if gmax < self.tol and n_last == len(rows):
                converged = True
                break
            if newton_iter <= len(rows) // 10:
                innereps = max(innereps_min, 0.1 * innereps)
        if pool is not None:  # keep the dual variables for the next fit on this matrix
            if pool["prev_rows"] is not None:
                pool["y"][pool["prev_rows"]] = 0.0
            pool["alpha"][rows] = alpha
            pool["y"][rows] = ys
            pool["prev_rows"] = rows
            pool["w"] = w
        self.coef_ = w[:-1] if pool is not None else w[:-1].copy()  # with a pool state: a view, valid until the next fit
        self.intercept_ = float(w[-1])
        self.n_epochs_ = epoch
        self.converged_ = converged
        return self

    def _pool_state(self, X: sp.csr_matrix) -> dict:
        """The dual variables of the last fit on ``X`` per row of ``X`` (a fresh state for a new matrix)."""
        state = getattr(self, "_pool", None)
        if state is None or state["X"] is not X:
            xtx = np.empty(X.shape[0])
            _row_norms(X.indptr, X.data, xtx)
            state = {"X": X, "alpha": np.zeros(X.shape[0]), "y": np.zeros(X.shape[0]), "xtx": xtx,
                     "mark": np.zeros(X.shape[0], dtype=np.int64), "prev_rows": None, "w": None, "fits": 0}
            self._pool = state
        return state

    def __getstate__(self):  # the per-row state is a cache for the next fit, not part of the model
        state = dict(self.__dict__)
        state.pop("_pool", None)
        return state

    def decision_function(self, X: sp.csr_matrix) -> np.ndarray:
        """``X @ coef_ + intercept_``: the log-odds of the positive class under the weighted fit."""
        return X @ self.coef_ + self.intercept_
