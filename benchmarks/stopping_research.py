"""Research harness for issue 10: stopping rules replayed fast on order files, settings chosen by
leave-one-family-out cross-validation (EVALUATION.md, "Choosing defaults").

    python benchmarks/stopping_research.py load  RANKER_DIR NAME   # cache labels of every order
    python benchmarks/stopping_research.py grid  NAME...           # every candidate × setting × target
    python benchmarks/stopping_research.py cv    NAME...           # choose per fold, report out of fold

Reads /work/orders/<ranker>/<pool>/<label>/seed<k>/order.csv; writes benchmarks/runs/research/.
"""

from __future__ import annotations

import json
import math
import pickle
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import poisson

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from screener.stopping.point_process import missing_upper  # noqa: E402

HERE = Path(__file__).resolve().parent
OUT = HERE / "runs" / "research"
TARGETS = (0.8, 0.9, 0.95)
ALPHA = 0.05
CHECK = 5


def family(pool: str) -> str:
    if pool == "SYNERGY_Chou_2004":
        return "Cohen_2006"  # same drug class review as Cohen_2006_SkeletalMuscleRelaxants
    for prefix in ("Cohen_2006", "Wallace_2010", "SYNERGY", "CLEF2017", "CLEF2019", "GPTscreenR"):
        if pool.startswith(prefix):
            return prefix
    return "others"


def load(ranker_dir: str, name: str) -> list[dict]:
    runs = []
    for f in sorted(Path(ranker_dir).glob("*/*/seed*/order.csv")):
        seed = int(f.parent.name[4:])
        label = f.parent.parent.name
        pool = f.parent.parent.parent.name
        d = pd.read_csv(f).sort_values("rank")
        prior = d["is_prior"].fillna(0).astype(int).to_numpy() == 1
        y = d["label"].astype(int).to_numpy()[~prior].astype(np.int8)
        if y.sum() == 0:
            continue
        runs.append({"pool": pool, "label": label, "seed": seed, "y": y, "n_priors": int(prior.sum()),
                     "family": family(pool)})
    OUT.mkdir(parents=True, exist_ok=True)
    with open(OUT / f"{name}.pkl", "wb") as fh:
        pickle.dump(runs, fh)
    return runs


def runs_of(name: str) -> list[dict]:
    with open(OUT / f"{name}.pkl", "rb") as fh:
        return pickle.load(fh)


# ---------------------------------------------------------------------------------------------
# point process: relevant ranks as an inhomogeneous Poisson process (Sneyd & Stevenson 2021)


def _trailing_run(y: np.ndarray, cps: np.ndarray) -> np.ndarray:
    """Trailing run of zeros at each checkpoint c (records 0..c-1)."""
    last = np.full(len(y) + 1, -1)
    idx = np.flatnonzero(y)
    marker = np.full(len(y), -1)
    marker[idx] = idx
    last[1:] = np.maximum.accumulate(marker)
    return cps - 1 - last[cps]


