"""The estimator contract, over every registered stopping rule: constructor arguments stored
unchanged, checked on first use with an error naming the parameter, scikit-learn's
get_params/set_params/clone, and specs that parse and print back to themselves."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone

from screener.errors import ConfigError
from screener.stopping import PRESETS, STOPPING_RULES, as_state, make_rule

RULES = sorted(STOPPING_RULES)

# one spec per rule with every parameter away from its default, in get_params (alphabetical) order
EXAMPLES = {
    "n_in_a_row": "n_in_a_row:n=30",
    "knee": "knee:min_screened=100",
    "budget": "budget:budget_share=0.5,rho=4.0",
    "safe": "safe:min_share=0.2,n=40,random_share=0.02",
    "target": "target:T=12",
    "qbcb": "qbcb:sample_share=0.2",
    "hypergeometric": "hypergeometric:bias=2.0,max_windows=8,min_screened=10",
    "hypergeometric_random": "hypergeometric_random:batch=10,switch_after=30",
    "quant_ci": "quant_ci:z=1.5",
    "point_process": "point_process:finish_share=0.1,fit_from=0.5,ll_drop=4.0,min_run=25",
    "biased_urn": "biased_urn:bias=3.0,check_min=5,check_share=0.02,finish_share=0.1,max_windows=4,min_run=30,"
                  "run_gaps=1.0,run_share=0.05,sparse_run=1.5",
    "screener": "screener:max_windows=4",
}


def state():
    labels = np.r_[np.ones(5, np.int8), np.zeros(60, np.int8)]
    return as_state(labels, 400, scores_unscreened=(0.5, 0.4))


def use(rule):
    st = state()
    rule.sample_request(st)
    return rule.verdict(st)


@pytest.mark.parametrize("name", RULES)
def test_the_constructor_stores_its_arguments_unchanged(name):
    cls = STOPPING_RULES[name]
    params = cls().get_params()
    rule = cls(**{k: "not checked yet" for k in params})  # no logic in the constructor
    assert rule.get_params() == {k: "not checked yet" for k in params}
    assert clone(cls(**params)).get_params() == params


@pytest.mark.parametrize("name", RULES)
def test_a_bad_parameter_is_named_on_first_use(name):
    cls = STOPPING_RULES[name]
    for key in cls().get_params():
        rule = cls(**{key: "bad"})
        with pytest.raises(ConfigError, match=key):
            use(rule)
        with pytest.raises(ValueError, match=key):  # a ConfigError is a ValueError, as scikit-learn raises
            make_rule(f"{name}:{key}=bad")


@pytest.mark.parametrize("name", RULES)
def test_set_params_is_checked_at_the_next_use(name):
    rule = make_rule(name)
    use(rule)
    params = rule.get_params()
    if not params:
        pytest.skip("no parameters")
    key = next(iter(params))
    assert rule.set_params(**{key: "bad"}) is rule
    with pytest.raises(ConfigError, match=key):
        use(rule)
    rule.set_params(**{key: params[key]})
    use(rule)


@pytest.mark.parametrize("spec", sorted({*RULES, *EXAMPLES.values(), *PRESETS, "biased_urn:check_share=0.02"}))
def test_a_spec_prints_back_to_itself(spec):
    rule = make_rule(spec)
    assert str(rule) == spec
    assert make_rule(str(rule)).get_params() == rule.get_params()


def test_examples_cover_every_parameter():
    for name, spec in EXAMPLES.items():
        rule = make_rule(spec)
        defaults = STOPPING_RULES[name]().get_params()
        assert all(rule.get_params()[k] != v for k, v in defaults.items() if k != "share"), spec


def test_a_spec_is_canonical_whatever_its_spelling():
    assert str(make_rule(" knee : min_screened=150 ")) == "knee"  # the default is not spelled out
    assert str(make_rule("hypergeometric:min_screened=10,bias=2")) == "hypergeometric:bias=2,min_screened=10"
    assert str(make_rule("target:T=none")) == "target"
