"""Character n-gram counts within words (scikit-learn's ``char_wb`` analyzer), computed per distinct word.

``TfidfVectorizer(analyzer="char_wb")`` pads every whitespace-separated word with a space on
each side and yields its character n-grams, in Python, once per occurrence of the word: about
a millisecond per record, a minute and a half per 100,000. But a word's n-grams depend on the
word alone. Here each record is split into words once, words are numbered in bulk
(``pandas.factorize``), the n-grams are built once per *distinct* word, and the counts are a
sparse product: (records × words) @ (words × n-grams). The counts are ``CountVectorizer``'s
(lower-case, ``strip_accents="unicode"``, ``analyzer="char_wb"``): the same vocabulary and
column order (alphabetical), the same counts, and ``min_df``/``max_df`` pruned as it does
(``tests/test_charcounts.py`` checks them against scikit-learn).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from screener.wordcounts import _strip_accents, doc_count_bounds, document_frequency


def _words(docs: list[str]) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Each word occurrence's record and word number, and the distinct words (sklearn's
    ``char_wb`` preprocessing: lower-case, then strip accents, then split on whitespace)."""
    low = [d.lower() for d in docs]
    low = [d if d.isascii() else _strip_accents(d) for d in low]
    split = [d.split() for d in low]
    del low
    lengths = np.fromiter(map(len, split), dtype=np.int64, count=len(split))
    flat = np.fromiter((w for ws in split for w in ws), dtype=object, count=int(lengths.sum()))
    del split
    codes, uniques = pd.factorize(flat)
    rows = np.repeat(np.arange(len(docs), dtype=np.int64), lengths)
    return rows, codes.astype(np.int64), list(uniques)


