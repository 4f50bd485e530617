"""Stopping-rule sweeps: every rule × target replayed on every cached order of pools × seeds.

One row per (pool, seed, rule, target) with recall at stop, effort and excess effort as
EVALUATION.md defines them; ``summary`` turns rows into reliability tables. The replay itself
is ``screener.stopping.replay``: no retraining.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from screener.errors import ConfigError, DataError
from screener.experiments.order_cache import check_pool_file, load_order, order_path, simulate_order
from screener.labels import LABEL_COLUMN
from screener.metrics import records_at
from screener.parallel import run_tasks
from screener.seeding import stream
from screener.stopping import make_rule, parse_rules
from screener.stopping.base import StoppingRule
from screener.stopping.replay import replay

_EPS = 1e-9


def _rng_for(seed: int, spec: str, target: float) -> np.random.Generator:
    return stream("stopping_replay", int(seed), zlib.crc32(spec.encode()), int(round(target * 10000)))


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
    """One row per (rule, target) for one order: recall at stop, effort, excess effort.

    Rules that need the model's probabilities are left out when the order has no checkpoints.
    """
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
                               random_state=_rng_for(seed, spec, target), check_every=check_every,
                               checkpoints=checkpoints)
            r = cache
            best = records_at(tp, target)
            recall = r["found"] / R
            effort = r["effort_records"] / N
            rows.append({**(meta or {}), "rule": spec, "guaranteed": bool(rule.guaranteed), "target": target,
                         "N": N, "R": R, "stop_at": r["screened"] - n_priors, "sampled": r["sampled"],
                         "recall": recall, "reached": bool(recall >= target - _EPS), "effort": effort,
                         "best_effort": best / N, "excess": effort - best / N,
                         "recall_estimate": r["recall_estimate"], "bound": r["bound"]})
    return rows


def replay_order_file(path: str | Path, pool: str, seed: int, specs: Sequence[str], targets: Sequence[float],
                      confidence: float = 0.95, check_every: int = 5) -> list[dict]:
    """Every rule spec × target replayed on one cached order (read once)."""
    order = load_order(path, pool, seed)
    rules = {s: make_rule(s) for s in specs}
    return evaluate_order_rules(order.labels, order.n_priors, rules, list(targets), confidence=confidence, seed=seed,
                                check_every=check_every, checkpoints=order.checkpoints,
                                meta={"pool": pool, "seed": seed})


def evaluate_stopping(
    data: Sequence[str | Path],
    *,
    seeds: Sequence[int],
    targets: Sequence[float] = (0.8, 0.9, 0.95),
    rules: str | Sequence[str] = "all",
    orders_dir: str | Path,
    label_column: str = LABEL_COLUMN,
    confidence: float = 0.95,
    check_every: int = 5,
    n_jobs: int = -1,
    scheduler=None,
    simulate_missing: bool = True,
    skip_missing: bool = False,
    progress: Callable[[int, int, object], None] | None = None,
) -> pd.DataFrame:
    """Evaluate rules over data sets × seeds; orders are read from the cache in ``orders_dir``
    and simulated (then cached) where missing (``skip_missing``: left out instead).
    Returns one row per (pool, seed, rule, target)."""
    specs = parse_rules(rules)
    for t in targets:
        if not 0 < t < 1:
            raise ConfigError(f"targets must be between 0 and 1 (exclusive), got {t}")
    jobs = []
    for path in data:
        path = Path(path)
        if not path.is_file():
            raise DataError(f"data file not found: {path}")
        for seed in seeds:
            jobs.append((path, int(seed), order_path(orders_dir, path.stem, int(seed), label_column)))
    missing = [j for j in jobs if not j[2].exists()]
    if skip_missing:
        jobs = [j for j in jobs if j not in missing]
        missing = []
    if missing and not simulate_missing:
        raise DataError(f"{len(missing)} order files missing under {orders_dir}, e.g. {missing[0][2]}")
    for path in dict.fromkeys(p for p, _, _ in missing):  # a file that is no labelled pool fails now
        check_pool_file(path, label_column)
    if missing:
        run_tasks(simulate_order, [(str(p), str(out), label_column, s) for p, s, out in missing],
                  n_jobs=n_jobs, scheduler=scheduler)
    tasks = [(str(out), p.stem, s, specs, list(targets), confidence, check_every) for p, s, out in jobs]
    results = run_tasks(replay_order_file, tasks, n_jobs=n_jobs, scheduler=scheduler, progress=progress)
    return pd.DataFrame([row for rows in results for row in rows])
