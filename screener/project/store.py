"""The project database: records, the decision ledger, models and latest scores.

A review project is one folder: ``screener.sqlite`` (this module) plus ``models/``
(joblib files with checked sidecars, see ``screener.model``). The database runs in
WAL mode with short transactions, so a second process (``status`` while a session
runs, or two reviewers) reads a consistent snapshot and writes wait their turn
(``busy_timeout``) instead of corrupting anything. Every decision is committed
(``synchronous=FULL``) before the caller shows the next record: a killed process
loses nothing it acknowledged.

The ledger is append-only (tarexp's "a run is a ledger"): a changed mind or an
undo is a new row, and a record's current label is the label of its latest row
(``none`` puts it back in the queue).
"""

from __future__ import annotations

import json
import re
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from screener.errors import ProjectError
from screener.readers.raw import citation_from_raw  # old records' citations, mapped as an import maps them

DB_NAME = "screener.sqlite"
MODELS_DIR = "models"
LABELS = ("include", "exclude", "maybe")
UNDONE = "none"  # ledger label of an undo that left a record without a decision
SHOWN_FOR = ("ranked", "random", "undo")  # why a decision's record was shown (``decisions.shown_for``)
# A record's fingerprint (the same record imported again) is over these fields only, as in every
# schema before 5: a record imported before the citation columns existed still matches itself.
FINGERPRINT_FIELDS = ["title", "abstract", "keywords", "authors", "year", "doi", "pmid", "journal"]
# The citation and the database identifiers ("WOS:000123; EID:2-s2.0-8501", see screener.readers).
CITATION_FIELDS = ["volume", "issue", "pages", "source_ids"]
RECORD_FIELDS = FINGERPRINT_FIELDS + CITATION_FIELDS
BUSY_TIMEOUT_S = 10.0  # how long a write waits for another writer by default
LOCK_POLL_S = 0.005  # a waiting writer retries this often, so it gets in between another's batches
DISCARD_ROWS = 5000  # records of a killed import deleted per transaction
VISIBLE = "import_id IN (SELECT import_id FROM imports WHERE state = 'done')"  # records of finished imports


def _run_script(con: sqlite3.Connection, script: str) -> None:
    """Statements one by one (``executescript`` would commit the migration's transaction)."""
    for statement in re.split(r";[ \t]*(?:--[^\n]*)?\n", script):
        if statement.strip():
            con.execute(statement)


def _migrate_1(con: sqlite3.Connection) -> None:
    _run_script(con, """
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE imports (
        import_id INTEGER PRIMARY KEY, file_name TEXT NOT NULL, source TEXT NOT NULL,
        sha256 TEXT NOT NULL, imported_at TEXT NOT NULL, n_read INTEGER NOT NULL,
        n_added INTEGER NOT NULL, n_merged INTEGER NOT NULL, n_skipped INTEGER NOT NULL);
    CREATE TABLE records (
        id INTEGER PRIMARY KEY, import_id INTEGER NOT NULL REFERENCES imports(import_id),
        source TEXT NOT NULL, source_record_id TEXT NOT NULL,
        title TEXT NOT NULL, abstract TEXT NOT NULL, keywords TEXT NOT NULL,
        authors TEXT NOT NULL, year INTEGER, doi TEXT NOT NULL, pmid TEXT NOT NULL,
        journal TEXT NOT NULL,
        duplicate_of INTEGER REFERENCES records(id),  -- NULL: kept (screened) record
        fingerprint TEXT NOT NULL,                   -- content hash: same record imported again
        raw_format TEXT, raw TEXT);                  -- original RIS/MEDLINE fields as JSON
    CREATE INDEX records_fingerprint ON records(fingerprint);
    CREATE INDEX records_duplicate_of ON records(duplicate_of);
    CREATE TABLE models (
        version INTEGER PRIMARY KEY, created TEXT NOT NULL, n_include INTEGER NOT NULL,
        n_exclude INTEGER NOT NULL, settings TEXT NOT NULL, path TEXT);
    CREATE TABLE decisions (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        record_id INTEGER NOT NULL REFERENCES records(id),
        label TEXT NOT NULL CHECK (label IN ('include', 'exclude', 'maybe', 'none')),
        reviewer TEXT NOT NULL, decided_at TEXT NOT NULL,
        reason TEXT, note TEXT,
        model_version INTEGER REFERENCES models(version),
        score REAL,                                  -- the model's score when it was shown
        undoes INTEGER REFERENCES decisions(id));
    CREATE INDEX decisions_record ON decisions(record_id, id);
    CREATE TABLE scores (
        record_id INTEGER PRIMARY KEY REFERENCES records(id), score REAL NOT NULL,
        model_version INTEGER NOT NULL);
    """)


