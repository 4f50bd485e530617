"""Duplicate groups from decided pairs, the kept record of each group, and the report.

Groups are grown by joining duplicate pairs best score first; two groups are never
joined when their records carry different DOIs or PMIDs, so a chain of look-alikes
(A like B, B like C) cannot put two identified studies together. Ties are broken by
record content, not row order, so the same records give the same groups in any order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from screener.dedup.match import DUPLICATE, FLAGGED, MAX_YEAR_GAP, THRESHOLD, decide
from screener.dedup.pairs import MAX_BLOCK, candidate_pairs, evidence, prepare


@dataclass
class Duplicates:
    """What ``find_duplicates`` found.

    ``groups``: an int group id per record (index-aligned with the input, numbered in
    order of each group's first record). ``pairs``: every candidate pair with its
    evidence, ``score``, ``decision`` (duplicate / flagged / distinct) and ``reason``;
    ``i``/``j`` are row positions, ``joined`` says whether the pair links two records
    of one final group.
    """

    groups: pd.Series
    pairs: pd.DataFrame


class _Groups:
    """Union-find whose groups remember their DOIs, PMIDs and members: a join is refused when
    the two groups carry different identifiers or hold a pair known to be two records."""

    def __init__(self, doi: np.ndarray, pmid: np.ndarray, apart: set[tuple[int, int]]) -> None:
        self.parent = np.arange(len(doi))
        self.ids = [({d} if d else set(), {m} if m else set()) for d, m in zip(doi, pmid)]
        self.members: dict[int, list[int]] = {}
        self.apart = apart

    def find(self, x: int) -> int:
        root = x
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[x] != root:
            self.parent[x], x = root, self.parent[x]
        return root

    def join(self, a: int, b: int) -> bool:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return True
        (da, pa), (db, pb) = self.ids[ra], self.ids[rb]
        if (da and db and da != db) or (pa and pb and pa != pb):
            return False
        ma, mb = self.members.get(ra, [ra]), self.members.get(rb, [rb])
        if self.apart and any((min(x, y), max(x, y)) in self.apart for x in ma for y in mb):
            return False
        if ra > rb:
            ra, rb = rb, ra
        self.parent[rb] = ra
        self.ids[ra] = (da | db, pa | pb)
        self.members[ra] = ma + mb
        self.members.pop(rb, None)
        return True


def _content_keys(records: pd.DataFrame, prepared: pd.DataFrame) -> np.ndarray:
    """A string per record that orders ties without looking at row positions."""
    rid = (records["record_id"].astype(str).to_numpy() if "record_id" in records
           else np.full(len(records), "", dtype=object))
    return (prepared["title"] + "\x1f" + prepared["doi"] + "\x1f" + prepared["authors"]
            + "\x1f" + pd.Series(rid)).to_numpy(dtype=object)


def find_duplicates(records: pd.DataFrame, *, threshold: float = THRESHOLD,
                    max_block: int = MAX_BLOCK) -> Duplicates:
    """Candidate pairs by blocking, decided by ``match.decide``, grouped with identifier vetoes."""
    n = len(records)
    prepared = prepare(records)
    pairs = decide(evidence(prepared, candidate_pairs(prepared, max_block=max_block)),
                   threshold=threshold)
    keys = _content_keys(records, prepared)
    dup = pairs[pairs["decision"] == DUPLICATE]
    lo = np.minimum(keys[dup["i"].to_numpy()], keys[dup["j"].to_numpy()]) if len(dup) else []
    hi = np.maximum(keys[dup["i"].to_numpy()], keys[dup["j"].to_numpy()]) if len(dup) else []
    order = (np.lexsort((np.asarray(hi, dtype=str), np.asarray(lo, dtype=str), -dup["score"].to_numpy()))
             if len(dup) else np.array([], dtype=np.int64))
    # Pairs that are two records on hard evidence, whatever a chain of look-alikes says.
    hard = (pairs["numbers_differ"] | (pairs["year_diff"] > MAX_YEAR_GAP)
            | (pairs["doi"] == -1) | (pairs["pmid"] == -1)) & (pairs["decision"] != DUPLICATE)
    apart = set(zip(pairs.loc[hard, "i"].tolist(), pairs.loc[hard, "j"].tolist()))
    uf = _Groups(prepared["doi"].to_numpy(dtype=object), prepared["pmid"].to_numpy(dtype=object), apart)
    for i, j in dup[["i", "j"]].to_numpy()[order]:
        uf.join(int(i), int(j))
    roots = np.fromiter((uf.find(k) for k in range(n)), dtype=np.int64, count=n)
    ids, _ = pd.factorize(roots)
    pairs = pairs.assign(joined=(pairs["decision"] == DUPLICATE).to_numpy()
                         & (roots[pairs["i"].to_numpy()] == roots[pairs["j"].to_numpy()]))
    return Duplicates(pd.Series(ids, index=records.index, name="duplicate_group", dtype="int64"),
                      pairs.reset_index(drop=True))


def duplicate_groups(records: pd.DataFrame, *, threshold: float = THRESHOLD) -> pd.Series:
    """An integer group id per record (index-aligned); duplicates share one id."""
    return find_duplicates(records, threshold=threshold).groups


def choose_kept(records: pd.DataFrame, groups: pd.Series) -> pd.Series:
    """True for one record per group: has an abstract, then longest abstract, then file order."""
    abstract = (records["abstract"] if "abstract" in records
                else pd.Series("", index=records.index))
    length = abstract.astype("object").where(abstract.notna(), "").astype(str).str.strip().str.len()
    order = pd.DataFrame({
        "group": groups.to_numpy(),
        "has_abstract": (length > 0).to_numpy(),
        "length": length.to_numpy(),
        "position": np.arange(len(records)),
    }).sort_values(["group", "has_abstract", "length", "position"],
                   ascending=[True, False, False, True], kind="stable")
    kept = np.zeros(len(records), dtype=bool)
    kept[order["position"].to_numpy()[~order["group"].duplicated().to_numpy()]] = True
    return pd.Series(kept, index=records.index, name="kept")


def describe_pair(row) -> str:
    """The evidence of one pair in words: "same DOI" or "title 0.97, authors 0.92, year same..."."""
    if row.reason in ("same DOI", "same PMID", "same database id"):
        return row.reason
    parts = [f"title {row.title_sim:.2f}"]
    if not np.isnan(row.author_sim):
        parts.append(f"authors {row.author_sim:.2f}")
    if not np.isnan(row.year_diff):
        parts.append("year same" if row.year_diff == 0 else f"years {int(row.year_diff)} apart")
    if not np.isnan(row.journal_sim):
        parts.append(f"journal {row.journal_sim:.2f}")
    for name in ("volume", "page"):
        state = getattr(row, name)
        if state:
            parts.append(f"{name} {'same' if state == 1 else 'differs'}")
    if not np.isnan(row.abstract_sim):
        parts.append(f"abstract {row.abstract_sim:.2f}")
    return ", ".join(parts) + f" (score {row.score:.3f})"


def duplicate_report(records: pd.DataFrame, found: Duplicates | pd.Series) -> pd.DataFrame:
    """One row per group with more than one record, plus one per flagged pair.

    Columns: group, size, record_ids, sources (lists, in file order), matched_on (the
    evidence of the pairs that joined the group), kept_record_id, and status
    ("merged", or "flagged: <why>" for a preprint/erratum pair left unmerged).
    """
    if isinstance(found, pd.Series):
        found = find_duplicates(records)
    groups = found.groups
    columns = ["group", "size", "record_ids", "sources", "matched_on", "kept_record_id", "status"]
    ids = (records["record_id"].astype(str) if "record_id" in records
           else pd.Series(records.index.astype(str), index=records.index)).to_numpy()
    sources = (records["source"].astype(str) if "source" in records
               else pd.Series("", index=records.index)).to_numpy()
    g = groups.to_numpy()
    kept = choose_kept(records, groups).to_numpy()
    joined = found.pairs[found.pairs["joined"]]
    evidence_of: dict[int, list[str]] = {}
    for row in joined.itertuples(index=False):
        evidence_of.setdefault(int(g[row.i]), []).append(
            f"{ids[row.i]}~{ids[row.j]}: {describe_pair(row)}")
    rows = []
    for group in sorted(set(g[pd.Series(g).duplicated(keep=False).to_numpy()])):
        members = np.flatnonzero(g == group)
        rows.append({"group": int(group), "size": len(members), "record_ids": list(ids[members]),
                     "sources": list(sources[members]), "matched_on": "; ".join(evidence_of.get(int(group), [])),
                     "kept_record_id": ids[members[kept[members]][0]], "status": "merged"})
    for row in found.pairs[found.pairs["decision"] == FLAGGED].itertuples(index=False):
        rows.append({"group": int(g[row.i]), "size": 2, "record_ids": [ids[row.i], ids[row.j]],
                     "sources": [sources[row.i], sources[row.j]], "matched_on": describe_pair(row),
                     "kept_record_id": "", "status": f"flagged: {row.reason}"})
    return pd.DataFrame(rows, columns=columns)
