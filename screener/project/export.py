"""Export a project: every kept record with its current decision, as CSV, TSV, XLSX or RIS.

Spreadsheet cells that a spreadsheet program would run as a formula (starting with
``= + - @``, tab or carriage return) are prefixed with ``'``. RIS keeps each
record's original RIS fields (stored at import; records from other formats are written from
their columns, citation and database ids included) and adds the decision in fields
reference managers read: ``N1  - screener: include; reason: ...`` and
``KW  - screener:include``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from screener.errors import ConfigError
from screener.project.store import Store
from screener.project.votes import ta_decisions, team_columns

FORMATS = ("csv", "tsv", "xlsx", "ris")
EXPORT_COLUMNS = ["record_id", "source", "source_record_id", "title", "abstract", "keywords",
                  "authors", "year", "doi", "pmid", "journal", "volume", "issue", "pages", "source_ids",
                  "duplicate_ids", "decision", "reason", "notes", "reviewer", "decided_at", "score",
                  "model_version"]
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def export_table(store: Store) -> pd.DataFrame:
    """Every kept record with its current decision, reason, all notes, reviewer, time and latest score."""
    records = store.records(kept_only=False, raw=True)
    kept = records[records["duplicate_of"].isna()].copy()
    dup_ids = (records.dropna(subset=["duplicate_of"]).groupby("duplicate_of")["id"]
               .agg(lambda s: "; ".join(map(str, s))))
    kept["duplicate_ids"] = kept["id"].map(dup_ids).astype(object).fillna("")
    ids = kept["id"].to_numpy()
    ta = ta_decisions(store, ids)  # in dual mode: agreed votes or the consensus, see screener.conflicts
    ledger = store.decisions()
    notes = (ledger[ledger["note"].notna() & (ledger["note"] != "undo")].groupby("record_id")["note"]
             .agg(lambda s: " | ".join(s)))
    for col in ("decision", "reason", "reviewer", "decided_at"):
        kept[col] = ta[col].to_numpy()
    kept["notes"] = kept["id"].map(notes).astype(object).fillna("")
    scores = store.scores().set_index("record_id")
    kept["score"] = kept["id"].map(scores["score"])
    kept["model_version"] = kept["id"].map(scores["model_version"]).astype("Int64")
    extra = team_columns(store, ids)  # per-reviewer votes and the full-text stage (team projects)
    for col in extra.columns:
        kept[col] = extra[col].to_numpy()
    columns = EXPORT_COLUMNS + list(extra.columns) + ["raw_format", "raw"]
    return kept.rename(columns={"id": "record_id"})[columns].reset_index(drop=True)


def write_xlsx(table: pd.DataFrame, out: Path, *, sheet: str) -> None:
    """An XLSX sheet with a frozen header row and filters (cells already escaped)."""
    with pd.ExcelWriter(out, engine="openpyxl") as writer:
        table.to_excel(writer, index=False, sheet_name=sheet)
        ws = writer.sheets[sheet]
        ws.freeze_panes = "A2"
        ws.auto_filter.ref = ws.dimensions


def escape_cells(table: pd.DataFrame) -> pd.DataFrame:
    """Text cells that would start a formula get a leading ``'`` (CSV/TSV/XLSX injection)."""
    out = table.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            text = out[col]
            risky = text.map(lambda v: isinstance(v, str) and v.startswith(_FORMULA_START))
            out.loc[risky, col] = "'" + text[risky].astype(str)
    return out


def _ris_entry(row: pd.Series) -> str:
    if row["raw_format"] == "ris" and isinstance(row["raw"], str):
        pairs = [tuple(p) for p in json.loads(row["raw"])]
    else:
        pairs = [("TY", "JOUR"), ("TI", row["title"]), ("AB", row["abstract"])]
        pairs += [("AU", a) for a in str(row["authors"]).split("; ") if a]
        pairs += [("KW", k) for k in str(row["keywords"]).split("; ") if k]
        # The whole page range in SP (as EndNote writes it), the database ids in AN, the PMID
        # in a note ("PMID: 123", which reference managers and screener's reader pick up).
        pairs += [("PY", "" if pd.isna(row["year"]) else str(row["year"])), ("JO", row["journal"]),
                  ("VL", row["volume"]), ("IS", row["issue"]), ("SP", row["pages"]), ("DO", row["doi"]),
                  ("AN", row["source_ids"]), ("ID", row["source_record_id"]),
                  ("N1", f"PMID: {row['pmid']}" if row["pmid"] else "")]
        pairs = [(t, v) for t, v in pairs if v]
    decision = row["decision"] or "unscreened"
    note = f"screener: {decision}"
    if row["reason"]:
        note += f"; reason: {row['reason']}"
    if row["decision"]:
        note += f"; reviewer: {row['reviewer']}; date: {str(row['decided_at'])[:10]}"
    votes = [f"{col.partition(':')[2]} {row[col]}" for col in row.index if col.startswith("ta_vote:") and row[col]]
    if votes:
        note += f"; votes: {', '.join(votes)}"
    if row.get("fulltext_decision"):
        note += f"; full text: {row['fulltext_decision']}"
        if row.get("fulltext_reason"):
            note += f" ({row['fulltext_reason']})"
    if row["notes"]:
        note += f"; note: {row['notes']}"
    if pd.notna(row["score"]):
        note += f"; score: {row['score']:.4f}"
    pairs += [("N1", note), ("KW", f"screener:{decision}")]
    lines = [f"{t}  - {' '.join(str(v).splitlines())}" for t, v in pairs]
    return "\n".join(lines) + "\nER  - \n"


def export_project(folder: str | Path, fmt: str, out: str | Path | None = None) -> tuple[int, str | None]:
    """Write the export to ``out`` (text formats: returned as a string when ``out`` is None).

    Returns (number of records, the text or None).
    """
    if fmt not in FORMATS:
        raise ConfigError(f"unknown export format {fmt!r}; use one of {', '.join(FORMATS)}")
    if fmt == "xlsx" and out is None:
        raise ConfigError("xlsx export needs a file: add --out FILE.xlsx")
    with Store.open(folder) as store:
        table = export_table(store)
    if fmt == "ris":
        text = "\n".join(_ris_entry(r) for _, r in table.iterrows())
    else:
        table = escape_cells(table.drop(columns=["raw_format", "raw"]))
        if fmt == "xlsx":
            write_xlsx(table, Path(out), sheet="records")
            return len(table), None
        text = table.to_csv(index=False, sep="," if fmt == "csv" else "\t", lineterminator="\n")
    if out is None:
        return len(table), text
    Path(out).write_text(text, encoding="utf-8")
    return len(table), None
