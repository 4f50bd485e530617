"""The demo: a simulated screening of the SYNTHETIC peer-support pool shipped in ``data/demo``.

Three runs on the same pool and seed, started from the criteria only, from nothing and from
one include + one exclude, each stopped at its last relevant record (every metric is exact
there: the recall curve is flat after it), and the recall curve of the criteria cold start.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from screener.errors import ConfigError
from screener.orders import read_order
from screener.parallel import run_tasks
from screener.readers import read_file
from screener.simulate import SimulationJob, SimulationSettings, run_job

ROOT = Path(__file__).resolve().parents[1]
DEMO_POOL = ROOT / "data" / "demo" / "peer_support_demo.csv"
DEMO_CRITERIA = ROOT / "data" / "peer_support.criteria.toml"
#: run folder → what the run started from
STARTS = {"criteria_cold_start": "criteria only", "random_start": "nothing", "one_include_one_exclude": "1 in + 1 out"}


@dataclass(frozen=True)
class DemoRun:
    folder: Path
    start: str  # what the run started from (a value of ``STARTS``)
    metrics: dict


@dataclass(frozen=True)
class DemoResult:
    pool: Path
    runs: list[DemoRun]
    plots: list[Path]


def demo_jobs(out: str | Path, seed: int = 0) -> list[SimulationJob]:
    """The three demo runs, in the order of ``STARTS``."""
    out = Path(out)
    fast = SimulationSettings(stop_at_last_relevant=True)
    pool = str(DEMO_POOL)
    return [
        SimulationJob(data=pool, seed=seed, out_dir=str(out / "criteria_cold_start"), prior_ids=(),
                      criteria=str(DEMO_CRITERIA), settings=fast),
        SimulationJob(data=pool, seed=seed, out_dir=str(out / "random_start"), prior_ids=(), settings=fast),
        SimulationJob(data=pool, seed=seed, out_dir=str(out / "one_include_one_exclude"), settings=fast),
    ]


def run_demo(
    out: str | Path,
    *,
    seed: int = 0,
    n_jobs: int = -1,
    progress: Callable[[int, int, dict], None] | None = None,
) -> DemoResult:
    """Run the demo into ``out`` (orders, metrics, ``recall_curve.png``/``.svg``)."""
    from screener.plots import plot_recall_curves  # matplotlib: imported only when plotting

    if not DEMO_POOL.is_file():
        raise ConfigError(f"{DEMO_POOL}: demo pool missing; regenerate it with: python -m screener.demo_data data/demo")
    jobs = demo_jobs(out, seed)
    rows = run_tasks(run_job, jobs, n_jobs=n_jobs, progress=progress)
    runs = [DemoRun(Path(job.out_dir), STARTS[Path(job.out_dir).name], row) for job, row in zip(jobs, rows)]
    data = read_file(DEMO_POOL)
    orders = {run.start: read_order(run.folder / "order.csv", data=data) for run in runs}
    plots = plot_recall_curves(orders, Path(out) / "recall_curve",
                               title="Peer support in drug addiction (synthetic demo pool)")
    return DemoResult(pool=DEMO_POOL, runs=runs, plots=list(plots))
