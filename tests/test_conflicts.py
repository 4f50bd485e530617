"""The vote rules: when votes agree, conflict or still wait, per stage and mode."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from screener.conflicts import proceeds, record_outcomes, vote_category


def _rows(*votes) -> pd.DataFrame:
    """votes: (record, reviewer, label[, reason[, kind]])."""
    rows = []
    for i, v in enumerate(votes, 1):
        rec, who, label, reason, kind = (*v, None, "vote")[:5] if len(v) == 3 else (
            (*v, "vote") if len(v) == 4 else v)
        rows.append({"id": i, "record_id": rec, "reviewer": who, "label": label, "reason": reason,
                     "kind": kind})
    return pd.DataFrame(rows)


def _by_record(out: pd.DataFrame) -> dict[int, tuple]:
    return {r.record_id: (r.state, r.label, r.conflict) for r in out.itertuples()}


def test_maybe_counts_as_include_at_title_abstract_and_as_no_vote_at_full_text():
    assert vote_category("maybe", "ta") == "include" and vote_category("maybe", "ft") is None
    assert vote_category("none", "ta") is None and vote_category("exclude", "ft") == "exclude"
    assert proceeds("maybe") and proceeds("include") and not proceeds("exclude") and not proceeds(None)


def test_dual_title_abstract_rules():
    rows = _rows((1, "a", "include"), (1, "b", "maybe"),      # agree: include
                 (2, "a", "maybe"), (2, "b", "maybe"),        # agree: maybe (goes on)
                 (3, "a", "exclude"), (3, "b", "maybe"),      # conflict
                 (4, "a", "exclude"), (4, "b", "exclude"),    # agree: exclude
                 (5, "a", "include"),                         # awaiting the second vote
                 (6, "a", "include"), (6, "b", "exclude"), (6, "c", "include", None, "consensus"),
                 (7, "a", "include"), (7, "a", "exclude"), (7, "b", "exclude"),  # a changed their mind
                 (8, "a", "include"), (8, "b", "include"), (8, "a", "none"))     # a's vote undone
    out = _by_record(record_outcomes(rows, stage="ta", mode="dual", record_ids=[9]))
    assert out == {1: ("decided", "include", None), 2: ("decided", "maybe", None),
                   3: ("conflict", None, "label"), 4: ("decided", "exclude", None),
                   5: ("awaiting", None, None), 6: ("decided", "include", None),
                   7: ("decided", "exclude", None), 8: ("awaiting", None, None),
                   9: ("unscreened", None, None)}


def test_dual_full_text_reasons_must_agree():
    rows = _rows((1, "a", "exclude", "wrong design"), (1, "b", "exclude", "wrong design"),
                 (2, "a", "exclude", "wrong design"), (2, "b", "exclude", "no peers"),
                 (3, "a", "maybe"), (3, "b", "include"),
                 (4, "a", "maybe"),
                 (5, "a", "exclude", "wrong design"), (5, "b", "exclude", "no peers"),
                 (5, "x", "exclude", "no peers", "consensus"))
    out = record_outcomes(rows, stage="ft", mode="dual")
    assert _by_record(out) == {1: ("decided", "exclude", None), 2: ("conflict", None, "reason"),
                               3: ("awaiting", None, None), 4: ("awaiting", None, None),
                               5: ("decided", "exclude", None)}
    reasons = dict(zip(out["record_id"], out["reason"]))
    assert reasons[1] == "wrong design" and reasons[5] == "no peers"


def test_single_mode_latest_vote_by_anyone_wins_and_several_reasons_are_kept():
    rows = _rows((1, "a", "include"), (1, "b", "exclude", "no peers"), (2, "a", "maybe"),
                 (3, "a", "exclude"), (3, "a", "none"))
    rows["reasons"] = None
    rows.loc[1, "reasons"] = json.dumps(["no peers", "not qualitative"])
    out = record_outcomes(rows, stage="ta", mode="single")
    assert _by_record(out) == {1: ("decided", "exclude", None), 2: ("decided", "maybe", None),
                               3: ("unscreened", None, None)}
    assert out.loc[0, "reasons"] == ("no peers", "not qualitative") and out.loc[0, "reason"] == "no peers"


def test_outcomes_do_not_depend_on_row_order_of_input():
    rows = _rows((1, "a", "include"), (1, "b", "exclude"), (2, "a", "exclude"), (2, "b", "exclude"),
                 (1, "z", "exclude", None, "consensus"))
    a = record_outcomes(rows, stage="ta", mode="dual")
    b = record_outcomes(rows.sample(frac=1, random_state=3), stage="ta", mode="dual")
    pd.testing.assert_frame_equal(a, b)


def test_bad_stage_or_mode():
    with pytest.raises(ValueError, match="stage"):
        record_outcomes(_rows((1, "a", "include")), stage="x", mode="dual")
    with pytest.raises(ValueError, match="mode"):
        record_outcomes(_rows((1, "a", "include")), stage="ta", mode="triple")
