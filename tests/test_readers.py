"""Tests for screener.readers: every format, aliases, labels, encodings and error messages."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from screener.errors import DataError
from screener.readers import (
    READERS,
    RECORD_COLUMNS,
    normalise_labels,
    read_file,
    read_records,
)

WOS_RIS = """\
TY  - JOUR
AU  - Smith, John
AU  - Doe, Jane
TI  - Hair cortisol and body mass index in children
T2  - Psychoneuroendocrinology
AB  - We measured hair cortisol in 300 children.
    Higher cortisol was associated with BMI.
KW  - cortisol
KW  - obesity
PY  - 2019
DO  - https://doi.org/10.1016/J.PSYNEUEN.2019.01.001
AN  - WOS:000456789100001
ID  - wos-1
ER  - 

TY  - JOUR
AU  - Lee, K
TI  - A record without an abstract
PY  - 2020
ER  - 
"""

EBSCO_RIS = """\
TY  - JOUR
ID  - 31234567
T1  - Emicizumab pharmacokinetics in infants
A1  - Donners, A.
Y1  - 2021///
N2  - Abstract stored in N2 as EBSCOhost does.
KW  - haemophilia A
JF  - Haemophilia
AN  - 31234567
DB  - MEDLINE
DP  - EBSCOhost
ER  - 
"""

SCOPUS_RIS = """\
TY  - JOUR
TI  - Object-in-context memory in rats
T2  - Behavioural Brain Research
J2  - Behav. Brain Res.
VL  - 12
PY  - 2015
DO  - 10.1016/j.bbr.2015.01.002
AU  - Sep, M.
N1  - Export Date: 1 January 2022; PMID: 25555555
UR  - https://www.scopus.com/inward/record.uri?eid=2-s2.0-1
ER  - 
TY  - JOUR
TI  - Second Scopus record
AB  - Text.
PY  - 2016
UR  - https://doi.org/10.1000/XYZ.1
"""  # the last record has no ER line: refused as truncated (below)

MEDLINE = """\
PMID- 16099701
OWN - NLM
DP  - 2005 Sep
TI  - Attention-deficit/hyperactivity disorder medication and
      cardiovascular risk.
LID - 10.1001/jama.2005.9 [doi]
AB  - OBJECTIVE: To assess the risk. RESULTS: None found
      in this sample.
FAU - Smith, Anna
AU  - Smith A
FAU - Brown, Bob
AU  - Brown B
TA  - JAMA
JT  - JAMA : the journal of the American Medical Association
MH  - Humans
OT  - ADHD

PMID- 16099702
TI  - A second record without abstract.
DP  - 2006
AID - 10.1000/abc [doi]
AID - S0000 [pii]
AU  - Doe J
"""

WOS_PLAIN = """\
FN Clarivate Analytics Web of Science
VR 1.0
PT J
AU Smith, J
AF Smith, John
TI Hair cortisol and
   adiposity
SO OBESITY
DE cortisol; hair
AB An abstract.
PY 2018
DI 10.1002/oby.1
PM 29999999
UT WOS:000001
ER

