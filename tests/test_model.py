import numpy as np
import pytest

from screener.errors import ConfigError
from screener.model import calibrated_proba, class_weights, make_classifier


def test_balanced_weights_give_each_class_the_same_total():
    y = np.array([1] * 3 + [0] * 97)
    w_pos, w_neg = class_weights(y, "balanced")
    assert w_pos * 3 == pytest.approx(w_neg * 97)


def test_numeric_weight_scales_the_relevant_class_total():
    y = np.array([1] * 2 + [0] * 8)
    w_pos, w_neg = class_weights(y, 3.0)
    assert (w_pos * 2) / (w_neg * 8) == pytest.approx(3.0)
    assert w_pos * 2 + w_neg * 8 == pytest.approx(10)  # weights add up to the examples: C keeps its meaning
    assert class_weights(y, 1.0) == pytest.approx(class_weights(y, "balanced"))
    with pytest.raises(ConfigError, match="class_weight"):
        class_weights(y, "heavy")


def test_calibration_undoes_the_class_weighting():
    # equal weights: plain sigmoid; upweighting the relevant class by 9 shifts the logit by log 9
    assert calibrated_proba(np.array([0.0]), 1.0, 1.0)[0] == pytest.approx(0.5)
    assert calibrated_proba(np.array([np.log(9)]), 9.0, 1.0)[0] == pytest.approx(0.5)


def test_bad_C_is_rejected():
    with pytest.raises(ConfigError, match="C must be"):
        make_classifier(C=0)


def test_every_logistic_regression_takes_the_one_default_C():
    from screener.active import ActiveLearner
    from screener.model import DEFAULT_C, DEFAULT_TOL
    from screener.solver import WarmLogisticRegression

    assert make_classifier().C == ActiveLearner().C == WarmLogisticRegression().C == DEFAULT_C
    assert make_classifier().tol == ActiveLearner().tol == WarmLogisticRegression().tol == DEFAULT_TOL
