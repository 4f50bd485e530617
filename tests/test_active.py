import numpy as np
import pytest
from sklearn.base import clone
from sklearn.svm import LinearSVC

from screener.active import FRESH, UNLABELLED, WARM, ActiveLearner, FitPolicy, step
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
    from pathlib import Path

    from screener.criteria import load_criteria

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
        ActiveLearner(fit_policy=FitPolicy(presumed_refresh=0)).fit(X, _labels(y, [0]))
    with pytest.raises(ConfigError, match="warm_epochs"):
        ActiveLearner(fit_policy={"warm_epochs": 1.5}).fit(X, _labels(y, [0]))
    with pytest.raises(ConfigError, match="fit_policy: unknown field warm"):
        ActiveLearner(fit_policy={"warm": True}).fit(X, _labels(y, [0]))
    with pytest.raises(ConfigError, match="classifier"):
        ActiveLearner(classifier="svm").fit(X, _labels(y, [0]))
    with pytest.raises(ConfigError, match="solver"):
        ActiveLearner(solver="lbfgs").fit(X, _labels(y, [0]))


def test_presumed_sample_is_partly_kept_and_never_labelled(pool):
    _, _, X, y = pool
    learner = ActiveLearner(presumed_negatives=50, fit_policy=FitPolicy(presumed_refresh=0.2), random_state=0)
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


def test_the_learner_is_a_scikit_learn_estimator():
    learner = ActiveLearner(C=2.0, fit_policy=FRESH, random_state=3)
    params = learner.get_params()
    assert params["C"] == 2.0 and params["fit_policy"] is FRESH and params["random_state"] == 3
    assert clone(learner).get_params() == params
    assert learner.set_params(query="uncertainty").query == "uncertainty"
    settings = ActiveLearner().settings()
    assert "random_state" not in settings and settings["fit_policy"] == {"warm_start": True, "warm_epochs": 0.5,
                                                                         "presumed_refresh": 0.1}


def test_an_injected_classifier_is_cloned_seeded_and_fit(pool):
    _, _, X, y = pool
    labels = _labels(y, np.r_[np.flatnonzero(y == 1)[:5], np.flatnonzero(y == 0)[:60]])
    svm = LinearSVC(C=0.5)
    learner = ActiveLearner(classifier=svm, random_state=0).fit(X, labels)
    assert isinstance(learner.classifier_, LinearSVC) and learner.classifier_ is not svm
    assert not hasattr(svm, "coef_") and svm.random_state is None  # the argument is left as given
    assert isinstance(learner.classifier_.random_state, int)
    margins = learner.margins(X)
    relevant = np.flatnonzero(y == 1)[5:]
    assert np.mean(margins[relevant]) > np.mean(np.delete(margins, relevant))


def _run(policy, X, y, n_steps=15):
    learner = ActiveLearner(fit_policy=policy, random_state=0)
    labels = _labels(y, [int(np.flatnonzero(y == 1)[0]), int(np.flatnonzero(y == 0)[0])])
    picks, epochs = [], []
    for _ in range(n_steps):
        j = int(step(learner, X, labels).queue[0])
        labels[j] = y[j]
        picks.append(j)
        epochs.append(learner.classifier_.n_epochs_)
    return picks, epochs, learner


def test_fit_policy_warm_carries_on_and_fresh_starts_over(pool):
    _, _, X, y = pool
    _, warm_epochs, warm = _run(WARM, X, y)
    _, fresh_epochs, fresh = _run(FRESH, X, y)
    assert all(e == 1 for e in warm_epochs[1:])  # half a pass: one (partial) pass per carried-over fit
    assert min(fresh_epochs[1:]) > 1 and fresh.classifier_.converged_  # every fit from scratch, to tol


def test_step_picks_what_select_picks_and_queues_the_rest(pool):
    _, _, X, y = pool
    known = [int(np.flatnonzero(y == 1)[0]), int(np.flatnonzero(y == 0)[0])]
    labels = _labels(y, known)
    labels[5] = 2  # held (a maybe): out of the queue
    one = step(ActiveLearner(random_state=4), X, labels, n=1)
    full = step(ActiveLearner(random_state=4), X, labels, n=None)
    np.testing.assert_array_equal(one.scores, full.scores)
    assert full.queue[0] == one.queue[0]
    assert sorted(full.queue.tolist()) == sorted(set(range(len(y))) - {*known, 5})
    assert np.all(np.diff(full.scores[full.queue[1:]]) <= 0)  # max: the rest best first
    # the whole queue leaves the learner's own draws as n=1 does: the next steps agree too
    a, b = ActiveLearner(random_state=4), ActiveLearner(random_state=4)
    for _ in range(3):
        qa, qb = step(a, X, labels, n=1).queue, step(b, X, labels, n=None).queue
        assert qa[0] == qb[0]
        labels[qa[0]] = y[qa[0]]


def test_a_presumed_share_draws_the_presumed_sample_from_the_lowest_scored_records(pool):
    _, _, X, y = pool
    labels = np.full(len(y), UNLABELLED, dtype=np.int8)
    rel, irr = np.flatnonzero(y == 1), np.flatnonzero(y == 0)
    labels[rel[:2]] = 1
    labels[irr[:5]] = 0
    learner = ActiveLearner(random_state=0, presumed_negatives=10, presumed_share=0.2,
                            fit_policy={"presumed_refresh": 1.0}).fit(X, labels)
    unl = np.flatnonzero(labels == UNLABELLED)
    margins = X[unl] @ learner.coef_
    lowest = set(unl[np.argsort(margins)[: int(np.ceil(0.2 * len(unl)))]])
    learner.fit(X, labels)  # a new sample, from the first model's lowest fifth
    assert len(learner.presumed_) == 10 and set(learner.presumed_) <= lowest
    assert learner.settings()["presumed_share"] == 0.2
    assert "presumed_share" not in ActiveLearner().settings()  # at its default, stored settings are unchanged
    with pytest.raises(ConfigError, match="presumed_share must be in"):
        ActiveLearner(presumed_share=0).fit(X, labels)
