"""The ``screener`` command line: thin typer commands over the library.

Each command module registers its commands on ``app``; ``main`` turns user
mistakes (``ScreenerError``) into one clear line and exit code 2.
"""

from __future__ import annotations

import sys

import typer
from rich.text import Text

from screener.cli._app import app, console_err
from screener.errors import ScreenerError

# Importing the modules registers their commands on ``app``.
from screener.cli import duplicates, metrics, project, records, serve, simulate, stopping, team  # noqa: F401,E402


def main() -> None:
    try:
        app(standalone_mode=False)
    except ScreenerError as exc:
        message = Text("error: ", style="bold red") + Text(" ".join(str(exc).split()))
        console_err.print(message, highlight=False, soft_wrap=True)
        sys.exit(2)
    except typer.Abort:
        console_err.print("aborted")
        sys.exit(1)
    except SystemExit:
        raise
    except Exception as exc:  # click usage errors come through here too
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        raise
