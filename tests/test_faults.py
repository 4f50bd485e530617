"""Writers that queue, not crash: concurrent imports, a session during a large import, kill -9 at
random points of import, screen and rank. Kept to a few seconds each; ``benchmarks/bench_faults.py``
runs the large trial counts."""

from __future__ import annotations

import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from screener.demo_data import make_demo_pool
from screener.project import import_files, init_project, load_pool
from screener.project.store import Store
from screener.session import Session

ROOT = Path(__file__).resolve().parents[1]
RUNNER = "import screener.cli.project; from screener.cli import main; main()"


def _cli(*args: str, **kw) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", RUNNER, *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, cwd=ROOT, **kw)


def _consistent(review: Path) -> tuple[int, set[str]]:
    """Integrity ok, unique ids and fingerprints, every duplicate linked to a kept record."""
    with Store.open(review) as s:
        assert s.con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert s.con.execute("PRAGMA foreign_key_check").fetchall() == []
        records = s.records(kept_only=False)
        assert records["id"].is_unique and records["fingerprint"].is_unique
        kept = set(records.loc[records["duplicate_of"].isna(), "id"])
        assert set(records["duplicate_of"].dropna()) <= kept
        return len(records), set(records["fingerprint"])


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    """a, ab (half of a again, half new) and a big file (the pool four times over, new file ids)."""
    folder = tmp_path_factory.mktemp("exports")
    pool = make_demo_pool(1500, random_state=1).drop(columns=["label_included", "label_abstract_screening"],
                                                     errors="ignore")
    pool["record_id"] = [f"r{i}" for i in range(len(pool))]
    paths = {"a": folder / "a.csv", "ab": folder / "ab.csv", "big": folder / "big.csv"}
    pool.iloc[:1000].to_csv(paths["a"], index=False)
    pool.iloc[500:].to_csv(paths["ab"], index=False)
    copies = [pool.assign(record_id=pool["record_id"] + f"-{k}") for k in range(4)]
    pd.concat(copies, ignore_index=True).to_csv(paths["big"], index=False)
    return paths


@pytest.fixture
def review(tmp_path) -> Path:
    folder = tmp_path / "review"
    init_project(folder, ROOT / "data" / "peer_support.criteria.toml")
    import_files(folder, [ROOT / "data" / "demo" / "update_search.ris"])
    return folder


def test_two_concurrent_imports_queue_and_apply_both(review, files, tmp_path):
    sequential = Path(shutil.copytree(review, tmp_path / "sequential"))
    import_files(sequential, [files["a"]])
    import_files(sequential, [files["ab"]])
    expected = _consistent(sequential)
    procs = [_cli("import", str(review), str(files[k])) for k in ("a", "ab")]
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err.decode()
        assert b"Traceback" not in err
    # both applied, one after the other: the same records as importing them in turn
    assert _consistent(review) == expected


def test_a_session_during_a_large_import_saves_every_decision(review, files):
    with Store.open(review) as store:
        session = Session(store, load_pool(store), reviewer="ann", background=False)
        proc = _cli("import", str(review), str(files["big"]))
        try:
            saved = 0
            while (proc.poll() is None or saved < 10) and saved < 100:
                session.handle_key("e")
                assert session.unsaved is None, session.message
                assert session.view().acknowledged, session.message
                saved += 1
                time.sleep(0.05)
            proc.communicate(timeout=300)
        finally:
            if proc.poll() is None:
                proc.kill()
        assert proc.returncode == 0
        assert store.n_decisions() == saved
    n, _ = _consistent(review)
    assert n > 6000


def test_a_decision_that_cannot_be_saved_is_shown_as_not_saved_and_retried(review, monkeypatch):
    import screener.session as session_mod

    monkeypatch.setattr(session_mod, "SAVE_WAIT_S", 0.05)
    with Store.open(review) as store:
        session = Session(store, load_pool(store), reviewer="ann", background=False)
        record = session.view().record["record_id"]
        other = Store.open(review)
        other.con.execute("BEGIN IMMEDIATE")  # another process holds the write lock
        session.handle_key("i")
        view = session.view()
        assert "NOT SAVED" in view.message and not view.acknowledged
        assert view.record["record_id"] == record and store.n_decisions() == 0
        other.con.execute("COMMIT")
        other.close()
        session.handle_key(" ")  # any key retries
        assert session.view().acknowledged and store.current_label(record) == "include"
        assert store.n_decisions() == 1


def _kill_at_random(proc: subprocess.Popen, rng: random.Random, longest: float) -> None:
    time.sleep(rng.uniform(0.0, longest))
    proc.send_signal(signal.SIGKILL)
    proc.wait()


@pytest.mark.parametrize("seed", [0, 1])
def test_kill_9_during_import_changes_nothing_visible(review, files, seed):
    before, prints = _consistent(review)
    _kill_at_random(_cli("import", str(review), str(files["big"])), random.Random(seed), 6.0)
    n, after = _consistent(review)
    assert (n, after) == (before, prints) or n == before + 6000  # nothing, or the whole import
    # the next import tidies what the killed one left and applies cleanly
    import_files(review, [files["a"]])
    with Store.open(review) as s:
        assert s.con.execute("SELECT COUNT(*) FROM imports WHERE state != 'done'").fetchone()[0] == 0
    _consistent(review)


@pytest.mark.parametrize("seed", [0, 1])
def test_kill_9_during_rank_and_screen_keeps_every_acknowledged_decision(review, seed):
    rng = random.Random(seed)
    screen = _cli("screen", str(review), "--reviewer", "ann", "--keys-from-stdin", stdin=subprocess.PIPE)
    screen.stdin.write(b"ie" * 200)
    screen.stdin.flush()
    _kill_at_random(screen, rng, 4.0)
    acknowledged = screen.stdout.read().decode().count("saved #")
    _kill_at_random(_cli("rank", str(review), "--out", str(review.parent / "r.csv")), rng, 4.0)
    with Store.open(review) as s:
        assert s.con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert s.n_decisions() >= acknowledged
        pool = load_pool(s)
        Session(s, pool, reviewer="bob", background=False).handle_key("e")  # opens and goes on