def _migrate_team(con: sqlite3.Connection) -> None:
    """The team workflow: stages and consensus rows in the ledger, reviewers, custom reasons, full texts."""
    _run_script(con, """
    ALTER TABLE decisions ADD COLUMN stage TEXT NOT NULL DEFAULT 'ta' CHECK (stage IN ('ta', 'ft'));
    ALTER TABLE decisions ADD COLUMN kind TEXT NOT NULL DEFAULT 'vote' CHECK (kind IN ('vote', 'consensus'));
    ALTER TABLE decisions ADD COLUMN reasons TEXT;   -- JSON list when a row has several reasons
    ALTER TABLE decisions ADD COLUMN tags TEXT;      -- JSON list of the reviewer's tags
    CREATE INDEX decisions_stage_record ON decisions(stage, record_id, id);
    CREATE INDEX decisions_reviewer ON decisions(reviewer, stage, id);
    CREATE TABLE reviewers (
        name TEXT PRIMARY KEY, role TEXT NOT NULL CHECK (role IN ('owner', 'reviewer', 'adjudicator')),
        added_at TEXT NOT NULL);
    CREATE TABLE reasons (reason TEXT PRIMARY KEY, added_by TEXT NOT NULL, added_at TEXT NOT NULL);
    CREATE TABLE reports (                           -- full texts: append-only, the latest row counts
        id INTEGER PRIMARY KEY AUTOINCREMENT, record_id INTEGER NOT NULL REFERENCES records(id),
        status TEXT NOT NULL CHECK (status IN ('attached', 'not_retrieved')),
        path TEXT, sha256 TEXT, reviewer TEXT NOT NULL, at TEXT NOT NULL, note TEXT);
    CREATE INDEX reports_record ON reports(record_id, id);
    """)


def _migrate_draws(con: sqlite3.Connection) -> None:
    """Random checks and why a record was shown become ledger data (draws were a JSON value in ``meta``)."""
    _run_script(con, """
    CREATE TABLE draws (
        id INTEGER PRIMARY KEY, rule TEXT NOT NULL,   -- the stopping rule that asked for them
        frame INTEGER NOT NULL,                       -- unscreened records drawn from
        drawn_at TEXT NOT NULL, ledger_rows INTEGER NOT NULL);  -- ledger length when drawn
    CREATE TABLE drawn (
        draw_id INTEGER NOT NULL REFERENCES draws(id), position INTEGER NOT NULL,
        record_id INTEGER NOT NULL UNIQUE REFERENCES records(id), PRIMARY KEY (draw_id, position));
    ALTER TABLE decisions ADD COLUMN shown_for TEXT;  -- ranked, random, undo; NULL: not recorded
    ALTER TABLE decisions ADD COLUMN draw_id INTEGER REFERENCES draws(id);  -- the random check it answered
    """)
    row = con.execute("SELECT value FROM meta WHERE key = 'random_sample'").fetchone()
    for draw in json.loads(row[0]) if row else []:
        cur = con.execute("INSERT INTO draws (rule, frame, drawn_at, ledger_rows) VALUES (?, ?, ?, ?)",
                          (str(draw.get("rule", "screener")), int(draw["frame"]), str(draw["drawn_at"]),
                           int(draw["ledger_rows"])))
        con.executemany("INSERT INTO drawn VALUES (?, ?, ?)",
                        [(cur.lastrowid, k, int(i)) for k, i in enumerate(draw["record_ids"])])
    con.execute("DELETE FROM meta WHERE key = 'random_sample'")
    # Why each past decision's record was shown, as far as the ledger tells: an undo; the first
    # decision on a drawn record after its draw answered the random check; the rest were ranked.
    drawn = {rid: (did, rows) for rid, did, rows in con.execute(
        "SELECT record_id, draw_id, ledger_rows FROM drawn JOIN draws ON draws.id = drawn.draw_id")}
    answered: set[int] = set()
    updates = []
    for position, (ledger_id, record_id, undoes, version) in enumerate(con.execute(
            "SELECT id, record_id, undoes, model_version FROM decisions ORDER BY id").fetchall()):
        if undoes is not None:
            updates.append(("undo", None, ledger_id))
        elif record_id in drawn and record_id not in answered and position >= drawn[record_id][1]:
            answered.add(record_id)
            updates.append(("random", drawn[record_id][0], ledger_id))
        elif version is not None:
            updates.append(("ranked", None, ledger_id))
    con.executemany("UPDATE decisions SET shown_for = ?, draw_id = ? WHERE id = ?", updates)


