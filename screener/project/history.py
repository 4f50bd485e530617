"""One reviewer's decisions in the order they were first made, and the discovery curve.

``decision_history`` is what the browser's list view shows and what ← and → walk through:
each record the reviewer has a live vote on at a stage, in the order of their first vote on
it, so changing a decision (a new ledger row; the ledger is append-only) does not move it in
the list. ``discovery_curve`` is relevant records found against records screened: the
project's ranked sequence (the run state the stopping rules read) where the reviewer may see
project-wide state, otherwise the reviewer's own votes only (blind dual screening shows
nothing of anyone else's). Nothing here prints.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from screener.conflicts import check_stage
from screener.project.advice import run_state
from screener.project.reviewers import check_reviewer
from screener.project.store import UNDONE, Store

HISTORY_COLUMNS = ["record_id", "label", "reason", "first_id", "ledger_id", "decided_at", "title"]


def decision_history(store: Store, reviewer: str | None, stage: str = "ta", *,
                     titles: pd.Series | None = None) -> pd.DataFrame:
    """The reviewer's live votes at ``stage``, one row per record, in the order of their first vote.

    Columns: ``record_id``, ``label`` and ``reason`` (their latest vote), ``first_id`` (the ledger
    id of their first vote on it: the sort key), ``ledger_id`` and ``decided_at`` (of the latest),
    ``title`` (from ``titles`` by record id when given: a session has them in memory). A record
    whose latest vote undid the decision is left out.
    """
    who = check_reviewer(store, reviewer)
    rows = store.stage_rows(check_stage(stage), reviewer=who)
    if rows.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in HISTORY_COLUMNS})
    first = rows.groupby("record_id")["id"].min()
    latest = rows.drop_duplicates("record_id", keep="last").set_index("record_id")
    latest = latest[latest["label"] != UNDONE]
    titles = store.records().set_index("id")["title"] if titles is None else titles
    out = pd.DataFrame({
        "record_id": latest.index.to_numpy(np.int64), "label": latest["label"].to_numpy(object),
        "reason": latest["reason"].to_numpy(object), "first_id": first.reindex(latest.index).to_numpy(np.int64),
        "ledger_id": latest["id"].to_numpy(np.int64), "decided_at": latest["decided_at"].to_numpy(object),
        "title": titles.reindex(latest.index).to_numpy(object)})
    return out.sort_values("first_id", kind="stable").reset_index(drop=True)


def neighbours(history: pd.DataFrame, record_id: int | None) -> tuple[int | None, int | None]:
    """(the decision before, the decision after) ``record_id`` in ``history``.

    With ``record_id`` None (the reviewer is at the queue, past their newest decision) the one
    before is their newest decision and there is none after.
    """
    ids = [int(i) for i in history["record_id"]]
    if record_id is None or int(record_id) not in ids:
        return (ids[-1] if ids else None), None
    k = ids.index(int(record_id))
    return (ids[k - 1] if k > 0 else None), (ids[k + 1] if k + 1 < len(ids) else None)


def discovery_curve(store: Store, reviewer: str | None, stage: str = "ta", *, shared: bool,
                    titles: pd.Series | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(records screened, relevant found) after each decision: both start at 0.

    ``shared``: the project's ranked screening sequence (``screener.project.advice.run_state``:
    current labels in first-screening order, maybes and random checks left out), as the stopping
    advice sees it; otherwise the reviewer's own include/exclude votes at ``stage`` in the order of
    ``decision_history``.
    """
    if shared:
        # no scores: only the labels are read (the stored scores table is not loaded)
        labels = np.asarray(run_state(store, scores=pd.Series(dtype=float)).labels, dtype=np.int64)
    else:
        mine = decision_history(store, reviewer, stage, titles=titles)
        mine = mine[mine["label"].isin(["include", "exclude"])]
        labels = (mine["label"] == "include").to_numpy(np.int64)
    screened = np.arange(len(labels) + 1, dtype=np.int64)
    found = np.concatenate([[0], np.cumsum(labels)]).astype(np.int64)
    return screened, found
