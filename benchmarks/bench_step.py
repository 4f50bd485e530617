"""Retrain-and-rerank step time, and import → dedup → features at scale.

    python benchmarks/bench_step.py [--data-dir ../shared/data] [--large 100000] [--large-only] [--n-jobs 2] [--repeats 25]
                                    [--ranker word_char_best_cc1]

A step is what the simulation and the session do after each label: fit the
classifier on the labelled records, score every record, pick the next one.
Measured on Nagtegaal_2019 (2,019 records) at several numbers of labelled
records (each time ``--repeats`` consecutive steps, one new label each), and on
a 100,000-record pool built from all shared pools (copies perturbed as in
bench_import.py), where import, de-duplication and feature
building are timed too, in a child process so its peak memory is its own
(``peak_rss_mb``; ``peak_tree_rss_mb`` adds the worker processes that count
words in parallel, sampled every 0.1 s).
The default ranker is the product's (``screener.settings.RankerSettings()``: since issue 11 the
interleave, word and character queues by ``screener.ensemble.RankEnsemble``); ``--ranker word``
measures the single learner on word n-grams, and ``--ranker NAME`` one of ``sweep_cv.py``'s
ensemble configurations; an ensemble's other feature sets count in the feature time. Each step is
``active.step`` (fit, score, pick by the learner's queue), as in a session and a simulation.
Appends one JSON line per measurement to benchmarks/results/step.jsonl.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
from jsonl import append_jsonl, git_commit
from screener.active import UNLABELLED, step
from screener.dedup import duplicate_groups
from screener.features import TextFeatures
from screener.model import library_versions
from screener.readers import read_file
from screener.settings import RankerSettings
from sweep_cv import CONFIGS, _resolve

RESULTS = ROOT / "benchmarks" / "results" / "step.jsonl"


# the default (the interleave), the single word learner, and every ensemble configuration of the
# cross-validated sweep (sweep_cv.py)
RANKERS = ("default", "word", *(name for name, config in CONFIGS.items() if "ensemble" in config))


def make_learner(ranker: str, seed: int):
    if ranker in ("default", "word"):
        return RankerSettings(views="word+char" if ranker == "default" else "word").make_learner(random_state=seed)
    from screener.ensemble import RankEnsemble

    ens = {k: v for k, v in CONFIGS[ranker]["ensemble"].items() if k != "features"}
    return RankEnsemble(**{**ens, "members": [_resolve(m) for m in ens["members"]]}, random_state=seed)


def make_features(ranker: str, records, n_jobs: int | None = None):
    """The ranker's feature matrix (one per member for an ensemble; ``n_jobs`` for the word features)."""
    word_features = TextFeatures() if n_jobs is None else TextFeatures(n_jobs=n_jobs)
    if ranker == "default":
        from screener.ensemble import ViewFeatures

        return ViewFeatures(word_features).fit_transform(records)
    word = word_features.fit_transform(records)
    if ranker == "word":
        return word
    from screener.ensemble import member_features

    ens = CONFIGS[ranker]["ensemble"]
    others = [m for m in ens["members"] if m.get("features", "word") != "word"]
    built = iter(member_features(records, others, ens.get("features"))[0])
    return [word if m.get("features", "word") == "word" else next(built) for m in ens["members"]]


def step_times(X, y, n_labelled: int, repeats: int, seed: int = 0, ranker: str = "default") -> list[float]:
    """Seconds per retrain-and-rerank step from ``n_labelled`` records labelled on.

    The learner is first fit as a session would have left it (a fit from scratch on the
    ``n_labelled`` records, a prefix of a good ranking); then ``repeats`` steps, each one labelling
    the record the last step picked and timing fit → score every record → pick. Refitting the same
    labels again would not do: the solver carries on from its last fit, so an unchanged problem
    costs it nothing.
    """
    rng = np.random.default_rng(seed)
    pos = np.flatnonzero(y == 1)
    neg = np.flatnonzero(y == 0)
    n_pos = min(len(pos), max(1, int(round(n_labelled * 0.1))))
    known = np.r_[rng.choice(pos, n_pos, replace=False), rng.choice(neg, n_labelled - n_pos, replace=False)]
    labels = np.full(len(y), UNLABELLED, dtype=np.int8)
    labels[known] = y[known]
    learner = make_learner(ranker, seed)
    j = int(step(learner, X, labels, n=1).queue[0])
    times = []
    for _ in range(repeats):
        labels[j] = y[j]
        t0 = time.perf_counter()
        j = int(step(learner, X, labels, n=1).queue[0])
        times.append(time.perf_counter() - t0)
    return times


