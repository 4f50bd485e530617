"""Inter-rater agreement of two reviewers: raw agreement, Cohen's kappa and PABAK, with counts.

Pure functions over two equally long label sequences (one pair per record both
reviewers voted on). What the labels are is the caller's choice; the team workflow
passes the categories its conflict rules compare (``screener.conflicts.vote_category``:
at title/abstract a 'maybe' counts with 'include', as in Covidence).

- raw agreement: the share of records on which the two agree, p_o.
- Cohen's kappa: (p_o - p_e) / (1 - p_e), p_e the agreement expected from each
  reviewer's own label frequencies (Cohen 1960, "A coefficient of agreement for
  nominal scales"). Computed by ``sklearn.metrics.cohen_kappa_score``; undefined
  (``None``) when p_e = 1 (both reviewers used one and the same label throughout).
- PABAK, the prevalence- and bias-adjusted kappa: (k p_o - 1) / (k - 1) for k
  categories, 2 p_o - 1 for two (Byrt, Bishop and Carlin 1993, "Bias, prevalence and
  kappa"). Kappa is low whenever prevalence is low even at high raw agreement, which
  screening pools always are; PABAK shows that part of the picture.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.metrics import cohen_kappa_score


@dataclass(frozen=True)
class Agreement:
    """Agreement of reviewers ``a`` and ``b`` over ``n`` records both voted on."""

    a: str
    b: str
    categories: tuple[str, ...]
    table: tuple[tuple[int, ...], ...]  # table[i][j]: records a labelled categories[i], b categories[j]
    observed: float | None  # raw agreement p_o (None when n = 0)
    expected: float | None  # chance agreement p_e
    kappa: float | None
    pabak: float | None

    @property
    def n(self) -> int:
        return int(sum(map(sum, self.table)))

    @property
    def n_agree(self) -> int:
        return int(sum(self.table[i][i] for i in range(len(self.categories))))

    def count(self, label_a: str, label_b: str) -> int:
        return self.table[self.categories.index(label_a)][self.categories.index(label_b)]


def agreement(labels_a: Sequence[str], labels_b: Sequence[str], *, a: str = "a", b: str = "b",
              categories: Sequence[str] | None = None) -> Agreement:
    """Raw agreement, Cohen's kappa and PABAK of two reviewers' labels (pairs in any order).

    ``categories`` fixes the table's rows and columns and the k of PABAK (default: the
    labels that occur, sorted); a label outside it raises ``ValueError``.
    """
    x = np.asarray(labels_a, dtype=object)
    y = np.asarray(labels_b, dtype=object)
    if x.shape != y.shape or x.ndim != 1:
        raise ValueError(f"labels_a and labels_b must be two sequences of one length, got {x.shape} and {y.shape}")
    cats = tuple(categories) if categories is not None else tuple(sorted(set(x) | set(y)))
    if len(set(cats)) != len(cats):
        raise ValueError(f"categories must be distinct, got {cats!r}")
    unknown = (set(x) | set(y)) - set(cats)
    if unknown:
        raise ValueError(f"labels {sorted(map(str, unknown))} are not among categories {list(cats)}")
    index = {c: i for i, c in enumerate(cats)}
    table = np.zeros((len(cats), len(cats)), dtype=np.int64)
    np.add.at(table, ([index[v] for v in x], [index[v] for v in y]), 1)
    counts = tuple(tuple(int(v) for v in row) for row in table)
    n = len(x)
    if n == 0:
        return Agreement(a, b, cats, counts, None, None, None, None)
    p_o = float(np.trace(table)) / n
    p_e = float((table.sum(axis=1) / n) @ (table.sum(axis=0) / n))
    kappa = None if np.isclose(p_e, 1.0) else float(cohen_kappa_score(x, y, labels=list(cats)))
    k = max(len(cats), 2)
    pabak = (k * p_o - 1) / (k - 1)
    return Agreement(a, b, cats, counts, p_o, p_e, kappa, float(pabak))
