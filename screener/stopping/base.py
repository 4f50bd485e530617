"""What every stopping rule reads (``RunState``) and returns (``Verdict``), and their base class.

A run is a ledger (tarexp): the ranked screening sequence so far, the pool
size, any random sample drawn, and optionally the model's summary of the
unscreened records. Rules are pure functions of it.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
from sklearn.base import BaseEstimator

from screener.errors import ConfigError

_EMPTY_INT = np.zeros(0, dtype=np.int8)
_EMPTY_BOOL = np.zeros(0, dtype=bool)


@dataclass(frozen=True)
class Verdict:
    """One rule's answer at one point of a run."""

    rule: str
    stop: bool
    recall_estimate: float | None
    interval: tuple[float, float] | None
    explanation: str
    guaranteed: bool = False


@dataclass(frozen=True)
class RunState:
    """A screening run so far.

    labels : 0/1 labels of the ranked screening sequence, in order, priors first.
    pool_size : records in the pool, priors included.
    n_priors : how many of ``labels`` are priors (not part of the ranking).
    scores : the model's score of each record when it was picked (NaN for priors), optional.
    sample_labels : labels of the records drawn as a simple random sample of the
        records unscreened at the time of drawing, in draw order.
    sample_reached : for each sampled record, whether the ranked sequence has reached it.
    sample_frame : number of unscreened records the sample was drawn from.
    sample_start : ranked records screened (priors included) when the sample was started.
    sample_drawn_at : for each sampled record, ranked records screened (priors included) when it
        was drawn; optional (``None``: all at ``sample_start``).
    expected_remaining : the model's expected number of relevant unscreened records
        (sum of their calibrated probabilities), optional.
    remaining_var : the variance of that number (sum of p·(1−p)), optional.
    """

    labels: np.ndarray
    pool_size: int
    n_priors: int = 0
    scores: np.ndarray | None = None
    sample_labels: np.ndarray = field(default_factory=lambda: _EMPTY_INT)
    sample_reached: np.ndarray = field(default_factory=lambda: _EMPTY_BOOL)
    sample_frame: int = 0
    sample_start: int = 0
    sample_drawn_at: np.ndarray | None = None
    expected_remaining: float | None = None
    remaining_var: float | None = None

    @property
    def ranked(self) -> np.ndarray:
        """Labels of the ranked sequence without the priors."""
        return self.labels[self.n_priors :]

    @property
    def sample_unreached(self) -> np.ndarray:
        """Labels of sampled records the ranking has not reached (extra effort)."""
        return self.sample_labels[~self.sample_reached]

    @property
    def effort(self) -> int:
        """Records screened, priors excluded, random-sample records included."""
        return len(self.labels) - self.n_priors + int((~self.sample_reached).sum())

    @property
    def found(self) -> int:
        """Relevant records found by screening (ranked and sampled), priors excluded.

        Rules certify recall over the non-prior records, as EVALUATION.md measures it; that
        also bounds the recall with the priors counted (adding found records only raises it).
        """
        return int(self.ranked.sum()) + int(self.sample_unreached.sum())

    @property
    def n_unscreened(self) -> int:
        return self.pool_size - len(self.labels) - int((~self.sample_reached).sum())


def as_state(
    sequence,
    pool_size: int,
    *,
    n_priors: int = 0,
    scores_unscreened=None,
) -> RunState:
    """A ``RunState`` from a label sequence and, optionally, the unscreened records' probabilities.

    ``scores_unscreened`` is an array of calibrated probabilities of the unscreened
    records, or a pair ``(expected_remaining, variance)``.
    """
    labels = np.asarray(sequence, dtype=np.int8)
    expected = var = None
    if scores_unscreened is not None:
        if isinstance(scores_unscreened, tuple) and len(scores_unscreened) == 2:
            expected, var = float(scores_unscreened[0]), float(scores_unscreened[1])
        else:
            p = np.asarray(scores_unscreened, dtype=float)
            expected, var = float(p.sum()), float((p * (1 - p)).sum())
    if pool_size < len(labels):
        raise ConfigError(f"pool_size ({pool_size}) is smaller than the records screened ({len(labels)})")
    return RunState(labels=labels, pool_size=int(pool_size), n_priors=int(n_priors),
                    expected_remaining=expected, remaining_var=var)


@dataclass(frozen=True)
class Param:
    """How one constructor parameter of a rule is checked: an integer or a number, an interval,
    and whether ``None`` (the rule's own default) or a few extra values are allowed."""

    kind: type = float  # int: integers only; float: any number
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    optional: bool = False  # None allowed
    also: tuple = ()  # values allowed outside the interval (e.g. 0 for "off")

    def ok(self, value) -> bool:
        if value is None:
            return self.optional
        if isinstance(value, bool) or not isinstance(value, (int, np.integer) if self.kind is int
                                                      else (int, float, np.integer, np.floating)):
            return False
        if value in self.also:
            return True
        if self.low is not None and (value <= self.low if self.low_open else value < self.low):
            return False
        return not (self.high is not None and (value >= self.high if self.high_open else value > self.high))

    def describe(self) -> str:
        what = "an integer" if self.kind is int else "a number"
        if self.low is not None and self.high is not None:
            what += f" in {'(' if self.low_open else '['}{self.low:g}, {self.high:g}{')' if self.high_open else ']'}"
        elif self.low is not None:
            what += f" {'>' if self.low_open else '>='} {self.low:g}"
        extra = [f"{v:g}" for v in self.also] + (["none"] if self.optional else [])
        return what + (f" (or {', '.join(extra)})" if extra else "")


