"""Replaying screening orders with stopping rules: recall at stop, reliability (Wilson
interval), effort and excess effort, as EVALUATION.md defines them.

A rule is evaluated by replaying an order file (no retraining): the ranked cursor moves
``check_every`` records at a time; rules that draw a random sample draw it from the records
not yet screened with one seeded ``numpy.random.Generator``, and sampled records count as
effort (and relevant sampled records as found).
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from screener.errors import ConfigError, DataError
from screener.metrics import records_at
from screener.stopping.base import RunState, StoppingRule

_EPS = 1e-9


def wilson_interval(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion (Wilson 1927)."""
    if n == 0:
        return (0.0, 1.0)
    from scipy.stats import norm

    z = float(norm.ppf(0.5 + confidence / 2))
    p = successes / n
    den = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / den
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    # clamp so that lo ≤ p ≤ hi survives rounding at p = 0 or 1
    return (min(p, max(0.0, centre - half)), max(p, min(1.0, centre + half)))


def read_checkpoints(path: Path) -> pd.DataFrame | None:
    """``checkpoints.csv`` next to an order: ``n_screened,expected_remaining,var`` (optional)."""
    if not path.exists():
        return None
    cp = pd.read_csv(path)
    missing = {"n_screened", "expected_remaining", "var"} - set(cp.columns)
    if missing:
        raise DataError(f"{path}: missing columns {', '.join(sorted(missing))}")
    return cp.sort_values("n_screened").reset_index(drop=True)


def replay(
    labels: np.ndarray,
    n_priors: int,
    rule: StoppingRule,
    *,
    target: float = 0.95,
    confidence: float = 0.95,
    rng: np.random.Generator | None = None,
    check_every: int = 5,
    checkpoints: pd.DataFrame | None = None,
) -> dict:
    """Replay one order (0/1 labels in screening order, priors first) with one rule.

    Returns ``screened`` (ranked records incl. priors at the stop), ``sampled`` (sample records
    not reached by the ranking), ``effort_records`` (priors excluded), ``found`` (relevant,
    priors excluded), the final verdict's estimate and explanation.
    """
    labels = np.asarray(labels, dtype=np.int8)
    pool = len(labels)
    rng = rng if rng is not None else np.random.default_rng(0)
    perm: np.ndarray | None = None
    perm_at = 0
    sample_pos: list[int] = []
    drawn_at: list[int] = []
    sampled = np.zeros(pool, dtype=bool)
    frame = start = 0
    cursor = n_priors
    cp_n = cp_e = cp_v = None
    if checkpoints is not None and rule.needs_model:
        cp_n = checkpoints["n_screened"].to_numpy()
        cp_e = checkpoints["expected_remaining"].to_numpy(float)
        cp_v = checkpoints["var"].to_numpy(float)
    while True:
        pos = np.asarray(sample_pos, dtype=np.int64)
        expected = var = None
        if cp_n is not None:
            i = int(np.searchsorted(cp_n, cursor, side="right")) - 1
            if i >= 0:
                expected, var = float(cp_e[i]), float(cp_v[i])
        state = RunState(labels=labels[:cursor], pool_size=pool, n_priors=n_priors,
                         sample_labels=labels[pos], sample_reached=pos < cursor,
                         sample_frame=frame, sample_start=start, sample_drawn_at=np.asarray(drawn_at, dtype=np.int64),
                         expected_remaining=expected, remaining_var=var)
        verdict = rule.verdict(state, target=target, confidence=confidence)
        if verdict.stop:
            break
        want = rule.sample_request(state, target=target, confidence=confidence)
        if want > 0:
            if perm is None:
                perm = rng.permutation(pool)
                frame, start = state.n_unscreened, cursor
            got = 0
            while got < want and perm_at < pool:
                p = int(perm[perm_at])
                perm_at += 1
                if p >= cursor and not sampled[p]:
                    sampled[p] = True
                    sample_pos.append(p)
                    drawn_at.append(cursor)
                    got += 1
            if got:
                continue
        if cursor >= pool:
            break
        cursor = min(pool, cursor + check_every)
    extra = int(sum(1 for p in sample_pos if p >= cursor))
    found = int(labels[n_priors:cursor].sum()) + int(sum(labels[p] for p in sample_pos if p >= cursor))
    return {"screened": cursor, "sampled": extra, "effort_records": cursor - n_priors + extra, "found": found,
            "recall_estimate": verdict.recall_estimate, "explanation": verdict.explanation}


def _rng_for(seed: int, spec: str, target: float) -> np.random.Generator:
    return np.random.default_rng([int(seed), zlib.crc32(spec.encode()), int(round(target * 10000))])


