"""Which reader a file needs (extension, then content), and the public entry points parse_file, read_file and read_records."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path

import pandas as pd

from screener.errors import DataError
from screener.readers.bibtex import read_bibtex
from screener.readers.common import (
    _CHUNK,
    RECORD_COLUMNS,
    TEXT_COLUMNS,
    ParsedFile,
    RawTable,
    _encoding,
    _fail,
    _head,
)
from screener.readers.delimited import read_csv, read_tsv, read_xlsx
from screener.readers.medline import read_medline
from screener.readers.standardise import _standardise
from screener.readers.tagged import _OVID_START, read_endnote_tagged, read_ovid, read_ris, read_wos
from screener.readers.xml_formats import read_endnote_xml, read_zotero_rdf


def detect_format(path: Path) -> Callable[[Path], RawTable] | None:
    """The reader a text file's content asks for, or None when the content does not say."""
    head = _head(path, _encoding(path))
    if any(re.match(r"^TY  -", ln) for ln in head):
        return read_ris
    if any(ln.startswith("PMID-") for ln in head):
        return read_medline
    if head and re.match(r"^(FN|PT|VR) ", head[0]):
        return read_wos
    if any(_OVID_START.match(ln) for ln in head[:15]) and not any("<record" in ln for ln in head[:10]):
        return read_ovid
    if head and head[0].lstrip().startswith("<") and any("zotero.org/namespaces/export" in ln for ln in head):
        return read_zotero_rdf
    if head and head[0].lstrip().startswith("<") and any("<record" in ln for ln in head[:10]):
        return read_endnote_xml
    if any(re.match(r"^\s*@(article|inproceedings|book|incollection|misc|phdthesis|techreport|"
                    r"conference|inbook|unpublished|mastersthesis|online|report)\s*[{(]", ln, re.IGNORECASE)
           for ln in head):
        return read_bibtex
    if head and head[0].startswith("%0 "):
        return read_endnote_tagged
    return None


def sniff_format(path: Path) -> Callable[[Path], RawTable]:
    """The reader for a file whose extension does not say (e.g. ``.txt``), chosen by content."""
    found = detect_format(path)
    if found is not None:
        return found
    head = _head(path, _encoding(path), 1)
    return read_tsv if head and "\t" in head[0] else read_csv


READERS: dict[str, Callable[[Path], RawTable]] = {
    ".csv": read_csv,
    ".tsv": read_tsv,
    ".tab": read_tsv,
    ".txt": sniff_format,  # RIS, MEDLINE, Web of Science or TSV: decided by content
    ".xlsx": read_xlsx,
    ".xlsm": read_xlsx,
    ".ris": read_ris,
    ".nbib": read_medline,
    ".medline": read_medline,
    ".ciw": read_wos,
    ".isi": read_wos,
    ".bib": read_bibtex,
    ".bibtex": read_bibtex,
    ".xml": read_endnote_xml,
    ".rdf": read_zotero_rdf,
    ".enw": read_endnote_tagged,
    ".end": read_endnote_tagged,
}


def parse_file(path: str | Path, *, source: str | None = None) -> ParsedFile:
    """Read one file of records: its records table and what came with it (original fields, blank rows)."""
    path = Path(path)
    if not path.is_file():
        raise _fail(path, f"file not found at {path}; check the path")
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        kinds = ", ".join(sorted(READERS))
        raise _fail(path, f"unsupported file type '{path.suffix}'; use one of {kinds}")
    try:
        with path.open("rb") as handle:
            head = handle.read(_CHUNK)
    except OSError as exc:
        raise _fail(path, f"cannot be read ({exc.strerror}); check its permissions") from None
    if not head.strip() and len(head) < _CHUNK:
        raise _fail(path, "is empty; export the records again")
    if head.startswith(b"PK\x03\x04"):
        reader = read_xlsx  # a workbook whatever its name says
    elif reader is sniff_format:
        reader = sniff_format(path)
    elif reader is not read_xlsx:
        reader = detect_format(path) or reader  # a MEDLINE file saved as .ris is read as MEDLINE
    try:
        table = reader(path)
    except OSError as exc:
        raise _fail(path, f"cannot be read ({exc.strerror}); check its permissions") from None
    return _standardise(table, path, source if source is not None else path.name)


def read_file(path: str | Path, *, source: str | None = None) -> pd.DataFrame:
    """Read one file of records into the records table (``RECORD_COLUMNS`` then labels)."""
    return parse_file(path, source=source).records


def read_records(paths: Sequence[str | Path]) -> pd.DataFrame:
    """Read and concatenate several files; duplicates are kept (see ``screener.dedup``).

    When record ids collide across files, every id is prefixed with its file stem and ':'.
    """
    if not paths:
        raise DataError("no input files given; pass at least one records file")
    frames = [read_file(p) for p in paths]
    ids = pd.concat([f["record_id"] for f in frames], ignore_index=True)
    if ids.duplicated().any():
        stems: list[str] = []
        for p in paths:
            stem, n = Path(p).stem, 2
            label = stem
            while label in stems:
                label, n = f"{stem}_{n}", n + 1
            stems.append(label)
        for frame, stem in zip(frames, stems):
            frame["record_id"] = stem + ":" + frame["record_id"]
    records = pd.concat(frames, ignore_index=True)
    for col in records.columns[len(RECORD_COLUMNS):]:
        records[col] = records[col].astype("Int64")
    for col in TEXT_COLUMNS:
        records[col] = records[col].fillna("").astype(str)
    return records
