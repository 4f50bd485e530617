"""Every reader keeps the citation (volume, issue, pages) and the database ids of a record: one small
file per format, made here, each carrying volume 114, issue 7 and pages 1201-1210."""

from __future__ import annotations

import pytest

from screener.readers import read_file

FILES = {
    "scopus.ris": ("TY  - JOUR\nTI  - Peer navigators\nVL  - 114\nIS  - 7\nSP  - 1201\nEP  - 1210\n"
                   "DB  - Scopus\nAN  - 2-s2.0-85061234567\nER  - \n", "Scopus:2-s2.0-85061234567"),
    "savedrecs.ciw": ("FN Clarivate Analytics Web of Science\nVR 1.0\nPT J\nTI Peer navigators\nVL 114\nIS 7\n"
                      "BP 1201\nEP 1210\nUT WOS:000457123400012\nER\nEF\n", "WOS:000457123400012"),
    "pubmed.nbib": ("PMID- 30912345\nTI  - Peer navigators.\nVI  - 114\nIP  - 7\nPG  - 1201-1210\n"
                    "PMC - PMC6401234\nSO  - Addiction. 2019;114(7):1201-1210.\n", "PMC:PMC6401234"),
    "scopus.bib": ("@article{k1,\n  title = {Peer navigators},\n  volume = {114},\n  number = {7},\n"
                   "  pages = {1201--1210},\n  eid = {2-s2.0-85061234567},\n}\n", "2-s2.0-85061234567"),
    "library.xml": ("<?xml version=\"1.0\"?><xml><records><record><rec-number>1</rec-number>"
                    "<titles><title>Peer navigators</title></titles><volume>114</volume><number>7</number>"
                    "<pages>1201-1210</pages><accession-num>2019123456</accession-num>"
                    "<remote-database-name>Embase</remote-database-name></record></records></xml>",
                    "Embase:2019123456"),
    "refs.enw": ("%0 Journal Article\n%T Peer navigators\n%V 114\n%N 7\n%P 1201-1210\n%M 2019123456\n",
                 "2019123456"),
    "ovid.txt": ("<1>\nAN  - 2019123456\nDB  - Embase\nTI  - Peer navigators\nVO  - 114\nIP  - 7\n"
                 "PG  - 1201-1210\n", "Embase:2019123456"),
    "scopus.csv": ("Title,Volume,Issue,Page start,Page end,EID\nPeer navigators,114,7,1201,1210,"
                   "2-s2.0-85061234567\n", "EID:2-s2.0-85061234567"),
    "lens.csv": ("Title,Volume,Issue Number,Start Page,End Page,Lens ID\nPeer navigators,114,7,1201,1210,"
                 "012-345-678-901-23X\n", "Lens ID:012-345-678-901-23X"),
}


@pytest.mark.parametrize("name", sorted(FILES))
def test_citation_and_database_ids_are_read(tmp_path, name):
    text, ids = FILES[name]
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    [record] = read_file(path).to_dict("records")
    assert (record["volume"], record["issue"], record["pages"]) == ("114", "7", "1201-1210")
    assert record["source_ids"] == ids


def test_zotero_rdf_issue(tmp_path):
    rdf = """<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
 xmlns:z="http://www.zotero.org/namespaces/export#" xmlns:dc="http://purl.org/dc/elements/1.1/"
 xmlns:dcterms="http://purl.org/dc/terms/" xmlns:bib="http://purl.org/net/biblio#"
 xmlns:prism="http://prismstandard.org/namespaces/1.2/basic/">
 <bib:Article rdf:about="#item_1"><z:itemType>journalArticle</z:itemType>
  <dcterms:isPartOf><bib:Journal><prism:volume>114</prism:volume><prism:number>7</prism:number>
   <dc:title>Addiction</dc:title></bib:Journal></dcterms:isPartOf>
  <dc:title>Peer navigators</dc:title><bib:pages>1201-1210</bib:pages></bib:Article>
</rdf:RDF>
"""
    path = tmp_path / "zotero.rdf"
    path.write_text(rdf, encoding="utf-8")
    [record] = read_file(path).to_dict("records")
    assert (record["journal"], record["volume"], record["issue"], record["pages"]) == ("Addiction", "114", "7", "1201-1210")
