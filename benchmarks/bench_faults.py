"""Fault benchmark: kill -9 at random points of import, screen and rank; decision latency during a big
import.

``trials``: each trial copies a small project (the demo update search, a few decisions), starts an
import (a 10,000-record CSV), a screening session (the CLI's plain session loop fed random keys,
printing "saved #N" as each decision is acknowledged) or a rank in a child process forked from this
one (no interpreter start-up per trial: on a loaded 2-core machine that is most of the cost;
``tests/test_faults.py`` runs the same faults through the real CLI), kills it with SIGKILL at a
random moment after it started working (seeded by the trial number), then checks that the project
opens (integrity and foreign keys ok, a session starts), that every decision the killed session
acknowledged ("saved #N") is in the ledger with its label, and that an import is either wholly
visible or not at all. Goal: 0 lost acknowledged decisions, 0 projects that fail to open.

``latency``: a session on a 1,000-record project makes a decision every 0.2 s while ``screener
import`` in another process adds 100,000 records (a 20,000-record demo pool five times over); the
time from key to acknowledgement of 20 decisions made while the import is writing (median and max).
Goal: median < 1 s.

One JSON line per trial or run in benchmarks/results/faults.jsonl (resumable: finished trials are
skipped); ``report`` prints the summary quoted in the README.

    .venv/bin/python benchmarks/bench_faults.py trials [--trials 100]
    .venv/bin/python benchmarks/bench_faults.py latency [--records 100000]
    .venv/bin/python benchmarks/bench_faults.py report
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import select
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
from jsonl import append_jsonl, git_commit  # noqa: E402  (benchmarks/jsonl.py)
from screener.demo_data import make_demo_pool  # noqa: E402
from screener.model import library_versions  # noqa: E402
from screener.project import import_files, init_project, load_pool, rank_project  # noqa: E402
from screener.project.store import Store  # noqa: E402
from screener.session import Session  # noqa: E402
from screener.tui import plain_lines  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "faults.jsonl"
RUNNER = "import screener.cli.project; from screener.cli import main; main()"
CRITERIA = ROOT / "data" / "peer_support.criteria.toml"
# The child is killed this long at most after it starts working (its first line of output:
# "reading", the first "saved #", "building features"), at a random moment in between.
STARTED = {"import": "reading", "screen": "saved #", "rank": "building features"}
LONGEST_S = {"import": 5.0, "screen": 5.0, "rank": 1.5}
IMPORT_ROWS = 10_000


def write_csv(path: Path, n: int, seed: int) -> Path:
    table = make_demo_pool(n, random_state=seed).drop(columns=["label_included", "label_abstract_screening"],
                                                      errors="ignore")
    table["record_id"] = [f"s{seed}-{i}" for i in range(n)]
    table.to_csv(path, index=False)
    return path


def write_copies(path: Path, n: int, seed: int, copies: int = 5) -> Path:
    """``n`` records: a demo pool of ``n / copies`` records repeated with new file ids (quicker to make;
    the copies are imported as duplicates of the first, so every row is still written)."""
    import pandas as pd

    base = make_demo_pool(n // copies, random_state=seed).drop(
        columns=["label_included", "label_abstract_screening"], errors="ignore")
    table = pd.concat([base.assign(record_id=[f"s{seed}-{k}-{i}" for i in range(len(base))])
                       for k in range(copies)], ignore_index=True)
    table.to_csv(path, index=False)
    return path


def _child(*args: str, stdin=None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", RUNNER, *args], stdin=stdin, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, cwd=ROOT)


def _work(op: str, project: Path, big: Path, keys: str, retrain: bool, out: int) -> None:
    """The child's work (after fork): what ``screener import``, ``screen`` and ``rank`` call."""
    say = lambda line: os.write(out, (line + "\n").encode())  # noqa: E731  unbuffered: a kill loses no ack
    if op == "import":
        import_files(project, [big], progress=say)
    elif op == "rank":
        say("building features")
        rank_project(project, retrain=retrain)
    else:
        with Store.open(project) as store:
            session = Session(store, load_pool(store), reviewer="ann")
            for key in keys:
                session.handle_key(key)
                for line in plain_lines(session.view(), record_changed=True):
                    if line.startswith("saved #"):
                        say(line)
                if session.done:
                    break
            session.close()


def _fork(op: str, project: Path, big: Path, keys: str, retrain: bool) -> tuple[int, int]:
    """(child pid, read end of its output pipe)."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: do the work, never return into the benchmark
        os.close(read)
        code = 0
        try:
            _work(op, project, big, keys, retrain, write)
        except BaseException:
            code = 1
        os._exit(code)
    os.close(write)
    return pid, read


def _read_until(fd: int, marker: str, timeout: float = 120.0) -> bytes:
    """The child's output until ``marker`` appears (or it exits, or ``timeout``)."""
    buf, end = b"", time.monotonic() + timeout
    while marker.encode() not in buf and time.monotonic() < end:
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            buf += chunk
    return buf


def _drain(fd: int) -> bytes:
    buf = b""
    while chunk := os.read(fd, 65536):
        buf += chunk
    os.close(fd)
    return buf


def _template(folder: Path) -> Path:
    project = folder / "template"
    init_project(project, CRITERIA)
    import_files(project, [ROOT / "data" / "demo" / "update_search.ris"])
    with Store.open(project) as store:
        session = Session(store, load_pool(store), reviewer="seed", background=False)
        for key in "iee":
            session.handle_key(key)
        session.close()
    return project


