"""Stopping rules as pure functions of a run (registry), plus ``stopping_report`` for the session.

Guarantee (recall ≥ τ with probability ≥ 1 − α under the method's assumptions): the recommended
``screener`` rule (the ranked hypergeometric test read as a recall bound), ``target``, ``qbcb``,
``hypergeometric_random``, ``hypergeometric`` with bias 1. Heuristics: ``n_in_a_row``, ``knee``,
``budget``, ``safe``, ``quant_ci``, ``hypergeometric`` with bias > 1, ``point_process`` and
``biased_urn`` (out-of-fold numbers in benchmarks/results/stopping_cv.md).
"""

from __future__ import annotations

from collections.abc import Sequence

from screener.errors import ConfigError
from screener.stopping.base import RunState, StoppingRule, Verdict, as_state, parse_value
from screener.stopping.biased_urn import BiasedUrn
from screener.stopping.heuristics import SAFE, Budget, Knee, NInARow
from screener.stopping.hypergeometric import RankedHypergeometric
from screener.stopping.model_based import QuantCI
from screener.stopping.point_process import PointProcess
from screener.stopping.recommended import Recommended
from screener.stopping.sampling import QBCB, RandomHypergeometric, TargetMethod

STOPPING_RULES: dict[str, type[StoppingRule]] = {
    cls.name: cls
    for cls in (NInARow, Knee, Budget, SAFE, TargetMethod, QBCB, RankedHypergeometric, RandomHypergeometric,
                QuantCI, PointProcess, BiasedUrn, Recommended)
}

RECOMMENDED = "screener"

# Named configurations evaluated by ``--rules all``: "rule" or "rule:param=value,...".
PRESETS: list[str] = [
    "n_in_a_row:n=50",
    "n_in_a_row:n=100",
    "n_in_a_row:share=0.05",
    "knee",
    "budget",
    "safe",
    "target",
    "qbcb",
    "hypergeometric:max_windows=8",
    "hypergeometric_random",
    "quant_ci",
    "point_process",
    "biased_urn",
    "screener",
]


def guaranteed(spec: str) -> bool:
    """Whether the rule configured by ``spec`` comes with a statistical guarantee."""
    return bool(make_rule(spec).guaranteed)


def make_rule(spec: str) -> StoppingRule:
    """A rule from ``name`` or ``name:param=value,param=value`` (e.g. ``n_in_a_row:n=50``), its
    parameters checked; ``str(rule)`` prints the spec back (the parameters that differ from the
    defaults)."""
    name, _, params = spec.partition(":")
    name = name.strip()
    if name not in STOPPING_RULES:
        raise ConfigError(f"unknown stopping rule {name!r}; known: {', '.join(STOPPING_RULES)}")
    cls = STOPPING_RULES[name]
    known = list(cls().get_params(deep=False))  # the constructor stores its arguments and does nothing else
    kwargs = {}
    for item in filter(None, (p.strip() for p in params.split(","))):
        key, eq, val = item.partition("=")
        key = key.strip()
        if not eq:
            raise ConfigError(f"rule parameter {item!r} in {spec!r} is not key=value")
        if key not in known:
            raise ConfigError(f"unknown parameter {key!r} for stopping rule {name!r} in {spec!r}; "
                              f"its parameters: {', '.join(known) or 'none'}")
        kwargs[key] = parse_value(val.strip())
    rule = cls(**kwargs)
    rule._validate()
    return rule


def parse_rules(rules: str | Sequence[str]) -> list[str]:
    """``all``, a comma/semicolon list, or a sequence of specs → list of checked specs.

    Specs with parameters are separated by ``;`` in one string (``knee;n_in_a_row:n=50,``...).
    """
    if isinstance(rules, str):
        if rules.strip() == "all":
            return list(PRESETS)
        sep = ";" if ";" in rules or ":" in rules else ","
        rules = [r.strip() for r in rules.split(sep) if r.strip()]
    specs = list(rules)
    if not specs:
        raise ConfigError("no stopping rules given")
    for s in specs:
        make_rule(s)
    return specs


def stopping_report(
    sequence,
    pool_size: int,
    scores_unscreened=None,
    target: float = 0.95,
    confidence: float = 0.95,
    rules: str | Sequence[str] = "all",
    *,
    n_priors: int = 0,
    sample_labels=None,
    sample_reached=None,
    sample_frame: int = 0,
) -> list[Verdict]:
    """Every rule's current verdict for a live review (for ``screener status`` and the session).

    sequence : 0/1 labels in screening order (priors first, ``n_priors`` of them).
    pool_size : records in the pool, priors included.
    scores_unscreened : calibrated probabilities of the unscreened records, or
        ``(expected_remaining, variance)``; ``None`` when unavailable.
    sample_labels, sample_reached, sample_frame : a random sample of the records unscreened when
        it was drawn (its labels in draw order, whether the ranking has reached each, how many
        records it was drawn from). Rules that need one say so in their explanation until one
        is given; ``make_rule(name).sample_request(state)`` tells how many records to draw.
    """
    import dataclasses

    import numpy as np

    state = as_state(sequence, pool_size, n_priors=n_priors, scores_unscreened=scores_unscreened)
    if sample_labels is not None:
        labels = np.asarray(sample_labels, dtype=np.int8)
        reached = np.zeros(len(labels), bool) if sample_reached is None else np.asarray(sample_reached, bool)
        state = dataclasses.replace(state, sample_labels=labels, sample_reached=reached,
                                    sample_frame=int(sample_frame or pool_size - len(state.labels)),
                                    sample_start=len(state.labels))
    return [make_rule(s).verdict(state, target=target, confidence=confidence) for s in parse_rules(rules)]


__all__ = ["STOPPING_RULES", "PRESETS", "RECOMMENDED", "RunState", "StoppingRule", "Verdict", "as_state",
           "guaranteed", "make_rule", "parse_rules", "stopping_report"]
