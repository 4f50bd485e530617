"""The shared typer app and consoles (stdout for results, stderr for messages)."""

import typer
from rich.console import Console

app = typer.Typer(
    name="screener",
    help="ML-assisted screening prioritizer for systematic reviews.",
    no_args_is_help=True,
    add_completion=False,
)
console = Console()
console_err = Console(stderr=True)
