"""Conflicts, their consensus resolution, and agreement statistics per stage and reviewer pair.

A conflict (``screener.conflicts``) is listed with who voted; an adjudicator or the
owner, or the two voting reviewers together, records the consensus decision with a
reason. The resolution is a ledger row of kind 'consensus' (reviewer: the adjudicator,
or "alice+bob"); every vote stays in the ledger. Like Covidence, the list shows who voted
and not how: showing the votes would bias the resolving vote.
"""

from __future__ import annotations

from itertools import combinations
from pathlib import Path

import numpy as np
import pandas as pd

from screener.agreement import Agreement, agreement
from screener.conflicts import STAGES, check_stage, vote_category
from screener.errors import ConfigError
from screener.project.reviewers import can_resolve, check_reasons, check_reviewer, team
from screener.project.store import LABELS, UNDONE, Store
from screener.project.votes import stage_outcomes


def conflicts(store: Store, stage: str = "ta") -> pd.DataFrame:
    """Records in conflict at a stage: record id, title, kind ('label' or 'reason'), voters."""
    out = stage_outcomes(store, stage)
    out = out[out["state"] == "conflict"]
    titles = store.records().set_index("id")["title"]
    return pd.DataFrame({"record_id": out["record_id"].to_numpy(np.int64),
                         "title": out["record_id"].map(titles).to_numpy(object),
                         "conflict": out["conflict"].to_numpy(object),
                         "voters": [", ".join(v) for v in out["voters"]]})


def resolve(store: Store, record_id: int, label: str, *, by: str | None, reason: str | None = None,
            stage: str = "ta", note: str | None = None) -> int:
    """Record the consensus decision on a conflict (checked first; one ledger row, committed).

    ``by`` is an adjudicator or owner, or "alice+bob": the record's two voters together.
    A resolution needs a reason: an exclusion reason from the project's list, or (for an
    include) the note saying why; a full-text exclusion needs a listed reason.
    """
    check_stage(stage)
    if label not in LABELS or (stage == "ft" and label == "maybe"):
        allowed = "include, exclude" if stage == "ft" else ", ".join(LABELS)
        raise ConfigError(f"consensus label {label!r}: use one of {allowed}")
    rid = int(record_id)
    open_conflicts = conflicts(store, stage)
    row = open_conflicts[open_conflicts["record_id"] == rid]
    if row.empty:
        raise ConfigError(f"record {rid} has no open conflict at the {stage} stage "
                          f"(see 'screener conflicts {store.folder} --stage {stage}')")
    voters = set(row["voters"].iloc[0].split(", "))
    names = [n.strip() for n in (by or "").split("+") if n.strip()]
    if len(names) == 2:
        for n in names:
            check_reviewer(store, n)
        if set(names) != voters:
            raise ConfigError(f"together means the record's voters ({', '.join(sorted(voters))}); "
                              f"got {' and '.join(names)}")
        who = "+".join(sorted(names))
    else:
        who = check_reviewer(store, by)
        if not can_resolve(store, who):
            raise ConfigError(f"{who} is a {team(store).role(who)}: conflicts are resolved by an adjudicator "
                              "or the owner, or by the two voters together (--by alice+bob)")
    reasons = (reason,) if reason else ()
    if label == "exclude" and reasons:
        check_reasons(store, reasons)
    if stage == "ft" and label == "exclude" and not reasons:
        raise ConfigError("a full-text exclusion needs a reason from the project's list (--reason)")
    if not reasons and not (note and note.strip()):
        raise ConfigError("say why: an exclusion --reason from the list, or a --note with the consensus reasoning")
    return store.add_decision(rid, label, reviewer=who, stage=stage, kind="consensus", reasons=reasons,
                              note=note)


def stage_agreement(store: Store, stage: str) -> list[Agreement]:
    """Agreement of every pair of reviewers over the records both voted on at ``stage``.

    Each reviewer's latest vote counts (withdrawn votes and full-text maybes are no vote),
    compared as the conflict rules compare them: at title/abstract include/maybe vs exclude.
    """
    rows = store.stage_rows(stage)
    votes = rows[rows["kind"] == "vote"].drop_duplicates(["record_id", "reviewer"], keep="last")
    votes = votes[votes["label"] != UNDONE]
    votes = votes.assign(category=[vote_category(lab, stage) for lab in votes["label"]])
    votes = votes[votes["category"].notna()]
    wide = votes.pivot(index="record_id", columns="reviewer", values="category")
    results = []
    for a, b in combinations(sorted(wide.columns), 2):
        both = wide[[a, b]].dropna()
        if both.empty:
            continue
        results.append(agreement(both[a].to_list(), both[b].to_list(), a=a, b=b,
                                 categories=("include", "exclude")))
    return results


def project_agreement(folder: str | Path) -> dict[str, list[Agreement]]:
    """``stage_agreement`` for both stages of a project folder."""
    with Store.open(folder) as store:
        return {s: stage_agreement(store, s) for s in STAGES}
