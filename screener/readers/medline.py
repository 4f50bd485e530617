"""PubMed MEDLINE (.nbib/.medline): PMID- starts each record."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path

import pandas as pd

from screener.readers.common import RawTable, _encoding, _fail, _lines, _tagged

_MEDLINE_TAG = re.compile(r"^([A-Z][A-Z0-9]{1,3})\s*- ?(.*)$")


def _medline_entries(lines: Iterable[str]) -> Iterator[dict[str, list[str]]]:
    entry: dict[str, list[str]] = {}
    last = None
    for line in lines:
        if not line.strip():
            if entry:
                yield entry
            entry, last = {}, None
            continue
        match = _MEDLINE_TAG.match(line) if line[:1] != " " else None
        if match is None:
            if last is not None:  # continuation line (six spaces in PubMed's format)
                entry[last][-1] += " " + line.strip()
            continue
        tag, value = match.groups()
        if tag == "PMID" and "PMID" in entry:
            yield entry
            entry = {}
        entry.setdefault(tag, []).append(value.strip())
        last = tag
    if entry:
        yield entry


def _medline_record(entry: dict[str, list[str]]) -> dict[str, str]:
    def first(*tags: str) -> str:
        return next((entry[t][0] for t in tags if entry.get(t)), "")

    dois = [v[: -len("[doi]")] for v in entry.get("LID", []) + entry.get("AID", [])
            if v.endswith("[doi]")]
    return {
        "record_id": first("PMID"),
        "pmid": first("PMID"),
        "title": first("TI", "BTI"),
        "abstract": " ".join(entry.get("AB", [])),
        "authors": "; ".join(entry.get("FAU") or entry.get("AU") or []),
        "keywords": "; ".join(entry.get("OT", []) + entry.get("MH", [])),
        "year": first("DP", "DEP", "DA"),
        "journal": first("JT", "TA"),
        "doi": dois[0] if dois else "",
        "volume": first("VI"),
        "issue": first("IP"),
        "pages": first("PG"),
        "source_ids": "; ".join(f"{tag}:{v}" for tag in ("PMC", "MID") for v in entry.get(tag, [])),
    }


def read_medline(path: Path) -> RawTable:
    """PubMed MEDLINE / .nbib export (tag parser; PMID starts a record)."""
    enc = _encoding(path)
    entries = [e for e in _medline_entries(_lines(path, enc)) if "PMID" in e or "TI" in e]
    # PubMed writes SO (the citation) last: a final record without it was cut off.
    if len(entries) > 1 and "SO" not in entries[-1] and all("SO" in e for e in entries[:-1]):
        raise _fail(path, "the last record stops before its SO line; the file looks truncated, "
                          "export it from PubMed again")
    rows = [_medline_record(e) for e in entries]
    if not rows:
        raise _fail(path, "contains no MEDLINE records (no 'PMID- ' lines); "
                          "export from PubMed with 'Format: PubMed'")
    return _tagged(pd.DataFrame(rows, dtype=str), "medline", entries)
