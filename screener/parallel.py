"""Run independent tasks on the local cores (joblib) or on a Dask cluster: one code path.

``run_tasks(fn, tasks)`` calls ``fn(*task)`` for every task and returns the
results in task order. Locally it uses joblib's default (loky) backend; given a
scheduler address it connects a ``distributed.Client`` (the ``cluster`` extra) and runs the very same
``joblib.Parallel`` under ``joblib.parallel_config(backend="dask")``. Nothing
here schedules jobs itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from contextlib import ExitStack
from typing import Any

from joblib import Parallel, delayed, parallel_config

from screener.errors import ConfigError


def _as_args(task: Any) -> tuple:
    return tuple(task) if isinstance(task, (tuple, list)) else (task,)


def run_tasks(
    fn: Callable[..., Any],
    tasks: Iterable[Any],
    *,
    n_jobs: int = -1,
    scheduler: str | Any | None = None,
    progress: Callable[[int, int, Any], None] | None = None,
) -> list:
    """``[fn(*task) for task in tasks]``, in parallel; results in task order.

    tasks : each a tuple of positional arguments (a non-tuple is one argument).
    n_jobs : joblib's ``n_jobs`` for the local backend (-1: every core, 1: in this process).
    scheduler : a Dask scheduler address (``tcp://host:8786``) or a ``distributed.Client``;
        ``None`` runs locally.
    progress : called as ``progress(done, total, result)`` after each result arrives, in
        task order.
    """
    tasks = [_as_args(t) for t in tasks]
    if n_jobs == 0:
        raise ConfigError("n_jobs must not be 0 (use 1 for one process, -1 for every core)")
    total = len(tasks)
    if total == 0:
        return []
    with ExitStack() as stack:
        if scheduler is not None:
            try:  # an optional extra: imported only when a scheduler is given
                from distributed import Client
            except ImportError:
                raise ConfigError("--scheduler needs Dask's distributed scheduler, which is not installed: "
                                  "pip install 'screener[cluster]'") from None
            client = scheduler if isinstance(scheduler, Client) else stack.enter_context(_connect(scheduler))
            stack.enter_context(parallel_config(backend="dask", wait_for_workers_timeout=60))
            n = -1
            del client  # the active client is picked up by joblib's dask backend
        else:
            n = n_jobs
        runner = Parallel(n_jobs=n, return_as="generator")
        out = []
        for i, result in enumerate(runner(delayed(fn)(*t) for t in tasks), start=1):
            out.append(result)
            if progress is not None:
                progress(i, total, result)
        return out


def _connect(address: str):
    from distributed import Client

    try:
        return Client(address, timeout="20s")
    except (OSError, TimeoutError) as exc:
        raise ConfigError(f"cannot reach the Dask scheduler at {address}: {exc}") from exc


def chunks(items: Sequence, size: int) -> list[list]:
    """Split ``items`` into consecutive lists of at most ``size`` (bigger tasks, less overhead)."""
    if size < 1:
        raise ConfigError(f"chunk size must be >= 1, got {size}")
    return [list(items[i : i + size]) for i in range(0, len(items), size)]
