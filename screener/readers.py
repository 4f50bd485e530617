"""Files → one records table: CSV, TSV, XLSX, RIS, Web of Science and PubMed MEDLINE.

Every reader returns a raw frame; ``_standardise`` maps column aliases, cleans
text, normalises DOIs, years and labels, and settles record ids, so all formats
end up with the same columns and dtypes (``RECORD_COLUMNS`` then labels).
Bad input always becomes a one-line ``DataError`` naming the file.
"""

from __future__ import annotations

import codecs
import itertools
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

import pandas as pd
import rispy

from screener.errors import DataError

RECORD_COLUMNS = [
    "record_id", "title", "abstract", "keywords", "authors",
    "year", "doi", "pmid", "journal", "source",
]
TEXT_COLUMNS = [c for c in RECORD_COLUMNS if c != "year"]

# Canonical column ← accepted header names; compared after ``_header_key``.
ALIASES: dict[str, list[str]] = {
    "record_id": ["record_id", "id", "key", "covidence #", "covidence number", "ref id",
                  "reference id", "record number", "rec number"],
    "title": ["title", "ti", "primary_title", "article title", "document title"],
    "abstract": ["abstract", "ab", "notes_abstract", "abstract note"],
    "keywords": ["keywords", "author keywords", "kw", "manual tags", "index keywords", "de"],
    "authors": ["authors", "author", "au", "author full names"],
    "year": ["year", "publication year", "py", "date", "publication date"],
    "doi": ["doi", "do", "di"],
    "pmid": ["pmid", "pubmed id", "pm"],
    "journal": ["journal", "source title", "publication title", "t2", "so",
                "secondary_title", "journal_name"],
    "label_included": ["label_included", "included", "label", "include", "final_included",
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


# --- decoding ------------------------------------------------------------------------------

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
    if text.startswith("\ufeff"):
        text = text[1:]
    return [ln for ln in text.splitlines()[:n] if ln.strip()]


# --- tabular -------------------------------------------------------------------------------

def _delimiter(header: str, allowed: str) -> str:
    counts = {sep: header.count(sep) for sep in allowed}
    best = max(counts, key=counts.get)
    return best if counts[best] else allowed[0]


def _read_delimited(path: Path, allowed: str) -> pd.DataFrame:
    enc = _encoding(path)
    head = _head(path, enc, 1)
    sep = _delimiter(head[0] if head else "", allowed)
    seen: list[str] = []

    def wanted(name: str) -> bool:  # only mapped columns are read: exports carry dozens
        seen.append(name)
        return _header_key(name) in _WANTED_KEYS or str(name).lower().startswith("label_")

    try:
        table = pd.read_csv(path, sep=sep, encoding=enc, dtype=str, usecols=wanted,
                            keep_default_na=False, skip_blank_lines=True)
    except pd.errors.EmptyDataError:
        raise _fail(path, "is empty; export the records again") from None
    except Exception as exc:  # pandas raises many types for malformed text
        raise _fail(path, f"cannot be parsed as a delimited table ({_first_line(exc)}); "
                          "check quoting or re-export it") from None
    table.attrs["all_columns"] = seen
    return table


def read_csv(path: Path) -> pd.DataFrame:
    """Comma- (or semicolon-) separated table."""
    return _read_delimited(path, ",;\t")


def read_tsv(path: Path) -> pd.DataFrame:
    """Tab-separated table."""
    return _read_delimited(path, "\t")


def read_xlsx(path: Path) -> pd.DataFrame:
    """First sheet of an Excel workbook."""
    try:
        return pd.read_excel(path, dtype=str, keep_default_na=False, engine="openpyxl")
    except Exception as exc:  # zipfile, openpyxl and pandas errors alike
        raise _fail(path, f"is not a readable .xlsx workbook ({_first_line(exc)}); "
                          "re-save it from Excel as .xlsx or export it as CSV") from None


def _incidental_ids(table: pd.DataFrame) -> pd.DataFrame:
    """Mark ids that came with tagged records: repeated ones are replaced, not an error."""
    table.attrs["incidental_ids"] = True
    return table


# --- RIS and Web of Science ----------------------------------------------------------------

# Canonical field ← rispy keys (RIS and Web of Science names), first non-empty wins.
RIS_FIELDS: dict[str, list[str]] = {
    "title": ["primary_title", "title", "document_title", "translated_title"],
    "abstract": ["abstract", "notes_abstract"],
    "keywords": ["keywords", "author_keywords", "keywords_plus"],
    "authors": ["author_full_name", "authors", "first_authors"],
    "year": ["year", "publication_year", "date"],
    "doi": ["doi"],
    "journal": ["journal_name", "secondary_title", "alternate_title1", "alternate_title3",
                "alternate_title2", "publication_name"],
    "pmid": ["pubmed_id"],
    "record_id": ["id", "accession_number"],
}
_PMID = re.compile(r"^\s*(?:pmid:?\s*)?(\d{1,9})\s*$", re.IGNORECASE)
_PMID_IN_NOTE = re.compile(r"PMID:?\s*(\d{1,9})", re.IGNORECASE)
_DOI_IN_URL = re.compile(r"doi\.org/(10\.\S+)", re.IGNORECASE)


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return "; ".join(s for s in (str(v).strip() for v in value) if s)
    return str(value).strip()


def _ris_record(entry: dict) -> dict[str, str]:
    row = {}
    for canon, keys in RIS_FIELDS.items():
        row[canon] = next((t for t in (_text(entry.get(k)) for k in keys) if t), "")
    if canon_label := _asreview_label(entry):
        row["label_included"] = canon_label
    if not row["pmid"]:
        accession = _text(entry.get("accession_number"))
        database = _text(entry.get("name_of_database")).lower()
        match = _PMID.match(accession)
        labelled = accession.strip().lower().startswith("pmid")
        if match and (labelled or "medline" in database or "pubmed" in database):
            row["pmid"] = match.group(1)
        elif match := _PMID_IN_NOTE.search(_text(entry.get("notes"))):
            row["pmid"] = match.group(1)
    if not row["doi"] and (match := _DOI_IN_URL.search(_text(entry.get("urls")))):
        row["doi"] = match.group(1)
    return row


def _asreview_label(entry: dict) -> str:
    """ASReview's RIS export keeps its decision in the notes (N1)."""
    notes = _text(entry.get("notes"))
    if "ASReview_relevant" in notes:
        return "1"
    if "ASReview_irrelevant" in notes:
        return "0"
    return ""


def _parse_tagged(path: Path, implementation: type[rispy.RisParser]) -> pd.DataFrame:
    enc = _encoding(path)
    # A closing tag appended for files whose last record lacks one; harmless otherwise.
    lines = itertools.chain(_lines(path, enc), [implementation.END_TAG + "  - "])
    try:
        entries = implementation(skip_unknown_tags=True).parse_lines(lines)
    except Exception as exc:  # rispy has no error type of its own for malformed input
        raise _fail(path, f"is malformed ({_first_line(exc)}); re-export it") from None
    if not entries:
        raise _fail(path, f"contains no {implementation.START_TAG} records; "
                          "check that it is a RIS/Web of Science export")
    return _incidental_ids(pd.DataFrame([_ris_record(e) for e in entries], dtype=str))


def read_ris(path: Path) -> pd.DataFrame:
    """RIS export (EndNote, Zotero, Scopus, EBSCOhost, Web of Science RIS)."""
    return _parse_tagged(path, rispy.RisParser)


def read_wos(path: Path) -> pd.DataFrame:
    """Web of Science plain-text (field-tagged) export."""
    return _parse_tagged(path, rispy.WokParser)


# --- PubMed MEDLINE ------------------------------------------------------------------------

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
    }


def read_medline(path: Path) -> pd.DataFrame:
    """PubMed MEDLINE / .nbib export (tag parser; PMID starts a record)."""
    enc = _encoding(path)
    rows = [_medline_record(e) for e in _medline_entries(_lines(path, enc)) if "PMID" in e
            or "TI" in e]
    if not rows:
        raise _fail(path, "contains no MEDLINE records (no 'PMID- ' lines); "
                          "export from PubMed with 'Format: PubMed'")
    return _incidental_ids(pd.DataFrame(rows, dtype=str))


# --- sniffing and registry -----------------------------------------------------------------

def sniff_format(path: Path) -> Callable[[Path], pd.DataFrame]:
    """The reader for a file whose extension does not say (e.g. ``.txt``), chosen by content."""
    head = _head(path, _encoding(path))
    if any(re.match(r"^TY  -", ln) for ln in head):
        return read_ris
    if any(ln.startswith("PMID-") for ln in head):
        return read_medline
    if head and re.match(r"^(FN|PT|VR) ", head[0]):
        return read_wos
    return read_tsv if head and "\t" in head[0] else read_csv


READERS: dict[str, Callable[[Path], pd.DataFrame]] = {
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
}


# --- standardising -------------------------------------------------------------------------

def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__


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


def _standardise(raw: pd.DataFrame, path: Path, source: str) -> pd.DataFrame:
    keys = {}
    for col in raw.columns:
        keys.setdefault(_header_key(col), col)
    found = {canon: next((keys[k] for k in alias_keys if k in keys), None)
             for canon, alias_keys in _ALIAS_KEYS.items()}
    if found["title"] is None and found["abstract"] is None:
        columns = raw.attrs.get("all_columns") or list(raw.columns)
        names = ", ".join(" ".join(str(c).split()) for c in columns[:20]) or "none"
        raise _fail(path, f"has no title or abstract column; found columns: {names}; "
                          "rename one to 'title'")
    if raw.empty:
        raise _fail(path, "has a header but no records; export the records again")
    out = pd.DataFrame(index=pd.RangeIndex(len(raw)))
    for canon in TEXT_COLUMNS:
        col = found.get(canon)
        out[canon] = _clean_text(raw[col].reset_index(drop=True)) if col is not None else ""
    out["doi"] = normalise_doi(out["doi"])
    out["pmid"] = out["pmid"].str.extract(r"^(?:pmid:?\s*)?(\d{1,9})(?:\.0)?$", flags=re.I,
                                          expand=False).fillna("")
    out["year"] = (normalise_year(raw[found["year"]].reset_index(drop=True))
                   if found["year"] is not None else pd.Series(pd.NA, index=out.index, dtype="Int64"))
    id_column = None if raw.attrs.get("incidental_ids") else found["record_id"]
    out["record_id"] = _record_ids(out["record_id"], path, id_column)
    out["source"] = source
    out = out[RECORD_COLUMNS]
    labels = {"label_included": found["label_included"]}
    for col in raw.columns:
        name = str(col).lstrip("\ufeff").strip()
        if name.lower().startswith("label_") and col != found["label_included"]:
            labels.setdefault(name, col)
    for name, col in labels.items():
        if col is None:
            continue
        try:
            out[name] = normalise_labels(raw[col].reset_index(drop=True).rename(col)).values
        except DataError as exc:
            raise _fail(path, str(exc)) from None
    return out


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


# --- public entry points -------------------------------------------------------------------

def read_file(path: str | Path, *, source: str | None = None) -> pd.DataFrame:
    """Read one file of records into the records table (``RECORD_COLUMNS`` then labels)."""
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
    try:
        table = reader(path)
    except OSError as exc:
        raise _fail(path, f"cannot be read ({exc.strerror}); check its permissions") from None
    return _standardise(table, path, source if source is not None else path.name)


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
