"""Votes per stage: outcomes, one reviewer's (blind) view and queue, casting and revisiting votes.

``stage_outcomes`` applies ``screener.conflicts`` to the ledger: what every record's
outcome is at a stage. ``ReviewerLedger`` is what one reviewer's session sees of one stage:

- **Blind dual mode**: the reviewer's own latest votes plus outcomes already decided
  (two agreeing votes or a consensus). Another reviewer's vote on a record that is not
  decided yet is never part of it: not as a label, not in a count, not in the ranking.
- **The model's training set** is exactly that view (own votes + decided outcomes; at
  the full texts, title/abstract view overlaid with full-text includes and excludes).
  Own votes keep the reviewer's ranking responsive to their own screening, as in single
  mode; decided outcomes add what the team has settled, which is no longer anyone's
  private vote. Training on everyone's votes would leak them through the order.
- **The queue**: records still needing this reviewer's vote (no live vote of theirs, not
  decided, not in conflict, and in dual mode fewer than two votes so far), best first.
  With three or more reviewers a record two others already voted on leaves the queue;
  that is the one thing a reviewer can infer about others, as in Covidence.
- **Single mode** is today's behaviour: the latest vote by anyone decides.
- The generator seed of the reviewer's model counts only rows they can see.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from screener.conflicts import check_stage, proceeds, record_outcomes, vote_category
from screener.errors import ConfigError
from screener.project.reviewers import check_reasons, check_reviewer, stage_mode, team
from screener.project.store import LABELS, UNDONE, Store

MAX_NOTE = 10_000  # characters in one decision's note


def stage_outcomes(store: Store, stage: str, ids: np.ndarray | None = None) -> pd.DataFrame:
    """Every kept record's outcome at ``stage`` (``screener.conflicts.record_outcomes`` columns)."""
    check_stage(stage)
    if ids is None:
        ids = store.records()["id"].to_numpy(np.int64)
    out = record_outcomes(store.stage_rows(stage), stage=stage, mode=stage_mode(store, stage), record_ids=ids)
    return out[out["record_id"].isin(ids)].reset_index(drop=True)


def fulltext_scope(store: Store, ids: np.ndarray) -> np.ndarray:
    """Which of ``ids`` are at the full-text stage (title/abstract outcome include or maybe)."""
    ta = stage_outcomes(store, "ta", ids).set_index("record_id")
    ok = (ta["state"] == "decided") & ta["label"].map(proceeds)
    return ok.reindex(ids).fillna(False).to_numpy(bool)


def project_labels(store: Store, ids: np.ndarray) -> np.ndarray:
    """Decided title/abstract outcomes over ``ids`` ('' otherwise): the project's model trains on these."""
    out = stage_outcomes(store, "ta", ids).set_index("record_id")
    lab = out["label"].where(out["state"] == "decided")
    return lab.reindex(ids).fillna("").to_numpy(dtype=object, copy=True)


def _own_latest(store: Store, reviewer: str, stage: str) -> pd.Series:
    rows = store.stage_rows(stage, reviewer=reviewer).drop_duplicates("record_id", keep="last")
    rows = rows[rows["label"] != UNDONE]
    return pd.Series(rows["label"].to_numpy(object), index=rows["record_id"].to_numpy(np.int64))


