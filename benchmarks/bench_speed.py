"""Whole-simulation speed: screener against ASReview 3.0.8, same pool, same priors, same run.

    python benchmarks/bench_speed.py [--data-dir ../shared/data] [--pools Nagtegaal_2019,Hamilton_2022] [--repeats 3]

For each pool and repeat, runs ASReview's default model (in its own venv, see
asreview_env.sh) and screener's default, alternately, from the same priors (seed
= repeat), to the end of the pool, retraining after every label. Each time is
the wall time of the whole simulation, features included, measured from inside
the process (ASReview: its runner's wall_s; screener: simulate()). The ratio of
medians is reported; both ran on the same machine in the same run, so load
affects both. screener's retrain-and-rerank steps are timed inside the same
runs: a step is the time between two picks (fit, score every record, choose the
next), read from ``simulate``'s progress callback; the JSON line has their median
over each run and over the steps with 0-500, 500-1000, 1000-1500 and 1500+
records labelled. Appends a JSON line per pool to benchmarks/results/speed.jsonl.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from asreview_baseline import asreview_python, draw_priors, run_asreview
from screener.model import library_versions
from screener.readers import read_file
from screener.simulate import simulate

RESULTS = ROOT / "benchmarks" / "results" / "speed.jsonl"


def step_summary(steps: list[np.ndarray]) -> dict:
    """Median step time (ms) per run, and over all runs by number of records labelled."""
    bands = {}
    for lo, hi in ((0, 500), (500, 1000), (1000, 1500), (1500, None)):
        sel = np.concatenate([s[lo:hi] for s in steps])
        if len(sel):
            bands[f"{lo}-{hi or ''}"] = round(1000 * float(np.median(sel)), 2)
    return {"step_ms_median_per_run": [round(1000 * float(np.median(s)), 2) for s in steps],
            "step_ms_median": round(1000 * float(np.median(np.concatenate(steps))), 2),
            "step_ms_median_by_labelled": bands}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--pools", default="Nagtegaal_2019,Hamilton_2022")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--no-asreview", action="store_true", help="time screener only")
    args = ap.parse_args()
    try:
        asreview_python()
        with_asreview = not args.no_asreview
    except FileNotFoundError as exc:
        print(f"ASReview not installed ({exc}); timing screener only")
        with_asreview = False
    for name in args.pools.split(","):
        path = args.data_dir / f"{name}.csv"
        if not path.exists():
            print(f"skipped: {path} not found")
            continue
        records = read_file(path)
        ours, theirs, steps = [], [], []
        for seed in range(args.repeats):
            priors = draw_priors(records, seed, "label_included")
            if with_asreview:
                with tempfile.TemporaryDirectory() as tmp:
                    theirs.append(run_asreview(path, "label_included", priors, seed, tmp)["wall_s"])
            ticks: list[float] = []
            t0 = time.perf_counter()
            simulate(records, seed=seed, prior_ids=priors, progress=lambda i, n, ticks=ticks: ticks.append(time.perf_counter()))
            ours.append(time.perf_counter() - t0)
            steps.append(np.diff(ticks))
            print(f"{name} seed {seed}: screener {ours[-1]:.1f} s" + (f", asreview {theirs[-1]:.1f} s" if theirs else ""),
                  flush=True)
        row = {"benchmark": "speed", "dataset": name, "records": len(records), "repeats": args.repeats,
               "screener_s": [round(t, 2) for t in ours], "screener_median_s": round(statistics.median(ours), 2),
               **step_summary(steps),
               "versions": library_versions(), "time": time.strftime("%Y-%m-%dT%H:%M:%S")}
        if theirs:
            row.update(asreview_s=[round(t, 2) for t in theirs], asreview_median_s=round(statistics.median(theirs), 2),
                       ratio_screener_over_asreview=round(statistics.median(ours) / statistics.median(theirs), 3))
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        with RESULTS.open("a") as fh:
            fh.write(json.dumps(row) + "\n")
        print(json.dumps(row))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
