import json

import numpy as np
import pandas as pd
import pytest

from screener.demo_data import make_demo_pool
from screener.errors import ConfigError, DataError
from screener.simulate import (
    SimulationJob,
    SimulationSettings,
    draw_priors,
    run_job,
    simulate,
)


@pytest.fixture(scope="module")
def pool():
    return make_demo_pool(150, random_state=3).drop(columns=["label_abstract_screening"])


def test_priors_follow_the_evaluation_protocol():
    y = np.array([0, 1, 0, 0, 1, 0, 1, 0])
    inc, exc = np.flatnonzero(y == 1), np.flatnonzero(y == 0)
    assert draw_priors(y, 5) == [int(np.random.RandomState(5).choice(inc, 1, replace=False)[0]),
                                 int(np.random.RandomState(5).choice(exc, 1, replace=False)[0])]


def test_priors_match_asreview_reference_runs(shared_data):
    # the record ids ASReview 3.0.8's --prior-seed draws (checked against EVALUATION.md's table)
    from screener.readers import read_file
    from screener.simulate import labels_of

    for name, ids in [("Cohen_2006_Antihistamines", ["15", "230"]), ("SYNERGY_Donners_2021", ["31", "119"])]:
        records = read_file(shared_data / f"{name}.csv")
        rows = draw_priors(labels_of(records, "label_included"), 0)
        assert records.record_id.iloc[rows].tolist() == ids


def test_order_is_a_complete_permutation_with_priors_first(pool):
    order = simulate(pool, seed=1)
    assert list(order.columns) == ["rank", "record_id", "label", "is_prior", "score"]
    assert sorted(order.record_id) == sorted(pool.record_id)
    assert order["rank"].tolist() == list(range(1, len(pool) + 1))
    assert order.is_prior.tolist()[:2] == [1, 1] and order.is_prior[2:].sum() == 0
    assert order.score[:2].isna().all() and order.score[2:].between(0, 1).all()
    labels = pool.set_index("record_id").label_included
    assert (order.label.to_numpy() == labels.loc[order.record_id].to_numpy()).all()


def test_same_seed_same_order_and_row_order_is_irrelevant(pool):
    a = simulate(pool, seed=2)
    b = simulate(pool, seed=2)
    pd.testing.assert_frame_equal(a, b)
    # relevant records first in the file (as several public files do): same priors, same result
    shuffled = pool.sort_values("label_included", ascending=False, kind="stable")
    c = simulate(shuffled, seed=2, prior_ids=list(a.record_id[:2]))
    assert c.record_id.tolist() == a.record_id.tolist()


def test_different_seeds_give_different_runs(pool):
    assert simulate(pool, seed=0).record_id.tolist() != simulate(pool, seed=1).record_id.tolist()


def test_stop_at_last_relevant_and_retrain_every(pool):
    settings = SimulationSettings(stop_at_last_relevant=True, retrain_every=5)
    order = simulate(pool, seed=0, settings=settings)
    assert order.label.iloc[-1] == 1 and order.label.sum() == pool.label_included.sum()
    assert len(order) < len(pool)


def test_cold_start_without_priors(pool):
    order = simulate(pool, seed=0, prior_ids=())
    assert order.is_prior.sum() == 0 and len(order) == len(pool)


def test_the_ranking_beats_random_reading(pool):
    order = simulate(pool, seed=0)
    found = order[order.is_prior == 0].label.to_numpy()
    half = len(found) // 2
    assert found[:half].sum() > 0.8 * found.sum()


def test_bad_inputs_give_clear_errors(pool):
    with pytest.raises(DataError, match="no label column 'nope'"):
        simulate(pool, label_column="nope")
    with pytest.raises(ConfigError, match="no record with id zz"):
        simulate(pool, prior_ids=["zz"])
    unlabelled = pool.assign(label_included=pd.array([pd.NA] * len(pool), dtype="Int64"))
    with pytest.raises(DataError, match="without a label"):
        simulate(unlabelled)
    with pytest.raises(DataError, match="no relevant records"):
        simulate(pool.assign(label_included=0))


def test_run_job_writes_order_and_metrics(tmp_path, pool):
    data = tmp_path / "pool.csv"
    pool.to_csv(data, index=False)
    row = run_job(SimulationJob(data=str(data), seed=4, out_dir=str(tmp_path / "run")))
    saved = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert saved["records@95"] == row["records@95"] and saved["dataset"] == "pool"
    assert saved["N"] == len(pool) - 2 and "scikit-learn" in saved["versions"]
    assert len(pd.read_csv(tmp_path / "run" / "order.csv")) == len(pool)


def test_stop_at_recall_gives_the_same_records_at_r_as_a_full_run():
    from screener.simulate import run_metrics

    pool = make_demo_pool(400, random_state=5).drop(columns=["label_abstract_screening"])
    full = simulate(pool, seed=4, settings=SimulationSettings(stop_at_last_relevant=True))
    part = simulate(pool, seed=4, settings=SimulationSettings(stop_at_recall=0.8))
    assert len(part) < len(full)
    pd.testing.assert_frame_equal(part, full.iloc[: len(part)])
    n_relevant = int(pool["label_included"].sum())
    m_full = run_metrics(full, len(pool))
    m_part = run_metrics(part, len(pool), n_relevant)
    assert m_part["records@80"] == m_full["records@80"] and m_part["R"] == m_full["R"]
    assert m_part["records@100"] >= m_full["records@100"]  # beyond the stop: a worst case
    with pytest.raises(ConfigError, match="stop_at_recall"):
        simulate(pool, seed=4, settings=SimulationSettings(stop_at_recall=1.5))