class ReviewerLedger:
    """One reviewer's view of one stage (what a session may show, train on and serve)."""

    def __init__(self, store: Store, reviewer: str | None, stage: str = "ta", *, maybes: bool = False):
        self.store, self.stage, self.maybes = store, check_stage(stage), maybes  # maybes: "my maybes" queue
        self.reviewer = check_reviewer(store, reviewer)
        self.mode = stage_mode(store, stage)
        self.blind = self.mode == "dual" and team(store).blind

    @property
    def shares_project_state(self) -> bool:
        """Whether project-wide views (stopping advice, random checks) may be shown: single-mode title/abstract."""
        return self.mode == "single" and self.stage == "ta"

    def _visible(self, stage: str, ids: np.ndarray, out: pd.DataFrame) -> np.ndarray:
        """Decided outcomes, plus (dual mode) the reviewer's own votes, or everyone's when not blind."""
        o = out.set_index("record_id")
        seen = o["label"].where(o["state"] == "decided")
        if stage_mode(self.store, stage) == "dual":
            if self.blind:
                votes = _own_latest(self.store, self.reviewer, stage)
            else:
                rows = self.store.stage_rows(stage)
                rows = rows[rows["kind"] == "vote"].drop_duplicates("record_id", keep="last")
                rows = rows[rows["label"] != UNDONE]
                votes = pd.Series(rows["label"].to_numpy(object), index=rows["record_id"].to_numpy(np.int64))
            seen = seen.combine_first(votes)  # a decided outcome wins over a vote
        return seen.reindex(ids).fillna("").to_numpy(dtype=object, copy=True)

    def load(self, ids: np.ndarray) -> StageView:
        """Labels, training labels, scope and queue mask over the pool's ``ids`` (row order)."""
        ids = np.asarray(ids, dtype=np.int64)
        out = stage_outcomes(self.store, self.stage, ids)
        labels = self._visible(self.stage, ids, out)
        own = _own_latest(self.store, self.reviewer, self.stage).reindex(ids).notna().to_numpy()
        o = out.set_index("record_id").reindex(ids)
        open_ = (~own & (o["state"].isin(["unscreened", "awaiting"])).to_numpy()
                 & ((o["n_votes"] < 2) | (self.mode == "single")).to_numpy())
        if self.maybes:  # the reviewer's own maybes that no decided outcome has settled otherwise
            mine = _own_latest(self.store, self.reviewer, self.stage).reindex(ids).eq("maybe").to_numpy()
            open_ = mine & ~((o["state"] == "decided") & (o["label"] != "maybe")).to_numpy()
        if self.stage == "ta":
            return StageView(labels, labels, np.ones(len(ids), bool), open_ & ((labels == "") | self.maybes))
        scope = fulltext_scope(self.store, ids)
        reports = self.store.reports(latest=True).set_index("record_id")["status"]
        missing = reports.reindex(ids).eq("not_retrieved").to_numpy()
        ta = ReviewerLedger(self.store, self.reviewer, "ta")
        train = ta._visible("ta", ids, stage_outcomes(self.store, "ta", ids))
        final = np.isin(labels, ["include", "exclude"])
        train = np.where(final, labels, train).astype(object)
        return StageView(labels, train, scope, open_ & scope & ~missing)

    def n_rows(self) -> int:
        """Ledger rows this reviewer can see (seeds their model's generator; counts no other votes)."""
        if self.mode == "single":
            return self.store.n_decisions()
        return (self.store.count_rows(self.stage, reviewer=self.reviewer, kind="vote")
                + self.store.count_rows(self.stage, kind="consensus"))

    def taken(self, record_id: int) -> str | None:
        """Checked just before a record is served: None while it still needs this reviewer's vote;
        otherwise the label the session should now show for it ('' when it is no longer theirs)."""
        rows = self.store.record_votes(record_id, self.stage)
        latest: dict[str, str] = {}
        consensus = None
        for who, label, kind in rows:
            if kind == "consensus":
                consensus = None if label == UNDONE else label
            else:
                latest[who] = label
        if consensus is not None:
            return consensus
        mine = latest.get(self.reviewer)
        if self.maybes:
            return None if mine == "maybe" else (mine or "")
        if mine is not None and mine != UNDONE:
            return mine
        if self.mode == "single":
            last = next((lab for _, lab, kind in reversed(rows) if kind == "vote"), None)
            return None if last in (None, UNDONE) or vote_category(last, self.stage) is None else last
        others = [lab for who, lab in latest.items() if who != self.reviewer and lab != UNDONE
                  and vote_category(lab, self.stage) is not None]
        return "" if len(others) >= 2 else None

    def previous(self, record_id: int) -> dict | None:
        """This reviewer's latest row on the record (single mode: anyone's), for undo."""
        if self.mode == "single" and self.stage == "ta":
            return self.store.latest_decision(record_id)
        return self.store.latest_vote(record_id, self.reviewer, self.stage)

    def vote(self, record_id: int, label: str, *, reasons: Sequence[str] = (), tags: Sequence[str] = (),
             note: str | None = None, model_version: int | None = None, score: float | None = None,
             undoes: int | None = None, shown_for: str | None = None, draw_id: int | None = None,
             wait: float | None = None) -> int:
        """Record this reviewer's vote (validated first; committed before returning its ledger id)."""
        return cast_vote(self.store, record_id, label, reviewer=self.reviewer, stage=self.stage,
                         reasons=reasons, tags=tags, note=note, model_version=model_version, score=score,
                         undoes=undoes, shown_for=shown_for, draw_id=draw_id, wait=wait, _checked=True)


@dataclass
class StageView:
    labels: np.ndarray  # what the reviewer sees decided at this stage ('' = nothing)
    train: np.ndarray  # the model's training labels (include/exclude count)
    scope: np.ndarray  # records at this stage (all at title/abstract; the included ones at full text)
    open: np.ndarray  # records to serve this reviewer


