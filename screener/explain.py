"""Why a record ranks where it does: its terms' shares of a linear model's score.

A linear ranker's margin on a record is ``Σ_j x_j w_j + b``: the record's tf-idf value of each
term times the term's coefficient, plus the intercept. Each product is exactly that term's
share of the margin, so the terms with the largest positive products are the ones that pushed
the record up the queue, and those with the most negative ones held it back. Nothing is
approximated; the shares plus the intercept add up to the margin the queue was ordered by.
(For a linear model this is what SHAP values reduce to under independent features with a zero
baseline: Lundberg & Lee 2017.)

``TermExplainer`` maps feature columns back to their vocabulary terms once per pool; the
terminal session and the browser app both call ``explain``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from screener.errors import ConfigError

DIRECTIONS = ("up", "down", "both")


@dataclass(frozen=True)
class Contribution:
    """One term's share of a record's margin (positive: it pushed the record up)."""

    term: str
    weight: float  # coefficient × the record's tf-idf value of the term
    value: float  # the record's tf-idf value of the term
    coef: float  # the model's coefficient of the term

    def __str__(self) -> str:
        return f"{self.term} {self.weight:+.2f}"


def feature_terms(vocabulary: dict[str, int]) -> np.ndarray:
    """The term of every feature column (``vocabulary_`` inverted: column index → term)."""
    terms = np.empty(len(vocabulary), dtype=object)
    if vocabulary:
        cols = np.fromiter(vocabulary.values(), dtype=np.int64, count=len(vocabulary))
        if cols.min() < 0 or cols.max() >= len(vocabulary) or len(np.unique(cols)) != len(cols):
            raise ConfigError("the vocabulary's column indices must be 0..n-1, each once")
        terms[cols] = list(vocabulary.keys())
    return terms


class TermExplainer:
    """Term contributions of a linear model to one record's margin.

    Parameters
    ----------
    n_terms : how many terms ``explain`` returns per direction.
    direction : ``"up"`` (terms that raised the score), ``"down"`` (that lowered it) or ``"both"``.
    """

    def __init__(self, *, n_terms: int = 5, direction: str = "up"):
        self.n_terms = n_terms
        self.direction = direction

    def _check_params(self) -> None:
        if not isinstance(self.n_terms, (int, np.integer)) or self.n_terms < 1:
            raise ConfigError(f"n_terms must be an integer >= 1, got {self.n_terms!r}")
        if self.direction not in DIRECTIONS:
            raise ConfigError(f"direction must be one of {', '.join(DIRECTIONS)}, got {self.direction!r}")

    def fit(self, vocabulary: dict[str, int]) -> TermExplainer:
        """Learn the column → term map from a fitted vectorizer's ``vocabulary_``."""
        self._check_params()
        self.terms_ = feature_terms(vocabulary)
        return self

    def explain(self, x: sp.spmatrix, coef: np.ndarray | None, *, direction: str | None = None,
                n_terms: int | None = None) -> list[Contribution]:
        """The record's strongest term contributions under ``coef``, strongest first.

        ``x`` is the record's one-row feature matrix, ``coef`` the model's coefficients (``None``
        before there is a model: no contributions). With ``direction="both"`` the terms that
        raised the score come first, then those that lowered it. Ties are broken by the term,
        so the answer does not depend on column order.
        """
        if not hasattr(self, "terms_"):
            raise ConfigError("TermExplainer is not fitted: call fit(vocabulary) first")
        direction = self.direction if direction is None else direction
        n_terms = self.n_terms if n_terms is None else n_terms
        TermExplainer(n_terms=n_terms, direction=direction)._check_params()
        if coef is None:
            return []
        row = sp.csr_matrix(x)
        coef = np.asarray(coef, dtype=np.float64).ravel()
        if row.shape[0] != 1 or row.shape[1] != len(self.terms_) or len(coef) != len(self.terms_):
            raise ConfigError(f"x must be one row of {len(self.terms_)} features and coef as long; "
                              f"got x {row.shape} and coef of {len(coef)}")
        cols = row.indices
        values = row.data.astype(np.float64)
        weights = values * coef[cols]
        out: list[Contribution] = []
        for sign in ((1, -1) if direction == "both" else (1,) if direction == "up" else (-1,)):
            keep = np.flatnonzero(sign * weights > 0)
            order = sorted(keep, key=lambda k: (-sign * weights[k], self.terms_[cols[k]]))[:n_terms]
            out.extend(Contribution(str(self.terms_[cols[k]]), float(weights[k]), float(values[k]),
                                    float(coef[cols[k]])) for k in order)
        return out
