import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from screener.errors import ConfigError, DataError
from screener.features import TextFeatures, record_text


def _records():
    return pd.DataFrame({
        "title": ["Peer support in recovery", "Opioid agonist treatment", "Peer workers in harm reduction"],
        "abstract": ["Interviews with peers.", "", "Focus groups with staff."],
        "keywords": ["peer; qualitative", "", ""],
    })


def test_text_joins_title_and_abstract_and_keeps_title_only_records():
    text = record_text(_records())
    assert text[0] == "Peer support in recovery Interviews with peers."
    assert record_text(_records(), ("title", "abstract", "keywords"))[0].endswith("peer; qualitative")
    assert text[1] == "Opioid agonist treatment"


def test_fields_choose_the_text_columns():
    recs = _records()
    assert record_text(recs, ("title", "abstract"))[0] == "Peer support in recovery Interviews with peers."
    feats = TextFeatures(fields=("title", "abstract"))
    feats.fit_transform(recs)
    assert "qualitative" not in feats.vectorizer_.vocabulary_
    with_keywords = TextFeatures(fields=("title", "abstract", "keywords"))
    with_keywords.fit_transform(recs)
    assert "qualitative" in with_keywords.vectorizer_.vocabulary_
    for bad in ("title", (), ("title", "authors")):
        with pytest.raises(ConfigError, match="fields"):
            TextFeatures(fields=bad).fit_transform(recs)


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


# --- the fast counting (screener.wordcounts) gives TfidfVectorizer's matrix ---------------

WORDS = ["Café", "résumé", "naïve", "ΣΟΦΟΣ", "σοφός", "İstanbul", "ﬁne", "ℌilbert", "𝔘nicode",
         "ＦＵＬＬ", "日本語", "テキスト", "peer", "Peer", "PEER", "peer-support", "x", "a", "I",
         "covid-19", "CO2", "snake_case", "e.g.", "don't", "naïve", "Ångström", "\U0001d165stem",
         "m\U0001d165usic", "🙂", "—", "x²", "½", "Ǆemal", "ß", "ﬀ", "über", "α-β", "42", "3.14"]
SEPARATORS = [" ", " ", " ", "  ", "\t", "\n", ", ", ". ", "; ", "/", "-", "(", ") ", "\x00", "\u00a0", "\u2028"]


def _varied_texts(n: int = 300, seed: int = 0) -> list[str]:
    """Texts with accents, case, punctuation, odd unicode, empty and one-word texts, repeats."""
    rng = np.random.default_rng(seed)
    texts = ["", " ", "x", "a b c", "!!!", "Peer support peer support peer support"]
    for _ in range(n - len(texts)):
        k = int(rng.integers(0, 25))
        parts = []
        for w in rng.choice(len(WORDS), k):
            parts += [WORDS[w], SEPARATORS[int(rng.integers(len(SEPARATORS)))]]
        texts.append("".join(parts))
    return texts


def _sklearn(texts: list[str], **params):
    vec = TextFeatures(**params)._vectorizer()
    return vec, vec.fit_transform(texts)


def _assert_same(X, ref) -> None:
    """The same sparse matrix, entry by entry and in the same layout (so the same float rounding)."""
    assert X.shape == ref.shape
    np.testing.assert_array_equal(X.indptr, ref.indptr)
    np.testing.assert_array_equal(X.indices, ref.indices)
    np.testing.assert_allclose(X.data, ref.data, rtol=1e-6)
    np.testing.assert_array_equal(X.data, ref.data)