def _migrate_data_models(con: sqlite3.Connection) -> None:
    """Model files are data (npz + JSON): older projects' pickled models are never loaded again
    (their rows keep their version and lose their path; the next ``rank`` or session saves an
    npz). Imports get a state, so a long import commits in batches invisible until it is done."""
    _run_script(con, """
    UPDATE models SET path = NULL WHERE path IS NOT NULL AND path NOT LIKE '%.npz';
    ALTER TABLE imports ADD COLUMN state TEXT NOT NULL DEFAULT 'done';  -- 'pending' while being written
    """)


def _migrate_citation(con: sqlite3.Connection) -> None:
    """Records keep their citation (volume, issue, pages) and database identifiers (WoS UT, Scopus
    EID, PMCID, accession numbers), for de-duplication and export. Older records imported from RIS
    or MEDLINE get them from the original fields kept with them; records read from other formats
    had theirs dropped at import and stay blank."""
    _run_script(con, "".join(f"ALTER TABLE records ADD COLUMN {c} TEXT NOT NULL DEFAULT '';\n"
                             for c in CITATION_FIELDS))
    last = 0
    while rows := con.execute("SELECT id, raw_format, raw FROM records WHERE id > ? AND raw IS NOT NULL AND"
                              " raw_format IN ('ris', 'medline') ORDER BY id LIMIT ?", (last, DISCARD_ROWS)
                              ).fetchall():
        last = rows[-1][0]
        fields = citation_from_raw([(fmt, raw) for _, fmt, raw in rows])
        con.executemany(f"UPDATE records SET {', '.join(f'{c} = ?' for c in CITATION_FIELDS)} WHERE id = ?",
                        [(*(f[c] for c in CITATION_FIELDS), rid) for (rid, _, _), f in zip(rows, fields)])


# MIGRATIONS[i] takes a database from user_version i to i + 1.
MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [_migrate_1, _migrate_team, _migrate_draws,
                                                          _migrate_data_models, _migrate_citation]
SCHEMA_VERSION = len(MIGRATIONS)


class ProjectBusy(ProjectError):
    """Another process held the project's write lock for longer than the caller would wait."""


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


