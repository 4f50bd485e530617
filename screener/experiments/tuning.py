"""Sweeping a rule's settings over an order cache (resumable), and the report that chooses one
by leave-one-pool-out (EVALUATION.md, "Choosing defaults").

Two files per sweep: ``runs`` (one JSON line per (orders, setting) with every run's row: large,
kept out of git) and ``summary`` (one JSON line per (orders, setting, target) with each pool's
counts and means: small, committed). Resuming and reporting read only the summary.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import pandas as pd

from screener.errors import DataError
from screener.experiments.reports import read_jsonl, write_jsonl
from screener.experiments.stopping_sweep import replay_order_file
from screener.experiments.summary import (
    RELIABILITY,
    WILSON_LO,
    eligible,
    leave_one_pool_out,
    pooled,
    wilson_interval,
)
from screener.model import library_versions
from screener.parallel import run_tasks
from screener.stopping import parse_rules

RUN_COLUMNS = ["pool", "seed", "target", "reached", "recall", "effort", "excess", "sampled"]


def recommended_grid() -> list[str]:
    """The settings of the biased-urn rule (``biased_urn``, the recommended rule until issue 10) swept: the ranked test's bias, the run it needs, the
    sparse stretch that also counts as quiet, the share of the pool left that is screened to the
    end rather than stopped on, and the check sample. (``run_share`` 0.05 was swept on earlier
    orders and never beat 0.) Every spec is explicit: a bare ``screener`` would name different
    settings as the defaults change."""
    specs = []
    for bias, min_run, sparse, finish, check in itertools.product(
            (4, 5, 7), (30, 40, 50, 75), (0, 1.5, 2), (0.0, 0.1, 0.15, 0.2), ("0.02/10", "0")):
        share, _, cmin = check.partition("/")
        specs.append(f"biased_urn:bias={bias},min_run={min_run},sparse_run={sparse},finish_share={finish},"
                     f"check_share={share}" + (f",check_min={cmin}" if cmin else ""))
    return specs


def _same(rec: dict, orders: str, sha: str) -> bool:
    return rec.get("orders") == orders and rec.get("orders_sha1") == sha


def summary_lines(rows: pd.DataFrame) -> list[dict]:
    """One setting's per-run rows as summary lines: one per target, with each pool's runs, runs
    that reached the target, and mean recall, effort and excess (floats to 6 decimals)."""
    out = []
    for (spec, target), g in rows.groupby(["rule", "target"], sort=False):
        pools = {pool: {"runs": len(h), "reached": int(h["reached"].sum()),
                        **{c: round(float(h[c].mean()), 6) for c in ("recall", "effort", "excess")}}
                 for pool, h in g.groupby("pool", sort=True)}
        out.append({"spec": spec, "target": float(target), "guaranteed": bool(g["guaranteed"].iloc[0]),
                    "pools": pools})
    return out


def expand(lines: pd.DataFrame) -> pd.DataFrame:
    """Summary lines → the per-pool summary (as ``summary.summarise`` gives it, with ``all``)."""
    per_pool = pd.DataFrame([{"pool": pool, "rule": rec["spec"], "target": rec["target"],
                              "guaranteed": rec["guaranteed"], **v}
                             for rec in lines.to_dict("records") for pool, v in rec["pools"].items()])
    per_pool["reliability"] = per_pool["reached"] / per_pool["runs"]
    bounds = [wilson_interval(int(h), int(n)) for h, n in zip(per_pool["reached"], per_pool["runs"])]
    per_pool["reliability_lo"], per_pool["reliability_hi"] = zip(*bounds)
    overall = [pooled(per_pool, t).reset_index().assign(pool="all") for t in sorted(per_pool["target"].unique())]
    return pd.concat([per_pool, *overall], ignore_index=True)


def load_summary(path: str | Path, orders: str, sha: str) -> pd.DataFrame:
    """The per-pool summary of the sweep on these orders (the latest line per setting and target)."""
    path = Path(path)
    if not path.exists():
        return pd.DataFrame()
    s = read_jsonl(path)
    if s.empty:
        return s
    s = s[(s["orders"] == orders) & (s["orders_sha1"] == sha) & (s["spec"] != "screener")]
    if s.empty:
        return pd.DataFrame()
    return expand(s.drop_duplicates(["spec", "target"], keep="last").reset_index(drop=True))


def last_fingerprint(path: str | Path, orders: str) -> str:
    """The fingerprint of the last sweep recorded in the summary for the orders folder ``orders``."""
    s = read_jsonl(path) if Path(path).exists() else pd.DataFrame()
    s = s[s["orders"] == orders] if not s.empty else s
    if s.empty:
        raise DataError(f"{path}: no sweep recorded for the orders in {orders}")
    return str(s["orders_sha1"].iloc[-1])


def done_settings(summary_path: str | Path, orders: str, sha: str, targets: Sequence[float]) -> set[str]:
    s = load_summary(summary_path, orders, sha)
    if s.empty:
        return set()
    want = {float(t) for t in targets}
    return {rule for rule, g in s.groupby("rule") if want <= set(g["target"].astype(float))}


def sweep(
    runs: Sequence[tuple[str, int, Path]],
    specs: Sequence[str],
    *,
    orders: str,
    sha: str,
    runs_path: str | Path,
    summary_path: str | Path,
    targets: Sequence[float] = (0.95,),
    batch: int = 64,
    n_jobs: int = 1,
    extra: dict | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Replay every setting not yet in the summary on every order of ``runs``, ``batch`` settings
    per pass over the orders (each order read once per pass); append each setting's per-run rows
    and summary as it is done. Returns the number of settings replayed."""
    targets = [float(t) for t in targets]
    done = done_settings(summary_path, orders, sha, targets)
    todo = [s for s in parse_rules(list(specs)) if s not in done]
    stamp = {"orders": orders, "orders_sha1": sha, **(extra or {})}
    for start in range(0, len(todo), batch):
        chunk = todo[start:start + batch]
        t0 = time.perf_counter()
        results = run_tasks(replay_order_file, [(str(p), pool, seed, chunk, targets) for pool, seed, p in runs],
                            n_jobs=n_jobs)
        wall = (time.perf_counter() - t0) / len(chunk)
        rows = pd.DataFrame([r for rs in results for r in rs])
        for spec, g in rows.groupby("rule", sort=False):
            write_jsonl(Path(runs_path), [{"spec": spec, "targets": targets, "n_runs": int(len(g) / len(targets)),
                                           "wall_s": round(wall, 1), "versions": library_versions(),
                                           "rows": g[RUN_COLUMNS].to_dict("list")}], stamp, mode="a")
            write_jsonl(Path(summary_path), summary_lines(g), stamp, mode="a")
        if progress is not None:
            progress(start + len(chunk), len(todo))
    return len(todo)


