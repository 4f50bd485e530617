"""How reviewers' votes become a record's outcome at a stage, and when they are in conflict.

Pure functions of ledger rows (no store, no model): the project, the session, ``status``
and the PRISMA diagram all call ``record_outcomes`` so that they count the same way.

Stages: ``ta`` (titles and abstracts) and ``ft`` (full texts). Modes per stage:
``single`` (one vote decides; the latest vote by anyone wins, today's behaviour) and
``dual`` (each record needs two reviewers' votes; they must agree or go to consensus).

The rules, as Covidence applies them (support.covidence.org, "Voting maybe" and
"Resolving conflicts"):

- At title/abstract, **maybe counts as include**: a 'maybe' moves a record on to the
  full texts. include + maybe agree (outcome include), maybe + maybe agree (outcome
  maybe: it goes on, but is not a positive example for the model), and exclude against
  include or maybe is a conflict.
- At full text there is no maybe vote: a 'maybe' there is the reviewer's note to come
  back (their "my maybes" queue) and counts as no vote. include against exclude is a
  conflict, and so are two excludes with different (primary) reasons, because PRISMA
  counts full-text exclusions per reason.
- A consensus decision (an adjudicator, or the two reviewers together) overrides the
  votes, in either mode; its latest row wins, an undone consensus (label 'none') is none.
- Each reviewer's latest vote counts (a changed mind is a new ledger row; 'none', an
  undo, withdraws the vote).

Outcome states: ``unscreened`` (no vote), ``awaiting`` (a vote is still missing: one
vote in dual mode, or only full-text maybes), ``conflict`` and ``decided``.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

STAGES = ("ta", "ft")
STAGE_NAMES = {"ta": "title/abstract", "ft": "full text"}
MODES = ("single", "dual")
STATES = ("unscreened", "awaiting", "conflict", "decided")
VOTE_KINDS = ("vote", "consensus")
OUTCOME_COLUMNS = ["record_id", "state", "label", "reason", "reasons", "conflict", "n_votes", "voters"]


def check_stage(stage: str) -> str:
    if stage not in STAGES:
        raise ValueError(f"stage must be one of {', '.join(STAGES)}, got {stage!r}")
    return stage


def check_mode(mode: str) -> str:
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
    return mode


def vote_category(label: str, stage: str) -> str | None:
    """What a vote counts as when votes are compared: 'include', 'exclude' or None (no vote)."""
    check_stage(stage)
    if label == "exclude":
        return "exclude"
    if label == "include" or (label == "maybe" and stage == "ta"):
        return "include"
    return None  # 'none' (withdrawn) or a full-text maybe


def proceeds(label: str | None) -> bool:
    """Whether a decided title/abstract outcome sends the record to the full texts."""
    return label in ("include", "maybe")


def parse_reasons(reason: object, reasons: object = None) -> tuple[str, ...]:
    """A ledger row's reasons: the JSON list in ``reasons`` when present, else the single ``reason``."""
    if isinstance(reasons, str) and reasons:
        return tuple(json.loads(reasons))
    if isinstance(reason, str) and reason:
        return (reason,)
    return ()


def _categories(labels: pd.Series, stage: str) -> pd.Series:
    cat = pd.Series(np.where(labels == "exclude", "exclude", ""), index=labels.index, dtype=object)
    cat[labels == "include"] = "include"
    if stage == "ta":
        cat[labels == "maybe"] = "include"
    return cat.where(cat != "", None)


