"""Choosing a stopping rule's settings by cross-validation over pools, reported out of fold
(EVALUATION.md, "Choosing defaults").

The rows are a sweep's: one per (pool, label, seed, rule spec, target) with ``reached``,
``recall``, ``effort``, ``excess`` and, where the rule states one, ``bound`` (the recall it
claims at its stop). Folds are families of pools (pools from one source share topics and
habits), so no pool is both chosen on and reported on. Within a fold the choice is the spec
with the least mean excess effort among those whose reliability at the target, over the other
folds' runs on the choosing seeds, has a Wilson lower bound of at least ``min_lower``; when none
has, the spec with the highest lower bound (the most careful). The choice per fold is reported
so that a choice that changes from fold to fold shows as noise.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from screener.errors import ConfigError
from screener.experiments.summary import wilson_interval

FAMILY_PREFIXES = ("Cohen_2006", "Wallace_2010", "SYNERGY", "CLEF2017", "CLEF2019", "GPTscreenR")
# Pools from one review project kept in one fold (EVALUATION.md, "Families").
SAME_SOURCE = {"SYNERGY_Chou_2004": "Cohen_2006"}


def family(pool: str) -> str:
    """The fold of a shared pool: its source family (EVALUATION.md), ``others`` for the rest."""
    if pool in SAME_SOURCE:
        return SAME_SOURCE[pool]
    for prefix in FAMILY_PREFIXES:
        if pool.startswith(prefix):
            return prefix
    return "others"


def _near(series: pd.Series, value: float) -> pd.Series:
    return (series - value).abs() < 1e-9


def choose(rows: pd.DataFrame, *, target: float = 0.95, min_lower: float = 0.95,
           confidence: float = 0.95) -> pd.Series:
    """The chosen spec among ``rows`` at ``target`` (module docstring), with its numbers."""
    at = rows[_near(rows["target"], target)]
    if at.empty:
        raise ConfigError(f"no runs at target {target:g} to choose from")
    g = at.groupby("rule", sort=True).agg(runs=("reached", "size"), reached=("reached", "sum"),
                                          excess=("excess", "mean"))
    g["lower"] = [wilson_interval(int(h), int(n), confidence)[0] for h, n in zip(g["reached"], g["runs"])]
    g["reliability"] = g["reached"] / g["runs"]
    ok = g[g["lower"] >= min_lower]
    pick = ok.sort_values(["excess", "lower"], ascending=[True, False]) if not ok.empty else \
        g.sort_values(["lower", "excess"], ascending=[False, True])
    return pd.Series({**pick.iloc[0].to_dict(), "spec": pick.index[0], "met": not ok.empty})


def cross_validate(rows: pd.DataFrame, *, target: float = 0.95, choose_seeds: Sequence[int] | None = range(10),
                   min_lower: float = 0.95, confidence: float = 0.95,
                   fold_of: Callable[[str], str] = family) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Leave one fold out: (the held-out rows of each fold's choice, at every target, seed and
    label, with a ``fold`` column; one line per fold with its choice and training numbers)."""
    if not 0 < target < 1:
        raise ConfigError(f"target must be in (0, 1), got {target}")
    if not 0 < min_lower < 1:
        raise ConfigError(f"min_lower must be in (0, 1), got {min_lower}")
    rows = rows.assign(fold=rows["pool"].map(fold_of))
    folds = sorted(rows["fold"].unique())
    if len(folds) < 2:
        raise ConfigError("cross-validation needs pools from at least two folds")
    train_seeds = rows["seed"].isin(list(choose_seeds)) if choose_seeds is not None else pd.Series(True, rows.index)
    held, picks = [], []
    for fold in folds:
        best = choose(rows[train_seeds & (rows["fold"] != fold)], target=target, min_lower=min_lower,
                      confidence=confidence)
        test = rows[(rows["fold"] == fold) & (rows["rule"] == best["spec"])]
        held.append(test)
        picks.append({"fold": fold, "pools": int(test["pool"].nunique()), "chosen": best["spec"],
                      "goal_met_in_training": bool(best["met"]), "train_runs": int(best["runs"]),
                      "train_reliability": float(best["reliability"]), "train_lower": float(best["lower"]),
                      "train_excess": float(best["excess"])})
    return pd.concat(held, ignore_index=True), pd.DataFrame(picks)


