"""Criteria-seeded cold start: the shared pools that ship criteria, with and without them.

    python benchmarks/bench_criteria.py [--data-dir ../shared/data] [--seeds 0-4] [--ranker word] [--first-five]

Each run starts with no labelled record at all (a true cold start). "criteria":
the criteria file's text is the only relevant example until real includes
outweigh it; "random": no criteria, so the queue is random until the first
include is found. Reports records read to find the first and the first five
included records (first@1, first@5) and the usual metrics; runs stop at the last
relevant record (every metric is still exact). One JSON line per run goes to
benchmarks/results/criteria.jsonl and a markdown table to criteria.md: the default ranker (the
interleave since issue 11; before, ``--ranker interleave`` wrote criteria_interleave.md). ``--ranker
word``: the single learner on word n-grams (``screener simulate --ranker word``), its table in
criteria_word.md. ``--first-five`` stops every run at its fifth include, so many seeds are cheap:
first@1 and first@5 only, in criteria_first5.md (criteria_first5_word.md).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from jsonl import git_commit  # noqa: E402
from screener.criteria import load_criteria  # noqa: E402
from screener.metrics import to_markdown  # noqa: E402
from screener.model import library_versions  # noqa: E402
from screener.parallel import run_tasks  # noqa: E402
from screener.readers import read_file  # noqa: E402
from screener.settings import views_named  # noqa: E402
from screener.simulate import SimulationSettings, run_metrics, simulate  # noqa: E402
from screener.specs import parse_seeds  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
SHOWN = ["first@1", "first@5", "records@95", "wss@95", "recall@10%", "loss"]


def one(path: str, criteria: str | None, seed: int, ranker: str | None = None, first_five: bool = False) -> dict:
    records = read_file(path)
    t0 = time.perf_counter()
    views = views_named(ranker or "default")
    if first_five:  # the order up to the fifth include is the full run's (each step sees only the labels before it)
        n_relevant = int((records["label_included"] == 1).sum())
        settings = SimulationSettings(stop_at_recall=min(1.0, 5 / n_relevant), views=views)
    else:
        settings = SimulationSettings(stop_at_last_relevant=True, views=views)
    order = simulate(records, seed=seed, prior_ids=(), criteria=load_criteria(criteria) if criteria else None,
                     settings=settings)
    row = {"dataset": Path(path).stem, "start": "criteria" if criteria else "random", "seed": seed}
    metrics = run_metrics(order, len(records))
    if first_five:  # the other metrics need the whole order
        metrics = {k: metrics[k] for k in ("first@1", "first@5")}
    return {**row, **metrics, "wall_s": round(time.perf_counter() - t0, 2)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--seeds", default="0-4")
    ap.add_argument("--n-jobs", type=int, default=-1)
    ap.add_argument("--ranker", choices=["default", "word"], default="default",
                    help="default: the interleave (until issue 11, criteria_interleave.md); word: the single learner")
    ap.add_argument("--first-five", action="store_true",
                    help="stop each run at its fifth include and report first@1 and first@5 only (many seeds "
                         "cheaply; criteria_first5[_word].md)")
    args = ap.parse_args()
    ranker = None if args.ranker == "default" else args.ranker
    crits = sorted(args.data_dir.glob("*.criteria.txt"))
    if not crits:
        print(f"skipped: no *.criteria.txt in {args.data_dir}")
        return 0
    tasks = []
    for c in crits:
        pool = c.with_name(c.name.replace(".criteria.txt", ".csv"))
        for seed in parse_seeds(args.seeds):
            tasks += [(str(pool), str(c), seed, ranker, args.first_five), (str(pool), None, seed, ranker, args.first_five)]
    rows = run_tasks(one, tasks, n_jobs=args.n_jobs,
                     progress=lambda i, n, r: print(f"[{i}/{n}] {r['dataset']} {r['start']} seed {r['seed']}", flush=True))
    settings = {"prior_ids": [], **({"stop_at": "fifth include"} if args.first_five else {"stop_at_last_relevant": True}),
                **({"ranker": ranker} if ranker else {})}
    shown = ["first@1", "first@5"] if args.first_five else SHOWN
    stamp = {"benchmark": "criteria", "settings": settings,
             "commit": git_commit(), "versions": library_versions()}
    with (RESULTS / "criteria.jsonl").open("a") as fh:
        for r in rows:
            fh.write(json.dumps({**r, **stamp}) + "\n")
    df = pd.DataFrame(rows)
    table = df.groupby(["dataset", "start"])[shown].mean().reset_index()
    overall = df.groupby("start")[shown].mean().reset_index().assign(dataset="**mean**")
    table = pd.concat([table, overall[table.columns]], ignore_index=True).round(3)
    flag = (f" --ranker {ranker}" if ranker else "") + (" --first-five" if args.first_five else "")
    text = (f"# Criteria cold start{f' ({ranker} ranker)' if ranker else ''}\n\nGenerated by "
            f"`python benchmarks/bench_criteria.py --seeds {args.seeds}{flag}`: no priors; means over seeds.\n\n"
            + to_markdown(table) + "\n")
    if args.first_five:
        wins = (table.pivot(index="dataset", columns="start", values="first@5").drop(index="**mean**")
                .pipe(lambda t: t["criteria"] < t["random"]))
        text += f"\nThe criteria start found the first five sooner on {int(wins.sum())} of {len(wins)} pools.\n"
    name = "criteria" + ("_first5" if args.first_five else "") + (f"_{ranker}" if ranker else "")
    (RESULTS / f"{name}.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
