"""Shared test helpers: the shared data folder (skip where absent) and an in-process CLI runner."""

from __future__ import annotations

import io
import os
import sys
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
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


@pytest.fixture
def store(template, tmp_path):
    """A fresh copy of the test module's ``template`` project, opened (modules define ``template``)."""
    import shutil

    from screener.project.store import Store

    s = Store.open(shutil.copytree(template, tmp_path / "review"))
    yield s
    s.close()
