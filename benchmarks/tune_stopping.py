"""Sweep of the recommended stopping rule's parameters, chosen by leave-one-pool-out.

    python benchmarks/tune_stopping.py sweep  --orders benchmarks/runs/screener   # replay every setting (resumable)
    python benchmarks/tune_stopping.py report --orders benchmarks/runs/screener   # tables + leave-one-pool-out choice
    python benchmarks/tune_stopping.py summarise   # rebuild the summary file from the per-run file

Every setting of ``screener.experiments.tuning.recommended_grid`` (a ``screener:...`` rule spec)
is replayed on every order under ``--orders`` (``<pool>/label_included/seed<k>/order.csv``, as
bench_stopping.py reads them) at τ = 0.95 with screener's own replay (checked every 5 records,
random-check records counted as effort). Per setting, its per-run rows go to
results/tune_stopping.jsonl (git-ignored: 25 MB for two order folders) and its per-pool summary
to results/tune_stopping_summary.jsonl (committed). Settings already in the summary for the same
orders (folder and a fingerprint of the order files' contents) are skipped, so regenerated orders
in the same folder are a new sweep.

The report reads the summary alone. It picks the setting by leave-one-pool-out: for each
held-out pool, the setting with the least mean excess effort among those with reliability ≥ 0.95
and Wilson lower bound ≥ 0.90 on the other pools; the held-out pool's runs under that choice make
up the cross-validated numbers. Written to results/tune_stopping.md.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from jsonl import git_commit

RESULTS = HERE / "results"
RUNS = RESULTS / "tune_stopping.jsonl"
SUMMARY = RESULTS / "tune_stopping_summary.jsonl"
LABEL = "label_included"


def main(argv: list[str] | None = None) -> None:
    from screener.experiments import tuning
    from screener.experiments.order_cache import cached_orders, fingerprint
    from screener.specs import parse_seeds

    ap = argparse.ArgumentParser()
    ap.add_argument("step", choices=["sweep", "report", "summarise"])
    ap.add_argument("--orders", type=Path, default=HERE / "runs" / "screener")
    ap.add_argument("--seeds", default="0-19")
    ap.add_argument("--targets", default="0.95")
    ap.add_argument("--specs", default=None, help="';'-separated rule specs instead of the built-in grid")
    ap.add_argument("--batch", type=int, default=64, help="settings replayed per pass over the orders")
    ap.add_argument("--n-jobs", type=int, default=1)
    args = ap.parse_args(argv)
    if args.step == "summarise":
        print(f"{tuning.summaries_from_runs(RUNS, SUMMARY)} summary lines written to {SUMMARY}")
        return
    folder = args.orders.resolve()  # one key per folder, however it was spelled
    orders = str(folder.relative_to(HERE.parent) if folder.is_relative_to(HERE.parent) else folder)
    runs = cached_orders(folder, parse_seeds(args.seeds), LABEL) if folder.is_dir() else []
    if runs:
        sha = fingerprint(runs)
    elif args.step == "report":  # the orders are not on this machine: report the last sweep recorded for them
        sha = tuning.last_fingerprint(SUMMARY, orders)
    else:
        raise SystemExit(f"no orders for seeds {args.seeds} under {folder}")
    if args.step == "sweep":
        specs = args.specs.split(";") if args.specs else tuning.recommended_grid()
        n = tuning.sweep(runs, specs, orders=orders, sha=sha, runs_path=RUNS, summary_path=SUMMARY,
                         targets=[float(t) for t in args.targets.split(",")], batch=args.batch, n_jobs=args.n_jobs,
                         extra={"commit": git_commit()},
                         progress=lambda done, total: print(f"[{done}/{total}] settings", file=sys.stderr, flush=True))
        print(f"{n} settings replayed on {len(runs)} orders", file=sys.stderr)
        return
    summary = tuning.load_summary(SUMMARY, orders, sha)
    if summary.empty:
        raise SystemExit(f"no sweep results for the orders in {orders} (fingerprint {sha}) in {SUMMARY}")
    n_runs = int(summary.loc[summary["pool"] == "all", "runs"].max())
    header = (f"\nOrders: `{orders}` (fingerprint {sha}; {n_runs} runs); commit {git_commit()}. "
              f"Command: `python benchmarks/tune_stopping.py sweep|report --orders {orders}`.\n")
    text = tuning.tuning_report(summary, header=header)
    (RESULTS / "tune_stopping.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
