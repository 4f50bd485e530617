"""Record text → TF-IDF matrix, fit once on the whole pool.

The vocabulary and idf weights come from every record in the pool (labelled or
not): that is what makes a retrain-and-rerank step cheap, since only the
classifier is refit as labels arrive.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer

from screener.errors import ConfigError, DataError

TEXT_COLUMNS = ("title", "abstract", "keywords")


def record_text(records: pd.DataFrame) -> pd.Series:
    """Title, abstract and keywords of each record joined into one string.

    Records without an abstract are ranked on their title (and keywords).
    """
    present = [c for c in TEXT_COLUMNS if c in records.columns]
    if not present:
        raise DataError("the records have no title, abstract or keywords column")
    parts = [records[c].fillna("").astype(str) for c in present]
    text = parts[0]
    for p in parts[1:]:
        text = text.str.cat(p, sep=" ")
    return text.str.strip()


class TextFeatures:
    """TF-IDF features of records (word n-grams, sublinear tf, l2-normalised rows).

    Parameters mirror ``TfidfVectorizer``; defaults were chosen from simulations
    on the shared pools (see README, "How the defaults were chosen").
    """

    def __init__(
        self,
        *,
        ngram_range: tuple[int, int] = (1, 2),
        min_df: int | float = 1,
        max_df: int | float = 0.95,
        sublinear_tf: bool = True,
        max_features: int | None = None,
    ):
        self.ngram_range = ngram_range
        self.min_df = min_df
        self.max_df = max_df
        self.sublinear_tf = sublinear_tf
        self.max_features = max_features

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

    def fit_transform(self, records: pd.DataFrame | pd.Series) -> sp.csr_matrix:
        self._check_params()
        texts = records if isinstance(records, pd.Series) else record_text(records)
        if len(texts) == 0:
            raise DataError("the pool is empty: there are no records to build features from")
        self.vectorizer_ = self._vectorizer()
        try:
            X = self.vectorizer_.fit_transform(texts.tolist())
        except ValueError as exc:  # e.g. empty vocabulary, or min_df/max_df prune everything
            if len(texts) > 1 and "max_df" in str(exc):
                self.vectorizer_.set_params(max_df=1.0)
                X = self.vectorizer_.fit_transform(texts.tolist())
            else:
                raise DataError(f"cannot build text features: {exc}") from None
        return sp.csr_matrix(X)

    def transform(self, records: pd.DataFrame | pd.Series | list[str]) -> sp.csr_matrix:
        if not hasattr(self, "vectorizer_"):
            raise ConfigError("TextFeatures is not fitted yet: call fit_transform on the pool first")
        if isinstance(records, pd.DataFrame):
            records = record_text(records)
        return sp.csr_matrix(self.vectorizer_.transform(list(records)))

    def get_params(self) -> dict:
        return {k: getattr(self, k) for k in ("ngram_range", "min_df", "max_df", "sublinear_tf", "max_features")}
