"""Ranking benchmark: screener's default model on every shared pool × seeds, beside ASReview 3.0.8.

    python benchmarks/bench_ranking.py run    [--data-dir ../shared/data] [--seeds 0-9] [--label-column label_included] [--pools NAME ...]
    python benchmarks/bench_ranking.py report [--out benchmarks/results/ranking.md]

`run` replays each pool with the priors of EVALUATION.md (the same record ids
ASReview's runs start from), stopping once the last relevant record is found:
every metric is then exact, since all records left are irrelevant. One JSON
line per (pool, seed, label column, settings) goes to
benchmarks/results/ranking.jsonl (data set, seed, settings, versions, metrics,
wall time, peak memory); finished runs are skipped, so it is resumable.

`report` reads that file and benchmarks/results/asreview.jsonl (scoring
ASReview's order files with screener's metrics), writes a markdown table per
pool (means over seeds, spread) and a recall-curve plot per pool.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from screener.metrics import to_markdown  # noqa: E402
from screener.model import library_versions  # noqa: E402
from screener.orders import read_order, write_order  # noqa: E402
from screener.parallel import run_tasks  # noqa: E402
from screener.readers import read_file  # noqa: E402
from screener.seeding import stream  # noqa: E402
from screener.simulate import SimulationSettings, run_metrics, run_simulation  # noqa: E402
from screener.specs import parse_seeds  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
RUNS = ROOT / "benchmarks" / "runs" / "screener"
SHOWN = ["records@95", "wss@95", "recall@10%", "loss", "atd"]


def pools(data_dir: Path) -> list[Path]:
    return sorted(p for p in data_dir.glob("*.csv") if p.name != "index.csv")


def one_run(path: str, seed: int, label_column: str, settings: SimulationSettings) -> dict:
    records = read_file(path)
    t0 = time.perf_counter()
    run = run_simulation(records, label_column=label_column, seed=seed, settings=settings)
    order = run.order
    wall = time.perf_counter() - t0
    out = RUNS / Path(path).stem / label_column / f"seed{seed}"
    write_order(complete_order(order, records, seed), out / "order.csv", checkpoints=run.checkpoints)
    return {"dataset": Path(path).stem, "seed": seed, "label_column": label_column,
            "settings": settings.as_dict(), **run_metrics(order, len(records)), "wall_s": round(wall, 3),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "versions": library_versions(), "time": time.strftime("%Y-%m-%dT%H:%M:%S")}


def complete_order(order: pd.DataFrame, records: pd.DataFrame, seed: int) -> pd.DataFrame:
    """A run stopped at its last relevant record, made full-length for stopping-rule replays.

    Every record it did not reach is irrelevant, so appending them (in a seeded random order,
    with no score) gives exactly the labels a run to the end would have shown.
    """
    if len(order) >= len(records):
        return order
    rest = records.loc[~records["record_id"].astype(str).isin(order["record_id"].astype(str)), "record_id"]
    rest = rest.astype(str).to_numpy()[stream("order_tail", seed).permutation(len(rest))]
    tail = pd.DataFrame({"rank": np.arange(len(order) + 1, len(order) + len(rest) + 1), "record_id": rest,
                         "label": 0, "is_prior": 0, "score": np.nan})
    return pd.concat([order, tail], ignore_index=True)


def _key(row: dict) -> tuple:
    return row["dataset"], row["seed"], row["label_column"], json.dumps(row["settings"], sort_keys=True, default=str)


def run(args) -> None:
    settings = SimulationSettings(stop_at_last_relevant=True)
    results = RESULTS / "ranking.jsonl"
    done = set()
    if results.exists():
        done = {_key(json.loads(line)) for line in results.read_text().splitlines() if line.strip()}
    tasks = []
    for path in pools(args.data_dir):
        if args.pools and path.stem not in args.pools:
            continue
        if args.label_column not in pd.read_csv(path, nrows=0).columns:
            continue
        for seed in parse_seeds(args.seeds):
            probe = {"dataset": path.stem, "seed": seed, "label_column": args.label_column, "settings": settings.as_dict()}
            if _key(probe) not in done:
                tasks.append((str(path), seed, args.label_column, settings))
    print(f"{len(tasks)} runs to do")

    def record(i, total, row):
        with results.open("a") as fh:
            fh.write(json.dumps(row, default=str) + "\n")
        print(f"[{i}/{total}] {row['dataset']} seed {row['seed']}: records@95 {row['records@95']:.0f} ({row['wall_s']:.1f} s)",
              flush=True)

    run_tasks(one_run, tasks, n_jobs=args.n_jobs, progress=record)


def _asreview_rows(label_column: str) -> list[dict]:
    path = RESULTS / "asreview.jsonl"
    rows = []
    if not path.exists():
        return rows
    for line in path.read_text().splitlines():
        r = json.loads(line)
        if r.get("label_column") != label_column or not (ROOT / r["order"]).exists():
            continue
        order = read_order(ROOT / r["order"])
        rows.append({"dataset": r["dataset"], "seed": r["seed"], "wall_s": r["wall_s"], **run_metrics(order, len(order))})
    return rows


def report(args) -> None:
    mine = [json.loads(line) for line in (RESULTS / "ranking.jsonl").read_text().splitlines() if line.strip()]
    mine = [r for r in mine if r["label_column"] == args.label_column]
    seeds = parse_seeds(args.seeds)
    ours = pd.DataFrame(mine).drop_duplicates(["dataset", "seed"], keep="last")
    ours = ours[ours.seed.isin(seeds)]
    theirs = pd.DataFrame(_asreview_rows(args.label_column))
    if len(theirs):
        theirs = theirs[theirs.seed.isin(seeds)]
    lines = []
    rows = []
    for name, g in ours.groupby("dataset"):
        row = {"pool": name, "N": int(g["N"].iloc[0]), "R": int(g["R"].iloc[0]), "seeds": len(g)}
        for m in SHOWN:
            row[f"screener {m}"] = g[m].mean()
        row["screener records@95 sd"] = g["records@95"].std()
        if len(theirs):
            t = theirs[(theirs.dataset == name) & theirs.seed.isin(g.seed)]
            if len(t):
                row["asreview seeds"] = len(t)
                row["asreview records@95"] = t["records@95"].mean()
                row["asreview wss@95"] = t["wss@95"].mean()
                row["ratio records@95"] = row["screener records@95"] / row["asreview records@95"]
        rows.append(row)
    table = pd.DataFrame(rows)
    mean = {"pool": "**mean**"}
    for c in table.columns[1:]:
        if c not in ("N", "R", "seeds", "asreview seeds"):
            mean[c] = table[c].mean()
    table = pd.concat([table, pd.DataFrame([mean])], ignore_index=True)
    table = table.round(3)
    lines.append(f"# Ranking benchmark ({args.label_column})\n")
    lines.append(f"Generated by `python benchmarks/bench_ranking.py report --seeds {args.seeds}` from "
                 "benchmarks/results/ranking.jsonl and benchmarks/results/asreview.jsonl (ASReview 3.0.8, default "
                 "model, run by asreview_baseline.py from the same priors). Each run stops at its last relevant "
                 "record, so every metric is exact.\n")
    lines.append(to_markdown(table))
    out = args.out or RESULTS / f"ranking_{args.label_column}.md"
    out.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("--data-dir", type=Path, default=ROOT.parent / "shared" / "data")
    r.add_argument("--seeds", default="0-9")
    r.add_argument("--label-column", default="label_included")
    r.add_argument("--n-jobs", type=int, default=-1)
    r.add_argument("--pools", nargs="*", help="pool names (default: every pool in --data-dir)")
    p = sub.add_parser("report")
    p.add_argument("--label-column", default="label_included")
    p.add_argument("--out", type=Path)
    p.add_argument("--seeds", default="0-4", help="seeds to report (both tools over the same seeds)")
    args = ap.parse_args()
    if args.cmd == "run":
        if not (args.data_dir / "index.csv").exists():
            print(f"skipped: no shared data at {args.data_dir} (pass --data-dir)")
            return 0
        run(args)
    else:
        report(args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
