"""The ranked hypergeometric test (Callaghan & Müller-Hansen 2020, "Statistical stopping
criteria for automated screening in systematic reviews", Systematic Reviews 9:273; ``buscar``).

For every n, the last n ranked records are treated as a sample drawn from an urn of
themselves plus every unscreened record. H0: recall < τ, i.e. the urn holds at least
K(k) = floor(r_seen/τ) − r_seen + 1 + k relevant records, k the relevant records among the
last n. p(n) = P(X ≤ k) under that urn (hypergeometric, or Wallenius' biased urn when the
ranking is assumed ``bias`` times likelier to pick a relevant record than chance). Stop
when min_n p(n) < α. With bias = 1 this is a guarantee *if* the screened tail is no
richer in relevant records than a random draw would be, which is conservative for a
ranking; bias > 1 is an assumption about the ranking, so a heuristic.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict

import numpy as np
from scipy.stats import hypergeom, nchypergeom_wallenius

from screener.stopping.base import Param, RunState, StoppingRule, Verdict, check_target

_EPS = 1e-9


def k_target(r_seen, k, target: float):
    """Smallest number of relevant records in the urn under which recall < target."""
    return np.floor(np.asarray(r_seen) / target + _EPS) - np.asarray(r_seen) + 1 + np.asarray(k)


def ranked_p_values(ranked: np.ndarray, n_unscreened: int, target: float, bias: float = 1.0,
                    r_seen: int | None = None, max_windows: int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """p(n) for the windows where it can be smallest; returns (n, k, p), read-only.

    Memoised on the ranked labels' contents and the other arguments: a sweep replays many
    settings of a rule over one order and asks the same (pure, and slow with a biased urn)
    test at the same points.

    For fixed k, p(n) falls as n grows (a larger share of the urn has been seen), so the
    minimum over all n is attained at the longest window for each k: the windows that end
    just before a relevant record (going backwards) and the whole sequence. ``max_windows``
    keeps only the windows holding the fewest relevant records (k < max_windows): a smaller
    set of windows can only raise the minimum, so the test stays as conservative.
    """
    ranked = np.ascontiguousarray(ranked, dtype=np.int8)
    r = int(ranked.sum()) if r_seen is None else int(r_seen)
    # the labels enter the key as a digest, so the memo holds no copy of any sequence
    key = (len(ranked), hashlib.blake2b(ranked.tobytes(), digest_size=16).digest(), int(n_unscreened),
           float(target), float(bias), r, max_windows)
    with _MEMO_LOCK:
        if (hit := _MEMO.get(key)) is not None:
            _MEMO.move_to_end(key)
            return hit
    result = _p_values(ranked, int(n_unscreened), float(target), float(bias), r, max_windows)
    with _MEMO_LOCK:
        _MEMO[key] = result
        if len(_MEMO) > _MEMO_SIZE:
            _MEMO.popitem(last=False)
    return result


_MEMO: OrderedDict = OrderedDict()
_MEMO_LOCK = threading.Lock()
_MEMO_SIZE = 8192


def _p_values(ranked: np.ndarray, n_unscreened: int, target: float, bias: float, r: int,
              max_windows: int | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    ranked = ranked.astype(np.int64)
    m = len(ranked)
    if m == 0:
        return _frozen(np.zeros(0, int), np.zeros(0, int), np.zeros(0))
    rev = ranked[::-1]
    k_all = np.cumsum(rev)
    ones = np.flatnonzero(rev)  # 0-based positions (in reversed order) of relevant records
    if max_windows is not None and len(ones) >= max_windows:
        n = np.unique(ones[:max_windows])
    else:
        n = np.unique(np.r_[ones, m])  # window of length `ones[i]` ends just before that relevant record
    n = n[n > 0]
    k = k_all[n - 1]
    K = k_target(r, k, target)
    M = n + n_unscreened
    K = np.minimum(K, M)
    if bias == 1.0:
        p = hypergeom.cdf(k, M, K, n)
    else:
        p = nchypergeom_wallenius.cdf(k, M, K, n, bias)
    return _frozen(n, k, np.asarray(p, dtype=float))


def _frozen(*arrays: np.ndarray) -> tuple[np.ndarray, ...]:
    for a in arrays:
        a.setflags(write=False)
    return arrays


class RankedHypergeometric(StoppingRule):
    """Callaghan & Müller-Hansen (2020) ranked hypergeometric test; guarantee when bias = 1.

    Parameters: ``bias`` (≥ 1; 1 is the published, conservative test), ``min_screened``
    (ranked records before the test may stop; a sanity floor, default 0), ``max_windows``
    (test only the windows holding the fewest relevant records, k < max_windows; None, the
    default, tests every window as the paper does; fewer windows can only raise the smallest
    p, so the test stays at least as conservative, and a replay is some 25 times faster).
    """

    name = "hypergeometric"
    uses_target = True
    PARAMS = {"bias": Param(float, 1), "min_screened": Param(int, 0), "max_windows": Param(int, 1, optional=True)}

    def __init__(self, *, bias: float = 1.0, min_screened: int = 0, max_windows: int | None = None):
        self.bias = bias
        self.min_screened = min_screened
        self.max_windows = max_windows

    @property
    def guaranteed(self) -> bool:  # type: ignore[override]
        return self.bias == 1.0

    def verdict(self, state: RunState, *, target: float = 0.95, confidence: float = 0.95) -> Verdict:
        self._validate()
        check_target(target, confidence)
        if (end := self._at_end(state)) is not None:
            return end
        ranked = state.ranked
        alpha = 1 - confidence
        if len(ranked) == 0 or len(ranked) < self.min_screened:
            return self._verdict(state, False, f"Only {len(ranked)} ranked records screened; the test needs some first.")
        n, k, p = ranked_p_values(ranked, state.n_unscreened, target, float(self.bias), r_seen=state.found,
                                  max_windows=self.max_windows)
        i = int(np.nanargmin(p)) if np.isfinite(p).any() else 0
        p_min = float(p[i]) if np.isfinite(p[i]) else 1.0
        found = state.found
        est_missing = k[i] / n[i] * state.n_unscreened
        estimate = found / (found + est_missing) if found else None
        stop = p_min < alpha
        word = "below" if stop else "not below"
        expl = (f"p = {p_min:.3g} for H0 'recall < {target:g}' (last {int(n[i])} screened records as a sample"
                f"{'' if self.bias == 1 else f', bias {self.bias:g}'}) is {word} α = {alpha:.3g}.")
        return self._verdict(state, stop, expl, estimate)
