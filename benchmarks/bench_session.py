"""Interactive session speed: key press → next record ready (and rendered) on a 20,000-record project.

The project is built in a temporary folder from the demo generator (or, with --dataset, a
shared labelled pool from --data-dir; skipped cleanly where absent). A scripted reviewer
answers each record with its known label; the model retrains in the background exactly as
in ``screener screen`` (``active.step`` on one learner, warm-started under its fit policy,
recorded in the row's ``settings``). Per key press we time ``Session.handle_key`` (commit + next record)
plus rendering the screen to an off-screen rich console. One JSON line per run is appended
to benchmarks/results/session.jsonl. Target: median under 100 ms (dual mode: under 50 ms).

With ``--mode dual`` the project has two reviewers and blind dual title/abstract screening;
the co-reviewer has already voted on ``--other-votes`` records (which the timed reviewer's
blind view must ignore), and the timed reviewer screens through ``ReviewerLedger`` exactly
as ``screener screen --reviewer`` does.

    .venv/bin/python benchmarks/bench_session.py [--records 20000] [--decisions 300] [--dataset NAME]
        [--mode dual --other-votes 2000]
"""

from __future__ import annotations

import argparse
import io
import platform
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
import numpy as np
import pandas as pd
from rich.console import Console

from jsonl import append_jsonl, git_commit
from screener.project import import_files, init_project, load_pool
from screener.project.store import Store
from screener.session import Session
from screener.tui import render

RESULTS = ROOT / "benchmarks" / "results" / "session.jsonl"


def pool_file(folder: Path, args) -> tuple[Path, str, Path]:
    """(records CSV, where it came from, criteria file)."""
    if args.dataset:
        src = args.data_dir / f"{args.dataset}.csv"
        if not src.is_file():
            raise FileNotFoundError(src)
        criteria = args.data_dir / f"{args.dataset}.criteria.txt"
        return src, str(src), criteria if criteria.is_file() else ROOT / "data" / "peer_support.criteria.toml"
    from screener.demo_data import make_demo_pool

    # The generator repeats titles (same title + year = duplicates): make more, keep ~``records``.
    path = folder / "demo.csv"
    make_demo_pool(int(args.records * 1.45), random_state=args.seed).to_csv(path, index=False)
    return path, "demo generator", ROOT / "data" / "peer_support.criteria.toml"


def pool_features_settings() -> dict:
    from screener.settings import RankerSettings

    return RankerSettings().as_dict()["features"]  # what load_pool builds (each view's settings)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--dataset", help="a labelled pool in --data-dir instead of the demo generator")
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--decisions", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--mode", choices=("single", "dual"), default="single")
    parser.add_argument("--other-votes", type=int, default=2000, help="dual mode: the co-reviewer's votes")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="screener-bench-") as folder:
        try:
            path, origin, criteria = pool_file(Path(folder), args)
        except FileNotFoundError as exc:
            print(f"skipping session benchmark: {exc} not found (pass --data-dir)")
            return 0
        project = Path(folder) / "review"
        init_project(project, criteria)
        start = time.perf_counter()
        import_files(project, [path])
        import_s = time.perf_counter() - start
        truth = pd.read_csv(path, dtype=str, keep_default_na=False)
        label_col = "label_included"
        with Store.open(project) as store:
            records = store.records()
            reviewer = "bench"
            if args.mode == "dual":
                from screener.project.reviewers import add_reviewer, set_mode

                add_reviewer(store, "bench", "owner")
                add_reviewer(store, "other")
                set_mode(store, "ta", "dual")
                rng = np.random.default_rng(args.seed)
                ids_other = rng.choice(records["id"].to_numpy(), size=min(args.other_votes, len(records)),
                                       replace=False)
                with store.transaction():  # one transaction: setting up, not what is timed
                    store.con.executemany(
                        "INSERT INTO decisions (record_id, label, reviewer, decided_at, stage, kind)"
                        " VALUES (?, ?, 'other', '2026-01-01T00:00:00.000+00:00', 'ta', 'vote')",
                        [(int(i), "exclude" if k % 10 else "include") for k, i in enumerate(ids_other)])
            ids = truth.iloc[:, 0].astype(str).str.replace(r"\.0$", "", regex=True)
            gold = dict(zip(ids, truth[label_col]))
            start = time.perf_counter()
            pool = load_pool(store)
            session = Session(store, pool, reviewer=reviewer)
            startup_s = time.perf_counter() - start
            by_id = dict(zip(records["id"], records["source_record_id"]))
            console = Console(file=io.StringIO(), width=120, force_terminal=True)
            times, found = [], 0
            for _ in range(args.decisions):
                rec = session.view().record
                if rec is None:
                    break
                relevant = gold.get(by_id[rec["record_id"]], "0") in ("1", "1.0")
                found += relevant
                t0 = time.perf_counter()
                session.handle_key("i" if relevant else "e")
                console.print(render(session.view()))
                times.append(time.perf_counter() - t0)
                console.file.seek(0)
                console.file.truncate()
            models = len(store.models())
            settings = {"learner": session.learner.settings(), "features": pool_features_settings()}
            session.close()
    ms = np.array(times) * 1000
    commit = git_commit()
    import sklearn

    row = {"benchmark": "session", "data": origin, "records": int(len(pool.ids)), "mode": args.mode,
           "other_votes": args.other_votes if args.mode == "dual" else 0,
           "decisions": len(times), "includes_found": int(found), "models_adopted": models,
           "key_to_next_ms_median": round(float(np.median(ms)), 2),
           "key_to_next_ms_p90": round(float(np.percentile(ms, 90)), 2),
           "key_to_next_ms_max": round(float(ms.max()), 2),
           "startup_s": round(startup_s, 2), "import_s": round(import_s, 2), "settings": settings,
           "versions": {"python": platform.python_version(), "scikit-learn": sklearn.__version__,
                        "pandas": pd.__version__, "commit": commit},
           "when": datetime.now(UTC).isoformat(timespec="seconds")}
    append_jsonl(args.out, row)
    return 0


if __name__ == "__main__":
    sys.exit(main())
