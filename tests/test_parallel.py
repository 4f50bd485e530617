"""run_tasks: the same code path on joblib's local backend and on a Dask cluster."""

from __future__ import annotations

import sys

import pytest

from screener.errors import ConfigError
from screener.parallel import chunks, run_tasks


def square_plus(x, y=0):
    return x * x + y


def test_local_in_order_with_progress():
    seen = []
    out = run_tasks(square_plus, [(i, 1) for i in range(6)], n_jobs=1, progress=lambda d, t, r: seen.append((d, t, r)))
    assert out == [i * i + 1 for i in range(6)]
    assert seen[-1] == (6, 6, 26) and [s[0] for s in seen] == list(range(1, 7))


def test_local_processes():
    assert run_tasks(square_plus, range(5), n_jobs=2) == [0, 1, 4, 9, 16]


def test_empty_and_bad_n_jobs():
    assert run_tasks(square_plus, []) == []
    with pytest.raises(ConfigError, match="n_jobs"):
        run_tasks(square_plus, [1], n_jobs=0)


def test_chunks():
    assert chunks([1, 2, 3, 4, 5], 2) == [[1, 2], [3, 4], [5]]
    with pytest.raises(ConfigError):
        chunks([1], 0)


def test_dask_local_cluster():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None) as cluster:
        with distributed.Client(cluster) as client:
            seen = []
            out = run_tasks(square_plus, [(i, 2) for i in range(5)], scheduler=client, progress=lambda d, t, r: seen.append(d))
            assert out == [i * i + 2 for i in range(5)]
            assert seen == [1, 2, 3, 4, 5]
            # by address: the same path, a new client
            out = run_tasks(square_plus, [3, 4], scheduler=cluster.scheduler_address)
            assert out == [9, 16]


def test_unreachable_scheduler_is_a_config_error():
    pytest.importorskip("distributed")
    with pytest.raises(ConfigError, match="cannot reach"):
        run_tasks(square_plus, [1], scheduler="tcp://127.0.0.1:9")


def test_a_scheduler_without_the_cluster_extra_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if dask[distributed] were not installed
    with pytest.raises(ConfigError, match=r"pip install 'screener\[cluster\]'"):
        run_tasks(square_plus, [1], scheduler="tcp://127.0.0.1:9")
    assert run_tasks(square_plus, [1, 2], n_jobs=1) == [1, 4]  # local runs never need it


def test_the_cli_reports_the_missing_extra_in_one_line(monkeypatch, tmp_path):
    from conftest import run_cli

    monkeypatch.setitem(sys.modules, "distributed", None)
    pool = tmp_path / "pool.csv"
    pool.write_text("record_id,title,abstract,label_included\n1,a,x,1\n2,b,y,0\n3,c,z,0\n")
    code, out, err = run_cli(["simulate", pool, "--seeds", "0-1", "--out", tmp_path / "runs", "--scheduler", "tcp://127.0.0.1:9"])
    assert code == 1 and "screener[cluster]" in err and "Traceback" not in out + err
    assert err.strip().count("\n") == 0
