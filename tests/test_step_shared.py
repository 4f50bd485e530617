"""The session and the simulation run one step: the same ledger gives the same queue through both."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import DEMO, make_review
from screener.labels import UNLABELLED
from screener.project import load_pool, project_learner
from screener.project.store import Store
from screener.session import Session
from screener.simulate import replay

N_STEPS = 40


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    return make_review(tmp_path_factory.mktemp("tpl") / "review", seed=5)


def _oracle(store: Store, pool) -> np.ndarray:
    truth = pd.read_csv(DEMO / "update_search_labels.csv", dtype={"record_id": str}).set_index("record_id")
    source = store.records().set_index("id").loc[pool.ids, "source_record_id"].astype(str).str.removeprefix("demo-eb-")
    return truth.loc[source, "label_included"].to_numpy(np.int8)


def test_session_queue_is_the_simulation_queue(store):
    pool = load_pool(store)
    y = _oracle(store, pool)
    assert 3 <= y.sum() < len(y) - 3
    # the ledger so far: one include and one exclude (a simulation's priors)
    priors = [int(np.flatnonzero(y == 1)[-1]), int(np.flatnonzero(y == 0)[-1])]
    for row in priors:
        store.add_decision(int(pool.ids[row]), "include" if y[row] else "exclude", reviewer="ann")

    session = Session(store, pool, reviewer="ann", background=False)  # every decision gets its fit
    row_of = {int(i): r for r, i in enumerate(pool.ids)}
    shown = []
    for _ in range(N_STEPS):
        row = row_of[session.view().record["record_id"]]
        shown.append(row)
        session.handle_key("i" if y[row] else "e")
    session.close()

    # the simulation's loop from the same ledger, with the learner a project rebuilds from it
    labels = np.full(len(y), UNLABELLED, dtype=np.int8)
    labels[priors] = y[priors]
    learner = project_learner(seed=5, n_ledger=len(priors))
    picked, _, _ = replay(learner, pool.X, y, labels, pseudo=pool.pseudo, max_picks=N_STEPS)

    assert shown == picked
    assert len(set(shown)) == N_STEPS and y[shown].sum() >= 1
