"""Record text → TF-IDF matrix, fit once on the whole pool.

The vocabulary and idf weights come from every record in the pool (labelled or
not): that is what makes a retrain-and-rerank step cheap, since only the
classifier is refit as labels arrive.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp
from joblib import effective_n_jobs
from sklearn.base import BaseEstimator
from sklearn.feature_extraction.text import TfidfTransformer, TfidfVectorizer

from screener.errors import ConfigError, DataError
from screener.wordcounts import count_matrix, document_frequency

TEXT_COLUMNS = ("title", "abstract", "keywords")  # the text fields a record can have, in this order
# Keywords are left out by default: many pools have them for some records only (SYNERGY: 36-89%),
# and with them the ranking fell behind on such pools (README, "How the defaults were chosen").
DEFAULT_FIELDS = ("title", "abstract")
# With n_jobs > 1, pools from this size count their words in that many processes; below
# it, starting them costs more than it saves (simulations build ~2,000-record pools often).
PARALLEL_FROM = 20_000


def record_text(records: pd.DataFrame, fields: tuple[str, ...] = DEFAULT_FIELDS) -> pd.Series:
    """The text ``fields`` of each record (title and abstract by default; any of ``TEXT_COLUMNS``)
    joined into one string.

    Records without an abstract are ranked on their title.
    """
    present = [c for c in fields if c in records.columns]
    if not present:
        raise DataError(f"the records have none of the text columns {', '.join(fields)}")
    parts = [records[c].fillna("").astype(str) for c in present]
    text = parts[0]
    for p in parts[1:]:
        text = text.str.cat(p, sep=" ")
    return text.str.strip()


def _idf(counts: sp.csr_matrix, *, smooth: bool = True) -> np.ndarray:
    """``TfidfTransformer.fit(counts).idf_``, the same float operations in the same dtype, with the
    document frequencies counted a slice of entries at a time (``fit`` first copies every column
    index to 64 bits: 0.2 GB more at 100,000 records)."""
    dtype = counts.dtype if counts.dtype in (np.float64, np.float32) else np.float64
    df = document_frequency(counts).astype(dtype)
    df += float(smooth)
    idf = np.full_like(df, fill_value=counts.shape[0] + int(smooth), dtype=dtype)
    idf /= df
    np.log(idf, out=idf)
    idf += 1.0
    return idf


class TextFeatures(BaseEstimator):
    """TF-IDF features of records (word n-grams, sublinear tf, l2-normalised rows).

    Parameters mirror ``TfidfVectorizer``; defaults were chosen from simulations
    on the shared pools (see README, "How the defaults were chosen"). The matrix
    is ``TfidfVectorizer``'s, bit for bit; for 1- and 2-grams the words are counted
    by ``screener.wordcounts`` (same result, two to three times faster).

    fields : the record columns whose text is used, any of ``TEXT_COLUMNS``; title and
        abstract by default (keywords, where a pool has them for every record, can be added).
    n_jobs : processes counting the words of a pool of ``PARALLEL_FROM`` records or
        more (joblib's meaning: ``None`` one unless in a ``joblib.parallel_config``,
        -1 every core). One by default: on two cores a second process saves little
        and holds a copy of its half of the texts and counts (100,000 records: about
        0.8 GB more), which would break the 2 GB budget. It never changes the
        result, so it is not among the ``settings`` a run records.

    A scikit-learn estimator: ``get_params``/``set_params``; the arguments are checked at
    ``fit_transform`` (``ConfigError`` naming the parameter).
    """

    def __init__(
        self,
        *,
        ngram_range: tuple[int, int] = (1, 2),
        min_df: float = 1,
        max_df: float = 0.95,
        sublinear_tf: bool = True,
        max_features: int | None = None,
        fields: tuple[str, ...] = DEFAULT_FIELDS,
        n_jobs: int | None = None,
    ):
        self.ngram_range = ngram_range
        self.min_df = min_df
        self.max_df = max_df
        self.sublinear_tf = sublinear_tf
        self.max_features = max_features
        self.fields = fields
        self.n_jobs = n_jobs

    def _check_params(self) -> None:
        lo, hi = tuple(self.ngram_range)
        if not (1 <= lo <= hi):
            raise ConfigError(f"ngram_range must be (min, max) with 1 <= min <= max, got {self.ngram_range!r}")
        for name in ("min_df", "max_df"):
            v = getattr(self, name)
            if isinstance(v, float) and not 0.0 < v <= 1.0:
                raise ConfigError(f"{name} as a share must be in (0, 1], got {v!r}")
            if isinstance(v, int) and v < 1:
                raise ConfigError(f"{name} as a count must be >= 1, got {v!r}")
        if isinstance(self.fields, str) or not self.fields or not set(self.fields) <= set(TEXT_COLUMNS):
            raise ConfigError(f"fields must be a non-empty list of {', '.join(TEXT_COLUMNS)}, got {self.fields!r}")
        if self.n_jobs == 0:
            raise ConfigError("n_jobs must not be 0 (use 1 for one process, -1 for every core)")

    def _vectorizer(self) -> TfidfVectorizer:
        return TfidfVectorizer(
            ngram_range=tuple(self.ngram_range),
            min_df=self.min_df,
            max_df=self.max_df,
            sublinear_tf=self.sublinear_tf,
            max_features=self.max_features,
            strip_accents="unicode",
            dtype=np.float32,
        )

    def _fit_transform(self, docs: list) -> sp.csr_matrix:
        """``self.vectorizer_.fit_transform(docs)``, counting with ``screener.wordcounts`` when it can."""
        vec = self.vectorizer_
        if vec.ngram_range[1] > 2 or not all(isinstance(d, str) for d in docs):
            return vec.fit_transform(docs)  # also raises sklearn's errors for NaN and other non-text
        n_jobs = effective_n_jobs(self.n_jobs) if len(docs) >= PARALLEL_FROM else 1
        counts, vocabulary = count_matrix(docs, ngram_range=vec.ngram_range, min_df=vec.min_df, max_df=vec.max_df,
                                          max_features=vec.max_features, dtype=vec.dtype, n_jobs=n_jobs)
        tfidf = TfidfTransformer(norm=vec.norm, use_idf=vec.use_idf, smooth_idf=vec.smooth_idf,
                                 sublinear_tf=vec.sublinear_tf)
        tfidf.n_features_in_ = counts.shape[1]
        if vec.use_idf:
            tfidf.idf_ = _idf(counts, smooth=vec.smooth_idf)
        # The state TfidfVectorizer.fit leaves behind (its documented attributes), so
        # that vectorizer_.transform maps new records onto this vocabulary.
        vec.vocabulary_ = vocabulary
        vec.fixed_vocabulary_ = False
        vec.idf_ = tfidf.idf_
        return tfidf.transform(counts, copy=False)

    def fit_transform(self, records: pd.DataFrame | pd.Series) -> sp.csr_matrix:
        self._check_params()
        texts = records if isinstance(records, pd.Series) else record_text(records, tuple(self.fields))
        if len(texts) == 0:
            raise DataError("the pool is empty: there are no records to build features from")
        docs = texts.tolist()
        self.vectorizer_ = self._vectorizer()
        try:
            X = self._fit_transform(docs)
        except ValueError as exc:  # e.g. empty vocabulary, or min_df/max_df prune everything
            if len(texts) > 1 and "max_df" in str(exc):
                self.vectorizer_.set_params(max_df=1.0)
                X = self._fit_transform(docs)
            else:
                raise DataError(f"cannot build text features: {exc}") from None
        return sp.csr_matrix(X)

    def transform(self, records: pd.DataFrame | pd.Series | list[str]) -> sp.csr_matrix:
        if not hasattr(self, "vectorizer_"):
            raise ConfigError("TextFeatures is not fitted yet: call fit_transform on the pool first")
        if isinstance(records, pd.DataFrame):
            records = record_text(records, tuple(self.fields))
        return sp.csr_matrix(self.vectorizer_.transform(list(records)))

    def settings(self) -> dict:
        """The parameters that decide the matrix (all but ``n_jobs``)."""
        params = self.get_params(deep=False)
        params.pop("n_jobs")
        return params