def record_outcomes(rows: pd.DataFrame, *, stage: str, mode: str,
                    record_ids: np.ndarray | None = None) -> pd.DataFrame:
    """Every record's outcome at ``stage`` from its ledger rows (in ledger order, any order of records).

    ``rows`` holds the stage's ledger rows with columns ``id``, ``record_id``, ``label``,
    ``reviewer``, ``reason``, ``kind`` ('vote' or 'consensus') and optionally ``reasons``
    (a JSON list). ``record_ids`` adds records without rows (state ``unscreened``).
    Returns one row per record (sorted by record id): ``state``, ``label`` (decided
    outcome), ``reason`` (primary reason of a decided exclusion), ``reasons`` (tuple),
    ``conflict`` ('label' or 'reason'), ``n_votes`` and ``voters`` (tuple, ledger order).
    """
    check_stage(stage)
    check_mode(mode)
    rows = rows.sort_values("id", kind="stable")
    if "reasons" not in rows:
        rows = rows.assign(reasons=None)
    all_ids = pd.Index(np.unique(np.concatenate([
        rows["record_id"].to_numpy(np.int64),
        np.asarray(record_ids if record_ids is not None else [], dtype=np.int64)])), name="record_id")
    out = pd.DataFrame(index=all_ids)
    out["state"], out["label"], out["reason"], out["conflict"] = "unscreened", None, None, None
    out["reasons"] = [()] * len(out)
    out["n_votes"], out["voters"] = 0, [()] * len(out)
    votes = rows[rows["kind"] == "vote"]
    latest = votes.drop_duplicates(["record_id", "reviewer"], keep="last")
    if mode == "single":  # the latest vote by anyone
        latest = votes.drop_duplicates("record_id", keep="last")
    latest = latest[latest["label"] != "none"]
    cat = _categories(latest["label"], stage)
    cast = latest[cat.notna()].assign(category=cat[cat.notna()])
    out.loc[latest["record_id"].unique(), "state"] = "awaiting"  # voted, maybe not counted yet
    if not cast.empty:
        primary = cast["reasons"].combine(cast["reason"], lambda rs, r: (parse_reasons(r, rs) or ("",))[0])
        cast = cast.assign(primary=primary.where(cast["category"] == "exclude", ""))
        cast = cast.assign(is_include=(cast["category"] == "include").astype(int),
                           label_include=(cast["label"] == "include").astype(int))
        g = cast.groupby("record_id", sort=True)
        first = cast.drop_duplicates("record_id", keep="first").set_index("record_id").sort_index()
        summary = pd.DataFrame({
            "n": g.size(), "n_include": g["is_include"].sum(), "n_reasons": g["primary"].nunique(),
            "first_label": first["label"], "any_include": g["label_include"].max() > 0,
            "first_reason": first["reason"], "first_reasons": first["reasons"],
            "voters": g["reviewer"].agg(tuple)})
        out.loc[summary.index, "n_votes"] = summary["n"]
        out.loc[summary.index, "voters"] = summary["voters"]
        mixed = (summary["n_include"] > 0) & (summary["n_include"] < summary["n"])
        reason_split = (summary["n_include"] == 0) & (summary["n_reasons"] > 1) & (stage == "ft")
        needed = 1 if mode == "single" else 2
        agreed = ~mixed & ~reason_split & (summary["n"] >= needed)
        out.loc[summary.index[mixed], ["state", "conflict"]] = ["conflict", "label"]
        if mode == "dual":
            out.loc[summary.index[reason_split & ~mixed], ["state", "conflict"]] = ["conflict", "reason"]
        decided = summary[agreed | ((mode == "single") & (summary["n"] >= 1))]
        label = np.where(decided["n_include"] == 0, "exclude",
                         np.where(decided["any_include"], "include", "maybe"))
        if mode == "single":
            label = decided["first_label"].to_numpy(object)
        out.loc[decided.index, "state"] = "decided"
        out.loc[decided.index, "label"] = label
        reasons = [parse_reasons(r, rs) if lab == "exclude" else ()
                   for r, rs, lab in zip(decided["first_reason"], decided["first_reasons"], label)]
        out.loc[decided.index, "reasons"] = pd.Series(reasons, index=decided.index, dtype=object)
    consensus = rows[rows["kind"] == "consensus"].drop_duplicates("record_id", keep="last")
    consensus = consensus[consensus["label"] != "none"]
    if not consensus.empty:
        ids = consensus["record_id"].to_numpy()
        out.loc[ids, "state"] = "decided"
        out.loc[ids, "label"] = consensus["label"].to_numpy(object)
        out.loc[ids, "conflict"] = None
        reasons = [parse_reasons(r, rs) if lab == "exclude" else ()
                   for r, rs, lab in zip(consensus["reason"], consensus["reasons"], consensus["label"])]
        out.loc[ids, "reasons"] = pd.Series(reasons, index=ids, dtype=object)
    decided_excl = (out["state"] == "decided") & (out["label"] == "exclude")
    out["reason"] = [rs[0] if (ex and rs) else None for rs, ex in zip(out["reasons"], decided_excl)]
    return out.reset_index()[OUTCOME_COLUMNS]
