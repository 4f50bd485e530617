"""The ``screener`` command line: thin typer commands over the library.

Each command module registers its commands on ``app``. ``main`` is the contract with
the user: a usage mistake prints typer's usage line and the error and exits 2; a
``ScreenerError`` (a mistake in the data, the settings or the project) prints one line
and exits 1; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import sys

import typer
from rich.text import Text

# Importing the modules registers their commands on ``app``.
from screener.cli import duplicates, metrics, project, records, serve, simulate, stopping, team  # noqa: F401,E402
from screener.cli._app import app, console_err
from screener.errors import ScreenerError


def _usage_errors() -> tuple[type[Exception], ...]:
    """The exceptions typer raises for a usage mistake.

    Newer typers bundle their own click, whose ``ClickException`` derives from
    ``typer.TyperException`` and is not ``click.ClickException``; older ones use click's.
    """
    found: list[type[Exception]] = [typer.TyperException] if hasattr(typer, "TyperException") else []
    try:
        import click
    except ImportError:  # pragma: no cover - click is installed only beside a typer that uses it
        pass
    else:
        found.append(click.ClickException)
    return tuple(found)


USAGE_ERRORS = _usage_errors()


def main() -> None:
    try:
        app(prog_name="screener", standalone_mode=False)
    except ScreenerError as exc:
        message = Text("error: ", style="bold red") + Text(" ".join(str(exc).split()))
        console_err.print(message, highlight=False, soft_wrap=True)
        sys.exit(1)
    except typer.Abort:
        console_err.print("aborted")
        sys.exit(1)
    except USAGE_ERRORS as exc:  # a usage error: typer's usage line, "Error: ...", exit 2
        if hasattr(exc, "show"):
            exc.show()
        else:  # pragma: no cover - typer raises its ClickException subclasses
            console_err.print(f"Error: {exc}", highlight=False, markup=False)
        sys.exit(getattr(exc, "exit_code", 2))