def pp_missing_upper(y: np.ndarray, cps: np.ndarray, shape: str, alpha: float, ll_drop: float,
                     fit_from: float = 0.0) -> np.ndarray:
    """Upper (1−α) bound on relevant records beyond each checkpoint c: Poisson quantile of the
    largest expected remainder over the rate parameters within ``ll_drop`` of the maximum
    profile likelihood. Rates: power law a·x^−b, exponential a·e^−bx, hyperbolic a/(1+bx)."""
    N = len(y)
    pos = np.flatnonzero(y) + 1.0  # 1-based ranks
    k = np.searchsorted(pos, cps, side="right").astype(float)  # found by c
    out = np.full(len(cps), np.inf)
    if shape == "power":
        bs = np.linspace(0.0, 3.0, 121)
        logx = np.log(pos)
        S = np.r_[0.0, np.cumsum(logx)][k.astype(int)]
        lo = 0.5

        def integ(b, a0, a1):
            b = b[None, :]
            with np.errstate(divide="ignore", invalid="ignore"):
                v = np.where(np.isclose(b, 1.0), np.log(a1 / a0), (a1 ** (1 - b) - a0 ** (1 - b)) / (1 - b))
            return v
        I = integ(bs, lo, cps[:, None] + 0.5)
        J = integ(bs, cps[:, None] + 0.5, N + 0.5)
        Sb = S[:, None] * bs[None, :]
    elif shape == "exp":
        beta = np.linspace(0.0, 12.0, 121)  # b = beta / c: scale-free grid
        bs = beta[None, :] / cps[:, None]
        c0 = np.floor(fit_from * cps).astype(int)  # fit on ranks (c0, c]
        k0 = np.searchsorted(pos, c0, side="right")
        cum = np.r_[0.0, np.cumsum(pos - c0.min() if False else pos)]
        S = cum[k.astype(int)] - cum[k0] - (k - k0) * c0  # Σ (x_i − c0) over the window
        k_fit = k - k0
        L = cps - c0  # window length; rank x − c0 runs over (0, L]
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            I = np.where(bs == 0, L[:, None], (np.exp(-bs * 0.5) - np.exp(-bs * (L[:, None] + 0.5))) / bs)
            J = np.where(bs == 0, (N - cps)[:, None],
                         (np.exp(-bs * (L[:, None] + 0.5)) - np.exp(-bs * (N - c0 + 0.5)[:, None])) / bs)
        Sb = S[:, None] * bs
        kk = k_fit[:, None]
        with np.errstate(divide="ignore", invalid="ignore"):
            ll = np.where(kk > 0, kk * np.log(kk / I), 0.0) - Sb - kk
            mu = np.where(kk > 0, kk / I * J, 0.0)
        ll = np.where(np.isfinite(ll), ll, -np.inf)
        outs = []
        for drop in np.atleast_1d(ll_drop):
            ok = ll >= ll.max(axis=1, keepdims=True) - drop
            mu_max = np.where(ok, mu, -np.inf).max(axis=1)
            out = poisson.ppf(1 - alpha, np.maximum(mu_max, 1e-12))
            out[k_fit == 0] = np.inf
            outs.append(out)
        return outs if np.ndim(ll_drop) else outs[0]
    elif shape == "hyper":
        beta = np.r_[0.0, np.geomspace(0.1, 1000, 120)]
        bs = beta[None, :] / cps[:, None]
        S = np.r_[0.0, np.cumsum(np.log(pos))]
        # log λ = log a − log(1 + b x): Σ log(1 + b x_i) needs the positions, not a cumsum
        Sb = np.zeros((len(cps), len(beta)))
        for i, c in enumerate(cps):
            xs = pos[: int(k[i])]
            Sb[i] = np.log1p(np.outer(xs, bs[i])).sum(axis=0) if len(xs) else 0.0
        with np.errstate(divide="ignore", invalid="ignore"):
            I = np.where(bs == 0, cps[:, None], np.log1p(bs * (cps[:, None] + 0.5)) / bs)
            J = np.where(bs == 0, N - cps[:, None],
                         (np.log1p(bs * (N + 0.5)) - np.log1p(bs * (cps[:, None] + 0.5))) / bs)
    else:
        raise ValueError(shape)
    kk = k[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        ll = np.where(kk > 0, kk * np.log(kk / I), 0.0) - Sb - kk
        mu = np.where(kk > 0, kk / I * J, 0.0)
    ll = np.where(np.isfinite(ll), ll, -np.inf)
    ok = ll >= ll.max(axis=1, keepdims=True) - ll_drop
    mu_max = np.where(ok, mu, -np.inf).max(axis=1)
    out = poisson.ppf(1 - alpha, np.maximum(mu_max, 1e-12))
    out[k == 0] = np.inf
    return out


def checkpoints(N: int) -> np.ndarray:
    return np.arange(CHECK, N + CHECK, CHECK).clip(max=N)


def first_stop(stop: np.ndarray, cps: np.ndarray, N: int) -> int:
    i = np.flatnonzero(stop)
    return int(cps[i[0]]) if i.size else N


def eval_pp(run: dict, shape: str, ll_drop: float, min_run: int, finish: float, min_share: float,
            fit_from: float = 0.0) -> dict:
    """Stop points (ranked records) of the point-process rule at each target; the bound at the
    checkpoints (for coverage)."""
    y = run["y"]
    N = len(y)
    cps = np.unique(checkpoints(N))
    q = pp_missing_upper(y, cps, shape, ALPHA, ll_drop, fit_from)
    k = np.cumsum(y)[cps - 1]
    bound = k / (k + q)
    zr = _trailing_run(y, cps)
    pool = N + run["n_priors"]
    eligible = (zr >= min_run) & ((N - cps) >= finish * pool) & (cps >= min_share * N)
    res = {}
    for t in TARGETS:
        res[t] = first_stop(eligible & (bound >= t - 1e-12), cps, N)
    res["bound"] = (cps, np.where(eligible, bound, np.nan))
    return res


def eval_run_of_zeros(run: dict, n: int, share: float, finish: float, pos_share: float = 0.0) -> dict:
    """Stop after max(n, share × pool, pos_share × screened) irrelevant in a row, unless fewer
    than ``finish`` of the pool are left."""
    y = run["y"]
    N = len(y)
    cps = np.unique(checkpoints(N))
    zr = _trailing_run(y, cps)
    pool = N + run["n_priors"]
    stop = (zr >= np.maximum(max(n, share * pool), pos_share * cps)) & ((N - cps) >= finish * pool)
    s = first_stop(stop, cps, N)
    return {t: s for t in TARGETS}


def eval_urn(run: dict, bias: float, min_run: int, finish: float, max_windows: int = 8) -> dict:
    """The current recommended rule (biased-urn ranked test after a quiet run)."""
    sys.path.insert(0, str(HERE.parent))
    from screener.stopping.hypergeometric import ranked_p_values

    y = run["y"]
    N = len(y)
    pool = N + run["n_priors"]
    cps = np.unique(checkpoints(N))
    zr = _trailing_run(y, cps)
    elig = np.flatnonzero((zr >= min_run) & ((N - cps) >= finish * pool))
    res = {}
    for t in TARGETS:
        res[t] = N
        for i in elig:
            c = int(cps[i])
            _, _, p = ranked_p_values(y[:c], pool - c - run["n_priors"], t, float(bias), max_windows=max_windows)
            if np.isfinite(p).any() and np.nanmin(p) < ALPHA:
                res[t] = c
                break
    return res


# ---------------------------------------------------------------------------------------------


def rows_for(run: dict, rule: str, params: dict, res: dict) -> list[dict]:
    y = run["y"]
    N, R = len(y), int(y.sum())
    tp = np.cumsum(y)
    out = []
    for t in TARGETS:
        s = res[t]
        best = int(np.searchsorted(tp, math.ceil(t * R - 1e-9))) + 1
        rec = tp[s - 1] / R if s > 0 else 0.0
        out.append({"pool": run["pool"], "family": run["family"], "label": run["label"], "seed": run["seed"],
                    "rule": rule, "params": json.dumps(params, sort_keys=True), "target": t, "N": N, "R": R,
                    "recall": float(rec), "reached": bool(rec >= t - 1e-9), "effort": s / N, "excess": (s - best) / N})
    return out


def coverage_rows(run: dict, rule: str, params: dict, res: dict) -> dict:
    cps, bound = res["bound"]
    y = run["y"]
    R = int(y.sum())
    rec = np.cumsum(y)[cps - 1] / R
    m = np.isfinite(bound)
    return {"pool": run["pool"], "family": run["family"], "label": run["label"], "seed": run["seed"],
            "rule": rule, "params": json.dumps(params, sort_keys=True),
            "stated": int(m.sum()), "covered": int((rec[m] >= bound[m] - 1e-9).sum())}


def wilson_lo(h: int, n: int, z: float = 1.959964) -> float:
    if n == 0:
        return 0.0
    p = h / n
    den = 1 + z * z / n
    return (p + z * z / (2 * n) - z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))) / den


