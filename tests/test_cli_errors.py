"""The CLI's contract: a usage mistake prints typer's usage line and the error and exits 2; a user
error (``ScreenerError``) is one line and exit 1; a bug keeps its traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer

from conftest import run_cli
from screener.cli import app

ROOT = Path(__file__).resolve().parents[1]


def _command_paths(group, prefix=()) -> list[tuple[str, ...]]:
    paths = []
    for name, command in sorted(group.commands.items()):
        if getattr(command, "commands", None):  # a sub-app: its commands
            paths.extend(_command_paths(command, (*prefix, name)))
        else:
            paths.append((*prefix, name))
    return paths


COMMANDS = _command_paths(typer.main.get_command(app))


def _usage_error(code: int, out: str, err: str, usage: str, message: str) -> None:
    assert code == 2, err
    assert "Traceback" not in out + err
    lines = err.strip().splitlines()
    assert lines[0].startswith(f"Usage: {usage}"), err
    assert lines[-1].startswith("Error: ") and message in lines[-1], err
    assert len(lines) <= 4, err  # usage, hint, blank, error


def test_every_command_is_listed():
    assert {("simulate",), ("status",), ("stopping", "evaluate")} <= set(COMMANDS)


@pytest.mark.parametrize("path", COMMANDS, ids=" ".join)
def test_a_bogus_option_is_a_usage_error(path):
    code, out, err = run_cli([*path, "--no-such-option"])
    _usage_error(code, out, err, "screener " + " ".join(path), "No such option: --no-such-option")


def test_a_missing_argument_is_a_usage_error():
    _usage_error(*run_cli(["status"]), "screener status", "Missing argument")


def test_an_unknown_command_is_a_usage_error():
    _usage_error(*run_cli(["stat", "my-review"]), "screener", "No such command 'stat'")


def test_a_misspelt_option_is_a_usage_error():
    _usage_error(*run_cli(["screen", "my-review", "--reviwer", "alice"]), "screener screen", "--reviwer")


def _one_line(code: int, out: str, err: str, *needles: str) -> None:
    assert code == 1, err
    assert "Traceback" not in out + err
    assert err.strip().count("\n") == 0 and err.startswith("error: "), err
    for needle in needles:
        assert needle in err, err


@pytest.fixture(scope="module")
def review(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("errors") / "review"
    code, _, err = run_cli(["init", folder, "--criteria", ROOT / "data" / "peer_support.criteria.toml"])
    assert code == 0, err
    return folder


def test_an_output_folder_that_does_not_exist_is_one_line(review, tmp_path):
    _one_line(*run_cli(["export", "r", "--out", "/no/such/dir/x.xlsx"]), "/no/such/dir")
    _one_line(*run_cli(["export", review, "--format", "xlsx", "--out", tmp_path / "nope" / "x.xlsx"]), "nope")
    _one_line(*run_cli(["rank", review, "--out", tmp_path / "nope" / "ranked.csv"]), "nope")


@pytest.mark.parametrize("name", ["", "   ", "\t"])
def test_a_blank_reviewer_is_one_line(review, name):
    _one_line(*run_cli(["screen", review, "--reviewer", name, "--keys-from-stdin"]), "--reviewer")


def test_a_user_error_is_one_line_and_exit_1(tmp_path):
    _one_line(*run_cli(["status", tmp_path / "not-a-project"]), "not-a-project")


def test_a_bug_keeps_its_traceback(monkeypatch):
    import screener.project.advice

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(screener.project.advice, "project_advice", broken)  # the first call `status` makes
    with pytest.raises(RuntimeError, match="a bug"):
        run_cli(["status", "anything"])
