"""Files → one records table: CSV, TSV, XLSX, RIS, Web of Science and PubMed MEDLINE.

Every reader returns a raw frame; ``_standardise`` maps column aliases, cleans
text, normalises DOIs, years and labels, and settles record ids, so all formats
end up with the same columns and dtypes (``RECORD_COLUMNS`` then labels).
Bad input always becomes a one-line ``DataError`` naming the file.
"""

from __future__ import annotations

import codecs
import csv
import json
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import rispy

from screener.errors import DataError

RECORD_COLUMNS = [
    "record_id", "title", "abstract", "keywords", "authors",
    "year", "doi", "pmid", "journal", "volume", "pages", "source_ids", "source",
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
    "volume": ["volume", "vl", "vol"],
    "pages": ["pages", "page", "page numbers", "pagination", "page range"],
    "source_ids": ["source_ids", "source ids", "eid", "ut", "ut (unique wos id)", "accession number", "embase accession number",
                   "lens id", "pmcid", "pmc id", "wos id", "unique wos id", "article number"],
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

    _check_field_counts(path, enc, sep)
    try:
        table = pd.read_csv(path, sep=sep, encoding=enc, dtype=str, usecols=wanted, index_col=False,
                            keep_default_na=False, skip_blank_lines=True)
    except pd.errors.EmptyDataError:
        raise _fail(path, "is empty; export the records again") from None
    except Exception as exc:  # pandas raises many types for malformed text
        raise _fail(path, f"cannot be parsed as a delimited table ({_first_line(exc)}); "
                          "check quoting or re-export it") from None
    table.attrs["all_columns"] = seen
    return table


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
    "volume": ["volume"],
    "pages": ["start_page", "beginning_page"],
}
# Where RIS writers put a DOI when DO is not used (EBSCOhost: L3; others: M3, N1, UR).
_RIS_DOI_FALLBACK = ["l3_links", "type_of_work", "urls", "notes"]
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
        if match and (labelled or "medline" in database or "pubmed" in database) or (match := _PMID_IN_NOTE.search(_text(entry.get("notes")))):
            row["pmid"] = match.group(1)
    if not row["doi"]:
        for key in _RIS_DOI_FALLBACK:
            if match := _DOI_ANYWHERE.search(_text(entry.get(key))):
                row["doi"] = match.group(1).rstrip(".,")
                break
    end = _text(entry.get("end_page") or entry.get("ending_page"))
    if row["pages"] and end and end != row["pages"]:
        row["pages"] = f"{row['pages']}-{end}"
    ids = [_text(entry.get(k)) for k in ("accession_number", "id")]
    database = _text(entry.get("name_of_database"))
    row["source_ids"] = "; ".join(dict.fromkeys(
        f"{database}:{v}" if database and k == 0 else v for k, v in enumerate(ids) if v))
    return row


def _asreview_label(entry: dict) -> str:
    """ASReview's RIS export keeps its decision in the notes (N1)."""
    notes = _text(entry.get("notes"))
    if "ASReview_relevant" in notes:
        return "1"
    if "ASReview_irrelevant" in notes:
        return "0"
    return ""


def _check_ends(path: Path, enc: str, start: str, end: str) -> None:
    """Every record that starts (``start`` tag) ends (``end`` tag): a cut file is refused."""
    starts = ends = 0
    start_re, end_re = re.compile(rf"^\ufeff?{start}(?:  -| |$)"), re.compile(rf"^{end}(?:  -| |$)")
    for number, line in enumerate(_lines(path, enc), 1):
        if start_re.match(line):
            if starts > ends:
                raise _fail(path, f"line {number}: a record starts before the previous one has its "
                                  f"{end} line; the file is malformed, re-export it")
            starts += 1
        elif end_re.match(line):
            ends += 1
    if starts > ends:
        raise _fail(path, f"the last record has no {end} line; the file looks truncated, re-export it")