GRIDS = {
    "pp_power": [{"shape": "power", "ll_drop": d, "min_run": m, "finish": f, "min_share": 0.0}
                 for d in (0.0, 1.92, 4.0) for m in (0, 50, 100) for f in (0.0, 0.1)],
    "pp_exp": [{"shape": "exp", "ll_drop": d, "min_run": m, "finish": f, "min_share": 0.0, "fit_from": ff}
               for d in (0.0, 1.92, 4.0, 8.0) for m in (25, 50, 100) for f in (0.0, 0.1, 0.2) for ff in (0.0, 0.5)],
    "n_in_a_row": [{"n": n, "share": s, "finish": f} for n in (50, 100, 150, 200, 300) for s in (0.0, 0.05, 0.1, 0.15, 0.2)
                   for f in (0.0, 0.1, 0.2)],
    "rel_run": [{"n": n, "share": 0.0, "finish": f, "pos_share": ps} for n in (25, 50, 100, 150)
                for ps in (0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1.0) for f in (0.0, 0.1, 0.2)],
}


def grid(names: list[str], rules: list[str]) -> pd.DataFrame:
    rows, cov = [], []
    for name in names:
        for run in runs_of(name):
            for rule in rules:
                for params in GRIDS[rule]:
                    if rule.startswith("pp_"):
                        res = eval_pp(run, **params)
                        cov.append({**coverage_rows(run, rule, params, res), "ranker": name})
                    elif rule in ("n_in_a_row", "rel_run"):
                        res = eval_run_of_zeros(run, **params)
                    for r in rows_for(run, rule, params, res):
                        r["ranker"] = name
                        rows.append(r)
    return pd.DataFrame(rows), pd.DataFrame(cov)


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "load":
        print(len(load(sys.argv[2], sys.argv[3])))


