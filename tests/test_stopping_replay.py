"""Replaying one order with one rule (screener.stopping.replay)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from screener.stopping import STOPPING_RULES, make_rule
from screener.stopping.replay import replay


def order_labels():
    # priors (1, 0), then 8 relevant in the first 20 ranked, 1 late relevant at ranked position 150, pool 202
    ranked = np.zeros(200, np.int8)
    ranked[[0, 1, 2, 4, 6, 9, 12, 17]] = 1
    ranked[149] = 1
    return np.r_[np.array([1, 0], np.int8), ranked]


def test_replay_checks_every_k_records():
    labels = order_labels()
    r = replay(labels, 2, make_rule("n_in_a_row:n=50"), check_every=5)
    assert r["screened"] - 2 == 70  # first check at a multiple of 5 past the run


def test_hypergeometric_random_samples_after_the_switch():
    labels = order_labels()
    r = replay(labels, 2, make_rule("hypergeometric_random:switch_after=30"), target=0.8, random_state=0)
    assert r["screened"] - 2 == 50  # 18 + 30 zeros, checked every 5
    assert r["sampled"] > 0


def test_replay_draws_from_the_generator_it_is_given():
    labels = order_labels()
    rule = make_rule("target:T=3")
    a = replay(labels, 2, rule, target=0.8, random_state=np.random.default_rng(5))
    assert a == replay(labels, 2, rule, target=0.8, random_state=5)
    draws = {replay(labels, 2, rule, target=0.8, random_state=s)["effort_records"] for s in range(6)}
    assert len(draws) > 1  # the sample, hence the effort, depends on the seed


@pytest.mark.parametrize("name", sorted(STOPPING_RULES))
def test_replay_does_not_mutate_the_order(name):
    labels = order_labels()
    before = labels.copy()
    cps = pd.DataFrame({"n_screened": [2, 60], "expected_remaining": [5.0, 0.1], "var": [2.0, 0.1]})
    r = replay(labels, 2, make_rule(name), checkpoints=cps)
    assert np.array_equal(labels, before)
    assert 2 <= r["screened"] <= len(labels) and 0 <= r["found"] <= 9


def test_the_rules_import_no_simulation_reader_or_file_code():
    code = ("import sys, screener.stopping, screener.stopping.replay; "
            "print(' '.join(sorted(m for m in sys.modules if m.startswith('screener'))))")
    loaded = set(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split())
    banned = {"screener.simulate", "screener.readers", "screener.orders", "screener.active", "screener.model",
              "screener.features", "screener.parallel", "screener.session", "screener.store", "screener.cli"}
    assert not loaded & banned
    assert not any(m.startswith(("screener.experiments", "screener.project", "screener.cli")) for m in loaded)
