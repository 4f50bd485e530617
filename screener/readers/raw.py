"""The citation fields of original entries kept with a project's records (RIS tag pairs, MEDLINE
tag lists), read with the same field mapping as an import: for records stored before the
project kept volume, issue, pages and identifiers of its own (``screener.project.store``)."""

from __future__ import annotations

import json
from collections.abc import Sequence

import rispy

from screener.readers.medline import _medline_record
from screener.readers.tagged import RIS_MAPPING, _ris_record

CITATION = ("volume", "issue", "pages", "source_ids")


def _ris_entry(pairs: list[list[str]]) -> dict:
    lines = [f"{tag}  - {value}" for tag, value in pairs] + ["ER  - "]
    entries = rispy.RisParser(skip_unknown_tags=True, mapping=RIS_MAPPING).parse_lines(iter(lines))
    return entries[0] if entries else {}


def citation_from_raw(rows: Sequence[tuple[str, str]]) -> list[dict[str, str]]:
    """Volume, issue, pages and source_ids of each ``(raw_format, raw JSON)`` ('' where not given).

    An entry that cannot be read (damaged JSON, an unknown format) gives blanks, never an error:
    the record keeps what it had."""
    out = []
    for fmt, raw in rows:
        try:
            entry = json.loads(raw)
            if fmt == "ris":
                row = _ris_record(_ris_entry(entry))
            elif fmt == "medline":
                row = _medline_record(entry)
            else:
                row = {}
        except (ValueError, TypeError, KeyError, AttributeError, IndexError):
            row = {}
        out.append({c: str(row.get(c, "") or "") for c in CITATION})
    return out
