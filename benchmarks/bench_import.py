"""Import speed: read a 100,000-record CSV and RIS and find duplicate groups.

The files are built in a temporary folder (never the repo) by repeating the
shared labelled pools with perturbed ids, titles and DOIs, so about a fifth of
the repeated records stay true duplicates. Each format is measured in a fresh
process (median of --repeats runs, peak resident memory of that process) and
one JSON line per format is appended to benchmarks/results/import.jsonl.

    .venv/bin/python benchmarks/bench_import.py [--data-dir ../shared/data] [--records 100000]
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
import numpy as np
import pandas as pd

from jsonl import append_jsonl, git_commit
from screener.dedup import duplicate_groups
from screener.readers import read_file

RESULTS = ROOT / "benchmarks" / "results" / "import.jsonl"


def pools(data_dir: Path) -> list[Path]:
    return sorted(p for p in data_dir.glob("*.csv") if p.name != "index.csv")


def build_table(data_dir: Path, n: int, seed: int = 0) -> pd.DataFrame:
    """``n`` records from the shared pools, repeated with perturbations."""
    base = pd.concat([read_file(p) for p in pools(data_dir)], ignore_index=True)
    base = base[["record_id", "title", "abstract", "keywords", "authors", "year", "doi", "pmid",
                 "source", "label_included"]]
    rng = np.random.default_rng(seed)
    copies = []
    for k in range(-(-n // len(base))):
        copy = base.copy()
        copy["record_id"] = copy["source"].str.removesuffix(".csv") + f"-{k}-" + copy["record_id"]
        if k:
            changed = rng.random(len(copy)) < 0.8
            copy.loc[changed, "title"] = copy.loc[changed, "title"] + f" [variant {k}]"
            has_doi = changed & (copy["doi"] != "")
            copy.loc[has_doi, "doi"] = copy.loc[has_doi, "doi"] + f".v{k}"
            copy.loc[changed, "pmid"] = ""
        copies.append(copy)
    return pd.concat(copies, ignore_index=True).iloc[:n].drop(columns="source")


def write_ris(table: pd.DataFrame, path: Path) -> None:
    with path.open("w", encoding="utf-8") as out:
        for row in table.itertuples(index=False):
            lines = ["TY  - JOUR", f"ID  - {row.record_id}", f"TI  - {row.title}"]
            if row.abstract:
                lines.append(f"AB  - {row.abstract}")
            lines += [f"AU  - {a}" for a in row.authors.split("; ") if a]
            lines += [f"KW  - {k}" for k in row.keywords.split("; ") if k]
            if pd.notna(row.year):
                lines.append(f"PY  - {row.year}")
            if row.doi:
                lines.append(f"DO  - {row.doi}")
            if row.pmid:
                lines.append(f"AN  - PMID:{row.pmid}")
            out.write("\n".join(lines).replace("\r", " ") + "\nER  - \n\n")


def measure(path: Path, repeats: int) -> dict:
    """Time read_file and duplicate_groups in this process (the parent runs it in a child)."""
    read_s, dedup_s = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        records = read_file(path)
        read_s.append(time.perf_counter() - start)
        start = time.perf_counter()
        groups = duplicate_groups(records)
        dedup_s.append(time.perf_counter() - start)
        del records
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kilobytes on Linux
    return {
        "read_s_median": round(statistics.median(read_s), 3),
        "read_s": [round(s, 3) for s in read_s],
        "dedup_s_median": round(statistics.median(dedup_s), 3),
        "dedup_s": [round(s, 3) for s in dedup_s],
        "groups": int(groups.nunique()),
        "duplicate_records": int(len(groups) - groups.nunique()),
        "peak_rss_mb": round(peak_kb / 1024, 1),
    }


def versions() -> dict:
    import rispy
    import scipy

    commit = git_commit()
    return {"python": platform.python_version(), "pandas": pd.__version__,
            "numpy": np.__version__, "scipy": scipy.__version__,
            "rispy": getattr(rispy, "__version__", "?"), "commit": commit}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        print(json.dumps(measure(args.child, args.repeats)))
        return 0
    if not pools(args.data_dir):
        print(f"skipping import benchmark: no labelled pools in {args.data_dir} "
              "(pass --data-dir)")
        return 0

    with tempfile.TemporaryDirectory(prefix="screener-bench-") as folder:
        table = build_table(args.data_dir, args.records)
        files = {"csv": Path(folder) / "records.csv", "ris": Path(folder) / "records.ris"}
        table.to_csv(files["csv"], index=False)
        write_ris(table, files["ris"])
        del table
        args.out.parent.mkdir(parents=True, exist_ok=True)
        for fmt, path in files.items():
            child = subprocess.run(
                [sys.executable, __file__, "--child", str(path), "--repeats", str(args.repeats)],
                capture_output=True, text=True, check=True)
            row = {"benchmark": "import", "format": fmt, "records": args.records,
                   "file_mb": round(path.stat().st_size / 2**20, 1), "repeats": args.repeats,
                   **json.loads(child.stdout), "versions": versions(),
                   "when": datetime.now(UTC).isoformat(timespec="seconds")}
            append_jsonl(args.out, row)
    return 0


if __name__ == "__main__":
    sys.exit(main())
