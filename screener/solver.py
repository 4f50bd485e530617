"""Warm-startable logistic regression: liblinear's dual coordinate descent, compiled with numba.

Active learning refits after every label, each time on the previous labelled set
plus one record. scikit-learn's liblinear solves every fit from scratch and pays
its own validation overhead; this module solves the same problem with the same
algorithm but keeps the dual variables between fits, so a refit starts next to
the previous optimum and needs a few passes instead of tens.

The problem is liblinear's solver 7 (``L2R_LR_DUAL``) as scikit-learn calls it
(``LogisticRegression(solver="liblinear", dual=True)``, ``intercept_scaling=1``)::

    min_w  ½‖w‖² + Σ_i C_i log(1 + exp(−y_i w·x_i)),   y_i ∈ {−1, +1},  C_i = C · sample_weight_i

where the intercept is an extra constant feature of value 1, regularised like
the others. Its dual, solved here one coordinate at a time with a safeguarded
Newton method per coordinate, is (Yu, Huang & Lin 2011, "Dual coordinate descent
methods for logistic regression and maximum entropy models", Machine Learning
85:41–75, Algorithm 3)::

    min_α  ½ αᵀQα + Σ_i α_i log α_i + (C_i − α_i) log(C_i − α_i),  0 ≤ α_i ≤ C_i,  Q_ij = y_i y_j x_i·x_j

with ``w = Σ_i α_i y_i x_i``. The kernel follows liblinear's ``solve_l2r_lr_dual``
line by line (the same choice between the two sub-problems, the same Newton
safeguard, the same shrinking inner tolerance and stopping rule), so both reach
the same solution; only the random coordinate order differs.
"""

from __future__ import annotations

from collections.abc import Mapping
from itertools import repeat

import numba
import numpy as np
import scipy.sparse as sp

from screener.errors import ConfigError

_MAX_INNER = 100  # Newton steps per coordinate (liblinear's max_inner_iter)
_ETA = 0.1  # shrink factor when a Newton step leaves (0, C) (ξ in the paper)


@numba.njit(cache=True, nogil=True)
def _init_w(indptr, indices, data, rows, y, alpha, w, xtx):  # pragma: no cover - compiled
    """w = Σ α_i y_i x_i (intercept last) and xtx_i = ‖x_i‖² + 1, in one pass over the rows."""
    nf = w.shape[0] - 1
    w[:] = 0.0
    for i in range(rows.shape[0]):
        r = rows[i]
        c = y[i] * alpha[i]
        s = 1.0
        for k in range(indptr[r], indptr[r + 1]):
            v = data[k]
            s += v * v
            w[indices[k]] += c * v
        w[nf] += c
        xtx[i] = s


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


def _initial_alpha(C: np.ndarray) -> np.ndarray:
    """liblinear's starting point, just inside the lower bound."""
    return np.minimum(0.001 * C, 1e-8)


