"""Contract tests over every registered query strategy, plus each strategy's own behaviour."""

import numpy as np
import pytest

from screener.errors import ConfigError
from screener.query import QUERY_STRATEGIES, make_query_strategy


@pytest.mark.parametrize("name", sorted(QUERY_STRATEGIES))
@pytest.mark.parametrize("n", [1, 5, 40])
def test_selection_is_distinct_positions_reproducible_and_pure(name, n):
    scores = np.random.default_rng(0).random(40)
    before = scores.copy()
    a = make_query_strategy(name).select(scores, n, np.random.default_rng(1))
    b = make_query_strategy(name).select(scores, n, np.random.default_rng(1))
    assert len(a) == n and len(set(a.tolist())) == n
    assert set(a.tolist()) <= set(range(40))
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(scores, before)


def test_max_picks_highest_and_breaks_ties_at_random():
    scores = np.array([0.1, 0.9, 0.9, 0.9, 0.2])
    firsts = {int(make_query_strategy("max").select(scores, 1, np.random.default_rng(s))[0]) for s in range(30)}
    assert firsts == {1, 2, 3}
    full = make_query_strategy("max").select(scores, 5, np.random.default_rng(0))
    assert set(full[:3].tolist()) == {1, 2, 3} and full[3] == 4 and full[4] == 0


def test_uncertainty_picks_closest_to_half():
    scores = np.array([0.05, 0.45, 0.97, 0.6])
    assert make_query_strategy("uncertainty").select(scores, 2, np.random.default_rng(0)).tolist() == [1, 3]


def test_max_random_mixes_in_random_picks_at_the_given_share():
    scores = np.linspace(0, 1, 1000)
    strategy = make_query_strategy("max_random", random_share=0.3)
    picks = strategy.select(scores, 200, np.random.default_rng(0))
    top = set(np.argsort(-scores)[:200].tolist())
    share_random = np.mean([p not in top for p in picks])
    assert 0.15 < share_random < 0.45
    assert make_query_strategy("max_random", random_share=0.0).select(scores, 3, np.random.default_rng(0)).tolist() == [999, 998, 997]


def test_bad_names_and_parameters_are_config_errors():
    with pytest.raises(ConfigError, match="unknown query strategy"):
        make_query_strategy("nope")
    with pytest.raises(ConfigError, match="random_share"):
        make_query_strategy("max_random", random_share=1.5).select(np.ones(3), 1, np.random.default_rng(0))


@pytest.mark.parametrize("name", sorted(QUERY_STRATEGIES))
def test_strategies_are_scikit_learn_estimators(name):
    from sklearn.base import clone

    strategy = make_query_strategy(name)
    assert clone(strategy).get_params() == strategy.get_params()
    with pytest.raises(ConfigError, match="no parameter bogus"):
        make_query_strategy(name, bogus=1)