def cross_validate(rows: pd.DataFrame, choose_on: pd.Series, *, target: float = 0.95, min_lo: float = 0.95,
                   key=("rule", "params")) -> pd.DataFrame:
    """Leave-one-family-out: per fold, among settings whose reliability over the other families'
    runs (``choose_on`` rows) has a Wilson lower bound ≥ ``min_lo`` at ``target``, the one with
    least mean excess; its rows on the held-out family (all seeds, labels, targets) are returned
    with the chosen setting."""
    key = list(key)
    out = []
    for fam in sorted(rows["family"].unique()):
        train = rows[choose_on & (rows["family"] != fam) & np.isclose(rows["target"], target)]
        g = train.groupby(key).agg(h=("reached", "sum"), n=("reached", "size"), exc=("excess", "mean")).reset_index()
        g["lo"] = [wilson_lo(int(h), int(n)) for h, n in zip(g["h"], g["n"])]
        ok = g[g["lo"] >= min_lo]
        if ok.empty:
            ok = g.sort_values("lo", ascending=False).head(1)
        best = ok.sort_values("exc").iloc[0]
        test = rows[rows["family"] == fam]
        for k in key:
            test = test[test[k] == best[k]]
        out.append(test.assign(fold=fam, chosen=" ".join(str(best[k]) for k in key)))
    return pd.concat(out, ignore_index=True)


def summary(rows: pd.DataFrame, by=("target",)) -> pd.DataFrame:
    g = rows.groupby(list(by)).agg(runs=("reached", "size"), h=("reached", "sum"), recall=("recall", "mean"),
                                   effort=("effort", "mean"), excess=("excess", "mean")).reset_index()
    g["reliability"] = g["h"] / g["runs"]
    g["lo"] = [wilson_lo(int(h), int(n)) for h, n in zip(g["h"], g["runs"])]
    return g.drop(columns="h").round(3)


PP_DROPS = (0.0, 1.0, 1.92, 3.0, 4.0, 6.0, 8.0)
PP_RUNS = (0, 25, 50, 100)
FINISH = (0.0, 0.1, 0.2)


