"""Sequential refits: scikit-learn's liblinear vs ``screener.solver`` cold vs warm-started.

    python benchmarks/bench_solver.py [--data-dir ../shared/data] [--sizes 300 1000 2000]
                                      [--stride 10] [--seed 0] [--tol 1e-4]

Replays a simulated screening order of Nagtegaal_2019 (one relevant and one
irrelevant prior, then random order) and fits after every label, each fit on
the previous labelled set plus one record, with class-balanced sample weights:
(a) ``LogisticRegression(solver="liblinear", dual=True)`` under
``sklearn.config_context(skip_parameter_validation=True, assume_finite=True)``
on ``X[rows]`` (the slice is timed too: ``active.py`` pays it), (b) the numba
solver from scratch, (c) the numba solver warm-started from the previous α.
The three are timed at the same step, one after the other, so load on the
machine hits them alike. The warm-started solver runs (and is timed) at every
step; scikit-learn and the cold solver only every ``--stride``-th step (their
totals are the sampled mean times the number of steps). numba's compile time is measured in a child
process with an empty cache. Appends one JSON line to
benchmarks/results/solver.jsonl.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numba  # noqa: E402
import sklearn  # noqa: E402
from scipy.stats import spearmanr  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402

from screener.features import TextFeatures  # noqa: E402
from screener.model import class_weights, library_versions  # noqa: E402
from screener.readers import read_file  # noqa: E402
from screener.solver import WarmLogisticRegression  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "solver.jsonl"

_COMPILE_SNIPPET = """
import time, numpy as np, scipy.sparse as sp
t0 = time.perf_counter()
from screener.solver import WarmLogisticRegression
t1 = time.perf_counter()
X = sp.random(20, 50, density=0.2, format="csr", random_state=0)
WarmLogisticRegression(random_state=0).fit(X, np.arange(20) % 2, np.ones(20))
t2 = time.perf_counter()
print(t1 - t0, t2 - t1)
"""


def first_call_seconds(cache_dir: str | None) -> tuple[float, float]:
    """(import seconds, first fit seconds) in a fresh interpreter; ``cache_dir`` empty = real compile."""
    env = dict(os.environ)
    if cache_dir is not None:
        env["NUMBA_CACHE_DIR"] = cache_dir
    out = subprocess.run([sys.executable, "-c", _COMPILE_SNIPPET], env=env, cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout.split()
    return float(out[0]), float(out[1])


def screening_order(y: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One relevant and one irrelevant prior, then every other record in random order."""
    pos, neg = np.flatnonzero(y == 1), np.flatnonzero(y == 0)
    priors = np.array([rng.choice(pos), rng.choice(neg)])
    rest = rng.permutation(np.setdiff1d(np.arange(len(y)), priors))
    return np.r_[priors, rest]


