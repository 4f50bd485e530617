"""De-duplication against labelled sets: screener and bib-dedupe scored in the same run.

Each labelled set (``../shared/dedup/<set>/records_pre_merged.csv`` with its true
groups in ``merged_record_ids.csv``) is de-duplicated by each method in a fresh
process (time and peak resident memory of that process), then scored two ways:

- pairs: every pair of records is a true positive when both the truth and the
  method put it in one group, a false positive when only the method does (a false
  merge: a study lost from screening), a false negative when only the truth does;
- records, as bib-dedupe's published table counts them: which records survive
  (one per predicted group), after ``DedupeBenchmarker.compare_dedupe_id``.

One JSON line per (set, method, threshold) goes to benchmarks/results/dedup.jsonl
(resumable: a done line is not run again unless ``--force``). ``--scale N`` times
screener on N records built from ../shared/data as bench_import.py builds them.
``--calibrate SET ...`` sweeps the threshold on the named sets only (choose there,
report on the others). ``--report`` prints the table quoted in the README.

    .venv/bin/python benchmarks/bench_dedup.py [--sets respiratory stroke] [--methods screener bib-dedupe]
    .venv/bin/python benchmarks/bench_dedup.py --calibrate respiratory special_cases
    .venv/bin/python benchmarks/bench_dedup.py --scale 100000
    .venv/bin/python benchmarks/bench_dedup.py --report

bib-dedupe is a benchmark-only requirement: ``pip install -e '.[bench]'``.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime
from importlib import metadata
from itertools import combinations
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
import numpy as np
import pandas as pd

from jsonl import append_jsonl, git_commit

RESULTS = ROOT / "benchmarks" / "results" / "dedup.jsonl"
DEDUP_DIR = ROOT.parent / "shared" / "dedup"
DATA_DIR = ROOT.parent / "shared" / "data"


# --- the sets ------------------------------------------------------------------------------

def labelled_sets(folder: Path) -> list[str]:
    return sorted(p.parent.name for p in folder.glob("*/merged_record_ids.csv"))


def load_set(folder: Path, name: str) -> tuple[pd.DataFrame, list[list[str]]]:
    records = pd.read_csv(folder / name / "records_pre_merged.csv", dtype=str, keep_default_na=False)
    truth = pd.read_csv(folder / name / "merged_record_ids.csv", dtype=str)["merged_ids"]
    return records, [ids.split(";") for ids in truth]


def as_screener_records(records: pd.DataFrame) -> pd.DataFrame:
    """The labelled columns under screener's names (bib-dedupe's sets are BibTeX-like)."""
    out = pd.DataFrame({"record_id": records["ID"]})
    for ours, theirs in [("title", "title"), ("authors", "author"), ("year", "year"),
                         ("journal", "journal"), ("volume", "volume"), ("pages", "pages"),
                         ("doi", "doi"), ("abstract", "abstract"), ("pmid", "pmid")]:
        out[ours] = records[theirs] if theirs in records else ""
    if "booktitle" in records:  # conference papers name their venue here
        out["journal"] = out["journal"].where(out["journal"] != "", records["booktitle"])
    return out


# --- methods (run in a child process) -------------------------------------------------------

def run_screener(records: pd.DataFrame, threshold: float | None) -> list[list[str]]:
    from screener.dedup import THRESHOLD, find_duplicates

    table = as_screener_records(records)
    groups = find_duplicates(table, threshold=THRESHOLD if threshold is None else threshold).groups
    ids = table["record_id"].to_numpy()
    return [list(ids[groups.to_numpy() == g]) for g in np.unique(groups)]


def run_bib_dedupe(records: pd.DataFrame, threshold: float | None) -> list[list[str]]:
    from bib_dedupe.bib_dedupe import block, cluster, match, prep

    df = records.replace("", np.nan)
    prepared = prep(df, verbosity_level=0, cpu=1)
    matched = match(block(prepared, verbosity_level=0, cpu=1), verbosity_level=0, cpu=1)
    groups = cluster(matched, verbosity_level=0)
    seen = {i for g in groups for i in g}
    return [list(g) for g in groups] + [[i] for i in records["ID"] if i not in seen]


METHODS = {"screener": run_screener, "bib-dedupe": run_bib_dedupe}


def _worker(args: argparse.Namespace) -> None:
    """Child process: run one method on one set (or the scale table), print groups and cost as JSON."""
    if args.worker_scale:
        sys.path.insert(0, str(ROOT / "benchmarks"))
        from bench_import import build_table

        table = build_table(Path(args.data_dir), args.worker_scale)
        records = pd.DataFrame({"ID": table["record_id"], "title": table["title"],
                                "author": table["authors"], "year": table["year"].astype("string").fillna(""),
                                "doi": table["doi"], "abstract": table["abstract"], "pmid": table["pmid"]})
    else:
        records, _ = load_set(Path(args.dedup_dir), args.worker_set)
    start = time.perf_counter()
    groups = METHODS[args.worker_method](records, args.threshold)
    seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    json.dump({"groups": [g for g in groups if len(g) > 1], "seconds": seconds,
               "peak_mb": peak_mb, "n_records": len(records)}, sys.stdout)


def run_child(args: argparse.Namespace, method: str, set_name: str | None, scale: int = 0) -> dict:
    cmd = [sys.executable, __file__, "--worker-method", method, "--dedup-dir", str(args.dedup_dir),
           "--data-dir", str(args.data_dir)]
    cmd += ["--worker-scale", str(scale)] if scale else ["--worker-set", set_name]
    if args.threshold is not None:
        cmd += ["--threshold", str(args.threshold)]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"{method} on {set_name or scale} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout)


# --- scoring -------------------------------------------------------------------------------

def _pairs(groups: list[list[str]]) -> set[tuple[str, str]]:
    return {tuple(sorted(p)) for g in groups for p in combinations(g, 2)}


def _rates(tp: int, fp: int, fn: int, tn: int) -> dict:
    precision = tp / (tp + fp) if tp + fp else 1.0
    sensitivity = tp / (tp + fn) if tp + fn else 1.0
    return {"TP": tp, "FP": fp, "FN": fn, "TN": tn, "precision": precision,
            "sensitivity": sensitivity, "specificity": tn / (tn + fp) if tn + fp else 1.0,
            "f1": 2 * precision * sensitivity / (precision + sensitivity) if precision + sensitivity else 0.0}


def score_pairs(ids: list[str], truth: list[list[str]], predicted: list[list[str]]) -> dict:
    """Pair counts over all n(n-1)/2 pairs of records."""
    t, p = _pairs(truth), _pairs(predicted)
    tp, fp, fn = len(t & p), len(p - t), len(t - p)
    n = len(ids)
    return _rates(tp, fp, fn, n * (n - 1) // 2 - tp - fp - fn)


def score_records(ids: list[str], truth: list[list[str]], predicted: list[list[str]]) -> dict:
    """Record counts as bib-dedupe's published table (``compare_dedupe_id``): one survivor per
    predicted group (its smallest id); a true group keeping one record is a TN plus TPs."""
    survivors = set(ids) - {i for g in predicted for i in sorted(g)[1:]}
    in_truth = {i for g in truth for i in g}
    tp = fp = fn = tn = 0
    for i in ids:
        if i not in in_truth:
            tn, fp = (tn + 1, fp) if i in survivors else (tn, fp + 1)
    for group in truth:
        kept = sum(i in survivors for i in group)
        if kept == 0:
            fp, tp = fp + 1, tp + len(group) - 1
        else:
            tn, fn, tp = tn + 1, fn + kept - 1, tp + len(group) - kept
    return _rates(tp, fp, fn, tn)


def versions() -> dict:
    out = {"python": platform.python_version()}
    for pkg in ("screener", "pandas", "numpy", "rapidfuzz", "bib-dedupe"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            pass
    return out


# --- commands ------------------------------------------------------------------------------

def done_keys(path: Path) -> set[tuple]:
    if not path.exists():
        return set()
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return {(r["set"], r["method"], r.get("threshold"), r["commit"]) for r in rows}


def benchmark(args: argparse.Namespace) -> None:
    sets = args.sets or labelled_sets(Path(args.dedup_dir))
    done, commit = done_keys(RESULTS), git_commit()
    for set_name in sets:
        records, truth = load_set(Path(args.dedup_dir), set_name)
        ids = records["ID"].tolist()
        for method in args.methods:
            threshold = args.threshold if method == "screener" else None
            if (set_name, method, threshold, commit) in done and not args.force:
                continue
            out = run_child(args, method, set_name)
            append_jsonl(RESULTS, {
                "set": set_name, "method": method, "threshold": threshold, "n_records": len(ids),
                "n_true_groups": len(truth), "pairs": score_pairs(ids, truth, out["groups"]),
                "records": score_records(ids, truth, out["groups"]), "seconds": round(out["seconds"], 3),
                "peak_mb": round(out["peak_mb"], 1), "commit": commit, "versions": versions(),
                "date": datetime.now(UTC).isoformat(timespec="seconds")})


def calibrate(args: argparse.Namespace) -> None:
    """Sweep the threshold on the named sets only; print pair scores per threshold (in-sample there)."""
    from screener.dedup.groups import find_duplicates

    for set_name in args.calibrate:
        records, truth = load_set(Path(args.dedup_dir), set_name)
        ids = records["ID"].tolist()
        table = as_screener_records(records)
        for threshold in np.arange(0.80, 1.001, 0.01):
            groups = find_duplicates(table, threshold=float(threshold)).groups.to_numpy()
            predicted = [list(table["record_id"].to_numpy()[groups == g]) for g in np.unique(groups)]
            s = score_pairs(ids, truth, predicted)
            print(json.dumps({"set": set_name, "threshold": round(float(threshold), 2),
                              **{k: (round(v, 4) if isinstance(v, float) else v) for k, v in s.items()}}))


def scale(args: argparse.Namespace) -> None:
    out = run_child(args, "screener", None, scale=args.scale)
    append_jsonl(RESULTS, {"set": f"scale-{args.scale}", "method": "screener", "threshold": args.threshold,
                           "n_records": out["n_records"], "n_groups_found": len(out["groups"]),
                           "seconds": round(out["seconds"], 3), "peak_mb": round(out["peak_mb"], 1),
                           "commit": git_commit(), "versions": versions(),
                           "date": datetime.now(UTC).isoformat(timespec="seconds")})


def report(_: argparse.Namespace) -> None:
    """The latest line per (set, method), as a Markdown table."""
    rows = {}
    for line in RESULTS.read_text().splitlines():
        r = json.loads(line)
        if "pairs" in r and r.get("threshold") is None:
            rows[(r["set"], r["method"])] = r
    print("| set | method | pair precision | pair sensitivity | pair F1 | FP pairs | FN pairs "
          "| record precision | record sensitivity | seconds | peak MB | commit |")
    print("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|")
    for (set_name, method), r in sorted(rows.items()):
        p, q = r["pairs"], r["records"]
        print(f"| {set_name} | {method} | {p['precision']:.4f} | {p['sensitivity']:.4f} | {p['f1']:.4f} "
              f"| {p['FP']} | {p['FN']} | {q['precision']:.4f} | {q['sensitivity']:.4f} "
              f"| {r['seconds']:.1f} | {r['peak_mb']:.0f} | {r['commit']} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dedup-dir", default=str(DEDUP_DIR))
    parser.add_argument("--data-dir", default=str(DATA_DIR))
    parser.add_argument("--sets", nargs="*")
    parser.add_argument("--methods", nargs="*", default=list(METHODS), choices=list(METHODS))
    parser.add_argument("--threshold", type=float, default=None, help="screener's (default: THRESHOLD)")
    parser.add_argument("--force", action="store_true")
    parser.add_argument("--calibrate", nargs="*")
    parser.add_argument("--scale", type=int, default=0)
    parser.add_argument("--report", action="store_true")
    parser.add_argument("--worker-method", help=argparse.SUPPRESS)
    parser.add_argument("--worker-set", help=argparse.SUPPRESS)
    parser.add_argument("--worker-scale", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker_method:
        _worker(args)
    elif args.calibrate:
        calibrate(args)
    elif args.scale:
        scale(args)
    elif args.report:
        report(args)
    else:
        benchmark(args)


if __name__ == "__main__":
    main()