def evaluate_order_rules(
    labels: np.ndarray,
    n_priors: int,
    rules: dict[str, StoppingRule],
    targets: Sequence[float],
    *,
    confidence: float = 0.95,
    seed: int = 0,
    check_every: int = 5,
    checkpoints: pd.DataFrame | None = None,
    meta: dict | None = None,
) -> list[dict]:
    """One row per (rule, target) for one order: recall at stop, effort, excess effort."""
    labels = np.asarray(labels, dtype=np.int8)
    ranked = labels[n_priors:]
    N, R = len(ranked), int(ranked.sum())
    if R == 0:
        raise DataError("the order has no relevant records besides the priors: stopping is undefined")
    tp = np.cumsum(ranked)
    rows = []
    for spec, rule in rules.items():
        if rule.needs_model and checkpoints is None:
            continue
        cache = None
        for target in targets:
            if cache is None or rule.uses_target or rule.draws_sample:
                cache = replay(labels, n_priors, rule, target=target, confidence=confidence,
                               rng=_rng_for(seed, spec, target), check_every=check_every, checkpoints=checkpoints)
            r = cache
            best = records_at(tp, target)
            recall = r["found"] / R
            effort = r["effort_records"] / N
            rows.append({**(meta or {}), "rule": spec, "guaranteed": bool(rule.guaranteed), "target": target,
                         "N": N, "R": R, "stop_at": r["screened"] - n_priors, "sampled": r["sampled"],
                         "recall": recall, "reached": bool(recall >= target - _EPS), "effort": effort,
                         "best_effort": best / N, "excess": effort - best / N,
                         "recall_estimate": r["recall_estimate"]})
    return rows


def _order_task(order_path: str, pool: str, seed: int, specs: list[str], targets: list[float],
                confidence: float, check_every: int) -> list[dict]:
    from screener.stopping import make_rule

    df = pd.read_csv(order_path)
    df = df.sort_values("rank")
    labels = df["label"].astype(int).to_numpy()
    n_priors = int(df["is_prior"].fillna(0).astype(int).sum())
    cps = read_checkpoints(Path(order_path).with_name("checkpoints.csv"))
    rules = {s: make_rule(s) for s in specs}
    return evaluate_order_rules(labels, n_priors, rules, targets, confidence=confidence, seed=seed,
                                check_every=check_every, checkpoints=cps, meta={"pool": pool, "seed": seed})


def evaluate_stopping(
    data: Sequence[str | Path],
    *,
    seeds: Sequence[int],
    targets: Sequence[float] = (0.8, 0.9, 0.95),
    rules: str | Sequence[str] = "all",
    orders_dir: str | Path,
    label_column: str = "label_included",
    confidence: float = 0.95,
    check_every: int = 5,
    n_jobs: int = -1,
    scheduler=None,
    simulate_missing: bool = True,
    skip_missing: bool = False,
    progress: Callable[[int, int, object], None] | None = None,
) -> pd.DataFrame:
    """Evaluate rules over data sets × seeds; orders are read from
    ``orders_dir/<pool>/<label_column>/seed<k>/order.csv`` and simulated (then cached) where missing
    (``skip_missing``: left out instead).
    Returns one row per (pool, seed, rule, target)."""
    from screener.parallel import run_tasks
    from screener.stopping import parse_rules

    specs = parse_rules(rules)
    for t in targets:
        if not 0 < t <= 1:
            raise ConfigError(f"targets must be in (0, 1], got {t}")
    orders_dir = Path(orders_dir)
    jobs = []
    for path in data:
        path = Path(path)
        if not path.is_file():
            raise DataError(f"data file not found: {path}")
        for seed in seeds:
            jobs.append((str(path), path.stem, int(seed)))
    missing = [j for j in jobs if not _order_file(orders_dir, j[1], label_column, j[2]).exists()]
    if skip_missing:
        jobs = [j for j in jobs if j not in missing]
        missing = []
    if missing and not simulate_missing:
        raise DataError(f"{len(missing)} order files missing under {orders_dir}, e.g. "
                        f"{_order_file(orders_dir, missing[0][1], label_column, missing[0][2])}")
    if missing:
        run_tasks(_simulate_task, [(p, str(_order_file(orders_dir, name, label_column, s)), label_column, s)
                                   for p, name, s in missing], n_jobs=n_jobs, scheduler=scheduler)
    tasks = [(str(_order_file(orders_dir, name, label_column, s)), name, s, specs, list(targets), confidence, check_every)
             for _, name, s in jobs]
    results = run_tasks(_order_task, tasks, n_jobs=n_jobs, scheduler=scheduler, progress=progress)
    return pd.DataFrame([row for rows in results for row in rows])


