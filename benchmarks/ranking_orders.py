"""records@95 of two rankers' saved orders, pool by pool, on the seeds both have (same priors).

    python benchmarks/ranking_orders.py --a /work/orders/screener_default --b /work/orders/asreview \
        [--pools P ...] [--label label_included] [--out benchmarks/results/ranking_new_pools.md]

Orders are ``<dir>/<pool>/<label>/seed<k>/order.csv`` (``screener simulate`` and
``benchmarks/asreview_baseline.py`` both write them, from the same priors). records@95 is
EVALUATION.md's (priors removed). The default ranker's settings were chosen on the 14 pools of
EVALUATION.md's reference table, so on every other pool its figures are out of sample.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from screener.experiments.cross_validation import _md  # noqa: E402
from screener.metrics import records_at  # noqa: E402


def records95(path: Path) -> float:
    o = pd.read_csv(path).sort_values("rank")
    y = o.loc[o["is_prior"].fillna(0).astype(int) == 0, "label"].astype(int).to_numpy()
    return records_at(np.cumsum(y), 0.95)


def seeds_of(d: Path, pool: str, label: str) -> dict[int, Path]:
    return {int(f.parent.name[4:]): f for f in (d / pool / label).glob("seed*/order.csv")}


def compare(a: Path, b: Path, pools: list[str], label: str) -> pd.DataFrame:
    rows = []
    for pool in pools:
        sa, sb = seeds_of(a, pool, label), seeds_of(b, pool, label)
        both = sorted(set(sa) & set(sb))
        if not both:
            continue
        ra = float(np.mean([records95(sa[s]) for s in both]))
        rb = float(np.mean([records95(sb[s]) for s in both]))
        rows.append({"pool": pool, "seeds": ",".join(map(str, both)), a.name: ra, b.name: rb, "ratio": ra / rb})
    return pd.DataFrame(rows)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--a", type=Path, required=True)
    ap.add_argument("--b", type=Path, required=True)
    ap.add_argument("--pools", nargs="*")
    ap.add_argument("--label", default="label_included")
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    pools = args.pools or sorted(p.name for p in args.b.iterdir() if p.is_dir())
    d = compare(args.a, args.b, pools, args.label)
    if d.empty:
        print("no pool has orders from both rankers on a common seed", file=sys.stderr)
        return 1
    a, b = args.a.name, args.b.name
    summary = (f"{len(d)} pools: mean records@95 {d[a].mean():.1f} ({a}) against {d[b].mean():.1f} ({b}), "
               f"ratio of means {d[a].mean() / d[b].mean():.3f}, median per-pool ratio {d['ratio'].median():.3f}; "
               f"{a} ahead on {(d['ratio'] < 1).sum()}, tied on {(d['ratio'] == 1).sum()}, "
               f"more than 5% behind on {(d['ratio'] > 1.05).sum()} (worst {d['ratio'].max():.3f}, "
               f"{d.loc[d['ratio'].idxmax(), 'pool']}).")
    text = (f"# records@95 from saved orders: {a} against {b} ({args.label})\n\n"
            f"`python benchmarks/ranking_orders.py --a {args.a} --b {args.b}"
            + (f" --pools {' '.join(args.pools)}" if args.pools else "") + "`\n\n" + summary + "\n\n"
            + _md(d.round(3)) + "\n")
    if args.out:
        args.out.write_text(text)
    print(summary)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