class Store:
    """An open project database. Use ``Store.create`` or ``Store.open``; close when done."""

    def __init__(self, folder: Path, con: sqlite3.Connection):
        self.folder = folder
        self.con = con

    # -- opening ------------------------------------------------------------------------------
    @staticmethod
    def _connect(db: Path) -> sqlite3.Connection:
        con = sqlite3.connect(db, timeout=BUSY_TIMEOUT_S, isolation_level=None,
                              check_same_thread=False)
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("PRAGMA synchronous=FULL")
        con.execute("PRAGMA foreign_keys=ON")
        return con

    @classmethod
    def create(cls, folder: str | Path, meta: dict[str, str]) -> Store:
        folder = Path(folder)
        if (folder / DB_NAME).exists():
            raise ProjectError(f"{folder}: already a screener project; use 'screener import' to add records")
        if folder.exists() and not folder.is_dir():
            raise ProjectError(f"{folder}: exists and is not a folder; choose another project path")
        folder.mkdir(parents=True, exist_ok=True)
        (folder / MODELS_DIR).mkdir(exist_ok=True)
        store = cls(folder, cls._connect(folder / DB_NAME))
        store.migrate()
        with store.transaction():
            store.con.executemany("INSERT INTO meta VALUES (?, ?)", list(meta.items()))
        return store

    @classmethod
    def open(cls, folder: str | Path) -> Store:
        folder = Path(folder)
        if not (folder / DB_NAME).is_file():
            raise ProjectError(f"{folder}: not a screener project (no {DB_NAME}); "
                               "create one with 'screener init'")
        try:
            store = cls(folder, cls._connect(folder / DB_NAME))
            store.migrate()
        except sqlite3.DatabaseError as exc:
            raise ProjectError(f"{folder / DB_NAME}: cannot be opened ({exc})") from None
        return store

    def migrate(self) -> None:
        """Bring the schema to ``SCHEMA_VERSION`` (one transaction per step)."""
        version = self.con.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise ProjectError(f"{self.folder}: project schema version {version} is newer than this "
                               f"screener understands ({SCHEMA_VERSION}); upgrade screener")
        for step in range(version, SCHEMA_VERSION):
            with self.transaction():
                MIGRATIONS[step](self.con)
                self.con.execute(f"PRAGMA user_version = {step + 1}")

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @contextmanager
    def transaction(self, *, wait: float | None = None,
                    on_wait: Callable[[float], None] | None = None) -> Iterator[sqlite3.Connection]:
        """A short write transaction (``BEGIN IMMEDIATE``: waits for, never breaks, another writer).

        Waits up to ``wait`` seconds (default ``BUSY_TIMEOUT_S``) for another writer, retrying
        every ``LOCK_POLL_S`` and calling ``on_wait(seconds waited)`` about once a second, then
        raises ``ProjectBusy`` (one line that says what to do).
        """
        limit = BUSY_TIMEOUT_S if wait is None else wait
        start = time.monotonic()
        report = start + 1.0
        self.con.execute("PRAGMA busy_timeout = 0")  # our own retry loop, not SQLite's backoff
        try:
            while True:
                try:
                    self.con.execute("BEGIN IMMEDIATE")
                    break
                except sqlite3.OperationalError as exc:
                    if "locked" not in str(exc) and "busy" not in str(exc):
                        raise
                    waited = time.monotonic() - start
                    if waited >= limit:
                        raise ProjectBusy(f"{self.folder}: another screener process is writing to this project "
                                          f"and did not finish within {limit:.0f} s; try again when it is done"
                                          ) from None
                    if on_wait is not None and time.monotonic() >= report:
                        on_wait(waited)
                        report += 1.0
                    time.sleep(LOCK_POLL_S)
        finally:
            self.con.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        try:
            yield self.con
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        self.con.execute("COMMIT")

    @property
    def models_dir(self) -> Path:
        return self.folder / MODELS_DIR

    # -- meta ---------------------------------------------------------------------------------
    def get_meta(self, key: str, default: str | None = None) -> str | None:
        row = self.con.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else default

    @contextmanager
    def _synced(self, durable: bool) -> Iterator[None]:
        """``durable=False``: the transactions inside skip the fsync (WAL, synchronous=NORMAL). Their
        rows become durable with the next durable commit (the WAL is one sequence) or are lost in a
        power cut before it; only for rows whose loss costs nothing."""
        if not durable:
            self.con.execute("PRAGMA synchronous=NORMAL")
        try:
            yield
        finally:
            if not durable:
                self.con.execute("PRAGMA synchronous=FULL")

    def set_meta(self, key: str, value: str, *, wait: float | None = None, durable: bool = True) -> None:
        """Set a meta value; ``durable=False`` skips the fsync (``_synced``) for values whose loss in
        a power cut costs nothing, such as the record a session was showing."""
        with self._synced(durable), self.transaction(wait=wait):
            self.con.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    def set_metas(self, values: dict[str, str]) -> None:
        """Set several meta values in one transaction (all or none)."""
        with self.transaction():
            self.con.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", list(values.items()))

    # -- records ------------------------------------------------------------------------------
    def records(self, *, kept_only: bool = True, raw: bool = False) -> pd.DataFrame:
        """Records in id order (``id`` is the project's record id); kept records only by default."""
        cols = ["id", "import_id", "source", "source_record_id", *RECORD_FIELDS, "duplicate_of",
                "fingerprint"] + (["raw_format", "raw"] if raw else [])
        where = f"WHERE {VISIBLE}" + (" AND duplicate_of IS NULL" if kept_only else "")
        df = pd.read_sql_query(f"SELECT {', '.join(cols)} FROM records {where} ORDER BY id", self.con)
        df["year"] = df["year"].astype("Int64")
        df["duplicate_of"] = df["duplicate_of"].astype("Int64")
        return df

    def record_origins(self) -> pd.DataFrame:
        """``id``, ``import_id``, ``source`` and ``duplicate_of`` of every record, duplicates included, in id
        order: what PRISMA counts need, without reading the records' text."""
        df = pd.read_sql_query(f"SELECT id, import_id, source, duplicate_of FROM records WHERE {VISIBLE} ORDER BY id",
                               self.con)
        df["duplicate_of"] = df["duplicate_of"].astype("Int64")
        return df

    def is_kept(self, record_id: int) -> bool:
        """Whether the record is one of the project's kept (screened) records."""
        row = self.con.execute(f"SELECT duplicate_of IS NULL FROM records WHERE id = ? AND {VISIBLE}",
                               (int(record_id),)).fetchone()
        return row is not None and bool(row[0])

    def pool_size(self) -> int:
        """Number of kept (screened) records."""
        return int(self.con.execute(f"SELECT COUNT(*) FROM records WHERE {VISIBLE} AND duplicate_of IS NULL"
                                    ).fetchone()[0])

    def n_duplicates(self) -> int:
        return int(self.con.execute(f"SELECT COUNT(*) FROM records WHERE {VISIBLE} AND duplicate_of IS NOT NULL"
                                    ).fetchone()[0])

    def records_per_source(self) -> dict[str, int]:
        """Records per source file, duplicates included, in the order the sources were first imported."""
        rows = self.con.execute(f"SELECT source, COUNT(*) FROM records WHERE {VISIBLE}"
                                " GROUP BY source ORDER BY MIN(id)")
        return {str(s): int(n) for s, n in rows}

    def insert_import(self, *, file_name: str, source: str, sha256: str, n_read: int,
                      n_added: int, n_merged: int, n_skipped: int, pending: bool = False) -> int:
        """Insert an ``imports`` row (inside the caller's transaction); returns its id.

        A ``pending`` import's records stay invisible until ``finish_imports``.
        """
        cur = self.con.execute(
            "INSERT INTO imports (file_name, source, sha256, imported_at, n_read, n_added, n_merged,"
            " n_skipped, state) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (file_name, source, sha256, now(), n_read, n_added, n_merged, n_skipped,
             "pending" if pending else "done"))
        return int(cur.lastrowid)

    def finish_imports(self, import_ids: list[int]) -> None:
        """Make pending imports' records visible, all at once (one short transaction)."""
        with self.transaction():
            self.con.executemany("UPDATE imports SET state = 'done', imported_at = ? WHERE import_id = ?",
                                 [(now(), int(i)) for i in import_ids])

    def discard_unfinished_imports(self) -> int:
        """Delete what killed imports left (pending imports and their records), in short transactions.

        Call it only while holding the import lock (``imports.import_lock``), so that no live
        import is pending. Returns the number of records deleted.
        """
        pending = "SELECT import_id FROM imports WHERE state = 'pending'"
        n = 0
        while True:
            with self.transaction():
                cur = self.con.execute(f"DELETE FROM records WHERE id IN (SELECT id FROM records WHERE import_id"
                                       f" IN ({pending}) ORDER BY duplicate_of IS NULL, id LIMIT {DISCARD_ROWS})")
                if cur.rowcount == 0:
                    self.con.execute("DELETE FROM imports WHERE state = 'pending'")
                    return n
                n += cur.rowcount

    def next_record_id(self) -> int:
        return int(self.con.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM records").fetchone()[0])

    def insert_records(self, rows: pd.DataFrame) -> None:
        """Insert prepared rows (inside the caller's transaction); columns as in the table
        (citation fields the rows lack are stored blank)."""
        cols = ["id", "import_id", "source", "source_record_id", *RECORD_FIELDS, "duplicate_of",
                "fingerprint", "raw_format", "raw"]
        rows = rows.assign(**{c: "" for c in CITATION_FIELDS if c not in rows})
        rows = rows.iloc[np.argsort(rows["duplicate_of"].notna().to_numpy(), kind="stable")]
        frame = rows[cols].astype(object).where(rows[cols].notna(), None)  # kept rows first (FK)
        self.con.executemany(
            f"INSERT INTO records ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
            frame.itertuples(index=False, name=None))

    def set_duplicate_of(self, record_ids: list[int], kept_id: int | None) -> None:
        """Link records to a kept record, or (``None``) make each its own kept record (unmerge)."""
        self.con.executemany("UPDATE records SET duplicate_of = ? WHERE id = ?",
                             [(kept_id, int(r)) for r in record_ids])

    def imports(self) -> pd.DataFrame:
        """The finished imports, in order."""
        return pd.read_sql_query("SELECT * FROM imports WHERE state = 'done' ORDER BY import_id", self.con)

    # -- ledger -------------------------------------------------------------------------------
    def add_decision(self, record_id: int, label: str, *, reviewer: str, reason: str | None = None,
                     note: str | None = None, model_version: int | None = None,
                     score: float | None = None, undoes: int | None = None, stage: str = "ta",
                     kind: str = "vote", reasons: Sequence[str] = (), tags: Sequence[str] = (),
                     shown_for: str | None = None, draw_id: int | None = None,
                     wait: float | None = None) -> int:
        """Append one decision and commit it before returning its ledger id.

        ``reasons`` (several) are kept as a JSON list with the first also in ``reason``;
        ``kind`` is 'vote' or 'consensus' (a conflict's resolution); ``stage`` 'ta' or 'ft'.
        ``shown_for`` says why the record was shown: ``ranked`` (by ``model_version``),
        ``random`` (the random check ``draw_id``) or ``undo``. ``wait``: as ``transaction``
        (``ProjectBusy`` when another writer holds the project longer).
        """
        if label not in (*LABELS, UNDONE):
            raise ValueError(f"label must be one of {', '.join(LABELS)}, got {label!r}")
        if shown_for not in (None, *SHOWN_FOR):
            raise ValueError(f"shown_for must be one of {', '.join(SHOWN_FOR)}, got {shown_for!r}")
        reasons = [r for r in reasons if r]
        if reasons:
            reason = reasons[0]
        with self.transaction(wait=wait):
            cur = self.con.execute(
                "INSERT INTO decisions (record_id, label, reviewer, decided_at, reason, note,"
                " model_version, score, undoes, stage, kind, reasons, tags, shown_for, draw_id)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (int(record_id), label, reviewer, now(), reason or None, note or None,
                 model_version, None if score is None else float(score), undoes, stage, kind,
                 json.dumps(list(reasons)) if len(reasons) > 1 else None,
                 json.dumps(list(tags)) if tags else None, shown_for,
                 None if draw_id is None else int(draw_id)))
        return int(cur.lastrowid)

    def decisions(self) -> pd.DataFrame:
        """The whole ledger in the order decisions were made."""
        return pd.read_sql_query("SELECT * FROM decisions ORDER BY id", self.con)

    def current_labels(self) -> pd.DataFrame:
        """The latest title/abstract ledger row of every record that has one (``label`` may be ``none``)."""
        return pd.read_sql_query(
            "SELECT d.* FROM decisions d JOIN (SELECT record_id, MAX(id) AS id FROM decisions"
            " WHERE stage = 'ta' GROUP BY record_id) last ON d.id = last.id ORDER BY d.record_id", self.con)

    def latest_decision(self, record_id: int) -> dict | None:
        """The latest title/abstract ledger row of one record (None when it has none)."""
        cur = self.con.execute("SELECT * FROM decisions WHERE record_id = ? AND stage = 'ta'"
                               " ORDER BY id DESC LIMIT 1", (int(record_id),))
        row = cur.fetchone()
        return None if row is None else dict(zip([c[0] for c in cur.description], row))

    def current_label(self, record_id: int) -> str | None:
        """include/exclude/maybe, or None while the record is unscreened."""
        row = self.latest_decision(record_id)
        return None if row is None or row["label"] == UNDONE else row["label"]

    def ledger_labels(self) -> pd.DataFrame:
        """``record_id`` and ``label`` of every title/abstract ledger row in order (cheap: replayed often)."""
        rows = self.con.execute("SELECT record_id, label FROM decisions WHERE stage = 'ta' ORDER BY id").fetchall()
        return pd.DataFrame(rows, columns=["record_id", "label"])

    def first_decided_at(self, stage: str = "ta") -> str | None:
        """When the first decision at ``stage`` was made (None before any)."""
        return self.con.execute("SELECT MIN(decided_at) FROM decisions WHERE stage = ?", (stage,)).fetchone()[0]

    def n_decisions(self) -> int:
        return int(self.con.execute("SELECT COUNT(*) FROM decisions").fetchone()[0])

    def label_array(self, ids: np.ndarray) -> np.ndarray:
        """Current labels over the records ``ids`` as strings ('' when unscreened)."""
        cur = self.current_labels()
        labels = pd.Series(cur["label"].to_numpy(), index=cur["record_id"].to_numpy())
        out = labels.reindex(ids).fillna("").to_numpy(dtype=object, copy=True)
        out[out == UNDONE] = ""
        return out

    # -- the team workflow (reviewers, stages, consensus, full texts) --------------------------
    STAGE_COLUMNS = "id, record_id, label, reviewer, reason, reasons, tags, kind, stage, decided_at"

    def stage_rows(self, stage: str, *, record_id: int | None = None,
                   reviewer: str | None = None) -> pd.DataFrame:
        """A stage's ledger rows in ledger order (votes and consensus), optionally of one record or reviewer."""
        where, args = ["stage = ?"], [stage]
        if record_id is not None:
            where.append("record_id = ?")
            args.append(int(record_id))
        if reviewer is not None:
            where.append("reviewer = ? AND kind = 'vote'")
            args.append(reviewer)
        return pd.read_sql_query(f"SELECT {self.STAGE_COLUMNS} FROM decisions WHERE {' AND '.join(where)}"
                                 " ORDER BY id", self.con, params=args)

    def latest_vote(self, record_id: int, reviewer: str, stage: str) -> dict | None:
        """One reviewer's latest vote on a record at a stage (None when they have none)."""
        cur = self.con.execute("SELECT * FROM decisions WHERE record_id = ? AND reviewer = ? AND stage = ?"
                               " AND kind = 'vote' ORDER BY id DESC LIMIT 1", (int(record_id), reviewer, stage))
        row = cur.fetchone()
        return None if row is None else dict(zip([c[0] for c in cur.description], row))

    def record_votes(self, record_id: int, stage: str) -> list[tuple[str, str, str]]:
        """(reviewer, label, kind) of a record's rows at a stage, in ledger order (cheap: indexed)."""
        return self.con.execute("SELECT reviewer, label, kind FROM decisions WHERE stage = ? AND record_id = ?"
                                " ORDER BY id", (stage, int(record_id))).fetchall()

    def count_rows(self, stage: str, *, reviewer: str | None = None, kind: str | None = None) -> int:
        sql, args = "SELECT COUNT(*) FROM decisions WHERE stage = ?", [stage]
        if reviewer is not None:
            sql, args = sql + " AND reviewer = ?", [*args, reviewer]
        if kind is not None:
            sql, args = sql + " AND kind = ?", [*args, kind]
        return int(self.con.execute(sql, args).fetchone()[0])

    def add_reviewer(self, name: str, role: str) -> None:
        with self.transaction():
            self.con.execute("INSERT INTO reviewers VALUES (?, ?, ?)", (name, role, now()))

    def set_role(self, name: str, role: str) -> None:
        with self.transaction():
            self.con.execute("UPDATE reviewers SET role = ? WHERE name = ?", (role, name))

    def reviewers(self) -> pd.DataFrame:
        return pd.read_sql_query("SELECT * FROM reviewers ORDER BY added_at, name", self.con)

    def add_reason(self, reason: str, added_by: str) -> None:
        with self.transaction():
            self.con.execute("INSERT OR IGNORE INTO reasons VALUES (?, ?, ?)", (reason, added_by, now()))

    def custom_reasons(self) -> list[str]:
        return [r for (r,) in self.con.execute("SELECT reason FROM reasons ORDER BY added_at, reason")]

    def reasons_in_use(self) -> set[str]:
        """Every exclusion reason some ledger row names (the ``reason`` column and the ``reasons`` lists)."""
        used = {r for (r,) in self.con.execute("SELECT DISTINCT reason FROM decisions WHERE reason IS NOT NULL")}
        for (many,) in self.con.execute("SELECT DISTINCT reasons FROM decisions WHERE reasons IS NOT NULL"):
            used.update(json.loads(many))
        return used

    def add_report(self, record_id: int, status: str, *, reviewer: str, path: str | None = None,
                   sha256: str | None = None, note: str | None = None) -> int:
        with self.transaction():
            cur = self.con.execute(
                "INSERT INTO reports (record_id, status, path, sha256, reviewer, at, note)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)", (int(record_id), status, path, sha256, reviewer, now(), note))
        return int(cur.lastrowid)

    def reports(self, *, latest: bool = False) -> pd.DataFrame:
        """Full-text rows in order (``latest``: only each record's latest, which is its state)."""
        if latest:
            return pd.read_sql_query(
                "SELECT r.* FROM reports r JOIN (SELECT record_id, MAX(id) AS id FROM reports GROUP BY record_id)"
                " last ON r.id = last.id ORDER BY r.record_id", self.con)
        return pd.read_sql_query("SELECT * FROM reports ORDER BY id", self.con)

    # -- random checks ------------------------------------------------------------------------
    def add_draw(self, record_ids: list[int], *, rule: str, frame: int, ledger_rows: int) -> int:
        """Record one random draw (the records in draw order) in one transaction; returns its id."""
        with self.transaction():
            cur = self.con.execute("INSERT INTO draws (rule, frame, drawn_at, ledger_rows) VALUES (?, ?, ?, ?)",
                                   (rule, int(frame), now(), int(ledger_rows)))
            self.con.executemany("INSERT INTO drawn VALUES (?, ?, ?)",
                                 [(cur.lastrowid, k, int(i)) for k, i in enumerate(record_ids)])
        return int(cur.lastrowid)

    def draw_of(self, record_id: int) -> int | None:
        """The id of the random draw that holds the record (None when it was never drawn)."""
        row = self.con.execute("SELECT draw_id FROM drawn WHERE record_id = ?", (int(record_id),)).fetchone()
        return None if row is None else int(row[0])

    def draws(self) -> list[dict]:
        """Every random draw in order: ``id``, ``rule``, ``frame``, ``drawn_at``, ``ledger_rows``, ``record_ids``."""
        draws = [dict(zip(("id", "rule", "frame", "drawn_at", "ledger_rows"), row)) for row in self.con.execute(
            "SELECT id, rule, frame, drawn_at, ledger_rows FROM draws ORDER BY id")]
        ids: dict[int, list[int]] = {}
        for draw_id, record_id in self.con.execute("SELECT draw_id, record_id FROM drawn ORDER BY draw_id, position"):
            ids.setdefault(draw_id, []).append(int(record_id))
        for d in draws:
            d["record_ids"] = ids.get(d["id"], [])
        return draws

    # -- models and scores --------------------------------------------------------------------
    def add_model(self, *, n_include: int, n_exclude: int, settings: dict, durable: bool = True) -> int:
        """A model version; ``durable=False`` (``_synced``) for a session's unsaved models, one per
        decision: a version lost in a power cut is a number the next fit gives again."""
        with self._synced(durable), self.transaction():
            cur = self.con.execute(
                "INSERT INTO models (created, n_include, n_exclude, settings) VALUES (?, ?, ?, ?)",
                (now(), n_include, n_exclude, json.dumps(settings, sort_keys=True, default=str)))
        return int(cur.lastrowid)

    def set_model_path(self, version: int, path: Path) -> None:
        with self.transaction():
            self.con.execute("UPDATE models SET path = ? WHERE version = ?",
                             (str(path.relative_to(self.folder)), version))

    def models(self) -> pd.DataFrame:
        return pd.read_sql_query("SELECT * FROM models ORDER BY version", self.con)

    def latest_saved_model(self) -> dict | None:
        row = self.con.execute("SELECT version, path, n_include, n_exclude FROM models WHERE path"
                               " IS NOT NULL ORDER BY version DESC LIMIT 1").fetchone()
        return None if row is None else dict(zip(["version", "path", "n_include", "n_exclude"], row))

    def set_scores(self, record_ids: np.ndarray, scores: np.ndarray, version: int) -> None:
        """Replace the latest scores (one transaction)."""
        with self.transaction():
            self.con.execute("DELETE FROM scores")
            self.con.executemany("INSERT INTO scores VALUES (?, ?, ?)", zip(
                map(int, record_ids), map(float, scores), [int(version)] * len(record_ids)))

    def scores(self) -> pd.DataFrame:
        return pd.read_sql_query("SELECT * FROM scores ORDER BY record_id", self.con)


