"""ASReview LAB 3.0.8 baseline runs, driven from screener's side.

Runs in screener's venv (or any Python >= 3.11 with numpy and pandas); it never
imports asreview. Each simulation is one subprocess of the ASReview venv's python
running benchmarks/asreview_runner.py (create that venv first with
`bash benchmarks/asreview_env.sh`).

    python benchmarks/asreview_baseline.py                       # all pools, seeds 0-9
    python benchmarks/asreview_baseline.py --pools Cohen_2006_Antihistamines \
        --seeds 0 1 2 3 4 --label-column label_abstract_screening

Results: one JSON line per (pool, seed, label_column) appended to
benchmarks/results/asreview.jsonl (resumable: existing entries are skipped), orders in
benchmarks/runs/asreview/<pool>/<label_column>/seed<k>/order.csv.

From Python (same benchmark run as screener, so wall times are comparable):

    from benchmarks.asreview_baseline import draw_priors, run_asreview
    ids = draw_priors(df, seed, "label_included")
    info = run_asreview(path, "label_included", ids, seed, out_dir)
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RUNNER = HERE / "asreview_runner.py"
DEFAULT_VENV = HERE / ".asreview-venv"
DEFAULT_DATA_DIR = ROOT.parent / "shared" / "data"
DEFAULT_RESULTS = HERE / "results" / "asreview.jsonl"
DEFAULT_RUNS = HERE / "runs" / "asreview"


def asreview_python(venv: str | Path | None = None) -> Path:
    """Path of the ASReview venv's python (env ASREVIEW_VENV overrides the default)."""
    venv = Path(venv or os.environ.get("ASREVIEW_VENV") or DEFAULT_VENV)
    py = venv / "bin" / "python"
    if not py.exists():
        raise FileNotFoundError(
            f"no ASReview venv at {venv}; create it with `bash benchmarks/asreview_env.sh`"
        )
    return py


def draw_priors(data: pd.DataFrame, seed: int, label_column: str = "label_included") -> list[str]:
    """Default priors of EVALUATION.md: one included, one excluded record id.

    `numpy.random.RandomState(seed).choice` over the 0-based row positions of the
    included records, then a fresh `RandomState(seed).choice` over the rows of the
    excluded records. The draw is `choice(rows, 1, replace=False)`, exactly what
    `asreview simulate --n-prior-included 1 --n-prior-excluded 1 --prior-seed SEED`
    does (note: this is NOT the same number as `choice(rows)`, which draws with
    replacement through a different code path).
    """
    y = pd.to_numeric(data[label_column], errors="raise").to_numpy()
    included = np.flatnonzero(y == 1)
    excluded = np.flatnonzero(y == 0)
    if len(included) == 0 or len(excluded) == 0:
        raise ValueError(f"{label_column!r} needs at least one included and one excluded record")
    i = np.random.RandomState(seed).choice(included, 1, replace=False)[0]
    e = np.random.RandomState(seed).choice(excluded, 1, replace=False)[0]
    ids = data["record_id"].astype(str)
    return [ids.iloc[int(i)], ids.iloc[int(e)]]


def run_asreview(
    data_path: str | Path,
    label_column: str,
    prior_ids: list[str],
    seed: int,
    out_dir: str | Path,
    *,
    venv: str | Path | None = None,
    timeout: float | None = None,
) -> dict:
    """Run one ASReview 3.0.8 default-model simulation in its own venv (subprocess).

    Writes out_dir/order.csv and out_dir/asreview.json and returns the runner's info
    dict (wall_s: data load + features + whole loop inside the process; import_s:
    importing asreview; process_s: the whole runner process as seen from inside) plus
    `subprocess_wall_s`, the wall time of the whole subprocess as seen from here.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    cmd = [
        str(asreview_python(venv)), str(RUNNER), str(data_path),
        "--prior-ids", *[str(p) for p in prior_ids],
        "--seed", str(int(seed)),
        "--out-dir", str(out_dir),
        "--label-column", label_column,
    ]
    env = dict(os.environ)
    env.setdefault("OMP_NUM_THREADS", "1")
    env.setdefault("OPENBLAS_NUM_THREADS", "1")
    env.setdefault("MKL_NUM_THREADS", "1")
    env.setdefault("PYTHONHASHSEED", "0")
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout)
    elapsed = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(
            f"asreview runner failed ({proc.returncode}) for {data_path} seed {seed}:\n"
            f"{proc.stderr[-4000:]}"
        )
    info = json.loads(proc.stdout.strip().splitlines()[-1])
    info["subprocess_wall_s"] = elapsed
    return info


def records_at(order_csv: str | Path, r: float = 0.95) -> int:
    """records@r of an order file (priors removed), for quick checks."""
    o = pd.read_csv(order_csv)
    y = o.loc[o["is_prior"] == 0, "label"].to_numpy()
    target = math.ceil(r * y.sum())
    return int(np.argmax(np.cumsum(y) >= target) + 1) if y.sum() else 0


def _done(results: Path) -> set[tuple[str, int, str]]:
    done = set()
    if results.exists():
        for line in results.read_text().splitlines():
            if line.strip():
                d = json.loads(line)
                done.add((d["dataset"], int(d["seed"]), d["label_column"]))
    return done


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", default=str(DEFAULT_DATA_DIR))
    ap.add_argument("--pools", nargs="*", help="pool names (default: every *.csv in data dir except index.csv)")
    ap.add_argument("--seeds", nargs="*", type=int, default=list(range(10)))
    ap.add_argument("--label-column", default="label_included")
    ap.add_argument("--results", default=str(DEFAULT_RESULTS))
    ap.add_argument("--runs-dir", default=str(DEFAULT_RUNS))
    ap.add_argument("--venv", default=None)
    args = ap.parse_args(argv)

    data_dir = Path(args.data_dir)
    if not data_dir.is_dir():
        print(f"data dir {data_dir} not found; nothing to do", file=sys.stderr)
        return 0
    pools = args.pools or sorted(p.stem for p in data_dir.glob("*.csv") if p.stem != "index")
    results = Path(args.results)
    results.parent.mkdir(parents=True, exist_ok=True)
    done = _done(results)

    for pool in pools:
        path = data_dir / f"{pool}.csv"
        data = pd.read_csv(path, dtype={"record_id": str}, keep_default_na=False)
        if args.label_column not in data.columns:
            print(f"{pool}: no column {args.label_column}, skipped", file=sys.stderr)
            continue
        for seed in args.seeds:
            if (pool, seed, args.label_column) in done:
                continue
            ids = draw_priors(data, seed, args.label_column)
            out_dir = Path(args.runs_dir) / pool / args.label_column / f"seed{seed}"
            info = run_asreview(path, args.label_column, ids, seed, out_dir, venv=args.venv)
            line = {
                "dataset": pool,
                "seed": seed,
                "label_column": args.label_column,
                "prior_ids": ids,
                "wall_s": info["wall_s"],
                "process_s": info.get("process_s"),
                "subprocess_wall_s": info["subprocess_wall_s"],
                "asreview_version": info["asreview_version"],
                "ai": info["ai"],
                "order": os.path.relpath(out_dir / "order.csv", ROOT),
                "n_records": info["n_records"],
                "n_relevant": info["n_relevant"],
                "records_at_95": info["records_at_95"],
                "finished_at": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
            }
            with open(results, "a") as fh:
                fh.write(json.dumps(line) + "\n")
            print(f"{pool} {args.label_column} seed {seed}: records@95 {info['records_at_95']}, "
                  f"wall {info['wall_s']:.1f}s (process {info['subprocess_wall_s']:.1f}s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
