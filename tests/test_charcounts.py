"""Character n-grams within words: scikit-learn's ``char_wb`` counts and TF-IDF, computed per distinct word."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer

from screener.charcounts import count_char_ngrams, tfidf_rows
from screener.demo_data import make_demo_pool
from screener.features import record_text

EDGE = ["", "a", "Ünïcödé wörds, here", "   ", "ab abc abcd abcde", "tab\tand\nnewline  twice", "ab"]


def _sklearn(docs, **kw):
    cv = CountVectorizer(analyzer="char_wb", strip_accents="unicode", **kw)
    return cv.fit_transform(docs), cv.get_feature_names_out().tolist()


@pytest.mark.parametrize("batch", [1, 3, 5000])
@pytest.mark.parametrize("kw", [dict(ngram_range=(4, 4)), dict(ngram_range=(2, 5)), dict(ngram_range=(3, 3), min_df=2),
                                dict(ngram_range=(4, 4), min_df=2, max_df=0.5)])
def test_counts_are_scikit_learns_on_awkward_text_in_any_batch_size(batch, kw):
    docs = EDGE + record_text(make_demo_pool(60, random_state=3)).tolist()
    X, terms = count_char_ngrams(docs, batch=batch, **kw)
    Y, expected = _sklearn(docs, **kw)
    assert terms == expected and X.shape == Y.shape and (X != Y).nnz == 0 and X.has_sorted_indices


def test_tfidf_is_scikit_learns_to_float32_rounding_and_empty_rows_stay_empty():
    docs = EDGE + record_text(make_demo_pool(80, random_state=4)).tolist()
    X, _ = count_char_ngrams(docs, min_df=2, max_df=0.95)
    Z = tfidf_rows(X, rows=7)
    T = TfidfVectorizer(analyzer="char_wb", strip_accents="unicode", ngram_range=(4, 4), min_df=2, max_df=0.95,
                        sublinear_tf=True, dtype=np.float32).fit_transform(docs)
    assert Z.dtype == np.float32 and Z.shape == T.shape and abs(Z - T).max() < 1e-6
    assert Z[0].nnz == 0 and Z[3].nnz == 0


def test_impossible_settings_are_scikit_learns_errors():
    with pytest.raises(ValueError, match="no terms remain"):
        count_char_ngrams(["ab", "cd"], min_df=2)
    with pytest.raises(ValueError, match="max_df corresponds to < documents than min_df"):
        count_char_ngrams(["abcd", "abcd"], min_df=2, max_df=1)
    with pytest.raises(ValueError, match="ngram_range"):
        count_char_ngrams(["abcd"], ngram_range=(0, 2))
