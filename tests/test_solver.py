"""The warm-started dual coordinate descent solver against scikit-learn's liblinear."""

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.stats import spearmanr
from sklearn.linear_model import LogisticRegression

from screener.demo_data import make_demo_pool
from screener.errors import ConfigError
from screener.features import TextFeatures
from screener.model import DEFAULT_C, class_weights
from screener.solver import WarmLogisticRegression

TIGHT = 1e-8


@pytest.fixture(scope="module")
def pool():
    records = make_demo_pool(300, random_state=0)
    X = TextFeatures().fit_transform(records).astype(np.float64).tocsr()
    y = records["label_included"].to_numpy().astype(np.int8)
    return X, y


def balanced(y):
    w_pos, w_neg = class_weights(y, "balanced")
    return np.where(y == 1, w_pos, w_neg)


def liblinear(X, y, w, C=DEFAULT_C):
    return LogisticRegression(solver="liblinear", dual=True, C=C, tol=TIGHT, max_iter=10_000,
                              random_state=0).fit(X, y, sample_weight=w)


def assert_agrees(est, ref, X):
    ref_coef = ref.coef_.ravel()
    assert np.abs(est.coef_ - ref_coef).max() <= 1e-3 * np.abs(ref_coef).max()
    assert est.intercept_ == pytest.approx(ref.intercept_[0], rel=1e-3, abs=1e-6)
    ref_margins = X @ ref_coef + ref.intercept_[0]
    assert spearmanr(ref_margins, est.decision_function(X)).statistic > 0.999


@pytest.mark.parametrize("C", [0.1, 1.0, 10.0])
def test_cold_fit_matches_liblinear(pool, C):
    X, y = pool
    w = balanced(y)
    est = WarmLogisticRegression(C=C, tol=TIGHT, random_state=0).fit(X, y, w)
    assert est.converged_ and est.coef_.shape == (X.shape[1],) and isinstance(est.intercept_, float)
    assert_agrees(est, liblinear(X, y, w, C), X)


def test_sequential_warm_fits_match_cold_fits_and_liblinear(pool):
    X, y = pool
    order = np.random.default_rng(1).permutation(len(y))
    order = np.r_[order[y[order] == 1][:2], order[y[order] == 0][:2], order]
    order = order[np.sort(np.unique(order, return_index=True)[1])]  # priors first, no repeats
    warm = WarmLogisticRegression(tol=TIGHT, random_state=0)
    epochs_warm, epochs_cold = [], []
    for n in [*range(4, 24), 60, 61, 150, 151, 300]:  # one label at a time, then jumps
        rows = order[:n]
        yn = y[rows]
        wn = balanced(yn)  # class weights move with the counts: kept rows change their C_i
        warm.fit(X, yn, wn, rows=rows)
        cold = WarmLogisticRegression(tol=TIGHT, warm_start=False, random_state=0).fit(X[rows], yn, wn)
        epochs_warm.append(warm.n_epochs_)
        epochs_cold.append(cold.n_epochs_)
        scale = np.abs(cold.coef_).max()
        assert np.abs(warm.coef_ - cold.coef_).max() <= 1e-5 * scale
        assert warm.intercept_ == pytest.approx(cold.intercept_, abs=1e-5)
    assert_agrees(warm, liblinear(X[rows], yn, wn), X)
    assert sum(epochs_warm) < 0.8 * sum(epochs_cold)


@pytest.mark.parametrize("warm_epochs", [2, 0.5])
def test_a_pass_budget_tracks_the_exact_fit(pool, warm_epochs):
    """With a pass budget for carried-over fits (``warm_epochs``; 0.5: one partial pass over the
    new rows and half the others) the model stays close to the exact one."""
    X, y = pool
    order = np.random.default_rng(2).permutation(len(y))
    order = np.r_[order[y[order] == 1][:1], order[y[order] == 0][:1], order]
    order = order[np.sort(np.unique(order, return_index=True)[1])]
    budget = WarmLogisticRegression(warm_epochs=warm_epochs, random_state=0)
    for n in range(2, 200):
        rows = order[:n]
        budget.fit(X, y[rows], balanced(y[rows]), rows=rows)
        assert n == 2 or budget.n_epochs_ == max(1, int(warm_epochs))
    exact = liblinear(X[rows], y[rows], balanced(y[rows]))
    assert spearmanr(X @ exact.coef_.ravel(), budget.decision_function(X)).statistic > 0.99


