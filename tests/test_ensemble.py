"""Rank ensembles: members on their own features, fused by rank, weighted online."""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from screener.active import UNLABELLED, step
from screener.demo_data import make_demo_pool
from screener.ensemble import (
    FEATURE_SETS,
    MODELS,
    RANKERS,
    CharFeatures,
    NearestIncludeRanker,
    RankEnsemble,
    WordCharFeatures,
    WordLlamaFeatures,
    member_features,
)
from screener.errors import ConfigError
from screener.features import record_text
from screener.simulate import SimulationSettings, run_simulation, simulate, simulate_ensemble

TWO = [{"features": "word"}, {"features": "char"}]


@pytest.fixture(scope="module")
def pool():
    return make_demo_pool(120, random_state=5).drop(columns=["label_abstract_screening"])


def test_a_one_member_ensemble_replays_exactly_as_the_simulation_and_ranks_by_its_own_scores(pool):
    a = simulate(pool, seed=2, settings=SimulationSettings(stop_at_recall=0.95, views="word"))
    b = simulate_ensemble(pool, seed=2, stop_at_recall=0.95).order
    assert b.record_id[b.is_prior == 1].tolist() == a.record_id[a.is_prior == 1].tolist()
    pd.testing.assert_frame_equal(a, b)  # the same protocol, loop and step: the same order and scores
    X = sp.csr_matrix(np.eye(4) + 0.1)
    labels = np.array([1, 0, UNLABELLED, UNLABELLED], dtype=np.int8)
    ens = RankEnsemble(members=[{"model": "nb"}], random_state=0).fit([X], labels)
    assert np.array_equal(ens.scores([X], labels), ens.members_[0].scores(X))


def test_the_default_simulation_is_the_interleave_the_sweeps_measured(pool):
    """The default ranker (views word+char) replays exactly as ``RANKERS["interleave"]`` through
    ``simulate_ensemble`` (the sweeps' path): the same order, and scores that are the word
    member's probabilities, with checkpoints."""
    run = run_simulation(pool, seed=3, settings=SimulationSettings(stop_at_recall=0.95))
    b = simulate_ensemble(pool, seed=3, stop_at_recall=0.95, **RANKERS["interleave"]).order
    pd.testing.assert_frame_equal(run.order, b)
    word = run_simulation(pool, seed=3, settings=SimulationSettings(stop_at_recall=0.95, views="word")).order
    assert run.order.record_id.tolist() != word.record_id.tolist()
    scores = run.order.score.dropna()
    assert ((scores > 0) & (scores < 1)).all() and run.checkpoints is not None and len(run.checkpoints)


@pytest.mark.parametrize("adapt", [None, "hedge"])
def test_order_is_a_permutation_reproducible_and_independent_of_row_order(pool, adapt):
    run = simulate_ensemble(pool, seed=4, members=TWO, adapt=adapt)
    a = run.order
    assert sorted(a.record_id) == sorted(pool.record_id) and a.is_prior.tolist()[:2] == [1, 1]
    b = simulate_ensemble(pool, seed=4, members=TWO, adapt=adapt).order
    shuffled = pool.sample(frac=1, random_state=1)
    c = simulate_ensemble(shuffled, seed=4, members=TWO, adapt=adapt,
                          prior_ids=a.record_id[a.is_prior == 1].tolist()).order
    assert a.record_id.tolist() == b.record_id.tolist() == c.record_id.tolist()
    assert len(run.weights) == 2 and np.isclose(sum(run.weights), 1.0) and not a.attrs


def test_hedge_moves_weight_to_the_member_that_ranked_the_found_relevant_records_higher():
    X = sp.csr_matrix(np.eye(6))
    ens = RankEnsemble(members=[{"model": "nb"}, {"model": "nb"}], adapt="hedge", random_state=0)
    labels = np.array([1, 0, UNLABELLED, UNLABELLED, UNLABELLED, UNLABELLED], dtype=np.int8)
    ens.fit([X, X], labels)
    assert ens.weights_.tolist() == [0.5, 0.5]  # nothing found yet: equal weights
    ens.scores([X, X], labels)
    ens.ranks_[:, 2:] = [[0, 1, 2, 3], [3, 2, 1, 0]]  # member 0 put row 2 first, member 1 last
    labels[2] = 1
    ens.fit([X, X], labels)
    w = ens.weights_
    assert w[0] > w[1] and np.isclose(w.sum(), 1)
    assert np.isclose(w[0] / w[1], np.exp(np.log1p(3)))  # eta 1: the ratio of (1 + rank)


