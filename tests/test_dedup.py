"""Tests for screener.dedup: title normalising, transitive groups, report and kept records."""

from __future__ import annotations


import numpy as np
import pandas as pd
import pytest

from screener.dedup import choose_kept, duplicate_groups, duplicate_report, normalise_title
from screener.readers import RECORD_COLUMNS, read_file


def records(rows: list[dict]) -> pd.DataFrame:
    df = pd.DataFrame(rows)
    for col in RECORD_COLUMNS:
        if col not in df:
            df[col] = pd.NA if col == "year" else ""
    df["record_id"] = [str(i + 1) for i in range(len(df))] if (df["record_id"] == "").all() \
        else df["record_id"]
    df["year"] = df["year"].astype("Int64")
    return df[RECORD_COLUMNS].fillna({c: "" for c in RECORD_COLUMNS if c != "year"})


def test_normalise_title():
    out = normalise_title(pd.Series([
        "Café  <i>in vitro</i>: a “Study”!", "CAFE in-vitro a study", None, "  ", "naïve_thing",
        "â€œSepsis Sixâ€\x9d", "“Sepsis Six”",
    ]))
    assert out.tolist() == ["cafe in vitro a study", "cafe in vitro a study", "", "",
                            "naive thing", "sepsis six", "sepsis six"]


def test_groups_by_doi_pmid_and_title_year_transitively():
    df = records([
        {"title": "Alpha beta gamma", "doi": "10.1/a", "year": 2001},     # 0
        {"title": "Alpha (other title)", "doi": "10.1/a", "pmid": "7"},  # 1: doi with 0
        {"title": "Unrelated", "pmid": "7", "year": 2003},               # 2: pmid with 1
        {"title": "ALPHA, beta & gamma.", "year": 2001},                 # 3: title+year with 0
        {"title": "Alpha beta gamma", "year": 2002},                     # 4: other year, alone
        {"title": "A paper without year"},                               # 5
        {"title": "a paper without year!"},                              # 6: both years missing
        {"title": "", "abstract": "x"},                                  # 7: empty title
        {"title": "", "abstract": "y"},                                  # 8: no key at all
    ])
    g = duplicate_groups(df)
    assert g.index.equals(df.index)
    assert g.dtype == "int64"
    assert g.tolist() == [0, 0, 0, 0, 1, 2, 2, 3, 4]


def test_short_and_generic_titles_do_not_match_alone():
    df = records([
        {"title": "Editorial", "year": 2001}, {"title": "Editorial", "year": 2001},
        {"title": "MLJ Reviews"}, {"title": "MLJ reviews"},
        {"title": "From the Editors"}, {"title": "From the editors"},
        {"title": "Abstracts", "doi": "10.1/x"}, {"title": "Abstracts", "doi": "10.1/X"},
    ])
    assert duplicate_groups(df).tolist() == [0, 1, 2, 3, 4, 5, 6, 6]


def test_groups_are_index_aligned():
    df = records([{"title": "A long title"}, {"title": "B long title"},
                  {"title": "a long title"}]).set_index(
        pd.Index([10, 20, 30]))
    assert duplicate_groups(df).to_dict() == {10: 0, 20: 1, 30: 0}


def test_choose_kept_prefers_abstract_then_length_then_order():
    df = records([
        {"title": "T one two", "abstract": ""},
        {"title": "T one two", "abstract": "short"},
        {"title": "T one two", "abstract": "a longer abstract"},
        {"title": "U one two", "abstract": ""},
        {"title": "U one two", "abstract": ""},
        {"title": "V one two", "abstract": "same"},
        {"title": "V one two", "abstract": "same"},
        {"title": "W one two"},
    ])
    kept = choose_kept(df, duplicate_groups(df))
    assert kept.tolist() == [False, False, True, True, False, True, False, True]
    assert kept.index.equals(df.index)


def test_duplicate_report():
    df = records([
        {"record_id": "a1", "title": "T one two", "doi": "10.1/x", "source": "a.ris"},
        {"record_id": "b1", "title": "T one two", "doi": "10.1/x", "abstract": "text",
         "source": "b.csv"},
        {"record_id": "b2", "title": "Lonely", "source": "b.csv"},
        {"record_id": "b3", "title": "Other", "pmid": "5", "source": "b.csv"},
        {"record_id": "c1", "title": "Different", "pmid": "5", "source": "c.nbib"},
    ])
    groups = duplicate_groups(df)
    report = duplicate_report(df, groups)
    assert report["group"].tolist() == [0, 2]
    first, second = report.iloc[0], report.iloc[1]
    assert first["record_ids"] == ["a1", "b1"] and first["sources"] == ["a.ris", "b.csv"]
    assert first["matched_on"] == "doi; title+year"
    assert first["kept_record_id"] == "b1"
    assert second["matched_on"] == "pmid" and second["size"] == 2


def test_report_without_duplicates_is_empty():
    df = records([{"title": "A"}, {"title": "B"}])
    report = duplicate_report(df, duplicate_groups(df))
    assert report.empty and "kept_record_id" in report.columns


def test_empty_table():
    df = records([{"title": "A"}]).iloc[:0]
    assert duplicate_groups(df).empty
    assert choose_kept(df, duplicate_groups(df)).empty


def test_inputs_not_mutated():
    df = records([{"title": "A long title", "doi": "10.1/X"}, {"title": "a long title"}])
    before = df.copy()
    groups = duplicate_groups(df)
    duplicate_report(df, groups)
    choose_kept(df, groups)
    pd.testing.assert_frame_equal(df, before)


def test_many_records_group_correctly():
    # correctness at size; speed is measured in benchmarks/bench_import.py, not asserted here
    rng = np.random.default_rng(0)
    n = 20_000
    ids = rng.integers(0, 14_000, n)  # about 30% duplicates
    df = pd.DataFrame({
        "record_id": np.arange(n).astype(str),
        "title": pd.Series(ids).map(lambda i: f"A study of thing number {i}"),
        "abstract": "",
        "year": pd.array(2000 + ids % 20, dtype="Int64"),
        "doi": np.where(ids % 3 == 0, pd.Series(ids).map(lambda i: f"10.1/{i}"), ""),
        "pmid": "",
    })
    groups = duplicate_groups(df)
    assert groups.nunique() == len(np.unique(ids))


@pytest.mark.shared_data
def test_shared_pools_marked_duplicates(shared_data):
    """Pools that mark duplicates (duplicate_record_id) agree with our groups where
    the pair shares a year (our rule); no other pairs are grouped in these pools."""
    for name in ("Kitchenham_2010", "Nagtegaal_2019"):
        path = shared_data / f"{name}.csv"
        df = read_file(path)
        marks = pd.read_csv(path)["duplicate_record_id"]
        groups = duplicate_groups(df).to_numpy()
        position = {rid: i for i, rid in enumerate(df["record_id"])}
        pairs = [(i, position[str(int(d))]) for i, d in marks.items() if pd.notna(d)]
        years = df["year"].astype("object").where(df["year"].notna(), None).tolist()
        same_year = [(i, j) for i, j in pairs if years[i] == years[j]]
        assert same_year and all(groups[i] == groups[j] for i, j in same_year), name
        assert len(df) - len(np.unique(groups)) <= len(pairs)
