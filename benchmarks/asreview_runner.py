"""One ASReview LAB simulation of one pool, written out in screener's order format.

Runs INSIDE the ASReview virtual environment (benchmarks/.asreview-venv, made by
benchmarks/asreview_env.sh); screener never imports this file or asreview.

    benchmarks/.asreview-venv/bin/python benchmarks/asreview_runner.py \
        POOL.csv --prior-ids 12 345 --seed 0 --out-dir RUN_DIR [--label-column label_included]

It mirrors `asreview simulate --seed SEED --prior-idx ... --n-stop -1` of ASReview
3.0.8 (same cycles: a TopDown warm-up cycle that is skipped once both classes are
known, then ASReview's default AI, ELAS u4 in 3.0.8, with its own default settings;
`np.random.seed(seed)` as the CLI does; one record per query, retrained after every
label, to the end of the pool). Unlike the CLI it also records the classifier's
score of each record when it was picked (the SVM decision value) and writes:

* RUN_DIR/order.csv      rank,record_id,label,is_prior,score (EVALUATION.md format)
* RUN_DIR/asreview.json  wall seconds, asreview version, model settings, counts

The text given to ASReview is a temporary CSV (in RUN_DIR, deleted afterwards) with
only title, abstract and the chosen label column renamed to `label_included`, in the
pool's row order; ASReview's internal record ids are then the 0-based row positions.
"""

from __future__ import annotations

import time

_T_PROCESS = time.perf_counter()

import argparse
import csv
import json
import math
import os
import platform
import sys
from dataclasses import asdict
from pathlib import Path

import asreview
import numpy as np
import pandas as pd
from asreview import load_dataset
from asreview.learner import ActiveLearningCycle
from asreview.models.models import get_ai_config
from asreview.models.queriers import TopDown
from asreview.models.stoppers import IsFittable, NLabeled
from asreview.simulation.simulate import Simulate

_T_IMPORTED = time.perf_counter()


