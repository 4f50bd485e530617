"""Tagged line formats: RIS, Web of Science (.ciw/.isi), EndNote tagged (Refer) and Ovid (tagged and display)."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import rispy

from screener.labels import LABEL_COLUMN
from screener.readers.common import (
    _DOI_ANYWHERE,
    _PMID,
    _PMID_IN_NOTE,
    RawTable,
    _encoding,
    _fail,
    _first_line,
    _lines,
    _tagged,
    _text,
)

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
    "issue": ["number", "issue"],
    "pages": ["start_page", "beginning_page"],
}

# rispy's RIS tags, with EBSCOhost's L3 (where it puts DOIs) read too.
RIS_MAPPING = {**rispy.RisParser.DEFAULT_MAPPING, "L3": "l3_links"}

# Where RIS writers put a DOI when DO is not used (EBSCOhost: L3; others: M3, N1, UR).
_RIS_DOI_FALLBACK = ["l3_links", "type_of_work", "urls", "notes"]


def _ris_record(entry: dict) -> dict[str, str]:
    row = {}
    for canon, keys in RIS_FIELDS.items():
        row[canon] = next((t for t in (_text(entry.get(k)) for k in keys) if t), "")
    if canon_label := _asreview_label(entry):
        row[LABEL_COLUMN] = canon_label
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
    # The database's own id (AN, with DB's name when given); ID is the exporting library's
    # record number, not a database identifier.
    accession = _text(entry.get("accession_number"))
    database = _text(entry.get("name_of_database"))
    row["source_ids"] = f"{database}:{accession}" if database and accession else accession
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


def _parse_tagged(path: Path, implementation: type[rispy.RisParser]) -> RawTable:
    enc = _encoding(path)
    raw = None
    if implementation is rispy.RisParser:
        raw = ris_pairs(path, enc)
        mapping = RIS_MAPPING
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
    table = pd.DataFrame([_ris_record(e) for e in entries], dtype=str)
    return _tagged(table, "ris", raw if raw is not None and len(raw) == len(table) else None)


def read_ris(path: Path) -> RawTable:
    """RIS export (EndNote, Zotero, Scopus, EBSCOhost, Web of Science RIS)."""
    return _parse_tagged(path, rispy.RisParser)


def read_wos(path: Path) -> RawTable:
    """Web of Science plain-text (field-tagged) export."""
    return _parse_tagged(path, rispy.WokParser)


# EndNote tagged ("Refer"/.end/.enw): %0 starts a record; one tag per line.
_REFER_FIELDS = {"%T": "title", "%X": "abstract", "%K": "keywords", "%A": "authors", "%D": "year",
                 "%R": "doi", "%J": "journal", "%B": "journal", "%V": "volume", "%N": "issue", "%P": "pages",
                 "%M": "source_ids", "%F": "record_id"}


def read_endnote_tagged(path: Path) -> RawTable:
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
               if k not in ("journal", "record_id", "year", "doi", "volume", "issue") else v[0] for k, v in r.items()}
              for r in rows]
    return _tagged(pd.DataFrame(joined, dtype=str).fillna(""))


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
    "issue": ["ip", "is", "issue", "issue/part"],
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


def read_ovid(path: Path) -> RawTable:
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
    return _tagged(pd.DataFrame(rows, dtype=str))
