"""``screener stopping evaluate``: replay simulation runs with stopping rules (EVALUATION.md)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Optional

import typer

from screener.cli._app import app, console, console_err
from screener.cli.options import parse_seeds
from screener.errors import ConfigError
from screener.labels import LABEL_COLUMN

stopping_app = typer.Typer(help="Stopping rules: evaluate them on simulation runs.", no_args_is_help=True)
app.add_typer(stopping_app, name="stopping")


def parse_targets(text: str) -> list[float]:
    try:
        targets = [float(t) for t in text.split(",") if t.strip()]
    except ValueError:
        raise ConfigError(f"--targets: expected e.g. 0.8,0.9,0.95, got {text!r}") from None
    if not targets or any(not 0 < t <= 1 for t in targets):
        raise ConfigError(f"--targets: each target must be in (0, 1], got {text!r}")
    return targets


@stopping_app.command("evaluate")
def evaluate_command(
    data: Annotated[list[Path], typer.Argument(help="Labelled pools (CSV with record_id and the label column).")],
    out: Annotated[Path, typer.Option("--out", help="Folder for stopping.jsonl, stopping.md and the plots.")],
    seeds: Annotated[str, typer.Option("--seeds", help="Seeds, e.g. 0-19 or 0,1,2.")] = "0-4",
    targets: Annotated[str, typer.Option("--targets", help="Target recalls, comma-separated.")] = "0.8,0.9,0.95",
    rules: Annotated[str, typer.Option("--rules", help="'all' or rule specs separated by ';' (e.g. knee;n_in_a_row:n=50).")] = "all",
    orders: Annotated[Optional[Path], typer.Option("--orders", help="Order cache: <orders>/<pool>/<label>/seed<k>/order.csv "
                                                   "(default OUT/orders); missing orders are simulated.")] = None,
    label_column: Annotated[str, typer.Option("--label-column")] = LABEL_COLUMN,
    confidence: Annotated[float, typer.Option("--confidence", help="1 − α for rules with a guarantee.")] = 0.95,
    check_every: Annotated[int, typer.Option("--check-every", help="Records between checks.")] = 5,
    n_jobs: Annotated[int, typer.Option("--n-jobs", help="Local processes (-1: every core).")] = -1,
    scheduler: Annotated[Optional[str], typer.Option("--scheduler", help="Dask scheduler address (tcp://host:8786).")] = None,
    skip_missing: Annotated[bool, typer.Option("--skip-missing", help="Leave out runs without an order file "
                                               "instead of simulating them.")] = False,
    no_plots: Annotated[bool, typer.Option("--no-plots")] = False,
) -> None:
    """Replay runs of DATA × seeds with each rule; report recall at stop, reliability, effort, excess effort."""
    from screener.experiments.reports import markdown_table, write_reports
    from screener.experiments.stopping_sweep import evaluate_stopping
    from screener.experiments.summary import summarise

    if check_every < 1:
        raise ConfigError(f"--check-every must be >= 1, got {check_every}")
    if not 0 < confidence < 1:
        raise ConfigError(f"--confidence must be in (0, 1), got {confidence}")
    t0 = time.perf_counter()
    rows = evaluate_stopping(
        data, seeds=parse_seeds(seeds), targets=parse_targets(targets), rules=rules,
        orders_dir=orders or out / "orders", label_column=label_column, confidence=confidence,
        check_every=check_every, n_jobs=n_jobs, scheduler=scheduler, skip_missing=skip_missing,
        progress=lambda done, total, _r: console_err.print(f"\r{done}/{total} runs", end="") if total > 1 else None,
    )
    console_err.print()
    wall = round(time.perf_counter() - t0, 1)
    paths = write_reports(rows, out, extra={"wall_s": wall}, plots=not no_plots)
    console.print(markdown_table(summarise(rows)), highlight=False, markup=False)
    for p in paths.values():
        console.print(f"wrote {p}", highlight=False)
