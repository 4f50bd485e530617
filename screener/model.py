"""The classifier: a class-weighted logistic regression and its calibrated scores.

``liblinear`` in its dual form is the solver: on bigram TF-IDF with far more
features than labelled records it fits in a few milliseconds, where the default
``lbfgs`` takes hundreds.

``library_versions`` names the libraries a result depends on (benchmark rows and
model files record it); saving and loading models is the project's business
(``screener.project.model_files``).
"""

from __future__ import annotations

import platform

import joblib
import numba
import numpy as np
import pandas as pd
import scipy
import sklearn
from sklearn.linear_model import LogisticRegression

import screener
from screener.errors import ConfigError

# Every logistic regression in screener (the learner's, ``make_classifier``'s, the warm solver's)
# takes its defaults from here, defined once. C = 4: README, "The model and how its defaults were
# chosen". tol: liblinear's eps, scikit-learn's default.
DEFAULT_C = 4.0
DEFAULT_TOL = 1e-4


def make_classifier(*, C: float = DEFAULT_C, tol: float = DEFAULT_TOL,
                    random_state: int | None = None) -> LogisticRegression:
    """The liblinear classifier: L2 logistic regression, liblinear dual solver.

    Class weights are given per fit as sample weights (see ``active``), so that
    the weighting can be undone when scores are calibrated.
    """
    if not C > 0:
        raise ConfigError(f"C must be > 0, got {C!r}")
    return LogisticRegression(C=C, solver="liblinear", dual=True, tol=tol, max_iter=1000, random_state=random_state)


def class_weights(y: np.ndarray, positive_weight: float | str) -> tuple[float, float]:
    """(weight of a relevant example, weight of an irrelevant one).

    A number ``w`` gives the relevant class ``w`` times the irrelevant class's total weight
    (ASReview's ``balanced`` sampler's ``ratio``); ``"balanced"`` is ``w = 1``, scikit-learn's
    rule. Either way the weights add up to the number of examples, so that ``C`` means the
    same at every class weight.
    """
    n_pos = max(int((y == 1).sum()), 1)
    n_neg = max(int((y == 0).sum()), 1)
    n = n_pos + n_neg
    if positive_weight == "balanced":
        w = 1.0
    else:
        try:
            w = float(positive_weight)
        except (TypeError, ValueError):
            raise ConfigError(f"class_weight must be 'balanced' or a number, got {positive_weight!r}") from None
        if not w > 0:
            raise ConfigError(f"class_weight must be > 0, got {w!r}")
    w_neg = n / ((w + 1) * n_neg)
    return w * n_neg / n_pos * w_neg, w_neg


def calibrated_proba(margins: np.ndarray, w_pos: float, w_neg: float) -> np.ndarray:
    """Probabilities of relevance from the weighted model's margins.

    Weighting the classes multiplies the fitted odds by ``w_pos / w_neg``; dividing
    it back out (a shift of the logit) makes scores comparable across models fit
    on different label counts (the prior-shift correction of Saerens et al. 2002).
    """
    z = margins - np.log(w_pos / w_neg)
    return 1.0 / (1.0 + np.exp(-np.clip(z, -40, 40)))


# --- versions ------------------------------------------------------------------------------

def library_versions() -> dict[str, str]:
    return {
        "screener": screener.__version__,
        "scikit-learn": sklearn.__version__,
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "pandas": pd.__version__,
        "joblib": joblib.__version__,
        "numba": numba.__version__,
        "python": platform.python_version(),
    }