def run_rows(run: dict) -> tuple[list[dict], list[dict]]:
    """Every candidate setting on one run: stop rows (3 targets) and coverage counts."""
    y = run["y"]
    N = len(y)
    pool = N + run["n_priors"]
    cps = np.unique(checkpoints(N))
    zr = _trailing_run(y, cps)
    k = np.cumsum(y)[cps - 1]
    R = int(y.sum())
    true_rec = k / R
    rows, cov = [], []
    left = N - cps
    for ff in (0.0, 0.5):
        qs, _ = missing_upper(y, cps, N, alpha=ALPHA, ll_drop=PP_DROPS, fit_from=ff)
        for d, q in zip(PP_DROPS, qs):
            bound = k / (k + q)
            for m in PP_RUNS:
                for f in FINISH:
                    elig = (zr >= m) & (left >= f * pool)
                    params = {"ll_drop": d, "min_run": m, "finish": f, "fit_from": ff}
                    res = {t: first_stop(elig & (bound >= t - 1e-12), cps, N) for t in TARGETS}
                    rows += rows_for(run, "pp_exp", params, res)
                    st = elig & np.isfinite(bound) & (bound > 0)
                    every = np.isfinite(bound) & (bound > 0)
                    cov.append({"pool": run["pool"], "label": run["label"], "seed": run["seed"], "family": run["family"],
                                "rule": "pp_exp", "params": json.dumps(params, sort_keys=True),
                                "stated": int(st.sum()), "covered": int((true_rec[st] >= bound[st] - 1e-9).sum()),
                                "stated_all": int(every.sum()),
                                "covered_all": int((true_rec[every] >= bound[every] - 1e-9).sum())})
    rows += guaranteed_rows(run, cps, zr)
    cov.append(recommended_coverage(run))
    for n in (50, 100, 150, 200, 300):
        for sh in (0.0, 0.05, 0.1, 0.15, 0.2, 0.25):
            for f in FINISH:
                stop = (zr >= max(n, sh * pool)) & (left >= f * pool)
                st = first_stop(stop, cps, N)
                rows += rows_for(run, "n_in_a_row", {"n": n, "share": sh, "finish": f}, {t: st for t in TARGETS})
    return rows, cov


def hyper_cdf(k, M, K, n) -> np.ndarray:
    """P(X ≤ k), X ~ Hypergeometric(M, K, n), summed in log space (scipy's cdf is slow on arrays)."""
    from scipy.special import gammaln

    k, M, K, n = (np.asarray(a, dtype=float) for a in np.broadcast_arrays(k, M, K, n))

    def lc(a, b):
        return gammaln(a + 1) - gammaln(b + 1) - gammaln(a - b + 1)

    total = lc(M, n)
    out = np.zeros(k.shape)
    for j in range(int(k.max()) + 1 if k.size else 0):
        ok = (j <= k) & (j <= K) & (n - j <= M - K) & (j <= n)
        with np.errstate(invalid="ignore"):
            term = np.exp(lc(K, np.minimum(j, K)) + lc(M - K, np.clip(n - j, 0, None)) - total)
        out += np.where(ok, term, 0.0)
    return np.minimum(out, 1.0)


def ranked_min_p(y: np.ndarray, cps: np.ndarray, total: int, target: float, max_windows: int = 8) -> np.ndarray:
    """min p of the ranked hypergeometric test (bias 1) at every checkpoint, as
    ``ranked_p_values(..., max_windows=8)`` computes it, in one vectorised call."""

    from screener.stopping.hypergeometric import k_target

    pos = np.flatnonzero(y)
    r = np.searchsorted(pos, cps, side="left")  # relevant among the first c
    i = np.arange(max_windows)[None, :]
    idx = r[:, None] - 1 - i  # the i-th relevant from the end
    valid = idx >= 0
    n = np.where(valid, cps[:, None] - 1 - pos[np.clip(idx, 0, None)], 0)
    # fewer relevant than max_windows: the whole sequence is a window too (k = r)
    whole = (r < max_windows)[:, None] & (i == r[:, None])
    n = np.where(whole, cps[:, None], n)
    k = np.broadcast_to(i, n.shape)
    use = (valid | whole) & (n > 0)
    K = k_target(r[:, None], k, target)
    M = n + (total - cps)[:, None]
    K = np.minimum(K, M)
    p = np.where(use, hyper_cdf(k, M, K, n), np.inf)
    return p.min(axis=1)


def recommended_coverage(run: dict, every: int = 25) -> dict:
    """Coverage of the recommended rule's stated bound (recall ≥ bound at 95%) at every 25th record."""
    from screener.stopping.recommended import missing_bound

    y = run["y"]
    N = len(y)
    R = int(y.sum())
    stated = covered = 0
    for c in range(every, N, every):
        found = int(y[:c].sum())
        if found == 0:
            continue
        bound = found / (found + missing_bound(y[:c], N - c, ALPHA))
        stated += 1
        covered += found / R >= bound - 1e-9
    return {"pool": run["pool"], "label": run["label"], "seed": run["seed"], "family": run["family"],
            "rule": "screener", "params": "{}", "stated": stated, "covered": int(covered),
            "stated_all": stated, "covered_all": int(covered)}


