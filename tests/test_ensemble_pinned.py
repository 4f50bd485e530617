"""Ensemble replays pinned: the digests were computed with ``simulate_ensemble``'s own loop (before
it went through ``simulate.replay_pool`` and ``active.step``, commit 04603bd), so moving it onto
the shared loop changed no order, score or weight.

If a change to the ranker is meant to move these, regenerate the digests and say so in the commit.
The score digests of the ensembles with a logistic-regression member were regenerated when the
scores became that member's probabilities (the queue follows ``priority``): orders and weights
kept their digests.
"""

import hashlib

import pytest

from screener.demo_data import make_demo_pool
from screener.simulate import simulate_ensemble

TWO = [{"features": "word"}, {"features": "char"}]

# case -> (record ids in order, scores, final weights): sha1 prefixes of their text
PINNED = {
    "one_member": (dict(seed=2, stop_at_recall=0.95),
                   ("1cbd46d47257c79e", "51422517a8b405fd", "356a192b7913b04c")),
    "two_equal": (dict(seed=4, members=TWO), ("6a4cc5e16dc11674", "a979d8c1e1c76438", "ca06a3549a702363")),
    "two_hedge": (dict(seed=4, members=TWO, adapt="hedge"),
                  ("f2276c1fb89f11ce", "4ef592a05e658b47", "7aa4224afa6eba61")),
    "lr_nb_follow_the_best": (dict(seed=1, members=[{"features": "word"}, {"features": "word", "model": "nb"}],
                                   adapt="hedge", eta=float("inf"), stop_at_recall=0.9),
                              ("41fd7646b2e21203", "5fbc02c3db77cdc7", "0147c6544ea77a7c")),
}


@pytest.fixture(scope="module")
def pool():
    return make_demo_pool(120, random_state=5).drop(columns=["label_abstract_screening"])


@pytest.mark.parametrize("case", list(PINNED))
def test_ensemble_replay_is_unchanged(pool, case):
    kwargs, digests = PINNED[case]
    run = simulate_ensemble(pool, **kwargs)
    texts = ("\n".join(run.order.record_id.astype(str)),
             "\n".join("%.12g" % s for s in run.order.score),  # noqa: UP031
             "\n".join("%.12g" % w for w in run.weights))  # noqa: UP031
    assert tuple(hashlib.sha1(t.encode()).hexdigest()[:16] for t in texts) == digests
