"""``screener simulate`` and ``screener demo``: replaying labelled pools."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from screener.cli._app import app, console
from screener.demo import DEMO_POOL, run_demo
from screener.metrics import summarise
from screener.settings import views_named
from screener.simulate import DEFAULT_LABEL, SimulationSettings
from screener.specs import parse_ids, parse_seeds
from screener.sweep import run_simulations, simulation_jobs

SHOWN = ["first@1", "first@5", "records@95", "records_share@95", "wss@95", "recall@10%", "atd", "loss", "wall_s"]


@contextmanager
def progress_bar(description: str) -> Iterator[Callable[[int, int, object], None]]:
    """A transient progress bar; yields the ``progress(done, total, result)`` callback the library calls."""
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console, transient=True) as bar:
        task = bar.add_task(description, total=None)
        yield lambda done, total, _result: bar.update(task, completed=done, total=total)


def render_summary(rows: list[dict], title: str) -> Table:
    table = Table(title=title)
    df = summarise(rows, by=("dataset",), metrics=SHOWN)
    cols = ["dataset", "runs"] + [m for m in SHOWN if m in df.columns]
    for c in cols:
        table.add_column(c, justify="left" if c == "dataset" else "right")
    for _, r in df.iterrows():
        cells = []
        for c in cols:
            v = r[c]
            if c in ("dataset", "runs"):
                cells.append(str(v))
            elif c.startswith("records@") or c == "wall_s":
                cells.append(f"{v:.1f}")
            else:
                cells.append(f"{v:.3f}")
        table.add_row(*cells)
    return table


@app.command()
def simulate(
    data: list[Path] = typer.Argument(..., help="Labelled pools (CSV, TSV, XLSX, RIS, MEDLINE)."),
    label_column: str = typer.Option(DEFAULT_LABEL, help="The 0/1 label column to replay."),
    seed: int = typer.Option(0, help="Seed of a single run."),
    seeds: str = typer.Option(None, help="Several seeds: 0-9 or 0,3,5 (overrides --seed)."),
    out: Path = typer.Option(..., help="Output folder: order.csv and metrics.json (per data set/seed when several)."),
    prior_ids: str = typer.Option(None, help="Record ids to start from, e.g. 12,57, or none for a cold start (default: one included and one excluded, drawn with the seed)."),
    criteria: Path = typer.Option(None, help="Criteria file (.txt or .toml) for a criteria-seeded cold start."),
    ranker: str = typer.Option("interleave", help="interleave (the default): a learner on word 1-2 grams and one "
                               "on character 4-grams, their queues interleaved (README, 'Ranker candidates'); or "
                               "word: one learner on word 1-2 grams (the default before issue 11)."),
    query: str = typer.Option("max", help="Query strategy: max, uncertainty, max_random."),
    retrain_every: int = typer.Option(1, help="Retrain after every k labels."),
    stop_at_last_relevant: bool = typer.Option(False, help="Stop when the last relevant record is found."),
    n_jobs: int = typer.Option(-1, help="Parallel processes (-1: all cores)."),
    scheduler: str = typer.Option(None, help="Dask scheduler address to run the sweep on a cluster."),
) -> None:
    """Replay labelled pools with the active learner and score the screening order."""
    settings = SimulationSettings(learner={"query": query}, retrain_every=retrain_every,
                                  stop_at_last_relevant=stop_at_last_relevant, views=views_named(ranker))
    settings.check()
    jobs = simulation_jobs(data, parse_seeds(seeds) if seeds else [seed], out, label_column=label_column,
                           prior_ids=parse_ids(prior_ids), criteria=criteria, settings=settings)
    with progress_bar("simulating") as progress:
        rows = run_simulations(jobs, out, n_jobs=n_jobs, scheduler=scheduler, progress=progress)
    console.print(render_summary(rows, f"{len(rows)} simulation run(s)"))
    console.print(f"orders and metrics written to {out}")


@app.command()
def demo(
    out: Path = typer.Option(Path("demo-output"), help="Folder for the orders, metrics and recall plot."),
    seed: int = typer.Option(0, help="Seed of the demo runs."),
) -> None:
    """Simulate a screening of the built-in SYNTHETIC peer-support pool, with and without the criteria."""
    console.print(f"[bold]Demo:[/] a simulated screening of {DEMO_POOL.name} (SYNTHETIC records modelled on "
                  "a review of peer support in drug addiction interventions).")
    with progress_bar("simulating") as progress:
        result = run_demo(out, seed=seed, progress=progress)
    table = Table(title=f"How much reading the ranking saves (records screened of {result.runs[0].metrics['N']})")
    shown = ["first@1", "first@5", "records@95", "records@100", "wss@95", "recall@10%", "loss"]
    table.add_column("start from", no_wrap=True)
    for m in shown:
        table.add_column(m.replace("@", "\n@"), justify="right")
    for run in result.runs:
        table.add_row(run.start, *(f"{run.metrics[m]:.0f}" if m.startswith(("first", "records"))
                                   else f"{run.metrics[m]:.3f}" for m in shown))
    console.print(table)
    console.print("first@k: records read to find the first k includes; records@95: to find 95% of them;\n"
                  "wss@95: work saved over random reading at 95% recall; recall@10%: share found in the first 10%.")
    console.print(f"recall plot: {', '.join(str(p) for p in result.plots)}; orders and metrics under {out}/")
