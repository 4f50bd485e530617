"""``screener serve`` and ``screener reviewers add --password-stdin`` through the CLI."""

from __future__ import annotations

import io
import sys

import pytest

from conftest import run_cli

pytest.importorskip("argon2", reason="the serve extra is not installed (pip install 'screener[serve]')")

from screener.project.store import Store  # noqa: E402
from screener.web.accounts import accounts, verify_password  # noqa: E402
from tests.test_serve import make_project  # noqa: E402


def cli(args, stdin: str = "") -> tuple[int, str, str]:
    old = sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        return run_cli([str(a) for a in args])
    finally:
        sys.stdin = old


@pytest.fixture
def bare(tmp_path):
    from pathlib import Path

    from screener.project import import_files, init_project

    root = Path(__file__).resolve().parents[1]
    folder = tmp_path / "bare"
    init_project(folder, root / "data" / "peer_support.criteria.toml")
    import_files(folder, [root / "data" / "demo" / "update_search.ris"])
    return folder


def test_reviewers_add_with_a_password_from_stdin(bare):
    code, out, err = cli(["reviewers", "add", bare, "alice", "--role", "owner", "--password-stdin"],
                         "correct horse battery\n")
    assert code == 0, err
    assert "can log in" in out
    with Store.open(bare) as store:
        assert accounts(store) == ("alice",)
        assert verify_password(store, "alice", "correct horse battery")
        assert not verify_password(store, "alice", "correct horse")
        assert "correct horse" not in str(store.con.execute("SELECT value FROM meta").fetchall())


def test_a_short_password_adds_no_reviewer(bare):
    code, out, err = cli(["reviewers", "add", bare, "alice", "--role", "owner", "--password-stdin"], "short\n")
    assert code != 0 and len(err.strip().splitlines()) == 1 and "8 to 1024 characters" in err
    with Store.open(bare) as store:
        assert store.reviewers().empty


def test_reviewers_password_changes_it(bare):
    cli(["reviewers", "add", bare, "alice", "--role", "owner"])
    code, _, err = cli(["reviewers", "password", bare, "alice", "--password-stdin"], "a new password\n")
    assert code == 0, err
    with Store.open(bare) as store:
        assert verify_password(store, "alice", "a new password")
    code, _, err = cli(["reviewers", "password", bare, "nobody", "--password-stdin"], "a new password\n")
    assert code != 0 and "unknown reviewer" in err


def test_serve_without_accounts_says_how_to_add_one(bare):
    code, _, err = cli(["serve", bare])
    assert code != 0 and len(err.strip().splitlines()) == 1 and "--password-stdin" in err


def test_serve_names_the_extra_when_it_is_missing(bare, monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "uvicorn" else real(name, *a))
    code, _, err = cli(["serve", bare])
    assert code != 0 and "pip install 'screener[serve]'" in err and len(err.strip().splitlines()) == 1


def test_serve_runs_uvicorn_on_loopback_and_warns_on_other_hosts(tmp_path, monkeypatch):
    import uvicorn

    folder = make_project(tmp_path / "review", n=4)
    calls = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: calls.append(kw))
    code, out, err = cli(["serve", folder, "--port", "8766"])
    assert code == 0, err
    assert calls[-1] == {"host": "127.0.0.1", "port": 8766, "log_level": "warning"}
    assert "http://127.0.0.1:8766/" in out and "warning" not in err
    code, out, err = cli(["serve", folder, "--host", "0.0.0.0"])
    assert code == 0 and calls[-1]["host"] == "0.0.0.0"
    assert "warning: serving on 0.0.0.0" in err and "TLS" in err
    code, _, err = cli(["serve", folder, "--port", "0"])
    assert code != 0 and "--port" in err