def _word_ngrams(words: list[str], lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
    """(word number, n-gram) for every n-gram occurrence of each padded word, as ``_char_wb_ngrams``."""
    owner: list[int] = []
    grams: list[str] = []
    for i, w in enumerate(words):
        w = f" {w} "
        size = len(w)
        for n in range(lo, hi + 1):
            if size <= n:  # a short word counts once, whole, and ends the n loop
                owner.append(i)
                grams.append(w)
                break
            owner.extend([i] * (size - n + 1))
            grams.extend([w[k : k + n] for k in range(size - n + 1)])
    return np.asarray(owner, dtype=np.int64), np.asarray(grams, dtype=object)


BATCH = 5_000  # records split into words together: bounds the memory of one batch's word lists


def _product(per_doc: sp.csr_matrix, per_word: sp.csr_matrix) -> sp.csr_matrix:
    """(records x n-grams) counts of one batch, with sorted indices."""
    out = (per_doc @ per_word).tocsr()
    out.sort_indices()
    return out


def _row_sums(values: np.ndarray, indptr: np.ndarray, dtype, rows: int = BATCH) -> np.ndarray:
    """The sum of each csr row's ``values`` (0 for an empty row), ``rows`` rows at a time."""
    out = np.zeros(len(indptr) - 1, dtype=dtype)
    for s in range(0, len(out), rows):
        ip = np.asarray(indptr[s : s + rows + 1], dtype=np.int64)
        c = np.concatenate([[0], np.cumsum(values[ip[0] : ip[-1]], dtype=dtype)])
        out[s : s + len(ip) - 1] = c[ip[1:] - ip[0]] - c[ip[:-1] - ip[0]]
    return out


def count_char_ngrams(docs: list[str], *, ngram_range: tuple[int, int] = (4, 4), min_df: float = 1,
                      max_df: float = 1.0, batch: int = BATCH, dtype=np.int32) -> tuple[sp.csr_matrix, list[str]]:
    """Counts of the character n-grams within words of each document, and each column's n-gram.

    Columns are in alphabetical order of their n-grams, ``min_df``/``max_df`` applied as
    ``CountVectorizer`` does (an int is a number of documents, a float a share of them). Records
    are split ``batch`` at a time and the product is formed batch by batch into the final
    arrays, so the peak memory is about the result's own (100,000 records: 56 million entries).
    """
    lo, hi = ngram_range
    if not 1 <= lo <= hi:
        raise ValueError(f"ngram_range must be (min, max) with 1 <= min <= max, got {ngram_range!r}")
    n_docs = len(docs)
    low, high = doc_count_bounds(min_df, max_df, n_docs)
    words: dict[str, int] = {}
    batches = []  # (records x words seen so far) counts, as csr parts
    for i in range(0, n_docs, batch):
        rows, codes, uniques = _words(docs[i : i + batch])
        gid = np.fromiter((words.setdefault(w, len(words)) for w in uniques), dtype=np.int64, count=len(uniques))
        part = sp.csr_matrix((np.ones(len(rows), dtype=dtype), (rows, gid[codes])),
                             shape=(min(batch, n_docs - i), len(words)))
        part.sum_duplicates()
        batches.append((part.data, part.indices, part.indptr))
        del rows, codes, uniques, gid, part
    n_words = len(words)
    owner, grams = _word_ngrams(list(words), lo, hi)
    del words
    gram_codes, vocabulary = pd.factorize(grams, sort=True)
    # The distinct n-grams as one string, so that none of the many small strings above outlives
    # this function: a survivor keeps its whole block of the allocator's memory from the system.
    n_grams = len(vocabulary)
    vocabulary = "\n".join(vocabulary.tolist())
    del grams
    per_word = sp.csr_matrix((np.ones(len(owner), dtype=dtype), (owner, gram_codes)), shape=(n_words, n_grams))
    per_word.sum_duplicates()
    del owner, gram_codes
    parts = [sp.csr_matrix((d, i, p), shape=(len(p) - 1, n_words)) for d, i, p in batches]
    del batches

    # Two passes over the batches' products: document frequencies, then the kept entries
    # written straight into the result (holding every product at once would double the peak).
    dfs = np.zeros(n_grams, dtype=np.int64)
    for k in range(len(parts)):
        dfs += np.bincount(_product(parts[k], per_word).indices, minlength=n_grams)
    mask = (dfs <= high) & (dfs >= low)
    if not mask.any():
        raise ValueError("After pruning, no terms remain. Try a lower min_df or a higher max_df.")
    new_index = np.cumsum(mask) - 1
    nnz = int(dfs[mask].sum())  # a column has one entry per document it occurs in
    index_dtype = np.int32 if max(nnz, n_grams) <= np.iinfo(np.int32).max else np.int64
    indptr = np.zeros(n_docs + 1, dtype=index_dtype)
    indices = np.empty(nnz, dtype=index_dtype)
    data = np.empty(nnz, dtype=dtype)
    at = row = 0
    for k in range(len(parts)):
        part = _product(parts[k], per_word)
        parts[k] = None
        kept = mask[part.indices]
        m = int(kept.sum())
        indices[at : at + m] = new_index[part.indices[kept]]
        data[at : at + m] = part.data[kept]
        indptr[row + 1 : row + 1 + part.shape[0]] = at + np.cumsum(_row_sums(kept, part.indptr, np.int64))
        at, row = at + m, row + part.shape[0]
        del part, kept
    del per_word
    X = sp.csr_matrix((data, indices, indptr), shape=(n_docs, int(mask.sum())))
    terms = [t for t, keep in zip(vocabulary.split("\n"), mask) if keep]
    return X, terms


def smooth_idf(X: sp.csr_matrix, dtype=np.float32) -> np.ndarray:
    """``TfidfTransformer``'s smooth idf of each column of a count matrix: ln((1 + n) / (1 + df)) + 1."""
    df = document_frequency(X)
    return (np.log((1 + X.shape[0]) / (1 + df)) + 1).astype(dtype)


def tfidf_rows(X: sp.csr_matrix, *, sublinear_tf: bool = True, dtype=np.float32, rows: int = BATCH,
               idf: np.ndarray | None = None) -> sp.csr_matrix:
    """``TfidfTransformer``'s weights (smooth idf, optionally 1 + log tf, l2 rows) of a count matrix,
    in ``dtype``, ``rows`` rows at a time; the result shares ``X``'s index arrays and ``X`` loses its
    data (it must not be used afterwards). ``idf``: the weights to use (default: ``X``'s own)."""
    n_docs = X.shape[0]
    idf = smooth_idf(X, dtype) if idf is None else np.asarray(idf, dtype=dtype)
    data = np.empty(len(X.data), dtype=dtype)
    for s in range(0, n_docs, rows):
        ip = np.asarray(X.indptr[s : s + rows + 1], dtype=np.int64)
        a, b = ip[0], ip[-1]
        seg = X.data[a:b].astype(dtype)
        if sublinear_tf:
            np.log(seg, out=seg)
            seg += 1
        seg *= idf[X.indices[a:b]]
        lengths = np.diff(ip)
        norms = np.sqrt(_row_sums(np.square(seg, dtype=np.float64), ip - a, np.float64, rows=len(lengths)))
        norms[norms == 0] = 1.0
        seg /= np.repeat(norms, lengths).astype(dtype)
        data[a:b] = seg
    out = sp.csr_matrix((data, X.indices, X.indptr), shape=X.shape)
    X.data = np.empty(0, dtype=X.data.dtype)
    return out
