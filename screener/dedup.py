"""Duplicate groups across and within imports.

Two records belong together when they share a DOI, a PMID, or the same
normalised title in the same year; groups are the connected components of
those links, so matches are transitive. Titles too short or too generic to
identify a paper ("Editorial", "Abstracts", "MLJ Reviews": real pools have
several of each) never match on their own; DOI and PMID still do. Nothing is dropped here: callers get
group ids, a report and a suggested kept record per group, and decide.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

# Match keys in the order they are reported.
KEYS = ("doi", "pmid", "title+year")
# A title identifies a paper only with at least this many words and when it is
# not a journal section heading.
MIN_TITLE_WORDS = 3
GENERIC_TITLES = frozenset({
    "abstracts", "book reviews", "books received", "commentary", "contents", "correction",
    "corrigendum", "editorial", "editorial board", "editors note", "erratum", "foreword",
    "from the editor", "from the editors", "in brief", "in this issue", "index",
    "introduction", "letter to the editor", "letters to the editor", "news", "preface",
    "publications received", "reply", "response", "retraction", "table of contents",
})

_COMBINING = r"[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]"


_MOJIBAKE = r"[\u00c2\u00c3\u00e2][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc\u2013-\u203a\u20ac\u2122]"


def _unmojibake(text: str) -> str:
    """UTF-8 text that was once decoded as cp1252 ('â€œ' for '“'), repaired where possible."""
    raw = bytearray()
    for ch in text:
        try:
            raw += ch.encode("cp1252")
        except UnicodeEncodeError:
            if ord(ch) > 255:
                return text
            raw.append(ord(ch))  # bytes cp1252 leaves undefined (0x81, 0x9d...) pass through
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return text


def normalise_title(s: pd.Series) -> pd.Series:
    """Titles compared loosely: NFKD, no accents, markup or punctuation, lowercase, single spaces.

    Titles garbled by a cp1252/UTF-8 mix-up are repaired first, so they match their clean copy.
    """
    t = s.astype("object").where(s.notna(), "").astype(str)
    garbled = t.str.contains(_MOJIBAKE, regex=True)
    if garbled.any():
        t = t.where(~garbled, t[garbled].map(_unmojibake))
    t = t.str.normalize("NFKD").str.replace(_COMBINING, "", regex=True)
    t = t.str.replace(r"<[^>]{1,20}>", " ", regex=True).str.lower()
    t = t.str.replace(r"[\W_]+", " ", regex=True)
    return t.str.strip()


def _keys(records: pd.DataFrame) -> dict[str, pd.Series]:
    """Each match key as strings; '' means "no key" (never matches)."""
    def column(name: str) -> pd.Series:
        if name not in records:
            return pd.Series("", index=records.index, dtype=str)
        col = records[name]
        return col.astype("object").where(col.notna(), "").astype(str).str.strip()

    title = normalise_title(records["title"]) if "title" in records else column("title")
    year = column("year")  # '' when missing: two missing years count as the same year
    identifying = (title.str.count(" ") + 1 >= MIN_TITLE_WORDS) & ~title.isin(GENERIC_TITLES)
    title_year = (title + "\x1f" + year).where(identifying & (title != ""), "")
    return {"doi": column("doi").str.lower(), "pmid": column("pmid"), "title+year": title_year}


def duplicate_groups(records: pd.DataFrame) -> pd.Series:
    """An integer group id per record (index-aligned); duplicates share one id.

    Keys: a non-empty DOI, a non-empty PMID, or the normalised title (of at least
    ``MIN_TITLE_WORDS`` words, not in ``GENERIC_TITLES``) with the same year, where
    two missing years count as the same. Ids are numbered 0, 1, ... in order of each group's first record.
    """
    n = len(records)
    rows, cols = [np.arange(n)], [np.arange(n)]
    for key in _keys(records).values():
        present = np.flatnonzero(key.to_numpy() != "")
        codes, _ = pd.factorize(key.to_numpy()[present])
        if len(codes) == 0:
            continue
        # Link every record to the first record with the same key value.
        _, first = np.unique(codes, return_index=True)  # codes are 0..k-1
        rows.append(present)
        cols.append(present[first][codes])
    row, col = np.concatenate(rows), np.concatenate(cols)
    graph = coo_matrix((np.ones(len(row), dtype=np.int8), (row, col)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    ids, _ = pd.factorize(labels)
    return pd.Series(ids, index=records.index, name="duplicate_group", dtype="int64")


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


def duplicate_report(records: pd.DataFrame, groups: pd.Series) -> pd.DataFrame:
    """One row per group with more than one record.

    Columns: group, size, record_ids, sources (lists, in file order), matched_on
    (the keys shared inside the group, e.g. "doi; title+year") and kept_record_id.
    """
    columns = ["group", "size", "record_ids", "sources", "matched_on", "kept_record_id"]
    g = pd.Series(groups.to_numpy(), index=records.index)
    multi = g.duplicated(keep=False)
    if not multi.any():
        return pd.DataFrame(columns=columns)
    ids = records["record_id"].astype(str) if "record_id" in records else pd.Series(
        records.index.astype(str), index=records.index)
    sources = records["source"].astype(str) if "source" in records else pd.Series(
        "", index=records.index)
    kept = choose_kept(records, groups)
    matched: dict[int, list[str]] = {}
    for name, key in _keys(records).items():
        shared = (key != "") & key.duplicated(keep=False) & multi
        for group in pd.unique(g[shared]):
            matched.setdefault(int(group), []).append(name)
    sub = pd.DataFrame({"group": g[multi], "record_id": ids[multi], "source": sources[multi],
                        "kept": kept[multi]})
    report = sub.groupby("group", sort=True).agg(
        size=("record_id", "size"), record_ids=("record_id", list), sources=("source", list))
    report["kept_record_id"] = sub[sub["kept"]].set_index("group")["record_id"]
    report["matched_on"] = ["; ".join(matched.get(int(grp), [])) for grp in report.index]
    return report.reset_index()[columns]
