"""Why a record ranks where it does: its terms' shares of a linear model's score.

A linear ranker's margin on a record is ``Σ_j x_j w_j + b``: the record's tf-idf value of each
term times the term's coefficient, plus the intercept. Each product is exactly that term's
share of the margin, so the terms with the largest positive products are the ones that pushed
the record up the queue, and those with the most negative ones held it back. Nothing is
approximated; the shares plus the intercept add up to the margin the queue was ordered by.
(For a linear model this is what SHAP values reduce to under independent features with a zero
baseline: Lundberg & Lee 2017.)

``TermExplainer`` maps feature columns back to their vocabulary terms once per pool; the
terminal session and the browser app both call ``explain``. ``CharWordExplainer`` does the same
for a model on character n-grams (the interleave's second view), in words.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from screener.errors import ConfigError
from screener.vocabulary import Vocabulary

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


def feature_terms(vocabulary: dict[str, int]) -> Sequence[str]:
    """The term of every feature column (``vocabulary_`` inverted: column index → term). A compact
    ``Vocabulary`` has them in column order already (``terms``), so none is copied out."""
    if isinstance(vocabulary, Vocabulary):
        return vocabulary.terms
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
        checked = self._checked(x, coef, direction, n_terms, len(self.terms_))
        if checked is None:
            return []
        row, coef, direction, n_terms = checked
        cols = row.indices
        values = row.data.astype(np.float64)
        weights = values * coef[cols]
        return _strongest([Contribution(str(self.terms_[c]), float(w), float(v), float(coef[c]))
                           for c, w, v in zip(cols, weights, values)], direction, n_terms)

    def _checked(self, x, coef, direction: str | None, n_terms: int | None, n_features: int):
        """(the record's row, coef as float64, direction, n_terms) once checked; ``None`` without a model."""
        direction = self.direction if direction is None else direction
        n_terms = self.n_terms if n_terms is None else n_terms
        TermExplainer(n_terms=n_terms, direction=direction)._check_params()
        if coef is None:
            return None
        row = sp.csr_matrix(x)
        coef = np.asarray(coef, dtype=np.float64).ravel()
        if row.shape[0] != 1 or row.shape[1] != n_features or len(coef) != n_features:
            raise ConfigError(f"x must be one row of {n_features} features and coef as long; "
                              f"got x {row.shape} and coef of {len(coef)}")
        return row, coef, direction, n_terms


def _strongest(contributions: list[Contribution], direction: str, n_terms: int) -> list[Contribution]:
    """The ``n_terms`` strongest contributions up, or down, or up then down (``both``); ties by the term."""
    out: list[Contribution] = []
    for sign in ((1, -1) if direction == "both" else (1,) if direction == "up" else (-1,)):
        keep = [c for c in contributions if sign * c.weight > 0]
        out.extend(sorted(keep, key=lambda c: (-sign * c.weight, c.term))[:n_terms])
    return out


class CharWordExplainer(TermExplainer):
    """Word shares of a character n-gram model's margin, so the character view explains a rank in
    words a reviewer reads.

    A character n-gram's share (the record's tf-idf value of it × its coefficient) is split
    equally among the record's distinct words that contain it, each word padded with a space on
    either side as ``char_wb`` pads it (``screener.charcounts``); a word's share is the sum of
    its n-grams' parts, so the words' shares add up to the n-grams' (the margin less the
    intercept). Words are shown without the punctuation around them (and merged when that makes
    them equal). Parameters as ``TermExplainer``'s, and the n-gram lengths of the features.
    """

    def __init__(self, *, n_terms: int = 5, direction: str = "up", ngram_range: tuple[int, int] = (4, 4)):
        super().__init__(n_terms=n_terms, direction=direction)
        self.ngram_range = ngram_range

    def fit(self, terms) -> CharWordExplainer:
        """Learn the column of every n-gram from the features' terms (in column order)."""
        self._check_params()
        self.column_ = {str(t): i for i, t in enumerate(terms)}
        return self

    def explain(self, x: sp.spmatrix, coef: np.ndarray | None, text: str, *, direction: str | None = None,
                n_terms: int | None = None) -> list[Contribution]:
        """The words of ``text`` (the record's text, as the features read it) whose n-grams moved
        its margin most under ``coef``, strongest first (``TermExplainer.explain``'s order)."""
        from screener.charcounts import _word_ngrams, _words

        if not hasattr(self, "column_"):
            raise ConfigError("CharWordExplainer is not fitted: call fit(terms) first")
        checked = self._checked(x, coef, direction, n_terms, len(self.column_))
        if checked is None:
            return []
        row, coef, direction, n_terms = checked
        value = dict(zip(row.indices.tolist(), row.data.astype(np.float64).tolist()))
        _, _, words = _words([text])
        owner, grams = _word_ngrams(words, *self.ngram_range)
        holders: dict[int, set[int]] = {}  # column -> the distinct words that contain the n-gram
        for w, g in zip(owner.tolist(), grams.tolist()):
            col = self.column_.get(g)
            if col is not None and col in value:
                holders.setdefault(col, set()).add(w)
        shares: dict[str, list[float]] = {}  # shown word -> [share of the margin, share of the tf-idf values]
        for col, ws in holders.items():
            for w in ws:
                shown = words[w].strip(".,;:!?()[]{}\"'«»“”‘’") or words[w]
                acc = shares.setdefault(shown, [0.0, 0.0])
                acc[0] += value[col] * coef[col] / len(ws)
                acc[1] += value[col] / len(ws)
        return _strongest([Contribution(w, float(sh), float(v), float(sh / v) if v else 0.0)
                           for w, (sh, v) in shares.items()], direction, n_terms)
