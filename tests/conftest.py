"""Shared test helpers: the shared data folder (skip where absent), an in-process CLI runner, and
review projects made from the demo exports (a module's ``template``, copied fresh for each test)."""

from __future__ import annotations

import io
import os
import sys
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "data" / "demo"
CRITERIA = ROOT / "data" / "peer_support.criteria.toml"
SHARED_DATA = Path(os.environ.get("SCREENER_SHARED_DATA", ROOT.parent / "shared" / "data"))


@pytest.fixture
def shared_data() -> Path:
    """The folder of real labelled pools; tests that need it skip cleanly where it is absent."""
    if not (SHARED_DATA / "SYNERGY_Donners_2021.csv").exists():
        pytest.skip(f"shared data not found at {SHARED_DATA}")
    return SHARED_DATA


def run_cli(args: list[str]) -> tuple[int, str, str]:
    """Run ``screener ARGS`` in-process through ``main`` (so user errors become one line).

    Returns (exit code, stdout, stderr).
    """
    from screener.cli import main

    out, err = io.StringIO(), io.StringIO()
    old_argv = sys.argv
    sys.argv = ["screener", *map(str, args)]
    code = 0
    try:
        with redirect_stdout(out), redirect_stderr(err):
            main()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        sys.argv = old_argv
    return code, out.getvalue(), err.getvalue()


def make_review(folder: Path, files: tuple[str, ...] = ("update_search.ris",), *, criteria: Path = CRITERIA,
                seed: int = 0) -> Path:
    """A project at ``folder`` with the demo criteria and ``files`` (names in ``data/demo``) imported."""
    from screener.project import import_files, init_project

    init_project(folder, criteria, seed=seed)
    import_files(folder, [DEMO / f for f in files])
    return folder


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    """The module's project to copy: the demo update search (165 kept records, seed 0) unless the
    module defines its own ``template``."""
    return make_review(tmp_path_factory.mktemp("tpl") / "review")


@pytest.fixture
def review(template, tmp_path) -> Path:
    """A fresh copy of the module's ``template`` project (its folder)."""
    import shutil

    return Path(shutil.copytree(template, tmp_path / "review"))


@pytest.fixture
def store(review):
    """The ``review`` copy, opened (a test taking both gets the same project)."""
    from screener.project.store import Store

    s = Store.open(review)
    yield s
    s.close()
