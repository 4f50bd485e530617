"""Sweep of the recommended stopping rule's parameters, chosen by leave-one-pool-out.

    python benchmarks/tune_stopping.py sweep  --orders benchmarks/runs/screener      # replay every setting (resumable)
    python benchmarks/tune_stopping.py report --orders benchmarks/runs/screener      # tables + leave-one-pool-out choice

Every setting in ``GRID`` (a ``screener:...`` rule spec) is replayed on every order under
``--orders`` (``<pool>/label_included/seed<k>/order.csv``, as bench_stopping.py reads them) at
τ = 0.95 with screener's own replay (``screener.stopping.evaluate.evaluate_order_rules``: checked
every 5 records, random-check records counted as effort). One JSON line per (orders folder,
setting) with its per-run rows goes to results/tune_stopping.jsonl; settings already there for
the same orders (folder and a fingerprint of its order files' contents) and targets are
skipped, so regenerated orders in the same folder are a new sweep.

The report picks the setting by leave-one-pool-out: for each held-out pool, the setting with
the least mean excess effort among those with reliability >= 0.95 and Wilson lower bound >= 0.90
on the other pools; the held-out pool's runs under that choice make up the cross-validated numbers.
Written to results/tune_stopping.md.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from jsonl import append_jsonl, git_commit  # noqa: E402

RESULTS = HERE / "results"
OUT = RESULTS / "tune_stopping.jsonl"
LABEL = "label_included"
RELIABILITY, WILSON_LO = 0.95, 0.90


def grid() -> list[str]:
    """The settings swept: the ranked test's bias, the run it needs, the sparse stretch that also
    counts as quiet, the share of the pool left that is screened to the end rather than stopped
    on, and the check sample. (``run_share`` 0.05 was swept on earlier orders and never beat 0.)"""
    specs = []  # the defaults are one of these; a bare "screener" would name different settings over time
    for bias, min_run, sparse, finish, check in itertools.product(
            (4, 5, 7), (30, 40, 50, 75), (0, 1.5, 2), (0.0, 0.1, 0.15, 0.2), ("0.02/10", "0")):
        share, _, cmin = check.partition("/")
        spec = (f"screener:bias={bias},min_run={min_run},sparse_run={sparse},finish_share={finish},"
                f"check_share={share}" + (f",check_min={cmin}" if cmin else ""))
        specs.append(spec)
    return specs


def orders(orders_dir: Path, seeds: list[int]) -> list[tuple[str, int, Path]]:
    found = []
    for pool_dir in sorted(p for p in (HERE.parent / orders_dir).iterdir() if p.is_dir()):
        for seed in seeds:
            path = pool_dir / LABEL / f"seed{seed}" / "order.csv"
            if path.exists():
                found.append((pool_dir.name, seed, path))
    return found


def _order_rows(path: str, pool: str, seed: int, specs: list[str], targets: list[float]) -> list[dict]:
    """Every setting replayed on one order (the order is read once)."""
    from screener.stopping import make_rule, recommended
    from screener.stopping.evaluate import evaluate_order_rules
    from screener.stopping.hypergeometric import ranked_p_values

    df = pd.read_csv(path).sort_values("rank")
    labels = df["label"].astype(int).to_numpy()
    n_priors = int(df["is_prior"].fillna(0).astype(int).sum())
    rules = {s: make_rule(s) for s in specs}
    # Settings with the same bias ask the same (pure) test at the same points of this order: memoise it.
    # Within one order the ranked prefix is fixed by its length, so (length, args) is the whole input.
    memo: dict = {}

    def cached(ranked, n_unscreened, target, bias=1.0, r_seen=None, max_windows=None):
        key = (len(ranked), int(n_unscreened), target, bias, r_seen, max_windows)
        if key not in memo:
            memo[key] = ranked_p_values(ranked, n_unscreened, target, bias, r_seen=r_seen, max_windows=max_windows)
        return memo[key]

    recommended.ranked_p_values = cached
    try:
        return evaluate_order_rules(labels, n_priors, rules, targets, seed=seed, meta={"pool": pool, "seed": seed})
    finally:
        recommended.ranked_p_values = ranked_p_values


def fingerprint(runs: list[tuple[str, int, Path]]) -> str:
    """A digest of the order files' contents: the same folder regenerated is a different sweep."""
    digest = hashlib.sha1()
    for pool, seed, path in runs:
        digest.update(f"{pool}/{seed}\n".encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def _same_orders(rec: dict, args) -> bool:
    return rec.get("orders") == str(args.orders) and rec.get("orders_sha1") == args.fingerprint


def done_specs(args, targets: list[float]) -> set[str]:
    if not OUT.exists():
        return set()
    done = set()
    for line in OUT.read_text().splitlines():
        rec = json.loads(line)
        if _same_orders(rec, args) and rec.get("targets") == targets:
            done.add(rec["spec"])
    return done


def sweep(args) -> None:
    from joblib import Parallel, delayed

    from screener.stopping import parse_rules

    targets = [float(t) for t in args.targets.split(",")]
    done = done_specs(args, targets)
    specs = [s for s in parse_rules(args.specs.split(";") if args.specs else grid()) if s not in done]
    runs = args.runs
    print(f"{len(specs)} settings to replay on {len(runs)} orders", file=sys.stderr)
    for start in range(0, len(specs), args.batch):
        batch = specs[start:start + args.batch]
        t0 = time.perf_counter()
        results = Parallel(n_jobs=args.n_jobs)(delayed(_order_rows)(str(p), pool, seed, batch, targets)
                                               for pool, seed, p in runs)
        wall = time.perf_counter() - t0
        rows = pd.DataFrame([r for rs in results for r in rs])
        for spec, g in rows.groupby("rule", sort=False):
            keep = g[["pool", "seed", "target", "reached", "recall", "effort", "excess", "sampled"]]
            append_jsonl(OUT, {"spec": spec, "orders": str(args.orders), "orders_sha1": args.fingerprint,
                               "targets": targets, "commit": git_commit(),
                               "n_runs": int(len(g) / len(targets)), "wall_s": round(wall / len(batch), 1),
                               "summary": _brief(g), "rows": keep.to_dict("list")})


def _brief(rows: pd.DataFrame) -> dict:
    from screener.stopping.evaluate import summarise

    s = summarise(rows.assign(rule="x", guaranteed=False))
    s = s[s["pool"] == "all"]
    return {f"{t:g}": {"reliability": round(r, 4), "excess": round(e, 4)}
            for t, r, e in zip(s["target"], s["reliability"], s["excess"])}


def load(args) -> pd.DataFrame:
    """Per-run rows of every setting swept on these orders (latest line per setting)."""
    by_spec = {}
    for line in OUT.read_text().splitlines():
        rec = json.loads(line)
        if _same_orders(rec, args) and rec["spec"] != "screener":  # bare: whatever the defaults were then
            by_spec[rec["spec"]] = pd.DataFrame(rec["rows"]).assign(rule=rec["spec"], guaranteed=False)
    if not by_spec:
        raise SystemExit(f"no sweep results for the orders in {args.orders} (fingerprint {args.fingerprint}) in {OUT}")
    return pd.concat(by_spec.values(), ignore_index=True)


def table(rows: pd.DataFrame, target: float) -> pd.DataFrame:
    """reliability, Wilson interval and mean excess of every setting over the given rows."""
    from screener.stopping.evaluate import summarise

    s = summarise(rows[np.isclose(rows["target"], target)])
    return s[s["pool"] == "all"].set_index("rule")


def eligible(t: pd.DataFrame) -> pd.DataFrame:
    return t[(t["reliability"] >= RELIABILITY) & (t["reliability_lo"] >= WILSON_LO)].sort_values("excess")


def leave_one_pool_out(rows: pd.DataFrame, target: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(per held-out pool: the setting chosen on the others and its held-out numbers; the held-out rows)."""
    picks, held = [], []
    for pool in sorted(rows["pool"].unique()):
        ok = eligible(table(rows[rows["pool"] != pool], target))
        if ok.empty:
            continue
        spec = ok.index[0]
        out = rows[(rows["pool"] == pool) & (rows["rule"] == spec) & np.isclose(rows["target"], target)]
        held.append(out)
        picks.append({"pool": pool, "setting": spec, "train_reliability": ok.iloc[0]["reliability"],
                      "train_excess": ok.iloc[0]["excess"], "reliability": out["reached"].mean(),
                      "excess": out["excess"].mean()})
    return pd.DataFrame(picks), (pd.concat(held) if held else rows.iloc[:0])


def _fmt(r) -> str:
    return f"{r['reliability']:.3f} [{r['reliability_lo']:.3f}, {r['reliability_hi']:.3f}] | {r['excess']:.3f}"


def report(args) -> None:
    from screener.stopping.evaluate import wilson_interval

    target = 0.95
    rows = load(args)
    t = table(rows, target)
    ok = eligible(t)
    picks, held = leave_one_pool_out(rows, target)
    lines = ["# Tuning the recommended stopping rule (`screener`)\n",
             f"\nOrders: `{args.orders}` (fingerprint {args.fingerprint}; {rows[['pool', 'seed']].drop_duplicates().shape[0]} runs, "
             f"{rows['pool'].nunique()} pools); {len(t)} settings at τ = {target:g}; commit {git_commit()}.",
             f"\nEligible: reliability ≥ {RELIABILITY} and Wilson lower bound ≥ {WILSON_LO}; among them, least mean "
             "excess effort. Command: `python benchmarks/tune_stopping.py sweep|report --orders "
             f"{args.orders}`.\n"]
    if not held.empty:
        n, hits = len(held), int(held["reached"].sum())
        lo, hi = wilson_interval(hits, n)
        lines += ["\n## Leave-one-pool-out\n",
                  f"\nCross-validated: reliability {hits / n:.3f} [{lo:.3f}, {hi:.3f}], mean excess "
                  f"{held['excess'].mean():.3f} over {n} runs "
                  f"({len(picks)} of {rows['pool'].nunique()} pools had an eligible setting).\n",
                  "\n| held-out pool | setting chosen on the other pools | their reliability | their excess "
                  "| held-out reliability | held-out excess |", "\n|---|---|--:|--:|--:|--:|"]
        for _, p in picks.iterrows():
            lines.append(f"\n| {p['pool']} | `{p['setting']}` | {p['train_reliability']:.3f} | {p['train_excess']:.3f} "
                         f"| {p['reliability']:.3f} | {p['excess']:.3f} |")
        lines.append("\n")
    lines += ["\n## In sample (all pools)\n", "\n| setting | reliability [Wilson 95%] | excess effort |",
              "\n|---|--:|--:|"]
    shown = pd.concat([ok.head(15), t.sort_values("excess").head(10)])
    for spec, r in shown[~shown.index.duplicated()].iterrows():
        mark = " (eligible)" if spec in ok.index else ""
        lines.append(f"\n| `{spec}`{mark} | {_fmt(r)} |")
    lines.append("\n")
    if not ok.empty:
        best = ok.index[0]
        per_pool = rows[(rows["rule"] == best) & np.isclose(rows["target"], target)]
        lines += [f"\n## Per pool, best in-sample setting `{best}`\n", "\n| pool | reliability | excess |",
                  "\n|---|--:|--:|"]
        for pool, g in per_pool.groupby("pool"):
            lines.append(f"\n| {pool} | {g['reached'].mean():.2f} | {g['excess'].mean():.3f} |")
        lines.append("\n")
    out = RESULTS / "tune_stopping.md"
    out.write_text("".join(lines))
    print("".join(lines))


def main(argv: list[str] | None = None) -> None:
    from screener.cli.options import parse_seeds

    ap = argparse.ArgumentParser()
    ap.add_argument("step", choices=["sweep", "report"])
    ap.add_argument("--orders", type=Path, default=HERE / "runs" / "screener")
    ap.add_argument("--seeds", default="0-19")
    ap.add_argument("--targets", default="0.95")
    ap.add_argument("--specs", default=None, help="';'-separated rule specs instead of the built-in grid")
    ap.add_argument("--batch", type=int, default=64, help="settings replayed per pass over the orders")
    ap.add_argument("--n-jobs", type=int, default=1)
    args = ap.parse_args(argv)
    args.seeds = list(parse_seeds(args.seeds))
    folder = args.orders.resolve()  # one key per folder, however it was spelled
    args.orders = folder.relative_to(HERE.parent) if folder.is_relative_to(HERE.parent) else folder
    args.runs = orders(args.orders, args.seeds)
    args.fingerprint = fingerprint(args.runs)
    (sweep if args.step == "sweep" else report)(args)


if __name__ == "__main__":
    main()
