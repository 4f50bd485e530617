import numpy as np
import pandas as pd
import pytest

from screener.errors import ConfigError, DataError
from screener.features import TextFeatures, record_text


def _records():
    return pd.DataFrame({
        "title": ["Peer support in recovery", "Opioid agonist treatment", "Peer workers in harm reduction"],
        "abstract": ["Interviews with peers.", "", "Focus groups with staff."],
        "keywords": ["peer; qualitative", "", ""],
    })


def test_text_joins_title_abstract_keywords_and_keeps_title_only_records():
    text = record_text(_records())
    assert text[0] == "Peer support in recovery Interviews with peers. peer; qualitative"
    assert text[1] == "Opioid agonist treatment"


def test_features_are_l2_normalised_rows_over_the_whole_pool():
    X = TextFeatures().fit_transform(_records())
    assert X.shape[0] == 3
    np.testing.assert_allclose(np.sqrt(X.multiply(X).sum(axis=1)).A1, 1.0, rtol=1e-5)


def test_row_order_does_not_change_a_record_s_features():
    recs = _records()
    f1, f2 = TextFeatures(), TextFeatures()
    X1 = f1.fit_transform(recs)
    X2 = f2.fit_transform(recs.iloc[::-1].reset_index(drop=True))
    assert f1.vectorizer_.vocabulary_ == f2.vectorizer_.vocabulary_
    np.testing.assert_allclose(X1[0].toarray(), X2[2].toarray())


def test_transform_uses_the_pool_vocabulary():
    f = TextFeatures()
    f.fit_transform(_records())
    q = f.transform(["peer support qualitative interviews zebra"])
    assert q.shape == (1, len(f.vectorizer_.vocabulary_)) and q.nnz > 0


def test_bad_settings_and_empty_pools_fail_clearly():
    with pytest.raises(ConfigError, match="ngram_range"):
        TextFeatures(ngram_range=(2, 1)).fit_transform(_records())
    with pytest.raises(ConfigError, match="max_df"):
        TextFeatures(max_df=1.5).fit_transform(_records())
    with pytest.raises(DataError, match="empty"):
        TextFeatures().fit_transform(_records().iloc[:0])
    with pytest.raises(ConfigError, match="not fitted"):
        TextFeatures().transform(["x"])
