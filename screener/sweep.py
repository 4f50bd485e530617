"""Simulation runs over pools × seeds: one folder per run, on the local cores or a Dask cluster.

``screener simulate`` is this module: ``simulation_jobs`` lays the runs out (one run
writes straight into ``out``; several go to ``out/<pool>/seed<k>``) and
``run_simulations`` runs them and, for several, writes ``out/runs.jsonl``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path

from screener.errors import ConfigError
from screener.parallel import run_tasks
from screener.simulate import DEFAULT_LABEL, SimulationJob, SimulationSettings, run_job


def simulation_jobs(
    data: Sequence[str | Path],
    seeds: Sequence[int],
    out: str | Path,
    *,
    label_column: str = DEFAULT_LABEL,
    prior_ids: tuple[str, ...] | None = None,
    criteria: str | Path | None = None,
    settings: SimulationSettings | None = None,
) -> list[SimulationJob]:
    """One job per (pool, seed), in that order; a data file that is missing is a ``ConfigError``."""
    out = Path(out)
    settings = settings if settings is not None else SimulationSettings()
    single = len(data) == 1 and len(seeds) == 1
    jobs = []
    for path in map(Path, data):
        if not path.is_file():
            raise ConfigError(f"{path}: data file not found")
        for seed in seeds:
            jobs.append(SimulationJob(data=str(path), seed=seed, out_dir=str(out if single else out / path.stem / f"seed{seed}"),
                                      label_column=label_column, prior_ids=prior_ids,
                                      criteria=str(criteria) if criteria else None, settings=settings))
    return jobs


def run_simulations(
    jobs: Sequence[SimulationJob],
    out: str | Path,
    *,
    n_jobs: int = -1,
    scheduler: str | None = None,
    progress: Callable[[int, int, dict], None] | None = None,
) -> list[dict]:
    """Run the jobs (in parallel when several); returns their metrics rows, in job order.

    Each run writes ``order.csv`` and ``metrics.json`` in its folder; several runs also
    write every row to ``out/runs.jsonl``.
    """
    rows = run_tasks(run_job, jobs, n_jobs=n_jobs if len(jobs) > 1 else 1, scheduler=scheduler, progress=progress)
    if len(jobs) > 1:
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        with open(out / "runs.jsonl", "w") as fh:
            for row in rows:
                fh.write(json.dumps(row, default=str) + "\n")
    return rows