class _ScoreRecordingSimulate(Simulate):
    """Simulate that remembers the model's score of every record when it is picked."""

    def __init__(self, *args, score_box: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self._score_box = score_box
        self.picked_scores: dict[int, float] = {}

    def label(self, record_ids, cycle=None):
        scores = self._score_box.pop("p", None)
        if cycle is not None and scores is not None:
            done = self._results["record_id"].values if hasattr(self, "_results") else []
            pool = np.setdiff1d(np.arange(len(self.labels)), done)
            if len(pool) == len(scores):
                pos = np.searchsorted(pool, np.asarray(record_ids))
                for rid, s in zip(record_ids, scores[pos]):
                    self.picked_scores[int(rid)] = float(s)
        return super().label(record_ids, cycle=cycle)


def _record_querier_input(cycle: ActiveLearningCycle, box: dict) -> None:
    """Wrap cycle.querier.query so the scores it ranks are kept in box['p']."""
    querier = cycle.querier
    original = querier.query

    def query(p):
        box["p"] = np.asarray(p, dtype=float).copy()
        return original(p)

    querier.query = query  # instance attribute; get_params() is unaffected


def run(
    data_path: str | Path,
    prior_ids: list[str],
    seed: int,
    out_dir: str | Path,
    label_column: str = "label_included",
    ai: str | None = None,
) -> dict:
    t_start = time.perf_counter()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)

    data = pd.read_csv(data_path, dtype={"record_id": str}, keep_default_na=False,
                       na_values={label_column: [""]})
    if label_column not in data.columns:
        raise SystemExit(f"label column {label_column!r} not in {data_path}")
    labels = pd.to_numeric(data[label_column], errors="raise")
    if labels.isna().any() or not set(labels.unique()) <= {0, 1}:
        raise SystemExit(f"label column {label_column!r} must be 0/1 for every row")
    labels = labels.astype(int).to_numpy()
    record_ids = data["record_id"].astype(str).tolist()
    if len(set(record_ids)) != len(record_ids):
        raise SystemExit("record_id values are not unique")
    row_of = {rid: i for i, rid in enumerate(record_ids)}
    try:
        prior_rows = [row_of[str(r)] for r in prior_ids]
    except KeyError as e:
        raise SystemExit(f"prior record id {e} not in {data_path}") from None

    # ASReview input: title, abstract, label only, same row order.
    tmp_csv = out_dir / f".asreview_input_{os.getpid()}.csv"
    pd.DataFrame(
        {
            "title": data["title"].replace("", np.nan) if "title" in data else np.nan,
            "abstract": data["abstract"].replace("", np.nan) if "abstract" in data else np.nan,
            "label_included": labels,
        }
    ).to_csv(tmp_csv, index=False)

    try:
        np.random.seed(seed)  # as `asreview simulate --seed` does
        db = load_dataset(str(tmp_csv), dataset_id=Path(data_path).name)
        with db:
            df = db.input.get_df()
            included = db.input["included"]
            as_labels = np.asarray(included, dtype=int)
            if len(df) != len(data) or not np.array_equal(as_labels, labels):
                raise RuntimeError("ASReview read the pool differently (rows or labels)")
            if not np.array_equal(np.asarray(df["record_id"], dtype=int), np.arange(len(df))):
                raise RuntimeError("ASReview record ids are not the 0-based row positions")

            ai_config = get_ai_config(ai) if ai else get_ai_config()
            cycle_meta = ai_config["value"]
            model_cycle = ActiveLearningCycle.from_meta(cycle_meta)
            box: dict = {}
            _record_querier_input(model_cycle, box)
            cycles = [ActiveLearningCycle(querier=TopDown(), stopper=IsFittable()), model_cycle]

            sim = _ScoreRecordingSimulate(
                df, included, cycles, stopper=NLabeled(-1), print_progress=False,
                score_box=box,
            )
            sim.label(prior_rows)
            sim.review()
            results = sim._results
    finally:
        tmp_csv.unlink(missing_ok=True)
    wall_s = time.perf_counter() - t_start

    rows = [int(r) for r in results["record_id"].tolist()]
    if sorted(rows) != list(range(len(data))):
        raise RuntimeError("simulation did not label every record exactly once")
    n_prior = len(prior_rows)
    if rows[:n_prior] != prior_rows:
        raise RuntimeError("priors are not first in ASReview's results")
    order_path = out_dir / "order.csv"
    missing_scores = 0
    with open(order_path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["rank", "record_id", "label", "is_prior", "score"])
        for rank, row in enumerate(rows, start=1):
            is_prior = rank <= n_prior
            score = "" if is_prior else sim.picked_scores.get(row)
            if score is None:
                score, missing_scores = "", missing_scores + 1
            elif score != "":
                score = repr(score)
            w.writerow([rank, record_ids[row], int(labels[row]), int(is_prior), score])

    # records@95 for a quick look (the real metrics live in screener).
    screened = labels[rows[n_prior:]]
    r_total = int(screened.sum())
    target = math.ceil(0.95 * r_total)
    rec95 = int(np.argmax(np.cumsum(screened) >= target) + 1) if r_total else 0

    info = {
        "asreview_version": asreview.__version__,
        "ai": ai_config["name"],
        "model": asdict(cycle_meta),
        "dataset": Path(data_path).stem,
        "data_path": str(data_path),
        "label_column": label_column,
        "seed": seed,
        "prior_ids": [str(r) for r in prior_ids],
        "prior_rows": prior_rows,
        "n_records": len(data),
        "n_relevant": int(labels.sum()),
        "records_at_95": rec95,
        "wall_s": wall_s,
        "import_s": _T_IMPORTED - _T_PROCESS,
        "missing_scores": missing_scores,
        "order": str(order_path),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "sklearn": __import__("sklearn").__version__,
    }
    (out_dir / "asreview.json").write_text(json.dumps(info, indent=2, default=str) + "\n")
    return info


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("data", help="pool CSV (record_id,title,abstract,<label columns>)")
    ap.add_argument("--prior-ids", nargs="+", required=True, help="record_id values of the priors")
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--out-dir", required=True)
    ap.add_argument("--label-column", default="label_included")
    ap.add_argument("--ai", default=None, help="ASReview AI name (default: ASReview's own default)")
    args = ap.parse_args(argv)
    info = run(args.data, args.prior_ids, args.seed, args.out_dir, args.label_column, args.ai)
    info["process_s"] = time.perf_counter() - _T_PROCESS
    print(json.dumps(info, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
