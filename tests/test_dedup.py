"""Tests for screener.dedup: title normalising, transitive groups, report and kept records."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from screener.dedup import (
    choose_kept,
    duplicate_groups,
    duplicate_report,
    find_duplicates,
    normalise_title,
)
from screener.readers import RECORD_COLUMNS, read_file


def records(rows: list[dict]) -> pd.DataFrame:
    df = pd.DataFrame(rows)
    for col in RECORD_COLUMNS:
        if col not in df:
            df[col] = pd.NA if col == "year" else ""
    df["record_id"] = df["record_id"].fillna("")
    df["record_id"] = df["record_id"].where(df["record_id"] != "", [str(i + 1) for i in range(len(df))])
    df["year"] = df["year"].astype("Int64")
    columns = RECORD_COLUMNS + [c for c in df.columns if c not in RECORD_COLUMNS]
    return df[columns].fillna({c: "" for c in columns if c != "year"})


def test_normalise_title_variants():
    out = normalise_title(pd.Series([
        "Café  <i>in vitro</i>: a “Study”!", "CAFE in-vitro a study", None, "  ", "naïve_thing",
        "â€œSepsis Sixâ€\x9d", "“Sepsis Six”",
        "Steroids for COPD. [Review] [45 refs]", "Steroids for COPD (Structured abstract)",
        "[Steroids for COPD]. [Chinese]", "Steroids for COPD [Article in German]",
        "Age >or= 65 years", "Age ≥ 65 years", "Age >= 65 years",
        "Oesophageal haemorrhage in paediatric randomised trials", "Esophageal hemorrhage in pediatric randomized trials",
        "β-blockers", "beta-blockers", "Fast track surgery LA: Chi",
    ]))
    assert out.tolist()[:7] == ["cafe in vitro a study", "cafe in vitro a study", "", "",
                                "naive thing", "sepsis six", "sepsis six"]
    assert len(set(out[7:11])) == 1 and out[7] == "steroids for copd"
    assert len(set(out[11:14])) == 1 and out[11] == "age ge 65 years"
    assert out[14] == out[15]
    assert out[16] == out[17] == "beta blockers"
    assert out[18] == "fast track surgery"


def article(**fields) -> dict:
    base = {"title": "Effect of exercise on recovery after stroke in older adults",
            "authors": "Smith, J. A.; Jones, B.; Brown, C.", "year": 2010,
            "journal": "Stroke", "volume": "41", "pages": "100-108"}
    return {**base, **fields}


def test_variants_of_one_article_group_and_identifiers_veto():
    df = records([
        article(doi="10.1/a"),                                                     # 0
        article(title="Effect of exercise on recovery after stroke in older adults. [Review] [12 refs]",
                authors="Smith JA; Jones B; Brown C", journal="Stroke; a journal of cerebral circulation",
                pages="100-8"),                                                    # 1: same article
        article(doi="10.1/b"),                                                     # 2: other DOI: never with 0
        article(title="Unrelated study of something else entirely", doi="10.1/a"),  # 3: same DOI as 0
        article(pmid="7"), article(pmid="8"),                                      # 4, 5: PMIDs differ
    ])
    g = duplicate_groups(df).tolist()
    assert g[0] == g[3] and g[1] in (g[0], g[2]) and g[0] != g[2]
    assert g[4] != g[5]  # one of them may join 0 (no PMID there), never both


def test_journal_and_first_page_find_a_record_no_other_key_finds():
    # Typos in the title's first and last words, no year or volume on the second record: only
    # journal + first page bring the pair together; the fields then say it is one article.
    title = "Peer navigators after non-fatal overdose in rural England: a cluster randomised trial"
    typo = "Peer navigatros after non-fatal overdose in rural England: a cluster randomised trail"
    df = records([article(title=title, authors="Okafor, Anna; Levesque, David"),
                  article(title=typo, authors="Okafor A; Levesque D", year=None, volume="")])
    assert duplicate_groups(df).nunique() == 1
    assert duplicate_groups(df.assign(journal=["Stroke", "Addiction"])).nunique() == 2


def test_one_database_id_is_one_record_unless_a_doi_differs():
    df = records([
        article(title="Exercise after stroke", source_ids="UT (Unique WOS ID):WOS:000283746500012"),
        article(title="Exercise after stroke in older adults: a randomised controlled trial [German]",
                authors="", year=None, source_ids="Web of Science:WOS:000283746500012; Embase:2010123"),
        article(title="Something else", source_ids="WOS:000283746500012", doi="10.1/x"),
        article(title="Something else", source_ids="WOS:000283746500012", doi="10.1/y"),
        article(title="A third study", source_ids="Embase:2010123"),
    ])
    found = find_duplicates(df)
    g = found.groups.tolist()
    assert g[0] == g[1] == g[4]  # the UT joins 0 and 1, the Embase accession number 1 and 4
    assert g[2] != g[3]  # the same UT never outvotes two DOIs
    reasons = set(found.pairs.loc[found.pairs["joined"], "reason"])
    assert "same database id" in reasons


def test_chain_of_lookalikes_cannot_join_two_dois():
    df = records([article(doi="10.1/a"), article(), article(doi="10.1/b")])
    g = duplicate_groups(df).tolist()
    assert g[0] != g[2] and g[1] in (g[0], g[2])


def test_other_venue_other_part_other_pages_are_distinct():
    df = records([
        article(),
        article(journal="European Stroke Journal (conference abstracts)", volume="3", pages="S12"),
        article(title="Effect of exercise on recovery after stroke in 2 groups of older adults"),
        article(title="Effect of exercise on recovery after stroke in 3 groups of older adults"),
        article(year=2014),
    ])
    g = duplicate_groups(df).tolist()
    assert len({g[0], g[1], g[4]}) == 3 and g[2] != g[3]  # 2 and 3 groups: never one, even via 0


def test_translated_title_with_the_same_citation_groups():
    df = records([
        article(title="[Comparison of amoxicillin and cefamandole in pulmonary surgery]"),
        article(title="Antibiotic prophylaxis in pulmonary surgery: amoxicillin versus cefamandole",
                journal="STROKE"),
        article(title="Utilidad de los antimicrobianos; Comparison of amoxicillin and cefamandole "
                      "in pulmonary surgery", volume="", pages=""),
    ])
    assert duplicate_groups(df).nunique() == 1


def test_preprint_and_erratum_are_flagged_not_merged():
    df = records([
        article(record_id="pub", doi="10.1/pub"),
        article(record_id="pre", journal="medRxiv", volume="", pages="", year=2009),
        article(record_id="err", title="Erratum: Effect of exercise on recovery after stroke in older adults"),
    ])
    found = find_duplicates(df)
    assert found.groups.nunique() == 3
    report = duplicate_report(df, found)
    flagged = report[report["status"].str.startswith("flagged")]
    assert {tuple(sorted(r)) for r in flagged["record_ids"]} >= {("pre", "pub")}
    assert any("preprint" in s for s in flagged["status"])


def test_groups_do_not_depend_on_row_order():
    rows = [article(doi="10.1/a"), article(), article(doi="10.1/b"), article(authors="Other, Z."),
            article(title="Exercise and recovery after stroke in older adults"), article(pmid="3")]
    df = records(rows)
    base = duplicate_groups(df)
    for seed in range(5):
        order = np.random.default_rng(seed).permutation(len(df))
        shuffled = duplicate_groups(df.iloc[order])
        assert partition(shuffled) == partition(base)


def partition(groups: pd.Series) -> set[frozenset]:
    return {frozenset(idx) for idx in groups.groupby(groups).groups.values()}


def test_groups_are_index_aligned():
    df = records([article(title="A long title about one thing"),
                  article(title="B unrelated other topic", pages="7-9"),
                  article(title="a long title about one thing")]).set_index(pd.Index([10, 20, 30]))
    assert duplicate_groups(df).to_dict() == {10: 0, 20: 1, 30: 0}


def test_short_and_generic_titles_do_not_match_on_title_alone():
    df = records([
        {"title": "Editorial", "year": 2001}, {"title": "Editorial", "year": 2001},
        {"title": "MLJ Reviews"}, {"title": "MLJ reviews"},
        {"title": "Abstracts", "doi": "10.1/x"}, {"title": "Abstracts", "doi": "10.1/X"},
    ])
    assert duplicate_groups(df).tolist() == [0, 1, 2, 3, 4, 4]


def test_choose_kept_prefers_abstract_then_length_then_order():
    t, u, v, w = ("Trial of one drug in adults", "Umbrella review of two therapies",
                  "Very different third topic here", "Without any duplicate at all")
    df = records([
        article(title=t, abstract=""), article(title=t, abstract="short"),
        article(title=t, abstract="a longer abstract"),
        article(title=u, abstract=""), article(title=u, abstract=""),
        article(title=v, abstract="same"), article(title=v, abstract="same"),
        article(title=w),
    ])
    kept = choose_kept(df, duplicate_groups(df))
    assert kept.tolist() == [False, False, True, True, False, True, False, True]
    assert kept.index.equals(df.index)


def test_duplicate_report_lists_evidence():
    df = records([
        {"record_id": "a1", "title": "T one two", "doi": "10.1/x", "source": "a.ris"},
        {"record_id": "b1", "title": "T one two", "doi": "10.1/x", "abstract": "text",
         "source": "b.csv"},
        {"record_id": "b2", "title": "Lonely", "source": "b.csv"},
        {"record_id": "b3", "title": "Other", "pmid": "5", "source": "b.csv"},
        {"record_id": "c1", "title": "Different", "pmid": "5", "source": "c.nbib"},
        article(record_id="d1", source="d.ris"), article(record_id="d2", authors="Smith J; Jones B; Brown C",
                                                         source="e.ris"),
    ])
    found = find_duplicates(df)
    report = duplicate_report(df, found)
    assert report["status"].eq("merged").all() and len(report) == 3
    first, second, third = (report.iloc[k] for k in range(3))
    assert first["record_ids"] == ["a1", "b1"] and first["sources"] == ["a.ris", "b.csv"]
    assert first["matched_on"] == "a1~b1: same DOI" and first["kept_record_id"] == "b1"
    assert second["matched_on"] == "b3~c1: same PMID" and second["size"] == 2
    assert third["matched_on"].startswith("d1~d2: title 1.00, authors") and "page same" in third["matched_on"]
    assert duplicate_report(df, found.groups).equals(report)  # groups alone: found again


def test_report_without_duplicates_is_empty():
    df = records([{"title": "A"}, {"title": "B"}])
    report = duplicate_report(df, duplicate_groups(df))
    assert report.empty and "kept_record_id" in report.columns


def test_empty_table():
    df = records([{"title": "A"}]).iloc[:0]
    assert duplicate_groups(df).empty
    assert choose_kept(df, duplicate_groups(df)).empty


def test_inputs_not_mutated():
    df = records([{"title": "A long title", "doi": "10.1/X"}, {"title": "a long title"}]).assign(
        volume="1", pages="2")
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
    """Pools that mark duplicates (duplicate_record_id) agree with our groups where the
    pair shares a year, except where the two abstracts say otherwise; nothing else is grouped."""
    for name in ("Kitchenham_2010", "Nagtegaal_2019"):
        path = shared_data / f"{name}.csv"
        df = read_file(path)
        marks = pd.read_csv(path)["duplicate_record_id"]
        found = find_duplicates(df)
        groups = found.groups.to_numpy()
        position = {rid: i for i, rid in enumerate(df["record_id"])}
        pairs = [tuple(sorted((i, position[str(int(d))]))) for i, d in marks.items() if pd.notna(d)]
        years = df["year"].astype("object").where(df["year"].notna(), None).tolist()
        evidence = found.pairs.set_index(["i", "j"])
        contradicted = {p for p in pairs if p in evidence.index and evidence.loc[p, "abstract_sim"] < 0.5}
        same_year = [(i, j) for i, j in pairs if years[i] == years[j] and (i, j) not in contradicted]
        assert same_year and all(groups[i] == groups[j] for i, j in same_year), name
        unmarked = found.pairs[found.pairs["joined"]]
        unmarked = unmarked[[(i, j) not in set(pairs) for i, j in zip(unmarked["i"], unmarked["j"])]]
        assert (unmarked["title_sim"] >= 0.95).all(), name  # unmarked merges: the same title


def test_demo_exports_never_merge_two_dois():
    """The demo's four exports: every group holds at most one DOI (issue 14: 77 such pairs before)."""
    from pathlib import Path

    from screener.readers import read_records

    demo = Path(__file__).resolve().parents[1] / "data" / "demo"
    records = read_records([demo / n for n in ("ebscohost.ris", "pubmed.nbib", "webofscience.csv",
                                               "update_search.ris")])
    groups = duplicate_groups(records)
    dois = records.assign(g=groups.to_numpy())[records["doi"] != ""].groupby("g")["doi"].nunique()
    assert (dois <= 1).all() and groups.nunique() < len(records)
