"""Delimited text (CSV, TSV) and Excel workbooks: headers mapped by the column aliases, rows with extra fields refused."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd

from screener.readers.common import _WANTED_KEYS, RawTable, _encoding, _fail, _first_line, _head, _header_key


def _delimiter(header: str, allowed: str) -> str:
    counts = {sep: header.count(sep) for sep in allowed}
    best = max(counts, key=counts.get)
    return best if counts[best] else allowed[0]


def _read_delimited(path: Path, allowed: str) -> RawTable:
    enc = _encoding(path)
    head = _head(path, enc, 1)
    sep = _delimiter(head[0] if head else "", allowed)
    seen: list[str] = []

    def wanted(name: str) -> bool:  # only mapped columns are read: exports carry dozens
        seen.append(name)
        return _header_key(name) in _WANTED_KEYS or str(name).lower().startswith("label_")

    _check_field_counts(path, enc, sep)
    try:
        table = pd.read_csv(path, sep=sep, encoding=enc, dtype=str, usecols=wanted, index_col=False,
                            keep_default_na=False, skip_blank_lines=True)
    except pd.errors.EmptyDataError:
        raise _fail(path, "is empty; export the records again") from None
    except Exception as exc:  # pandas raises many types for malformed text
        raise _fail(path, f"cannot be parsed as a delimited table ({_first_line(exc)}); "
                          "check quoting or re-export it") from None
    return RawTable(table, all_columns=seen)


def _check_field_counts(path: Path, enc: str, sep: str) -> None:
    """A row with more (non-empty) fields than the header would shift its columns: refused."""
    csv.field_size_limit(1 << 30)
    with path.open(encoding=enc, newline="") as handle:
        rows = csv.reader(handle, delimiter=sep)
        try:
            header = next(rows, None)
            if header is None:
                return
            width = len(header)
            for row in rows:
                if len(row) > width and any(field.strip() for field in row[width:]):
                    raise _fail(path, f"line {rows.line_num}: {len(row)} fields but the header has "
                                      f"{width}; a value holds an unquoted '{sep}' or the header lost "
                                      "a column, fix the line or re-export it")
        except csv.Error as exc:
            raise _fail(path, f"line {rows.line_num}: {exc}; check quoting or re-export it") from None


def read_csv(path: Path) -> RawTable:
    """Comma- (or semicolon-) separated table."""
    return _read_delimited(path, ",;\t")


def read_tsv(path: Path) -> RawTable:
    """Tab-separated table."""
    return _read_delimited(path, "\t")


def read_xlsx(path: Path) -> RawTable:
    """First sheet of an Excel workbook."""
    try:
        return RawTable(pd.read_excel(path, dtype=str, keep_default_na=False, engine="openpyxl"))
    except Exception as exc:  # zipfile, openpyxl and pandas errors alike
        raise _fail(path, f"is not a readable .xlsx workbook ({_first_line(exc)}); "
                          "re-save it from Excel as .xlsx or export it as CSV") from None
