import numpy as np
import pytest

from screener.active import UNLABELLED, ActiveLearner
from screener.demo_data import make_demo_pool
from screener.errors import ConfigError
from screener.features import TextFeatures


@pytest.fixture(scope="module")
def pool():
    records = make_demo_pool(300, random_state=1)
    features = TextFeatures()
    X = features.fit_transform(records).astype(np.float64)
    return records, features, X, records["label_included"].to_numpy()


def _labels(y, known):
    labels = np.full(len(y), UNLABELLED, dtype=np.int8)
    labels[known] = y[known]
    return labels


def test_learning_from_labels_ranks_relevant_records_first(pool):
    _, _, X, y = pool
    rng = np.random.default_rng(0)
    known = np.r_[np.flatnonzero(y == 1)[:3], rng.choice(np.flatnonzero(y == 0), 30, replace=False)]
    labels = _labels(y, known)
    learner = ActiveLearner(random_state=0).fit(X, labels)
    scores = learner.scores(X)
    assert ((scores >= 0) & (scores <= 1)).all()
    queue = learner.ranking(scores, labels)
    assert set(queue.tolist()) == set(np.flatnonzero(labels == UNLABELLED).tolist())
    top = queue[:20]
    assert y[top].mean() > 5 * y[queue].mean()


def test_same_seed_same_queue_and_inputs_untouched(pool):
    _, _, X, y = pool
    labels = _labels(y, [int(np.flatnonzero(y == 1)[0]), int(np.flatnonzero(y == 0)[0])])
    before = labels.copy()
    q = []
    for _ in range(2):
        learner = ActiveLearner(random_state=7, presumed_negatives=20).fit(X, labels)
        q.append(learner.ranking(learner.scores(X), labels))
    np.testing.assert_array_equal(q[0], q[1])
    np.testing.assert_array_equal(labels, before)


def test_criteria_rank_the_pool_before_any_label(pool):
    records, features, X, y = pool
    from screener.criteria import load_criteria
    from pathlib import Path

    crit = load_criteria(Path(__file__).resolve().parents[1] / "data" / "peer_support.criteria.toml")
    pseudo = features.transform([crit.pseudo_document()]).astype(np.float64)
    labels = np.full(len(y), UNLABELLED, dtype=np.int8)
    learner = ActiveLearner(random_state=0).fit(X, labels, pseudo=pseudo)
    queue = learner.ranking(learner.scores(X), labels)
    assert y[queue[:30]].mean() > 3 * y.mean()


def test_no_information_means_a_random_queue(pool):
    _, _, X, y = pool
    labels = np.full(len(y), UNLABELLED, dtype=np.int8)
    learner = ActiveLearner(random_state=0).fit(X, labels)
    assert np.all(learner.scores(X) == 0.5)
    assert len(learner.select(learner.scores(X), labels, n=5)) == 5


def test_pseudo_document_is_dropped_once_enough_includes_are_labelled(pool):
    _, features, X, y = pool
    pseudo = features.transform(["completely unrelated astronomy telescope galaxy"]).astype(np.float64)
    known = np.r_[np.flatnonzero(y == 1)[:3], np.flatnonzero(y == 0)[:10]]
    labels = _labels(y, known)
    a = ActiveLearner(random_state=0, criteria_until=3).fit(X, labels, pseudo=pseudo)
    b = ActiveLearner(random_state=0, criteria_until=3).fit(X, labels)
    np.testing.assert_allclose(a.coef_, b.coef_)


def test_bad_parameters_name_themselves(pool):
    _, _, X, y = pool
    with pytest.raises(ConfigError, match="labels has"):
        ActiveLearner().fit(X, np.zeros(3, dtype=np.int8))
    with pytest.raises(ConfigError, match="unknown query strategy"):
        ActiveLearner(query="best").fit(X, _labels(y, [0]))
    with pytest.raises(ConfigError, match="random_state"):
        ActiveLearner(random_state="seven").fit(X, _labels(y, [0]))
    with pytest.raises(ConfigError, match="presumed_refresh"):
        ActiveLearner(presumed_refresh=0).fit(X, _labels(y, [0]))
    with pytest.raises(ConfigError, match="solver"):
        ActiveLearner(solver="lbfgs").fit(X, _labels(y, [0]))


def test_presumed_sample_is_partly_kept_and_never_labelled(pool):
    _, _, X, y = pool
    learner = ActiveLearner(presumed_negatives=50, presumed_refresh=0.2, random_state=0)
    known = [int(np.flatnonzero(y == 1)[0]), int(np.flatnonzero(y == 0)[0])]
    learner.fit(X, _labels(y, known))
    last = set(learner.presumed_.tolist())
    for j in np.random.default_rng(0).permutation(len(y))[:40]:
        known.append(int(j))
        labels = _labels(y, known)
        learner.fit(X, labels)
        now = set(learner.presumed_.tolist())
        assert len(now) == 50 and all(labels[r] == UNLABELLED for r in now)
        assert len(now & last) >= 50 - 10 - 1  # 20% new, plus the record just labelled
        last = now


def test_solvers_agree(pool):
    """The warm-started solver and scikit-learn's liblinear rank the pool alike."""
    _, _, X, y = pool
    labels = _labels(y, np.r_[np.flatnonzero(y == 1)[:5], np.flatnonzero(y == 0)[:60]])
    a = ActiveLearner(presumed_negatives=0, solver="cd", random_state=0).fit(X, labels).margins(X)
    b = ActiveLearner(presumed_negatives=0, solver="liblinear", random_state=0).fit(X, labels).margins(X)
    assert np.corrcoef(a, b)[0, 1] > 0.999
