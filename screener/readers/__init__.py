"""Files → one records table: CSV, TSV, XLSX, RIS, Web of Science, PubMed MEDLINE, BibTeX, EndNote
(XML and tagged), Ovid (tagged and display) and Zotero RDF.

Every format reader returns a ``RawTable`` (the rows as read, with what standardising needs to know
of them); ``standardise`` maps column aliases, cleans text, normalises DOIs,
years and labels, and settles record ids, so all formats end up with the same columns and dtypes
(``RECORD_COLUMNS`` then labels). ``dispatch`` picks the reader from the extension and the content;
``parse_file`` returns a ``ParsedFile`` (records, original fields, blank rows), ``read_file`` its records.
Bad input always becomes a one-line ``DataError`` naming the file. Modules, one per format family:
``common`` (columns, aliases, decoding, errors), ``delimited`` (CSV, TSV, XLSX), ``tagged`` (RIS, WoS,
EndNote tagged, Ovid), ``medline``, ``bibtex``, ``xml_formats`` (EndNote XML, Zotero RDF).
"""

from __future__ import annotations

from screener.readers.bibtex import BIBTEX_FIELDS, read_bibtex
from screener.readers.common import (
    ALIASES,
    LABEL_MISSING,
    LABEL_VALUES,
    RECORD_COLUMNS,
    TEXT_COLUMNS,
    ParsedFile,
    RawTable,
)
from screener.readers.delimited import read_csv, read_tsv, read_xlsx
from screener.readers.dispatch import READERS, detect_format, parse_file, read_file, read_records, sniff_format
from screener.readers.medline import read_medline
from screener.readers.standardise import normalise_doi, normalise_labels, normalise_year
from screener.readers.tagged import RIS_FIELDS, read_endnote_tagged, read_ovid, read_ris, read_wos, ris_pairs
from screener.readers.xml_formats import read_endnote_xml, read_zotero_rdf

__all__ = [
    "ALIASES",
    "BIBTEX_FIELDS",
    "LABEL_MISSING",
    "LABEL_VALUES",
    "ParsedFile",
    "READERS",
    "RECORD_COLUMNS",
    "RIS_FIELDS",
    "RawTable",
    "TEXT_COLUMNS",
    "detect_format",
    "normalise_doi",
    "normalise_labels",
    "normalise_year",
    "parse_file",
    "read_bibtex",
    "read_csv",
    "read_endnote_tagged",
    "read_endnote_xml",
    "read_file",
    "read_medline",
    "read_ovid",
    "read_records",
    "read_ris",
    "read_tsv",
    "read_wos",
    "read_xlsx",
    "read_zotero_rdf",
    "ris_pairs",
    "sniff_format",
]
