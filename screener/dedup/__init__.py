"""Duplicate records across and within imports: normalise fields, block, match, group.

``find_duplicates`` returns the groups and every candidate pair with its evidence;
``duplicate_groups`` only the group ids. Nothing is dropped here: callers get
group ids, a report and a suggested kept record per group, and decide.
Modules: ``normalise`` (field variants), ``pairs`` (blocking and evidence),
``match`` (score, vetoes, threshold), ``groups`` (grouping, kept record, report).
"""

from screener.dedup.groups import (
    Duplicates,
    choose_kept,
    describe_pair,
    duplicate_groups,
    duplicate_report,
    find_duplicates,
)
from screener.dedup.match import THRESHOLD
from screener.dedup.normalise import normalise_title

__all__ = ["THRESHOLD", "Duplicates", "choose_kept", "describe_pair", "duplicate_groups",
           "duplicate_report", "find_duplicates", "normalise_title"]
