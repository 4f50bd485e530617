"""Compare ranker settings on every shared pool with screener's own simulation, stopping at 95% recall.

    python benchmarks/sweep_ranker.py NAME '{"solver": "liblinear"}' '{}' --seeds 0-4 [--n-jobs 2]

Arguments: a name for the configuration, the learner options (``ActiveLearner``) and
the feature options (``TextFeatures``) as JSON. Each (pool, seed) run uses the
priors and seeded shuffle of ``screener simulate`` and stops once 95% of the
relevant records are found (``stop_at_recall``), so records@95 is exact and a
configuration over 14 pools × 5 seeds takes minutes. Prints records@95 per pool
and overall, with ASReview 3.0.8's figures (EVALUATION.md) beside them, and the
CPU seconds of the runs (``time.process_time`` in each worker: less sensitive to
other load than wall time). Appends one JSON line per configuration to
benchmarks/results/sweep_ranker.jsonl.

``--svm-C 0.11`` with learner ``{"class_weight": 9.8, "presumed_negatives": 0}`` runs ASReview LAB
3.0.8's own model (linear SVM, squared hinge, its balancer's ratio, no presumed-irrelevant
records) inside this engine: how far the per-pool ratios move with the random path alone, and
whether the hinge loss closes the pools where screener's logistic regression is behind.
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
from screener.readers import read_file  # noqa: E402
from screener.simulate import SimulationSettings, run_metrics, simulate  # noqa: E402
from screener.specs import parse_seeds  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "sweep_ranker.jsonl"
ASREVIEW = {  # EVALUATION.md, ASReview LAB 3.0.8 default model, seeds 0-4, label_included: mean records@95
    "Cohen_2006_ADHD": 351.4, "Cohen_2006_Antihistamines": 297, "Cohen_2006_NSAIDS": 90.8,
    "Cohen_2006_OralHypoglycemics": 397.4, "Cohen_2006_Triptans": 254.6, "Cohen_2006_UrinaryIncontinence": 188.8,
    "Hamilton_2022": 617.4, "Kitchenham_2010": 466.2, "Nagtegaal_2019": 430, "SYNERGY_Donners_2021": 100.6,
    "SYNERGY_Menon_2022": 391, "SYNERGY_Oud_2018": 133.2, "SYNERGY_Sep_2021": 211, "SYNERGY_van_der_Valk_2021": 348.2,
}


def svm_classifier(C: float):
    """ASReview LAB 3.0.8's model (ELAS u4): a linear SVM with squared hinge loss, for
    ``ActiveLearner(classifier=...)``; the learner seeds it."""
    from sklearn.svm import LinearSVC

    return LinearSVC(C=C, loss="squared_hinge", dual=True, tol=1e-4, max_iter=5000)


def one_run(path: Path, seed: int, learner: dict, features: dict, svm_C: float | None = None) -> dict:
    records = read_file(path)
    if svm_C is not None:
        learner = {**learner, "classifier": svm_classifier(svm_C)}
    settings = SimulationSettings(learner=learner, features=features, stop_at_recall=0.95, views="word")
    t0 = time.process_time()
    order = simulate(records, seed=seed, settings=settings)
    cpu = time.process_time() - t0
    m = run_metrics(order, len(records), int(records["label_included"].sum()))
    return {"pool": path.stem, "seed": seed, "records@95": m["records@95"], "cpu_s": cpu}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("name")
    ap.add_argument("learner", type=json.loads)
    ap.add_argument("features", type=json.loads)
    ap.add_argument("--seeds", default="0-4")
    ap.add_argument("--svm-C", type=float, default=None,
                    help="ASReview's classifier instead of screener's: LinearSVC(squared hinge, C=this); its margins "
                         "are not probabilities, so this is an experiment, not an option of the engine")
    ap.add_argument("--n-jobs", type=int, default=2)
    ap.add_argument("--pools", nargs="*", help="pool names (default: all in --data-dir)")
    ap.add_argument("--data-dir", type=Path, default=ROOT.parent / "shared" / "data")
    args = ap.parse_args()
    paths = [p for p in sorted(args.data_dir.glob("*.csv")) if p.stem in ASREVIEW and (not args.pools or p.stem in args.pools)]
    seeds = parse_seeds(args.seeds)
    t0 = time.perf_counter()
    rows = Parallel(n_jobs=args.n_jobs)(delayed(one_run)(p, s, args.learner, args.features, args.svm_C)
                                        for p in paths for s in seeds)
    wall = time.perf_counter() - t0
    per_pool = {}
    for p in paths:
        vals = [r["records@95"] for r in rows if r["pool"] == p.stem]
        per_pool[p.stem] = statistics.fmean(vals)
    for pool, v in per_pool.items():
        ratio = v / ASREVIEW[pool]
        print(f"{pool:32s} {v:7.1f}  asreview {ASREVIEW[pool]:6.1f}  ratio {ratio:.3f}{'  >5% worse' if ratio > 1.05 else ''}")
    mean = statistics.fmean(per_pool.values())
    ref = statistics.fmean(ASREVIEW[p] for p in per_pool)
    cpu = sum(r["cpu_s"] for r in rows)
    print(f"{args.name}: mean records@95 {mean:.1f} (ASReview {ref:.1f}); pools >5% worse: "
          f"{sum(v / ASREVIEW[p] > 1.05 for p, v in per_pool.items())}; cpu {cpu:.0f} s; wall {wall:.0f} s")
    classifier = {} if args.svm_C is None else {"classifier": f"LinearSVC squared_hinge C={args.svm_C}"}
    append_jsonl(RESULTS, {"benchmark": "sweep_ranker", "name": args.name, "learner": args.learner, **classifier,
                           "features": args.features,
                           "seeds": seeds, "mean_records@95": mean, "asreview_mean": ref, "per_pool": per_pool,
                           "runs": rows, "cpu_s": cpu, "wall_s": wall, "versions": library_versions()})
    return 0


if __name__ == "__main__":
    sys.exit(main())