def out_of_fold_summary(held: pd.DataFrame, by: Sequence[str] = ("target",), confidence: float = 0.95) -> pd.DataFrame:
    """Runs, reliability with its Wilson interval, recall at stop, effort, excess and, where the
    rows carry the stated bound, its coverage (share of runs whose recall is at least it)."""
    out = []
    for key, g in held.groupby(list(by), sort=True):
        key = key if isinstance(key, tuple) else (key,)
        n, hits = len(g), int(g["reached"].sum())
        lo, hi = wilson_interval(hits, n, confidence)
        line = dict(zip(by, key))
        line.update({"runs": n, "reliability": hits / n, "reliability_lo": lo, "reliability_hi": hi,
                     "recall": float(g["recall"].mean()), "effort": float(g["effort"].mean()),
                     "excess": float(g["excess"].mean())})
        if "bound" in g:
            b = g["bound"].astype(float)
            stated = b.notna()
            line["coverage"] = float((g["recall"][stated] >= b[stated] - 1e-9).mean()) if stated.any() else np.nan
        out.append(line)
    return pd.DataFrame(out)


def expand_grid(spec: str) -> list[str]:
    """``rule:a=1|2,b=x`` → ``rule:a=1,b=x`` and ``rule:a=2,b=x``: the candidates of a sweep."""
    name, _, params = spec.partition(":")
    specs = [[]]
    for item in filter(None, (p.strip() for p in params.split(","))):
        key, eq, vals = item.partition("=")
        if not eq:
            raise ConfigError(f"rule parameter {item!r} in {spec!r} is not key=value")
        specs = [s + [f"{key.strip()}={v.strip()}"] for s in specs for v in vals.split("|")]
    return [name.strip() + (":" + ",".join(s) if s else "") for s in specs]


def cv_report(rows: pd.DataFrame, out_dir, *, target: float = 0.95, choose_seeds: Sequence[int] = range(10),
              min_lower: float = 0.95, confidence: float = 0.95, extra: dict | None = None) -> tuple[str, dict]:
    """Cross-validate, write ``stopping_cv.jsonl`` (held-out rows) and ``stopping_cv.md``; return
    (the markdown, the paths)."""
    from pathlib import Path

    from screener.experiments.reports import write_jsonl

    held, picks = cross_validate(rows, target=target, choose_seeds=choose_seeds, min_lower=min_lower,
                                 confidence=confidence)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    by = ["target", "label"] if "label" in held and held["label"].nunique() > 1 else ["target"]
    parts = [f"# Stopping rules chosen by leave-one-family-out cross-validation\n\n"
             f"Chosen at target {target:g} on seeds {min(choose_seeds)}-{max(choose_seeds)}: in each fold, the "
             f"least mean excess effort among settings whose reliability over the other folds has a Wilson "
             f"lower bound ≥ {min_lower:g}. Every number below is out of fold.\n",
             "".join(f"- {k}: {v}\n" for k, v in (extra or {}).items()),
             "\n## Out of fold, all seeds\n\n" + _md(out_of_fold_summary(held, by, confidence)),
             "\n## Out of fold, seeds not used for choosing\n\n"
             + _md(out_of_fold_summary(held[~held["seed"].isin(list(choose_seeds))], by, confidence)
                   if (~held["seed"].isin(list(choose_seeds))).any() else pd.DataFrame()),
             f"\n## Out of fold per family, target {target:g}\n\n"
             + _md(out_of_fold_summary(held[_near(held["target"], target)], ["fold"], confidence)),
             "\n## The choice in each fold\n\n" + _md(picks)]
    text = "".join(parts)
    paths = {"runs": write_jsonl(out_dir / "stopping_cv.jsonl", held.to_dict("records"), extra),
             "table": out_dir / "stopping_cv.md"}
    paths["table"].write_text(text)
    return text, paths


def _md(df: pd.DataFrame) -> str:
    if df.empty:
        return "(none)\n"
    cols = list(df.columns)
    floats = {c for c in cols if pd.api.types.is_float_dtype(df[c])}
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for rec in df.to_dict("records"):
        lines.append("| " + " | ".join(f"{rec[c]:.3f}" if c in floats else str(rec[c]) for c in cols) + " |")
    return "\n".join(lines) + "\n"
