"""``screener stopping evaluate``: replay simulation runs with stopping rules (EVALUATION.md)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from screener.cli._app import app, console, console_err
from screener.errors import ConfigError
from screener.labels import LABEL_COLUMN
from screener.specs import parse_seeds, parse_targets

stopping_app = typer.Typer(help="Stopping rules: evaluate them on simulation runs.", no_args_is_help=True)
app.add_typer(stopping_app, name="stopping")


def parse_rule_list(rules: str) -> list[str]:
    """``all`` or specs separated by ``;`` (``,`` separates a spec's parameters)."""
    from screener.stopping import PRESETS

    if rules.strip() == "all":
        return list(PRESETS)
    specs = [r.strip() for r in rules.split(";") if r.strip()]
    if not specs:
        raise ConfigError("--rules: no stopping rules given")
    return specs


@stopping_app.command("evaluate")
def evaluate_command(
    data: Annotated[list[Path], typer.Argument(help="Labelled pools (CSV with record_id and the label column).")],
    out: Annotated[Path, typer.Option("--out", help="Folder for stopping.jsonl, stopping.md and the plots.")],
    seeds: Annotated[str, typer.Option("--seeds", help="Seeds, e.g. 0-19 or 0,1,2.")] = "0-4",
    targets: Annotated[str, typer.Option("--targets", help="Target recalls, comma-separated.")] = "0.8,0.9,0.95",
    rules: Annotated[str, typer.Option("--rules", help="'all' or rule specs separated by ';' (e.g. knee;n_in_a_row:n=50).")] = "all",
    orders: Annotated[Path | None, typer.Option("--orders", help="Order cache: <orders>/<pool>/<label>/seed<k>/order.csv "
                                                   "(default OUT/orders); missing orders are simulated.")] = None,
    label_column: Annotated[str, typer.Option("--label-column")] = LABEL_COLUMN,
    confidence: Annotated[float, typer.Option("--confidence", help="1 − α for rules with a guarantee.")] = 0.95,
    check_every: Annotated[int, typer.Option("--check-every", help="Records between checks.")] = 5,
    n_jobs: Annotated[int, typer.Option("--n-jobs", help="Local processes (-1: every core).")] = -1,
    scheduler: Annotated[str | None, typer.Option("--scheduler", help="Dask scheduler address (tcp://host:8786).")] = None,
    skip_missing: Annotated[bool, typer.Option("--skip-missing", help="Leave out runs without an order file "
                                               "instead of simulating them.")] = False,
    no_plots: Annotated[bool, typer.Option("--no-plots")] = False,
    cv: Annotated[bool, typer.Option("--cv", "--choose", help="Choose among the rule specs (alternatives as a|b, e.g. "
                                     "'point_process:ll_drop=1|1.92,min_run=25|50') by leave-one-family-out "
                                     "cross-validation and report every pool out of fold.")] = False,
    choose_target: Annotated[float, typer.Option("--choose-target", help="With --cv: the target the choice is made at.")] = 0.95,
    choose_seeds: Annotated[str, typer.Option("--choose-seeds", help="With --cv: the seeds the choice is made on.")] = "0-9",
    min_lower: Annotated[float, typer.Option("--min-lower", help="With --cv: the Wilson lower bound of reliability a "
                                             "setting needs on the other folds.")] = 0.95,
) -> None:
    """Replay runs of DATA × seeds with each rule; report recall at stop, reliability, effort, excess effort.

    --label-column may list several label columns (comma-separated): each is replayed and reported.
    """
    from screener.experiments.reports import markdown_table, write_reports
    from screener.experiments.stopping_sweep import evaluate_stopping
    from screener.experiments.summary import summarise

    if check_every < 1:
        raise ConfigError(f"--check-every must be >= 1, got {check_every}")
    if not 0 < confidence < 1:
        raise ConfigError(f"--confidence must be in (0, 1), got {confidence}")
    if cv:
        from screener.experiments.cross_validation import expand_grid

        if not 0 < choose_target < 1:
            raise ConfigError(f"--choose-target must be in (0, 1), got {choose_target}")
        if not 0 < min_lower < 1:
            raise ConfigError(f"--min-lower must be in (0, 1), got {min_lower}")
        rules = [spec for item in parse_rule_list(rules) for spec in expand_grid(item)]
    t0 = time.perf_counter()
    parts = []
    for label in [c.strip() for c in label_column.split(",") if c.strip()]:
        part = evaluate_stopping(
            data, seeds=parse_seeds(seeds), targets=parse_targets(targets), rules=rules,
            orders_dir=orders or out / "orders", label_column=label, confidence=confidence,
            check_every=check_every, n_jobs=n_jobs, scheduler=scheduler, skip_missing=skip_missing,
            progress=lambda done, total, _r: console_err.print(f"\r{done}/{total} runs", end="") if total > 1 else None,
        )
        parts.append(part.assign(label=label))
        console_err.print()
    import pandas as pd

    rows = pd.concat(parts, ignore_index=True)
    wall = round(time.perf_counter() - t0, 1)
    if cv:
        from screener.experiments.cross_validation import cv_report

        text, paths = cv_report(rows, out, target=choose_target, choose_seeds=parse_seeds(choose_seeds),
                                min_lower=min_lower, confidence=confidence, extra={"wall_s": wall})
        console.print(text, highlight=False, markup=False)
        for p in paths.values():
            console.print(f"wrote {p}", highlight=False)
        return
    paths = write_reports(rows, out, extra={"wall_s": wall}, plots=not no_plots)
    console.print(markdown_table(summarise(rows)), highlight=False, markup=False)
    for p in paths.values():
        console.print(f"wrote {p}", highlight=False)
