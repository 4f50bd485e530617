"""The PRISMA 2020 counts of a project, read from the ledger, and its flow diagram.

One ``FlowCounts`` per search: the first search, and the update search where one was
imported. An import counts as an update when the ledger already held a title/abstract
decision at the time it was imported. A record belongs to the search of its import.

- identified: stored records per source file (duplicates included; a record skipped
  at import because it was already in the project is not stored and not counted);
- duplicates removed: stored records linked to a kept one;
- records screened / excluded: decided title/abstract outcomes / those excluded;
- reports sought: outcomes include or maybe (``screener.conflicts``: maybe goes on);
- reports not retrieved: sought, marked not retrieved and not decided at full text;
- reports assessed / excluded per reason / studies included: decided full-text outcomes
  (a decided exclusion without a reason counts under "(no reason given)").
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from screener.conflicts import proceeds
from screener.prisma_diagram import FlowCounts, draw_flow
from screener.project.store import Store
from screener.project.votes import stage_outcomes

NO_REASON = "(no reason given)"


def _update_imports(store: Store) -> set[int]:
    first = store.first_decided_at("ta")
    if first is None:
        return set()
    imports = store.imports()
    return set(imports.loc[imports["imported_at"] > first, "import_id"].astype(int))


def flow_counts(store: Store) -> list[FlowCounts]:
    """The PRISMA counts of the first search and (where imported) the update search."""
    records = store.record_origins()  # no record text: the page of a live review reads this often
    kept = records[records["duplicate_of"].isna()]
    ids = kept["id"].to_numpy(np.int64)
    ta = stage_outcomes(store, "ta", ids).set_index("record_id")
    ft = stage_outcomes(store, "ft", ids).set_index("record_id")
    reports = store.reports(latest=True).set_index("record_id")["status"]
    update = _update_imports(store)
    phases = [("first", records[~records["import_id"].isin(update)])]
    if update:
        phases.append(("update", records[records["import_id"].isin(update)]))
    out = []
    for name, recs in phases:
        in_phase = recs.loc[recs["duplicate_of"].isna(), "id"].to_numpy(np.int64)
        t, f = ta.reindex(in_phase), ft.reindex(in_phase)
        decided = t["state"] == "decided"
        sought = decided & t["label"].map(proceeds).fillna(False).astype(bool)
        f_decided = sought & (f["state"] == "decided")
        missing = sought & ~f_decided & reports.reindex(in_phase).eq("not_retrieved")
        excluded = f.loc[f_decided & (f["label"] == "exclude"), "reason"].fillna(NO_REASON)
        order = pd.unique(recs.sort_values("id")["source"])
        per_source = recs["source"].value_counts()
        label = "Identification of studies via databases and registers"
        if name == "update":
            label = "Identification of new studies via databases and registers"
        out.append(FlowCounts(
            identified={str(s): int(per_source[s]) for s in order},
            duplicates_removed=int(recs["duplicate_of"].notna().sum()),
            records_screened=int(decided.sum()),
            records_excluded=int((decided & (t["label"] == "exclude")).sum()),
            reports_sought=int(sought.sum()), reports_not_retrieved=int(missing.sum()),
            reports_assessed=int(f_decided.sum()),
            reports_excluded={str(k): int(v) for k, v in excluded.value_counts().sort_index().items()},
            studies_included=int((f_decided & (f["label"] == "include")).sum()),
            records_awaiting=int((~decided).sum()),
            reports_awaiting=int((sought & ~f_decided & ~missing).sum()), label=label))
    return out


def project_flow(folder: str | Path) -> list[FlowCounts]:
    with Store.open(folder) as store:
        return flow_counts(store)


def draw_project_flow(folder: str | Path, out: str | Path) -> tuple[Path, list[FlowCounts]]:
    """Draw the project's PRISMA 2020 diagram into ``out`` (.svg or .png); returns it and the counts."""
    flows = project_flow(folder)
    return draw_flow(flows[0], out, update=flows[1] if len(flows) > 1 else None), flows
