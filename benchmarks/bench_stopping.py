"""Stopping-rule benchmark: screener's orders on every shared pool × 20 seeds, replayed by every rule.

    python benchmarks/bench_stopping.py orders            # generate (resumable) the simulation orders
    python benchmarks/bench_stopping.py evaluate --n-jobs 2   # replay every rule, write results/stopping.{jsonl,md}
    python benchmarks/bench_stopping.py evaluate --available  # only the orders generated so far
    python benchmarks/bench_stopping.py report                # results/stopping.md again from stopping_summary.jsonl
    python benchmarks/bench_stopping.py plots                 # the figures again from results/stopping.jsonl (SVG + PNG)

The same on ASReview's orders (written by asreview_baseline.py), the README's third caveat:

    python benchmarks/bench_stopping.py evaluate --orders benchmarks/runs/asreview --seeds 0-9 --available \
        --rules "biased_urn;biased_urn:check_share=0.02" --targets 0.95 --stem stopping_asreview_orders

Orders are cached in benchmarks/runs/orders/<pool>/<label>/seed<k>/order.csv (git-ignored;
``--orders benchmarks/runs/screener`` reads the ranking benchmark's); existing orders are reused.
The work is done by ``screener.experiments`` (the same code as ``screener stopping evaluate``);
this script only names the pools, the folders and the results files.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared" / "data"
ORDERS = HERE / "runs" / "orders"
RESULTS = HERE / "results"
LABEL = "label_included"


def pools(data_dir: Path = DATA) -> list[Path]:
    return sorted(p for p in data_dir.glob("*.csv") if p.name != "index.csv")


def generate(seeds: list[int], n_jobs: int, scheduler: str | None) -> None:
    from screener.experiments.order_cache import order_path, simulate_order
    from screener.parallel import run_tasks

    tasks = [(str(p), str(order_path(ORDERS, p.stem, s, LABEL)), LABEL, s)
             for s in seeds for p in pools()]  # seeds outer: every pool gets early seeds first
    tasks = [t for t in tasks if not Path(t[1]).exists()]
    run_tasks(simulate_order, tasks, n_jobs=n_jobs, scheduler=scheduler,
              progress=lambda done, total, result: print(f"[{done}/{total}] {result}", flush=True))


def evaluate_all(seeds: list[int], args) -> None:
    from screener.experiments.reports import write_reports
    from screener.experiments.stopping_sweep import evaluate_stopping

    t0 = time.perf_counter()
    res = evaluate_stopping(
        [str(p) for p in pools()], seeds=seeds, targets=[float(t) for t in args.targets.split(",")],
        rules=args.rules, orders_dir=args.orders, label_column=args.label, n_jobs=args.n_jobs, scheduler=args.scheduler,
        simulate_missing=False, skip_missing=args.available,
        progress=lambda d, t, r: print(f"[{d}/{t}]", flush=True) if d % 20 == 0 or d == t else None,
    )
    wall = time.perf_counter() - t0
    runs = res[["pool", "seed"]].drop_duplicates()
    extra = {"command": "python benchmarks/bench_stopping.py " + " ".join(sys.argv[1:]),
             "wall_s": round(wall, 1), "orders": len(runs), "seeds_per_pool": runs.groupby("pool").size().to_dict(),
             "n_jobs": args.n_jobs}
    write_reports(res, RESULTS, stem=args.stem, extra=extra, title=title(args))
    print(f"wall {wall:.1f}s", file=sys.stderr)


def plots(stem: str) -> list[Path]:
    """The figures of a finished evaluation, redrawn from its per-run lines (no replay)."""
    from screener.experiments.plots import plot_effort_recall, plot_reliability
    from screener.experiments.reports import read_jsonl
    from screener.experiments.summary import summarise

    rows = read_jsonl(RESULTS / f"{stem}.jsonl")
    return (plot_effort_recall(rows, RESULTS / f"{stem}_effort_recall")
            + plot_reliability(summarise(rows), RESULTS / f"{stem}_reliability", rows=rows))


def title(args) -> str:
    if args.title:
        return args.title
    orders = Path(args.orders).resolve()
    name = orders.relative_to(ROOT) if orders.is_relative_to(ROOT) else orders
    return f"Stopping rules on the orders in {name}: recall at stop, reliability, effort"


def main(argv: list[str] | None = None) -> None:
    from screener.specs import parse_seeds

    ap = argparse.ArgumentParser()
    ap.add_argument("step", choices=["orders", "evaluate", "report", "plots"])
    ap.add_argument("--seeds", default="0-19")
    ap.add_argument("--n-jobs", type=int, default=1)
    ap.add_argument("--scheduler", default=None)
    ap.add_argument("--targets", default="0.8,0.9,0.95")
    ap.add_argument("--rules", default="all")
    ap.add_argument("--available", action="store_true", help="evaluate only the orders generated so far")
    ap.add_argument("--label", default=LABEL, help="label column of the orders (label_included, label_abstract_screening)")
    ap.add_argument("--orders", type=Path, default=ORDERS,
                    help="order cache to evaluate (e.g. benchmarks/runs/screener, written by bench_ranking.py)")
    ap.add_argument("--stem", default="stopping", help="results/<stem>.jsonl, <stem>_summary.jsonl, <stem>.md")
    ap.add_argument("--title", default=None, help="the report's heading (default: by --orders)")
    args = ap.parse_args(argv)
    seeds = list(parse_seeds(args.seeds))
    if args.step == "report":
        from screener.experiments.reports import report_from_summary

        path = report_from_summary(RESULTS / f"{args.stem}_summary.jsonl", RESULTS / f"{args.stem}.md", title(args))
        print(f"wrote {path}", file=sys.stderr)
    elif args.step == "plots":
        for path in plots(args.stem):
            print(f"wrote {path}", file=sys.stderr)
    elif args.step == "orders":
        generate(seeds, args.n_jobs, args.scheduler)
    else:
        evaluate_all(seeds, args)


if __name__ == "__main__":
    main()
