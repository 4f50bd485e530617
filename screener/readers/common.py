"""Shared by every reader: the records table's columns, column aliases, label values, decoding and the one-line error."""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from screener.errors import DataError
from screener.labels import LABEL_COLUMN

RECORD_COLUMNS = [
    "record_id", "title", "abstract", "keywords", "authors",
    "year", "doi", "pmid", "journal", "volume", "issue", "pages", "source_ids", "source",
]

TEXT_COLUMNS = [c for c in RECORD_COLUMNS if c != "year"]

# Canonical column ← accepted header names; compared after ``_header_key``.
ALIASES: dict[str, list[str]] = {
    "record_id": ["record_id", "id", "key", "covidence #", "covidence number", "ref id",
                  "reference id", "record number", "rec number"],
    "title": ["title", "ti", "primary_title", "article title", "document title", "item title",
              "publication title en"],
    "abstract": ["abstract", "ab", "notes_abstract", "abstract note"],
    "keywords": ["keywords", "author keywords", "kw", "manual tags", "index keywords", "de",
                 "author keywords (de)", "ieee terms", "mesh terms", "emtree drug index terms"],
    "authors": ["authors", "author", "au", "author full names", "author names", "author/s",
                "author(s)", "authors full names", "author name"],
    "year": ["year", "publication year", "py", "date", "publication date", "published year",
             "year published", "date published"],
    "doi": ["doi", "do", "di", "item doi", "doi link", "digital object identifier"],
    "pmid": ["pmid", "pubmed id", "pm", "medline pmid", "pubmed"],
    "journal": ["journal", "source title", "publication title", "t2", "so",
                "secondary_title", "journal_name", "journal title", "source/publisher",
                "journal/book"],
    "volume": ["volume", "vl", "vol", "journal volume"],
    "issue": ["issue", "is", "ip", "issue number", "issue no", "issue no.", "journal issue"],
    "pages": ["pages", "page", "page numbers", "pagination", "page range"],
    # Scopus, Embase, Lens, IEEE and WoS tab-delimited give the first and last page apart.
    "page_start": ["page start", "start page", "first page", "bp", "beginning page"],
    "page_end": ["page end", "end page", "last page", "ep", "ending page"],
    "source_ids": ["source_ids", "source ids", "eid", "ut", "ut (unique wos id)", "accession number",
                   "embase accession number", "embase accession id", "pui", "lens id", "pmcid", "pmc id",
                   "wos id", "unique wos id", "article number"],
    LABEL_COLUMN: [LABEL_COLUMN, "included", "label", "include", "final_included",
                       "asreview label", "inclusion"],
}

LABEL_VALUES: dict[str, int] = {
    "1": 1, "0": 0, "1.0": 1, "0.0": 0, "yes": 1, "no": 0, "y": 1, "n": 0,
    "true": 1, "false": 0, "include": 1, "exclude": 0, "included": 1, "excluded": 0,
    "relevant": 1, "irrelevant": 0,
}

# Values that mean "not labelled yet": <NA> without counting as unrecognised.
LABEL_MISSING = {"", "nan", "na", "n/a", "<na>", "none", "null", "-1", "-1.0", "?",
                 "maybe", "unsure", "undecided", "unlabeled", "unlabelled", "not seen"}


def _header_key(name: object) -> str:
    return re.sub(r"[\s_.]+", "", str(name).lstrip("\ufeff")).lower()


_ALIAS_KEYS = {canon: [_header_key(a) for a in names] for canon, names in ALIASES.items()}

_WANTED_KEYS = {key for keys in _ALIAS_KEYS.values() for key in keys}


def _fail(path: Path, problem: str) -> DataError:
    """A one-line DataError naming the file (quoted file content cannot break the line)."""
    return DataError(re.sub(r"[\r\n\x0b\x0c\x1c-\x1e\x85\u2028\u2029]+", " ",
                            f"{path.name}: {problem}"))


_CHUNK = 1 << 20


def _decodes(path: Path, enc: str) -> bool:
    """Whether the whole file decodes as ``enc`` (streamed: no copy of the file in memory)."""
    decoder = codecs.getincrementaldecoder(enc)()
    with path.open("rb") as handle:
        try:
            while chunk := handle.read(_CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return False
    return True


_UTF8_PAIR = re.compile(rb"[\xc3\xc5][\x80-\xbf]|\xe2\x80[\x90-\xbf]")


def _refuse_mixed_utf8(path: Path) -> None:
    """A file that is not UTF-8 yet holds UTF-8 letters (é as C3 A9) mixes two encodings:
    read either way, some of its text would be garbled."""
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, 1):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                bad = number, exc.start
                break
        else:
            return
        handle.seek(0)
        data = handle.read()
    if _UTF8_PAIR.search(data):
        raise _fail(path, f"mixes UTF-8 with another encoding (line {bad[0]}, byte {bad[1] + 1} is "
                          "not UTF-8, other lines are); re-save the whole file as UTF-8")