_RIS_TAG = re.compile(r"^([A-Z][A-Z0-9])  -(?: ?(.*))?$")


def ris_pairs(path: Path, enc: str) -> list[list[list[str]]]:
    """Every RIS record as its original ``[tag, value]`` pairs (continuation lines joined),
    checked: a record without its ER line (a cut or malformed file) is refused."""
    entries: list[list[list[str]]] = []
    current: list[list[str]] | None = None
    for number, line in enumerate(_lines(path, enc), 1):
        match = _RIS_TAG.match(line.lstrip("\ufeff"))
        if match is None:
            if current and line.strip():
                current[-1][1] += " " + line.strip()
            continue
        tag, value = match.group(1), (match.group(2) or "").strip()
        if tag == "TY":
            if current is not None:
                raise _fail(path, f"line {number}: a record starts before the previous one has its "
                                  "ER line; the file is malformed, re-export it")
            current = [[tag, value]]
        elif tag == "ER":
            if current is not None:
                entries.append(current)
            current = None
        elif current is not None:
            current.append([tag, value])
    if current is not None:
        raise _fail(path, "the last record has no ER line; the file looks truncated, re-export it")
    return entries


def _parse_tagged(path: Path, implementation: type[rispy.RisParser]) -> pd.DataFrame:
    enc = _encoding(path)
    raw = None
    if implementation is rispy.RisParser:
        raw = ris_pairs(path, enc)
        mapping = {**rispy.RisParser.DEFAULT_MAPPING, "L3": "l3_links"}
    else:
        _check_ends(path, enc, "PT", "ER")
        mapping = None
    lines = _lines(path, enc)
    try:
        entries = implementation(skip_unknown_tags=True, mapping=mapping).parse_lines(lines)
    except Exception as exc:  # rispy has no error type of its own for malformed input
        raise _fail(path, f"is malformed ({_first_line(exc)}); re-export it") from None
    if not entries:
        raise _fail(path, f"contains no {implementation.START_TAG} records; "
                          "check that it is a RIS/Web of Science export")
    table = _incidental_ids(pd.DataFrame([_ris_record(e) for e in entries], dtype=str))
    if raw is not None and len(raw) == len(table):
        _keep_raw(table, "ris", raw)
    return table


def _keep_raw(table: pd.DataFrame, fmt: str, entries: list) -> None:
    """The original fields of each row (JSON), for export: ``attrs['raw_format']``, ``attrs['raw']``."""
    table.attrs["raw_format"] = fmt
    table.attrs["raw"] = [json.dumps(e, ensure_ascii=False) for e in entries]


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
        "volume": first("VI"),
        "pages": first("PG"),
        "source_ids": "; ".join(f"{tag}:{v}" for tag in ("PMC", "MID") for v in entry.get(tag, [])),
    }


def read_medline(path: Path) -> pd.DataFrame:
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
    table = _incidental_ids(pd.DataFrame(rows, dtype=str))
    _keep_raw(table, "medline", entries)
    return table


# --- BibTeX, EndNote XML, EndNote tagged ---------------------------------------------------

# Canonical field ← BibTeX field names (Scopus, WoS, Mendeley, Zotero, JabRef), first non-empty wins.
BIBTEX_FIELDS: dict[str, list[str]] = {
    "title": ["title"], "abstract": ["abstract"], "keywords": ["keywords", "author_keywords", "mesh"],
    "authors": ["author", "editor"], "year": ["year", "date"], "doi": ["doi"], "pmid": ["pmid"],
    "journal": ["journal", "journaltitle", "booktitle", "publisher"], "volume": ["volume"],
    "pages": ["pages"],
}
_BIBTEX_IDS = ["unique-id", "eid", "pmcid", "isi", "accession-number", "art_number", "wos-id"]


