"""Word 1- and 2-gram counts, exactly as scikit-learn's ``CountVectorizer`` makes them, faster.

``CountVectorizer`` (lower-case, ``strip_accents="unicode"``, the default token
pattern) spends most of a large pool's time in a Python loop that builds every
bigram string and looks every n-gram up in a dict: about a minute for 100,000
records. Here a batch of records is tokenised by a few C calls over the joined
text (``str.translate`` + ``str.split`` for ASCII records, scikit-learn's regex
for the others), tokens are numbered in bulk with ``pandas.factorize``, and a
bigram is a pair of token numbers: its string is built once per distinct bigram,
not once per occurrence. Large pools can be counted in a few consecutive chunks
in parallel, then merged.

The result is scikit-learn's, not an approximation: the same vocabulary, the same
columns, the same counts, even the same order of entries within a row (sklearn
leaves them in order of first appearance in the pool, and that order decides
float rounding in the row norms). ``tests/test_features.py`` checks it against
``TfidfVectorizer``.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from numbers import Integral

import numpy as np
import pandas as pd
import scipy.sparse as sp

from screener.parallel import run_tasks
from screener.vocabulary import Vocabulary

# scikit-learn's default token_pattern: a token is a maximal run of 2+ word characters.
TOKEN = re.compile(r"(?u)\b\w\w+\b")
BATCH = 5_000  # records numbered together: bounds the memory of one batch's token lists
_BIGRAM = np.int64(1) << 32  # a bigram (a, b) of token numbers is the key (a + 1) * 2**32 + b


_END = "\x00"  # marks the end of a record in a batch's token stream (removed from the records first)
_TOKEN_OR_END = re.compile(TOKEN.pattern + "|" + _END)
_ASTRAL = re.compile("[\U00010000-\U0010FFFF]")


@functools.cache
def _ascii_words() -> dict[int, str]:
    """``str.translate`` table turning every ASCII non-word character but ``_END`` into a space."""
    return str.maketrans({chr(c): " " for c in range(128) if not (chr(c).isalnum() or chr(c) in "_" + _END)})


@functools.cache
def _combining() -> tuple[re.Pattern, re.Pattern]:
    """Regexes matching the combining characters ``strip_accents_unicode`` drops.

    Two of them: a character class with characters beyond U+FFFF compiles to a slow
    linear list of ranges, one within the BMP to a fast table.
    """
    bmp: list[str] = []
    astral: list[str] = []
    start = prev = None
    for c in (c for c in range(0x110000) if unicodedata.combining(chr(c))):
        if start is not None and c == prev + 1:
            prev = c
            continue
        if start is not None:
            (bmp if prev < 0x10000 else astral).append(f"{re.escape(chr(start))}-{re.escape(chr(prev))}")
        start = prev = c
    (bmp if prev < 0x10000 else astral).append(f"{re.escape(chr(start))}-{re.escape(chr(prev))}")
    return re.compile(f"[{''.join(bmp)}]+"), re.compile(f"[{''.join(astral)}]+")


def _strip_accents(doc: str) -> str:
    """``sklearn.feature_extraction.text.strip_accents_unicode`` of a non-ASCII ``doc``:
    NFKD, then drop combining characters."""
    bmp, astral = _combining()
    doc = bmp.sub("", unicodedata.normalize("NFKD", doc))
    if not doc.isascii() and _ASTRAL.search(doc):
        doc = astral.sub("", doc)
    return doc


def _token_codes(docs: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """sklearn's word analyzer (lower-case, strip accents, tokens) over a batch of records.

    Returns each token's number (an index into the distinct tokens), in record
    order, the distinct tokens (``None`` for those that are no token: 1-letter
    words, ``_END``), and the number of tokens of each record. ASCII
    records are tokenised together by ``str.translate`` and ``str.split`` (which
    also yields 1-letter words, dropped here), the others by sklearn's regex.
    """
    # _END and a space are both non-word, uncased, undecomposable: swapping one for
    # the other changes no token.
    low = [d.lower() if _END not in d else d.lower().replace(_END, " ") for d in docs]
    is_ascii = np.fromiter(map(str.isascii, low), dtype=bool, count=len(low))
    stream: list[str] = []
    if is_ascii.any():
        ascii_text = f" {_END} ".join([d for d, a in zip(low, is_ascii) if a]).translate(_ascii_words())
        stream += ascii_text.split()
        stream.append(_END)
        del ascii_text
    if not is_ascii.all():
        stream += _TOKEN_OR_END.findall(f" {_END} ".join([_strip_accents(d) for d, a in zip(low, is_ascii) if not a]))
        stream.append(_END)
    del low
    codes, uniques = pd.factorize(np.array(stream, dtype=object))
    del stream
    keep = np.fromiter(map(len, uniques), dtype=np.int64, count=len(uniques)) > 1  # drops _END too
    kept = keep[codes]
    ends = codes == uniques.tolist().index(_END)
    # records in stream order (ASCII ones first), and each kept token's record
    stream_docs = np.concatenate([np.flatnonzero(is_ascii), np.flatnonzero(~is_ascii)])
    row_of = stream_docs[(np.cumsum(ends) - ends)[kept]]
    codes = codes[kept]
    n = np.bincount(row_of, minlength=len(docs))
    # tokens into record order: each record's tokens are consecutive in the stream
    start_in_stream = np.empty(len(docs), dtype=np.int64)
    start_in_stream[stream_docs] = np.cumsum(n[stream_docs]) - n[stream_docs]
    dest = (np.cumsum(n) - n)[row_of] + np.arange(len(codes)) - start_in_stream[row_of]
    in_order = np.empty_like(codes)
    in_order[dest] = codes
    uniques[~keep] = None
    return in_order, uniques, n


def _count_batch(docs: list[str], words: dict[str, int], lo: int, hi: int) -> tuple:
    """Count the n-grams of ``docs``, numbering new words in ``words`` (updated in place).

    Returns (entries per row, each entry's feature as an index into ``keys``, its
    count, ``keys``): ``keys`` (see ``_BIGRAM``) in order of first appearance in
    ``docs``, the entries grouped by row.
    """
    codes, uniques, n = _token_codes(docs)
    row_of = np.repeat(np.arange(len(docs)), n)
    gid = np.fromiter((-1 if w is None else words.setdefault(w, len(words)) for w in uniques),
                      dtype=np.int64, count=len(uniques))[codes]

    # Lay out each row's features as sklearn's analyzer yields them: its unigrams, then its bigrams.
    n_uni = n if lo == 1 else np.zeros_like(n)
    n_bi = np.maximum(n - 1, 0) if hi == 2 else np.zeros_like(n)
    m = n_uni + n_bi
    out_start = np.cumsum(m) - m
    pos = np.arange(len(gid)) - (np.cumsum(n) - n)[row_of]  # position of each token in its row
    keys = np.empty(int(m.sum()), dtype=np.int64)
    if lo == 1:
        keys[out_start[row_of] + pos] = gid
    if hi == 2:
        first = np.flatnonzero(pos < n[row_of] - 1)  # tokens followed by one in the same row
        keys[out_start[row_of[first]] + n_uni[row_of[first]] + pos[first]] = (gid[first] + 1) * _BIGRAM + gid[first + 1]
    fcodes, fkeys = pd.factorize(keys)
    del keys
    # distinct (row, feature) pairs and their counts, sorted by row
    n_f = max(len(fkeys), 1)
    pairs, counts = np.unique(np.repeat(np.arange(len(docs), dtype=np.int64), m) * n_f + fcodes, return_counts=True)
    rows, features = np.divmod(pairs, n_f)
    return np.bincount(rows, minlength=len(docs)), features.astype(np.int32), counts.astype(np.int32), fkeys


def _count_chunk(docs: list[str], lo: int, hi: int, batch: int) -> tuple:
    """Count consecutive records batch by batch; returns the batches and the chunk's words."""
    words: dict[str, int] = {}
    batches = [_count_batch(docs[i : i + batch], words, lo, hi) for i in range(0, len(docs), batch)]
    return batches, list(words)