def _encoding(path: Path) -> str:
    """The encoding of a text file: UTF-8 (BOM or not), UTF-16 with BOM, else cp1252/Latin-1."""
    with path.open("rb") as handle:
        head = handle.read(65536)
        has_nul = b"\x00" in head or any(b"\x00" in chunk for chunk in iter(
            lambda: handle.read(_CHUNK), b""))
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        candidates = ["utf-16"]
    elif has_nul:
        raise _fail(path, "looks like a binary file (NUL bytes), not text; "
                          "export it as CSV, RIS or MEDLINE")
    else:
        candidates = ["utf-8-sig", "cp1252", "latin-1"]
        if not _decodes(path, "utf-8-sig"):
            _refuse_mixed_utf8(path)
    for enc in candidates:
        if not _decodes(path, enc):
            continue
        text = head[:4096].decode(enc, errors="replace")
        controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\t\n\r\f")
        if controls > max(2, len(text) // 20):
            break
        return enc
    raise _fail(path, "is not readable as text (binary content or unknown encoding); "
                      "export it as UTF-8 CSV, RIS or MEDLINE")


def _lines(path: Path, enc: str) -> Iterator[str]:
    """Lines of the file, decoded lazily (universal newlines, no trailing newline)."""
    with path.open(encoding=enc, newline=None) as handle:
        for line in handle:
            yield line.rstrip("\n")


def _head(path: Path, enc: str, n: int = 50) -> list[str]:
    """The first ``n`` non-blank lines (from the first 64 KiB), for sniffing."""
    with path.open("rb") as handle:
        text = handle.read(65536).decode(enc, errors="replace")
    text = text.removeprefix("\ufeff")
    return [ln for ln in text.splitlines()[:n] if ln.strip()]


@dataclass(frozen=True, eq=False)
class RawTable:
    """What a format reader returns: the rows as read, and what standardising them needs to know.

    ``incidental_ids``: the ids came with tagged records (RIS, MEDLINE, BibTeX...), so repeated
    ones are replaced by row numbers instead of refused. ``raw_format``/``raw``: the original
    fields of each row (JSON), kept for export. ``all_columns``: every header of a delimited
    file, also the ones not read (named in the error when no title column is found).
    """

    table: pd.DataFrame
    incidental_ids: bool = False
    raw_format: str | None = None
    raw: list[str] | None = None
    all_columns: list[str] | None = None


@dataclass(frozen=True, eq=False)
class ParsedFile:
    """One file read: its records table and what came with it.

    ``records``: ``RECORD_COLUMNS`` then labels (what ``read_file`` returns). ``raw_format`` and
    ``raw``: the original fields of each record as JSON, one per row of ``records`` (RIS and
    MEDLINE; ``None`` for other formats). ``blank_rows``: rows skipped because every field was empty.
    """

    records: pd.DataFrame
    raw_format: str | None = None
    raw: list[str] | None = None
    blank_rows: int = 0


def _tagged(table: pd.DataFrame, raw_format: str | None = None, entries: list | None = None) -> RawTable:
    """Rows of a tagged format (ids incidental), with their original fields as JSON when given."""
    raw = None if entries is None else [json.dumps(e, ensure_ascii=False) for e in entries]
    return RawTable(table, incidental_ids=True, raw_format=raw_format if raw is not None else None, raw=raw)


_DOI_ANYWHERE = re.compile(r"\b(10\.\d{4,9}/[^\s\"<>;]+)", re.IGNORECASE)

_PMID = re.compile(r"^\s*(?:pmid:?\s*)?(\d{1,9})\s*$", re.IGNORECASE)

_PMID_IN_NOTE = re.compile(r"PMID:?\s*(\d{1,9})", re.IGNORECASE)

_DOI_IN_URL = re.compile(r"doi\.org/(10\.\S+)", re.IGNORECASE)


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return "; ".join(s for s in (str(v).strip() for v in value) if s)
    return str(value).strip()


def _xml_text(node) -> str:
    return " ".join("".join(node.itertext()).split()) if node is not None else ""


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__