EF
"""


def write(tmp_path: Path, name: str, content: str | bytes, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode(encoding))
    return path


def check_table(df: pd.DataFrame) -> None:
    assert list(df.columns[: len(RECORD_COLUMNS)]) == RECORD_COLUMNS
    assert df["year"].dtype == "Int64"
    assert df["record_id"].notna().all() and df["record_id"].is_unique
    for col in RECORD_COLUMNS:
        if col != "year":
            assert df[col].notna().all(), col
            assert all(isinstance(v, str) for v in df[col]), col
    for col in df.columns[len(RECORD_COLUMNS):]:
        assert df[col].dtype == "Int64", col


# --- formats -------------------------------------------------------------------------------

def test_ris_wos_style(tmp_path):
    df = read_file(write(tmp_path, "wos.ris", WOS_RIS))
    check_table(df)
    assert len(df) == 2
    first = df.iloc[0]
    assert first["title"] == "Hair cortisol and body mass index in children"
    assert first["abstract"].endswith("associated with BMI.")
    assert first["authors"] == "Smith, John; Doe, Jane"
    assert first["keywords"] == "cortisol; obesity"
    assert first["doi"] == "10.1016/j.psyneuen.2019.01.001"
    assert first["journal"] == "Psychoneuroendocrinology"
    assert first["pmid"] == ""  # a WOS accession number is not a PMID
    assert first["record_id"] == "wos-1"
    assert first["source"] == "wos.ris"
    assert df["year"].tolist() == [2019, 2020]
    assert df.iloc[1]["abstract"] == ""


def test_ris_ebsco_style(tmp_path):
    row = read_file(write(tmp_path, "ebsco.ris", EBSCO_RIS)).iloc[0]
    assert row["title"] == "Emicizumab pharmacokinetics in infants"
    assert row["abstract"].startswith("Abstract stored in N2")
    assert row["authors"] == "Donners, A."
    assert row["year"] == 2021
    assert row["pmid"] == "31234567"
    assert row["journal"] == "Haemophilia"


def test_ris_missing_er_lines_are_refused_as_truncated(tmp_path):
    # read and import share this check: a cut file is refused, never read short
    with pytest.raises(DataError, match="last record has no ER line; the file looks truncated"):
        read_file(write(tmp_path, "scopus.ris", SCOPUS_RIS))
    no_er = "".join(f"TY  - JOUR\nTI  - Record {k}\n" for k in range(10))
    with pytest.raises(DataError, match="line 3: a record starts before the previous one has its ER"):
        read_file(write(tmp_path, "no_er.ris", no_er))


def test_ris_scopus_style(tmp_path):
    df = read_file(write(tmp_path, "scopus.ris", SCOPUS_RIS + "ER  - \n"))
    assert len(df) == 2
    assert df["journal"].tolist() == ["Behavioural Brain Research", ""]
    assert df["pmid"].tolist() == ["25555555", ""]
    assert df["doi"].tolist() == ["10.1016/j.bbr.2015.01.002", "10.1000/xyz.1"]
    assert df["record_id"].tolist() == ["1", "2"]


def test_ris_asreview_labels(tmp_path):
    text = ("TY  - JOUR\nTI  - A\nN1  - ASReview_relevant\nER  - \n"
            "TY  - JOUR\nTI  - B\nN1  - ASReview_irrelevant\nER  - \n"
            "TY  - JOUR\nTI  - C\nN1  - ASReview_not_seen\nER  - \n")
    df = read_file(write(tmp_path, "asreview.ris", text))
    assert df["label_included"].tolist() == [1, 0, pd.NA]


def test_ris_repeated_ids_are_replaced(tmp_path):
    text = "TY  - JOUR\nID  - 7\nTI  - A\nER  - \nTY  - JOUR\nID  - 7\nTI  - B\nER  - \n"
    assert read_file(write(tmp_path, "rep.ris", text))["record_id"].tolist() == ["1", "2"]


def test_identifier_normalising(tmp_path):
    text = ("title,doi,pmid\n"
            "a,https://dx.doi.org/10.1/A B,PMID: 12\n"
            "b,doi.org/10.2/x,PMC555\n"
            "c, DOI: 10.3/Y ,34.0\n")
    df = read_file(write(tmp_path, "ids.csv", text))
    assert df["doi"].tolist() == ["10.1/ab", "10.2/x", "10.3/y"]
    assert df["pmid"].tolist() == ["12", "", "34"]


def test_medline(tmp_path):
    df = read_file(write(tmp_path, "pubmed.nbib", MEDLINE))
    check_table(df)
    first = df.iloc[0]
    assert first["record_id"] == first["pmid"] == "16099701"
    assert first["title"] == ("Attention-deficit/hyperactivity disorder medication and "
                              "cardiovascular risk.")
    assert first["abstract"].endswith("None found in this sample.")
    assert first["authors"] == "Smith, Anna; Brown, Bob"
    assert first["journal"].startswith("JAMA : the journal")
    assert first["doi"] == "10.1001/jama.2005.9"
    assert first["keywords"] == "ADHD; Humans"
    assert df["year"].tolist() == [2005, 2006]
    assert df.iloc[1]["authors"] == "Doe J" and df.iloc[1]["doi"] == "10.1000/abc"


def test_wos_plain_text(tmp_path):
    df = read_file(write(tmp_path, "savedrecs.txt", WOS_PLAIN))
    row = df.iloc[0]
    assert len(df) == 1
    assert row["title"] == "Hair cortisol and adiposity"
    assert row["authors"] == "Smith, John"
    assert (row["doi"], row["pmid"], row["year"]) == ("10.1002/oby.1", "29999999", 2018)
    assert row["record_id"] == "WOS:000001"


@pytest.mark.parametrize("content, expected", [
    (WOS_RIS, "Hair cortisol and body mass index in children"),
    (MEDLINE, "Attention-deficit/hyperactivity disorder medication and cardiovascular risk."),
    ("title\tabstract\nTab title\tText\n", "Tab title"),
    ("title,abstract\nComma title,Text\n", "Comma title"),
])
def test_txt_is_sniffed(tmp_path, content, expected):
    assert read_file(write(tmp_path, "export.txt", content))["title"].iloc[0] == expected


def test_csv_with_bom_and_aliases(tmp_path):
    text = ("Covidence #,Article Title,Abstract Note,Author Keywords,Authors,Publication Year,"
            "DOI,PubMed ID,Source Title,Notes\n"
            '#12,"A title, with comma",An abstract,kw1; kw2,"Smith, A",2019-05-01,'
            "doi:10.1/ABC ,PMID: 123,Journal X,ignored\n")
    df = read_file(write(tmp_path, "covidence.csv", "\ufeff" + text))
    check_table(df)
    row = df.iloc[0]
    assert row["record_id"] == "#12"
    assert row["title"] == "A title, with comma"
    assert (row["abstract"], row["keywords"], row["authors"]) == ("An abstract", "kw1; kw2",
                                                                  "Smith, A")
    assert (row["year"], row["doi"], row["pmid"], row["journal"]) == (2019, "10.1/abc", "123",
                                                                      "Journal X")
    assert "Notes" not in df.columns


def test_latin1_csv_with_accents(tmp_path):
    text = "title,abstract\nÉtude randomisée,Résumé à lire\n"
    df = read_file(write(tmp_path, "latin.csv", text, encoding="latin-1"))
    assert df["title"].iloc[0] == "Étude randomisée"
    df = read_file(write(tmp_path, "cp1252.csv", "title\n“Quoted” – dash\n", encoding="cp1252"))
    assert df["title"].iloc[0] == "“Quoted” – dash"


def test_semicolon_csv_and_tsv(tmp_path):
    df = read_file(write(tmp_path, "excel_eu.csv", "Title;Abstract;Year\nT1;A, b;2001\n"))
    assert (df["title"].iloc[0], df["abstract"].iloc[0], df["year"].iloc[0]) == ("T1", "A, b", 2001)
    df = read_file(write(tmp_path, "x.tsv", "TI\tAB\tPY\nT, 2\tA; b\t1999\n"))
    assert (df["title"].iloc[0], df["abstract"].iloc[0], df["year"].iloc[0]) == ("T, 2", "A; b", 1999)


def test_titles_only_csv(tmp_path):
    df = read_file(write(tmp_path, "titles.csv", "title\nOne\nTwo\n\nThree\n"))
    check_table(df)
    assert df["title"].tolist() == ["One", "Two", "Three"]
    assert df["record_id"].tolist() == ["1", "2", "3"]
    assert (df["abstract"] == "").all() and df["year"].isna().all()


def test_xlsx(tmp_path):
    path = tmp_path / "records.xlsx"
    pd.DataFrame({
        "ID": [1, 2, 3], "Title": ["A", "B", None], "Abstract": ["x", None, "z"],
        "PMID": [123.0, None, 456.0], "Year": [2019, None, 2021],
        "Include": ["Yes", "no", None], "label_ta": [1, 0, 1],
    }).to_excel(path, index=False)
    df = read_file(path)
    check_table(df)
    assert df["record_id"].tolist() == ["1", "2", "3"]
    assert df["title"].tolist() == ["A", "B", ""]
    assert df["pmid"].tolist() == ["123", "", "456"]
    assert df["year"].tolist() == [2019, pd.NA, 2021]
    assert df["label_included"].tolist() == [1, 0, pd.NA]
    assert df["label_ta"].tolist() == [1, 0, 1]


def test_explicit_source(tmp_path):
    df = read_file(write(tmp_path, "a.csv", "title\nx\n"), source="pubmed-2024")
    assert df["source"].tolist() == ["pubmed-2024"]


def test_registry_covers_documented_extensions():
    for ext in (".csv", ".tsv", ".txt", ".xlsx", ".ris", ".nbib", ".medline"):
        assert ext in READERS


# --- labels --------------------------------------------------------------------------------

@pytest.mark.parametrize("values, expected", [
    (["1", "0", "1.0", "0.0"], [1, 0, 1, 0]),
    ([" Yes", "NO ", "y", "N"], [1, 0, 1, 0]),
    (["TRUE", "false", "Include", "exclude"], [1, 0, 1, 0]),
    (["Included", "EXCLUDED", "relevant", "Irrelevant"], [1, 0, 1, 0]),
    (["", None, "-1", "maybe"], [pd.NA] * 4),
    (["yes", "no", "yes", "perhaps"], [1, 0, 1, pd.NA]),
])
def test_normalise_labels_spellings(values, expected):
    out = normalise_labels(pd.Series(values, name="label_included"))
    assert out.dtype == "Int64"
    assert out.tolist() == expected


def test_normalise_labels_numeric_and_boolean_input():
    assert normalise_labels(pd.Series([1, 0, None], dtype="Int64")).tolist() == [1, 0, pd.NA]
    assert normalise_labels(pd.Series([1.0, float("nan")])).tolist() == [1, pd.NA]
    assert normalise_labels(pd.Series([True, False])).tolist() == [1, 0]


def test_mostly_unrecognised_labels_raise(tmp_path):
    path = write(tmp_path, "bad_labels.csv", "title,included\na,maybe later\nb,ok\nc,1\n")
    with pytest.raises(DataError) as err:
        read_file(path)
    message = str(err.value)
    assert "bad_labels.csv" in message and "'included'" in message and "\n" not in message


@pytest.mark.parametrize("header", ["included", "label", "Include", "final_included",
                                    "asreview label", "inclusion", "Label_Included"])
def test_label_aliases(tmp_path, header):
    df = read_file(write(tmp_path, "l.csv", f"title,{header},label_ta\na,yes,1\nb,no,\n"))
    assert df["label_included"].tolist() == [1, 0]
    assert df["label_ta"].tolist() == [1, pd.NA]
    assert list(df.columns) == [*RECORD_COLUMNS, "label_included", "label_ta"]


# --- several files -------------------------------------------------------------------------

def test_read_records_prefixes_only_on_collision(tmp_path):
    a = write(tmp_path, "a.csv", "id,title,label_included\n1,x,1\n2,y,0\n")
    b = write(tmp_path, "b.csv", "id,title\n1,x\n")
    c = write(tmp_path, "c.csv", "id,title\n9,z\n")
    both = read_records([a, b])
    assert both["record_id"].tolist() == ["a:1", "a:2", "b:1"]
    assert both["source"].tolist() == ["a.csv", "a.csv", "b.csv"]
    assert both["label_included"].dtype == "Int64"
    assert both["label_included"].tolist() == [1, 0, pd.NA]
    assert len(both) == 3  # duplicates are kept
    assert read_records([a, c])["record_id"].tolist() == ["1", "2", "9"]


def test_read_records_same_file_twice(tmp_path):
    a = write(tmp_path, "a.csv", "title\nx\n")
    assert read_records([a, a])["record_id"].tolist() == ["a:1", "a_2:1"]


def test_read_records_mixed_formats(tmp_path):
    df = read_records([write(tmp_path, "m.nbib", MEDLINE), write(tmp_path, "w.ris", WOS_RIS)])
    check_table(df)
    assert len(df) == 4


# --- errors --------------------------------------------------------------------------------

def assert_one_line_error(path: Path, *fragments: str) -> str:
    with pytest.raises(DataError) as err:
        read_file(path)
    message = str(err.value)
    assert "\n" not in message
    assert path.name in message
    for fragment in fragments:
        assert fragment in message
    return message


def test_error_missing_file(tmp_path):
    assert_one_line_error(tmp_path / "nowhere.csv", "not found")


def test_error_empty_file(tmp_path):
    assert_one_line_error(write(tmp_path, "empty.csv", ""), "empty")
    assert_one_line_error(write(tmp_path, "blank.ris", "\n  \n"), "empty")


def test_error_header_only(tmp_path):
    assert_one_line_error(write(tmp_path, "header.csv", "title,abstract\n"), "no records")


def test_error_binary(tmp_path):
    assert_one_line_error(write(tmp_path, "image.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"),
                          "binary")
    assert_one_line_error(write(tmp_path, "ctrl.txt", bytes(range(1, 32)) * 20), "binary")


def test_error_no_title_or_abstract(tmp_path):
    message = assert_one_line_error(write(tmp_path, "cols.csv", "a,b,c\n1,2,3\n"),
                                    "no title or abstract column")
    assert "found columns: a, b, c" in message and "'title'" in message


def test_error_malformed_ris_and_medline(tmp_path):
    assert_one_line_error(write(tmp_path, "bad.ris", "just some text\nno tags\n"), "no TY records")
    assert_one_line_error(write(tmp_path, "bad.nbib", "nothing here\n"), "no MEDLINE records")


def test_error_corrupt_xlsx(tmp_path):
    assert_one_line_error(write(tmp_path, "broken.xlsx", b"PK\x03\x04 this is not a zip"), ".xlsx")
    assert_one_line_error(write(tmp_path, "text.xlsx", "title\nx\n"), ".xlsx")


def test_error_unsupported_extension(tmp_path):
    assert_one_line_error(write(tmp_path, "refs.pdf", "%PDF-1.4"), "unsupported file type")


def test_error_repeated_ids(tmp_path):
    assert_one_line_error(write(tmp_path, "ids.csv", "id,title\n1,a\n1,b\n"), "repeats record id")


def test_error_bad_quoting(tmp_path):
    assert_one_line_error(write(tmp_path, "quote.csv", 'title,abstract\n"a,b\n'), "delimited")


def test_read_records_no_paths():
    with pytest.raises(DataError):
        read_records([])


# --- the real pools ------------------------------------------------------------------------

@pytest.mark.shared_data
def test_every_shared_pool(shared_data):
    pools = sorted(p for p in shared_data.glob("*.csv") if p.name != "index.csv")
    assert pools
    for path in pools:
        df = read_file(path)
        raw = pd.read_csv(path)
        check_table(df)
        assert len(df) == len(raw), path.name
        assert df["record_id"].tolist() == raw["record_id"].astype(str).tolist()
        for col in ("label_included", "label_abstract_screening"):
            if col in raw:
                assert df[col].dtype == "Int64"
                assert df[col].sum() == raw[col].sum(), (path.name, col)
        assert (df["title"] != "").sum() == raw["title"].notna().sum(), path.name
        if "year" in raw:
            assert df["year"].notna().sum() == raw["year"].notna().sum(), path.name
    everything = read_records(pools)
    assert len(everything) == sum(len(pd.read_csv(p)) for p in pools)
    assert everything["record_id"].is_unique


@pytest.mark.parametrize("encoding", ["utf-8-sig", "latin-1", "cp1252", "utf-16"])
@pytest.mark.parametrize("name, content", [("crlf.ris", WOS_RIS), ("crlf.nbib", MEDLINE),
                                           ("crlf.txt", MEDLINE), ("crlf.csv", "title\nÉtude\n")])
def test_tagged_and_tabular_encodings_with_crlf(tmp_path, encoding, name, content):
    text = content.replace("Hair cortisol", "Hair cortisol Étude").replace(
        "Attention-deficit", "Étude attention-deficit").replace("\n", "\r\n")
    df = read_file(write(tmp_path, name, text, encoding=encoding))
    assert "Étude" in df["title"].iloc[0]
    assert not df["title"].str.contains("\r").any()