def read_bibtex(path: Path) -> pd.DataFrame:
    """BibTeX export (Scopus, Web of Science, Mendeley, Zotero), LaTeX accents decoded."""
    import bibtexparser
    from bibtexparser.middlewares import LatexDecodingMiddleware

    enc = _encoding(path)
    text = path.read_text(encoding=enc)
    library = bibtexparser.parse_string(text, append_middleware=[LatexDecodingMiddleware()])
    if library.failed_blocks:
        block = library.failed_blocks[0]
        raise _fail(path, f"line {block.start_line + 1}: a BibTeX entry cannot be parsed "
                          f"({_first_line(block.error) if hasattr(block, 'error') else 'cut off'}); "
                          "the file looks truncated or malformed, re-export it")
    rows = []
    for entry in library.entries:
        fields = {k.lower(): str(v.value) for k, v in entry.fields_dict.items()}
        row = {canon: next((fields[k] for k in keys if fields.get(k, "").strip()), "")
               for canon, keys in BIBTEX_FIELDS.items()}
        row["authors"] = "; ".join(a.strip() for a in re.split(r"\s+and\s+", row["authors"]) if a.strip())
        row["title"] = re.sub(r"[{}]", "", row["title"])
        row["pages"] = row["pages"].replace("–", "-").replace("--", "-")
        row["record_id"] = entry.key
        row["source_ids"] = "; ".join(fields[k] for k in _BIBTEX_IDS if fields.get(k, "").strip())
        rows.append(row)
    if not rows:
        raise _fail(path, "contains no BibTeX entries (no '@article{...}' blocks); check the export")
    return _incidental_ids(pd.DataFrame(rows, dtype=str))


def _xml_text(node) -> str:
    return " ".join("".join(node.itertext()).split()) if node is not None else ""


def read_endnote_xml(path: Path) -> pd.DataFrame:
    """EndNote XML export (File > Export > XML, EndNote 8 onwards)."""
    import xml.etree.ElementTree as ET

    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as exc:
        raise _fail(path, f"is not well-formed XML ({exc}); the file looks truncated or damaged, "
                          "export it from EndNote again") from None
    rows = []
    for rec in root.iter("record"):
        def text(xpath: str, rec=rec) -> str:
            return _xml_text(rec.find(xpath))

        def texts(xpath: str, rec=rec) -> list[str]:
            return [t for t in (_xml_text(n) for n in rec.findall(xpath)) if t]

        ids = [f"{text('remote-database-name') or 'accession'}:{text('accession-num')}"
               if text("accession-num") else "", text("rec-number")]
        rows.append({
            "record_id": text("rec-number"),
            "title": text("titles/title"),
            "abstract": text("abstract"),
            "keywords": "; ".join(texts("keywords/keyword")),
            "authors": "; ".join(texts("contributors/authors/author")),
            "year": text("dates/year"),
            "doi": text("electronic-resource-num"),
            "pmid": "",
            "journal": text("periodical/full-title") or text("titles/secondary-title")
                       or text("periodical/abbr-1"),
            "volume": text("volume"),
            "pages": text("pages"),
            "source_ids": "; ".join(i for i in ids[:1] if i),
            "notes": text("notes"),
        })
    if not rows:
        raise _fail(path, "contains no EndNote <record> elements; export the library as EndNote XML")
    table = pd.DataFrame(rows, dtype=str)
    pmid = table["source_ids"].str.extract(r"(?i)(?:medline|pubmed)[^:]*:(\d{1,9})\b", expand=False)
    table["pmid"] = pmid.fillna(table["notes"].str.extract(_PMID_IN_NOTE, expand=False)).fillna("")
    return _incidental_ids(table.drop(columns="notes"))


# EndNote tagged ("Refer"/.end/.enw): %0 starts a record; one tag per line.
_REFER_FIELDS = {"%T": "title", "%X": "abstract", "%K": "keywords", "%A": "authors", "%D": "year",
                 "%R": "doi", "%J": "journal", "%B": "journal", "%V": "volume", "%P": "pages",
                 "%M": "source_ids", "%F": "record_id"}


