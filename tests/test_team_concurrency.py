"""Two reviewers' sessions in two processes on one project (blind dual mode): neither overwrites the
other's votes, and killing one with SIGKILL mid-decision loses nothing it acknowledged."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from screener.project import import_files, init_project, load_pool
from screener.project.reviewers import add_reviewer, set_mode
from screener.project.store import Store
from screener.session import Session
from tests.test_crash import RUNNER, _read_until

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "data" / "demo"
ACK = re.compile(r"^saved #(\d+): (include|exclude|maybe) record (\d+)$", re.MULTILINE)


@pytest.fixture
def review(tmp_path) -> Path:
    folder = tmp_path / "review"
    init_project(folder, ROOT / "data" / "peer_support.criteria.toml")
    import_files(folder, [DEMO / "update_search.ris"])
    with Store.open(folder) as store:
        add_reviewer(store, "alice", "owner")
        add_reviewer(store, "bob")
        set_mode(store, "ta", "dual")
    return folder


def _start(review: Path, who: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", RUNNER, "screen", str(review), "--reviewer", who,
                             "--keys-from-stdin"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, cwd=ROOT)


def _send(proc: subprocess.Popen, keys: str) -> None:
    proc.stdin.write(keys.encode())
    proc.stdin.flush()


def test_two_reviewers_in_two_processes_and_a_kill(review):
    alice, bob = _start(review, "alice"), _start(review, "bob")
    try:
        _read_until(alice.stdout.fileno(), "est. relevant unseen", 1)
        _read_until(bob.stdout.fileno(), "est. relevant unseen", 1)
        out_a = out_b = ""
        for i in range(4):  # interleaved: both screen at once
            _send(alice, "ie"[i % 2] * 3)
            _send(bob, "ei"[i % 2] * 3)
            out_a += _read_until(alice.stdout.fileno(), "saved #", 3)
            out_b += _read_until(bob.stdout.fileno(), "saved #", 3)
        _send(alice, "e" * 40)  # far more than get processed before the kill
        out_a += _read_until(alice.stdout.fileno(), "saved #", 2)
        alice.send_signal(signal.SIGKILL)
        alice.wait()
        _send(bob, "iemeei" + "q")
        rest, _ = bob.communicate(timeout=120)
        out_b += rest.decode()
    finally:
        for p in (alice, bob):
            if p.poll() is None:
                p.kill()
                p.wait()
    acks = {"alice": ACK.findall(out_a), "bob": ACK.findall(out_b)}
    assert len(acks["bob"]) == 18 and len(acks["alice"]) >= 14
    with Store.open(review) as store:
        assert store.con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        d = store.decisions().set_index("id")
        for who, rows in acks.items():
            for ledger_id, label, record in rows:  # every acknowledged vote is there, as acknowledged
                row = d.loc[int(ledger_id)]
                assert (row["reviewer"], row["label"], row["record_id"]) == (who, label, int(record))
        assert (d["reviewer"] == "bob").sum() == 18  # nothing of bob's lost or added
        # no reviewer was served a record twice: one vote per reviewer and record
        assert not d.duplicated(["reviewer", "record_id"]).any()
        n_alice = int((d["reviewer"] == "alice").sum())
        assert n_alice >= len(acks["alice"])  # a vote committed just before the kill may be unacknowledged
        session = Session(store, load_pool(store), reviewer="alice", background=False)
        voted = set(d.loc[d["reviewer"] == "alice", "record_id"])
        assert session.view().record["record_id"] not in voted  # she continues with what she has not voted
        session.handle_key("i")
        session.trainer.stop()
        assert int((store.decisions()["reviewer"] == "alice").sum()) == n_alice + 1
