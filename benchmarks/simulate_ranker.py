"""One whole simulation of a shared pool with a named ranker, for timing whole processes side by side.

    farm-bench -n 3 --vs 'python benchmarks/simulate_ranker.py default' -- python benchmarks/simulate_ranker.py word_char_best

Replays Nagtegaal_2019 (or ``--pool``) to the end, seed 0, with the default learner (``simulate``)
(the interleave), ``word`` (the single learner) or one of ``sweep_cv.py``'s ensemble configurations; prints the order's length.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from screener.readers import read_file  # noqa: E402
from sweep_cv import CONFIGS, _resolve  # noqa: E402

# the default, and every ensemble configuration of the cross-validated sweep
RANKERS = ["default", "word", *(name for name, config in CONFIGS.items() if "ensemble" in config)]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("ranker", choices=RANKERS)
    ap.add_argument("--pool", default="Nagtegaal_2019")
    ap.add_argument("--data-dir", type=Path, default=ROOT.parent / "shared" / "data")
    args = ap.parse_args()
    path = args.data_dir / f"{args.pool}.csv"
    if not path.exists():
        print(f"skipped: {path} not found (pass --data-dir)")
        return 0
    records = read_file(path)
    if args.ranker in ("default", "word"):  # the default is the interleave; word the single learner
        from screener.simulate import SimulationSettings, simulate

        order = simulate(records, seed=0, settings=SimulationSettings(views="word+char" if args.ranker == "default" else "word"))
    else:
        from screener.simulate import simulate_ensemble

        ens = dict(CONFIGS[args.ranker]["ensemble"])
        ens["members"] = [_resolve(m) for m in ens["members"]]
        order = simulate_ensemble(records, seed=0, **ens).order
    print(len(order))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
