"""The synthetic demo pool: deterministic, realistic class structure, shipped files in sync."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import rispy

from screener.demo_data import CATEGORIES, COLUMNS, make_demo_pool, write_demo_files
from screener.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "data" / "demo"


@pytest.fixture(scope="module")
def pool() -> pd.DataFrame:
    return make_demo_pool(with_category=True)


@pytest.fixture(scope="module")
def fresh(tmp_path_factory) -> dict[str, Path]:
    return write_demo_files(tmp_path_factory.mktemp("demo"))


def test_same_seed_same_frame_other_seed_differs():
    a = make_demo_pool(300, random_state=7)
    pd.testing.assert_frame_equal(a, make_demo_pool(300, random_state=7))
    assert not a["title"].equals(make_demo_pool(300, random_state=8)["title"])


def test_columns_and_dtypes(pool):
    plain = make_demo_pool(50)
    assert list(plain.columns) == COLUMNS
    assert list(pool.columns) == [*COLUMNS, "category"]
    assert pool["record_id"].tolist() == [str(i) for i in range(1, len(pool) + 1)]
    assert pd.api.types.is_integer_dtype(pool["year"]) and pool["year"].between(1995, 2025).all()
    for label in ("label_included", "label_abstract_screening"):
        assert pd.api.types.is_integer_dtype(pool[label]) and set(pool[label]) == {0, 1}
    assert pool["doi"].str.fullmatch(r"10\.9999/demo\.\d{5}").all() and pool["doi"].is_unique
    pmids = pool.loc[pool["pmid"] != "", "pmid"]
    assert pmids.str.fullmatch(r"\d{8}").all() and pmids.is_unique and 0.5 < len(pmids) / len(pool) < 0.9


def test_prevalence_and_label_nesting(pool):
    assert 0.025 <= pool["label_included"].mean() <= 0.035
    assert 0.06 <= pool["label_abstract_screening"].mean() <= 0.10
    # every include is kept at title/abstract screening
    assert (pool["label_abstract_screening"] >= pool["label_included"]).all()


def test_every_class_present_in_good_numbers(pool):
    counts = pool["category"].value_counts()
    assert set(counts.index) == set(CATEGORIES)
    for confounder in ("peer_quantitative", "qualitative_no_peer", "peer_other_condition", "peer_non_primary"):
        assert counts[confounder] >= counts["include"]
    assert (pool.loc[pool["category"] == "include", "label_included"] == 1).all()


def test_realistic_text(pool):
    words = pool.loc[pool["abstract"] != "", "abstract"].str.split().str.len()
    assert 0.02 < (pool["abstract"] == "").mean() < 0.08  # some title-only records
    assert words.median() >= 120 and words.max() <= 250
    includes = pool[pool["category"] == "include"]
    assert includes["title"].str.contains("peer|lived experience|recovery coach", case=False).mean() > 0.5


def test_shipped_files_equal_a_fresh_regeneration(fresh):
    assert sorted(p.name for p in fresh.values()) == sorted(p.name for p in SHIPPED.iterdir())
    for path in fresh.values():
        assert path.read_bytes() == (SHIPPED / path.name).read_bytes(), f"regenerate {path.name}"
    assert sum(p.stat().st_size for p in fresh.values()) < 5_000_000


def test_pool_csv_is_make_demo_pool(fresh):
    shipped = pd.read_csv(fresh["pool"], dtype={"record_id": str, "pmid": str, "doi": str}, keep_default_na=False)
    pd.testing.assert_frame_equal(shipped, make_demo_pool(), check_dtype=False)


def test_exports_overlap_and_cover_the_pool(fresh):
    pool = pd.read_csv(fresh["pool"], dtype=str, keep_default_na=False)
    ris = rispy.load(fresh["ebscohost"])
    nbib = fresh["pubmed"].read_text(encoding="utf-8")
    wos = pd.read_csv(fresh["webofscience"], dtype=str, keep_default_na=False)
    accessions = [r["accession_number"] for r in ris]
    ris_ids = {a.split("-")[-1] for a in accessions}
    assert len(ris) > len(ris_ids)  # EBSCOhost exports hold in-file duplicates ...
    assert len(set(accessions)) == len(ris)  # ... from different databases, so distinct accessions
    assert all(r["type_of_reference"] == "JOUR" and r["title"] for r in ris)
    pmid_lines = [line for line in nbib.splitlines() if line.startswith("PMID-")]
    assert len(pmid_lines) == nbib.count("\n\nPMID- ") + 1 == len(set(pmid_lines))
    nbib_ids = {str((int(line[6:]) - 24_000_000) // 1000) for line in pmid_lines}
    wos_ids = {str(int(u[8:])) for u in wos["UT (Unique WOS ID)"]}
    for found in (ris_ids, nbib_ids, wos_ids):
        assert 0.4 * len(pool) < len(found) < 0.75 * len(pool)
    assert ris_ids | nbib_ids | wos_ids == set(pool["record_id"])
    assert (wos["DOI"] == "").any() and (wos["Article Title"].str.isupper()).any()


def test_nbib_continuation_lines_are_indented(fresh):
    for line in fresh["pubmed"].read_text(encoding="utf-8").splitlines():
        assert line == "" or line[4:6] == "- " or line.startswith("      ")


def test_update_search_is_new(fresh):
    pool = pd.read_csv(fresh["pool"], dtype=str, keep_default_na=False)
    update = rispy.load(fresh["update"])
    labels = pd.read_csv(fresh["update_labels"], dtype={"record_id": str})
    assert len(update) == len(labels) == 200
    assert not {r["doi"] for r in update} & set(pool["doi"])
    assert not {r["title"] for r in update} <= set(pool["title"])
    assert labels["label_included"].sum() >= 3


@pytest.mark.parametrize("bad", [0, -5, 2.5])
def test_bad_size_is_a_config_error(bad, tmp_path):
    with pytest.raises(ConfigError, match="n_records"):
        make_demo_pool(bad)
    with pytest.raises(ConfigError, match="n_records"):
        write_demo_files(tmp_path, n_records=bad)
