"""Named metrics over a screening order (the definitions of EVALUATION.md).

Metrics are values with names, as in ir_measures: ``records@95``, ``wss@95``,
``recall@10%``, ``atd``, ``loss`` parse into a :class:`Metric` and print back to
the same name, so one spelling serves the CLI, config files and result columns.

Every metric is a pure function of the cumulative true-positive curve
``tp[n-1] = TP(n)`` of an order with the priors removed (N = ``len(tp)``,
R = ``tp[-1]``), so one ``cumsum`` serves all of them and evaluating thousands
of orders stays cheap.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from screener.errors import ConfigError, DataError

# Guards ceil/floor against binary fractions: 0.95 * 20 = 19.000000000000004.
_EPS = 1e-9


# --- the metric functions: tp (TP(1..N), non-decreasing ints) and a cutoff → float ---


def records_at(tp: np.ndarray, r: float) -> float:
    """Records screened to find a share ``r`` of the relevant ones: smallest n with TP(n) ≥ ceil(r·R)."""
    target = math.ceil(r * tp[-1] - _EPS)
    if target <= 0:
        return 0.0
    return float(np.searchsorted(tp, target, side="left") + 1)


def records_share_at(tp: np.ndarray, r: float) -> float:
    """``records@r`` as a share of N: the effort an oracle stopping rule would need."""
    return records_at(tp, r) / len(tp)


def wss_at(tp: np.ndarray, r: float) -> float:
    """Work saved over sampling at recall r (Cohen et al. 2006): (N − records@r)/N − (1 − r)."""
    n = len(tp)
    return (n - records_at(tp, r)) / n - (1.0 - r)


def recall_at(tp: np.ndarray, p: float) -> float:
    """Recall after screening a share p of N: TP(floor(p·N)) / R."""
    k = math.floor(p * len(tp) + _EPS)
    return float(tp[k - 1]) / float(tp[-1]) if k > 0 else 0.0


def atd(tp: np.ndarray, _cutoff: float | None = None) -> float:
    """Average time to discovery (Ferdinands et al. 2023): mean 1-based position of the relevant records / N.

    Σ positions = R·(N+1) − Σₙ TP(n), so a random order scores (N+1)/(2N) ≈ 0.5 and
    the ideal order (R+1)/(2N).
    """
    n, r = len(tp), float(tp[-1])
    return (r * (n + 1) - float(tp.sum())) / (r * n)


def loss(tp: np.ndarray, _cutoff: float | None = None) -> float:
    """Normalised area between the ideal and the actual recall curves: 0 ideal, about 0.5 random, 1 worst.

    (R·(N − (R−1)/2) − Σₙ TP(n)) / (R·(N − R)); when R = N every order is ideal and the loss is 0.
    """
    n, r = len(tp), float(tp[-1])
    if r == n:
        return 0.0
    return (r * (n - (r - 1) / 2) - float(tp.sum())) / (r * (n - r))


def first_found(tp: np.ndarray, k: float) -> float:
    """Records screened to find the first ``k`` relevant records (a cold start's speed); NaN when R < k."""
    if tp[-1] < k:
        return float("nan")
    return float(np.searchsorted(tp, k, side="left") + 1)


MetricFn = Callable[[np.ndarray, "float | None"], float]

#: name → function(tp, cutoff). A new metric is one entry (and, if it takes a
#: cutoff, one entry in ``_CUTOFF_STYLE``).
METRICS: dict[str, MetricFn] = {
    "records": records_at,
    "records_share": records_share_at,
    "wss": wss_at,
    "recall": recall_at,
    "atd": atd,
    "loss": loss,
    "first": first_found,
}

# Families whose cutoff is a count of relevant records (``first@5``), not a share.
_COUNT_FAMILIES = {"first"}

# How each family's cutoff prints: a recall target ("@95") or a share of N screened ("@10%").
_CUTOFF_STYLE: dict[str, str] = {"records": "", "records_share": "", "wss": "", "recall": "%", "first": ""}

_NAME = re.compile(r"^\s*([A-Za-z_]+)\s*(?:@\s*([0-9]*\.?[0-9]+)\s*(%?)\s*)?$")


@dataclass(frozen=True)
class Metric:
    """One metric: a family from ``METRICS`` and, for most, a cutoff in (0, 1].

    ``str(Metric("records", 0.95)) == "records@95"``; ``parse_metric`` inverts it.
    """

    family: str
    cutoff: float | None = None

    def __post_init__(self) -> None:
        if self.family not in METRICS:
            raise ConfigError(f"unknown metric {self.family!r}; known: {', '.join(METRICS)}")
        takes_cutoff = self.family in _CUTOFF_STYLE
        if takes_cutoff and self.cutoff is None:
            raise ConfigError(f"metric {self.family!r} needs a cutoff, e.g. {self.family}@95")
        if not takes_cutoff and self.cutoff is not None:
            raise ConfigError(f"metric {self.family!r} takes no cutoff; write just {self.family!r}")
        if self.family in _COUNT_FAMILIES:
            if self.cutoff is None or self.cutoff < 1 or self.cutoff != int(self.cutoff):
                raise ConfigError(f"metric {self.family!r} needs a whole number of records, e.g. {self.family}@5")
            object.__setattr__(self, "cutoff", float(int(self.cutoff)))
        elif self.cutoff is not None:
            if not 0 < self.cutoff <= 1:
                raise ConfigError(f"cutoff of {self.family!r} must be in (0, 100%], got {self.cutoff:g}")
            object.__setattr__(self, "cutoff", round(float(self.cutoff), 10))

    def __str__(self) -> str:
        if self.cutoff is None:
            return self.family
        if self.family in _COUNT_FAMILIES:
            return f"{self.family}@{int(self.cutoff)}"
        return f"{self.family}@{round(self.cutoff * 100, 8):g}{_CUTOFF_STYLE[self.family]}"

    def __call__(self, tp: np.ndarray) -> float:
        return METRICS[self.family](tp, self.cutoff)


def parse_metric(name: str | Metric) -> Metric:
    """Parse a metric name: ``records@95``, ``records@0.95``, ``wss@95``, ``recall@10%``, ``atd``, ``loss``.

    A cutoff written with a decimal point and at most 1 (``0.95``, ``1.0``) is a
    fraction; any other number (``95``, ``10%``, ``97.5``) is a percentage.
    Raises ``ConfigError`` for anything else.
    """
    if isinstance(name, Metric):
        return name
    m = _NAME.match(str(name))
    if not m:
        raise ConfigError(f"cannot parse metric name {name!r}; expected e.g. records@95, recall@10%, loss")
    family, number, percent = m.group(1).lower(), m.group(2), m.group(3)
    cutoff = None
    if number is not None:
        value = float(number)
        if family in _COUNT_FAMILIES:
            cutoff = value
        else:
            cutoff = value if ("." in number and value <= 1 and not percent) else value / 100
    return Metric(family, cutoff)


def parse_metrics(names: Iterable[str | Metric] | str) -> list[Metric]:
    """Parse several names (an iterable, or one comma-separated string)."""
    if isinstance(names, str):
        names = [n for n in names.split(",") if n.strip()]
    return [parse_metric(n) for n in names]


DEFAULT_METRICS: tuple[Metric, ...] = tuple(
    parse_metrics(
        "records@80,records@90,records@95,records@100,wss@95,wss@100,"
        "recall@10%,recall@20%,recall@30%,atd,loss"
    )
)


def evaluate(
    labels_in_order: np.ndarray | Sequence[int],
    metrics: Iterable[str | Metric] = DEFAULT_METRICS,
) -> dict[str, float]:
    """Score one screening order: 0/1 labels in screening order, priors already removed.

    Returns ``{metric name: value}``. Raises ``DataError`` when the order is empty
    or holds no relevant record (no metric is defined without one).
    """
    labels = np.asarray(labels_in_order)
    if labels.ndim != 1 or labels.size == 0:
        raise DataError("cannot evaluate an empty order (no records left after removing the priors)")
    tp = np.cumsum(labels != 0, dtype=np.int64)
    if tp[-1] == 0:
        raise DataError("no relevant records besides the priors: metrics are undefined")
    return {str(m): m(tp) for m in parse_metrics(metrics)}


def evaluate_order(order: pd.DataFrame, metrics: Iterable[str | Metric] = DEFAULT_METRICS) -> dict[str, float]:
    """Score an order table (``read_order``): remove the priors, then report N, R, screened and the metrics.

    For every ``records@r`` asked for, ``records_share@r`` (the same as a share of N)
    is added, as EVALUATION.md reports both. ``screened`` counts the non-prior
    records the order actually screened; when an order stopped early (``screened``
    < N) the rest were appended by ``read_order`` in the worst case (irrelevant
    first), so every metric is a conservative bound.
    """
    wanted = parse_metrics(metrics)
    extra = [Metric("records_share", m.cutoff) for m in wanted if m.family == "records"]
    wanted += [m for m in extra if m not in wanted]
    rows = order.sort_values("rank", kind="stable") if "rank" in order.columns else order
    if "is_prior" in rows.columns:
        rows = rows[rows["is_prior"].fillna(0).astype(int) == 0]
    labels = rows["label"].to_numpy(dtype=np.int64)
    screened = int(rows["screened"].sum()) if "screened" in rows.columns else len(rows)
    scores = evaluate(labels, wanted)
    return {"N": len(labels), "R": int(labels.sum()), "screened": screened, **scores}


def summarise(
    rows: list[dict],
    by: Sequence[str] = ("dataset",),
    *,
    metrics: Sequence[str] | None = None,
    overall: bool = True,
) -> pd.DataFrame:
    """Mean and spread per group of runs (e.g. per data set over seeds).

    Returns one row per group with the ``by`` columns, ``runs``, and for each
    metric ``<metric>`` (mean) and ``<metric>_std`` (sample std over the runs,
    NaN for a single run). ``metrics`` defaults to every numeric column except
    ``by`` and ``seed``. With ``overall``, a last row (``by`` columns = "all")
    holds the mean over groups of the group means and of the group spreads,
    each group weighing the same, as in EVALUATION.md's tables.
    """
    df = pd.DataFrame(rows)
    by = list(by)
    missing = [c for c in by if c not in df.columns]
    if missing:
        raise ConfigError(f"cannot group by {missing}: the rows have no such key")
    if metrics is None:
        metrics = [
            c for c in df.columns
            if c not in by and c != "seed" and pd.api.types.is_numeric_dtype(df[c])
        ]
    metrics = list(metrics)
    values = df[by + metrics].copy()
    values[metrics] = values[metrics].astype(float)
    if by:
        groups = values.groupby(by, sort=True, dropna=False)
        mean, std, runs = groups[metrics].mean(), groups[metrics].std(ddof=1), groups.size()
        out = mean.copy()
        out.insert(0, "runs", runs)
        for m in metrics:
            out[f"{m}_std"] = std[m]
        out = out.reset_index()
    else:
        out = pd.DataFrame([{"runs": len(values), **values[metrics].mean().to_dict(),
                             **{f"{m}_std": values[m].std(ddof=1) for m in metrics}}])
        overall = False
    out = out[by + ["runs"] + [c for m in metrics for c in (m, f"{m}_std")]]
    if overall and len(out):
        total = {c: "all" for c in by}
        total["runs"] = int(out["runs"].sum())
        total.update(out[[c for m in metrics for c in (m, f"{m}_std")]].mean().to_dict())
        out = pd.concat([out, pd.DataFrame([total])], ignore_index=True)
    return out


def _cell(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, (float, np.floating)):
        if float(value).is_integer() and abs(value) >= 1:
            return str(int(value))
        return f"{value:.1f}" if abs(value) >= 100 else f"{value:.3f}"
    return str(value).replace("|", "\\|")


def to_markdown(df: pd.DataFrame) -> str:
    """A GitHub pipe table of ``df`` (numbers right-aligned; NaN left blank), without extra dependencies."""
    if not isinstance(df.index, pd.RangeIndex):
        df = df.reset_index()
    numeric = [pd.api.types.is_numeric_dtype(df[c]) for c in df.columns]
    lines = [
        "| " + " | ".join(str(c) for c in df.columns) + " |",
        "|" + "|".join("--:" if num else "---" for num in numeric) + "|",
    ]
    for row in df.itertuples(index=False):
        lines.append("| " + " | ".join(_cell(v) for v in row) + " |")
    return "\n".join(lines) + "\n"