def test_step_drives_an_ensemble_as_it_drives_the_learner():
    X = sp.csr_matrix(np.eye(5) + 0.1)
    labels = np.array([1, 0, UNLABELLED, UNLABELLED, UNLABELLED], dtype=np.int8)
    ens = RankEnsemble(members=[{"model": "nb"}, {"model": "nb"}], random_state=0)
    result = step(ens, [X, X], labels, n=None)
    assert sorted(result.queue) == [2, 3, 4] and result.scores.shape == (5,)
    again = step(RankEnsemble(members=[{"model": "nb"}, {"model": "nb"}], random_state=0), [X, X], labels, n=None)
    assert result.queue.tolist() == again.queue.tolist()


def test_combined_scores_are_the_weighted_mean_rank_share_over_unlabelled_rows():
    X = sp.csr_matrix(np.eye(4))
    ens = RankEnsemble(members=[{"model": "nb"}, {"model": "nb"}], random_state=0)
    labels = np.array([1, 0, UNLABELLED, UNLABELLED], dtype=np.int8)
    ens.fit([X, X], labels)
    s = ens.scores([X, X], labels)
    assert s[0] == s[1] == 0 and set(np.round(s[2:], 6)) <= {0.5, 1.0}


def test_best_combination_interleaves_the_members_queues():
    X = sp.csr_matrix(np.eye(6))
    labels = np.array([1, 0, UNLABELLED, UNLABELLED, UNLABELLED, UNLABELLED], dtype=np.int8)
    ens = RankEnsemble(members=[{"model": "nb"}, {"model": "nb"}], combine="best", random_state=0).fit([X, X], labels)
    nb0, nb1 = ens.members_
    nb0.coef_, nb1.coef_ = np.array([0, 0, 4, 3, 2, 1.0]), np.array([0, 0, 1, 3, 2.5, 4.0])  # queues 2,3,4,5 and 5,3,4,2
    nb0.intercept_ = nb1.intercept_ = 0.0
    s = ens.scores([X, X], labels)
    queue = np.argsort(-s[2:], kind="stable") + 2
    # each member's first record comes before either member's second; then each one's second
    assert set(queue[:2]) == {2, 5} and queue[2:].tolist() == [3, 4]
    mean = RankEnsemble(members=[{"model": "nb"}, {"model": "nb"}], random_state=0).fit([X, X], labels)
    mean.members_[0].coef_, mean.members_[1].coef_ = nb0.coef_, nb1.coef_
    mean.members_[0].intercept_ = mean.members_[1].intercept_ = 0.0
    m = mean.scores([X, X], labels)
    assert np.argmax(m[2:]) + 2 == 3  # the mean rank puts the compromise (2nd by both) first instead
    for k, first in ((0.0, {2, 5}), (10.0, {3})):  # reciprocal rank fusion: small k, the tops; large k, agreement
        rrf = RankEnsemble(members=[{"model": "nb"}, {"model": "nb"}], combine="rrf", rrf_k=k, random_state=0)
        rrf.fit([X, X], labels)
        rrf.members_[0].coef_, rrf.members_[1].coef_ = nb0.coef_, nb1.coef_
        rrf.members_[0].intercept_ = rrf.members_[1].intercept_ = 0.0
        r = rrf.scores([X, X], labels)
        assert np.isclose(r[3], 2 * 0.5 / (k + 2)) and np.isclose(r[2], 0.5 / (k + 1) + 0.5 / (k + 4))
        assert set(np.flatnonzero(np.isclose(r, r.max()))) == first
    for combine in ("max_proba", "mean_proba"):  # the members' own scores (probabilities), not their ranks
        pr = RankEnsemble(members=[{"model": "nb"}, {"model": "nb"}], combine=combine, random_state=0)
        pr.fit([X, X], labels)
        pr.members_[0].coef_, pr.members_[1].coef_ = nb0.coef_, nb1.coef_
        pr.members_[0].intercept_ = pr.members_[1].intercept_ = 0.0
        p0, p1 = nb0.scores(X), nb1.scores(X)
        want = np.maximum(p0, p1) if combine == "max_proba" else (p0 + p1) / 2
        got = pr.scores([X, X], labels)
        assert np.allclose(got[2:], want[2:]) and not got[:2].any()  # labelled rows score 0
    run = simulate_ensemble(make_demo_pool(80, random_state=1).drop(columns=["label_abstract_screening"]),
                            seed=3, members=TWO, combine="best")
    assert run.order.record_id.is_unique and len(run.order) == 80


