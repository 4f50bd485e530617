"""From sweep rows to the numbers quoted: reliability with its Wilson interval, mean effort and
excess effort per rule, target and pool, and the leave-one-pool-out choice of a setting.

Everything past ``summarise`` reads the per-pool summary alone, so a report can be rebuilt from
the committed summary files without the per-run rows (EVALUATION.md, "Choosing defaults").
"""

from __future__ import annotations

import math

import pandas as pd
from scipy.stats import norm

RELIABILITY, WILSON_LO = 0.95, 0.90  # the goals a setting must meet to be chosen


def wilson_interval(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion (Wilson 1927)."""
    if n == 0:
        return (0.0, 1.0)
    z = float(norm.ppf(0.5 + confidence / 2))
    p = successes / n
    den = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / den
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    # clamp so that lo ≤ p ≤ hi survives rounding at p = 0 or 1
    return (min(p, max(0.0, centre - half)), max(p, min(1.0, centre + half)))


def _row(key: dict, runs: int, hits: int, guaranteed: bool, recall: float, effort: float, excess: float,
         confidence: float) -> dict:
    lo, hi = wilson_interval(hits, runs, confidence)
    return {"pool": key.get("pool", "all"), "rule": key["rule"], "target": key["target"], "guaranteed": guaranteed,
            "runs": runs, "reached": hits, "recall": recall, "reliability": hits / runs, "reliability_lo": lo,
            "reliability_hi": hi, "effort": effort, "excess": excess}


def summarise(rows: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """Per rule, target and pool (and ``all`` pools): runs, runs that reached the target, mean
    recall at stop, reliability with its Wilson interval, mean effort and excess effort."""
    out = []
    for by_pool in (True, False):
        keys = ["rule", "target", "pool"] if by_pool else ["rule", "target"]
        for key, g in rows.groupby(keys, sort=True):
            out.append(_row(dict(zip(keys, key)), len(g), int(g["reached"].sum()), bool(g["guaranteed"].iloc[0]),
                            float(g["recall"].mean()), float(g["effort"].mean()), float(g["excess"].mean()),
                            confidence))
    return pd.DataFrame(out)


def pooled(summary: pd.DataFrame, target: float, *, leave_out: str | None = None,
           confidence: float = 0.95) -> pd.DataFrame:
    """Each rule's numbers at ``target`` over the pools of a per-pool summary (all of them, or all
    but ``leave_out``), weighted by runs; indexed by rule."""
    s = summary[(summary["pool"] != "all") & (summary["target"].sub(target).abs() < 1e-9)]
    if leave_out is not None:
        s = s[s["pool"] != leave_out]
    out = []
    for rule, g in s.groupby("rule", sort=True):
        runs = int(g["runs"].sum())
        w = g["runs"] / runs
        out.append(_row({"rule": rule, "target": target}, runs, int(g["reached"].sum()), bool(g["guaranteed"].iloc[0]),
                        float((g["recall"] * w).sum()), float((g["effort"] * w).sum()),
                        float((g["excess"] * w).sum()), confidence))
    return pd.DataFrame(out).set_index("rule") if out else pd.DataFrame()


def eligible(table: pd.DataFrame, reliability: float = RELIABILITY, wilson_lo: float = WILSON_LO) -> pd.DataFrame:
    """The settings of a pooled table that meet the goals, least excess effort first."""
    if table.empty:
        return table
    return table[(table["reliability"] >= reliability) & (table["reliability_lo"] >= wilson_lo)].sort_values("excess")


def leave_one_pool_out(summary: pd.DataFrame, target: float, *, reliability: float = RELIABILITY,
                       wilson_lo: float = WILSON_LO, confidence: float = 0.95) -> tuple[pd.DataFrame, dict]:
    """For each held-out pool, the eligible setting with the least excess on the other pools and
    its held-out numbers; and those held-out runs pooled (the cross-validated result)."""
    per_pool = summary[(summary["pool"] != "all") & (summary["target"].sub(target).abs() < 1e-9)]
    picks = []
    for pool in sorted(per_pool["pool"].unique()):
        ok = eligible(pooled(summary, target, leave_out=pool, confidence=confidence), reliability, wilson_lo)
        if ok.empty:
            continue
        spec = ok.index[0]
        held = per_pool[(per_pool["pool"] == pool) & (per_pool["rule"] == spec)].iloc[0]
        picks.append({"pool": pool, "setting": spec, "train_reliability": float(ok.iloc[0]["reliability"]),
                      "train_excess": float(ok.iloc[0]["excess"]), "runs": int(held["runs"]),
                      "reached": int(held["reached"]), "reliability": float(held["reliability"]),
                      "excess": float(held["excess"])})
    picks = pd.DataFrame(picks)
    if picks.empty:
        return picks, {"pools": 0, "runs": 0}
    n, hits = int(picks["runs"].sum()), int(picks["reached"].sum())
    lo, hi = wilson_interval(hits, n, confidence)
    return picks, {"pools": len(picks), "runs": n, "reached": hits, "reliability": hits / n, "reliability_lo": lo,
                   "reliability_hi": hi, "excess": float((picks["excess"] * picks["runs"]).sum() / n)}
