"""Rankers combined: several models, each on its own features, merged by rank and weighted online.

No single model ranks best on every review (issue 11: per pool the models differ by −27% to
+105%). ``RankEnsemble`` fits each member on the reviewer's labels, turns each member's scores
into ranks over the unscreened records, and orders the queue by the weighted mean rank (Borda
count; rank fusion needs no calibration across models of different kinds).

With ``combine="best"`` a record's place is its best rank over the members (ties by the mean):
the members' queues interleaved, so a record any one member puts k-th is read within about the
first ``k × members``. On the shared pools this is what made two views pay (README, "Ranker
candidates chosen out of fold"): the mean rank buries a record that only one view ranks high.

A member with ``"criteria": False`` (the interleave's character member) learns from no criteria
row and sits out of the queue while the other members still learn from the criteria (until
``criteria_until`` includes): a criteria cold start is queued by the word member alone, since a
character view of prose criteria is a weak example (README, "Criteria cold start").

With ``adapt="hedge"`` the weights follow the review at hand: when a record turns out relevant,
each member is charged ``log(1 + its rank of that record)`` at the time it was picked, and
``w_m ∝ exp(−eta · L_m)``. That is the posterior over members if each one picks records with
probability ∝ 1/(1 + rank) (Zipf), the exponential-weights rule of prediction with expert
advice (Cesa-Bianchi & Lugosi 2006, ch. 2); it needs no held-out labels, since every record the
reviewer labels was unseen by the members when they ranked it.

Feature sets (``FEATURE_SETS``): ``word``, screener's TF-IDF word 1-2 grams; ``char``, TF-IDF of
character 4-grams within words (``screener.charcounts``); ``word_char``, both in one matrix; ``wordllama``, static word embeddings from that package, if installed. Models (``MODELS``): ``lr``, screener's learner
(``ActiveLearner``: warm-started logistic regression with the presumed-irrelevant sample); ``nb``,
multinomial naive Bayes (ASReview's former default; ``alpha`` 3.822 as in ASReview).

The interleave (``RANKERS["interleave"]``: the default learner on ``word`` and on ``char`` at
C = 1, ``combine="best"``) is screener's default ranker since issue 11: ``screener.settings``
builds it (``views="word+char"``) with ``ViewFeatures`` for simulations, sessions and
``screener rank`` alike. Its ``scores`` are the word member's probabilities (what stopping advice
sums and a reviewer sees); its queue follows ``priority``.

A ``RankEnsemble`` is a learner as ``active.step`` drives one (``fit``, ``scores``, ``priority``,
``select``, ``ranking``; its ``X`` is one matrix per member), so ``screener.simulate.simulate_ensemble`` replays a labelled pool
through ``screener.simulate``'s own protocol and loop (``replay_pool``: its priors, the seeded
shuffle of the pool in record-id order, ``active.step`` once per record), for
``benchmarks/sweep_cv.py``; a one-member ensemble ranks by that member's own scores.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.naive_bayes import MultinomialNB

from screener.active import UNLABELLED, ActiveLearner, QueueSelection
from screener.charcounts import count_char_ngrams, smooth_idf, tfidf_rows
from screener.errors import ConfigError
from screener.features import DEFAULT_FIELDS, TextFeatures, record_text
from screener.query import make_query_strategy
from screener.seeding import check_random_state


class CharFeatures:
    """TF-IDF of character n-grams inside word boundaries (scikit-learn's ``char_wb``; sublinear tf,
    l2 rows, float32), counted per distinct word by ``screener.charcounts`` (the same matrix as
    ``TfidfVectorizer``'s, to float32 rounding, several times faster and in bounded memory)."""

    def __init__(self, *, ngram_range: tuple[int, int] = (4, 4), min_df: float = 2, max_df: float = 0.95,
                 fields: tuple[str, ...] = DEFAULT_FIELDS):
        self.ngram_range = ngram_range
        self.min_df = min_df
        self.max_df = max_df
        self.fields = fields

    def fit_transform(self, records: pd.DataFrame) -> sp.csr_matrix:
        texts = record_text(records, tuple(self.fields)).tolist()
        try:
            counts, self.terms_ = count_char_ngrams(texts, ngram_range=tuple(self.ngram_range), min_df=self.min_df,
                                                    max_df=self.max_df)
        except ValueError:  # a tiny pool: every n-gram below min_df
            counts, self.terms_ = count_char_ngrams(texts, ngram_range=tuple(self.ngram_range))
        self.idf_ = smooth_idf(counts)
        return tfidf_rows(counts, idf=self.idf_)

    def transform(self, documents: Sequence[str]) -> sp.csr_matrix:
        """Rows for other texts (a criteria pseudo-document) in the pool's n-grams and idf weights."""
        if not hasattr(self, "idf_"):
            raise ConfigError("character features must be fitted on a pool before they transform other texts")
        counter = CountVectorizer(analyzer="char_wb", ngram_range=tuple(self.ngram_range), strip_accents="unicode",
                                  vocabulary={t: i for i, t in enumerate(self.terms_)}, dtype=np.int32)
        return tfidf_rows(counter.transform(list(documents)).tocsr(), idf=self.idf_)


    def settings(self) -> dict:
        """The parameters that decide the matrix, JSON-able."""
        return {"ngram_range": list(self.ngram_range), "min_df": self.min_df, "max_df": self.max_df,
                "fields": list(self.fields)}


class ViewFeatures:
    """The records in two views, one matrix each: ``word`` (``TextFeatures``, 1-2 grams) and
    ``char`` (``CharFeatures``, 4-grams within words, over the same fields). What the interleave
    ranks on (``screener.settings.RankerSettings``, ``views="word+char"``); the word view's
    vocabulary names the terms that explain a rank (``vectorizer_``)."""

    def __init__(self, word: TextFeatures | None = None, char: CharFeatures | None = None):
        self.word = word if word is not None else TextFeatures()
        self.char = char if char is not None else CharFeatures(fields=tuple(self.word.fields))

    def fit_transform(self, records: pd.DataFrame) -> list[sp.csr_matrix]:
        # The character view first: while it is counted, the word view's vocabulary (millions of
        # terms at 100,000 records, kept for explanations and the model file) does not exist yet.
        char = self.char.fit_transform(records)
        return [self.word.fit_transform(records), char]

    def transform(self, documents: Sequence[str]) -> list[sp.csr_matrix]:
        """Each view's rows for other texts (a criteria pseudo-document), in the pool's columns."""
        return [self.word.transform(list(documents)), self.char.transform(list(documents))]

    @property
    def vectorizer_(self):
        return self.word.vectorizer_

    def settings(self) -> dict:
        return {"word": self.word.settings(), "char": self.char.settings()}


class WordCharFeatures:
    """Word 1-2 grams and character 4-grams side by side in one matrix (each block's rows scaled
    by 1/sqrt(2), so every row keeps unit length): one model over both views."""

    def __init__(self, *, char_weight: float = 0.5, fields: tuple[str, ...] = DEFAULT_FIELDS):
        self.char_weight = char_weight
        self.fields = fields

    def fit_transform(self, records: pd.DataFrame) -> sp.csr_matrix:
        if not 0 < self.char_weight < 1:
            raise ConfigError(f"char_weight must be between 0 and 1, got {self.char_weight!r}")
        word = TextFeatures(fields=tuple(self.fields)).fit_transform(records)
        char = CharFeatures(fields=tuple(self.fields)).fit_transform(records)
        w = np.float32(np.sqrt(1 - self.char_weight))
        c = np.float32(np.sqrt(self.char_weight))
        return sp.hstack([word * w, char * c], format="csr", dtype=np.float32)


class WordLlamaFeatures:
    """Static word embeddings (WordLlama ``l2_supercat``, mean-pooled, l2-normalised), as a dense-in-CSR matrix.

    The weights are the 16 MB shipped inside the ``wordllama`` package and are loaded with
    downloads disabled: nothing is fetched at run time. The package is not a dependency of
    screener (its weights derive from Llama 2's token embeddings: README, "Ranker candidates").
    """

    def __init__(self, *, dim: int = 256, fields: tuple[str, ...] = DEFAULT_FIELDS):
        self.dim = dim
        self.fields = fields

    def fit_transform(self, records: pd.DataFrame) -> sp.csr_matrix:
        try:
            import wordllama
            from wordllama import WordLlama
        except ImportError:
            raise ConfigError("feature set 'wordllama' needs the wordllama package, which is not installed: "
                              "pip install wordllama (or choose the feature set word or char)") from None
        try:
            # The package's own folder as the "cache": its loader looks for the tokenizer in a
            # tokenizer/ folder beside it, but ships it in tokenizers/, which it finds there.
            model = WordLlama.load(dim=self.dim, cache_dir=Path(wordllama.__file__).parent, disable_download=True)
        except (FileNotFoundError, ValueError) as exc:
            raise ConfigError(f"feature set 'wordllama': the installed package has no {self.dim}-dimensional "
                              f"weights ({exc}); use dim=256") from None
        texts = record_text(records, tuple(self.fields)).tolist()
        return sp.csr_matrix(np.asarray(model.embed(texts, norm=True), dtype=np.float32))


FEATURE_SETS: dict[str, type] = {"word": TextFeatures, "char": CharFeatures, "word_char": WordCharFeatures,
                                  "wordllama": WordLlamaFeatures}


class NaiveBayesRanker:
    """Multinomial naive Bayes on the labelled rows, with ``ActiveLearner``'s fit/margins/scores."""

    calibrated = False  # naive Bayes' posteriors are notoriously overconfident

    def __init__(self, *, alpha: float = 3.822, random_state=None):
        self.alpha = alpha
        self.random_state = random_state

    def fit(self, X: sp.csr_matrix, labels: np.ndarray, *, pseudo: sp.csr_matrix | None = None) -> NaiveBayesRanker:
        if not self.alpha > 0:
            raise ConfigError(f"alpha must be > 0, got {self.alpha!r}")
        rows = np.flatnonzero(labels >= 0)
        y = labels[rows]
        if pseudo is not None and (y == 1).sum() == 0:
            Xt, y = sp.vstack([X[rows], pseudo], format="csr"), np.append(y, 1)
        else:
            Xt = X[rows]
        if len(np.unique(y)) < 2:
            self.coef_ = None
            return self
        nb = MultinomialNB(alpha=self.alpha).fit(Xt, y)
        self.coef_ = (nb.feature_log_prob_[1] - nb.feature_log_prob_[0]).astype(X.dtype)
        self.intercept_ = float(nb.class_log_prior_[1] - nb.class_log_prior_[0])
        return self

    def margins(self, X: sp.csr_matrix) -> np.ndarray:
        if getattr(self, "coef_", None) is None:
            return np.zeros(X.shape[0])
        return X @ self.coef_ + self.intercept_

    def scores(self, X: sp.csr_matrix) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-np.clip(self.margins(X), -40, 40)))