def read_endnote_tagged(path: Path) -> pd.DataFrame:
    """EndNote tagged export (.enw, .end, Refer): ``%0`` starts each record."""
    enc = _encoding(path)
    rows: list[dict[str, list[str]]] = []
    last = None
    for line in _lines(path, enc):
        tag = line[:2]
        if tag == "%0":
            rows.append({})
            last = None
        elif re.match(r"^%[A-Z0-9@!#$&()*+^~>|?\]\[]\s", line) and rows:
            last = _REFER_FIELDS.get(tag)
            if last:
                rows[-1].setdefault(last, []).append(line[3:].strip())
        elif line.strip() and rows and last:
            rows[-1][last][-1] += " " + line.strip()
    if not rows:
        raise _fail(path, "contains no EndNote tagged records (no '%0 ' lines); check the export")
    joined = [{k: ("; " if k in ("authors", "keywords", "source_ids") else " ").join(v)
               if k not in ("journal", "record_id", "year", "doi") else v[0] for k, v in r.items()}
              for r in rows]
    return _incidental_ids(pd.DataFrame(joined, dtype=str).fillna(""))


# Ovid: records start with "<N>" lines. Tagged ("Citation Manager"/"Ovid tagged"): "TI  - value";
# display (the default "Ovid" format): a field name on its own line, its value indented below it.
_OVID_START = re.compile(r"^\ufeff?\s*<(\d+)>\s*$")
_OVID_TAG = re.compile(r"^([A-Z][A-Z0-9]{1,3})\s{1,3}-(?: (.*))?$")
_OVID_FIELDS = {  # canonical column <- Ovid tag and display names (lower case), first found wins
    "title": ["ti", "title"],
    "abstract": ["ab", "abstract"],
    "authors": ["au", "authors", "author", "a1"],
    "keywords": ["kw", "keyword heading", "keywords", "mh", "mesh subject headings"],
    "year": ["yr", "year of publication", "publication year", "py"],
    "doi": ["do", "digital object identifier", "doi"],
    "pmid": ["pm", "pubmed id", "medline pmid", "pmid", "ui", "unique identifier"],
    "journal": ["jn", "journal name", "journal title", "ja", "journal abbreviation"],
    "volume": ["vo", "volume"],
    "pages": ["pg", "pagination", "pages"],
    "accession": ["an", "accession number", "ui", "unique identifier"],
    "database": ["db", "database"],
    "source": ["so", "source"],
}
_OVID_LIST = {"authors", "keywords"}


def _ovid_entries(path: Path) -> tuple[list[dict[str, list[str]]], bool]:
    """Records as {field name (lower case): values}, and whether they were tagged (not display)."""
    lines = list(_lines(path, _encoding(path)))
    starts = [i for i, ln in enumerate(lines) if _OVID_START.match(ln)]
    tagged = any(_OVID_TAG.match(ln) for ln in lines[starts[0]:starts[0] + 40]) if starts else False
    entries, numbers = [], []
    for k, first in enumerate(starts):
        numbers.append(int(_OVID_START.match(lines[first]).group(1)))
        entry: dict[str, list[str]] = {}
        name = None
        for line in lines[first + 1:starts[k + 1] if k + 1 < len(starts) else len(lines)]:
            tag = _OVID_TAG.match(line) if tagged else None
            if tag:
                name = tag.group(1).lower()
                entry.setdefault(name, []).append((tag.group(2) or "").strip())
            elif not line.strip():
                continue
            elif tagged or line[:1].isspace():  # a continuation (tagged) or a value line (display)
                if name is None:
                    continue
                if tagged:
                    entry[name][-1] = (entry[name][-1] + " " + line.strip()).strip()
                else:
                    entry[name].append(line.strip())
            else:  # display: a field name
                name = line.strip().lower()
                entry.setdefault(name, [])
        entries.append(entry)
    if numbers and numbers != list(range(numbers[0], numbers[0] + len(numbers))):
        gap = next(b for a, b in zip(numbers, numbers[1:]) if b != a + 1)
        raise _fail(path, f"Ovid record <{gap}> does not follow the one before it; the file is incomplete "
                          "or edited, export it again")
    return entries, tagged


