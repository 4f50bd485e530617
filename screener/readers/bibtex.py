"""BibTeX (Scopus, WoS, Mendeley, Zotero, JabRef exports), parsed by bibtexparser."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pandas as pd

from screener.readers.common import RawTable, _encoding, _fail, _first_line, _tagged

# Canonical field ← BibTeX field names (Scopus, WoS, Mendeley, Zotero, JabRef), first non-empty wins.
BIBTEX_FIELDS: dict[str, list[str]] = {
    "title": ["title"], "abstract": ["abstract"], "keywords": ["keywords", "author_keywords", "mesh"],
    "authors": ["author", "editor"], "year": ["year", "date"], "doi": ["doi"], "pmid": ["pmid"],
    "journal": ["journal", "journaltitle", "booktitle", "publisher"], "volume": ["volume"],
    "issue": ["number", "issue"], "pages": ["pages"],
}

_BIBTEX_IDS = ["unique-id", "eid", "pmcid", "isi", "accession-number", "art_number", "wos-id"]


def read_bibtex(path: Path) -> RawTable:
    """BibTeX export (Scopus, Web of Science, Mendeley, Zotero), LaTeX accents decoded."""
    import bibtexparser
    from bibtexparser.middlewares import LatexDecodingMiddleware

    enc = _encoding(path)
    text = path.read_text(encoding=enc)
    # bibtexparser logs each failed block as a warning of its own; the one line below says it.
    logger = logging.getLogger("bibtexparser")
    level, logger.level = logger.level, logging.ERROR
    try:
        library = bibtexparser.parse_string(text, append_middleware=[LatexDecodingMiddleware()])
    finally:
        logger.setLevel(level)
    if library.failed_blocks:
        block = library.failed_blocks[0]
        error = getattr(block, "error", None)
        why = getattr(error, "abort_reason", None) or (_first_line(error) if error else "cut off")
        raise _fail(path, f"line {block.start_line + 1}: a BibTeX entry cannot be parsed "
                          f"({why.rstrip('.')}); the file looks truncated or malformed, re-export it")
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
    return _tagged(pd.DataFrame(rows, dtype=str))
