"""The whole ledger as one table (CSV or XLSX), for a methods section and a co-reviewer.

Every ledger row (votes, consensus resolutions, undos, with reasons, tags, notes, the
model version and score that ranked the record when it was shown) and every full-text
report row (attached, not retrieved), in the order they happened, with the record's
title. XLSX gets a frozen header row and filters.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from screener.errors import ConfigError
from screener.project.export import escape_cells, write_xlsx
from screener.project.store import Store

LEDGER_COLUMNS = ["event", "ledger_id", "at", "stage", "record_id", "title", "reviewer", "kind", "label",
                  "reasons", "tags", "note", "undoes", "model_version", "score", "report", "file"]


def _joined(reason: object, reasons: object) -> str:
    if isinstance(reasons, str) and reasons:
        return "; ".join(json.loads(reasons))
    return reason if isinstance(reason, str) else ""


def ledger_table(store: Store) -> pd.DataFrame:
    d = store.decisions()
    titles = store.records(kept_only=False).set_index("id")["title"]
    votes = pd.DataFrame({
        "event": "decision", "ledger_id": d["id"], "at": d["decided_at"], "stage": d["stage"],
        "record_id": d["record_id"], "reviewer": d["reviewer"],
        "kind": d["kind"].where(d["undoes"].isna(), "undo"), "label": d["label"],
        "reasons": [_joined(r, rs) for r, rs in zip(d["reason"], d["reasons"])],
        "tags": [", ".join(json.loads(t)) if isinstance(t, str) else "" for t in d["tags"]],
        "note": d["note"].fillna(""), "undoes": d["undoes"].astype("Int64"),
        "model_version": d["model_version"].astype("Int64"), "score": d["score"],
        "report": "", "file": ""})
    r = store.reports()
    reports = pd.DataFrame({
        "event": "full text", "ledger_id": pd.array([pd.NA] * len(r), dtype="Int64"), "at": r["at"],
        "stage": "ft", "record_id": r["record_id"], "reviewer": r["reviewer"], "kind": "report",
        "label": "", "reasons": "", "tags": "", "note": r["note"].fillna(""),
        "undoes": pd.array([pd.NA] * len(r), dtype="Int64"),
        "model_version": pd.array([pd.NA] * len(r), dtype="Int64"), "score": float("nan"),
        "report": r["status"], "file": r["path"].fillna("")})
    table = pd.concat([votes, reports], ignore_index=True) if len(reports) else votes
    table["title"] = table["record_id"].map(titles)
    return table.sort_values(["at", "event"], kind="stable")[LEDGER_COLUMNS].reset_index(drop=True)


def write_table(table: pd.DataFrame, out: Path, *, sheet: str) -> None:
    """CSV, or XLSX with a frozen header and filters (cells that would run as formulas escaped)."""
    table = escape_cells(table)
    if out.suffix.lower() == ".xlsx":
        write_xlsx(table, out, sheet=sheet)
    else:
        table.to_csv(out, index=False, lineterminator="\n")


def export_ledger(folder: str | Path, out: str | Path) -> int:
    """Write the whole ledger to ``out`` (.csv or .xlsx); returns the number of rows."""
    out = Path(out)
    if out.suffix.lower() not in (".csv", ".xlsx"):
        raise ConfigError(f"{out.name}: the ledger is exported as .csv or .xlsx")
    with Store.open(folder) as store:
        table = ledger_table(store)
    write_table(table, out, sheet="ledger")
    return len(table)