def _ovid_record(entry: dict[str, list[str]], tagged: bool) -> dict[str, str]:
    def values(canon: str) -> list[str]:
        return next((v for v in (entry.get(k) for k in _OVID_FIELDS[canon]) if v and any(v)), [])

    row = {}
    for canon in _OVID_FIELDS:
        got = [v for v in values(canon) if v]
        if canon in _OVID_LIST:
            if not tagged and len(got) == 1 and canon == "authors":  # display: "Smith J. Jones K."
                got = [a.strip() for a in re.split(r"(?<=\.)\s+(?=[A-Z][^\s.]*,?\s)", got[0]) if a.strip()]
            row[canon] = "; ".join(a.rstrip(".") if canon == "authors" else a for a in got)
        else:
            row[canon] = " ".join(got)
    source = row.pop("source")
    database = row.pop("database")
    accession = row.pop("accession")
    if not row["journal"] and source:
        row["journal"] = source.split(". ")[0].strip()
    if not row["year"] and (match := re.search(r"\b(1[89]\d\d|20\d\d)\b", source)):
        row["year"] = match.group(1)
    row["year"] = (re.search(r"\b(1[89]\d\d|20\d\d)\b", row["year"]) or [""])[0]
    if match := _DOI_ANYWHERE.search(row["doi"] or source):
        row["doi"] = match.group(1).rstrip(".,")
    if not row["pmid"] and accession and "medline" in database.lower():
        row["pmid"] = (_PMID.match(accession) or [None, ""])[1]
    row["source_ids"] = f"{database or 'Ovid'}:{accession}" if accession else ""
    return row


def read_ovid(path: Path) -> pd.DataFrame:
    """Ovid exports (MEDLINE, Embase, PsycINFO...), tagged or display format: ``<1>`` starts each record."""
    entries, tagged = _ovid_entries(path)
    if not entries:
        raise _fail(path, "contains no Ovid records (no '<1>' lines); export from Ovid again")
    rows = [_ovid_record(e, tagged) for e in entries]
    # No end marker: a cut file shows as a last record missing a field every other record has.
    if len(entries) > 1:
        common = set.intersection(*(set(k for k, v in e.items() if any(v)) for e in entries[:-1]))
        missing = sorted(common - {k for k, v in entries[-1].items() if any(v)})
        if missing:
            raise _fail(path, f"the last Ovid record has no {', '.join(missing)} although every other one "
                              "does; the file looks truncated, export it again")
    if not all(r["title"] or r["abstract"] for r in rows):
        raise _fail(path, "has an Ovid record without a title or abstract; export with the complete reference")
    return _incidental_ids(pd.DataFrame(rows, dtype=str))


_RDF = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"
_NS = {"rdf": _RDF[1:-1], "z": "http://www.zotero.org/namespaces/export#", "dc": "http://purl.org/dc/elements/1.1/",
       "dcterms": "http://purl.org/dc/terms/", "bib": "http://purl.org/net/biblio#",
       "foaf": "http://xmlns.com/foaf/0.1/", "prism": "http://prismstandard.org/namespaces/1.2/basic/"}
_ZOTERO_SKIP = {"attachment", "note"}