def _tree_rss_mb(pid: int) -> float:
    """Resident memory of ``pid`` and its descendants (Linux /proc), in MB."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            total += int(Path(f"/proc/{p}/statm").read_text().split()[1])
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except OSError:  # the process ended meanwhile
            continue
    return total * os.sysconf("SC_PAGE_SIZE") / 2**20


class PeakTreeRss(threading.Thread):
    """Samples the memory of this process and its children until ``stop()``."""

    def __init__(self, every: float = 0.1):
        super().__init__(daemon=True)
        self.every, self.peak, self._stop_event = every, 0.0, threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            self.peak = max(self.peak, _tree_rss_mb(os.getpid()))
            self._stop_event.wait(self.every)

    def stop(self) -> float:
        self._stop_event.set()
        self.join()
        return round(self.peak, 1)


def build_features(path: Path, n_jobs: int | None = None, ranker: str = "default") -> dict:
    sampler = PeakTreeRss()
    sampler.start()
    t0 = time.perf_counter()
    records = read_file(path)
    t_read = time.perf_counter() - t0
    groups = duplicate_groups(records)
    t_dedup = time.perf_counter() - t0 - t_read
    X = make_features(ranker, records, n_jobs)
    t_total = time.perf_counter() - t0
    peak_tree = sampler.stop()
    return {"records": len(records), "read_s": round(t_read, 2), "dedup_s": round(t_dedup, 2),
            "features_s": round(t_total - t_read - t_dedup, 2), "total_s": round(t_total, 2),
            "duplicate_records": int(len(groups) - groups.nunique()),
            "n_features": sum(m.shape[1] for m in X) if isinstance(X, list) else X.shape[1],
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "peak_tree_rss_mb": peak_tree}, X, records


def child(path: Path, repeats: int, n_jobs: int | None, ranker: str) -> None:
    row, X, records = build_features(path, n_jobs, ranker)
    row["features_n_jobs"] = n_jobs
    row["ranker"] = ranker
    y = records["label_included"].fillna(0).astype(int).to_numpy()

    times = step_times(X, y, 1000, repeats, ranker=ranker)
    row.update(step_labelled=1000, step_ms_median=round(1000 * statistics.median(times), 2),
               step_ms=[round(1000 * t, 2) for t in times])
    print(json.dumps(row))


def append(row: dict) -> None:
    append_jsonl(RESULTS, {**row, "versions": library_versions(), "commit": git_commit(),
                           "time": time.strftime("%Y-%m-%dT%H:%M:%S")})


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--large", type=int, default=100_000, help="records in the large pool (0: skip)")
    ap.add_argument("--large-only", action="store_true", help="only the large pool (import, dedup, features)")
    ap.add_argument("--n-jobs", type=int, help="TextFeatures(n_jobs) for the large pool (default: its default)")
    ap.add_argument("--repeats", type=int, default=25, help="steps timed at each size")
    ap.add_argument("--ranker", choices=RANKERS, default="default")
    ap.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child, args.repeats, args.n_jobs, args.ranker)
        return 0
    pool = args.data_dir / "Nagtegaal_2019.csv"
    if not pool.exists():
        print(f"skipped: {pool} not found (pass --data-dir)")
        return 0
    if not args.large_only:
        records = read_file(pool)
        X = make_features(args.ranker, records)
        y = records["label_included"].astype(int).to_numpy()
        for n in (10, 100, 500, 1000, 1900):
            times = step_times(X, y, n, args.repeats, ranker=args.ranker)
            append({"benchmark": "step", "dataset": pool.stem, "ranker": args.ranker, "records": len(y), "labelled": n,
                    "step_ms_median": round(1000 * statistics.median(times), 2),
                    "step_ms": [round(1000 * t, 2) for t in times]})
    if args.large:
        from bench_import import build_table

        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "large.csv"
            build_table(args.data_dir, args.large).to_csv(path, index=False)
            cmd = [sys.executable, __file__, "--child", str(path), "--repeats", str(args.repeats), "--ranker", args.ranker]
            if args.n_jobs is not None:
                cmd += ["--n-jobs", str(args.n_jobs)]
            out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
            append({"benchmark": "scale", **json.loads(out.strip().splitlines()[-1])})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
