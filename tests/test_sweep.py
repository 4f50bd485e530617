"""Simulation sweeps: where each run goes, and one line for a missing pool."""

from pathlib import Path

import pytest

from screener.errors import ConfigError
from screener.simulate import SimulationSettings
from screener.sweep import simulation_jobs


def test_one_run_writes_into_out_several_into_pool_and_seed_folders(tmp_path):
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_text("x")
    b.write_text("x")
    (single,) = simulation_jobs([a], [3], tmp_path / "out")
    assert Path(single.out_dir) == tmp_path / "out" and single.seed == 3
    jobs = simulation_jobs([a, b], [0, 1], tmp_path / "out", prior_ids=(), settings=SimulationSettings(retrain_every=2))
    assert [(Path(j.out_dir).parent.name, Path(j.out_dir).name) for j in jobs] == [
        ("a", "seed0"), ("a", "seed1"), ("b", "seed0"), ("b", "seed1")]
    assert all(j.prior_ids == () and j.settings.retrain_every == 2 for j in jobs)


def test_a_missing_pool_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="nope.csv: data file not found"):
        simulation_jobs([tmp_path / "nope.csv"], [0], tmp_path / "out")