class WarmLogisticRegression:
    """L2-regularised logistic regression fit by dual coordinate descent, warm-startable per row.

    Same objective and solution as ``LogisticRegression(solver="liblinear", dual=True, C=C)``
    with ``sample_weight`` (see the module docstring), without scikit-learn's per-fit overhead.

    Parameters
    ----------
    C : inverse regularisation strength; row i's cost is ``C * sample_weight[i]``.
    tol : liblinear's stopping rule: stop after a pass over the rows in which no
        coordinate's dual gradient exceeded ``tol`` in absolute value (scikit-learn
        passes its ``tol`` as liblinear's ``eps`` the same way; 1e-4 is its default).
    max_epochs : most passes over the rows per fit (liblinear's ``max_iter``).
    random_state : seed or ``numpy.random.Generator``; each pass visits the rows in a
        random order drawn from it (one generator for the estimator's life, so a
        sequence of fits is reproducible).

    Attributes
    ----------
    coef_ : (n_features,) float64 weights.
    intercept_ : float.
    dual_ : dict from row key to α_i / C_i, the row's dual variable relative to its bound
        (at the optimum, the fitted probability of the row's wrong label), for ``warm_start_from``.
    n_epochs_ : passes over the rows the last fit made.
    converged_ : whether the last fit met ``tol`` before ``max_epochs``.
    """

    def __init__(self, *, C: float = 1.0, tol: float = 1e-4, max_epochs: int = 1000, random_state=None):
        self.C = C
        self.tol = tol
        self.max_epochs = max_epochs
        self.random_state = random_state

    def _setup(self) -> None:
        if not hasattr(self, "rng_"):
            if not (isinstance(self.C, (int, float, np.number)) and self.C > 0):
                raise ConfigError(f"C must be > 0, got {self.C!r}")
            if not (isinstance(self.tol, (int, float, np.number)) and self.tol > 0):
                raise ConfigError(f"tol must be > 0, got {self.tol!r}")
            if not (isinstance(self.max_epochs, (int, np.integer)) and self.max_epochs >= 1):
                raise ConfigError(f"max_epochs must be an int >= 1, got {self.max_epochs!r}")
            rs = self.random_state
            if isinstance(rs, np.random.Generator):
                self.rng_ = rs
            elif rs is None or isinstance(rs, (int, np.integer)):
                self.rng_ = np.random.default_rng(rs)
            else:
                raise ConfigError(f"random_state must be an int, None or a numpy Generator, got {rs!r}")

    def fit(
        self,
        X: sp.csr_matrix,
        y: np.ndarray,
        sample_weight: np.ndarray | None = None,
        *,
        rows: np.ndarray | None = None,
        row_keys: np.ndarray | None = None,
        warm_start_from: Mapping[int, float] | None = None,
    ) -> "WarmLogisticRegression":
        """Fit on the rows of ``X`` (or on ``X[rows]``, without copying them).

        ``y`` holds 0/1 labels (1 is the positive class), ``sample_weight`` non-negative
        weights (rows of weight 0 are left out, as scikit-learn's liblinear does), both
        aligned with the rows fitted. ``row_keys`` names each fitted row (default: ``rows``,
        else 0..n−1); ``warm_start_from`` is a previous fit's ``dual_``: a row whose key it
        holds starts from α_i = C_i · dual_[key] (kept inside (0, C_i)), other rows from
        liblinear's initial value, and the new rows are visited first. Raises ``ValueError``
        unless both classes have positive weight (the caller's contract, not a user mistake).
        """
        self._setup()
        if not sp.isspmatrix_csr(X) and not isinstance(X, sp.csr_array):
            raise ValueError(f"X must be a scipy CSR matrix, got {type(X).__name__}")
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
        keys = rows if row_keys is None else np.asarray(row_keys)
        if keys.shape != (n,):
            raise ValueError(f"row_keys must have one entry per fitted row ({n})")

        # Zero-cost rows have α = 0 for ever: leave them out.
        keep = weights > 0
        if not keep.all():
            rows, y, weights, keys = rows[keep], y[keep], weights[keep], keys[keep]
        is_pos = y == 1
        if not np.any(is_pos) or np.all(is_pos) or not np.all(is_pos | (y == 0)):
            raise ValueError("y must hold 0/1 labels with both classes present (among rows of positive weight)")
        ys = np.where(is_pos, 1.0, -1.0)
        C = self.C * weights

        alpha = _initial_alpha(C)
        innereps = 1e-2
        innereps_min = min(1e-8, self.tol)
        first = None
        if warm_start_from:
            old = np.fromiter(map(warm_start_from.get, keys.tolist(), repeat(-1.0)), np.float64, len(keys))
            known = old >= 0
            # α_i / C_i is the model's probability of the wrong label at the optimum: keeping it
            # when C_i changes (class weights move with the counts) starts closer than keeping α_i.
            # Then into the open interval (0, C_i), as far inside as liblinear's starting point.
            margin = alpha[known]
            alpha[known] = np.clip(old[known] * C[known], margin, C[known] - margin)
            # Near the optimum, Newton steps on every coordinate should be precise from the start
            # (liblinear begins at 1e-2 and tightens as passes get cheap) ...
            innereps = max(innereps_min, 0.1 * self.tol)
            # ... and the new rows, far from their optimum, go first, so the first pass spreads them.
            first = np.flatnonzero(~known)
        alpha_c = C - alpha

        data = X.data if X.data.dtype == np.float64 else X.data.astype(np.float64)
        indptr = X.indptr
        # Column indices are never negative: unsigned, numba drops its negative-index wraparound
        # check from the two innermost loops (~15% faster passes).
        indices = X.indices.view(np.uint32 if X.indices.dtype == np.int32 else np.uint64)
        w = np.empty(X.shape[1] + 1)
        xtx = np.empty(len(rows))
        _init_w(indptr, indices, data, rows, ys, alpha, w, xtx)

        epoch = 0
        converged = False
        while epoch < self.max_epochs:
            order = self.rng_.permutation(len(rows))
            if first is not None and epoch == 0:
                order = np.concatenate([first, order])
            gmax, newton_iter = _epoch(indptr, indices, data, rows, ys, C, alpha, alpha_c, w, xtx, order, innereps)
            epoch += 1
            if gmax < self.tol:
                converged = True
                break
            if newton_iter <= len(rows) // 10:
                innereps = max(innereps_min, 0.1 * innereps)

        self.coef_ = w[:-1]
        self.intercept_ = float(w[-1])
        self.dual_ = dict(zip(keys.tolist(), (alpha / C).tolist()))
        self.n_epochs_ = epoch
        self.converged_ = converged
        return self

    def decision_function(self, X: sp.csr_matrix) -> np.ndarray:
        """``X @ coef_ + intercept_``: the log-odds of the positive class under the weighted fit."""
        return X @ self.coef_ + self.intercept_