def test_a_member_that_takes_no_criteria_sits_out_of_the_queue_while_the_criteria_count(pool):
    """The interleave's character member gets no criteria row (``"criteria": False``) and sits
    out of the queue while the word member still learns from the criteria (fewer than
    ``criteria_until`` = 3 includes): a criteria cold start is queued by the word member alone.
    From the third include both members count; without criteria nothing changes."""
    members = RANKERS["interleave"]["members"]
    assert [m.get("criteria", True) for m in members] == [True, False]
    Xs, pseudo = member_features(pool, members, pseudo_document="peer support drug addiction qualitative interviews")
    rel = np.flatnonzero(pool.label_included.to_numpy() == 1)
    irr = np.flatnonzero(pool.label_included.to_numpy() == 0)
    labels = np.full(len(pool), UNLABELLED, dtype=np.int8)
    labels[irr[:5]] = 0

    def queues(ens):
        unl = np.flatnonzero(labels == UNLABELLED)
        ordered = unl[np.argsort(-ens.priority(Xs)[unl], kind="stable")].tolist()
        return ordered, unl[np.argsort(-ens.members_[0].scores(Xs[0])[unl], kind="stable")].tolist()

    ens = RankEnsemble(members=members, combine="best", random_state=0)
    for n_rel, word_only in ((0, True), (2, True), (3, False)):
        labels[rel[:n_rel]] = 1
        ens.fit(Xs, labels, pseudo=pseudo)
        queue, by_word = queues(ens)
        assert (queue == by_word) == word_only, n_rel
    assert ens.members_[1].coef_ is not None
    plain = RankEnsemble(members=members, combine="best", random_state=0).fit(Xs, labels)  # no criteria
    labels[rel[1:3]] = UNLABELLED
    plain.fit(Xs, labels)
    queue, by_word = queues(plain)
    assert queue != by_word  # one include, no criteria: both members count
    taking = [{**m, "criteria": True} for m in members]  # a member given the criteria row learns from it at once
    labels[rel[:3]] = UNLABELLED
    both = RankEnsemble(members=taking, combine="best", random_state=0).fit(Xs, labels, pseudo=pseudo)
    assert all(m.coef_ is not None for m in both.members_)
    with pytest.raises(ConfigError, match="criteria must be true or false"):
        RankEnsemble(members=[{"criteria": "no"}]).fit(Xs[:1], labels)


def test_a_weighted_interleave_gives_the_heavier_member_more_of_the_picks():
    X = sp.csr_matrix(np.eye(10))
    labels = np.array([1, 0] + [UNLABELLED] * 8, dtype=np.int8)
    ens = RankEnsemble(members=[{"model": "nb"}, {"model": "nb"}], combine="best", adapt="hedge",
                       random_state=0).fit([X, X], labels)
    nb0, nb1 = ens.members_
    nb0.coef_ = np.array([0, 0, 8, 7, 6, 5, 4, 3, 2, 1.0])  # queue 2, 3, ..., 9
    nb1.coef_ = nb0.coef_[[0, 1, *range(9, 1, -1)]]  # queue 9, 8, ..., 2
    nb0.intercept_ = nb1.intercept_ = 0.0
    ens.loss_ = np.array([0.0, np.log(3.0)])  # weights 3/4 and 1/4: member 1's ranks count 3 times theirs
    assert np.allclose(ens.weights_, [0.75, 0.25])
    s = ens.scores([X, X], labels)
    queue = (np.argsort(-s[2:], kind="stable") + 2).tolist()
    # member 0's places are its ranks / 1.5, member 1's its ranks / 0.5: three picks of 0's for each of 1's
    assert queue[:4] == [2, 9, 3, 4] and queue[4] in (5, 8)
    fixed = RankEnsemble(members=[{"model": "nb"}, {"model": "nb"}], combine="best", weights=[3, 1],
                         random_state=0).fit([X, X], labels)  # the same shares, fixed
    for m, nb in zip(fixed.members_, (nb0, nb1)):
        m.coef_, m.intercept_ = nb.coef_, 0.0
    assert np.allclose(fixed.weights_, [0.75, 0.25])
    assert (np.argsort(-fixed.scores([X, X], labels)[2:], kind="stable") + 2).tolist()[:4] == [2, 9, 3, 4]
    for bad in ([1.0], [1.0, 0.0], [1.0, float("nan")]):
        with pytest.raises(ConfigError, match="weights must be one positive number per member"):
            RankEnsemble(members=[{"model": "nb"}, {"model": "nb"}], weights=bad).fit([X, X], labels)


