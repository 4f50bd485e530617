"""Deciding pairs: a score from the field evidence, vetoes, and the calibrated threshold.

A pair is a duplicate when its score reaches ``THRESHOLD`` and nothing vetoes it:
two different DOIs or PMIDs are different records, whatever the titles say (the
update search of a living review re-finds a guideline printed in three journals
with three DOIs). Identical DOIs or PMIDs are duplicates outright, and so is one database id
(WoS UT, Scopus EID, PMCID, an accession number) on both records when no DOI or PMID differs. A preprint beside
its published version, or an erratum beside its article, is *flagged* instead of
merged: both stay in the pool and ``screener duplicates`` lists them.

The score starts from the title's similarity (0-1) and moves by the other fields:
authors, year, journal, volume, first page and abstract. The weights are a few
hundredths each so no single field outvotes the title; the threshold was chosen on
one labelled set and reported on the others (benchmarks/bench_dedup.py, README
"De-duplication").
"""

from __future__ import annotations

import numpy as np
import pandas as pd

# The highest-F1 threshold with no false pair on the calibration sets (respiratory,
# special_cases: bench_dedup.py --calibrate); stroke and the acceptance sets are out of sample.
THRESHOLD = 0.94
MAX_YEAR_GAP = 1

DUPLICATE, FLAGGED, DISTINCT = "duplicate", "flagged", "distinct"


def pair_scores(e: pd.DataFrame, *, venue: bool = True) -> np.ndarray:
    """The match score of each pair of ``pairs.evidence`` (identifiers aside); without
    ``venue`` the journal, volume and pages do not count (a preprint has none of its own)."""
    s = e["title_sim"].to_numpy().copy()
    author = e["author_sim"].to_numpy()
    s += np.where(np.isnan(author), -0.02, 0.05 * np.clip((author - 0.8) / 0.2, -3.0, 1.0))
    s -= 0.05 * np.nan_to_num(e["year_diff"].to_numpy(), nan=0.5)
    if venue:
        volume, page = e["volume"].to_numpy(), e["page"].to_numpy()
        journal = e["journal_sim"].to_numpy()
        s += np.select([volume == 1, volume == -1], [0.02, -0.05], 0.0)
        s += np.select([page == 1, page == -1], [0.02, -0.08], 0.0)
        # A conference abstract and its journal article, a guideline in several journals:
        # same title and authors, another venue. With the same volume and first page, two
        # journal names are two spellings of one journal ("Jthoraccardiovascsurg").
        located = (volume == 1) & (page == 1)
        s += np.select([journal >= 0.9, (journal < 0.7) & ~located], [0.02, -0.1], 0.0)
    abstract = e["abstract_sim"].to_numpy()
    s += np.select([abstract >= 0.9, abstract < 0.5], [0.05, -0.15], 0.0)
    s -= np.where(e["short_title"].to_numpy(), 0.1, 0.0)
    return s


def same_citation(e: pd.DataFrame) -> np.ndarray:
    """Same authors, year, journal, volume and first page: one article whatever its title says
    (a translated title beside the original). The titles must still share half their
    words (of four letters or more) and the abstracts, where both are given, must agree."""
    return ((e["author_sim"].to_numpy() >= 0.9) & (e["year_diff"].to_numpy() == 0)
            & (e["journal_sim"].to_numpy() >= 0.9) & (e["volume"].to_numpy() == 1)
            & (e["page"].to_numpy() == 1) & (e["word_overlap"].to_numpy() >= 0.5)
            & ~(e["abstract_sim"].to_numpy() < 0.5)
            & ~e["numbers_differ"].to_numpy())


def decide(e: pd.DataFrame, *, threshold: float = THRESHOLD) -> pd.DataFrame:
    """``e`` with ``score``, ``decision`` (duplicate / flagged / distinct) and ``reason``."""
    score = pair_scores(e)
    vetoed = (e["doi"].to_numpy() == -1) | (e["pmid"].to_numpy() == -1)
    # The same DOI or PMID, or one database's own id (a WoS UT, a Scopus EID) unless a DOI or PMID differs.
    same_id = (e["doi"].to_numpy() == 1) | (e["pmid"].to_numpy() == 1) | ((e["source_id"].to_numpy() == 1) & ~vetoed)
    # Years apart, or numbers in the titles that differ (part 1 / part 2, FOCUS 1 / FOCUS 2,
    # docetaxel (D2) / (D4)): two records, however alike the rest.
    gap = (e["year_diff"].to_numpy() > MAX_YEAR_GAP) | e["numbers_differ"].to_numpy()
    cited = same_citation(e)
    preprint, notice = e["preprint"].to_numpy(), e["notice"].to_numpy()
    # A preprint's venue is not its article's: judged on title, authors, year and abstract.
    score = np.where(preprint, pair_scores(e, venue=False), score)
    alike = same_id | (~vetoed & ~gap & ((score >= threshold) | cited))
    special = preprint | notice
    decision = np.where(alike, np.where(special, FLAGGED, DUPLICATE), DISTINCT)
    reason = np.select(
        [vetoed, alike & e["preprint"].to_numpy(), alike & e["notice"].to_numpy(),
         same_id & (e["doi"].to_numpy() == 1), same_id & (e["pmid"].to_numpy() == 1), same_id, gap, alike & cited & (score < threshold), alike],
        ["different DOI or PMID", "preprint and published version", "erratum or notice and its article",
         "same DOI", "same PMID", "same database id", "years apart or numbers in the titles differ", "same citation", "fields alike"],
        "fields differ")
    return e.assign(score=np.where(same_id, np.maximum(score, 1.0), score),
                    decision=decision, reason=reason)
