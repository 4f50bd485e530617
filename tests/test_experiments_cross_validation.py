"""Leave-one-family-out choice of stopping settings (screener.experiments.cross_validation) and
``screener stopping evaluate --cv``."""

from __future__ import annotations

import pandas as pd
import pytest

from conftest import run_cli
from screener.errors import ConfigError
from screener.experiments.cross_validation import choose, cross_validate, expand_grid, family, out_of_fold_summary
from test_cli_stopping import make_pool, write_orders


def test_families_follow_evaluation_md():
    assert family("Cohen_2006_ADHD") == "Cohen_2006"
    assert family("SYNERGY_Chou_2004") == "Cohen_2006"  # same drug class review as SkeletalMuscleRelaxants
    assert family("SYNERGY_Oud_2018") == "SYNERGY"
    assert family("CLEF2019_CD005139") == "CLEF2019"
    assert family("Hamilton_2022") == family("Nagtegaal_2019") == "others"


def fake_rows() -> pd.DataFrame:
    """Two settings over three families × 10 seeds: 'cheap' misses on CLEF2017, 'safe' never."""
    rows = []
    for pool in ("Cohen_2006_A", "CLEF2017_B", "SYNERGY_C"):
        for seed in range(20):
            for rule, reached, excess in (("cheap", pool != "CLEF2017_B", 0.1), ("safe", True, 0.3)):
                for target in (0.9, 0.95):
                    rows.append({"pool": pool, "seed": seed, "rule": rule, "target": target, "reached": reached,
                                 "recall": 1.0 if reached else 0.8, "effort": excess + 0.2, "excess": excess,
                                 "bound": 0.95, "label": "label_included"})
    return pd.DataFrame(rows)


def test_choice_needs_the_lower_bound_then_least_excess():
    rows = fake_rows()
    assert choose(rows, min_lower=0.5)["spec"] == "cheap"  # 2/3 reliable: lower bound above 0.5
    best = choose(rows, min_lower=0.9)
    assert best["spec"] == "safe" and best["met"]
    none = choose(rows[rows["rule"] == "cheap"], min_lower=0.99)
    assert none["spec"] == "cheap" and not none["met"]  # nothing meets it: the most careful one


def test_each_family_is_reported_with_the_choice_made_without_it():
    held, picks = cross_validate(fake_rows(), min_lower=0.9)
    assert set(picks["fold"]) == {"CLEF2017", "Cohen_2006", "SYNERGY"}
    pick = picks.set_index("fold")["chosen"]
    # without CLEF2017 'cheap' looks perfect; it is then measured on CLEF2017 where it fails
    assert pick["CLEF2017"] == "cheap" and pick["Cohen_2006"] == "safe"
    assert len(held) == 3 * 20 * 2  # every held-out pool, seed and target once
    clef = held[held["pool"] == "CLEF2017_B"]
    assert set(clef["rule"]) == {"cheap"} and not clef["reached"].any()
    s = out_of_fold_summary(held)
    assert s.set_index("target").loc[0.95, "reliability"] == pytest.approx(2 / 3)
    assert s.set_index("target").loc[0.95, "coverage"] == pytest.approx(2 / 3)


def test_choice_uses_only_the_choosing_seeds():
    rows = fake_rows()
    # 'cheap' fails CLEF2017 on seeds 10-19 only, and CLEF2017 is never left out of its own test
    rows.loc[(rows["rule"] == "cheap") & (rows["pool"] == "CLEF2017_B") & (rows["seed"] < 10), "reached"] = True
    _, picks = cross_validate(rows, min_lower=0.9, choose_seeds=range(10))
    assert set(picks["chosen"]) == {"cheap"}


def test_bad_settings_are_one_clear_error():
    with pytest.raises(ConfigError, match="target"):
        cross_validate(fake_rows(), target=1.0)
    with pytest.raises(ConfigError, match="two folds"):
        cross_validate(fake_rows().assign(pool="Cohen_2006_A"))


def test_expand_grid():
    assert expand_grid("knee") == ["knee"]
    assert expand_grid("point_process:ll_drop=1|2,min_run=25|50") == [
        "point_process:ll_drop=1,min_run=25", "point_process:ll_drop=1,min_run=50",
        "point_process:ll_drop=2,min_run=25", "point_process:ll_drop=2,min_run=50"]


def test_cli_cv_reports_out_of_fold(tmp_path):
    orders = tmp_path / "orders"
    pools = []
    for name in ("Cohen_2006_Toy", "CLEF2017_Toy"):
        d = tmp_path / name
        d.mkdir()
        pool = make_pool(d).rename(d / f"{name}.csv")
        sub = write_orders(d, pool, range(3))
        (sub / "pool").rename(orders / name) if orders.exists() else (orders.mkdir(), (sub / "pool").rename(orders / name))
        pools.append(pool)
    out = tmp_path / "out"
    code, stdout, stderr = run_cli(["stopping", "evaluate", *pools, "--seeds", "0-2", "--targets", "0.9,0.95",
                                    "--rules", "n_in_a_row:n=5|20;point_process:ll_drop=1.92", "--orders", orders,
                                    "--out", out, "--n-jobs", "1", "--cv", "--choose-seeds", "0-1"])
    assert code == 0, stderr
    assert "Out of fold" in stdout and "| CLEF2017 |" in stdout
    held = pd.read_json(out / "stopping_cv.jsonl", lines=True)
    assert set(held["pool"]) == {"Cohen_2006_Toy", "CLEF2017_Toy"} and len(held) == 2 * 3 * 2
    assert (out / "stopping_cv.md").exists()


def test_cli_cv_bad_target_is_one_line(tmp_path):
    pool = make_pool(tmp_path)
    code, _, stderr = run_cli(["stopping", "evaluate", pool, "--out", tmp_path / "o", "--cv", "--choose-target", "1"])
    assert code != 0 and "--choose-target" in stderr and len(stderr.strip().splitlines()) == 1
