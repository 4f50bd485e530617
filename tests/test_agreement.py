"""Agreement statistics against values computed by hand."""

from __future__ import annotations

import pytest

from screener.agreement import agreement


def _pairs(table: dict[tuple[str, str], int]) -> tuple[list[str], list[str]]:
    a, b = [], []
    for (x, y), n in table.items():
        a += [x] * n
        b += [y] * n
    return a, b


def test_balanced_table():
    # 20 both include, 5 a include / b exclude, 10 a exclude / b include, 15 both exclude (n = 50):
    # p_o = 35/50 = 0.7; a: 25/25, b: 30/20 -> p_e = .5*.6 + .5*.4 = 0.5; kappa = .2/.5 = 0.4;
    # PABAK = 2*.7 - 1 = 0.4.
    a, b = _pairs({("include", "include"): 20, ("include", "exclude"): 5,
                   ("exclude", "include"): 10, ("exclude", "exclude"): 15})
    r = agreement(a, b, a="alice", b="bob", categories=("include", "exclude"))
    assert (r.n, r.n_agree) == (50, 35)
    assert r.table == ((20, 5), (10, 15)) and r.count("exclude", "include") == 10
    assert r.observed == pytest.approx(0.7) and r.expected == pytest.approx(0.5)
    assert r.kappa == pytest.approx(0.4) and r.pabak == pytest.approx(0.4)


def test_low_prevalence_kappa_is_low_while_pabak_is_high():
    # 2 both include, 3 a-only, 1 b-only, 94 both exclude (n = 100): p_o = 0.96;
    # a includes 5%, b 3%: p_e = .05*.03 + .95*.97 = 0.923; kappa = .037/.077 = 0.48052;
    # PABAK = 0.92.
    a, b = _pairs({("include", "include"): 2, ("include", "exclude"): 3,
                   ("exclude", "include"): 1, ("exclude", "exclude"): 94})
    r = agreement(a, b, categories=("include", "exclude"))
    assert r.observed == pytest.approx(0.96) and r.expected == pytest.approx(0.923)
    assert r.kappa == pytest.approx(0.037 / 0.077) and r.pabak == pytest.approx(0.92)


def test_three_categories_and_pair_order_does_not_matter():
    # 3 categories, n = 10: diagonal 2 + 3 + 1 = 6 -> p_o = 0.6; PABAK = (3*.6 - 1)/2 = 0.4.
    # a: inc 4, exc 4, maybe 2; b: inc 3, exc 5, maybe 2 -> p_e = (12 + 20 + 4)/100 = 0.36;
    # kappa = (.6 - .36)/.64 = 0.375.
    table = {("include", "include"): 2, ("include", "exclude"): 1, ("include", "maybe"): 1,
             ("exclude", "exclude"): 3, ("exclude", "include"): 1,
             ("maybe", "maybe"): 1, ("maybe", "exclude"): 1}
    a, b = _pairs(table)
    r = agreement(a, b, categories=("include", "exclude", "maybe"))
    assert r.observed == pytest.approx(0.6) and r.pabak == pytest.approx(0.4)
    assert r.expected == pytest.approx(0.36) and r.kappa == pytest.approx(0.375)
    r2 = agreement(a[::-1], b[::-1], categories=("include", "exclude", "maybe"))
    assert r2 == r


def test_degenerate_cases():
    empty = agreement([], [], categories=("include", "exclude"))
    assert empty.n == 0 and empty.kappa is None and empty.observed is None
    same = agreement(["exclude"] * 5, ["exclude"] * 5, categories=("include", "exclude"))
    assert same.observed == 1.0 and same.kappa is None and same.pabak == 1.0  # p_e = 1: kappa undefined
    with pytest.raises(ValueError, match="not among categories"):
        agreement(["include"], ["maybe"], categories=("include", "exclude"))
    with pytest.raises(ValueError, match="one length"):
        agreement(["include"], [], categories=("include", "exclude"))