def test_the_hits_bandit_gives_the_member_whose_picks_were_relevant_more_of_the_picks():
    X = sp.csr_matrix(np.eye(10))
    labels = np.array([1, 0] + [UNLABELLED] * 8, dtype=np.int8)
    ens = RankEnsemble(members=[{"model": "nb"}, {"model": "nb"}], combine="best", adapt="hits", decay=1.0,
                       random_state=0).fit([X, X], labels)
    nb0, nb1 = ens.members_
    nb0.coef_ = np.array([0, 0, 8, 7, 6, 5, 4, 3, 2, 1.0])  # queue 2, 3, ..., 9
    nb1.coef_ = nb0.coef_[[0, 1, *range(9, 1, -1)]]  # queue 9, 8, ..., 2
    nb0.intercept_ = nb1.intercept_ = 0.0
    assert np.allclose(ens.weights_, [0.5, 0.5])  # no picks yet: the prior
    ens.scores([X, X], labels)
    labels[2], labels[9] = 1, 0  # member 0's first pick relevant, member 1's not
    ens._setup()
    ens.members_[0].fit, ens.members_[1].fit = (lambda *a, **k: None), (lambda *a, **k: None)  # keep the queues
    ens.fit([X, X], labels)
    assert ens.hits_.tolist() == [1.0, 0.0] and ens.picks_.tolist() == [1.0, 1.0]
    # posterior means 2/3 and 1/3: member 0's places are its ranks / (4/3), member 1's / (2/3)
    assert np.allclose(ens.weights_, [2 / 3, 1 / 3])
    s = ens.scores([X, X], labels)
    queue = (np.argsort(-s, kind="stable")).tolist()[:3]
    assert queue == [3, 8, 4]  # 3 and 8 tie at place 0; the weighted mean share puts 3 first
    with pytest.raises(ConfigError, match="decay"):
        RankEnsemble(members=[{"model": "nb"}], adapt="hits", decay=0).fit([X], labels)


def test_the_nearest_include_model_scores_by_similarity_to_the_closest_relevant_records():
    X = sp.csr_matrix(np.array([[1, 0, 0], [0, 1, 0], [0.8, 0.6, 0], [0.6, 0.8, 0], [0, 0, 1.0]]))
    labels = np.array([1, 0, UNLABELLED, UNLABELLED, UNLABELLED], dtype=np.int8)
    knn = NearestIncludeRanker().fit(X, labels)
    assert np.allclose(knn.scores(X)[2:], [0.8, 0.6, 0.0])
    labels[3] = 1  # a second include: the mean of the two most similar with k = 2
    assert np.allclose(NearestIncludeRanker(k=2).fit(X, labels).scores(X)[[2, 4]], [(0.8 + 0.96) / 2, 0.0])
    # the irrelevant record's similarity subtracted
    assert np.allclose(NearestIncludeRanker(negative=1.0).fit(X, labels).scores(X)[2], 0.96 - 0.6)
    # before any include, the criteria row stands in; without it, no signal
    none = np.array([0, 0, UNLABELLED, UNLABELLED, UNLABELLED], dtype=np.int8)
    assert np.allclose(NearestIncludeRanker().fit(X, none, pseudo=X[4]).scores(X)[2:], [0, 0, 1])
    assert not NearestIncludeRanker().fit(X, none).scores(X).any()
    assert not NearestIncludeRanker.calibrated
    # k = 1 keeps each row's best similarity and adds only the new includes': the same scores
    rng = np.random.default_rng(0)
    Y = sp.csr_matrix(rng.random((30, 6)) * (rng.random((30, 6)) < 0.5))
    Y = sp.csr_matrix(Y.multiply(1 / np.maximum(sp.linalg.norm(Y, axis=1), 1e-9)[:, None]))
    lab = np.full(30, UNLABELLED, dtype=np.int8)
    kept = NearestIncludeRanker()
    for row in (3, 7, 12):
        lab[row] = 1
        assert np.allclose(kept.fit(Y, lab).scores(Y), NearestIncludeRanker().fit(Y, lab).scores(Y.copy()))
    with pytest.raises(ConfigError, match="k must"):
        NearestIncludeRanker(k=0).fit(X, labels)