def cast_vote(store: Store, record_id: int, label: str, *, reviewer: str | None, stage: str = "ta",
              reasons: Sequence[str] = (), tags: Sequence[str] = (), note: str | None = None,
              model_version: int | None = None, score: float | None = None, undoes: int | None = None,
              shown_for: str | None = None, draw_id: int | None = None, wait: float | None = None,
              _checked: bool = False) -> int:
    """One vote, checked before anything is written: a known reviewer, a kept record at that stage,
    a label, and reasons from the project's list (a full-text exclusion needs one)."""
    check_stage(stage)
    who = reviewer if _checked else check_reviewer(store, reviewer)
    if label not in (*LABELS, UNDONE):
        raise ConfigError(f"label {label!r}: use one of {', '.join(LABELS)}")
    if note is not None and (not isinstance(note, str) or len(note) > MAX_NOTE):
        raise ConfigError(f"a note is at most {MAX_NOTE:,} characters; nothing was saved")
    reasons = tuple(r for r in reasons if r)
    if reasons:
        check_reasons(store, reasons)
    if stage == "ft" and label == "exclude" and not reasons and undoes is None:
        raise ConfigError("a full-text exclusion needs a reason from the project's list (press r, or --reason)")
    if not _checked:
        rid = int(record_id)
        if not store.is_kept(rid):
            raise ConfigError(f"record {rid} is not a screened record of this project")
        if stage == "ft" and not fulltext_scope(store, np.array([rid]))[0]:
            raise ConfigError(f"record {rid} is not at the full-text stage (it was not included at title/abstract)")
    return store.add_decision(record_id, label, reviewer=who, stage=stage, reasons=reasons, tags=tags,
                              note=note, model_version=model_version, score=score, undoes=undoes,
                              shown_for=shown_for, draw_id=draw_id, wait=wait)


def reviewer_decisions(store: Store, reviewer: str | None, *, stage: str | None = None,
                       label: str | None = None, search: str | None = None) -> pd.DataFrame:
    """A reviewer's current votes (their latest per record and stage) with the record's title.

    ``label`` filters (e.g. 'maybe': the "my maybes" list), ``search`` matches title words.
    """
    who = check_reviewer(store, reviewer)
    if label is not None and label not in LABELS:
        raise ConfigError(f"label {label!r}: use one of {', '.join(LABELS)}")
    frames = []
    for s in ([check_stage(stage)] if stage else ["ta", "ft"]):
        rows = store.stage_rows(s, reviewer=who).drop_duplicates("record_id", keep="last")
        frames.append(rows[rows["label"] != UNDONE])
    rows = pd.concat(frames, ignore_index=True)
    titles = store.records().set_index("id")["title"]
    rows["title"] = rows["record_id"].map(titles)
    if label is not None:
        rows = rows[rows["label"] == label]
    if search:
        rows = rows[rows["title"].str.contains(search, case=False, regex=False, na=False)]
    cols = ["id", "stage", "record_id", "label", "reason", "reasons", "tags", "decided_at", "title"]
    return rows.sort_values(["stage", "id"], ascending=[False, True])[cols].rename(
        columns={"id": "ledger_id"}).reset_index(drop=True)


def ta_decisions(store: Store, ids: np.ndarray) -> pd.DataFrame:
    """Per record (index ``ids``): the title/abstract ``decision`` (decided outcome or ''), its
    ``reason``, ``reviewer`` (the voter, the voters, or who resolved it) and ``decided_at``."""
    out = stage_outcomes(store, "ta", ids).set_index("record_id").reindex(ids)
    rows = store.stage_rows("ta")
    last_at = rows.groupby("record_id")["decided_at"].last()
    cons = rows[rows["kind"] == "consensus"].drop_duplicates("record_id", keep="last").set_index("record_id")
    decided = (out["state"] == "decided").to_numpy()
    who = [c if isinstance(c, str) else ", ".join(v) for c, v in
           zip(cons["reviewer"].reindex(ids), out["voters"])]
    frame = pd.DataFrame({"decision": out["label"], "reason": out["reason"], "reviewer": who,
                          "decided_at": last_at.reindex(ids)}, index=ids)
    frame.loc[~decided] = None
    return frame.fillna("")


def team_columns(store: Store, ids: np.ndarray) -> pd.DataFrame:
    """Export columns of a team project (none for a one-person title/abstract project): the full-text
    outcome, reason and report state, and each reviewer's latest vote per stage ('exclude: reason')."""
    frame = pd.DataFrame(index=ids)
    t = team(store)
    ft_rows = store.stage_rows("ft")
    if not t.reviewers and ft_rows.empty and store.reports().empty:
        return frame
    ft = stage_outcomes(store, "ft", ids).set_index("record_id").reindex(ids)
    decided = ft["state"] == "decided"
    frame["fulltext_decision"] = ft["label"].where(decided).fillna("")
    frame["fulltext_reason"] = ft["reason"].where(decided).fillna("")
    reports = store.reports(latest=True).set_index("record_id")["status"]
    frame["report"] = reports.reindex(ids).fillna("")
    for stage in ("ta", "ft"):
        rows = store.stage_rows(stage)
        votes = rows[rows["kind"] == "vote"].drop_duplicates(["record_id", "reviewer"], keep="last")
        votes = votes[votes["label"] != UNDONE]
        text = [lab if lab != "exclude" or not isinstance(r, str) else f"exclude: {r}"
                for lab, r in zip(votes["label"], votes["reason"])]
        votes = votes.assign(text=text)
        for who in list(t.names) + sorted(set(votes["reviewer"]) - set(t.names)):
            mine = votes[votes["reviewer"] == who].set_index("record_id")["text"]
            if len(mine) or who in t.names:
                frame[f"{stage}_vote:{who}"] = mine.reindex(ids).astype(object).fillna("").to_numpy()
    return frame
