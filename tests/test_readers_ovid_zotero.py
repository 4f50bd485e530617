"""Ovid (tagged and display) and Zotero RDF exports: every field screener keeps, cut files refused."""

from __future__ import annotations

import pytest

from screener.errors import DataError
from screener.readers import read_file

OVID_TAGGED = """\
<1>
VN  - Ovid Technologies
DB  - Embase
AN  - 2010123456
TI  - Peer support for people who use opioids: a randomised
      trial
AU  - Smith J.
AU  - Jones K.
SO  - Addiction. 105(3):450-458, 2010.
JN  - Addiction
YR  - 2010
AB  - Background. Peer workers
      helped.
DO  - https://dx.doi.org/10.1111/j.1360-0443.2010.01.x
PM  - 20012345

<2>
VN  - Ovid Technologies
DB  - Embase
AN  - 2011654321
TI  - Mutual aid groups and relapse
AU  - Brown A.
SO  - Drug and Alcohol Dependence. 118(1):1-9, 2011.
JN  - Drug and Alcohol Dependence
YR  - 2011
AB  - We followed 300 adults.
DO  - 10.1016/j.drugalcdep.2011.02.003
PM  - 21234567

"""

OVID_DISPLAY = """\
Database: Ovid MEDLINE(R) ALL <1946 to November 30, 2026>
Search Strategy:
--------------------------------------------------------------------------------
1     peer support.mp. (120)

<1>
Unique Identifier
  20012345
Title
  Peer support for people who use opioids.
Source
  Addiction. 105(3):450-458, 2010 Mar.
Authors
  Smith J
  Jones K
Abstract
  Background. Peer workers helped.
Digital Object Identifier
  https://dx.doi.org/10.1111/j.1360-0443.2010.01.x
Journal Name
  Addiction
Year of Publication
  2010

<2>
Unique Identifier
  21234567
Title
  Mutual aid groups and relapse.
Source
  Drug and Alcohol Dependence. 118(1):1-9, 2011.
Authors
  Brown A
Abstract
  We followed 300 adults.
Digital Object Identifier
  10.1016/j.drugalcdep.2011.02.003
Journal Name
  Drug and Alcohol Dependence
Year of Publication
  2011

"""

ZOTERO_RDF = """\
<rdf:RDF
 xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
 xmlns:z="http://www.zotero.org/namespaces/export#"
 xmlns:dcterms="http://purl.org/dc/terms/"
 xmlns:bib="http://purl.org/net/biblio#"
 xmlns:foaf="http://xmlns.com/foaf/0.1/"
 xmlns:dc="http://purl.org/dc/elements/1.1/"
 xmlns:prism="http://prismstandard.org/namespaces/1.2/basic/">
    <bib:Article rdf:about="http://dx.doi.org/10.1111/j.1360-0443.2010.01.x">
        <z:itemType>journalArticle</z:itemType>
        <dcterms:isPartOf rdf:resource="urn:issn:0965-2140"/>
        <bib:authors><rdf:Seq>
            <rdf:li><foaf:Person><foaf:surname>Smith</foaf:surname><foaf:givenName>John</foaf:givenName></foaf:Person></rdf:li>
            <rdf:li><foaf:Person><foaf:surname>Jones</foaf:surname><foaf:givenName>Kay</foaf:givenName></foaf:Person></rdf:li>
        </rdf:Seq></bib:authors>
        <dc:title>Peer support for people who use opioids</dc:title>
        <dcterms:abstract>Background. Peer workers helped.</dcterms:abstract>
        <dc:date>2010-03</dc:date>
        <dc:description>PMID: 20012345</dc:description>
        <bib:pages>450-458</bib:pages>
        <dc:subject>peer support</dc:subject>
    </bib:Article>
    <bib:Journal rdf:about="urn:issn:0965-2140">
        <dc:title>Addiction</dc:title>
        <prism:volume>105</prism:volume>
    </bib:Journal>
    <bib:Article rdf:about="#item_7">
        <z:itemType>journalArticle</z:itemType>
        <dcterms:isPartOf><bib:Journal><dc:title>Drug and Alcohol Dependence</dc:title></bib:Journal></dcterms:isPartOf>
        <bib:authors><rdf:Seq><rdf:li><foaf:Person><foaf:surname>Brown</foaf:surname></foaf:Person></rdf:li></rdf:Seq></bib:authors>
        <dc:title>Mutual aid groups and relapse</dc:title>
        <dcterms:abstract>We followed 300 adults.</dcterms:abstract>
        <dc:date>2011</dc:date>
        <dc:identifier>DOI 10.1016/j.drugalcdep.2011.02.003</dc:identifier>
    </bib:Article>
    <z:Attachment rdf:about="#item_9"><z:itemType>attachment</z:itemType><dc:title>Full Text PDF</dc:title></z:Attachment>
    <bib:Memo rdf:about="#item_10"><rdf:value>a note</rdf:value></bib:Memo>
</rdf:RDF>
"""