def test_a_member_with_every_k_is_refit_every_kth_time_or_after_a_new_relevant_record():
    X = sp.csr_matrix(np.eye(8) + 0.1)
    labels = np.array([1, 0] + [UNLABELLED] * 6, dtype=np.int8)
    ens = RankEnsemble(members=[{"model": "nb"}, {"model": "nb", "every": 3}], combine="best", random_state=0)
    fitted = []
    for k, (row, label) in enumerate([(2, 0), (3, 0), (4, 0), (5, 1), (6, 0)]):
        ens.fit([X, X], labels)
        stale = ens.cache_[1]
        ens.scores([X, X], labels)
        fitted.append(int(ens.fitted_at_[1]))
        assert (ens.cache_[1] is stale) == (fitted[-1] != k)  # a member not refit keeps its last scores
        labels[row] = label
    # fits 0 and 3 are due; fit 4 follows the relevant record labelled after fit 3
    assert fitted == [0, 0, 0, 3, 4] and ens.fitted_at_[0] == 4


def test_a_shortlisted_member_rescores_its_shortlist_between_full_rescorings():
    rng = np.random.default_rng(0)
    X = sp.csr_matrix(rng.random((40, 6)).astype(np.float32))
    labels = np.full(40, UNLABELLED, dtype=np.int8)
    labels[:2] = [1, 0]
    ens = RankEnsemble(members=[{"model": "nb"}, {"model": "nb", "shortlist": 5, "rescore_every": 3}],
                       combine="best", random_state=0)
    scored_rows = []
    for row, label in [(2, 0), (3, 0), (4, 0), (5, 0), (6, 1), (7, 0)]:
        ens.fit([X, X], labels)
        member = ens.members_[1]
        calls = []
        real = member.scores
        member.scores = lambda M, real=real, calls=calls: (calls.append(M.shape[0]), real(M))[1]
        ens.scores([X, X], labels)
        member.scores = real
        scored_rows.append(calls[0])
        s = ens.cache_[1][1]
        top = ens.full_[1][2]
        unl = np.flatnonzero(labels == UNLABELLED)
        rest = np.setdiff1d(unl, top)
        assert s[np.intersect1d(top, unl)].min() > s[rest].max()  # the shortlist leads the member's queue
        labels[row] = label
    # full rescorings at scorings 0 and 3, and at 5, the first after the relevant record of step 4
    assert scored_rows == [40, 5, 5, 40, 5, 40]


@pytest.mark.parametrize("members, match", [
    ([{"features": "glove"}], "unknown feature set 'glove'; choose one of word, char, word_char, wordllama"),
    ([{"model": "bert"}], "unknown model 'bert'; choose one of lr, nb"),
    ([{"modle": "lr"}], "unknown keys modle"),
    ([{"every": 0}], "every must be a whole number >= 1"),
    ([{"shortlist": -1}], "shortlist must be a whole number >= 0"),
    ([{"rescore_every": 0}], "rescore_every must be a whole number >= 1"),
    ([], "at least one"),
])
def test_bad_members_are_one_clear_error(pool, members, match):
    with pytest.raises(ConfigError, match=match):
        simulate_ensemble(pool, members=members)


def test_bad_settings_name_the_parameter():
    with pytest.raises(ConfigError, match="adapt"):
        RankEnsemble(adapt="vote").fit([sp.csr_matrix((2, 2))], np.array([1, 0]))
    with pytest.raises(ConfigError, match="combine must be one of mean, best, rrf, max_proba, mean_proba"):
        RankEnsemble(combine="max").fit([sp.csr_matrix((2, 2))], np.array([1, 0]))
    with pytest.raises(ConfigError, match="eta"):
        RankEnsemble(eta=0).fit([sp.csr_matrix((2, 2))], np.array([1, 0]))
    with pytest.raises(ConfigError, match="rrf_k"):
        RankEnsemble(combine="rrf", rrf_k=-1).fit([sp.csr_matrix((2, 2))], np.array([1, 0]))