@pytest.mark.parametrize("params", [
    {},
    {"ngram_range": (1, 1)},
    {"ngram_range": (2, 2)},
    {"min_df": 2, "max_df": 0.5},
    {"min_df": 0.01, "max_df": 40},
    {"max_features": 50},
    {"max_features": 50, "min_df": 2, "sublinear_tf": False},
    {"ngram_range": (1, 3)},  # counted by scikit-learn itself
])
def test_matrix_and_vocabulary_are_tfidfvectorizer_s(params):
    texts = _varied_texts()
    vec, ref = _sklearn(texts, **params)
    f = TextFeatures(**params, n_jobs=1)
    X = f.fit_transform(pd.Series(texts))
    assert f.vectorizer_.vocabulary_ == vec.vocabulary_
    _assert_same(X, ref)
    np.testing.assert_array_equal(f.vectorizer_.idf_, vec.idf_)
    new = ["Peer support in Istanbul", "CAFÉ naïve résumé", "", "zebra"]
    _assert_same(f.transform(new), vec.transform(new))


def test_parallel_counting_gives_the_same_matrix(monkeypatch):
    from screener import features

    texts = _varied_texts(400, seed=1)
    vec, ref = _sklearn(texts)
    monkeypatch.setattr(features, "PARALLEL_FROM", 10)  # this small pool counted in two processes
    f = TextFeatures(n_jobs=2)
    _assert_same(f.fit_transform(pd.Series(texts)), ref)
    assert f.vectorizer_.vocabulary_ == vec.vocabulary_


@pytest.mark.parametrize("n_jobs", [1, 3])
@pytest.mark.parametrize("batch", [1, 7, 1000])
def test_counts_do_not_depend_on_chunks_and_batches(n_jobs, batch):
    from sklearn.feature_extraction.text import CountVectorizer

    from screener.wordcounts import count_matrix

    texts = _varied_texts(200, seed=2)
    vec = CountVectorizer(ngram_range=(1, 2), strip_accents="unicode", max_df=0.9, dtype=np.float32)
    ref = vec.fit_transform(texts)
    X, vocabulary = count_matrix(texts, ngram_range=(1, 2), min_df=1, max_df=0.9, max_features=None,
                                 n_jobs=n_jobs, batch=batch)
    assert vocabulary == vec.vocabulary_
    _assert_same(X, ref)


def test_small_pools_are_counted_in_this_process(monkeypatch):
    from screener import wordcounts

    def no_processes(*args, **kwargs):
        raise AssertionError("no worker processes for a small pool")

    monkeypatch.setattr(wordcounts, "run_tasks", no_processes)
    TextFeatures(n_jobs=2).fit_transform(pd.Series(_varied_texts(100)))


def test_max_df_falls_back_and_errors_stay_the_same():
    same_everywhere = pd.Series(["peer support"] * 5)  # every term in every record: max_df prunes all
    f = TextFeatures()
    X = f.fit_transform(same_everywhere)
    assert f.vectorizer_.max_df == 1.0 and X.shape == (5, 3)
    _assert_same(X, _sklearn(same_everywhere.tolist(), max_df=1.0)[1])
    with pytest.raises(DataError, match="empty vocabulary"):
        TextFeatures().fit_transform(pd.Series(["a", "", "? !"]))
    with pytest.raises(DataError, match="cannot build text features"):
        TextFeatures().fit_transform(pd.Series(["peer support", np.nan]))
    with pytest.raises(ConfigError, match="n_jobs"):
        TextFeatures(n_jobs=0).fit_transform(_records())


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=40), min_size=1, max_size=8))
def test_any_text_counts_as_in_countvectorizer(texts):
    from sklearn.feature_extraction.text import CountVectorizer

    from screener.wordcounts import count_ngrams

    vec = CountVectorizer(ngram_range=(1, 2), strip_accents="unicode")
    try:
        vec.fit(texts)
    except ValueError:  # empty vocabulary
        assert count_ngrams(texts, batch=3)[1] == []
        return
    X, terms = count_ngrams(texts, batch=3)
    assert sorted(terms) == sorted(vec.vocabulary_)
    columns = [vec.vocabulary_[t] for t in terms]
    np.testing.assert_array_equal(X.toarray(), vec.transform(texts).toarray()[:, columns])
