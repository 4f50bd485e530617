"""The order cache of the experiments: one simulated screening order per (pool, label, seed).

``<orders>/<pool>/<label_column>/seed<k>/order.csv`` (as ``screener.orders.write_order`` writes
it), with an optional ``checkpoints.csv`` beside it (the model's expected number of relevant
unscreened records over the run). Orders missing from the cache are simulated and written
atomically, so an interrupted sweep resumes where it stopped.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from screener.errors import DataError
from screener.labels import LABEL_COLUMN, file_labels
from screener.orders import write_order
from screener.readers import read_file
from screener.simulate import run_simulation


@dataclass(frozen=True)
class CachedOrder:
    """One order read back for replay: 0/1 labels in screening order (priors first)."""

    pool: str
    seed: int
    labels: np.ndarray
    n_priors: int
    checkpoints: pd.DataFrame | None = None


def order_path(orders_dir: str | Path, pool: str, seed: int, label_column: str = LABEL_COLUMN) -> Path:
    return Path(orders_dir) / pool / label_column / f"seed{seed}" / "order.csv"


def read_checkpoints(path: Path) -> pd.DataFrame | None:
    """``checkpoints.csv`` next to an order: ``n_screened,expected_remaining,var`` (optional)."""
    if not path.exists():
        return None
    cp = pd.read_csv(path)
    missing = {"n_screened", "expected_remaining", "var"} - set(cp.columns)
    if missing:
        raise DataError(f"{path}: missing columns {', '.join(sorted(missing))}")
    return cp.sort_values("n_screened").reset_index(drop=True)


def load_order(path: str | Path, pool: str, seed: int) -> CachedOrder:
    """An order file (and its checkpoints) as labels in rank order."""
    path = Path(path)
    df = pd.read_csv(path).sort_values("rank")
    missing = {"rank", "label", "is_prior"} - set(df.columns)
    if missing:
        raise DataError(f"{path}: missing columns {', '.join(sorted(missing))}; regenerate the order")
    return CachedOrder(pool=pool, seed=int(seed), labels=df["label"].astype(int).to_numpy(np.int8),
                       n_priors=int(df["is_prior"].fillna(0).astype(int).sum()),
                       checkpoints=read_checkpoints(path.with_name("checkpoints.csv")))


def check_pool_file(data_path: str | Path, label_column: str) -> None:
    """Raise the ``DataError`` a simulation of ``data_path`` would, before any is run: a file that is
    not a labelled pool (``index.csv`` beside the pools, say) fails a sweep at once, not after
    the other pools' simulations."""
    try:
        file_labels(read_file(data_path), label_column)
    except DataError as exc:
        raise DataError(f"{Path(data_path).name}: {exc}" if Path(data_path).name not in str(exc) else str(exc)) from None


def simulate_order(data_path: str | Path, out: str | Path, label_column: str, seed: int) -> dict:
    """Simulate one run of ``data_path`` to the end of the pool and cache its order at ``out``
    (left alone when it is there)."""
    out = Path(out)
    if out.exists():
        return {"pool": Path(data_path).stem, "seed": seed, "cached": True}
    t0 = time.perf_counter()
    run = run_simulation(read_file(data_path), label_column=label_column, seed=seed)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp.csv")
    write_order(run.order, tmp, checkpoints=run.checkpoints)
    tmp.replace(out)
    return {"pool": Path(data_path).stem, "seed": seed, "cached": False, "wall_s": round(time.perf_counter() - t0, 2)}


def cached_orders(orders_dir: str | Path, seeds: Sequence[int], label_column: str = LABEL_COLUMN,
                  pools: Sequence[str] | None = None) -> list[tuple[str, int, Path]]:
    """(pool, seed, path) of every order in the cache for these seeds (and pools), sorted."""
    orders_dir = Path(orders_dir)
    if not orders_dir.is_dir():
        raise DataError(f"order cache not found: {orders_dir}")
    names = sorted(p.name for p in orders_dir.iterdir() if p.is_dir()) if pools is None else list(pools)
    found = []
    for pool in names:
        for seed in seeds:
            path = order_path(orders_dir, pool, seed, label_column)
            if path.exists():
                found.append((pool, int(seed), path))
    return found


def fingerprint(runs: Sequence[tuple[str, int, Path]]) -> str:
    """A digest of the order files' contents: the same folder regenerated is a different sweep."""
    digest = hashlib.sha1()
    for pool, seed, path in runs:
        digest.update(f"{pool}/{seed}\n".encode())
        digest.update(Path(path).read_bytes())
    return digest.hexdigest()[:12]
