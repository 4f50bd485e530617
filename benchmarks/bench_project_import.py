"""Project import: a 100,000-record RIS into a fresh project (read, de-duplicate, write), then again.

The RIS file is built in a temporary folder from the shared labelled pools (repeated with
perturbations, as in bench_import.py) or, where they are absent, from the demo generator.
The import runs in a child process so its peak memory is its own. One JSON line per run is
appended to benchmarks/results/project_import.jsonl. Target: under 2 min and 2 GB.

    .venv/bin/python benchmarks/bench_project_import.py [--data-dir ../shared/data] [--records 100000]
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
from jsonl import append_jsonl, git_commit

RESULTS = ROOT / "benchmarks" / "results" / "project_import.jsonl"


def build_ris(data_dir: Path, n: int, path: Path) -> str:
    """Write ``n`` records as RIS; returns where they came from."""
    import pandas as pd

    from bench_import import build_table, pools, write_ris

    if pools(data_dir):
        write_ris(build_table(data_dir, n), path)
        return f"shared pools in {data_dir}"
    from screener.demo_data import make_demo_pool

    table = make_demo_pool(n, random_state=0)
    for col in ("keywords", "authors", "doi", "pmid", "abstract", "title"):
        table[col] = table[col].fillna("").astype(str)
    table["record_id"] = table["record_id"].astype(str)
    table["year"] = pd.to_numeric(table["year"], errors="coerce").astype("Int64")
    write_ris(table, path)
    return "demo generator"


def child(path: Path) -> dict:
    from screener.project import import_files, init_project

    project = path.parent / "review"
    init_project(project, ROOT / "data" / "peer_support.criteria.toml")
    start = time.perf_counter()
    first = import_files(project, [path])
    first_s = time.perf_counter() - start
    start = time.perf_counter()
    again = import_files(project, [path])
    again_s = time.perf_counter() - start
    return {"import_s": round(first_s, 2), "reimport_s": round(again_s, 2), **first.totals,
            "reimport_added": again.totals["added"], "reimport_skipped": again.totals["skipped"],
            "db_mb": round((project / "screener.sqlite").stat().st_size / 2**20, 1),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child)))
        return 0
    with tempfile.TemporaryDirectory(prefix="screener-bench-") as folder:
        path = Path(folder) / "records.ris"
        origin = build_ris(args.data_dir, args.records, path)
        run = subprocess.run([sys.executable, __file__, "--child", str(path)],
                             capture_output=True, text=True, check=True)
        import pandas as pd
        import rispy

        commit = git_commit()
        row = {"benchmark": "project_import", "format": "ris", "records": args.records, "data": origin,
               "file_mb": round(path.stat().st_size / 2**20, 1), **json.loads(run.stdout.splitlines()[-1]),
               "versions": {"python": platform.python_version(), "pandas": pd.__version__,
                            "rispy": getattr(rispy, "__version__", "?"), "commit": commit},
               "when": datetime.now(UTC).isoformat(timespec="seconds")}
    append_jsonl(args.out, row)
    return 0


if __name__ == "__main__":
    sys.exit(main())
