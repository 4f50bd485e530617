"""Term contributions: coefficient × tf-idf, mapped back to the vocabulary."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from screener.errors import ConfigError
from screener.explain import Contribution, TermExplainer, feature_terms
from screener.features import TextFeatures

DOCS = pd.Series(["peer support group for carers", "drug trial of insulin", "peer mentoring in schools",
                  "insulin dosing trial", "support for carers of children"])


def _fitted():
    features = TextFeatures()
    X = features.fit_transform(DOCS)
    return features, X


def test_contributions_add_up_to_the_margin_and_name_the_terms():
    features, X = _fitted()
    rng = np.random.default_rng(0)
    coef = rng.normal(size=X.shape[1])
    ex = TermExplainer(n_terms=1000, direction="both").fit(features.vectorizer_.vocabulary_)
    for row in range(X.shape[0]):
        got = ex.explain(X[row], coef)
        assert sum(c.weight for c in got) == pytest.approx(float((X[row] @ coef)[0]), abs=1e-6)
        vocab = features.vectorizer_.vocabulary_
        for c in got:
            assert c.weight == pytest.approx(c.coef * c.value)
            assert c.coef == pytest.approx(coef[vocab[c.term]]) and c.value == pytest.approx(X[row, vocab[c.term]])


def test_up_terms_are_the_strongest_positive_ones_in_order_and_down_the_negative_ones():
    features, X = _fitted()
    vocab = features.vectorizer_.vocabulary_
    coef = np.zeros(X.shape[1])
    coef[vocab["peer"]], coef[vocab["support"]], coef[vocab["carers"]], coef[vocab["group"]] = 3.0, 1.0, -2.0, -0.5
    ex = TermExplainer(n_terms=2).fit(vocab)
    up = ex.explain(X[0], coef)
    assert [c.term for c in up] == ["peer", "support"] and all(c.weight > 0 for c in up)
    down = ex.explain(X[0], coef, direction="down")
    assert [c.term for c in down] == ["carers", "group"] and all(c.weight < 0 for c in down)
    assert [c.term for c in ex.explain(X[0], coef, direction="both")] == ["peer", "support", "carers", "group"]
    assert ex.explain(X[1], coef) == []  # no term of record 1 has a positive coefficient
    assert str(up[0]).startswith("peer +")


def test_no_model_yet_explains_nothing_and_ties_go_by_term_not_column():
    ex = TermExplainer(n_terms=2).fit({"b": 0, "a": 1, "c": 2})
    assert ex.explain(sp.csr_matrix(np.ones((1, 3))), None) == []
    got = ex.explain(sp.csr_matrix(np.ones((1, 3))), np.array([1.0, 1.0, 1.0]))
    assert [c.term for c in got] == ["a", "b"]
    assert isinstance(got[0], Contribution)


def test_feature_terms_inverts_the_vocabulary():
    assert list(feature_terms({"b": 0, "a": 2, "c": 1})) == ["b", "c", "a"]
    with pytest.raises(ConfigError, match="0..n-1"):
        feature_terms({"a": 0, "b": 5})


@pytest.mark.parametrize("kwargs, match", [({"n_terms": 0}, "n_terms"), ({"direction": "sideways"}, "direction")])
def test_bad_settings_name_the_parameter(kwargs, match):
    with pytest.raises(ConfigError, match=match):
        TermExplainer(**kwargs).fit({"a": 0})


def test_mismatched_shapes_and_unfitted_use_are_clear_errors():
    ex = TermExplainer()
    with pytest.raises(ConfigError, match="not fitted"):
        ex.explain(sp.csr_matrix((1, 2)), np.zeros(2))
    ex.fit({"a": 0, "b": 1})
    with pytest.raises(ConfigError, match="one row of 2 features"):
        ex.explain(sp.csr_matrix((1, 3)), np.zeros(3))


def test_the_character_view_is_explained_in_the_words_whose_n_grams_carry_its_weight():
    from screener.ensemble import CharFeatures
    from screener.explain import CharWordExplainer

    records = pd.DataFrame({"title": ["Peer support for addiction", "Addiction treatment trial", "Soil chemistry"],
                            "abstract": ["Peers help.", "A trial.", "Clay (soil)."]})
    feats = CharFeatures(min_df=1, max_df=1.0)
    X = feats.fit_transform(records)
    coef = np.zeros(X.shape[1])
    coef[feats.terms_.index("ddic")] = 2.0  # only in "addiction"
    coef[feats.terms_.index(" pee")] = 1.0  # in "peer" and "peers."
    text = "Peer support for addiction Peers help."
    ex = CharWordExplainer(n_terms=3).fit(feats.terms_)
    got = ex.explain(X[0], coef, text)
    x = dict(zip(X[0].indices, X[0].data))
    assert [c.term for c in got] == ["addiction", "peer", "peers"]  # lower-cased as the features read them
    assert got[1].weight == pytest.approx(got[2].weight)
    assert got[0].weight == pytest.approx(2.0 * x[feats.terms_.index("ddic")])
    # " pee" is shared by two words: each gets half its share, and the shares add up to the margin
    assert sum(c.weight for c in ex.explain(X[0], coef, text, n_terms=10)) == pytest.approx(float((X[0] @ coef)[0]))
    assert ex.explain(X[0], None, text) == []
    down = ex.explain(X[0], -coef, text, direction="down")
    assert down[0].term == "addiction" and down[0].weight < 0
