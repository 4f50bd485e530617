"""The browser's screening sessions: one ``screener.session.Session`` per logged-in reviewer.

The pool (records and features) is built once per server; each reviewer's session has
its own store connection (SQLite transactions are per connection) and its own lock, so
one reviewer's requests are applied in order while other reviewers' run beside them.
A session is the terminal's: the same step, background retraining, blind view and ledger.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from screener.project import load_pool
from screener.project.pool import Pool
from screener.project.store import Store
from screener.session import Session


class Sittings:
    def __init__(self, folder: str | Path, *, background: bool = True):
        self.folder, self.background = Path(folder), background
        self._lock = threading.Lock()
        self._pool: Pool | None = None
        self._open: dict[tuple[str, str], tuple[Session, threading.Lock]] = {}
        # One retraining at a time across every reviewer's session: on a small server, fits running
        # side by side would take the cores the requests need (each reviewer's newest request waits).
        self.fit_gate = threading.BoundedSemaphore(1)

    def pool(self) -> Pool:
        with self._lock:
            if self._pool is None:
                with Store.open(self.folder) as store:
                    self._pool = load_pool(store)
            return self._pool

    def _get(self, reviewer: str, stage: str) -> tuple[Session, threading.Lock]:
        pool = self.pool()
        with self._lock:
            if (reviewer, stage) not in self._open:
                store = Store.open(self.folder)
                try:
                    session = Session(store, pool, reviewer=reviewer, background=self.background, stage=stage,
                                      fit_gate=self.fit_gate)
                except BaseException:
                    store.close()
                    raise
                self._open[(reviewer, stage)] = (session, threading.Lock())
            return self._open[(reviewer, stage)]

    @contextmanager
    def sitting(self, reviewer: str, stage: str = "ta") -> Iterator[Session]:
        """The reviewer's session, held for the duration of one request."""
        session, lock = self._get(reviewer, stage)
        with lock:
            yield session

    def end(self, reviewer: str) -> None:
        """Close a reviewer's sessions (log-out): the model of the ledger is saved, as the terminal does."""
        with self._lock:
            mine = [k for k in self._open if k[0] == reviewer]
            closing = [self._open.pop(k) for k in mine]
        for session, lock in closing:
            with lock:
                try:
                    session.close()
                finally:
                    session.store.close()

    def reload(self) -> None:
        """Forget the pool and every open session (an import added records: new pool, new features).

        Nothing is lost: every decision is in the ledger; each reviewer's next request opens a
        session over the new pool. A request holding a session finishes first.
        """
        with self._lock:
            self._pool = None
            closing, self._open = list(self._open.values()), {}
        for session, lock in closing:
            with lock:
                session.trainer.stop()
                session.store.close()

    def close(self) -> None:
        for reviewer in {k[0] for k in list(self._open)}:
            self.end(reviewer)
