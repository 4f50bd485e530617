"""Candidate pairs (blocking) and their evidence: how alike two records are, field by field.

Comparing every record with every other is quadratic; instead records are grouped
by cheap keys (DOI, PMID, a database id of each kind, normalised title, its first and last words, first author
+ year, first page + volume, first page + year, journal + first page) and only records sharing a key are
compared. Large blocks of a weak key (a common surname in a busy year) are cut at
``MAX_BLOCK`` so 100,000 records stay well under a minute.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
from rapidfuzz import fuzz
from rapidfuzz.process import cpdist

from screener.dedup.normalise import (
    SOURCE_ID_KINDS,
    author_surnames,
    first_page,
    fold,
    normalise_doi,
    normalise_journal,
    normalise_pmid,
    normalise_source_ids,
    normalise_text,
    normalise_title,
    title_variants,
    volume_number,
    year_number,
)

MAX_BLOCK = 100
# Keys that identify a record on their own: never cut, however large the block.
ID_KEYS = ("doi", "pmid", *(f"source_id_{kind}" for kind in SOURCE_ID_KINDS))

_PREPRINT_JOURNALS = re.compile(
    r"\b(?:medrxiv|biorxiv|arxiv|ssrn|research square|preprints?|authorea|chemrxiv|psyarxiv|"
    r"osf preprints|socarxiv|edarxiv|techrxiv|preprint server)\b")
_PREPRINT_DOIS = ("10.1101/", "10.21203/", "10.2139/", "10.48550/", "10.31234/", "10.31219/",
                  "10.20944/", "10.22541/", "10.26434/", "10.36227/", "10.35542/", "10.31235/")
_NOTICE = re.compile(r"^(?:erratum|errata|corrigendum|corrigenda|correction|retraction|retracted|"
                     r"expression of concern|notice of retraction|withdrawn|publisher s note)\b")


def prepare(records: pd.DataFrame) -> pd.DataFrame:
    """The normalised fields the matcher compares, one row per record (index reset to 0..n-1)."""
    def col(name: str) -> pd.Series:
        if name in records:
            return records[name].reset_index(drop=True)
        return pd.Series("", index=pd.RangeIndex(len(records)), dtype=object)

    folded = fold(col("title").astype("object").where(col("title").notna(), "").astype(str))
    title = normalise_title(col("title"), folded=folded)
    doi = normalise_doi(col("doi"))
    journal = normalise_journal(col("journal"))
    # Abstracts are normalised later, only for the records that are in a candidate pair.
    abstract = col("abstract").astype("object").where(col("abstract").notna(), "").astype(str)
    abstract = pd.Series([a[:500] if a.strip() else "" for a in abstract.to_numpy(dtype=object)],
                         index=abstract.index, dtype=object)
    titles = title.to_numpy(dtype=object)
    split = [t.split() for t in titles]
    out = pd.DataFrame({
        "title": title,
        "n_words": np.fromiter((len(w) for w in split), dtype=np.int64, count=len(split)),
        "authors": author_surnames(col("authors") if "authors" in records else col("author")),
        "year": year_number(col("year")),
        "journal": journal,
        "volume": volume_number(col("volume")),
        "page": first_page(col("pages")),
        "doi": doi,
        "pmid": normalise_pmid(col("pmid")),
        "source_ids": normalise_source_ids(col("source_ids")),
        "abstract": abstract,
    })
    out["folded"] = folded.to_numpy(dtype=object)  # second-language titles are split from it later
    out["words"] = [frozenset(w for w in ws if len(w) >= 4 and w.isalpha()) for ws in split]
    # Normalised titles hold letters and digits only: a word that is not all letters has a digit.
    out["numbers"] = [frozenset(w for w in ws if not w.isalpha()) for ws in split]
    out["first_author"] = pd.Series([a.split(" ", 1)[0] for a in out["authors"].to_numpy(dtype=object)],
                                    index=out.index, dtype=object)
    out["preprint"] = (journal.str.contains(_PREPRINT_JOURNALS, regex=True)
                       | doi.str.startswith(_PREPRINT_DOIS))
    out["notice"] = title.str.contains(_NOTICE, regex=True)
    return out


def _block_keys(p: pd.DataFrame) -> dict[str, pd.Series]:
    year = pd.Series(["" if np.isnan(y) else str(int(y)) for y in p["year"].to_numpy()], index=p.index)
    words = [t.split() for t in p["title"].to_numpy(dtype=object)]
    start = pd.Series([" ".join(w[:6]) if len(w) >= 4 else "" for w in words], index=p.index)
    end = pd.Series([" ".join(w[-6:]) if len(w) >= 8 else "" for w in words], index=p.index)
    ids = [i.split() for i in p["source_ids"].to_numpy(dtype=object)]
    by_kind = {kind: pd.Series([next((x for x in i if x.startswith(kind + ":")), "") for i in ids],
                               index=p.index, dtype=object) for kind in SOURCE_ID_KINDS}
    return {
        "doi": p["doi"],
        "pmid": p["pmid"],
        **{f"source_id_{kind}": key for kind, key in by_kind.items()},
        "title": p["title"],
        "title_start": start,
        "title_end": end,
        "author_year": (p["first_author"] + "|" + year).where((p["first_author"] != "") & (year != ""), ""),
        "page_volume": (p["page"] + "|" + p["volume"]).where((p["page"] != "") & (p["volume"] != ""), ""),
        "page_year": (p["page"] + "|" + year).where((p["page"] != "") & (year != ""), ""),
        # A record whose title was retyped or translated, without a year or volume: same journal and first page.
        "journal_page": (p["journal"] + "|" + p["page"]).where((p["page"] != "") & (p["journal"] != ""), ""),
    }


def candidate_pairs(p: pd.DataFrame, *, max_block: int = MAX_BLOCK) -> np.ndarray:
    """Row pairs (i < j) sharing at least one blocking key, as an (m, 2) int array, sorted."""
    chunks = [np.empty((0, 2), dtype=np.int64)]
    for name, key in _block_keys(p).items():
        values = key.to_numpy(dtype=object)
        present = np.flatnonzero(values != "")
        if len(present) < 2:
            continue
        codes, _ = pd.factorize(values[present])
        order = np.argsort(codes, kind="stable")
        rows, codes = present[order], codes[order]
        starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
        sizes = np.diff(np.r_[starts, len(codes)])
        for size in np.unique(sizes[sizes > 1]):
            if size > max_block and name not in ID_KEYS:
                continue
            members = rows[starts[sizes == size][:, None] + np.arange(size)]  # (groups, size)
            i, j = np.triu_indices(size, k=1)
            chunks.append(np.stack([members[:, i].ravel(), members[:, j].ravel()], axis=1))
    pairs = np.concatenate(chunks)
    pairs.sort(axis=1)
    return np.unique(pairs, axis=0) if len(pairs) else pairs


def _abbreviates(short: str, long: str) -> bool:
    """Whether every word of ``short`` starts a word of ``long``, in order ("j parenter enteral nutr")."""
    words = iter(long.split())
    return bool(short) and all(any(w.startswith(s) for w in words) for s in short.split())


def _journal_similarity(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """1 for the same journal however written (abbreviated, with a subtitle, in another
    language beside it), lower the more the names differ."""
    sim = cpdist(list(a), list(b), scorer=fuzz.token_sort_ratio, workers=1) / 100.0
    for k in np.flatnonzero(sim < 0.9):
        for x in a[k].split(" = "):
            for y in b[k].split(" = "):
                if x and y and (x == y or x.startswith(y + " ") or y.startswith(x + " ")
                                or _abbreviates(x, y) or _abbreviates(y, x)):
                    sim[k] = max(sim[k], 0.95)
                else:
                    sim[k] = max(sim[k], fuzz.token_sort_ratio(x, y) / 100.0)
    return sim


def _shared_ids(ids: np.ndarray, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """1 when the two records share a database id (WoS UT, Scopus EID...), else 0: two ids of one
    database are no veto, as databases hold duplicates of their own."""
    sets = {k: frozenset(ids[k].split()) for k in np.unique(np.r_[i, j]) if ids[k]}
    empty = frozenset()
    return np.fromiter((bool(sets.get(a, empty) & sets.get(b, empty)) for a, b in zip(i, j)),
                       dtype=np.int8, count=len(i))


def _pair_state(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """1 same, -1 different, 0 unknown (either missing)."""
    both = (a != "") & (b != "")
    return np.where(both, np.where(a == b, 1, -1), 0).astype(np.int8)


def evidence(p: pd.DataFrame, pairs: np.ndarray) -> pd.DataFrame:
    """Field-by-field comparison of each pair (one row per pair, columns ``i``, ``j`` and the evidence)."""
    i, j = pairs[:, 0], pairs[:, 1]
    col = {c: p[c].to_numpy(dtype=object) for c in
           ("title", "authors", "journal", "volume", "page", "doi", "pmid", "abstract")}
    ti, tj = col["title"][i], col["title"][j]
    title_sim = cpdist(list(ti), list(tj), scorer=fuzz.ratio, workers=1) / 100.0
    # A subtitle on one record only: the shorter title (of enough words) starts the longer.
    n_short = np.minimum(p["n_words"].to_numpy()[i], p["n_words"].to_numpy()[j])
    prefix = np.fromiter((a.startswith(b) or b.startswith(a) for a, b in zip(ti, tj)),
                         dtype=bool, count=len(pairs)) & (n_short >= 6)
    title_sim = np.where(prefix, np.maximum(title_sim, 0.95), title_sim)
    # A second-language title beside the English one: the best-matching parts count.
    rows = np.unique(pairs)
    folded = p["folded"].to_numpy(dtype=object)
    variants = np.full(len(p), None, dtype=object)
    variants[rows] = title_variants(pd.Series(folded[rows], dtype=object),
                                    folded=pd.Series(folded[rows], dtype=object)).to_numpy()
    vi, vj = variants[i], variants[j]
    for k in np.flatnonzero([bool(a) or bool(b) for a, b in zip(vi, vj)]):
        left, right = vi[k] or [ti[k]], vj[k] or [tj[k]]
        best = max(fuzz.ratio(a, b) for a in left for b in right) / 100.0
        title_sim[k] = max(title_sim[k], best)
    wi, wj = p["words"].to_numpy()[i], p["words"].to_numpy()[j]
    word_overlap = np.fromiter((len(a & b) / min(len(a), len(b)) if a and b else 0.0
                                for a, b in zip(wi, wj)), dtype=float, count=len(pairs))
    ni, nj = p["numbers"].to_numpy()[i], p["numbers"].to_numpy()[j]
    numbers_differ = np.fromiter((bool(a) and bool(b) and a != b for a, b in zip(ni, nj)),
                                 dtype=bool, count=len(pairs))
    ai, aj = col["authors"][i], col["authors"][j]
    has_authors = (ai != "") & (aj != "")
    author_sim = np.where(has_authors,
                          cpdist(list(ai), list(aj), scorer=fuzz.ratio, workers=1) / 100.0, np.nan)
    ji, jj = col["journal"][i], col["journal"][j]
    journal_sim = np.where((ji != "") & (jj != ""), _journal_similarity(ji, jj), np.nan)
    bi, bj = col["abstract"][i], col["abstract"][j]
    has_abstract = (bi != "") & (bj != "")
    abstract_sim = np.full(len(pairs), np.nan)
    if has_abstract.any():
        k = np.flatnonzero(has_abstract)
        rows = np.unique(np.concatenate([i[k], j[k]]))
        text = dict(zip(rows, normalise_text(pd.Series(col["abstract"][rows], dtype=object))))
        left, right = [text[r] for r in i[k]], [text[r] for r in j[k]]
        abstract_sim[k] = cpdist(left, right, scorer=fuzz.ratio, workers=1) / 100.0
    year = p["year"].to_numpy()
    return pd.DataFrame({
        "i": i, "j": j,
        "doi": _pair_state(col["doi"][i], col["doi"][j]),
        "pmid": _pair_state(col["pmid"][i], col["pmid"][j]),
        "source_id": _shared_ids(p["source_ids"].to_numpy(dtype=object), i, j),
        "title_sim": title_sim,
        "author_sim": author_sim,
        "year_diff": np.abs(year[i] - year[j]),
        "journal_sim": journal_sim,
        "volume": _pair_state(col["volume"][i], col["volume"][j]),
        "page": _pair_state(col["page"][i], col["page"][j]),
        "abstract_sim": abstract_sim,
        "word_overlap": word_overlap,
        "numbers_differ": numbers_differ,
        "short_title": n_short < 4,
        "preprint": p["preprint"].to_numpy()[i] != p["preprint"].to_numpy()[j],
        "notice": p["notice"].to_numpy()[i] != p["notice"].to_numpy()[j],
    })
