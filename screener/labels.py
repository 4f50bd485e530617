"""The three ways screener writes a label, and the one place they are turned into each other.

- **Decisions** (the ledger, a session, an export): ``"include"``, ``"exclude"``, ``"maybe"``, and
  ``""`` for a record not (or no longer) decided.
- **Learner labels** (``active``): one int8 per pool row, ``RELEVANT`` 1, ``IRRELEVANT`` 0,
  ``UNLABELLED`` -1; a queue also marks ``HELD`` 2 (a "maybe": neither a training example nor
  shown again).
- **File labels** (a labelled pool, ``simulate``): a 0/1 column, ``LABEL_COLUMN`` by default.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from screener.errors import DataError

LABEL_COLUMN = "label_included"  # the label column of a labelled pool (readers' canonical name)

INCLUDE, EXCLUDE, MAYBE = "include", "exclude", "maybe"
DECISIONS = (INCLUDE, EXCLUDE, MAYBE)
UNDECIDED = ""

RELEVANT, IRRELEVANT, UNLABELLED, HELD = 1, 0, -1, 2


def training_labels(decisions: np.ndarray) -> np.ndarray:
    """Decisions → learner labels: include 1, exclude 0, anything else (maybe, undecided) -1."""
    decisions = np.asarray(decisions)
    return np.select([decisions == INCLUDE, decisions == EXCLUDE], [RELEVANT, IRRELEVANT], UNLABELLED).astype(np.int8)


def queue_labels(decisions: np.ndarray) -> np.ndarray:
    """As ``training_labels``, but a maybe is ``HELD`` (2), so that it stays out of the queue."""
    out = training_labels(decisions)
    out[np.asarray(decisions) == MAYBE] = HELD
    return out


def decisions_of(labels: np.ndarray) -> np.ndarray:
    """File or learner labels → decisions: 1 include, 0 exclude, anything else undecided."""
    labels = np.asarray(labels)
    return np.select([labels == RELEVANT, labels == IRRELEVANT], [INCLUDE, EXCLUDE], UNDECIDED).astype(object)


def file_labels(records: pd.DataFrame, label_column: str = LABEL_COLUMN) -> np.ndarray:
    """The 0/1 labels of a fully labelled pool, with a clear error where they are not usable."""
    if label_column not in records.columns:
        found = [c for c in records.columns if c.startswith("label")]
        raise DataError(f"no label column {label_column!r}; label columns found: {', '.join(found) or 'none'}")
    col = records[label_column]
    if col.isna().any():
        raise DataError(f"{label_column!r} has {int(col.isna().sum())} records without a label; simulation needs every label")
    y = col.astype(int).to_numpy()
    if y.sum() == 0:
        raise DataError(f"{label_column!r} has no relevant records: nothing to find")
    if y.sum() == len(y):
        raise DataError(f"{label_column!r} has no irrelevant records: nothing to screen out")
    return y