def _write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _check_both_records(table, authors_first):
    assert len(table) == 2
    one, two = table.iloc[0], table.iloc[1]
    assert one["title"].startswith("Peer support for people who use opioids")
    assert one["abstract"] == "Background. Peer workers helped."
    assert one["authors"] == authors_first
    assert int(one["year"]) == 2010 and int(two["year"]) == 2011
    assert one["doi"] == "10.1111/j.1360-0443.2010.01.x" and two["doi"] == "10.1016/j.drugalcdep.2011.02.003"
    assert one["pmid"] == "20012345"
    assert one["journal"] == "Addiction" and two["journal"] == "Drug and Alcohol Dependence"
    assert two["authors"].startswith("Brown")


@pytest.mark.parametrize("name", ["export.txt", "export.ris", "export.csv"])
def test_ovid_tagged_detected_by_content(tmp_path, name):
    table = read_file(_write(tmp_path, name, OVID_TAGGED))
    _check_both_records(table, "Smith J; Jones K")
    assert table.iloc[0]["title"] == "Peer support for people who use opioids: a randomised trial"
    assert table.iloc[1]["pmid"] == "21234567" and "Embase:2010123456" in table.iloc[0]["source_ids"]


def test_ovid_display_with_search_strategy_header(tmp_path):
    table = read_file(_write(tmp_path, "ovid.txt", OVID_DISPLAY))
    _check_both_records(table, "Smith J; Jones K")
    assert table.iloc[1]["pmid"] == "21234567"


@pytest.mark.parametrize("text", [OVID_TAGGED, OVID_DISPLAY])
def test_truncated_ovid_refused(tmp_path, text):
    cut = text[: text.index("Abstract\n  We") if "Abstract\n  We" in text else text.index("AB  - We")]
    with pytest.raises(DataError, match="truncated"):
        read_file(_write(tmp_path, "cut.txt", cut))


def test_ovid_record_missing_from_the_sequence_refused(tmp_path):
    with pytest.raises(DataError, match="<3>"):
        read_file(_write(tmp_path, "gap.txt", OVID_TAGGED.replace("<2>", "<3>")))


@pytest.mark.parametrize("name", ["library.rdf", "library.xml"])
def test_zotero_rdf(tmp_path, name):
    table = read_file(_write(tmp_path, name, ZOTERO_RDF))
    _check_both_records(table, "Smith, John; Jones, Kay")
    assert table.iloc[0]["volume"] == "105" and table.iloc[0]["pages"] == "450-458"
    assert table.iloc[0]["keywords"] == "peer support"


def test_truncated_zotero_rdf_refused(tmp_path):
    with pytest.raises(DataError, match="truncated"):
        read_file(_write(tmp_path, "cut.rdf", ZOTERO_RDF[: ZOTERO_RDF.index("<bib:Journal rdf")]))


def test_not_a_records_file_says_what_is_missing(tmp_path):
    log = _write(tmp_path, "customizations_log.csv",
                 "article_id,key,value,user_email,created_at\n12,included,1,a@b.org,2026-01-01\n")
    with pytest.raises(DataError) as err:
        read_file(log)
    message = str(err.value)
    assert "\n" not in message and "customizations_log.csv" in message
    assert "no title or abstract column" in message and "article_id" in message
