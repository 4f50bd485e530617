"""The compact word vocabulary: a Mapping equal to scikit-learn's dict, found by bisection."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.feature_extraction.text import CountVectorizer

from screener import vocabulary as vocabulary_module
from screener.features import TextFeatures
from screener.project.model_files import feature_arrays
from screener.vocabulary import Vocabulary
from screener.wordcounts import count_matrix

TERMS = sorted(["peer", "peer support", "support", "ab", "ab c", "abc", "é x", "zz", "日本"])


def test_a_vocabulary_is_the_mapping_of_its_sorted_terms():
    v = Vocabulary.from_terms(TERMS)
    assert v == {t: i for i, t in enumerate(TERMS)} and len(v) == len(TERMS)
    assert [v[t] for t in TERMS] == list(range(len(TERMS)))
    assert list(v) == TERMS and list(v.values()) == list(range(len(TERMS)))
    assert dict(v.items()) == {t: i for i, t in enumerate(TERMS)}
    assert v.terms[3] == TERMS[3] and v.terms[-1] == TERMS[-1] and v.terms[1:3] == TERMS[1:3]
    for missing in ["", "a", "abd", "peer support group", "zzz", "\uffff", 3, None]:
        assert missing not in v
        with pytest.raises(KeyError):
            v[missing]
    with pytest.raises(IndexError):
        v.terms[len(TERMS)]
    assert bytes(v.blob) == "\n".join(TERMS).encode("utf-8")
    assert Vocabulary.from_blob(np.array(v.blob)) == v


def test_empty_and_chunked_vocabularies(monkeypatch):
    assert len(Vocabulary.from_terms([])) == 0 and "a" not in Vocabulary.from_terms([])
    monkeypatch.setattr(vocabulary_module, "_CHUNK", 2)  # terms encoded and iterated two at a time
    v = Vocabulary.from_terms(TERMS)
    assert list(v) == TERMS and [v[t] for t in TERMS] == list(range(len(TERMS)))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=40), min_size=1, max_size=8))
def test_columns_are_countvectorizer_s_for_any_text(texts):
    # the columns are ordered without making the n-grams' strings: by (first word, second word)
    vec = CountVectorizer(ngram_range=(1, 2), strip_accents="unicode", dtype=np.float32)
    try:
        ref = vec.fit_transform(texts)
    except ValueError:
        with pytest.raises(ValueError):
            count_matrix(texts, ngram_range=(1, 2), min_df=1, max_df=1.0, max_features=None)
        return
    X, vocabulary = count_matrix(texts, ngram_range=(1, 2), min_df=1, max_df=1.0, max_features=None, batch=3)
    assert isinstance(vocabulary, Vocabulary) and vocabulary == vec.vocabulary_
    np.testing.assert_array_equal(X.toarray(), ref.toarray())


def test_model_files_store_the_same_terms_as_from_a_dict():
    texts = pd.Series(["Peer support in recovery", "peer-led groups; recovery support", "Café naïve résumé"])
    f = TextFeatures(max_df=1.0)
    f.fit_transform(texts)
    assert isinstance(f.vectorizer_.vocabulary_, Vocabulary)
    compact = feature_arrays(f)["vocabulary"]
    f.vectorizer_.vocabulary_ = dict(f.vectorizer_.vocabulary_.items())  # scikit-learn's kind
    np.testing.assert_array_equal(compact, feature_arrays(f)["vocabulary"])
    assert f.transform(["peer support, recovery"]).nnz == 4


@pytest.mark.parametrize("terms", [["b", "a"], ["a", "a"], ["a", ""], ["a\nb"], ["x", "a b\nc"]])
def test_terms_out_of_order_or_with_newlines_are_refused(terms, monkeypatch):
    monkeypatch.setattr(vocabulary_module, "_CHUNK", 1)  # the order is checked across chunks too
    with pytest.raises(ValueError, match="vocabulary terms"):
        Vocabulary.from_terms(terms)


@pytest.mark.parametrize("blob", [b"b\na", b"a\na", b"a\n", b"x\na b\nc"])
def test_a_blob_out_of_order_is_refused(blob):
    with pytest.raises(ValueError, match="sorted and distinct"):
        Vocabulary.from_blob(np.frombuffer(blob, dtype=np.uint8))
    with pytest.raises(ValueError, match="uint8"):
        Vocabulary.from_blob(np.array([97, 300]))