def _rekey(keys: np.ndarray, new_id: np.ndarray) -> np.ndarray:
    """Keys in one chunk's word numbers → keys in the pool's word numbers."""
    uni = keys < _BIGRAM
    out = np.empty_like(keys)
    out[uni] = new_id[keys[uni]]
    a, b = np.divmod(keys[~uni], _BIGRAM)
    out[~uni] = (new_id[a - 1] + 1) * _BIGRAM + new_id[b]
    return out


def _count_keys(docs: list[str], *, ngram_range: tuple[int, int], n_jobs: int, batch: int,
                dtype) -> tuple[sp.csr_matrix, np.ndarray, list[str]]:
    """The counts (columns in order of first appearance), each column's key (see ``_BIGRAM``) and
    the distinct words the keys number: ``count_ngrams`` without building the n-grams' strings."""
    lo, hi = ngram_range
    if not 1 <= lo <= hi <= 2:
        raise ValueError(f"count_ngrams handles 1- and 2-grams, got ngram_range={ngram_range!r}")
    if not docs:
        return sp.csr_matrix((0, 0), dtype=dtype), np.zeros(0, dtype=np.int64), []
    n_chunks = max(1, min(int(n_jobs), len(docs)))
    size = max(1, -(-len(docs) // n_chunks))
    tasks = [(docs[i : i + size], lo, hi, batch) for i in range(0, len(docs), size)]
    chunks = run_tasks(_count_chunk, tasks, n_jobs=len(tasks)) if len(tasks) > 1 else [_count_chunk(*tasks[0])]

    # The pool's words are the first chunk's, then each later chunk's new ones.
    words: dict[str, int] = {}
    batches = []
    for chunk_batches, chunk_words in chunks:
        first = not words
        new_id = np.fromiter((words.setdefault(w, len(words)) for w in chunk_words), dtype=np.int64, count=len(chunk_words))
        batches += chunk_batches if first else [(r, c, k, _rekey(f, new_id)) for r, c, k, f in chunk_batches]
    del chunks, chunk_batches
    # Number the features in order of first appearance over the whole pool, and fill
    # the matrix batch by batch, letting go of each batch as it is copied.
    feature_of, keys = pd.factorize(np.concatenate([b[3] for b in batches]))
    nnz = sum(len(b[1]) for b in batches)
    index_dtype = np.int32 if nnz <= np.iinfo(np.int32).max else np.int64
    indptr = np.zeros(len(docs) + 1, dtype=index_dtype)
    np.cumsum(np.concatenate([b[0] for b in batches]), out=indptr[1:])
    indices = np.empty(nnz, dtype=index_dtype)
    data = np.empty(nnz, dtype=dtype)
    at = offset = 0
    for i in range(len(batches)):
        _, features, counts, batch_keys = batches[i]
        batches[i] = None
        indices[at : at + len(features)] = feature_of[offset + features]
        data[at : at + len(features)] = counts
        at, offset = at + len(features), offset + len(batch_keys)
    del feature_of, features, counts, batch_keys
    X = sp.csr_matrix((data, indices, indptr), shape=(len(docs), len(keys)))
    X.sort_indices()
    return X, np.asarray(keys, dtype=np.int64), list(words)


def _terms(keys: np.ndarray, words: list[str]):
    """The n-gram of each key, one at a time (a bigram is its two words and one space)."""
    a, b = np.divmod(keys, _BIGRAM)
    for k in range(0, len(keys), 100_000):  # Python ints for a slice of keys at a time, not for all
        for first, second in zip(a[k : k + 100_000].tolist(), b[k : k + 100_000].tolist()):
            yield words[second] if first == 0 else f"{words[first - 1]} {words[second]}"


def count_ngrams(docs: list[str], *, ngram_range: tuple[int, int] = (1, 2), n_jobs: int = 1,
                 batch: int = BATCH, dtype=np.int32) -> tuple[sp.csr_matrix, list[str]]:
    """Counts of word n-grams (1 <= n <= 2) of each document, and each column's n-gram.

    Equal to ``CountVectorizer(ngram_range, strip_accents="unicode")._count_vocab``:
    columns in order of first appearance, rows with sorted indices. ``n_jobs`` > 1
    counts that many consecutive chunks in separate processes; each chunk is
    tokenised ``batch`` records at a time.
    """
    X, keys, words = _count_keys(docs, ngram_range=ngram_range, n_jobs=n_jobs, batch=batch, dtype=dtype)
    return X, list(_terms(keys, words))


def _alphabetical(keys: np.ndarray, words: list[str]) -> np.ndarray:
    """The keys' positions in alphabetical order of their n-grams, without making the n-grams.

    A token is a run of word characters, all of which sort after the space, so "w1 w2" sorts
    as the pair (w1, w2), a unigram w1 just before every bigram that starts with it: sorting by
    (rank of the first word, 0 for a unigram or 1 + rank of the second word) is sorting the strings.
    """
    order = sorted(range(len(words)), key=words.__getitem__)
    rank = np.empty(len(words), dtype=np.int64)
    rank[order] = np.arange(len(words))
    del order
    a, b = np.divmod(keys, _BIGRAM)
    bigram = a > 0
    primary = np.where(bigram, rank[np.maximum(a - 1, 0)], rank[b])
    secondary = np.where(bigram, rank[b] + 1, 0)
    return np.lexsort((secondary, primary))


def document_frequency(X: sp.csr_matrix, chunk: int = 1 << 22) -> np.ndarray:
    """The number of rows each column of a csr matrix has an entry in (``np.bincount`` of its
    indices, a slice at a time: one call would first copy all the indices to 64 bits)."""
    df = np.zeros(X.shape[1], dtype=np.int64)
    for s in range(0, len(X.indices), chunk):
        df += np.bincount(X.indices[s : s + chunk], minlength=X.shape[1])
    return df


def doc_count_bounds(min_df: float, max_df: float, n_doc: int) -> tuple[float, float]:
    """``CountVectorizer``'s document-frequency limits in documents: an int is a number of
    documents, a float a share of ``n_doc``; raises its ``ValueError`` when they cross."""
    low = min_df if isinstance(min_df, Integral) else min_df * n_doc
    high = max_df if isinstance(max_df, Integral) else max_df * n_doc
    if high < low:
        raise ValueError("max_df corresponds to < documents than min_df")
    return low, high


def _limit_features(X: sp.csr_matrix, high: float, low: float,
                    limit: int | None) -> tuple[sp.csr_matrix, np.ndarray | None]:
    """Drop too common and too rare n-grams, keep the ``limit`` most frequent (as
    ``CountVectorizer._limit_features``); returns the matrix and the kept columns (None: all)."""
    dfs = document_frequency(X)
    mask = (dfs <= high) & (dfs >= low)
    if limit is not None and mask.sum() > limit:
        tfs = np.asarray(X.sum(axis=0)).ravel()
        mask_inds = (-tfs[mask]).argsort()[:limit]
        new_mask = np.zeros(len(dfs), dtype=bool)
        new_mask[np.where(mask)[0][mask_inds]] = True
        mask = new_mask
    if not mask.any():
        raise ValueError("After pruning, no terms remain. Try a lower min_df or a higher max_df.")
    if mask.all():
        return X, None
    new_index = (np.cumsum(mask) - 1).astype(X.indices.dtype)
    kept = mask[X.indices]
    # X[:, kept columns], keeping the order of entries within rows
    indptr = np.concatenate([[0], np.cumsum(kept)])[X.indptr].astype(X.indptr.dtype)
    X = sp.csr_matrix((X.data[kept], new_index[X.indices[kept]], indptr), shape=(X.shape[0], int(mask.sum())))
    return X, mask


def count_matrix(docs: list[str], *, ngram_range: tuple[int, int], min_df: float, max_df: float,
                 max_features: int | None, dtype=np.float32, n_jobs: int = 1,
                 batch: int = BATCH) -> tuple[sp.csr_matrix, Vocabulary]:
    """``CountVectorizer(...).fit_transform(docs)`` and its ``vocabulary_`` (as a compact
    ``Vocabulary``), for lower-cased, accent-stripped word n-grams (n <= 2); raises the same
    ``ValueError``s."""
    X, keys, words = _count_keys(docs, ngram_range=ngram_range, n_jobs=n_jobs, batch=batch, dtype=dtype)
    if not len(keys):
        raise ValueError("empty vocabulary; perhaps the documents only contain stop words")
    min_doc_count, max_doc_count = doc_count_bounds(min_df, max_df, X.shape[0])
    # Columns in alphabetical order of their n-grams (as CountVectorizer._sort_features), in place;
    # entries keep their order within a row, as in sklearn.
    order = _alphabetical(keys, words)
    rank = np.empty(len(order), dtype=X.indices.dtype)
    rank[order] = np.arange(len(order), dtype=X.indices.dtype)
    X.indices = rank[X.indices]
    keys = keys[order]
    del order, rank
    X, kept = _limit_features(X, max_doc_count, min_doc_count, max_features)
    if kept is not None:
        keys = keys[kept]
    return X, Vocabulary.from_terms(_terms(keys, words))
