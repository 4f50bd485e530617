"""XML exports: EndNote XML and Zotero RDF (standard library ElementTree)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd

from screener.readers.common import _DOI_ANYWHERE, _PMID_IN_NOTE, RawTable, _fail, _tagged, _xml_text


def _xml_root(path: Path, application: str) -> ET.Element:
    """The parsed document's root; XML that does not parse is one line naming the file and ``application``."""
    try:
        return ET.parse(path).getroot()
    except ET.ParseError as exc:
        raise _fail(path, f"is not well-formed XML ({exc}); the file looks truncated or damaged, "
                          f"export it from {application} again") from None


def read_endnote_xml(path: Path) -> RawTable:
    """EndNote XML export (File > Export > XML, EndNote 8 onwards)."""
    root = _xml_root(path, "EndNote")
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
            "issue": text("number") or text("issue"),
            "pages": text("pages"),
            "source_ids": "; ".join(i for i in ids[:1] if i),
            "notes": text("notes"),
        })
    if not rows:
        raise _fail(path, "contains no EndNote <record> elements; export the library as EndNote XML")
    table = pd.DataFrame(rows, dtype=str)
    pmid = table["source_ids"].str.extract(r"(?i)(?:medline|pubmed)[^:]*:(\d{1,9})\b", expand=False)
    table["pmid"] = pmid.fillna(table["notes"].str.extract(_PMID_IN_NOTE, expand=False)).fillna("")
    return _tagged(table.drop(columns="notes"))


_RDF = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"

_NS = {"rdf": _RDF[1:-1], "z": "http://www.zotero.org/namespaces/export#", "dc": "http://purl.org/dc/elements/1.1/",
       "dcterms": "http://purl.org/dc/terms/", "bib": "http://purl.org/net/biblio#",
       "foaf": "http://xmlns.com/foaf/0.1/", "prism": "http://prismstandard.org/namespaces/1.2/basic/"}

_ZOTERO_SKIP = {"attachment", "note"}


def read_zotero_rdf(path: Path) -> RawTable:
    """Zotero RDF export (File > Export Library > Zotero RDF); notes and attachments are not records."""
    root = _xml_root(path, "Zotero")
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
            "issue": text("prism:number") or (text("prism:number", container) if container is not None else ""),
            "pages": text("bib:pages"),
            "source_ids": "",
        })
    if not rows:
        raise _fail(path, "contains no Zotero items (no <z:itemType> elements); export as Zotero RDF")
    return _tagged(pd.DataFrame(rows, dtype=str))
