"""Feature building on a large pool: scikit-learn's TfidfVectorizer against TextFeatures.

    .venv/bin/python benchmarks/bench_features.py [--data-dir ../shared/data] [--records 100000] [--rounds 3]

Builds the pool as bench_step.py does (shared pools repeated with perturbations,
bench_import.build_table), then in each round times, in one process and in a
rotating order, ``TfidfVectorizer.fit_transform`` with TextFeatures' settings
(the implementation before screener.wordcounts) and ``TextFeatures.fit_transform``
in one process and in two. The machine may be shared, so each configuration
reports the median over rounds and the median of same-round ratios to the
baseline; the matrices are checked to be identical. Appends one JSON line per
configuration to benchmarks/results/features.jsonl.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
from bench_import import build_table
from jsonl import append_jsonl, git_commit
from screener.features import TextFeatures, record_text
from screener.model import library_versions
from screener.readers import read_file

RESULTS = ROOT / "benchmarks" / "results" / "features.jsonl"


def sklearn_baseline(docs: list[str]):
    return TextFeatures()._vectorizer().fit_transform(docs)


def screener_features(n_jobs: int):
    return lambda docs: TextFeatures(n_jobs=n_jobs).fit_transform(docs)


def same(a, b) -> bool:
    return a.shape == b.shape and all(np.array_equal(getattr(a, k), getattr(b, k)) for k in ("indptr", "indices", "data"))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--records", type=int, default=100_000)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    if not (args.data_dir / "Nagtegaal_2019.csv").exists():
        print(f"skipped: no shared pools in {args.data_dir} (pass --data-dir)")
        return 0
    with tempfile.TemporaryDirectory() as tmp:  # read back as bench_step.py does
        path = Path(tmp) / "large.csv"
        build_table(args.data_dir, args.records).to_csv(path, index=False)
        docs = record_text(read_file(path))
    configs = {"sklearn TfidfVectorizer": lambda d: sklearn_baseline(d.tolist()),
               "TextFeatures n_jobs=1": screener_features(1), "TextFeatures n_jobs=2": screener_features(2)}
    names = list(configs)
    wall: dict[str, list[float]] = {k: [] for k in names}
    cpu: dict[str, list[float]] = {k: [] for k in names}
    load: list[float] = []
    reference = None
    for r in range(args.rounds):
        load.append(os.getloadavg()[0])
        for name in names[r % len(names):] + names[: r % len(names)]:  # rotate the order
            t0, c0 = time.perf_counter(), time.process_time()
            X = configs[name](docs)
            wall[name].append(time.perf_counter() - t0)
            cpu[name].append(time.process_time() - c0)
            if reference is None:
                reference = X
            elif not same(reference, X):
                raise SystemExit(f"{name} gives a different matrix")
            del X
    base = names[0]
    for name in names:
        ratios = [b / w for b, w in zip(wall[base], wall[name])]
        append_jsonl(RESULTS, {
            "benchmark": "features", "records": len(docs), "config": name, "rounds": args.rounds,
            "wall_s_median": round(statistics.median(wall[name]), 2), "wall_s": [round(t, 2) for t in wall[name]],
            "cpu_s_median_this_process": round(statistics.median(cpu[name]), 2),
            "speedup_vs_sklearn_same_round_median": round(statistics.median(ratios), 2),
            "identical_matrix": True, "n_features": reference.shape[1], "loadavg_1min": [round(x, 2) for x in load],
            "cpus": os.cpu_count(), "versions": library_versions(), "commit": git_commit(),
            "time": time.strftime("%Y-%m-%dT%H:%M:%S")})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
