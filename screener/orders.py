"""The order file: one screening run as ``rank,record_id,label,is_prior,score`` (EVALUATION.md).

``write_order`` writes screener's own runs; ``read_order`` also reads orders
written by other tools, as long as they list ``record_id`` in screening order,
so every tool is scored by the same ``metrics`` code.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from screener.errors import DataError
from screener.labels import LABEL_COLUMN
from screener.metrics import DEFAULT_METRICS, evaluate_order, parse_metrics
from screener.readers import read_file

COLUMNS = ["rank", "record_id", "label", "is_prior", "score"]


def write_order(df: pd.DataFrame, path: str | Path, *, checkpoints: pd.DataFrame | None = None) -> Path:
    """Write an order table as CSV: priors first, ``rank`` renumbered 1..n, ``score`` empty for priors.

    ``df`` needs ``record_id`` and ``label`` in screening order; ``rank``, ``is_prior``
    and ``score`` are optional. A simulation's model checkpoints (``checkpoints``:
    ``n_screened,expected_remaining,var`` after each retrain, ``simulate.run_simulation``) go to
    ``checkpoints.csv`` beside it, for model-based stopping rules. Returns the path written.
    """
    path = Path(path)
    order = _normalise(df, source=str(path), data=None, label_column="label", prior_ids=None)
    out = order[COLUMNS].copy()
    out["label"] = out["label"].astype(int)
    path.parent.mkdir(parents=True, exist_ok=True)
    out.to_csv(path, index=False)
    if checkpoints is not None:
        pd.DataFrame(checkpoints).to_csv(path.with_name("checkpoints.csv"), index=False)
    return path


def read_order(
    path: str | Path,
    *,
    data: pd.DataFrame | None = None,
    label_column: str = LABEL_COLUMN,
    prior_ids: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Read an order file (screener's or another tool's) into a checked order table.

    The file needs only ``record_id`` in screening order; ``rank`` (sorted on),
    ``label``, ``is_prior`` and ``score`` are used when present. With ``data`` (a
    records table with ``record_id`` and ``label_column``) the labels come from
    ``data``, because the label column is chosen explicitly; without it the file
    must hold every label. ``prior_ids`` overrides the file's ``is_prior``.

    An order that stopped early is allowed: records of ``data`` missing from the
    file are appended after its end, irrelevant ones first (the worst case), and
    marked ``screened = 0``, so metrics on it are conservative bounds. Without
    ``data`` the records listed are taken to be the whole pool.

    Returns columns ``rank,record_id,label,is_prior,score,screened``, priors
    first, ``rank`` 1-based. Raises ``DataError`` for anything that cannot be scored.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"order file not found: {path}")
    sep = "\t" if path.suffix.lower() in {".tsv", ".tab"} else ","
    try:
        raw = pd.read_csv(path, sep=sep, dtype={"record_id": str}, keep_default_na=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise DataError(f"cannot read order file {path}: {str(exc).splitlines()[0]}") from exc
    raw.columns = [str(c).strip() for c in raw.columns]
    return _normalise(raw, source=str(path), data=data, label_column=label_column, prior_ids=prior_ids)


def _as_01(values: pd.Series, what: str, source: str) -> pd.Series:
    """A 0/1 integer column (accepts 0/1, 0.0/1.0, true/false); DataError on anything else."""
    text = values.astype(str).str.strip().str.lower()
    mapped = text.map({"1": 1, "0": 0, "1.0": 1, "0.0": 0, "true": 1, "false": 0})
    bad = values.notna() & mapped.isna()
    if bad.any():
        raise DataError(f"{source}: {what} must be 0 or 1, found {values[bad].iloc[0]!r}")
    return mapped.astype("Int64")


def _normalise(
    raw: pd.DataFrame,
    *,
    source: str,
    data: pd.DataFrame | None,
    label_column: str,
    prior_ids: Sequence[str] | None,
) -> pd.DataFrame:
    if "record_id" not in raw.columns:
        raise DataError(f"{source}: an order needs a 'record_id' column (found: {', '.join(map(str, raw.columns))})")
    if len(raw) == 0:
        raise DataError(f"{source}: the order is empty")
    df = raw.copy()
    df["record_id"] = df["record_id"].astype("string").str.strip()
    if df["record_id"].isna().any() or (df["record_id"] == "").any():
        raise DataError(f"{source}: some rows have no record_id")
    dup = df["record_id"][df["record_id"].duplicated()]
    if len(dup):
        raise DataError(f"{source}: record {dup.iloc[0]} appears more than once ({dup.nunique()} duplicated ids)")

    if "rank" in df.columns:
        rank = pd.to_numeric(df["rank"], errors="coerce")
        if rank.isna().any():
            raise DataError(f"{source}: 'rank' must be a number on every row")
        if rank.duplicated().any():
            raise DataError(f"{source}: rank {rank[rank.duplicated()].iloc[0]:g} appears more than once")
        df = df.assign(rank=rank).sort_values("rank", kind="stable")

    df["is_prior"] = _as_01(df["is_prior"], "is_prior", source).fillna(0) if "is_prior" in df.columns else 0
    if prior_ids is not None:
        priors = {str(p).strip() for p in prior_ids if str(p).strip()}
        unknown = priors - set(df["record_id"])
        if unknown:
            raise DataError(f"{source}: prior id {sorted(unknown)[0]} is not in the order")
        df["is_prior"] = df["record_id"].isin(priors).astype(int)
    df["score"] = pd.to_numeric(df["score"], errors="coerce") if "score" in df.columns else np.nan
    df["screened"] = 1

    if data is not None:
        df = _join_labels(df, data, label_column, source)
    elif "label" not in df.columns:
        raise DataError(f"{source}: the order has no 'label' column; pass the labelled data (--data)")
    else:
        df["label"] = _as_01(df["label"], "label", source)
    if df["label"].isna().any():
        first = df.loc[df["label"].isna(), "record_id"].iloc[0]
        where = f"in the data's {label_column!r} column" if data is not None else "; pass the labelled data (--data)"
        raise DataError(f"{source}: record {first} has no label {where}".replace(" ;", ";"))

    df["label"] = df["label"].astype(int)
    df["is_prior"] = df["is_prior"].astype(int)
    df["score"] = df["score"].astype(float).where(df["is_prior"] == 0)
    # Priors first (they are known before screening starts), screening order otherwise kept.
    df = df.sort_values("is_prior", ascending=False, kind="stable").reset_index(drop=True)
    df["rank"] = np.arange(1, len(df) + 1)
    return df[COLUMNS + ["screened"]]


def _join_labels(df: pd.DataFrame, data: pd.DataFrame, label_column: str, source: str) -> pd.DataFrame:
    """Take labels from ``data``; append the records the order never reached (worst case)."""
    for col in ("record_id", label_column):
        if col not in data.columns:
            raise DataError(f"the data has no {col!r} column (columns: {', '.join(map(str, data.columns))})")
    ids = data["record_id"].astype("string").str.strip()
    if ids.duplicated().any():
        raise DataError(f"the data lists record {ids[ids.duplicated()].iloc[0]} more than once")
    labels = pd.Series(_as_01(data[label_column], label_column, "the data").to_numpy(), index=ids.to_numpy())
    unknown = ~df["record_id"].isin(labels.index)
    if unknown.any():
        raise DataError(
            f"{source}: record {df.loc[unknown, 'record_id'].iloc[0]} is not in the data "
            f"({int(unknown.sum())} unknown ids); is it the right data file?"
        )
    df["label"] = df["record_id"].map(labels).to_numpy()
    rest = labels[~labels.index.isin(df["record_id"])]
    if len(rest):
        # Unscreened records go last, relevant ones at the very end: the worst case.
        rest = rest.sort_values(kind="stable")
        tail = pd.DataFrame({
            "record_id": pd.array(rest.index, dtype="string"), "label": rest.to_numpy(),
            "is_prior": 0, "score": np.nan, "screened": 0,
        })
        df = pd.concat([df, tail], ignore_index=True)
    return df


def score_orders(
    orders: Sequence[str | Path],
    *,
    data: str | Path | None = None,
    label_column: str = LABEL_COLUMN,
    prior_ids: Sequence[str] | None = None,
    metrics: str | Sequence[str] | None = None,
) -> tuple[list[dict], list[pd.DataFrame]]:
    """Read and score each order file (labels from ``data`` when given; priors removed).

    Returns one row per order (``order`` = its path, then ``evaluate_order``'s values) and the
    order tables, in the order given.
    """
    records = read_file(data) if data is not None else None
    wanted = parse_metrics(metrics) if metrics else list(DEFAULT_METRICS)
    rows, tables = [], []
    for path in orders:
        table = read_order(path, data=records, label_column=label_column, prior_ids=prior_ids)
        rows.append({"order": str(path), **evaluate_order(table, wanted)})
        tables.append(table)
    return rows, tables