class NearestIncludeRanker:
    """Each record's mean cosine similarity to its ``k`` most similar relevant records (rows are
    l2-normalised, so a dot product): relevance feedback by example, which finds the near
    neighbours of a single include that a linear model over all the includes ranks low.

    ``negative`` > 0 subtracts that share of the mean similarity to the ``k`` most similar
    irrelevant records. Before the first relevant record, the criteria row (``pseudo``) stands in.
    """

    calibrated = False  # similarities, not probabilities

    def __init__(self, *, k: int = 1, negative: float = 0.0, random_state=None):
        self.k = k
        self.negative = negative
        self.random_state = random_state

    def fit(self, X: sp.csr_matrix, labels: np.ndarray, *, pseudo: sp.csr_matrix | None = None,
            ) -> NearestIncludeRanker:
        if not (isinstance(self.k, (int, np.integer)) and self.k >= 1):
            raise ConfigError(f"k must be a whole number >= 1, got {self.k!r}")
        pos = np.flatnonzero(labels == 1)
        self.relevant_ = X[pos] if len(pos) else pseudo
        self.irrelevant_ = X[np.flatnonzero(labels == 0)] if self.negative > 0 else None
        last = getattr(self, "nearest_", None)  # k = 1: (matrix, includes, their max similarity), updated by the new
        if self.k == 1 and len(pos) and last is not None and last[0] is X and np.isin(last[1], pos).all():
            new = np.setdiff1d(pos, last[1])
            best = last[2] if not len(new) else np.maximum(last[2], (X @ X[new].T).toarray().max(axis=1))
            self.nearest_ = (X, pos, best)
        elif self.k == 1 and len(pos):
            self.nearest_ = (X, pos, self._top_mean(X, self.relevant_))
        else:
            self.nearest_ = None
        return self

    def _top_mean(self, X: sp.csr_matrix, R: sp.csr_matrix | None) -> np.ndarray:
        if R is None or R.shape[0] == 0:
            return np.zeros(X.shape[0])
        sims = (X @ R.T).toarray()
        k = min(int(self.k), sims.shape[1])
        if k == 1:
            return sims.max(axis=1)
        return np.partition(sims, sims.shape[1] - k, axis=1)[:, -k:].mean(axis=1)

    def scores(self, X: sp.csr_matrix) -> np.ndarray:
        nearest = getattr(self, "nearest_", None)
        s = nearest[2] if nearest is not None and nearest[0] is X else self._top_mean(X, self.relevant_)
        if self.irrelevant_ is not None:
            s = s - self.negative * self._top_mean(X, self.irrelevant_)
        return s


