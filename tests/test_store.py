"""The project database: schema and migrations, the append-only ledger, concurrent writers."""

from __future__ import annotations

import sqlite3
import threading

import pandas as pd
import pytest

from screener.errors import ProjectError
from screener.project import store as store_mod
from screener.project.store import (
    DB_NAME,
    MIGRATIONS,
    SCHEMA_VERSION,
    Store,
    screening_sequence,
)


def _records(store: Store, n: int = 3) -> list[int]:
    with store.transaction():
        imp = store.insert_import(file_name="f.csv", source="f.csv", sha256="x", n_read=n,
                                  n_added=n, n_merged=0, n_skipped=0)
        rows = pd.DataFrame({
            "id": range(1, n + 1), "import_id": imp, "source": "f.csv",
            "source_record_id": [str(i) for i in range(n)], "title": [f"title {i}" for i in range(n)],
            "abstract": "", "keywords": "", "authors": "", "year": 2020, "doi": "", "pmid": "",
            "journal": "", "duplicate_of": pd.array([pd.NA] * n, dtype="Int64"),
            "fingerprint": [f"fp{i}" for i in range(n)], "raw_format": None, "raw": None})
        store.insert_records(rows)
    return list(range(1, n + 1))


@pytest.fixture
def store(tmp_path):
    s = Store.create(tmp_path / "review", {"seed": "0"})
    yield s
    s.close()


def test_create_sets_schema_version_wal_and_models_folder(store):
    assert store.con.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == len(MIGRATIONS)
    assert store.con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.models_dir.is_dir()
    tables = {r[0] for r in store.con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"meta", "imports", "records", "decisions", "models", "scores"} <= tables
    assert store.get_meta("seed") == "0"


def test_create_refuses_existing_project_and_open_refuses_non_project(store, tmp_path):
    with pytest.raises(ProjectError, match="already a screener project"):
        Store.create(store.folder, {})
    with pytest.raises(ProjectError, match="not a screener project"):
        Store.open(tmp_path / "nothing-here")


def test_migration_path_from_empty_database_and_refusal_of_newer(tmp_path):
    folder = tmp_path / "old"
    folder.mkdir()
    sqlite3.connect(folder / DB_NAME).close()  # user_version 0: nothing migrated yet
    with Store.open(folder) as s:
        assert s.con.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert s.n_decisions() == 0
    con = sqlite3.connect(folder / DB_NAME)
    con.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    con.close()
    with pytest.raises(ProjectError, match="newer"):
        Store.open(folder)


def test_ledger_is_append_only_and_latest_row_wins(store):
    a, b, _ = _records(store)
    first = store.add_decision(a, "include", reviewer="ann")
    store.add_decision(b, "exclude", reviewer="ann", reason="not peer support", note="RCT")
    store.add_decision(a, "exclude", reviewer="bob")  # a changed mind
    assert store.n_decisions() == 3
    assert store.current_label(a) == "exclude"
    store.add_decision(a, "none", reviewer="bob", undoes=first)
    assert store.current_label(a) is None
    labels = store.label_array([a, b, 3])
    assert list(labels) == ["", "exclude", ""]
    with pytest.raises(ValueError, match="label"):
        store.add_decision(a, "perhaps", reviewer="ann")
    seq = screening_sequence(store)
    assert list(seq["position"]) == [1, 2, 3, 4]
    assert list(seq["label"]) == ["include", "exclude", "exclude", "none"]
    assert seq["relevant"].tolist()[:3] == [1, 0, 0] and pd.isna(seq["relevant"].iloc[3])
    assert seq["undoes"].iloc[3] == first


def test_two_connections_write_concurrently_without_corruption(store):
    ids = _records(store, 50)
    other = Store.open(store.folder)

    def write(s: Store, name: str) -> None:
        for i in ids:
            s.add_decision(i, "exclude", reviewer=name)

    threads = [threading.Thread(target=write, args=(s, n)) for s, n in ((store, "a"), (other, "b"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    other.close()
    assert store.n_decisions() == 100
    assert store.con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_a_writer_holding_the_lock_too_long_gives_one_clear_error(store, monkeypatch):
    _records(store, 1)
    monkeypatch.setattr(store_mod, "BUSY_TIMEOUT_S", 0.1)
    other = Store.open(store.folder)
    other.con.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(ProjectError, match="another screener process"):
            store.con.execute("PRAGMA busy_timeout = 100")
            store.add_decision(1, "include", reviewer="ann")
    finally:
        other.con.execute("ROLLBACK")
        other.close()
    assert store.n_decisions() == 0
