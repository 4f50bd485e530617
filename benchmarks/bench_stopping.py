"""Stopping-rule benchmark: screener's orders on every shared pool × 20 seeds, replayed by every rule.

    python benchmarks/bench_stopping.py orders            # generate (resumable) the simulation orders
    python benchmarks/bench_stopping.py evaluate --n-jobs 2   # replay every rule, write results/stopping.{jsonl,md}
    python benchmarks/bench_stopping.py evaluate --available  # only the orders generated so far

Orders are cached in benchmarks/runs/orders/<pool>/<label>/seed<k>/order.csv
(git-ignored); existing orders are reused. Orders are generated with joblib
(n_jobs=1 by default: the machine is shared) through ``screener.parallel.run_tasks``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DATA = ROOT.parent / "shared" / "data"
ORDERS = HERE / "runs" / "orders"
RESULTS = HERE / "results"
LABEL = "label_included"


def pools(data_dir: Path = DATA) -> list[Path]:
    return sorted(p for p in data_dir.glob("*.csv") if p.name != "index.csv")


def order_path(pool: str, seed: int, label: str = LABEL) -> Path:
    return ORDERS / pool / label / f"seed{seed}" / "order.csv"


def make_order(path: str, seed: int, label: str = LABEL) -> dict:
    """Simulate one run to the end of the pool and cache its order (skipped when cached)."""
    from screener.orders import write_order
    from screener.readers import read_file
    from screener.simulate import simulate

    name = Path(path).stem
    out = order_path(name, seed, label)
    if out.exists():
        return {"pool": name, "seed": seed, "cached": True}
    t0 = time.perf_counter()
    order = simulate(read_file(path), label_column=label, seed=seed)
    tmp = out.with_suffix(".tmp.csv")
    write_order(order, tmp)
    tmp.replace(out)
    return {"pool": name, "seed": seed, "cached": False, "wall_s": round(time.perf_counter() - t0, 2)}


def generate(seeds: range, n_jobs: int, scheduler: str | None) -> None:
    from screener.parallel import run_tasks

    tasks = [(str(p), s) for s in seeds for p in pools()]  # seeds outer: every pool gets early seeds first
    tasks = [t for t in tasks if not order_path(Path(t[0]).stem, t[1]).exists()]

    def progress(done: int, total: int, result: object) -> None:
        print(f"[{done}/{total}] {result}", flush=True)

    run_tasks(make_order, tasks, n_jobs=n_jobs, scheduler=scheduler, progress=progress)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("step", choices=["orders", "evaluate"])
    ap.add_argument("--seeds", default="0-19")
    ap.add_argument("--n-jobs", type=int, default=1)
    ap.add_argument("--scheduler", default=None)
    ap.add_argument("--targets", default="0.8,0.9,0.95")
    ap.add_argument("--rules", default="all")
    ap.add_argument("--available", action="store_true", help="evaluate only the orders generated so far")
    ap.add_argument("--orders", type=Path, default=ORDERS,
                    help="order cache to evaluate (e.g. benchmarks/runs/screener, written by bench_ranking.py)")
    args = ap.parse_args(argv)
    lo, _, hi = args.seeds.partition("-")
    seeds = range(int(lo), int(hi or lo) + 1)
    if args.step == "orders":
        generate(seeds, args.n_jobs, args.scheduler)
    else:
        evaluate_all(seeds, args)


def evaluate_all(seeds: range, args) -> None:
    from screener.stopping.evaluate import evaluate_stopping, write_reports

    t0 = time.perf_counter()
    res = evaluate_stopping(
        [str(p) for p in pools()], seeds=list(seeds), targets=[float(t) for t in args.targets.split(",")],
        rules=args.rules, orders_dir=args.orders, n_jobs=args.n_jobs, scheduler=args.scheduler,
        simulate_missing=False, skip_missing=args.available,
        progress=lambda d, t, r: print(f"[{d}/{t}]", flush=True) if d % 20 == 0 or d == t else None,
    )
    wall = time.perf_counter() - t0
    RESULTS.mkdir(exist_ok=True)
    import numpy
    import scipy

    import screener

    runs = res[["pool", "seed"]].drop_duplicates()
    extra = {"command": "python benchmarks/bench_stopping.py " + " ".join(sys.argv[1:]),
             "wall_s": round(wall, 1), "orders": len(runs), "seeds_per_pool": runs.groupby("pool").size().to_dict(),
             "n_jobs": args.n_jobs,
             "versions": {"screener": getattr(screener, "__version__", "dev"), "numpy": numpy.__version__,
                          "scipy": scipy.__version__}}
    write_reports(res, RESULTS, stem="stopping", extra=extra)
    print(f"wall {wall:.1f}s", file=sys.stderr)


if __name__ == "__main__":
    main()
