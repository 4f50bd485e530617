"""Raw reader frames → the records table: aliases mapped, text cleaned, DOIs, years and labels normalised, ids settled."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from screener.errors import DataError
from screener.labels import LABEL_COLUMN
from screener.readers.common import (
    _ALIAS_KEYS,
    LABEL_MISSING,
    LABEL_VALUES,
    RECORD_COLUMNS,
    TEXT_COLUMNS,
    ParsedFile,
    RawTable,
    _fail,
    _header_key,
)


def _clean_text(col: pd.Series) -> pd.Series:
    return col.fillna("").astype(str).str.strip()


def normalise_doi(s: pd.Series) -> pd.Series:
    """Lowercase DOIs without resolver prefixes or whitespace ('' when missing)."""
    s = _clean_text(s).str.lower().str.replace(r"\s+", "", regex=True)
    return s.str.replace(r"^(?:(?:https?://)?(?:dx\.)?doi\.org/|doi:)", "", regex=True)


def normalise_year(s: pd.Series) -> pd.Series:
    """The first plausible 4-digit year in each value, as nullable ``Int64``."""
    years = _clean_text(s).str.extract(r"(1[5-9]\d\d|20\d\d)", expand=False)
    return pd.to_numeric(years, errors="coerce").astype("Int64")


def normalise_labels(series: pd.Series) -> pd.Series:
    """Labels as nullable ``Int64`` 1/0/<NA> from 1/0, yes/no, include/exclude and similar.

    Raises ``DataError`` naming the column when most given values are unrecognised.
    """
    text = series.astype("object").where(series.notna(), "").astype(str).str.strip().str.lower()
    mapped = text.map(LABEL_VALUES)
    unknown = mapped.isna() & ~text.isin(LABEL_MISSING)
    given = (~text.isin(LABEL_MISSING)).sum()
    if given and unknown.sum() * 2 > given:
        examples = ", ".join(repr(v) for v in text[unknown].unique()[:3])
        raise DataError(f"label column '{series.name}' has mostly unrecognised values "
                        f"({examples}); use 1/0, yes/no or include/exclude")
    return mapped.astype("Int64").rename(series.name)


def _standardise(read: RawTable, path: Path, source: str) -> ParsedFile:
    raw = read.table
    keys = {}
    for col in raw.columns:
        keys.setdefault(_header_key(col), col)
    found = {canon: next((keys[k] for k in alias_keys if k in keys), None)
             for canon, alias_keys in _ALIAS_KEYS.items()}
    if found["title"] is None and found["abstract"] is None:
        columns = list(dict.fromkeys(read.all_columns or list(raw.columns)))  # each header once
        named = [c for c in columns if str(c).strip() and not re.fullmatch(r"Unnamed: \d+", str(c))]
        if not named:
            raise _fail(path, "has no column names on its first line (a blank header); the first line "
                              "must name the columns, e.g. 'title,abstract', re-export the records")
        names = ", ".join(" ".join(str(c).split()) for c in named[:20])
        raise _fail(path, f"has no title or abstract column, so it does not look like a records file; "
                          f"found columns: {names}; rename the titles' column to 'title'")
    if raw.empty:
        raise _fail(path, "has a header but no records; export the records again")
    out = pd.DataFrame(index=pd.RangeIndex(len(raw)))
    for canon in TEXT_COLUMNS:
        col = found.get(canon)
        out[canon] = _clean_text(raw[col].reset_index(drop=True)) if col is not None else ""
    if found["page_start"] is not None:  # "Page start"/"Page end" columns → pages "100-108"
        start = _clean_text(raw[found["page_start"]].reset_index(drop=True))
        end = (_clean_text(raw[found["page_end"]].reset_index(drop=True)) if found["page_end"] is not None
               else pd.Series("", index=out.index))
        joined = start.where((end == "") | (end == start), start + "-" + end).where(start != "", end)
        out["pages"] = out["pages"].where(out["pages"] != "", joined)
    # Identifier columns of database CSVs (EID, UT, Lens ID...) kept as "name:value; ...".
    id_columns = list(dict.fromkeys(keys[k] for k in _ALIAS_KEYS["source_ids"] if k in keys))
    named = [c for c in id_columns if _header_key(c) not in ("sourceids",)]
    if named:
        parts = []
        for c in id_columns:
            values = _clean_text(raw[c].reset_index(drop=True))
            prefix = "" if c not in named else " ".join(str(c).split()) + ":"
            parts.append((prefix + values).where(values != "", ""))
        out["source_ids"] = pd.concat(parts, axis=1).apply(lambda r: "; ".join(v for v in r if v), axis=1)
    out["doi"] = normalise_doi(out["doi"])
    out["pmid"] = out["pmid"].str.extract(r"^(?:pmid:?\s*)?(\d{1,9})(?:\.0)?$", flags=re.IGNORECASE,
                                          expand=False).fillna("")
    out["year"] = (normalise_year(raw[found["year"]].reset_index(drop=True))
                   if found["year"] is not None else pd.Series(pd.NA, index=out.index, dtype="Int64"))
    id_column = None if read.incidental_ids else found["record_id"]
    out["record_id"] = _record_ids(out["record_id"], path, id_column)
    # A row with nothing in any column read (",,,," lines): skipped and counted, not a record.
    blank = (raw.astype("object").where(raw.notna(), "").astype(str).apply(lambda c: c.str.strip())
             == "").all(axis=1).to_numpy() if len(raw.columns) else np.zeros(len(raw), dtype=bool)
    out["source"] = source
    out = out[RECORD_COLUMNS]
    labels = {LABEL_COLUMN: found[LABEL_COLUMN]}
    for col in raw.columns:
        name = str(col).lstrip("\ufeff").strip()
        if name.lower().startswith("label_") and col != found[LABEL_COLUMN]:
            labels.setdefault(name, col)
    for name, col in labels.items():
        if col is None:
            continue
        try:
            out[name] = normalise_labels(raw[col].reset_index(drop=True).rename(col)).values
        except DataError as exc:
            raise _fail(path, str(exc)) from None
    if blank.all():
        raise _fail(path, f"has {len(out)} row(s) but every one is blank; export the records again")
    out = out[~blank].reset_index(drop=True)
    kept_raw = None if read.raw is None else [r for r, b in zip(read.raw, blank) if not b]
    return ParsedFile(out, raw_format=read.raw_format if kept_raw is not None else None, raw=kept_raw,
                      blank_rows=int(blank.sum()))


def _record_ids(ids: pd.Series, path: Path, column: str | None) -> pd.Series:
    """Given ids (float artefacts trimmed, blanks numbered by row), else 1, 2, ...

    Repeated ids in a declared id column are an error; in RIS/MEDLINE (where the
    id is incidental) they are replaced by row numbers.
    """
    numbers = pd.Series(range(1, len(ids) + 1), index=ids.index).astype(str)
    ids = ids.str.replace(r"^(\d+)\.0$", r"\1", regex=True)
    ids = ids.where(ids != "", numbers)
    if not ids.duplicated().any():
        return ids
    if column is not None:
        repeated = ids[ids.duplicated()].iloc[0]
        raise _fail(path, f"column '{column}' repeats record id '{repeated}'; "
                          "make the ids unique or remove the column")
    return numbers