def test_a_fit_from_scratch_ignores_the_warm_budget(pool):
    X, y = pool
    est = WarmLogisticRegression(warm_epochs=1, random_state=0).fit(X, y, balanced(y))
    assert est.converged_ and est.n_epochs_ > 1
    est.fit(X, y, balanced(y))  # carried over: at most one pass
    assert est.n_epochs_ == 1


def test_rows_argument_equals_fitting_the_slice(pool):
    X, y = pool
    rows = np.arange(0, 300, 3)
    w = balanced(y[rows])
    a = WarmLogisticRegression(random_state=0).fit(X, y[rows], w, rows=rows)
    b = WarmLogisticRegression(random_state=0).fit(X[rows], y[rows], w)
    np.testing.assert_array_equal(a.coef_, b.coef_)


def test_empty_rows_and_zero_weights(pool):
    X, y = pool
    Xe = sp.vstack([X, sp.csr_matrix((2, X.shape[1]))], format="csr")  # two records with no text
    ye = np.r_[y, 1, 0].astype(np.int8)
    w = balanced(ye)
    w[[0, 5, 7]] = 0.0
    est = WarmLogisticRegression(tol=TIGHT, random_state=0).fit(Xe, ye, w)
    assert np.isfinite(est.coef_).all() and np.isfinite(est.intercept_)
    assert_agrees(est, liblinear(Xe, ye, w), Xe)


def test_same_seed_same_result_and_inputs_untouched(pool):
    X, y = pool
    w = balanced(y)
    X0, y0, w0 = X.copy(), y.copy(), w.copy()
    a = WarmLogisticRegression(random_state=3).fit(X, y, w)
    b = WarmLogisticRegression(random_state=np.random.default_rng(3)).fit(X, y, w)
    np.testing.assert_array_equal(a.coef_, b.coef_)
    assert (X != X0).nnz == 0 and np.array_equal(y, y0) and np.array_equal(w, w0)


def test_one_class_is_an_error(pool):
    X, y = pool
    with pytest.raises(ValueError, match="both classes"):
        WarmLogisticRegression().fit(X[:5], np.zeros(5), np.ones(5))
    w = np.ones(len(y))
    w[y == 1] = 0.0  # the relevant class is present, but weighs nothing
    with pytest.raises(ValueError, match="both classes"):
        WarmLogisticRegression().fit(X, y, w)


@pytest.mark.parametrize("params, name", [({"C": 0}, "C"), ({"tol": -1}, "tol"), ({"max_epochs": 0}, "max_epochs"), ({"warm_epochs": 0}, "warm_epochs"), ({"warm_epochs": 1.5}, "warm_epochs"),
                                          ({"random_state": "x"}, "random_state")])
def test_bad_parameters_are_named(pool, params, name):
    X, y = pool
    with pytest.raises(ConfigError, match=name):
        WarmLogisticRegression(**params).fit(X, y)


def test_max_epochs_stops_early(pool):
    X, y = pool
    est = WarmLogisticRegression(tol=TIGHT, max_epochs=2, random_state=0).fit(X, y, balanced(y))
    assert est.n_epochs_ == 2 and not est.converged_


def test_rows_out_of_range_are_rejected(pool):
    X, y = pool
    with pytest.raises(ValueError, match="rows"):
        WarmLogisticRegression().fit(X, np.array([0, 1]), rows=np.array([0, X.shape[0]]))


def test_relabelled_and_dropped_rows_are_carried_over_exactly(pool):
    """Rows that leave the fit, join it, or change label between fits (a presumed-irrelevant
    record later labelled relevant) give the same model as a fit from scratch."""
    X, y = pool
    rng = np.random.default_rng(5)
    warm = WarmLogisticRegression(tol=TIGHT, random_state=0)
    for _ in range(6):
        rows = np.sort(rng.choice(len(y), 120, replace=False))
        yn = y[rows].copy()
        yn[rng.random(len(yn)) < 0.1] ^= 1  # some labels differ from the last fit's
        if yn.min() == yn.max():
            yn[0] ^= 1
        wn = balanced(yn)
        warm.fit(X, yn, wn, rows=rows)
        cold = WarmLogisticRegression(tol=TIGHT, warm_start=False, random_state=0).fit(X[rows], yn, wn)
        np.testing.assert_allclose(warm.coef_, cold.coef_, atol=1e-5 * np.abs(cold.coef_).max())