MODELS: dict[str, type] = {"lr": ActiveLearner, "nb": NaiveBayesRanker, "knn": NearestIncludeRanker}
# Named ensembles for ``screener simulate --ranker``: ``interleave`` is the candidate every fold of
# the pool-grouped cross-validation chose (README, "Ranker candidates chosen out of fold"): the
# default learner on word 1-2 grams and on character 4-grams (at C = 1), queues interleaved.
RANKERS: dict[str, dict] = {
    "interleave": {"members": [{"features": "word"}, {"features": "char", "params": {"C": 1.0}, "criteria": False}],
                   "combine": "best"},
}


def interleave(learner: dict | None = None, *, query: str = "max", random_state=None) -> RankEnsemble:
    """The default ranker: ``RANKERS["interleave"]``, each member's learner with ``learner``'s
    parameters (the character member at its own C), queued by ``query``."""
    spec = RANKERS["interleave"]
    params = dict(learner or {})
    members = [{**m, "params": {**params, **m.get("params", {})}} for m in spec["members"]]
    return RankEnsemble(members=members, combine=spec["combine"], query=query, random_state=random_state)


MEMBER_KEYS = ("features", "model", "params", "every", "shortlist", "rescore_every", "criteria")
ADAPT = (None, "hedge", "hits")
COMBINE = ("mean", "best", "rrf", "max_proba", "mean_proba")


