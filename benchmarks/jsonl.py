"""What every benchmark does with a result: stamp it with the commit and append it as one JSON line."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def git_commit() -> str:
    """The short hash of the checked-out commit ('' outside a git checkout)."""
    return subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                          capture_output=True, text=True).stdout.strip()


def append_jsonl(path: Path, row: dict) -> None:
    """Append ``row`` to ``path`` as one JSON line (creating the folder) and echo it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as out:
        out.write(json.dumps(row, default=str) + "\n")
    print(json.dumps(row, default=str))
