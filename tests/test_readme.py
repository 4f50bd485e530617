"""The README's shell examples that use ``data/demo``, run as written, so the README cannot drift.

Each ``sh`` block that mentions ``data/demo`` is run line by line through the in-process CLI,
in a fresh folder where ``data/`` is this repository's. ``screener screen`` is a terminal
session: it gets ``--keys-from-stdin`` and a few keys, its options stay as written.
"""

from __future__ import annotations

import io
import re
import shlex
import sys

import pandas as pd
import pytest

from conftest import ROOT, run_cli

KEYS = "iieie" + "q"  # include, include, exclude, include, exclude, quit


def demo_blocks(text: str) -> list[str]:
    return [b for b in re.findall(r"^```(?:sh|bash|shell)\n(.*?)^```", text, re.S | re.M) if "data/demo" in b]


def screener_commands(block: str) -> list[list[str]]:
    argvs = [shlex.split(line, comments=True) for line in block.splitlines()]
    return [argv[1:] for argv in argvs if argv and argv[0] == "screener"]


BLOCKS = demo_blocks((ROOT / "README.md").read_text(encoding="utf-8"))


def test_the_readme_shows_the_review_workflow_on_the_demo_data():
    commands = [argv[0] for block in BLOCKS for argv in screener_commands(block)]
    assert {"init", "import", "screen", "status", "rank", "export"} <= set(commands)


@pytest.mark.parametrize("block", BLOCKS, ids=[f"block{i}" for i in range(len(BLOCKS))])
def test_the_readme_examples_run(block, tmp_path, monkeypatch):
    (tmp_path / "data").symlink_to(ROOT / "data")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "200")
    for argv in screener_commands(block):
        if argv[0] == "screen":
            monkeypatch.setattr(sys, "stdin", io.StringIO(KEYS))
            argv = [*argv, "--keys-from-stdin"]
        code, out, err = run_cli(argv)
        assert code == 0, f"screener {shlex.join(argv)}\n{err}"
        if argv[0] == "screen":
            assert out.count("saved #") == len(KEYS) - 1
    for argv in screener_commands(block):  # every file an example writes is there
        for flag in ("--out", "-o"):
            if flag in argv:
                written = tmp_path / argv[argv.index(flag) + 1]
                assert written.exists() and written.stat().st_size > 0, written
    if (tmp_path / "ranked.csv").exists():
        assert len(pd.read_csv(tmp_path / "ranked.csv")) > 0
