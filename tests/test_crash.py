"""A session killed with SIGKILL loses nothing it acknowledged; a real terminal drives it too."""

from __future__ import annotations

import os
import pty
import re
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

from conftest import ROOT
from screener.project import load_pool
from screener.project.store import Store
from screener.session import Session

RUNNER = "import screener.cli.project; from screener.cli import main; main()"


def _read_until(fd: int, needle: str, count: int, timeout: float = 60.0) -> str:
    """Read ``fd`` until ``needle`` has appeared ``count`` times."""
    buf, end = b"", time.monotonic() + timeout
    while buf.decode(errors="replace").count(needle) < count:
        left = end - time.monotonic()
        if left <= 0:
            raise AssertionError(f"timed out waiting for {count}x {needle!r}; got:\n{buf.decode(errors='replace')[-2000:]}")
        ready, _, _ = select.select([fd], [], [], left)
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:  # pty closed
                break
            if not chunk:
                break
            buf += chunk
    return buf.decode(errors="replace")


def _check_reopens(review: Path) -> int:
    with Store.open(review) as s:
        assert s.con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return s.n_decisions()


def test_sigkill_after_n_decisions_keeps_exactly_those(review, n=5):
    proc = subprocess.Popen([sys.executable, "-c", RUNNER, "screen", str(review), "--reviewer", "ann",
                             "--keys-from-stdin"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, cwd=ROOT)
    try:
        keys = "ie" * n
        proc.stdin.write(keys[:n].encode())
        proc.stdin.flush()
        out = _read_until(proc.stdout.fileno(), "est. relevant unseen", n + 1)  # shown after each
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert out.count("saved #") == n
    assert _check_reopens(review) == n
    # the next sitting opens without repair and continues where the killed one was
    with Store.open(review) as store:
        session = Session(store, load_pool(store), reviewer="ann", background=False)
        last_shown = re.findall(r"^record (\d+):", out, flags=re.MULTILINE)[-1]
        assert session.view().record["record_id"] == int(last_shown)
        session.handle_key("e")
        assert store.n_decisions() == n + 1


def test_sigkill_mid_stream_loses_nothing_acknowledged(review):
    proc = subprocess.Popen([sys.executable, "-c", RUNNER, "screen", str(review), "--reviewer", "ann",
                             "--keys-from-stdin"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, cwd=ROOT)
    proc.stdin.write(b"e" * 60)  # far more keys than get processed before the kill
    proc.stdin.flush()
    out = _read_until(proc.stdout.fileno(), "saved #", 8)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert _check_reopens(review) >= out.count("saved #") >= 8


def test_session_in_a_pseudo_terminal(review):
    master, slave = pty.openpty()
    env = {**os.environ, "COLUMNS": "100", "LINES": "40", "TERM": "xterm"}
    proc = subprocess.Popen([sys.executable, "-c", RUNNER, "screen", str(review), "--reviewer", "tty"],
                            stdin=slave, stdout=slave, stderr=slave, cwd=ROOT, env=env, close_fds=True)
    os.close(slave)
    try:
        screen = _read_until(master, "i include", 1)
        assert "screened 0/" in screen and "record " in screen
        for i, key in enumerate("iem", 1):
            os.write(master, key.encode())
            _read_until(master, f"saved #{i}", 1)
        os.write(master, b"q")
        rest = _read_until(master, "continues here", 1)
        assert "3 screened" in rest
        assert proc.wait(timeout=60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(master)
    with Store.open(review) as s:
        assert list(s.decisions()["label"]) == ["include", "exclude", "maybe"]
        assert set(s.decisions()["reviewer"]) == {"tty"}
