"""What the recommended rule costs on a perfect ranking: the effort floor of a stopping guarantee.

For every shared pool and label level, the order that puts every relevant record first (one
relevant and one irrelevant prior first, as ``screener simulate`` draws them) is replayed with the
recommended rule (``screener``, the ranked hypergeometric test) at target 0.95 and 95%
confidence. No ranking can do better than this order, so the effort and excess it shows are the
least the guarantee can cost on that pool: with r relevant records found, the test must rule out
that ``floor(r/0.95) - r + 1`` of them are still hidden in the unscreened part, which needs the
screened tail to be many times larger than that part when r is small (fewer than 20 found: one
hidden record, a tail 19 times the unscreened part). Nothing is chosen here; nothing is in-sample.

    python benchmarks/stopping_floor.py [--data-dir ../shared/data]

Writes benchmarks/results/stopping_floor.md (per family and label) and prints it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from screener.experiments.cross_validation import _md  # noqa: E402
from screener.experiments.stopping_sweep import evaluate_order_rules  # noqa: E402
from screener.stopping import RECOMMENDED, make_rule  # noqa: E402
from stopping_research import family  # noqa: E402

LABELS = ("label_included", "label_abstract_screening")


def ideal_order(y: np.ndarray) -> np.ndarray:
    """Relevant records first; the priors (one relevant, one irrelevant) lead, as in a simulation."""
    ranked = np.sort(np.asarray(y, dtype=np.int8))[::-1]
    return np.r_[ranked[:1], ranked[-1:], ranked[1:-1]].astype(np.int8)


def floor_rows(data_dir: Path, target: float = 0.95) -> pd.DataFrame:
    rule = {RECOMMENDED: make_rule(RECOMMENDED)}
    rows = []
    for path in sorted(data_dir.glob("*.csv")):
        if path.name == "index.csv":
            continue
        df = pd.read_csv(path, usecols=lambda c: c in LABELS)
        for label in LABELS:
            if label not in df or df[label].isna().all():
                continue
            y = df[label].fillna(0).astype(int).to_numpy()
            if y.sum() < 2 or y.sum() == len(y):
                continue
            r = evaluate_order_rules(ideal_order(y), 2, rule, [target], seed=0)[0]
            rows.append({"pool": path.stem, "family": family(path.stem), "label": label, "records": r["N"],
                         "relevant": r["R"], "effort": r["effort"], "best_effort": r["best_effort"],
                         "excess": r["excess"]})
    return pd.DataFrame(rows)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", default=str(ROOT.parent / "shared" / "data"))
    args = ap.parse_args()
    d = floor_rows(Path(args.data_dir))
    if d.empty:
        print(f"no labelled pools in {args.data_dir}", file=sys.stderr)
        return 1
    cols = ["relevant", "effort", "excess"]
    fam = d.groupby(["label", "family"]).agg(pools=("pool", "size"), **{c: (c, "mean") for c in cols}).reset_index()
    alll = d.groupby("label").agg(pools=("pool", "size"), **{c: (c, "mean") for c in cols}).reset_index()
    alll.insert(1, "family", "**all**")
    table = pd.concat([fam, alll], ignore_index=True).round(3)
    text = ("# The recommended rule on a perfect ranking (target 0.95, 95% confidence)\n\n"
            "`python benchmarks/stopping_floor.py`: every relevant record ranked first; effort and excess "
            "are shares of the pool (priors excluded), means over pools. Per pool below.\n\n"
            + _md(table) + "\n\n" + _md(d.round(3)) + "\n")
    out = ROOT / "benchmarks" / "results" / "stopping_floor.md"
    out.write_text(text)
    print(_md(table))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