_POOL: tuple[int, ThreadPoolExecutor] | None = None  # (process id, threads): made in the process that uses it


def _usable_cpus() -> int:
    """The CPUs this process may run on (its affinity, e.g. under ``taskset``), else the machine's."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _side_by_side(tasks: Sequence) -> None:
    """Run ``tasks`` (callables with no result) on up to two threads: the members' solvers and
    sparse products release the GIL, so two members fit and score in about the time of one on
    two cores. Each task touches only its own member's state, so the result is that of running
    them in turn. One task, or one core, runs inline."""
    global _POOL
    if len(tasks) < 2 or _usable_cpus() < 2:
        for task in tasks:
            task()
        return
    if _POOL is None or _POOL[0] != os.getpid():
        _POOL = (os.getpid(), ThreadPoolExecutor(max_workers=2, thread_name_prefix="screener-member"))
    futures = [_POOL[1].submit(task) for task in tasks[1:]]
    tasks[0]()
    for f in futures:
        f.result()


def _check_members(members: Sequence[dict]) -> None:
    if not members:
        raise ConfigError("members must name at least one model")
    for m in members:
        unknown = set(m) - set(MEMBER_KEYS)
        if unknown:
            raise ConfigError(f"a member has unknown keys {', '.join(sorted(unknown))}; use {', '.join(MEMBER_KEYS)}")
        for key, low in (("every", 1), ("shortlist", 0), ("rescore_every", 1)):
            v = m.get(key, low)
            if not (isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v >= low):
                raise ConfigError(f"a member's {key} must be a whole number >= {low}, got {v!r}")
        if not isinstance(m.get("criteria", True), bool):
            raise ConfigError(f"a member's criteria must be true or false, got {m.get('criteria')!r}")
        if m.get("features", "word") not in FEATURE_SETS:
            raise ConfigError(f"unknown feature set {m.get('features')!r}; choose one of {', '.join(FEATURE_SETS)}")
        if m.get("model", "lr") not in MODELS:
            raise ConfigError(f"unknown model {m.get('model')!r}; choose one of {', '.join(MODELS)}")


class RankEnsemble(QueueSelection):
    """Members (feature set, model, settings) fitted on the same labels, queued by weighted mean rank.

    Parameters
    ----------
    members : dicts ``{"features": "word", "model": "lr", "params": {...}, "every": 1, "criteria": True}``
        (``criteria``: whether the member learns from a criteria row; see the module docstring). A member
        with ``every`` k > 1 is refit and rescored only at every k-th fit, or at the first fit after
        a new relevant record; in between its last scores rank the unscreened records (a costly
        view kept at a fraction of its cost). A member with ``shortlist`` M > 0 is refit as usual
        but rescores every row only at every ``rescore_every``-th scoring (8 by default) or after
        a new relevant record; in between it rescores only its shortlist, the M unscreened rows
        it ranked highest at its last full rescoring, and queues them first, by their new scores,
        the other rows after them in their last order (scoring is the cost that grows with the
        pool; a record rarely climbs from beyond the shortlist to the top within a few labels).
    adapt : ``None`` (equal weights) or ``"hedge"`` (weights from each member's ranks of the
        relevant records found so far, see the module docstring).
    combine : ``"mean"``, the weighted mean rank (Borda); ``"rrf"`` (see ``rrf_k``);
        ``"max_proba"``/``"mean_proba"``, the highest / weighted mean of the members' own scores
        (probabilities, for calibrated members: the queue follows the more confident one); or ``"best"``, each record's best rank
        over the members (ties by the weighted mean), which interleaves the members' queues: a
        record one member puts k-th is read within the first ``k × members`` records. With
        weights (``adapt``), a member's ranks are divided by ``members × its weight``: the
        interleave gives a member a share of the picks in proportion to its weight.
    eta : the hedge's learning rate per relevant record (``inf``: follow the best member so far).
    decay : for ``adapt="hits"``, the discount per labelled record of each member's counts of
        the records it picked and of those that were relevant (its weight is the posterior mean
        hit rate, Beta(1, 1) prior, of the records it picked: a bandit over the members' queues).
    rrf_k : for ``combine="rrf"`` (reciprocal rank fusion, Cormack, Clarke & Büttcher 2009), a
        record's score is the weighted sum of ``1 / (rrf_k + 1 + rank)`` over members: between
        the mean and the best rank, a small ``rrf_k`` rewards one member's top places, a large one
        agreement.
    weights : fixed weights, one per member (normalised; equal by default), when ``adapt`` is None.
    query : the query strategy applied to the combined score.
    random_state : seed or generator; the members draw from it in turn.
    """

    def __init__(self, *, members: Sequence[dict] = ({"features": "word", "model": "lr"},), adapt: str | None = None,
                 eta: float = 1.0, decay: float = 0.98, combine: str = "mean", query: str = "max",
                 rrf_k: float = 10.0, weights: Sequence[float] | None = None, random_state=None):
        self.members = members
        self.weights = weights
        self.decay = decay
        self.rrf_k = rrf_k
        self.adapt = adapt
        self.combine = combine
        self.eta = eta
        self.query = query
        self.random_state = random_state

    def _setup(self) -> None:
        if hasattr(self, "rng_"):
            return
        _check_members(self.members)
        if self.adapt not in ADAPT:
            raise ConfigError(f"adapt must be one of {', '.join(map(str, ADAPT))}, got {self.adapt!r}")
        if self.combine not in COMBINE:
            raise ConfigError(f"combine must be one of {', '.join(COMBINE)}, got {self.combine!r}")
        if not self.eta > 0:
            raise ConfigError(f"eta must be > 0, got {self.eta!r}")
        if self.weights is not None and (len(self.weights) != len(self.members)
                                         or not all(np.isfinite(w) and w > 0 for w in self.weights)):
            raise ConfigError(f"weights must be one positive number per member, got {self.weights!r}")
        if not self.rrf_k >= 0:
            raise ConfigError(f"rrf_k must be >= 0, got {self.rrf_k!r}")
        if not 0 < self.decay <= 1:
            raise ConfigError(f"decay must be in (0, 1], got {self.decay!r}")
        self.rng_ = check_random_state(self.random_state)
        self.query_ = make_query_strategy(self.query)
        self.members_ = [MODELS[m.get("model", "lr")](**{**m.get("params", {}), "random_state": self.rng_})
                         for m in self.members]
        self.loss_ = np.zeros(len(self.members_))
        self.hits_ = np.zeros(len(self.members_))  # adapt="hits": discounted relevant picks, and picks
        self.picks_ = np.zeros(len(self.members_))
        self.n_fits_ = 0
        self.fitted_at_ = np.full(len(self.members_), -1)  # each member's last fit, and its relevant count then
        self.relevant_at_ = np.full(len(self.members_), -1)
        self.cache_: list[tuple | None] = [None] * len(self.members_)  # (matrix, member's scores of its rows)
        self.full_: list[tuple | None] = [None] * len(self.members_)  # shortlists: see _shortlisted
        self.n_scorings_ = 0
        self.criteria_phase_ = False  # whether the last fit learnt from the criteria row (see _live_weights)
        self.ranks_ = None  # each member's rank of every row at the last scoring (unlabelled rows only)

    @property
    def calibrated(self) -> bool:
        """Whether ``scores`` are probabilities of relevance: when a member is a calibrated model
        without a shortlist (``scores`` are then its own); otherwise they are rank shares."""
        return self._proba_member() is not None

    @property
    def coef_(self) -> np.ndarray | None:
        """The weights of the member whose probabilities are the scores (its features explain a rank)."""
        i = self._proba_member()
        return None if i is None or not hasattr(self, "members_") else getattr(self.members_[i], "coef_", None)

    def settings(self) -> dict:
        """The parameters that decide a ranking, JSON-able: each member's resolved (its model's
        ``settings()`` where it has one), and the ensemble's own (no ``random_state``)."""
        members = []
        for m in self.members:
            model = MODELS[m.get("model", "lr")](**m.get("params", {}))
            params = model.settings() if hasattr(model, "settings") else {
                k: v for k, v in vars(model).items() if k != "random_state"}
            members.append({"features": m.get("features", "word"), "model": m.get("model", "lr"), "params": params,
                            **{k: m[k] for k in ("every", "shortlist", "rescore_every", "criteria") if k in m}})
        return {"members": members, "adapt": self.adapt, "eta": self.eta, "decay": self.decay,
                "combine": self.combine, "query": self.query, "rrf_k": self.rrf_k,
                "weights": None if self.weights is None else [float(w) for w in self.weights]}

    @property
    def weights_(self) -> np.ndarray:
        if self.adapt == "hits":
            w = (self.hits_ + 1) / (self.picks_ + 2)
            return w / w.sum()
        if self.adapt is None and self.weights is not None:
            w = np.asarray(self.weights, dtype=float)
            return w / w.sum()
        if self.adapt is None or not self.loss_.any():
            return np.full(len(self.loss_), 1 / len(self.loss_))
        if math.isinf(self.eta):
            w = (self.loss_ == self.loss_.min()).astype(float)
        else:
            w = np.exp(-self.eta * (self.loss_ - self.loss_.min()))
        return w / w.sum()

    def fit(self, Xs: Sequence[sp.csr_matrix], labels: np.ndarray, *, pseudo: Sequence | None = None) -> RankEnsemble:
        """Charge the members for the relevant records labelled since the last scoring, then refit each.

        ``Xs`` is one feature matrix per member (``pseudo``, if given, one criteria row per member).
        """
        self._setup()
        labels = np.asarray(labels)
        self.labels_ = labels.copy()  # the rows ``scores`` ranks: those unlabelled at this fit
        if len(Xs) != len(self.members_):
            raise ConfigError(f"{len(self.members_)} members but {len(Xs)} feature matrices")
        if self.ranks_ is not None:
            found = np.flatnonzero((self.ranks_[0] >= 0) & (labels == 1))
            if len(found):
                self.loss_ += np.log1p(self.ranks_[:, found]).sum(axis=1)
            if self.adapt == "hits":
                self._credit_picks(labels)
        n_relevant = int((labels == 1).sum())
        solves = []
        for i, (member, X) in enumerate(zip(self.members_, Xs)):
            every = int(self.members[i].get("every", 1))
            if every > 1 and self.cache_[i] is not None and self.n_fits_ % every and n_relevant == self.relevant_at_[i]:
                continue  # not due: its last scores stand
            row = None if pseudo is None or not self.members[i].get("criteria", True) else pseudo[i]
            if hasattr(member, "fit_begin"):  # its draws now, in member order; its solver below
                solve = member.fit_begin(X, labels, pseudo=row)
                if solve is not None:
                    solves.append(solve)
            else:
                member.fit(X, labels, pseudo=row)
            self.fitted_at_[i], self.relevant_at_[i] = self.n_fits_, n_relevant
            self.cache_[i] = None
        _side_by_side(solves)
        self.criteria_phase_ = pseudo is not None and any(
            getattr(member, "used_criteria_", False) for member, m in zip(self.members_, self.members)
            if m.get("criteria", True))
        self.n_fits_ += 1
        return self

    def _credit_picks(self, labels: np.ndarray) -> None:
        """Credit each record labelled since the last scoring to the member(s) whose weighted place
        put it first (shared among ties), with its label; older counts discounted per record."""
        picked = np.flatnonzero((self.ranks_[0] >= 0) & (labels != UNLABELLED))
        if not len(picked):
            return
        place = self._places(self.ranks_[:, picked])
        credit = (place == place.min(axis=0)).astype(float)
        credit /= credit.sum(axis=0)
        for j in np.argsort(place.min(axis=0), kind="stable"):  # in the order they were queued
            self.hits_ *= self.decay
            self.picks_ *= self.decay
            self.hits_ += credit[:, j] * (labels[picked[j]] == 1)
            self.picks_ += credit[:, j]

    def _member_scores(self, i: int, X: sp.csr_matrix, labels: np.ndarray) -> np.ndarray:
        if self.cache_[i] is None or self.cache_[i][0] is not X:  # scores of these very rows only
            shortlist = int(self.members[i].get("shortlist", 0))
            self.cache_[i] = (X, self._shortlisted(i, X, labels) if shortlist else self.members_[i].scores(X))
        return self.cache_[i][1]

    def scores(self, Xs: Sequence[sp.csr_matrix], labels: np.ndarray | None = None) -> np.ndarray:
        """Every row's probability of relevance, from the first member whose scores are
        probabilities (the word model of the interleave; ``calibrated``): what stopping advice
        sums and a reviewer is shown. The queue follows ``priority``. An ensemble without such a
        member scores by its ``priority``.
        """
        self._setup()
        i = self._proba_member()
        if i is None:  # the priority this fit already gave for these matrices (``step`` asks for it first)
            last = getattr(self, "last_priority_", None)
            if labels is None and last is not None and last[0] == self.n_fits_ and all(
                    a is b for a, b in zip(last[1], Xs)):
                return last[2]
            return self.priority(Xs, labels)
        labels = getattr(self, "labels_", None) if labels is None else np.asarray(labels)
        return self._member_scores(i, Xs[i], labels)

    def _proba_member(self) -> int | None:
        for i, m in enumerate(self.members):
            if not m.get("shortlist") and getattr(MODELS[m.get("model", "lr")], "calibrated", True):
                return i
        return None

    def priority(self, Xs: Sequence[sp.csr_matrix], labels: np.ndarray | None = None) -> np.ndarray:
        """The queue's score of every row: the members' ranks combined (``combine``), unlabelled rows only.

        ``labels`` (default: those of the last fit) say which rows are unlabelled. With one member,
        that member's own scores (so a one-member ensemble is that model).
        """
        self._setup()
        if labels is None and not hasattr(self, "labels_"):
            raise ConfigError("the ensemble has not been fitted: give the labels that say which rows to rank")
        labels = self.labels_ if labels is None else np.asarray(labels)
        _side_by_side([lambda i=i, X=X: self._member_scores(i, X, labels) for i, X in enumerate(Xs)
                       if self.cache_[i] is None or self.cache_[i][0] is not X])
        member_scores = [self._member_scores(i, X, labels) for i, X in enumerate(Xs)]
        self.n_scorings_ += 1
        if len(self.members_) == 1:
            return member_scores[0]
        unl = np.flatnonzero(labels == UNLABELLED)
        ranks = np.full((len(self.members_), len(labels)), -1, dtype=np.int64)
        for i, s in enumerate(member_scores):
            order = np.lexsort((self.rng_.random(len(unl)), -s[unl]))  # random ties
            ranks[i, unl[order]] = np.arange(len(unl))
        self.ranks_ = ranks
        weights = self._live_weights()
        share = 1.0 - ranks[:, unl] / max(len(unl), 1)
        combined = np.zeros(len(labels))
        combined[unl] = weights @ share
        self.place_scale_ = len(self.members_) * weights
        if self.combine == "best":  # the best (weighted) place decides; the mean share (< 1) only breaks its ties
            combined[unl] = len(unl) - self._places(ranks[:, unl]).min(axis=0) + combined[unl]
        elif self.combine == "rrf":  # reciprocal rank fusion: sum of w / (rrf_k + 1 + rank)
            combined[unl] = weights @ (1.0 / (self.rrf_k + 1.0 + ranks[:, unl]))
        elif self.combine in ("max_proba", "mean_proba"):  # the members' probabilities, not their ranks
            proba = np.vstack([np.asarray(s, dtype=float)[unl] for s in member_scores])
            combined[unl] = (proba[weights > 0].max(axis=0) if self.combine == "max_proba" else weights @ proba)
        self.last_priority_ = (self.n_fits_, list(Xs), combined)
        return combined

    def _live_weights(self) -> np.ndarray:
        """``weights_`` with the members that take no criteria (``"criteria": False``, the
        interleave's character member) left out while the others still learn from the criteria
        row (until ``criteria_until`` relevant records are labelled): in a criteria cold start the
        queue is the criteria-led members' alone."""
        weights = self.weights_
        if getattr(self, "criteria_phase_", False):
            live = np.array([m.get("criteria", True) for m in self.members], dtype=bool)
            if live.any() and not live.all():
                weights = np.where(live, weights, 0.0)
                weights = weights / weights.sum()
        return weights

    def _places(self, ranks: np.ndarray) -> np.ndarray:
        """Each member's ranks divided by ``members × its weight`` (``place_scale_``): where the
        interleave puts a record for that member; infinite for a member that sits out."""
        scale = self.place_scale_[:, None]
        return np.where(scale > 0, ranks / np.where(scale > 0, scale, 1.0), np.inf)

    def _shortlisted(self, i: int, X: sp.csr_matrix, labels: np.ndarray) -> np.ndarray:
        """Member ``i``'s scores with its shortlist: every row rescored when due, else only the shortlist's.

        ``full_[i]`` is (matrix, scores at the last full rescoring, shortlist rows, their rows of
        the matrix, relevant count then, scoring count then). Between full rescorings the
        shortlist's fresh scores are lifted above every other row's last score, so the shortlist
        leads the member's queue in its new order and the rest follow in their last order.
        """
        spec, member = self.members[i], self.members_[i]
        n_relevant = int((labels == 1).sum())
        full = self.full_[i]
        due = (full is None or full[0] is not X or n_relevant != full[4]
               or self.n_scorings_ - full[5] >= int(spec.get("rescore_every", 8)))
        if due:
            s = np.asarray(member.scores(X), dtype=float)
            unl = np.flatnonzero(labels == UNLABELLED)
            top = unl[np.argsort(-s[unl], kind="stable")[: int(spec["shortlist"])]]
            top.sort()
            self.full_[i] = (X, s, top, X[top], n_relevant, self.n_scorings_)
            return s
        _, last, top, X_top, _, _ = full
        fresh = np.asarray(member.scores(X_top), dtype=float)
        s = last.copy()
        s[top] = fresh + (last.max() - fresh.min() + 1.0)
        return s


