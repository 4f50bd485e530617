"""``screener simulate`` and ``screener demo``: replaying labelled pools."""

from __future__ import annotations

import json
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
from screener.cli.options import parse_ids, parse_seeds
from screener.errors import ConfigError
from screener.metrics import summarise
from screener.parallel import run_tasks
from screener.simulate import DEFAULT_LABEL, SimulationJob, SimulationSettings, run_job

SHOWN = ["first@1", "first@5", "records@95", "records_share@95", "wss@95", "recall@10%", "atd", "loss", "wall_s"]


def _progress() -> Progress:
    return Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=console, transient=True)


def run_sweep(jobs: list[SimulationJob], n_jobs: int, scheduler: str | None = None) -> list[dict]:
    with _progress() as bar:
        task = bar.add_task("simulating", total=len(jobs))
        return run_tasks(run_job, jobs, n_jobs=n_jobs, scheduler=scheduler,
                         progress=lambda done, total, _: bar.update(task, completed=done))


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
    query: str = typer.Option("max", help="Query strategy: max, uncertainty, max_random."),
    retrain_every: int = typer.Option(1, help="Retrain after every k labels."),
    stop_at_last_relevant: bool = typer.Option(False, help="Stop when the last relevant record is found."),
    n_jobs: int = typer.Option(-1, help="Parallel processes (-1: all cores)."),
    scheduler: str = typer.Option(None, help="Dask scheduler address to run the sweep on a cluster."),
) -> None:
    """Replay labelled pools with the active learner and score the screening order."""
    seed_list = parse_seeds(seeds) if seeds else [seed]
    settings = SimulationSettings(learner={"query": query}, retrain_every=retrain_every,
                                  stop_at_last_relevant=stop_at_last_relevant)
    single = len(data) == 1 and len(seed_list) == 1
    jobs = []
    for path in data:
        if not path.is_file():
            raise ConfigError(f"{path}: data file not found")
        for s in seed_list:
            run_dir = out if single else out / path.stem / f"seed{s}"
            jobs.append(SimulationJob(data=str(path), seed=s, out_dir=str(run_dir), label_column=label_column,
                                      prior_ids=parse_ids(prior_ids), criteria=str(criteria) if criteria else None,
                                      settings=settings))
    rows = run_sweep(jobs, n_jobs if len(jobs) > 1 else 1, scheduler)
    if not single:
        out.mkdir(parents=True, exist_ok=True)
        with open(out / "runs.jsonl", "w") as fh:
            fh.writelines(json.dumps(row, default=str) + "\n" for row in rows)
    console.print(render_summary(rows, f"{len(rows)} simulation run(s)"))
    console.print(f"orders and metrics written to {out}")


DEMO_POOL = Path("data/demo/peer_support_demo.csv")
START_NAMES = {"criteria_cold_start": "criteria only", "random_start": "nothing", "one_include_one_exclude": "1 in + 1 out"}
DEMO_CRITERIA = Path("data/peer_support.criteria.toml")


@app.command()
def demo(
    out: Path = typer.Option(Path("demo-output"), help="Folder for the orders, metrics and recall plot."),
    seed: int = typer.Option(0, help="Seed of the demo runs."),
) -> None:
    """Simulate a screening of the built-in SYNTHETIC peer-support pool, with and without the criteria."""
    from screener.orders import read_order
    from screener.plots import plot_recall_curves

    root = Path(__file__).resolve().parents[2]
    pool, crit = root / DEMO_POOL, root / DEMO_CRITERIA
    if not pool.is_file():
        raise ConfigError(f"{pool}: demo pool missing; regenerate it with: python -m screener.demo_data data/demo")
    console.print(f"[bold]Demo:[/] a simulated screening of {pool.name} (SYNTHETIC records modelled on "
                  "a review of peer support in drug addiction interventions).")
    # Stopping at the last relevant record loses nothing: every metric is exact, the curve is flat after it.
    fast = SimulationSettings(stop_at_last_relevant=True)
    jobs = [
        SimulationJob(data=str(pool), seed=seed, out_dir=str(out / "criteria_cold_start"), prior_ids=(),
                      criteria=str(crit), settings=fast),
        SimulationJob(data=str(pool), seed=seed, out_dir=str(out / "random_start"), prior_ids=(), settings=fast),
        SimulationJob(data=str(pool), seed=seed, out_dir=str(out / "one_include_one_exclude"), settings=fast),
    ]
    rows = run_sweep(jobs, n_jobs=-1)
    table = Table(title=f"How much reading the ranking saves (records screened of {rows[0]['N']})")
    shown = ["first@1", "first@5", "records@95", "records@100", "wss@95", "recall@10%", "loss"]
    table.add_column("start from", no_wrap=True)
    for m in shown:
        table.add_column(m.replace("@", "\n@"), justify="right")
    for job, row in zip(jobs, rows):
        table.add_row(START_NAMES[Path(job.out_dir).name],
                      *(f"{row[m]:.0f}" if m.startswith(("first", "records")) else f"{row[m]:.3f}" for m in shown))
    console.print(table)
    from screener.readers import read_file

    data = read_file(pool)
    orders = {START_NAMES[Path(j.out_dir).name]: read_order(Path(j.out_dir) / "order.csv", data=data) for j in jobs}
    paths = plot_recall_curves(orders, out / "recall_curve", title="Peer support in drug addiction (synthetic demo pool)")
    console.print("first@k: records read to find the first k includes; records@95: to find 95% of them;\n"
                  "wss@95: work saved over random reading at 95% recall; recall@10%: share found in the first 10%.")
    console.print(f"recall plot: {', '.join(str(p) for p in paths)}; orders and metrics under {out}/")