def summaries_from_runs(runs_path: str | Path, summary_path: str | Path) -> int:
    """Rebuild the summary file from the per-run file (every sweep in it); returns its lines."""
    lines = 0
    Path(summary_path).unlink(missing_ok=True)
    for rec in read_jsonl(runs_path).to_dict("records"):
        rows = pd.DataFrame(rec["rows"]).assign(rule=rec["spec"], guaranteed=False)
        stamp = {k: rec[k] for k in ("orders", "orders_sha1", "commit") if k in rec and not pd.isna(rec[k])}
        summary = summary_lines(rows)
        write_jsonl(Path(summary_path), summary, stamp, mode="a")
        lines += len(summary)
    return lines


def _fmt(r) -> str:
    return f"{r['reliability']:.3f} [{r['reliability_lo']:.3f}, {r['reliability_hi']:.3f}] | {r['excess']:.3f}"


def tuning_report(summary: pd.DataFrame, *, target: float = 0.95, header: str = "",
                  reliability: float = RELIABILITY, wilson_lo: float = WILSON_LO) -> str:
    """The markdown report of a sweep from its summary: the leave-one-pool-out choice and its
    held-out numbers, the best settings in sample, and the best one's numbers per pool."""
    table = pooled(summary, target)
    ok = eligible(table, reliability, wilson_lo)
    picks, cv = leave_one_pool_out(summary, target, reliability=reliability, wilson_lo=wilson_lo)
    n_pools = summary.loc[summary["pool"] != "all", "pool"].nunique()
    lines = ["# Tuning the recommended stopping rule (`screener`)\n", header,
             f"\n{len(table)} settings at τ = {target:g} over {n_pools} pools. Eligible: reliability ≥ "
             f"{reliability} and Wilson lower bound ≥ {wilson_lo}; among them, least mean excess effort.\n"]
    if cv["runs"]:
        lines += ["\n## Leave-one-pool-out\n",
                  f"\nCross-validated: reliability {cv['reliability']:.3f} [{cv['reliability_lo']:.3f}, "
                  f"{cv['reliability_hi']:.3f}], mean excess {cv['excess']:.3f} over {cv['runs']} runs "
                  f"({cv['pools']} of {n_pools} pools had an eligible setting).\n",
                  "\n| held-out pool | setting chosen on the other pools | their reliability | their excess "
                  "| held-out reliability | held-out excess |", "\n|---|---|--:|--:|--:|--:|"]
        for _, p in picks.iterrows():
            lines.append(f"\n| {p['pool']} | `{p['setting']}` | {p['train_reliability']:.3f} | {p['train_excess']:.3f} "
                         f"| {p['reliability']:.3f} | {p['excess']:.3f} |")
        lines.append("\n")
    lines += ["\n## In sample (all pools)\n", "\n| setting | reliability [Wilson 95%] | excess effort |",
              "\n|---|--:|--:|"]
    shown = pd.concat([ok.head(15), table.sort_values("excess").head(10)])
    for spec, r in shown[~shown.index.duplicated()].iterrows():
        mark = " (eligible)" if spec in ok.index else ""
        lines.append(f"\n| `{spec}`{mark} | {_fmt(r)} |")
    lines.append("\n")
    if not ok.empty:
        best = ok.index[0]
        per_pool = summary[(summary["rule"] == best) & (summary["pool"] != "all")
                           & (summary["target"].sub(target).abs() < 1e-9)].sort_values("pool")
        lines += [f"\n## Per pool, best in-sample setting `{best}`\n", "\n| pool | reliability | excess |",
                  "\n|---|--:|--:|"]
        for _, g in per_pool.iterrows():
            lines.append(f"\n| {g['pool']} | {g['reliability']:.2f} | {g['excess']:.3f} |")
        lines.append("\n")
    return "".join(lines)