def test_registries_and_char_features():
    assert set(FEATURE_SETS) == {"word", "char", "word_char", "wordllama"} and set(MODELS) == {"lr", "nb", "knn"}

    records = pd.DataFrame({"title": ["insulin trial", "peer support"], "abstract": ["", ""]})
    X = CharFeatures(min_df=1).fit_transform(records)
    assert X.shape[0] == 2 and np.allclose(sp.linalg.norm(X, axis=1), 1.0)
    assert CharFeatures().fit_transform(records).shape[0] == 2  # every 4-gram below min_df 2: all are kept
    # other texts in the pool's n-grams and idf: a pool's own texts give its own rows
    pool = make_demo_pool(40, random_state=3)
    char = CharFeatures()
    rows = char.fit_transform(pool)
    again = char.transform(record_text(pool, char.fields).tolist())
    assert again.shape == rows.shape and np.allclose(again.toarray(), rows.toarray(), atol=1e-6)
    assert char.transform(["zzzzqqqq"]).nnz == 0  # unseen n-grams have no column
    with pytest.raises(ConfigError, match="fitted on a pool"):
        CharFeatures().transform(["peer support"])
    both = WordCharFeatures(char_weight=0.25).fit_transform(records)
    word = FEATURE_SETS["word"]().fit_transform(records)
    assert np.allclose(sp.linalg.norm(both, axis=1), 1.0) and both.shape[1] == word.shape[1] + X.shape[1]
    assert np.allclose(both[:, : word.shape[1]].toarray(), np.sqrt(0.75) * word.toarray())
    with pytest.raises(ConfigError, match="char_weight must be between 0 and 1"):
        WordCharFeatures(char_weight=1).fit_transform(records)


def test_a_feature_set_whose_package_is_missing_is_one_line_naming_the_fix(pool, monkeypatch):
    monkeypatch.setitem(sys.modules, "wordllama", None)  # import fails as if not installed
    with pytest.raises(ConfigError, match=r"needs the wordllama package.*pip install wordllama"):
        simulate_ensemble(pool, members=[{"features": "wordllama"}])


def test_wordllama_embeddings_load_from_the_package_without_downloads(monkeypatch):
    pytest.importorskip("wordllama")
    import requests

    def no_network(*args, **kwargs):
        raise AssertionError("tried to download")

    monkeypatch.setattr(requests, "get", no_network)
    X = WordLlamaFeatures().fit_transform(pd.DataFrame({"title": ["insulin trial", "peer support", "insulin dosing"],
                                                        "abstract": ["", "", ""]}))
    assert X.shape == (3, 256) and np.allclose(sp.linalg.norm(X, axis=1), 1.0, atol=1e-5)
    sim = (X @ X.T).toarray()
    assert sim[0, 2] > sim[0, 1]  # the two insulin records are closer to each other


def test_a_pool_without_usable_labels_is_a_clear_error(pool):
    from screener.errors import DataError

    with pytest.raises(DataError, match="no label column 'label_x'"):
        simulate_ensemble(pool, label_column="label_x")
    with pytest.raises(DataError, match="no relevant records"):
        simulate_ensemble(pool.assign(label_included=0))


def test_members_fit_and_score_side_by_side_exactly_as_one_after_the_other(pool, monkeypatch):
    import screener.ensemble as ensemble

    calls = []
    side_by_side = ensemble._side_by_side
    monkeypatch.setattr(ensemble, "_side_by_side", lambda tasks: (calls.append(len(tasks)), side_by_side(tasks)))
    monkeypatch.setattr(ensemble, "_usable_cpus", lambda: 2)
    both = run_simulation(pool, seed=5, settings=SimulationSettings(stop_at_recall=0.9))
    assert max(calls) == 2  # the two members' solvers, and their scorings, ran on two threads
    monkeypatch.setattr(ensemble, "_usable_cpus", lambda: 1)
    serial = run_simulation(pool, seed=5, settings=SimulationSettings(stop_at_recall=0.9))
    pd.testing.assert_frame_equal(both.order, serial.order)
    pd.testing.assert_frame_equal(both.checkpoints, serial.checkpoints)


def test_a_step_of_an_ensemble_without_probabilities_ranks_once():
    X = sp.csr_matrix(np.eye(6) + 0.1)
    labels = np.array([1, 0, UNLABELLED, UNLABELLED, UNLABELLED, UNLABELLED], dtype=np.int8)
    ens = RankEnsemble(members=[{"model": "nb"}, {"model": "nb"}], random_state=0)
    calls = []
    priority = ens.priority
    ens.priority = lambda Xs, labels=None: (calls.append(1), priority(Xs, labels))[1]
    result = step(ens, [X, X], labels, n=1)
    assert len(calls) == 1 and not ens.calibrated  # one ranking, one set of tie-breaking draws
    assert result.scores is result.priority