def guaranteed_rows(run: dict, cps: np.ndarray, zr: np.ndarray) -> list[dict]:
    """The two rules with a guarantee from Callaghan & Müller-Hansen (2020): the ranked test
    (bias 1) and the random-sampling test after ``switch_after`` irrelevant in a row (its one
    setting, tuned for effort; the guarantee holds for any)."""

    from screener.stopping.hypergeometric import k_target

    y = run["y"]
    N = len(y)
    pool = N + run["n_priors"]
    rows = []
    res = {t: first_stop(ranked_min_p(y, cps, pool - run["n_priors"], t) < ALPHA, cps, N) for t in TARGETS}
    rows += rows_for(run, "hypergeometric", {"bias": 1}, res)
    rng = np.random.default_rng([run["seed"], len(y), int(y.sum())])
    tp = np.cumsum(y)
    R = int(y.sum())
    for sw in (25, 50, 100, 200):
        at = np.flatnonzero(zr >= sw)
        c = int(cps[at[0]]) if at.size else N
        rest = y[c:][rng.permutation(N - c)]
        U = N - c
        n = np.arange(5, U + 5, 5).clip(max=U) if U else np.zeros(0, int)
        k = np.cumsum(rest)[n - 1] if U else np.zeros(0, int)
        out = []
        for t in TARGETS:
            if U == 0:
                out.append((t, c, 0))
                continue
            r_seen = tp[c - 1] + k if c else k
            K = np.minimum(k_target(r_seen, k, t), U)
            p = hyper_cdf(k, U, K, n)
            i = np.flatnonzero(p < ALPHA)
            m = int(n[i[0]]) if i.size else U
            out.append((t, c, m))
        for t, c_, m in out:
            kk = int(rest[:m].sum())
            rec = ((tp[c_ - 1] if c_ else 0) + kk) / R
            best = int(np.searchsorted(tp, math.ceil(t * R - 1e-9))) + 1
            rows.append({"pool": run["pool"], "family": run["family"], "label": run["label"], "seed": run["seed"],
                         "rule": "hypergeometric_random", "params": json.dumps({"switch_after": sw}), "target": t,
                         "N": N, "R": R, "recall": float(rec), "reached": bool(rec >= t - 1e-9),
                         "effort": (c_ + m) / N, "excess": (c_ + m - best) / N})
    return rows


def grid_dir(ranker_dir: str, name: str, labels=("label_included", "label_abstract_screening")) -> None:
    """Resumable: one JSON line per (run, rule, setting, target) in runs/research/<name>.jsonl."""
    OUT.mkdir(parents=True, exist_ok=True)
    out, cov_out = OUT / f"{name}.jsonl", OUT / f"{name}_coverage.jsonl"
    done = set()
    if out.exists():
        for line in open(out):
            r = json.loads(line)
            done.add((r["pool"], r["label"], r["seed"]))
    files = sorted(Path(ranker_dir).glob("*/*/seed*/order.csv"))
    with open(out, "a") as fh, open(cov_out, "a") as ch:
        for f in files:
            seed, label, pool = int(f.parent.name[4:]), f.parent.parent.name, f.parent.parent.parent.name
            if label not in labels or (pool, label, seed) in done:
                continue
            d = pd.read_csv(f).sort_values("rank")
            prior = d["is_prior"].fillna(0).astype(int).to_numpy() == 1
            y = d["label"].astype(int).to_numpy()[~prior].astype(np.int8)
            if y.sum() == 0:
                continue
            run = {"pool": pool, "label": label, "seed": seed, "y": y, "n_priors": int(prior.sum()), "family": family(pool)}
            rows, cov = run_rows(run)
            for r in rows:
                fh.write(json.dumps(r) + "\n")
            for c in cov:
                ch.write(json.dumps(c) + "\n")
            fh.flush()
            ch.flush()


