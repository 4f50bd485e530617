"""Experiment: ASReview's classifier (linear SVM, squared hinge) inside screener's engine.

    python benchmarks/sweep_svm.py NAME '{"class_weight": 9.8, "presumed_negatives": 0}' --C 0.11 [--seeds 0-4]

Gives ``ActiveLearner`` scikit-learn's ``LinearSVC(loss="squared_hinge", dual=True, C=--C)``
as its classifier (``ActiveLearner(classifier=...)``) (ASReview LAB 3.0.8's ELAS u4 model with
``class_weight`` 9.8, its balancer's ratio, and no presumed-irrelevant records), everything else
as ``sweep_ranker.py``: EVALUATION.md's priors, stopped at 95% recall, records@95 per pool beside
ASReview's own figures. An experiment, not an option of the engine: the SVM's margins are not
probabilities, which the stopping advice and the session's scores rely on. It answers two
questions: how far the per-pool ratios move with the random path alone (the same model as
ASReview, other tie-breaks and shuffles), and whether the hinge loss closes the pools where
screener's logistic regression is behind. Appends one JSON line to results/sweep_ranker.jsonl.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

from joblib import Parallel, delayed

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from jsonl import append_jsonl  # noqa: E402
from screener.model import library_versions  # noqa: E402
from screener.specs import parse_seeds  # noqa: E402
from sweep_ranker import ASREVIEW, RESULTS  # noqa: E402


def one_run(path: Path, seed: int, learner: dict, C: float) -> dict:
    from sklearn.svm import LinearSVC

    from screener.readers import read_file
    from screener.simulate import SimulationSettings, run_metrics, simulate

    svm = LinearSVC(C=C, loss="squared_hinge", dual=True, tol=1e-4, max_iter=5000)  # seeded by the learner
    records = read_file(path)
    settings = SimulationSettings(learner={**learner, "classifier": svm}, stop_at_recall=0.95)
    order = simulate(records, seed=seed, settings=settings)
    m = run_metrics(order, len(records), int(records["label_included"].sum()))
    return {"pool": path.stem, "seed": seed, "records@95": m["records@95"]}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("name")
    ap.add_argument("learner", type=json.loads)
    ap.add_argument("--C", type=float, default=0.11)
    ap.add_argument("--seeds", default="0-4")
    ap.add_argument("--n-jobs", type=int, default=2)
    ap.add_argument("--data-dir", type=Path, default=ROOT.parent / "shared" / "data")
    args = ap.parse_args()
    paths = [p for p in sorted(args.data_dir.glob("*.csv")) if p.stem in ASREVIEW]
    if not paths:
        print(f"skipped: no shared pools in {args.data_dir}")
        return 0
    seeds = parse_seeds(args.seeds)
    t0 = time.perf_counter()
    rows = Parallel(n_jobs=args.n_jobs)(delayed(one_run)(p, s, args.learner, args.C) for p in paths for s in seeds)
    per_pool = {p.stem: statistics.fmean(r["records@95"] for r in rows if r["pool"] == p.stem) for p in paths}
    for pool, v in per_pool.items():
        ratio = v / ASREVIEW[pool]
        print(f"{pool:32s} {v:7.1f}  asreview {ASREVIEW[pool]:6.1f}  ratio {ratio:.3f}{'  >5% worse' if ratio > 1.05 else ''}")
    mean = statistics.fmean(per_pool.values())
    worse = sum(v / ASREVIEW[p] > 1.05 for p, v in per_pool.items())
    print(f"{args.name}: mean records@95 {mean:.1f}; pools >5% worse: {worse}")
    append_jsonl(RESULTS, {"benchmark": "sweep_ranker", "name": args.name, "classifier": f"LinearSVC squared_hinge C={args.C}",
                           "learner": args.learner, "features": {}, "seeds": seeds, "mean_records@95": mean,
                           "per_pool": per_pool, "runs": rows, "wall_s": time.perf_counter() - t0,
                           "versions": library_versions()})
    return 0


if __name__ == "__main__":
    sys.exit(main())