def read_zotero_rdf(path: Path) -> pd.DataFrame:
    """Zotero RDF export (File > Export Library > Zotero RDF); notes and attachments are not records."""
    import xml.etree.ElementTree as ET

    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as exc:
        raise _fail(path, f"is not well-formed XML ({exc}); the file looks truncated or damaged, "
                          "export it from Zotero again") from None
    about = {node.get(f"{_RDF}about"): node for node in root}
    rows = []
    for item in root:
        kind = _xml_text(item.find("z:itemType", _NS))
        if not kind or kind in _ZOTERO_SKIP:
            continue

        def text(xpath: str, node=item) -> str:
            return _xml_text(node.find(xpath, _NS))

        container = item.find("dcterms:isPartOf", _NS)
        if container is not None and len(container) == 0:
            container = about.get(container.get(f"{_RDF}resource"))
        elif container is not None:
            container = container[0]
        authors = []
        for person in item.findall("bib:authors/rdf:Seq/rdf:li/foaf:Person", _NS):
            surname, given = text("foaf:surname", person), text("foaf:givenName", person)
            authors.append(f"{surname}, {given}" if given else surname)
        identifiers = [_xml_text(n) for n in item.findall("dc:identifier", _NS)]
        identifiers += [_xml_text(n) for n in item.findall("dc:identifier/dcterms:URI/rdf:value", _NS)]
        extra = " ".join(_xml_text(n) for n in item.findall("dc:description", _NS))
        doi = next((m.group(1) for i in identifiers + [item.get(f"{_RDF}about") or "", extra]
                    if (m := _DOI_ANYWHERE.search(i))), "")
        pmid = _PMID_IN_NOTE.search(extra)
        year = re.search(r"\b(1[89]\d\d|20\d\d)\b", text("dc:date"))
        rows.append({
            "title": text("dc:title"),
            "abstract": text("dcterms:abstract"),
            "keywords": "; ".join(t for t in (_xml_text(n) for n in item.findall("dc:subject", _NS)) if t),
            "authors": "; ".join(authors),
            "year": year.group(1) if year else "",
            "doi": doi.rstrip(".,"),
            "pmid": pmid.group(1) if pmid else "",
            "journal": text("dc:title", container) if container is not None else "",
            "volume": text("prism:volume") or (text("prism:volume", container) if container is not None else ""),
            "pages": text("bib:pages"),
            "source_ids": "",
        })
    if not rows:
        raise _fail(path, "contains no Zotero items (no <z:itemType> elements); export as Zotero RDF")
    return _incidental_ids(pd.DataFrame(rows, dtype=str))


# --- sniffing and registry -----------------------------------------------------------------

def detect_format(path: Path) -> Callable[[Path], pd.DataFrame] | None:
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


def sniff_format(path: Path) -> Callable[[Path], pd.DataFrame]:
    """The reader for a file whose extension does not say (e.g. ``.txt``), chosen by content."""
    found = detect_format(path)
    if found is not None:
        return found
    head = _head(path, _encoding(path), 1)
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
    ".isi": read_wos,
    ".bib": read_bibtex,
    ".bibtex": read_bibtex,
    ".xml": read_endnote_xml,
    ".rdf": read_zotero_rdf,
    ".enw": read_endnote_tagged,
    ".end": read_endnote_tagged,
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
    id_column = None if raw.attrs.get("incidental_ids") else found["record_id"]
    out["record_id"] = _record_ids(out["record_id"], path, id_column)
    # A row with nothing in any column read (",,,," lines): skipped and counted, not a record.
    blank = (raw.astype("object").where(raw.notna(), "").astype(str).apply(lambda c: c.str.strip())
             == "").all(axis=1).to_numpy() if len(raw.columns) else np.zeros(len(raw), dtype=bool)
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
    if blank.all():
        raise _fail(path, f"has {len(out)} row(s) but every one is blank; export the records again")
    raw_entries = raw.attrs.get("raw")
    out = out[~blank].reset_index(drop=True)
    out.attrs["blank_rows"] = int(blank.sum())  # skipped, reported by the caller
    if raw_entries is not None:
        out.attrs["raw_format"] = raw.attrs["raw_format"]
        out.attrs["raw"] = [r for r, b in zip(raw_entries, blank) if not b]
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
    elif reader is not read_xlsx:
        reader = detect_format(path) or reader  # a MEDLINE file saved as .ris is read as MEDLINE
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
