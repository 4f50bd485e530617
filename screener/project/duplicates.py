"""The project's merges with their evidence, the pairs flagged but left apart, and unmerging.

Every duplicate is stored linked to its group's kept record (``duplicate_of``); only kept
records are screened, so a decision on a group is the decision on its kept record and
export lists the group's other ids beside it. ``merges`` says why each record was merged
(the field evidence of ``screener.dedup``), ``flagged`` lists preprint/published and
erratum/article pairs among the kept records, and ``unmerge`` puts records back in the
pool. Nothing here prints.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from screener.dedup import describe_pair, find_duplicates
from screener.dedup.match import FLAGGED, decide
from screener.dedup.pairs import evidence, prepare
from screener.errors import DataError
from screener.project.store import Store

MERGE_COLUMNS = ["kept_id", "kept_title", "duplicate_id", "duplicate_title", "duplicate_source", "evidence"]


def merges(folder: str | Path) -> pd.DataFrame:
    """One row per merged record: the kept record, the duplicate, and the evidence in words."""
    with Store.open(folder) as store:
        records = store.records(kept_only=False).reset_index(drop=True)
    dup = records[records["duplicate_of"].notna()]
    if dup.empty:
        return pd.DataFrame(columns=MERGE_COLUMNS)
    position = pd.Series(np.arange(len(records)), index=records["id"].to_numpy())
    pairs = np.stack([position[dup["duplicate_of"].astype("int64")].to_numpy(),
                      position[dup["id"]].to_numpy()], axis=1)
    found = decide(evidence(prepare(records), pairs))
    kept = records.iloc[pairs[:, 0]]
    return pd.DataFrame({
        "kept_id": kept["id"].to_numpy(), "kept_title": kept["title"].to_numpy(),
        "duplicate_id": dup["id"].to_numpy(), "duplicate_title": dup["title"].to_numpy(),
        "duplicate_source": dup["source"].to_numpy(),
        "evidence": [describe_pair(row) for row in found.itertuples(index=False)],
    }).sort_values(["kept_id", "duplicate_id"], kind="stable").reset_index(drop=True)


def flagged(folder: str | Path) -> pd.DataFrame:
    """Kept records that look like one study in two forms (preprint and published version,
    erratum and article): left apart for the reviewer to judge, listed with the reason."""
    with Store.open(folder) as store:
        records = store.records().reset_index(drop=True)
    pairs = find_duplicates(records).pairs
    pairs = pairs[pairs["decision"] == FLAGGED]
    ids, titles = records["id"].to_numpy(), records["title"].to_numpy()
    return pd.DataFrame({
        "id_1": ids[pairs["i"]], "title_1": titles[pairs["i"]],
        "id_2": ids[pairs["j"]], "title_2": titles[pairs["j"]],
        "reason": pairs["reason"].to_numpy(),
        "evidence": [describe_pair(row) for row in pairs.itertuples(index=False)],
    })


def unmerge(folder: str | Path, record_ids: list[int]) -> list[int]:
    """Put merged records back in the pool, each its own kept record (to be screened).

    A kept record's id unmerges its whole group. Returns the ids put back; an id that is
    neither merged nor a kept record with duplicates is a ``DataError`` and nothing changes.
    """
    with Store.open(folder) as store:
        records = store.records(kept_only=False)
        dup_of = records.set_index("id")["duplicate_of"]
        back: list[int] = []
        for rid in record_ids:
            if rid not in dup_of.index:
                raise DataError(f"record {rid} is not in the project; see 'screener duplicates' for ids")
            members = dup_of.index[dup_of == rid].tolist() if pd.isna(dup_of[rid]) else [rid]
            if not members:
                raise DataError(f"record {rid} is not merged and has no duplicates; nothing to unmerge")
            back.extend(int(m) for m in members)
        with store.transaction():
            store.set_duplicate_of(back, None)
    return back