class StoppingRule(BaseEstimator):
    """Base class: a scikit-learn style estimator whose ``verdict`` reads a ``RunState``.

    The constructor takes keyword-only parameters and stores them unchanged; they are checked
    (``PARAMS``: name → ``Param``, plus ``_check_params`` for what spans several) on first use,
    that is by ``make_rule`` and at the first ``verdict`` or ``sample_request`` after construction
    or ``set_params``, raising a ``ConfigError`` (a ``ValueError``) that names the parameter.
    ``get_params``/``set_params``/``clone`` are scikit-learn's; ``str(rule)`` is the rule's spec
    (``biased_urn:check_share=0.02``: the parameters that differ from their defaults, in
    ``get_params`` order), which
    ``make_rule`` parses back to the same parameters.

    Subclasses set ``name``, ``guaranteed`` (whether the method promises recall ≥ τ with
    confidence 1−α under its assumptions), ``uses_target`` (verdict depends on τ/confidence),
    ``needs_model`` (reads ``expected_remaining``), ``PARAMS``, and override ``verdict`` (calling
    ``self._validate()`` first); rules that draw a random sample override ``sample_request``.
    """

    name: ClassVar[str] = "rule"
    guaranteed: ClassVar[bool] = False
    uses_target: ClassVar[bool] = False
    needs_model: ClassVar[bool] = False
    draws_sample: ClassVar[bool] = False
    PARAMS: ClassVar[dict[str, Param]] = {}

    def verdict(self, state: RunState, *, target: float = 0.95, confidence: float = 0.95) -> Verdict:
        raise NotImplementedError

    def sample_request(self, state: RunState, *, target: float = 0.95, confidence: float = 0.95) -> int:
        """How many more random records the rule wants drawn now (0: none; advance the ranking)."""
        return 0

    def _validate(self) -> None:
        """Check the parameters once (again after ``set_params``)."""
        if self.__dict__.get("_validated"):
            return
        for key, check in self.PARAMS.items():
            value = getattr(self, key)
            if not check.ok(value):
                raise ConfigError(f"stopping rule {self.name!r}: {key} must be {check.describe()}, got {value!r}")
        self._check_params()
        self.__dict__["_validated"] = True

    def _check_params(self) -> None:
        """Checks that span several parameters (raise ``ConfigError`` naming them)."""

    def set_params(self, **params):
        self.__dict__.pop("_validated", None)
        return super().set_params(**params)

    def __str__(self) -> str:
        defaults = {k: p.default for k, p in inspect.signature(type(self).__init__).parameters.items()
                    if p.kind is p.KEYWORD_ONLY}
        changed = [f"{k}={format_value(v)}" for k, v in self.get_params(deep=False).items()
                   if k not in defaults or not _same(v, defaults[k])]
        return self.name + (":" + ",".join(changed) if changed else "")

    def _verdict(self, state: RunState, stop: bool, explanation: str, estimate=None, interval=None) -> Verdict:
        return Verdict(rule=self.name, stop=bool(stop), recall_estimate=estimate, interval=interval,
                       explanation=explanation, guaranteed=self.guaranteed)

    def _at_end(self, state: RunState) -> Verdict | None:
        """Every rule stops once nothing is left to screen."""
        if state.n_unscreened <= 0:
            return self._verdict(state, True, "Every record in the pool has been screened.", 1.0, (1.0, 1.0))
        return None


def format_value(value) -> str:
    """A parameter value as a spec writes it (``parse_value`` reads it back)."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value) if isinstance(value, float) else str(value)


def parse_value(text: str):
    """A spec's parameter value: none, true/false, an integer, a number, else the text."""
    low = text.lower()
    if low in {"none", "null"}:
        return None
    if low in {"true", "false"}:
        return low == "true"
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return text


def _same(a, b) -> bool:
    return type(a) is type(b) and a == b or (isinstance(a, (int, float)) and isinstance(b, (int, float))
                                            and not isinstance(a, bool) and not isinstance(b, bool) and a == b)


def check_target(target: float, confidence: float) -> None:
    if not 0 < target < 1:
        raise ConfigError(f"target recall must be between 0 and 1 (exclusive), got {target}; "
                          "a target of 1 means screening every record")
    if not 0 < confidence < 1:
        raise ConfigError(f"confidence must be in (0, 1), got {confidence}")


def run_of_zeros(ranked: np.ndarray) -> int:
    """Length of the trailing run of irrelevant records."""
    nz = np.flatnonzero(ranked)
    return len(ranked) if nz.size == 0 else len(ranked) - 1 - int(nz[-1])