def ensemble_build(*, members: Sequence[dict], features: dict | None = None, pseudo_document: str | None = None,
                   **params):
    """``replay_pool``'s ``build`` for a ``RankEnsemble`` of ``members`` (``params``: its other
    parameters; ``features`` maps a feature-set name to its settings): the members' feature
    matrices of the shuffled pool, the ensemble on the replay's generator and, with a
    ``pseudo_document`` (the criteria's), its row in each member's features."""
    _check_members(members)

    def build(pool: pd.DataFrame, rng: np.random.Generator) -> tuple[RankEnsemble, list[sp.csr_matrix], list | None]:
        Xs, pseudo = member_features(pool, members, features, pseudo_document=pseudo_document)
        return RankEnsemble(members=members, random_state=rng, **params), Xs, pseudo

    return build


def member_features(records: pd.DataFrame, members: Sequence[dict], settings: dict | None = None, *,
                    pseudo_document: str | None = None) -> tuple[list[sp.csr_matrix], list | None]:
    """One feature matrix per member (each feature set built once; ``settings`` maps a feature-set
    name to its parameters) and, with a ``pseudo_document``, its row in each member's features
    (else None)."""
    settings = settings or {}
    names = list(dict.fromkeys(m.get("features", "word") for m in members))
    makers = {name: FEATURE_SETS[name](**settings.get(name, {})) for name in names}
    if pseudo_document is not None:
        missing = [name for name in names if not hasattr(makers[name], "transform")]
        if missing:
            raise ConfigError(f"feature set {missing[0]!r} cannot take a criteria file: leave out the criteria, "
                              "or use the feature sets word and char")
    built = {name: makers[name].fit_transform(records) for name in names}
    pseudo = None
    if pseudo_document is not None:
        rows = {name: makers[name].transform([pseudo_document]) for name in names}
        pseudo = [rows[m.get("features", "word")] for m in members]
    return [built[m.get("features", "word")] for m in members], pseudo
