"""Projects made by older screener versions open and migrate: tested from each old schema, built here."""

from __future__ import annotations

import io
import json
import os
import pickle
import sqlite3
from pathlib import Path

import pandas as pd

from screener.project import project_status, rank_project
from screener.project.store import DB_NAME, MIGRATIONS, SCHEMA_VERSION, Store

ROOT = Path(__file__).resolve().parents[1]


class _Planted:
    """A pickle that writes a marker file when it is loaded."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def _schema_1_project(folder: Path, marker: Path) -> None:
    """A project as the code before migration 2 left it: schema 1, random checks in ``meta``,
    and a pickled model (``models/*.joblib``) that runs code when unpickled."""
    folder.mkdir()
    (folder / "models").mkdir()
    con = sqlite3.connect(folder / DB_NAME, isolation_level=None)
    con.execute("BEGIN")
    MIGRATIONS[0](con)
    con.execute("PRAGMA user_version = 1")
    criteria = (ROOT / "data" / "peer_support.criteria.toml").read_text()
    draws = [{"record_ids": [3, 5], "frame": 6, "drawn_at": "2026-01-01T00:00:00.000+00:00",
              "ledger_rows": 1, "rule": "screener"}]
    con.executemany("INSERT INTO meta VALUES (?, ?)", [
        ("criteria_name", "peer_support.criteria.toml"), ("criteria_text", criteria), ("seed", "0"),
        ("created", "2026-01-01"), ("random_sample", json.dumps(draws))])
    con.execute("INSERT INTO imports VALUES (1, 'a.csv', 'a.csv', 'abc', '2026-01-01', 8, 8, 0, 0)")
    topics = ["peer support for opioid use disorder", "alcohol pricing trial", "peer recovery coaches",
              "hepatitis C treatment uptake", "cannabis use in adolescents", "peer navigators after overdose",
              "methadone clinic retention", "smoking cessation apps"]
    for i, topic in enumerate(topics, 1):
        con.execute("INSERT INTO records VALUES (?, 1, 'a.csv', ?, ?, ?, '', '', 2020, '', '', '', NULL, ?,"
                    " NULL, NULL)",
                    (i, str(i), topic.capitalize(), f"A study of {topic}.", f"fp{i}"))
    con.execute("INSERT INTO models VALUES (1, '2026-01-01', 0, 0, '{}', 'models/model-v00001.joblib')")
    rows = [(1, "include", None), (3, "exclude", None), (2, "exclude", None), (2, "none", 3)]
    for record_id, label, undoes in rows:
        con.execute("INSERT INTO decisions (record_id, label, reviewer, decided_at, model_version, score, undoes)"
                    " VALUES (?, ?, 'ann', '2026-01-01', 1, 0.5, ?)", (record_id, label, undoes))
    con.execute("COMMIT")
    con.close()
    (folder / "models" / "model-v00001.joblib").write_bytes(pickle.dumps(_Planted(marker)))


def test_a_schema_1_project_migrates_its_random_checks_and_never_unpickles_its_model(tmp_path):
    folder, marker = tmp_path / "review", tmp_path / "MARKER"
    _schema_1_project(folder, marker)
    with Store.open(folder) as store:
        assert store.con.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        # random checks are ledger data now, not a JSON value in meta
        assert store.get_meta("random_sample") is None
        [draw] = store.draws()
        assert draw["record_ids"] == [3, 5] and draw["rule"] == "screener" and draw["frame"] == 6
        assert draw["ledger_rows"] == 1
        ledger = store.decisions()
        assert list(ledger["shown_for"]) == ["ranked", "random", "ranked", "undo"]
        assert ledger["draw_id"].tolist()[1] == draw["id"] and ledger["draw_id"].isna().sum() == 3
        # the pickled model is set aside (path NULL), the rest kept
        assert store.latest_saved_model() is None and len(store.models()) == 1
        assert len(store.records()) == 8 and store.imports()["state"].tolist() == ["done"]
    assert project_status(folder).model.check == "not saved"
    ranked, _ = rank_project(folder)  # a new model, saved as data
    assert len(ranked) == 8 - 2  # records 1 and 3 decided; 2 was undone
    with Store.open(folder) as store:
        assert store.latest_saved_model()["path"].endswith(".npz")
    assert project_status(folder).model.check == "ok"
    assert not marker.exists()


def test_every_migration_step_runs_from_each_older_schema(tmp_path):
    for start in range(SCHEMA_VERSION):
        folder = tmp_path / f"v{start}"
        folder.mkdir()
        con = sqlite3.connect(folder / DB_NAME, isolation_level=None)
        for step in range(start):
            con.execute("BEGIN")
            MIGRATIONS[step](con)
            con.execute(f"PRAGMA user_version = {step + 1}")
            con.execute("COMMIT")
        con.close()
        with Store.open(folder) as store:
            assert store.con.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
            assert store.draws() == [] and store.n_decisions() == 0
            assert isinstance(store.records(), pd.DataFrame)


def _schema_4_project(folder: Path) -> None:
    """A project as the code before the citation migration left it: records without volume,
    issue, pages or database ids; RIS and MEDLINE records keep their original fields as JSON."""
    folder.mkdir()
    (folder / "models").mkdir()
    con = sqlite3.connect(folder / DB_NAME, isolation_level=None)
    for step in range(4):
        con.execute("BEGIN")
        MIGRATIONS[step](con)
        con.execute(f"PRAGMA user_version = {step + 1}")
        con.execute("COMMIT")
    con.execute("BEGIN")
    criteria = (ROOT / "data" / "peer_support.criteria.toml").read_text()
    con.executemany("INSERT INTO meta VALUES (?, ?)", [
        ("criteria_name", "peer_support.criteria.toml"), ("criteria_text", criteria), ("seed", "0"),
        ("created", "2026-01-01")])
    con.execute("INSERT INTO imports (import_id, file_name, source, sha256, imported_at, n_read, n_added,"
                " n_merged, n_skipped) VALUES (1, 'a.ris', 'a.ris', 'abc', '2026-01-01', 3, 3, 0, 0)")
    ris = json.dumps([["TY", "JOUR"], ["TI", "Peer navigators after overdose"], ["VL", "114"], ["IS", "7"],
                      ["SP", "1201"], ["EP", "1210"], ["DB", "Embase"], ["AN", "2019123456"]])
    medline = json.dumps({"PMID": ["31234567"], "TI": ["Recovery coaches in emergency departments"],
                          "VI": ["21"], "IP": ["2"], "PG": ["45-53"], "PMC": ["PMC7012345"]})
    rows = [(1, "Peer navigators after overdose", "ris", ris),
            (2, "Recovery coaches in emergency departments", "medline", medline),
            (3, "Contingency management for stimulant use", None, None),  # read from a CSV: nothing kept
            (4, "A damaged original", "ris", "[[\"TY\", "),]
    for rid, title, fmt, raw in rows:
        con.execute("INSERT INTO records (id, import_id, source, source_record_id, title, abstract, keywords,"
                    " authors, year, doi, pmid, journal, duplicate_of, fingerprint, raw_format, raw)"
                    " VALUES (?, 1, 'a.ris', ?, ?, '', '', '', 2020, '', '', '', NULL, ?, ?, ?)",
                    (rid, str(rid), title, f"fp{rid}", fmt, raw))
    con.execute("COMMIT")
    con.close()


def test_a_schema_4_project_gets_the_citations_its_original_fields_hold(tmp_path):
    folder = tmp_path / "review"
    _schema_4_project(folder)
    with Store.open(folder) as store:
        assert store.con.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        got = store.records().set_index("id")[["volume", "issue", "pages", "source_ids"]]
    assert got.loc[1].tolist() == ["114", "7", "1201-1210", "Embase:2019123456"]
    assert got.loc[2].tolist() == ["21", "2", "45-53", "PMC:PMC7012345"]
    assert got.loc[3].tolist() == ["", "", "", ""] and got.loc[4].tolist() == ["", "", "", ""]
    # the migrated project exports its citations
    from screener.project.export import export_project

    _, text = export_project(folder, "csv")
    table = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False).set_index("record_id")
    assert table.loc["1", "pages"] == "1201-1210" and table.loc["2", "source_ids"] == "PMC:PMC7012345"
