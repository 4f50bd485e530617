"""Checks of command-line values that typer runs while parsing, before any work starts.

Each raises a ``ConfigError`` (one line, exit 1), so a mistake is reported before a
model is trained or a project opened. Text values (seeds, ids, targets) parse in
``screener.specs``.
"""

from __future__ import annotations

from pathlib import Path

import typer

from screener.errors import ConfigError


def output_file(ctx: typer.Context, param: typer.CallbackParam, path: Path | None) -> Path | None:
    """An output file's folder must exist (a typo in it is one line, not a traceback after the work)."""
    if path is not None and not path.parent.is_dir():
        flag = param.opts[0] if param.opts else param.name
        raise ConfigError(f"{flag} {path}: folder {path.parent} does not exist; create it or write elsewhere")
    return path


def reviewer_name(ctx: typer.Context, param: typer.CallbackParam, name: str | None) -> str | None:
    """A reviewer's name is written with every decision: it may be omitted (login name), not blank."""
    if name is None:
        return None
    if not name.strip():
        raise ConfigError("--reviewer: give a name (it is recorded with every decision), or leave the option out")
    return name.strip()