def _check(project: Path, acknowledged: list[tuple[int, str]], visible_before: int, import_rows: int) -> dict:
    """Does the project open, and is everything acknowledged still there?"""
    try:
        with Store.open(project) as store:
            ok = store.con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            ok &= store.con.execute("PRAGMA foreign_key_check").fetchall() == []
            ledger = store.decisions().set_index("id")["label"]
            lost = sum(1 for ledger_id, label in acknowledged if ledger.get(ledger_id) != label)
            visible = len(store.records(kept_only=False))
            Session(store, load_pool(store), reviewer="check", background=False)  # a session starts
        partial = visible not in (visible_before, visible_before + import_rows)
        return {"opens": bool(ok), "lost": lost, "partial_import": bool(partial)}
    except Exception as exc:  # the benchmark counts failures instead of stopping at the first
        return {"opens": False, "lost": len(acknowledged), "partial_import": None, "error": repr(exc)[:300]}


def trial(number: int, template: Path, big: Path, work: Path) -> dict:
    rng = random.Random(number)
    op = rng.choice(["import", "screen", "rank"])
    delay = rng.uniform(0.0, LONGEST_S[op])
    keys = "".join(rng.choice("iemu") for _ in range(400))
    retrain = rng.random() < 0.5
    project = Path(shutil.copytree(template, work / f"t{number}"))
    with Store.open(project) as store:
        visible_before = len(store.records(kept_only=False))
    pid, fd = _fork(op, project, big, keys, retrain)
    out = _read_until(fd, STARTED[op])
    time.sleep(delay)
    finished = os.waitpid(pid, os.WNOHANG)[0] != 0
    if not finished:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    out += _drain(fd)
    acknowledged = [(int(i), label) for i, label in re.findall(r"saved #(\d+): (include|exclude|maybe)",
                                                                  out.decode(errors="replace"))]
    row = {"benchmark": "faults", "kind": "kill", "trial": number, "op": op, "kill_after_s": round(delay, 2),
           "finished_before_kill": finished, "acknowledged": len(acknowledged),
           **_check(project, acknowledged, visible_before, IMPORT_ROWS if op == "import" else 0)}
    shutil.rmtree(project, ignore_errors=True)
    return row


def run_trials(args) -> None:
    done = {r["trial"] for r in _rows(args.out) if r.get("kind") == "kill"}
    todo = [i for i in range(args.trials) if i not in done]
    if not todo:
        return
    with tempfile.TemporaryDirectory(prefix="screener-faults-") as folder:
        work = Path(folder)
        template = _template(work)
        big = write_csv(work / "big.csv", IMPORT_ROWS, seed=7)
        commit = git_commit()  # the code this process loaded (forked children run the same)
        for number in todo:
            row = trial(number, template, big, work)
            append_jsonl(args.out, {**row, "commit": commit, "versions": library_versions(),
                                    "when": datetime.now(UTC).isoformat(timespec="seconds")})


def run_latency(args) -> None:
    with tempfile.TemporaryDirectory(prefix="screener-faults-") as folder:
        work = Path(folder)
        project = work / "review"
        init_project(project, CRITERIA)
        import_files(project, [write_csv(work / "start.csv", 1000, seed=11)])
        big = write_copies(work / "big.csv", args.records, seed=12)
        with Store.open(project) as store:
            session = Session(store, load_pool(store), reviewer="ann")
            proc = _child("import", str(project), str(big))
            start = time.monotonic()
            during_write, before_write, unsaved = [], [], 0
            while len(during_write) < args.decisions and proc.poll() is None:
                writing = store.con.execute("SELECT COUNT(*) FROM imports WHERE state = 'pending'").fetchone()[0] > 0
                t0 = time.perf_counter()
                session.handle_key("e")
                took = time.perf_counter() - t0
                unsaved += session.unsaved is not None
                (during_write if writing else before_write).append(took)
                time.sleep(args.every)
            out, err = proc.communicate()
            import_s = time.monotonic() - start
            session.close()
    row = {"benchmark": "faults", "kind": "latency", "records": args.records, "decisions": len(during_write),
           "median_s": round(statistics.median(during_write), 4) if during_write else None,
           "max_s": round(max(during_write), 4) if during_write else None,
           "median_before_write_s": round(statistics.median(before_write), 4) if before_write else None,
           "not_saved": unsaved, "import_s": round(import_s, 1), "import_rc": proc.returncode,
           "commit": git_commit(), "versions": library_versions(),
           "when": datetime.now(UTC).isoformat(timespec="seconds")}
    append_jsonl(args.out, row)


def _rows(path: Path) -> list[dict]:
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def report(args) -> None:
    rows = _rows(args.out)
    kills = [r for r in rows if r.get("kind") == "kill"]
    if kills:
        by_op = {op: sum(1 for r in kills if r["op"] == op) for op in ("import", "screen", "rank")}
        print(f"kill -9 trials: {len(kills)} ({', '.join(f'{k} {v}' for k, v in by_op.items())}); "
              f"acknowledged decisions {sum(r['acknowledged'] for r in kills)}, "
              f"lost {sum(r['lost'] for r in kills)}; projects failing to open "
              f"{sum(not r['opens'] for r in kills)}; partial imports visible "
              f"{sum(bool(r.get('partial_import')) for r in kills)}")
    for r in (r for r in rows if r.get("kind") == "latency"):
        print(f"decision latency during a {r['records']:,}-record import: median {r['median_s']} s, max "
              f"{r['max_s']} s over {r['decisions']} decisions (import {r['import_s']} s, commit {r['commit']})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    t = sub.add_parser("trials")
    t.add_argument("--trials", type=int, default=100)
    lat = sub.add_parser("latency")
    lat.add_argument("--records", type=int, default=100_000)
    lat.add_argument("--decisions", type=int, default=20)
    lat.add_argument("--every", type=float, default=0.2)
    rep = sub.add_parser("report")
    for p in (t, lat, rep):
        p.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    {"trials": run_trials, "latency": run_latency, "report": report}[args.command](args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
