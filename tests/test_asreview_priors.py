"""The ASReview baseline draws the default priors exactly as EVALUATION.md (and ASReview's
`simulate --n-prior-included 1 --n-prior-excluded 1 --prior-seed SEED`) does.

Pinned values were checked against ASReview 3.0.8's own CLI draw. screener's own prior
draw must give the same record ids; compare it against these pins.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]


def _baseline():
    spec = importlib.util.spec_from_file_location(
        "asreview_baseline", ROOT / "benchmarks" / "asreview_baseline.py"
    )
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_draw_priors_matches_randomstate_choice_without_replacement():
    draw_priors = _baseline().draw_priors
    y = np.array([0, 1, 0, 0, 1, 1, 0, 1, 0, 0, 0, 1])
    df = pd.DataFrame({"record_id": [f"r{i}" for i in range(len(y))], "label_included": y})
    for seed in range(5):
        inc, exc = np.flatnonzero(y == 1), np.flatnonzero(y == 0)
        i = np.random.RandomState(seed).choice(inc, 1, replace=False)[0]
        e = np.random.RandomState(seed).choice(exc, 1, replace=False)[0]
        assert draw_priors(df, seed, "label_included") == [f"r{i}", f"r{e}"]


def test_draw_priors_uses_the_given_label_column():
    draw_priors = _baseline().draw_priors
    df = pd.DataFrame({"record_id": ["a", "b", "c"], "label_included": [1, 0, 0],
                       "label_abstract_screening": [0, 1, 0]})
    assert draw_priors(df, 0, "label_abstract_screening")[0] == "b"
    assert draw_priors(df, 0, "label_included")[0] == "a"


@pytest.mark.parametrize(
    "pool,seed,expected",
    [
        ("Cohen_2006_Antihistamines", 0, ["15", "230"]),
        ("SYNERGY_Donners_2021", 0, ["31", "119"]),
    ],
)
def test_draw_priors_on_real_pools(shared_data, pool, seed, expected):
    draw_priors = _baseline().draw_priors
    df = pd.read_csv(shared_data / f"{pool}.csv", dtype={"record_id": str}, keep_default_na=False)
    assert draw_priors(df, seed, "label_included") == expected