def screening_sequence(store: Store) -> pd.DataFrame:
    """Decisions in the order they were made, for stopping rules and metrics to replay.

    Columns: ``position`` (1, 2, ...), ``record_id``, ``label`` (include/exclude/maybe/none),
    ``relevant`` (1 include, 0 exclude, <NA> otherwise), ``score`` and ``model_version``
    (the model that ranked the record when it was shown), ``reviewer``, ``decided_at``,
    ``undoes`` (the ledger id an undo row reverts), ``shown_for`` (ranked, random, undo; why the
    record was shown), ``draw_id`` (the random check it answered) and ``ledger_id``. Title/abstract
    rows only.
    """
    d = store.decisions()
    d = d[d["stage"] == "ta"].reset_index(drop=True)
    out = pd.DataFrame({
        "position": np.arange(1, len(d) + 1),
        "ledger_id": d["id"], "record_id": d["record_id"], "label": d["label"],
        "relevant": d["label"].map({"include": 1, "exclude": 0}).astype("Int64"),
        "score": d["score"], "model_version": d["model_version"].astype("Int64"),
        "reviewer": d["reviewer"], "decided_at": d["decided_at"], "undoes": d["undoes"].astype("Int64"),
        "shown_for": d["shown_for"], "draw_id": d["draw_id"].astype("Int64"),
    })
    return out