if __name__ == "__main__" and sys.argv[1] == "grid":
    grid_dir(sys.argv[2], sys.argv[3])


def read_rows(name: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    rows = pd.read_json(OUT / f"{name}.jsonl", lines=True)
    cov = pd.read_json(OUT / f"{name}_coverage.jsonl", lines=True)
    return rows, cov


def cv_report(name: str, min_lo: float = 0.95) -> str:
    rows, cov = read_rows(name)
    lines = [f"## {name}: {rows[['pool', 'label', 'seed']].drop_duplicates().shape[0]} runs "
             f"({rows.pool.nunique()} pools, seeds {rows.seed.min()}-{rows.seed.max()})\n"]
    for rule in ["pp_exp", "n_in_a_row", "all"]:
        r = rows if rule == "all" else rows[rows.rule == rule]
        cv = cross_validate(r, r.seed <= 9, min_lo=min_lo)
        lines.append(f"### {rule}: out of fold (chosen on seeds 0-9 of the other families)\n")
        lines.append(summary(cv, by=("target",)).to_string(index=False))
        lines.append(summary(cv[cv.seed >= 10], by=("target",)).assign(seeds="10-19").to_string(index=False))
        lines.append(summary(cv, by=("target", "label")).to_string(index=False))
        lines.append(summary(cv[np.isclose(cv.target, 0.95)], by=("family",)).to_string(index=False))
        lines.append(cv.groupby("fold").chosen.first().to_string())
        chosen = cv[["fold", "rule", "params"]].drop_duplicates()
        c = cov.merge(chosen, on=["rule", "params"])
        c = c[c.family == c.fold]
        lines.append(f"coverage of the stated bound, out of fold: {c.covered.sum()}/{c.stated.sum()} = "
                     f"{c.covered.sum() / max(1, c.stated.sum()):.4f}\n")
    return "\n".join(lines)


if __name__ == "__main__" and sys.argv[1] == "cv":
    for name in sys.argv[2:]:
        print(cv_report(name))


CANDIDATES = {  # design → (rows' rule name, what it is)
    "screener (ranked hypergeometric, bias 1)": ("hypergeometric", "guarantee; nothing to choose"),
    "hypergeometric_random (switch point by CV)": ("hypergeometric_random", "guarantee; switch_after chosen"),
    "point_process (settings by CV)": ("pp_exp", "heuristic; ll_drop, min_run, finish, fit_from chosen"),
    "n_in_a_row (settings by CV)": ("n_in_a_row", "heuristic; n, share of pool, finish chosen"),
}


def fmt(df: pd.DataFrame) -> str:
    from screener.experiments.cross_validation import _md

    return _md(df)


def report(names: list[str], out: Path, min_lower: float = 0.95) -> None:
    from screener.experiments.cross_validation import cross_validate, out_of_fold_summary

    parts = ["# Stopping rules out of fold (issue 10)\n\n",
             "Every tunable setting is chosen by leave-one-family-out cross-validation over the shared pools "
             "(families per EVALUATION.md; SYNERGY_Chou_2004 with Cohen_2006): in each fold, the least mean "
             f"excess effort among settings whose reliability at τ = 0.95 over the other families' runs on seeds "
             f"0-9 has a Wilson lower bound ≥ {min_lower:g} (else the most reliable). All numbers below are out of "
             "fold unless labelled in-sample. Checked every 5 records. Produced by "
             "`python benchmarks/stopping_research.py report " + " ".join(names) + "` from the rows of "
             "`... grid` (benchmarks/runs/research/, not committed).\n"]
    for name in names:
        rows, cov = read_rows(name)
        if rows["pool"].map(family).nunique() < 2:
            parts.append(f"\n## Orders: {name}\n\nFewer than two families of pools so far: not cross-validated.\n")
            continue
        rows = rows.assign(rule=rows["rule"] + " " + rows["params"])
        n_runs = rows[["pool", "label", "seed"]].drop_duplicates()
        parts.append(f"\n## Orders: {name}\n\n{len(n_runs)} runs: {n_runs.pool.nunique()} pools, seeds "
                     f"{n_runs.seed.min()}-{n_runs.seed.max()}, labels "
                     + ", ".join(f"{lab} ({(n_runs.label == lab).sum()})" for lab in sorted(n_runs.label.unique()))
                     + ".\n")
        for title, (rule, what) in CANDIDATES.items():
            r = rows[rows["rule"].str.startswith(rule + " ")]
            if r.empty:
                continue
            held, picks = cross_validate(r, min_lower=min_lower)
            parts.append(f"\n### {title} — {what}\n\n")
            s = out_of_fold_summary(held.drop(columns=["bound"], errors="ignore"), ["target"])
            later = held[held.seed >= 10]
            parts.append(fmt(s))
            if not later.empty:
                parts.append("\nSeeds 10-19 only:\n\n" + fmt(out_of_fold_summary(later, ["target"])))
            if held["label"].nunique() > 1:
                parts.append("\nBy label (τ = 0.95):\n\n"
                             + fmt(out_of_fold_summary(held[np.isclose(held.target, 0.95)], ["label"])))
            parts.append("\nBy family (τ = 0.95):\n\n"
                         + fmt(out_of_fold_summary(held[np.isclose(held.target, 0.95)], ["fold"])))
            chosen = picks[["fold", "chosen", "goal_met_in_training", "train_reliability", "train_excess"]]
            parts.append(f"\nChoice per fold ({chosen.chosen.nunique()} distinct):\n\n" + fmt(chosen))
            c = cov.assign(rule=cov["rule"].map({"pp_exp": "pp_exp", "screener": "hypergeometric"}) + " "
                           + cov["params"].where(cov["rule"] != "screener", '{"bias": 1}'))
            c = c.merge(picks[["fold", "chosen"]], left_on=["family", "rule"], right_on=["fold", "chosen"])
            if not c.empty and c.stated_all.sum():
                parts.append(f"\nCoverage of the stated bound (true recall ≥ the stated 95% lower bound), out of fold: "
                             f"{c.covered_all.sum()}/{c.stated_all.sum()} = "
                             f"{c.covered_all.sum() / c.stated_all.sum():.4f} of checkpoints"
                             + (" (every 25th record)" if rule == "hypergeometric" else " (every 5th record)")
                             + (f"; where the rule could stop: {c.covered.sum()}/{c.stated.sum()} = "
                                f"{c.covered.sum() / max(1, c.stated.sum()):.4f}" if rule == "pp_exp" else "") + ".\n")
    # in-sample frontier, labelled as such
    out.write_text("".join(parts))


if __name__ == "__main__" and sys.argv[1] == "report":
    report(sys.argv[2:], HERE / "results" / "stopping_cv.md")


def readme_table(names: list[str], min_lower: float = 0.95) -> str:
    """The README's table: each design at τ = 0.95, out of fold, on each ranker's orders."""
    from screener.experiments.cross_validation import cross_validate, out_of_fold_summary

    lines = ["| design | kind | orders | runs | reliability [Wilson 95%] | effort | excess | at 0.8 / 0.9 |",
             "|---|---|---|--:|--:|--:|--:|--:|"]
    for title, (rule, what) in CANDIDATES.items():
        for name in names:
            rows, _ = read_rows(name)
            if rows["pool"].map(family).nunique() < 2:
                continue
            rows = rows.assign(rule=rows["rule"] + " " + rows["params"])
            r = rows[rows["rule"].str.startswith(rule + " ")]
            held, _ = cross_validate(r, min_lower=min_lower)
            s = out_of_fold_summary(held, ["target"]).assign(target=lambda d: d["target"].round(3)).set_index("target")
            a = s.loc[0.95]
            lines.append(f"| {title} | {what.split(';')[0]} | {name} | {int(a.runs)} | {a.reliability:.3f} "
                         f"[{a.reliability_lo:.3f}, {a.reliability_hi:.3f}] | {a.effort:.3f} | {a.excess:.3f} | "
                         f"{s.loc[0.8].reliability:.3f} / {s.loc[0.9].reliability:.3f} |")
    return "\n".join(lines)


if __name__ == "__main__" and sys.argv[1] == "readme":
    print(readme_table(sys.argv[2:]))