def _order_file(orders_dir: Path, pool: str, label_column: str, seed: int) -> Path:
    return orders_dir / pool / label_column / f"seed{seed}" / "order.csv"


def _simulate_task(data_path: str, out: str, label_column: str, seed: int) -> str:
    from screener.orders import write_order
    from screener.readers import read_file
    from screener.simulate import simulate

    order = simulate(read_file(data_path), label_column=label_column, seed=seed)
    tmp = Path(out).with_suffix(".tmp.csv")
    write_order(order, tmp)
    tmp.replace(out)
    return out


def summarise(rows: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """Per rule, target and pool (and ``all`` pools): runs, mean recall at stop, reliability with
    its Wilson interval, mean effort and excess effort."""
    out = []
    for by_pool in (True, False):
        keys = ["rule", "target", "pool"] if by_pool else ["rule", "target"]
        for key, g in rows.groupby(keys, sort=True):
            key = dict(zip(keys, key))
            n, hits = len(g), int(g["reached"].sum())
            lo, hi = wilson_interval(hits, n, confidence)
            out.append({"pool": key.get("pool", "all"), "rule": key["rule"], "target": key["target"],
                        "guaranteed": bool(g["guaranteed"].iloc[0]), "runs": n,
                        "recall": float(g["recall"].mean()), "reliability": hits / n,
                        "reliability_lo": lo, "reliability_hi": hi,
                        "effort": float(g["effort"].mean()), "excess": float(g["excess"].mean())})
    return pd.DataFrame(out)


def markdown_table(summary: pd.DataFrame, target: float | None = None, pool: str = "all") -> str:
    """The overall table (one row per rule) for one target, or for each target."""
    s = summary[summary["pool"] == pool]
    if target is not None:
        s = s[np.isclose(s["target"], target)]
    s = s.sort_values(["target", "excess"])
    lines = ["| target | rule | kind | runs | recall at stop | reliability [Wilson 95%] | effort | excess effort |",
             "|--:|---|---|--:|--:|--:|--:|--:|"]
    for _, r in s.iterrows():
        kind = "guarantee" if r["guaranteed"] else "heuristic"
        lines.append(f"| {r['target']:g} | {r['rule']} | {kind} | {r['runs']} | {r['recall']:.3f} | "
                     f"{r['reliability']:.3f} [{r['reliability_lo']:.3f}, {r['reliability_hi']:.3f}] | "
                     f"{r['effort']:.3f} | {r['excess']:.3f} |")
    return "\n".join(lines) + "\n"


def write_reports(rows: pd.DataFrame, out_dir: str | Path, *, stem: str = "stopping", extra: dict | None = None,
                  plots: bool = True) -> dict[str, Path]:
    """Write ``<stem>.jsonl`` (one line per pool × seed × rule × target), ``<stem>_summary.jsonl``,
    ``<stem>.md`` (overall and per-pool tables) and the plots; returns the paths."""
    import json

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    summary = summarise(rows)
    paths = {"runs": out_dir / f"{stem}.jsonl", "summary": out_dir / f"{stem}_summary.jsonl", "table": out_dir / f"{stem}.md"}
    per_line = {k: v for k, v in (extra or {}).items() if k in {"versions", "wall_s"} or not isinstance(v, (dict, list))}
    with open(paths["runs"], "w") as fh:
        for rec in rows.to_dict("records"):
            fh.write(json.dumps({**rec, **per_line}, default=float) + "\n")
    with open(paths["summary"], "w") as fh:
        for rec in summary.to_dict("records"):
            fh.write(json.dumps(rec, default=float) + "\n")
    parts = ["# Stopping rules: recall at stop, reliability, effort\n"]
    if extra:
        parts.append("\n" + "".join(f"- {k}: {v}\n" for k, v in extra.items()))
    parts.append("\n## All pools\n\n" + markdown_table(summary))
    for pool in sorted(p for p in summary["pool"].unique() if p != "all"):
        parts.append(f"\n## {pool}\n\n" + markdown_table(summary, pool=pool))
    paths["table"].write_text("".join(parts))
    if plots:
        from screener.stopping.plots import plot_effort_recall, plot_reliability

        paths["effort_plot"] = plot_effort_recall(rows, out_dir / f"{stem}_effort_recall.png")
        paths["reliability_plot"] = plot_reliability(summary, out_dir / f"{stem}_reliability.png")
    return paths
