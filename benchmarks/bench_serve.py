"""The browser app under a team: 10 reviewers screening at once over real HTTP, dual blind mode.

A 20,000-record project is built in a temporary folder from the shared labelled pools
(``--data-dir``, whole pools in name order until ``--records``; skipped cleanly where absent),
with ten reviewers (passwords set through ``screener.web.accounts.set_password``) and blind
dual title/abstract screening. The app (``screener.web.app.create_app``, background retraining
on, as ``screener serve`` runs it) is served by uvicorn on loopback in a child process; ten
``httpx`` clients log in, read the CSRF token from the page and each make ``--decisions``
decisions (the pool's known label: include or exclude) by posting the decide form and
following its redirect to the next record; ``--think-ms`` gives them a reading time first
(exponential around it), 0 (the default) has every reviewer decide flat out.

Measured per decision: the server's time from receiving the decision to sending the next
record (the decide request plus the screen request it redirects to, timed inside the server
process by a wrapping ASGI middleware of this script), the client's round trip, and how many
reviewers' models were retraining in the background when the request arrived (the server fits
one model at a time: ``Sittings.fit_gate``): the times of decisions made while a fit ran are
compared with those made while none did (retraining never blocks a request when they match). Afterwards the ledger is checked against what the clients sent: every
acknowledged decision is there once, under the reviewer who made it, and nothing else is.

One JSON line per run to benchmarks/results/serve.jsonl (versions, commit, load average).
Targets (2 cores): p50 < 30 ms, p95 < 100 ms.

    .venv/bin/python benchmarks/bench_serve.py [--records 20000] [--reviewers 10] [--decisions 200]
        [--think-ms 1000] [--runs 3] [--data-dir ../shared/data]
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
import numpy as np
import pandas as pd

from jsonl import append_jsonl, git_commit

RESULTS = ROOT / "benchmarks" / "results" / "serve.jsonl"
PASSWORD = "bench-password-1"
COLUMNS = ["record_id", "title", "abstract", "keywords", "authors", "year", "doi", "pmid", "label_included"]


# -- the server (a child process) -------------------------------------------------------------
def timed(app, web):
    """``app`` wrapped so each response says how long the server took and how many reviewers'
    models were retraining when the request arrived (headers ``x-bench-ms``, ``x-bench-training``)."""

    def training() -> int:
        return sum(bool(s.trainer.busy) for s, _ in list(web.sittings._open.values()))

    async def wrapped(scope, receive, send):
        if scope["type"] != "http":
            return await app(scope, receive, send)
        start, busy = time.perf_counter(), training()
        fitting = web.sittings.fit_gate._value == 0  # a fit holds the server's one fitting slot

        async def send_timed(message):
            if message["type"] == "http.response.start":
                ms = (time.perf_counter() - start) * 1000
                message["headers"] = list(message.get("headers", [])) + [
                    (b"x-bench-ms", f"{ms:.3f}".encode()), (b"x-bench-training", str(busy).encode()),
                    (b"x-bench-fitting", b"1" if fitting else b"0")]
            await send(message)

        return await app(scope, receive, send_timed)

    return wrapped


def serve(folder: Path, port: int) -> None:
    import uvicorn

    from screener.web.app import create_app

    app = create_app(folder)
    uvicorn.run(timed(app, app.state.web), host="127.0.0.1", port=port, log_level="warning")


# -- the project ------------------------------------------------------------------------------
def build_table(data_dir: Path, n: int) -> pd.DataFrame:
    from screener.readers import read_file

    frames, total = [], 0
    for path in sorted(p for p in data_dir.glob("*.csv") if p.name != "index.csv"):
        df = read_file(path)
        df = df.assign(record_id=path.stem + "-" + df["record_id"].astype(str))
        frames.append(df[[c for c in COLUMNS if c in df]])
        total += len(df)
        if total >= n:
            break
    table = pd.concat(frames, ignore_index=True).iloc[:n]
    return table.fillna({"label_included": 0})


def build_project(folder: Path, table: pd.DataFrame, reviewers: list[str]) -> Path:
    from screener.project import import_files, init_project
    from screener.project.reviewers import add_reviewer, set_mode
    from screener.project.store import Store
    from screener.web.accounts import set_password

    csv = folder / "search.csv"
    table.to_csv(csv, index=False)
    project = folder / "review"
    init_project(project, ROOT / "data" / "peer_support.criteria.toml")
    import_files(project, [csv])
    with Store.open(project) as store:
        for k, name in enumerate(reviewers):
            add_reviewer(store, name, "owner" if k == 0 else "reviewer")
            set_password(store, name, PASSWORD)
        set_mode(store, "ta", "dual", blind=True)
    return project


# -- the clients ------------------------------------------------------------------------------
def csrf_of(page: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', page).group(1)


def record_of(page: str) -> str:
    return re.search(r'name="record_id" value="(\d*)"', page).group(1)


def reviewer(url: str, name: str, n: int, gold: dict[int, bool], out: dict, start: threading.Barrier,
             think_s: float, seed: int) -> None:
    import httpx2 as httpx

    sent, rows = [], []
    with httpx.Client(base_url=url, follow_redirects=False, timeout=120) as c:
        token = csrf_of(c.get("/login").text)
        assert c.post("/login", data={"csrf": token, "name": name, "password": PASSWORD}).status_code == 303
        page = c.get("/p/review/screen")  # opens the reviewer's session (its model fit on its blind view)
        assert page.status_code == 200, page.text[:200]
        start.wait()
        rng = np.random.default_rng(seed)  # reading time: exponential around --think-ms
        for _ in range(n):
            if think_s:
                time.sleep(rng.exponential(think_s))
            rid = record_of(page.text)
            if not rid:
                break
            key = "I" if gold.get(int(rid)) else "E"
            t0 = time.perf_counter()
            r = c.post("/p/review/decide", data={"csrf": csrf_of(page.text), "key": key, "record_id": rid})
            page = c.get("/p/review/screen")
            wall = (time.perf_counter() - t0) * 1000
            if r.status_code != 303 or page.status_code != 200:
                out.setdefault("errors", []).append((name, r.status_code, page.status_code))
                continue
            sent.append((int(rid), "include" if key == "I" else "exclude"))
            rows.append((float(r.headers["x-bench-ms"]) + float(page.headers["x-bench-ms"]), wall,
                         int(r.headers["x-bench-training"]), int(page.headers["x-bench-training"]),
                         int(r.headers["x-bench-fitting"]) | int(page.headers["x-bench-fitting"])))
    out[name] = (sent, rows)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_up(url: str, proc: subprocess.Popen, timeout: float = 120) -> None:
    import httpx2 as httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with {proc.returncode}")
        try:
            if httpx.get(url + "/login", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError("the server did not start")


def check_ledger(project: Path, results: dict) -> dict:
    """Every acknowledged decision in the ledger once, under its reviewer; nothing else there."""
    from collections import Counter

    from screener.project.store import Store

    with Store.open(project) as store:
        rows = store.decisions()
    votes = rows[(rows["kind"] == "vote") & (rows["stage"] == "ta")]
    lost = misattributed = 0
    for name, (sent, _) in results.items():
        mine = Counter(zip(votes.loc[votes["reviewer"] == name, "record_id"].astype(int),
                           votes.loc[votes["reviewer"] == name, "label"]))
        expected = Counter(sent)
        lost += sum((expected - mine).values())
        misattributed += sum((mine - expected).values())
    unknown = int((~votes["reviewer"].isin(list(results))).sum())
    per_record = votes.groupby("record_id")["reviewer"].nunique()
    return {"ledger_votes": int(len(votes)), "lost": int(lost), "misattributed": int(misattributed + unknown),
            "other_rows": int(len(rows) - len(votes)), "records_with_3plus_votes": int((per_record > 2).sum())}


def run_once(args, folder: Path, table: pd.DataFrame) -> dict:
    names = [f"r{k:02d}" for k in range(args.reviewers)]
    commit = git_commit()  # the code the server runs (stamped before it starts)
    started = time.perf_counter()
    project = build_project(folder, table, names)
    build_s = time.perf_counter() - started
    from screener.project.store import Store

    with Store.open(project) as store:
        records = store.records()
    by_source = dict(zip(table["record_id"].astype(str), table["label_included"].astype(str)))
    gold = {int(i): by_source.get(str(s), "0") in ("1", "1.0") for i, s in zip(records["id"],
                                                                                records["source_record_id"])}
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen([sys.executable, __file__, "--serve", str(project), "--port", str(port)])
    try:
        wait_up(url, proc)
        load_before = os.getloadavg()
        results: dict = {}
        barrier = threading.Barrier(args.reviewers + 1)
        threads = [threading.Thread(target=reviewer, args=(url, n, args.decisions, gold, results, barrier,
                                                           args.think_ms / 1000, k))
                   for k, n in enumerate(names)]
        t_open = time.perf_counter()
        for t in threads:
            t.start()
        barrier.wait(timeout=1800)  # every reviewer logged in, session open
        open_s = time.perf_counter() - t_open
        t_run = time.perf_counter()
        for t in threads:
            t.join()
        run_s = time.perf_counter() - t_run
        load_after = os.getloadavg()
    finally:
        proc.terminate()
        proc.wait(60)
    errors = results.pop("errors", [])
    check = check_ledger(project, results)
    rows = np.array([r for _, (_, rs) in results.items() for r in rs])
    server, wall, training, fitting = rows[:, 0], rows[:, 1], np.maximum(rows[:, 2], rows[:, 3]), rows[:, 4] > 0

    def pct(x, q):
        return round(float(np.percentile(x, q)), 2) if len(x) else None

    import sklearn
    import starlette
    import uvicorn

    return {
        "benchmark": "serve", "data": f"shared pools in {args.data_dir}", "records": int(len(records)),
        "reviewers": args.reviewers, "decisions_each": args.decisions, "mode": "dual blind",
        "think_ms": args.think_ms,
        "decisions": int(len(rows)), "http_errors": len(errors), **check,
        "decision_to_next_ms_p50": pct(server, 50), "decision_to_next_ms_p95": pct(server, 95),
        "decision_to_next_ms_max": round(float(server.max()), 2),
        "client_round_trip_ms_p50": pct(wall, 50), "client_round_trip_ms_p95": pct(wall, 95),
        "while_a_fit_runs": {"n": int(fitting.sum()), "p50": pct(server[fitting], 50),
                             "p95": pct(server[fitting], 95)},
        "while_no_fit_runs": {"n": int((~fitting).sum()), "p50": pct(server[~fitting], 50),
                              "p95": pct(server[~fitting], 95)},
        "mean_reviewers_retraining": round(float(training.mean()), 2),  # fitting or waiting for the slot
        "decisions_per_s": round(len(rows) / run_s, 1), "run_s": round(run_s, 1),
        "sessions_open_s": round(open_s, 1), "build_s": round(build_s, 1),
        "loadavg_before": [round(v, 2) for v in load_before], "loadavg_after": [round(v, 2) for v in load_after],
        "cpus": os.cpu_count(),
        "versions": {"python": platform.python_version(), "scikit-learn": sklearn.__version__,
                     "pandas": pd.__version__, "starlette": starlette.__version__,
                     "uvicorn": uvicorn.__version__, "commit": commit},
        "when": datetime.now(UTC).isoformat(timespec="seconds")}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--reviewers", type=int, default=10)
    parser.add_argument("--decisions", type=int, default=200)
    parser.add_argument("--think-ms", type=float, default=0.0,
                        help="mean reading time before each decision (0: every reviewer decides flat out)")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--serve", type=Path, help=argparse.SUPPRESS)  # the child process
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.port)
        return 0
    if not any(args.data_dir.glob("*.csv")):
        print(f"skipping serve benchmark: no shared pools in {args.data_dir} (pass --data-dir)")
        return 0
    table = build_table(args.data_dir, args.records)
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory(prefix="screener-bench-serve-") as folder:
            append_jsonl(args.out, run_once(args, Path(folder), table))
    return 0


if __name__ == "__main__":
    sys.exit(main())
