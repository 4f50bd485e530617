"""Readers for the other common exports (BibTeX, EndNote XML and tagged, WoS .isi, database CSV
column names, EBSCOhost L3 DOIs), format detection from content, and the checks every reader
shares (truncation, extra fields, blank rows, mixed encodings). Files are small and made here."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from screener.errors import DataError
from screener.readers import parse_file, read_file


def write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return path


BIBTEX = r"""@article{ WOS:000123,
  author = {M{\"u}ller, Anna and Smith, John A.},
  title = {{Caf{\'e}} workers and $\geq$ 5 shifts: a {RCT}},
  journal = {Journal of Testing},
  year = {2019},
  volume = {12},
  pages = {100--108},
  doi = {10.1000/ABC.1},
  abstract = {We tested things.},
  unique-id = {WOS:000123},
}

@inproceedings{second,
  title = {A conference paper},
  author = {Doe, J.},
  booktitle = {Proceedings of Things},
  year = 2020,
}
"""


def test_bibtex(tmp_path):
    df = read_file(write(tmp_path, "scopus.bib", BIBTEX))
    assert len(df) == 2
    first = df.iloc[0]
    assert first["title"].startswith("Café workers") and "{" not in first["title"]
    assert first["authors"] == "Müller, Anna; Smith, John A."
    assert (first["year"], first["doi"], first["journal"]) == (2019, "10.1000/abc.1", "Journal of Testing")
    assert (first["volume"], first["pages"], first["source_ids"]) == ("12", "100-108", "WOS:000123")
    assert df.iloc[1]["journal"] == "Proceedings of Things"


def test_truncated_bibtex_is_refused(tmp_path):
    cut = BIBTEX[: BIBTEX.index("booktitle")]
    with pytest.raises(DataError, match=r"cut\.bib: line \d+: a BibTeX entry cannot be parsed"):
        read_file(write(tmp_path, "cut.bib", cut))


ENDNOTE_XML = """<?xml version="1.0" encoding="UTF-8" ?><xml><records>
<record><database name="My.enl">My.enl</database><rec-number>17</rec-number>
<contributors><authors><author><style face="normal">Müller, Anna</style></author>
<author>Smith, J.</author></authors></contributors>
<titles><title><style face="normal">Peer support in <style face="italic">rural</style> clinics</style></title>
<secondary-title>Journal of Testing</secondary-title></titles>
<periodical><full-title>Journal of Testing</full-title></periodical>
<pages>1-9</pages><volume>3</volume><keywords><keyword>peer</keyword><keyword>rural</keyword></keywords>
<dates><year>2021</year></dates><accession-num>33445566</accession-num>
<electronic-resource-num>10.1/xyz</electronic-resource-num>
<remote-database-name>MEDLINE</remote-database-name>
<abstract>Text of the abstract.</abstract></record>
<record><rec-number>18</rec-number><titles><title>Second</title></titles></record>
</records></xml>"""


def test_endnote_xml(tmp_path):
    df = read_file(write(tmp_path, "library.xml", ENDNOTE_XML))
    first = df.iloc[0]
    assert first["title"] == "Peer support in rural clinics"
    assert first["authors"] == "Müller, Anna; Smith, J."
    assert (first["year"], first["doi"], first["pmid"]) == (2021, "10.1/xyz", "33445566")
    assert first["keywords"] == "peer; rural" and first["source_ids"] == "MEDLINE:33445566"
    assert df["record_id"].tolist() == ["17", "18"]


def test_truncated_endnote_xml_is_refused(tmp_path):
    with pytest.raises(DataError, match="cut.xml: is not well-formed XML"):
        read_file(write(tmp_path, "cut.xml", ENDNOTE_XML[:-40]))


def test_endnote_tagged(tmp_path):
    text = ("%0 Journal Article\n%A Müller, Anna\n%A Smith, J.\n%T Peer support\n  in clinics\n"
            "%J Journal of Testing\n%D 2021\n%V 3\n%P 1-9\n%R 10.1/xyz\n%X Abstract text\n%M WOS:1\n\n"
            "%0 Journal Article\n%T Second\n%D 2020\n")
    df = read_file(write(tmp_path, "export.enw", text))
    assert df["title"].tolist() == ["Peer support in clinics", "Second"]
    assert df.iloc[0]["authors"] == "Müller, Anna; Smith, J." and df.iloc[0]["doi"] == "10.1/xyz"
    assert df.iloc[0]["source_ids"] == "WOS:1" and df["year"].tolist() == [2021, 2020]


WOS = ("FN Clarivate Analytics Web of Science\nVR 1.0\n"
       "PT J\nAU Muller, A\nTI Peer support\nSO JOURNAL OF TESTING\nPY 2019\nVL 3\nBP 10\n"
       "DI 10.1/a\nPM 123\nUT WOS:000111\nER\n\n"
       "PT J\nTI Second\nPY 2020\nUT WOS:000222\nER\n\nEF\n")


def test_wos_isi_keeps_the_ut(tmp_path):
    df = read_file(write(tmp_path, "savedrecs.isi", WOS))
    assert df["source_ids"].tolist() == ["WOS:000111", "WOS:000222"]
    assert (df.iloc[0]["pmid"], df.iloc[0]["volume"], df.iloc[0]["pages"]) == ("123", "3", "10")


def test_truncated_wos_and_medline_are_refused(tmp_path):
    with pytest.raises(DataError, match="cut.ciw: the last record has no ER line"):
        read_file(write(tmp_path, "cut.ciw", WOS[: WOS.index("UT WOS:000222")]))
    medline = ("PMID- 1\nTI  - One\nSO  - J Test. 2019;1:1.\n\n"
               "PMID- 2\nTI  - Two\nSO  - J Test. 2020;2:2.\n\nPMID- 3\nTI  - Three\nAB  - Cut")
    with pytest.raises(DataError, match="cut.nbib: the last record stops before its SO line"):
        read_file(write(tmp_path, "cut.nbib", medline))
    assert len(read_file(write(tmp_path, "whole.nbib", medline.rsplit("\n\n", 1)[0]))) == 2


def test_ebscohost_l3_doi_and_accession(tmp_path):
    text = ("TY  - JOUR\nTI  - Peer support\nDB  - CINAHL\nAN  - 123456\n"
            "L3  - 10.1177/0000\nSP  - 5\nEP  - 9\nVL  - 2\nER  - \n")
    df = read_file(write(tmp_path, "ebsco.ris", text))
    assert df.iloc[0]["doi"] == "10.1177/0000"
    assert (df.iloc[0]["pages"], df.iloc[0]["volume"]) == ("5-9", "2")
    assert df.iloc[0]["source_ids"] == "CINAHL:123456"


@pytest.mark.parametrize("header,row", [
    # Embase
    ("Title,Author Names,Publication Year,Source title,DOI,Medline PMID,Embase Accession Number",
     'Peer support,"Müller A., Smith J.",2019,J Test,10.1/a,123,L200'),
    # Covidence
    ("Title,Authors,Published Year,Journal,DOI,Covidence #", "Peer support,Müller A,2019,J Test,10.1/a,#7"),
    # SpringerLink
    ("Item Title,Publication Title,Item DOI,Authors,Publication Year,Content Type",
     "Peer support,J Test,10.1/a,Anna Müller,2019,Article"),
    # IEEE Xplore
    ("Document Title,Authors,Publication Title,Publication Year,DOI,PubMed ID",
     "Peer support,A. Müller,J Test,2019,10.1/a,123"),
    # Lens
    ("Lens ID,Title,Publication Year,Source Title,DOI,PMID,Author/s", "000-111,Peer support,2019,J Test,10.1/a,123,Müller A"),
    # Scopus
    ("Authors,Title,Year,Source title,Volume,Page start,DOI,PubMed ID,EID",
     "Müller A.,Peer support,2019,J Test,3,10,10.1/a,123,2-s2.0-1"),
])
def test_database_csv_columns(tmp_path, header, row):
    df = read_file(write(tmp_path, "export.csv", f"{header}\n{row}\n"))
    first = df.iloc[0]
    assert (first["title"], first["year"], first["journal"], first["doi"]) == ("Peer support", 2019, "J Test", "10.1/a")
    assert "Müller" in first["authors"]
    if "PMID" in header or "PubMed ID" in header:
        assert first["pmid"] == "123"
    if "EID" in header or "Lens ID" in header or "Accession" in header:
        assert first["source_ids"]


def test_csv_row_with_more_fields_than_the_header_names_the_line(tmp_path):
    text = "title,doi,pmid\nOne,10.1/a,1\nTwo, with comma,10.1/b,2\n"
    with pytest.raises(DataError, match="extra.csv: line 3: 4 fields but the header has 3"):
        read_file(write(tmp_path, "extra.csv", text))
    trailing = "title,doi,pmid\nOne,10.1/a,1,\nTwo,10.1/b,2,\n"  # a trailing comma shifts nothing
    df = read_file(write(tmp_path, "trailing.csv", trailing))
    assert df["doi"].tolist() == ["10.1/a", "10.1/b"] and df["pmid"].tolist() == ["1", "2"]


def test_blank_rows_are_skipped_and_counted(tmp_path):
    parsed = parse_file(write(tmp_path, "blank.csv", "title,doi\nOne,10.1/a\n,\n , \nTwo,\n" + ",\n" * 50))
    assert parsed.records["title"].tolist() == ["One", "Two"] and parsed.blank_rows == 52
    assert parsed.raw is None and parsed.raw_format is None and not parsed.records.attrs
    with pytest.raises(DataError, match="every one is blank"):
        read_file(write(tmp_path, "allblank.csv", "title,doi\n" + ",\n" * 1000))


def test_parsed_file_keeps_one_raw_entry_per_record_and_no_side_channel(tmp_path):
    ris = "TY  - JOUR\nTI  - One\nER  - \n\nTY  - JOUR\nTI  - Two\nAB  - text\nER  - \n"
    parsed = parse_file(write(tmp_path, "two.ris", ris))
    assert parsed.raw_format == "ris" and len(parsed.raw) == len(parsed.records) == 2
    assert '"Two"' in parsed.raw[1] and not parsed.records.attrs
    assert read_file(tmp_path / "two.ris").equals(parsed.records)


def test_mixed_encodings_are_refused(tmp_path):
    text = "title\nCafé one\n".encode() + "Café two\n".encode("cp1252")
    with pytest.raises(DataError, match="mixed.csv: mixes UTF-8 with another encoding \\(line 3"):
        read_file(write(tmp_path, "mixed.csv", text))
    assert read_file(write(tmp_path, "cp.csv", "title\nCafé two\n".encode("cp1252")))["title"][0] == "Café two"


@pytest.mark.parametrize("name,content", [
    ("pubmed.ris", "PMID- 1\nTI  - Saved as .ris\nSO  - J. 2019.\n"),
    ("refs.txt", BIBTEX),
    ("library.txt", ENDNOTE_XML),
    ("export.txt", "%0 Journal Article\n%T Tagged\n"),
])
def test_format_detected_from_content(tmp_path, name, content):
    df = read_file(write(tmp_path, name, content))
    assert len(df) >= 1 and df["title"].iloc[0] != ""


def test_xlsx_imports_into_a_project(tmp_path):
    from screener.project.create import init_project
    from screener.project.imports import import_files

    criteria = write(tmp_path, "criteria.txt", "peer support")
    project = init_project(tmp_path / "review", criteria)
    book = tmp_path / "export.xlsx"
    pd.DataFrame({"Title": ["Peer support one", "Peer support two"], "Author Names": ["A", "B"],
                  "Published Year": ["2019", "2020"]}).to_excel(book, index=False)
    summary = import_files(project, [book])
    assert summary.totals["added"] == 2


def test_truncated_bibtex_is_one_line_through_the_cli(tmp_path, caplog):
    # bibtexparser logs a warning of its own per failed block: the user sees one line, nothing else
    from conftest import run_cli

    cut = write(tmp_path, "cut.bib", BIBTEX[: BIBTEX.index("booktitle")])
    with caplog.at_level("WARNING"):
        code, out, err = run_cli(["read", cut])
    assert code == 1 and out == "" and not caplog.records
    assert err.count("\n") == 1 and "cut.bib: line" in err and "end of file" in err


def test_not_a_records_file_names_each_column_once(tmp_path):
    log = write(tmp_path, "rayyan_log.csv", "date,user,action,details\n2023-01-01,anna,added label,RCT\n")
    with pytest.raises(DataError) as err:
        read_file(log)
    message = str(err.value)
    assert "does not look like a records file" in message and "no title or abstract column" in message
    assert message.count("date") == 1 and "found columns: date, user, action, details;" in message


def test_a_file_of_commas_has_no_column_names(tmp_path):
    with pytest.raises(DataError, match="commas.csv: has no column names on its first line"):
        read_file(write(tmp_path, "commas.csv", ",\n" * 10_000))


def test_springerlink_volume_and_issue(tmp_path):
    df = read_file(write(tmp_path, "springer.csv", "Item Title,Publication Title,Journal Volume,Journal Issue,"
                                                   "Item DOI,Publication Year\nPeer support,Harm Reduct J,17,1,"
                                                   "10.1186/s1,2020\n"))
    assert df.iloc[0][["title", "journal", "volume", "issue", "doi"]].tolist() == [
        "Peer support", "Harm Reduct J", "17", "1", "10.1186/s1"]


def test_blank_rows_are_counted_in_the_import_report(tmp_path):
    from screener.project import import_files, init_project

    criteria = write(tmp_path, "criteria.txt", "peer support")
    folder = init_project(tmp_path / "review", criteria)
    text = "title,abstract\nOne,text\n" + ",\n" * 20_000 + "Two,text\n"
    assert import_files(folder, [write(tmp_path, "s.csv", text)]).totals == {
        "read": 2, "added": 2, "merged": 0, "skipped": 0, "blank": 20_000}