def summarise(times: list[float], n_steps: int) -> dict:
    return {"median_ms": 1e3 * statistics.median(times), "total_s": statistics.fmean(times) * n_steps,
            "n_timed": len(times)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", default=str(ROOT.parent / "shared" / "data"))
    ap.add_argument("--sizes", type=int, nargs="+", default=[300, 1000, 2000])
    ap.add_argument("--stride", type=int, default=10, help="time scikit-learn and cold fits every k-th step")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--C", type=float, default=1.0)
    ap.add_argument("--tol", type=float, default=1e-4, help="stopping tolerance of all three (liblinear's eps)")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as empty:
        import_s, compile_s = first_call_seconds(empty)
    cached_import_s, cached_first_s = first_call_seconds(None)

    records = read_file(Path(args.data_dir) / "Nagtegaal_2019.csv")
    X = TextFeatures().fit_transform(records).astype(np.float64).tocsr()
    y = records["label_included"].to_numpy().astype(np.int8)
    rng = np.random.default_rng(args.seed)
    order = screening_order(y, rng)
    sizes = sorted(s for s in args.sizes if s <= len(order))
    if not sizes:
        sizes = [len(order)]
    seed = int(rng.integers(2**31 - 1))

    sk = LogisticRegression(solver="liblinear", dual=True, C=args.C, tol=args.tol, max_iter=1000, random_state=seed)
    cold = WarmLogisticRegression(C=args.C, tol=args.tol, random_state=seed)
    warm = WarmLogisticRegression(C=args.C, tol=args.tol, random_state=seed)
    alpha = None
    times = {"sklearn": [], "cold": [], "warm": []}
    epochs = {"sklearn": [], "cold": [], "warm": []}
    checkpoints = []
    start = 2  # the first step with both classes labelled
    for n in range(start, sizes[-1] + 1):
        rows = order[:n]
        yn = y[rows]
        w_pos, w_neg = class_weights(yn, "balanced")
        sw = np.where(yn == 1, w_pos, w_neg)
        checkpoint = n in sizes
        sampled = (n - start) % args.stride == 0  # uniform sample: means and medians stay unbiased
        if sampled or checkpoint:
            t0 = time.perf_counter()
            with sklearn.config_context(skip_parameter_validation=True, assume_finite=True):
                sk.fit(X[rows], yn, sample_weight=sw)
            t_sk = time.perf_counter() - t0
            t0 = time.perf_counter()
            cold.fit(X, yn, sw, rows=rows)
            t_cold = time.perf_counter() - t0
            if sampled:
                times["sklearn"].append((n, t_sk))
                times["cold"].append((n, t_cold))
                epochs["sklearn"].append((n, int(sk.n_iter_.max())))
                epochs["cold"].append((n, cold.n_epochs_))
        t0 = time.perf_counter()
        warm.fit(X, yn, sw, rows=rows, warm_start_from=alpha)
        times["warm"].append((n, time.perf_counter() - t0))
        epochs["warm"].append((n, warm.n_epochs_))
        alpha = warm.dual_
        if checkpoint:
            d_sk = X @ sk.coef_.ravel() + sk.intercept_[0]
            agree = {}
            for name, est in (("cold", cold), ("warm", warm)):
                rel = np.abs(est.coef_ - sk.coef_.ravel()).max() / np.abs(sk.coef_).max()
                agree[name] = {"coef_max_rel_diff": float(rel),
                               "intercept_diff": float(est.intercept_ - sk.intercept_[0]),
                               "spearman": float(spearmanr(d_sk, est.decision_function(X)).statistic)}
            checkpoints.append({"n_labelled": n, "agreement_with_liblinear": agree})

    per_size = []
    for size in sizes:
        n_steps = size - start + 1
        row = {"n_labelled": size, "n_steps": n_steps}
        for name, ts in times.items():
            row[name] = summarise([t for n, t in ts if n <= size], n_steps)
        # the last 20% of steps: the cost of a step at about this size
        tail = lambda name: statistics.median([t for n, t in times[name] if 0.8 * size <= n <= size])  # noqa: E731
        row["step_at_size_ms"] = {name: 1e3 * tail(name) for name in times}
        row["ratio_total_sklearn_over_warm"] = row["sklearn"]["total_s"] / row["warm"]["total_s"]
        row["ratio_total_sklearn_over_cold"] = row["sklearn"]["total_s"] / row["cold"]["total_s"]
        row["ratio_total_cold_over_warm"] = row["cold"]["total_s"] / row["warm"]["total_s"]
        row["median_epochs"] = {name: statistics.median([k for n, k in e if n <= size]) for name, e in epochs.items()}
        per_size.append(row)
        print(json.dumps(row))

    result = {
        "benchmark": "solver", "data": "Nagtegaal_2019", "n_records": X.shape[0], "n_features": X.shape[1],
        "nnz_per_row": X.nnz / X.shape[0], "C": args.C, "tol": args.tol, "seed": args.seed,
        "stride": args.stride, "load_average": os.getloadavg(),
        "numba_compile_s": compile_s, "numba_cached_first_call_s": cached_first_s,
        "import_s": {"compile_run": import_s, "cached_run": cached_import_s},
        "sizes": per_size, "checkpoints": checkpoints,
        "versions": {**library_versions(), "numba": numba.__version__},
        "commit": subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                                 capture_output=True, text=True).stdout.strip(),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    with open(RESULTS, "a") as fh:
        fh.write(json.dumps(result) + "\n")
    print(json.dumps({k: result[k] for k in ("numba_compile_s", "numba_cached_first_call_s", "checkpoints")}))


if __name__ == "__main__":
    main()
