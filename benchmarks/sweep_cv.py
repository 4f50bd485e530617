"""Ranker candidates on all shared pools, chosen and reported with pool-grouped cross-validation.

    python benchmarks/sweep_cv.py run NAME [--seeds 0-4] [--labels label_included] [--pools ...]
    python benchmarks/sweep_cv.py import-orders NAME DIR [--seeds 0-4]
    python benchmarks/sweep_cv.py report [--names default plain ...] [--reference plain] [--seeds 0-4]

`run` replays every pool (smallest first) with configuration NAME from ``CONFIGS`` and the
priors and seeded shuffle of ``screener simulate`` (EVALUATION.md), stopping at 95% recall:
records@95 is exact and needs no more. One JSON line per (configuration, pool, label column,
seed) goes to benchmarks/results/sweep_cv.jsonl; finished runs are skipped (resumable).
``import-orders`` scores existing full orders (``DIR/<pool>/<label>/seed<k>/order.csv``, e.g.
the default's) the same way instead of rerunning them.

`report` chooses, for each fold of pools (one family per fold, EVALUATION.md "Choosing
defaults"; SYNERGY_Chou_2004 goes with Cohen 2006, whose SkeletalMuscleRelaxants review it
shares), the configuration with the lowest mean log ratio of records@95 to the reference on
the *other* folds, and reports that configuration's figures on the fold's own pools: every
figure in the out-of-fold table is measured on pools that did not choose it. Beside it:
ASReview 3.0.8 (benchmarks/results/asreview.jsonl and /work/orders/asreview.jsonl, same
priors) and each configuration in-sample (labelled so).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from jsonl import git_commit  # noqa: E402
from screener.ensemble import RANKERS  # noqa: E402
from screener.metrics import to_markdown
from screener.model import library_versions  # noqa: E402
from screener.orders import read_order  # noqa: E402
from screener.readers import read_file  # noqa: E402
from screener.simulate import SimulationSettings, labels_of, run_metrics, simulate  # noqa: E402
from screener.specs import parse_seeds  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "sweep_cv.jsonl"
DATA = ROOT.parent / "shared" / "data"
ASREVIEW_FILES = [ROOT / "benchmarks" / "results" / "asreview.jsonl", Path("/work/orders/asreview.jsonl")]
LABELS = ("label_included", "label_abstract_screening")

# name -> how to run it: {"learner": ..., "features": ...} for screener's own simulate, or
# {"ensemble": ...} for screener.ensemble's rankers (benchmarks measure the code users run).
CONFIGS: dict[str, dict] = {
    "default": {"learner": {}, "features": {}},
    # EVALUATION.md's plain reference: C = 1, balanced, no presumed sample, every fit to liblinear's
    # tolerance. The solver is screener's compiled copy of liblinear's dual CD (the same problem and
    # stopping rule), warm-started, which is several times cheaper than scikit-learn's liblinear
    # from scratch; "plain_liblinear" is the latter.
    # (The rows in sweep_cv.jsonl were run before the fit policy had a name: "warm_epochs": None then.)
    "plain": {"learner": {"C": 1.0, "presumed_negatives": 0, "fit_policy": {"warm_epochs": None}}, "features": {}},
    "plain_liblinear": {"learner": {"C": 1.0, "solver": "liblinear", "presumed_negatives": 0,
                                    "fit_policy": {"warm_start": False, "warm_epochs": None, "presumed_refresh": 1.0}},
                        "features": {}},
    # screener.ensemble: the default learner on word 1-2 grams and on character 4-grams, fused by rank.
    "word_char": {"ensemble": {"members": [{"features": "word"}, {"features": "char"}]}},
    # the same members, weighted online by their ranks of the relevant records found (hedge).
    "word_char_hedge": {"ensemble": {"members": [{"features": "word"}, {"features": "char"}], "adapt": "hedge"}},
    # one-setting departures from the default, each a candidate for the cross-validated choice
    "c2": {"learner": {"C": 2.0}, "features": {}},
    "c8": {"learner": {"C": 8.0}, "features": {}},
    "p200": {"learner": {"presumed_negatives": 200}, "features": {}},
    "p400": {"learner": {"presumed_negatives": 400}, "features": {}},
    "tri": {"learner": {}, "features": {"ngram_range": (1, 3)}},
    # the default beside ASReview's model (linear SVM, C = 0.11, relevant class 9.8x, no presumed
    # sample) on the same word features, fused by rank: two strong models that win on different pools
    "lr_svm": {"ensemble": {"members": [{"features": "word"},
                                        {"features": "word", "params": {"classifier": "svm", "class_weight": 9.8,
                                                                        "presumed_negatives": 0}}]}},
    # the same pairs interleaved: each record's best rank over the two members (ties by mean rank)
    "word_char_best": {"ensemble": {"members": [{"features": "word"}, {"features": "char"}], "combine": "best"}},
    # the same, the character member refit and rescored every 4th label (or after a relevant one)
    "word_char_best_e4": {"ensemble": {"members": [{"features": "word"}, {"features": "char", "every": 4}],
                                       "combine": "best"}},
    # the character member at another C (the default's C = 4 was chosen for word features)
    "word_char_best_cc1": {"ensemble": RANKERS["interleave"]},  # screener simulate --ranker interleave
    "word_char_best_cc025": {"ensemble": {"members": [{"features": "word"},
                                                      {"features": "char", "params": {"C": 0.25}}],
                                          "combine": "best"}},
    "word_char_best_cc16": {"ensemble": {"members": [{"features": "word"}, {"features": "char", "params": {"C": 16.0}}],
                                         "combine": "best"}},
    # three queues interleaved: the two above and ASReview's SVM on the word features
    "word_char_svm_best": {"ensemble": {"members": [{"features": "word"}, {"features": "char"},
                                                    {"features": "word", "params": {"classifier": "svm",
                                                                                    "class_weight": 9.8,
                                                                                    "presumed_negatives": 0}}],
                                        "combine": "best"}},
    # word and character queues interleaved with the one model over both (WordCharFeatures)
    "word_char_concat_best": {"ensemble": {"members": [{"features": "word"}, {"features": "char"},
                                                       {"features": "word_char"}], "combine": "best"}},
    # one logistic regression over word and character features side by side (WordCharFeatures)
    "concat": {"ensemble": {"members": [{"features": "word_char"}]}},
    # cheaper interleaves (issue 11's speed goal): the character member without its commonest
    # n-grams (document share > 10%: a third of its entries), and/or both members rescoring only
    # their 256-row shortlist between full rescorings (every 8th, or after a relevant record)
    "word_char_best_cc1_df10": {"ensemble": {"members": [{"features": "word"},
                                                         {"features": "char", "params": {"C": 1.0}}],
                                             "features": {"char": {"max_df": 0.1}}, "combine": "best"}},
    # the title counted twice (its terms' tf raised), in both views / in the word view only; the
    # word view on unigrams only
    "word_char_best_cc1_t2": {"ensemble": {**RANKERS["interleave"],
                                           "features": {"word": {"fields": ("title", "title", "abstract")},
                                                        "char": {"fields": ("title", "title", "abstract")}}}},
    "word_char_best_cc1_t2w": {"ensemble": {**RANKERS["interleave"],
                                            "features": {"word": {"fields": ("title", "title", "abstract")}}}},
    # the word member with 50 / no presumed-irrelevant records (the character member keeps 100)
    "word_char_best_cc1_wp50": {"ensemble": {"members": [{"features": "word", "params": {"presumed_negatives": 50}},
                                                         {"features": "char", "params": {"C": 1.0}}],
                                             "combine": "best"}},
    "word_char_best_cc1_wp0": {"ensemble": {"members": [{"features": "word", "params": {"presumed_negatives": 0}},
                                                        {"features": "char", "params": {"C": 1.0}}],
                                            "combine": "best"}},
    # the word member with 200 (the single learner read 1.6% fewer records with 200, seed 0, `p200`)
    "word_char_best_cc1_wp200": {"ensemble": {"members": [{"features": "word", "params": {"presumed_negatives": 200}},
                                                          {"features": "char", "params": {"C": 1.0}}],
                                              "combine": "best"}},
    # the presumed-irrelevant sample drawn from the lower half / fifth of the unscreened records by
    # the last model's scores (fewer relevant records presumed irrelevant), both members
    "word_char_best_cc1_ps50": {"ensemble": {"members": [{"features": "word", "params": {"presumed_share": 0.5}},
                                                         {"features": "char", "params": {"C": 1.0, "presumed_share": 0.5}}],
                                             "combine": "best"}},
    "word_char_best_cc1_ps20": {"ensemble": {"members": [{"features": "word", "params": {"presumed_share": 0.2}},
                                                         {"features": "char", "params": {"C": 1.0, "presumed_share": 0.2}}],
                                             "combine": "best"}},
    # the character member refit every second fit (or when a relevant record came in): the speed goal's trade
    "word_char_best_cc1_ce2": {"ensemble": {"members": [{"features": "word"},
                                                        {"features": "char", "params": {"C": 1.0}, "every": 2}],
                                            "combine": "best"}},
    "word_char_best_cc1_uni": {"ensemble": {**RANKERS["interleave"], "features": {"word": {"ngram_range": (1, 1)}}}},
    "word_char_best_cc1_sl": {"ensemble": {"members": [{"features": "word", "shortlist": 256},
                                                       {"features": "char", "params": {"C": 1.0}, "shortlist": 256}],
                                           "combine": "best"}},
    "word_char_best_cc1_df10_sl": {"ensemble": {"members": [{"features": "word", "shortlist": 256},
                                                            {"features": "char", "params": {"C": 1.0},
                                                             "shortlist": 256}],
                                                "features": {"char": {"max_df": 0.1}}, "combine": "best"}},
    # the interleave weighted online (hedge): a member's share of the picks follows its ranks of
    # the relevant records found so far (eta per relevant record)
    "word_char_best_cc1_hedge01": {"ensemble": {"members": [{"features": "word"},
                                                            {"features": "char", "params": {"C": 1.0}}],
                                                "combine": "best", "adapt": "hedge", "eta": 0.1}},
    "word_char_best_cc1_hedge003": {"ensemble": {"members": [{"features": "word"},
                                                             {"features": "char", "params": {"C": 1.0}}],
                                                 "combine": "best", "adapt": "hedge", "eta": 0.03}},
    # the interleave's other settings: the word member's C, the character n-gram length
    "word_char_best_wc1_cc1": {"ensemble": {"members": [{"features": "word", "params": {"C": 1.0}},
                                                        {"features": "char", "params": {"C": 1.0}}],
                                            "combine": "best"}},
    "word_char_best_wc16_cc1": {"ensemble": {"members": [{"features": "word", "params": {"C": 16.0}},
                                                         {"features": "char", "params": {"C": 1.0}}],
                                             "combine": "best"}},
    "word_char3_best_cc1": {"ensemble": {"members": [{"features": "word"}, {"features": "char", "params": {"C": 1.0}}],
                                         "features": {"char": {"ngram_range": (3, 3)}}, "combine": "best"}},
    "word_char5_best_cc1": {"ensemble": {"members": [{"features": "word"}, {"features": "char", "params": {"C": 1.0}}],
                                         "features": {"char": {"ngram_range": (5, 5)}}, "combine": "best"}},
    # a third queue: each record's similarity to its nearest include (relevance feedback by example)
    "word_char_knn_best": {"ensemble": {"members": [{"features": "word"}, {"features": "char", "params": {"C": 1.0}},
                                                    {"features": "word", "model": "knn"}], "combine": "best"}},
    "word_char_knn3_best": {"ensemble": {"members": [{"features": "word"},
                                                     {"features": "char", "params": {"C": 1.0}},
                                                     {"features": "word", "model": "knn", "params": {"k": 3}}],
                                         "combine": "best"}},
    # a third queue: multinomial naive Bayes on the word features (ASReview's former default)
    "word_char_nb_best": {"ensemble": {"members": [{"features": "word"}, {"features": "char", "params": {"C": 1.0}},
                                                   {"features": "word", "model": "nb"}], "combine": "best"}},
    # a third queue: the default learner on static word embeddings (wordllama, if installed)
    "word_char_wl_best": {"ensemble": {"members": [{"features": "word"}, {"features": "char", "params": {"C": 1.0}},
                                                   {"features": "wordllama"}], "combine": "best"}},
    # the interleave as a bandit over its two queues: each member's share of the picks follows the
    # hit rate of the records it picked (discounted per labelled record)
    "word_char_best_cc1_hits98": {"ensemble": {"members": [{"features": "word"},
                                                           {"features": "char", "params": {"C": 1.0}}],
                                               "combine": "best", "adapt": "hits", "decay": 0.98}},
    "word_char_best_cc1_hits995": {"ensemble": {"members": [{"features": "word"},
                                                            {"features": "char", "params": {"C": 1.0}}],
                                                "combine": "best", "adapt": "hits", "decay": 0.995}},
    # the two queues by reciprocal rank fusion: between the interleave (best rank) and Borda (mean)
    "word_char_rrf3_cc1": {"ensemble": {"members": [{"features": "word"}, {"features": "char", "params": {"C": 1.0}}],
                                        "combine": "rrf", "rrf_k": 3.0}},
    "word_char_rrf20_cc1": {"ensemble": {"members": [{"features": "word"}, {"features": "char", "params": {"C": 1.0}}],
                                         "combine": "rrf", "rrf_k": 20.0}},
    # the interleave with fixed shares of the picks (word : character 2 : 1 and 1 : 2), and the
    # character member alone
    "word_char_best_cc1_w21": {"ensemble": {"members": [{"features": "word"},
                                                        {"features": "char", "params": {"C": 1.0}}],
                                            "combine": "best", "weights": [2.0, 1.0]}},
    "word_char_best_cc1_w12": {"ensemble": {"members": [{"features": "word"},
                                                        {"features": "char", "params": {"C": 1.0}}],
                                            "combine": "best", "weights": [1.0, 2.0]}},
    "char_cc1": {"ensemble": {"members": [{"features": "char", "params": {"C": 1.0}}]}},
    # the character member's presumed-irrelevant sample: none / 200 (the default learner's is 100)
    "word_char_best_cc1_cp0": {"ensemble": {"members": [{"features": "word"},
                                                        {"features": "char",
                                                         "params": {"C": 1.0, "presumed_negatives": 0}}],
                                            "combine": "best"}},
    "word_char_best_cc1_cp200": {"ensemble": {"members": [{"features": "word"},
                                                          {"features": "char",
                                                           "params": {"C": 1.0, "presumed_negatives": 200}}],
                                              "combine": "best"}},
    # the two members' probabilities instead of their ranks: the highest, or the mean
    "word_char_maxp": {"ensemble": {"members": [{"features": "word"}, {"features": "char"}], "combine": "max_proba"}},
    "word_char_maxp_cc1": {"ensemble": {"members": [{"features": "word"}, {"features": "char", "params": {"C": 1.0}}],
                                        "combine": "max_proba"}},
    "word_char_meanp": {"ensemble": {"members": [{"features": "word"}, {"features": "char"}], "combine": "mean_proba"}},
    "lr_svm_best": {"ensemble": {"members": [{"features": "word"},
                                             {"features": "word", "params": {"classifier": "svm", "class_weight": 9.8,
                                                                             "presumed_negatives": 0}}],
                                 "combine": "best"}},
}


def family(pool: str) -> str:
    """The fold a pool belongs to (EVALUATION.md's families; pools sharing a topic share a fold)."""
    if pool == "SYNERGY_Chou_2004":
        return "Cohen 2006"
    for prefix, fam in (("Cohen_2006", "Cohen 2006"), ("Wallace_2010", "Wallace 2010"), ("SYNERGY", "SYNERGY"),
                        ("CLEF2017", "CLEF 2017"), ("CLEF2019", "CLEF 2019"), ("GPTscreenR", "GPTscreenR")):
        if pool.startswith(prefix):
            return fam
    return "others"  # Hamilton, Kitchenham, Nagtegaal


def pools(data_dir: Path, names: list[str] | None) -> list[Path]:
    paths = [p for p in data_dir.glob("*.csv") if p.name != "index.csv" and (not names or p.stem in names)]
    return sorted(paths, key=lambda p: p.stat().st_size)


def _done(name: str) -> set:
    if not RESULTS.exists():
        return set()
    rows = (json.loads(line) for line in RESULTS.read_text().splitlines() if line.strip())
    return {(r["pool"], r["label_column"], r["seed"]) for r in rows if r["config"] == name}


def _resolve(member: dict) -> dict:
    """A member as ``screener.ensemble`` takes it: ``"classifier": "svm"`` is ASReview's SVM (C = 0.11)."""
    params = member.get("params", {})
    if params.get("classifier") == "svm":
        from sweep_ranker import svm_classifier

        return {**member, "params": {**params, "classifier": svm_classifier(0.11)}}
    return member


def one_run(name: str, records: pd.DataFrame, pool: str, label: str, seed: int) -> dict:
    config = CONFIGS[name]
    t0 = time.process_time()
    if "ensemble" in config:
        from screener.simulate import simulate_ensemble

        ens = dict(config["ensemble"])
        ens["members"] = [_resolve(m) for m in ens["members"]]
        order = simulate_ensemble(records, label_column=label, seed=seed, stop_at_recall=0.95, **ens).order
    else:
        settings = SimulationSettings(learner=config["learner"], features=config["features"], stop_at_recall=0.95,
                                      views="word")  # one learner on word n-grams (the default until issue 11)
        order = simulate(records, label_column=label, seed=seed, settings=settings)
    cpu = time.process_time() - t0
    m = run_metrics(order, len(records), int(labels_of(records, label).sum()))
    return {"benchmark": "sweep_cv", "config": name, "spec": config, "pool": pool, "label_column": label, "seed": seed,
            "N": m["N"], "R": m["R"], "records@95": m["records@95"], "cpu_s": round(cpu, 3),
            "commit": git_commit(), "versions": library_versions()}


def run(args) -> None:
    if args.name not in CONFIGS:
        raise SystemExit(f"unknown configuration {args.name!r}; choose one of {', '.join(CONFIGS)}")
    done = _done(args.name)
    seeds = parse_seeds(args.seeds)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    paths = pools(args.data_dir, args.pools)
    cache: dict[str, pd.DataFrame] = {}
    for label in args.labels:
        for seed in seeds:  # seed by seed: a run cut short leaves whole seeds over every pool
            for path in paths:
                if (path.stem, label, seed) in done:
                    continue
                records = cache.get(path.stem)
                if records is None:
                    records = cache[path.stem] = read_file(str(path))
                if label not in records.columns or records[label].isna().any():
                    continue
                row = one_run(args.name, records, path.stem, label, seed)
                with RESULTS.open("a") as fh:
                    fh.write(json.dumps(row, default=str) + "\n")
                print(f"{args.name} {path.stem} {label} seed {seed}: records@95 {row['records@95']} "
                      f"({row['cpu_s']:.1f} s cpu)", flush=True)


def import_orders(args) -> None:
    """Score full order files of a configuration that was run elsewhere (same protocol)."""
    done = _done(args.name)
    seeds = parse_seeds(args.seeds)
    n = 0
    with RESULTS.open("a") as fh:
        for path in pools(args.data_dir, None):
            records = None
            for label in LABELS:
                for seed in seeds:
                    f = args.dir / path.stem / label / f"seed{seed}" / "order.csv"
                    if (path.stem, label, seed) in done or not f.exists():
                        continue
                    records = read_file(str(path)) if records is None else records
                    order = read_order(f)
                    m = run_metrics(order, len(records), int(labels_of(records, label).sum()))
                    fh.write(json.dumps({"benchmark": "sweep_cv", "config": args.name, "spec": {"orders": str(args.dir)},
                                         "pool": path.stem, "label_column": label, "seed": seed, "N": m["N"], "R": m["R"],
                                         "records@95": m["records@95"], "cpu_s": None, "commit": git_commit(),
                                         "versions": library_versions()}) + "\n")
                    n += 1
    print(f"{args.name}: {n} orders scored from {args.dir}")


# --- report --------------------------------------------------------------------------------

def _asreview() -> pd.DataFrame:
    rows = {}
    for f in ASREVIEW_FILES:
        if not f.exists():
            continue
        for line in f.read_text().splitlines():
            if not line.strip():
                continue
            r = json.loads(line)
            v = r.get("records_at_95", r.get("records@95"))
            if v is None or "dataset" not in r:
                continue
            # the committed results come first and win: the background runs only add what they lack
            rows.setdefault((r["dataset"], r.get("label_column", "label_included"), r["seed"]), v)
    return pd.DataFrame([{"pool": p, "label_column": lab, "seed": s, "records@95": v} for (p, lab, s), v in rows.items()])


def _per_pool(df: pd.DataFrame, seeds: list[int]) -> pd.DataFrame:
    """Mean records@95 per (config, pool, label) over ``seeds``, keeping only complete seed sets."""
    df = df[df.seed.isin(seeds)].drop_duplicates(["config", "pool", "label_column", "seed"], keep="last")
    g = df.groupby(["config", "pool", "label_column"])["records@95"]
    out = g.mean().to_frame("records@95")
    out["n_seeds"] = g.size()
    return out[out.n_seeds == len(seeds)].reset_index()


def cross_validate(table: pd.DataFrame, names: list[str], reference: str,
                   choose_on: pd.DataFrame | None = None) -> tuple[pd.Series, dict]:
    """Leave-one-family-out choice among ``names``: (out-of-fold records@95 per pool, choice per fold).

    ``table`` has one row per pool and a column per configuration (plus ``reference``). The
    criterion is the mean over pools of log(records@95 / reference's): every pool counts alike,
    whatever its size. ``choose_on`` (the same layout, e.g. other seeds) is where the choice is
    made, if given; the figures are ``table``'s.
    """
    basis = table if choose_on is None else choose_on
    logratio = np.log(basis[names].div(basis[reference], axis=0))
    oof = pd.Series(index=table.index, dtype=float)
    chosen = {}
    for fam in sorted(table["family"].unique()):
        inside = table["family"] == fam
        best = logratio[[family(p) != fam for p in logratio.index]].mean().idxmin()
        chosen[fam] = best
        oof[inside] = table.loc[inside, best]
    return oof, chosen


def report(args) -> None:
    rows = pd.DataFrame([json.loads(line) for line in RESULTS.read_text().splitlines() if line.strip()])
    seeds = parse_seeds(args.seeds)
    choose = _per_pool(rows, parse_seeds(args.choose_seeds)) if args.choose_seeds else None
    rows = rows[rows.seed.isin(seeds)].drop_duplicates(["config", "pool", "label_column", "seed"], keep="last")
    per = _per_pool(rows, seeds)
    asr = _asreview()
    names = args.names or sorted(per.config.unique())
    out = [f"# Ranker candidates, pool-grouped cross-validation (seeds {args.seeds})\n",
           f"Generated by `python benchmarks/sweep_cv.py report --seeds {args.seeds} --names {' '.join(names)} "
           f"--reference {args.reference}"
           + (f" --choose-seeds {args.choose_seeds}` (each fold's choice made on seeds {args.choose_seeds}, "
              f"figures on seeds {args.seeds})" if args.choose_seeds else "`")
           + f" (commit {git_commit()}). records@95, mean over seeds; runs stop at "
           "95% recall, with the priors and shuffle of `screener simulate`. ASReview 3.0.8 columns compare on the "
           "seeds ASReview has for that pool (`asr seeds`), both tools over the same seeds.\n"]
    for label in args.labels:
        wide = per[per.label_column == label].pivot(index="pool", columns="config", values="records@95")
        keep = [n for n in names if n in wide.columns]
        if args.reference not in wide.columns or not keep:
            continue
        wide = wide.dropna(subset=[*keep, args.reference])
        if wide.empty:
            continue
        wide["family"] = [family(p) for p in wide.index]
        basis = None
        if choose is not None:
            basis = choose[choose.label_column == label].pivot(index="pool", columns="config", values="records@95")
            basis = basis.dropna(subset=[*keep, args.reference])
        oof, chosen = cross_validate(wide, keep, args.reference, choose_on=basis)
        wide["out_of_fold"] = oof
        # ASReview on the seeds it has, beside the out-of-fold configuration on those very seeds
        by_seed = rows[rows.label_column == label].set_index(["config", "pool", "seed"])["records@95"]
        a = asr[(asr.label_column == label) & asr.seed.isin(seeds)] if len(asr) else asr
        for pool in wide.index:
            s_asr = a[a.pool == pool] if len(a) else a
            if len(s_asr):
                cfg = chosen[family(pool)]
                mine = [by_seed.get((cfg, pool, s)) for s in s_asr.seed]
                wide.loc[pool, "asr seeds"] = len(s_asr)
                wide.loc[pool, "asreview"] = s_asr["records@95"].mean()
                wide.loc[pool, "oof, asr seeds"] = np.mean(mine)
        if "asreview" not in wide.columns:
            wide["asreview"] = wide["oof, asr seeds"] = wide["asr seeds"] = np.nan
        out.append(f"\n## {label}: {len(wide)} pools\n")
        out.append(f"Choice per fold (chosen on the other folds{', seeds ' + args.choose_seeds if choose is not None else ''}): "
                   + "; ".join(f"{fam}: {c}" for fam, c in chosen.items()) + "\n")
        fam_rows = []
        for fam, g in [*wide.groupby("family"), ("**all**", wide)]:
            r = {"family": fam, "pools": len(g), "out of fold": g.out_of_fold.mean(),
                 args.reference: g[args.reference].mean(), "oof / ref": g.out_of_fold.mean() / g[args.reference].mean()}
            has = g.asreview.notna()
            if has.any():
                r["asr pools"] = int(has.sum())
                r["oof (asr seeds)"] = g["oof, asr seeds"][has].mean()
                r["asreview"] = g.asreview[has].mean()
                r["oof / asreview"] = r["oof (asr seeds)"] / r["asreview"]
                r["pools >5% behind asr"] = int((g["oof, asr seeds"][has] > 1.05 * g.asreview[has]).sum())
            for n in keep:
                r[f"{n} (in-sample)"] = g[n].mean()
            fam_rows.append(r)
        out.append(to_markdown(pd.DataFrame(fam_rows).round(3)))
        out.append("\n\nPer pool (records@95; configuration columns are in-sample, `out_of_fold` is not):\n")
        cols = ["family", "out_of_fold", args.reference, *[n for n in keep if n != args.reference],
                "asr seeds", "oof, asr seeds", "asreview"]
        out.append(to_markdown(wide[cols].round(1)))
        out.append("\n")
    text = "\n".join(out)
    dest = args.out or RESULTS.with_suffix(".md")
    dest.write_text(text + "\n")
    print(text)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("name")
    r.add_argument("--seeds", default="0-4")
    r.add_argument("--labels", nargs="+", default=["label_included"])
    r.add_argument("--pools", nargs="*")
    r.add_argument("--data-dir", type=Path, default=DATA)
    i = sub.add_parser("import-orders")
    i.add_argument("name")
    i.add_argument("dir", type=Path)
    i.add_argument("--seeds", default="0-4")
    i.add_argument("--data-dir", type=Path, default=DATA)
    p = sub.add_parser("report")
    p.add_argument("--names", nargs="*")
    p.add_argument("--reference", default="plain")
    p.add_argument("--seeds", default="0-4")
    p.add_argument("--choose-seeds", help="make each fold's choice on these seeds (e.g. 0-9) and report on --seeds")
    p.add_argument("--labels", nargs="+", default=list(LABELS))
    p.add_argument("--out", type=Path)
    args = ap.parse_args()
    if args.cmd != "report" and not (args.data_dir / "index.csv").exists():
        print(f"skipped: no shared data at {args.data_dir} (pass --data-dir)")
        return 0
    {"run": run, "import-orders": import_orders, "report": report}[args.cmd](args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
