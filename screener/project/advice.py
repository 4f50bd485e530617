"""Stopping advice for a live review: the ledger replayed through the stopping rules.

``stopping_advice`` builds a ``RunState`` from the project (the ranked sequence from the
ledger, the unscreened records' latest scores, the random sample the session has served)
and returns every rule's verdict plus which rules want random records now and why.
The random sample is ledger data in the store (``Store.add_draw``, ``Store.draws``): each draw
keeps its record ids, the rule that asked for it, the number of unscreened records it was
drawn from, the time and the ledger length at drawing. Nothing here prints.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from screener.errors import ConfigError
from screener.project.reviewers import stage_mode
from screener.project.settings import project_settings
from screener.project.store import UNDONE, Store
from screener.project.votes import stage_outcomes
from screener.seeding import stream
from screener.stopping import RECOMMENDED, make_rule
from screener.stopping.base import RunState, Verdict, as_state, check_target

DEFAULT_RULES = ("screener", "n_in_a_row:n=100", "knee", "quant_ci", "target", "qbcb", "hypergeometric")

_WHY = {
    "biased_urn": "its ranked test passes, and a random check of {n} unscreened records must hold no relevant "
                  "record before it advises stopping",
    "qbcb": "QBCB certifies recall from a uniform random sample of the pool drawn before ranked screening "
            "({n} records)",
    "target": "the target method draws random records one at a time until the sample holds enough relevant "
              "records (the target set) and then screens until the ranking has found them all",
    "hypergeometric_random": "after a long run of irrelevant records it tests recall on random batches "
                             "of {n} unscreened records",
}


@dataclass(frozen=True)
class SampleRequest:
    """A rule that wants ``n`` more random records drawn now, and one sentence why."""

    rule: str
    n: int
    why: str


@dataclass(frozen=True)
class Advice:
    """Every rule's verdict at this point of the review."""

    verdicts: list[Verdict]
    target: float
    confidence: float
    requests: list[SampleRequest] = field(default_factory=list)
    sample_screened: int = 0  # random records drawn and screened so far
    sample_pending: tuple[int, ...] = ()  # random records drawn, not yet screened
    screened: int = 0  # records screened by the ranking (random-sample records not counted)
    found: int = 0  # relevant records found (ranking and sample)
    pool_size: int = 0
    next_clean: int | None = None  # the recommended rule stops after this many more irrelevant records

    def verdict(self, rule: str = RECOMMENDED) -> Verdict | None:
        return next((v for v in self.verdicts if v.rule == rule), None)

    def request(self, rule: str = RECOMMENDED) -> SampleRequest | None:
        return next((r for r in self.requests if r.rule == rule), None)

    @property
    def recall_estimate(self) -> tuple[float, tuple[float, float] | None, str] | None:
        """(estimate, interval, rule) from the first rule that gives one (recommended first)."""
        for v in self.verdicts:
            if v.recall_estimate is not None:
                return v.recall_estimate, v.interval, v.rule
        return None


# -- the stored random sample -------------------------------------------------------------------

def load_sample(store: Store) -> list[dict]:
    """The draws of the random sample (``id``, ``record_ids``, ``frame``, ``drawn_at``, ``ledger_rows``, ``rule``)."""
    return store.draws()


def sample_ids(store: Store) -> list[int]:
    return [int(i) for d in load_sample(store) for i in d["record_ids"]]


def _replay(store: Store) -> tuple[pd.Series, pd.Series]:
    """(current label by record id, first ledger position by record id in screening order).

    Reads two ledger columns only (``screening_sequence`` semantics, position = ledger row,
    1-based): the session calls this after every decision, so it has to stay cheap.
    """
    led = store.ledger_labels()
    led["position"] = np.arange(1, len(led) + 1)
    current = led.drop_duplicates("record_id", keep="last").set_index("record_id")["label"]
    first = led.drop_duplicates("record_id", keep="first").set_index("record_id")["position"]
    if stage_mode(store, "ta") == "dual":  # a record's label is its decided outcome, not the latest vote
        out = stage_outcomes(store, "ta", current.index.to_numpy()).set_index("record_id")
        current = out["label"].where(out["state"] == "decided", UNDONE).reindex(current.index)
    return current, first


def _decided(current: pd.Series) -> set[int]:
    return set(current.index[current.isin(["include", "exclude", "maybe"]).to_numpy()].astype(int))


def pending_sample(store: Store, current: pd.Series | None = None) -> list[int]:
    """Sampled records without a current decision, in draw order."""
    ids = sample_ids(store)
    if not ids:
        return []
    decided = _decided(_replay(store)[0] if current is None else current)
    return [i for i in ids if i not in decided]


def draw_sample(store: Store, n: int, *, rule: str = RECOMMENDED) -> list[int]:
    """Draw ``n`` records uniformly from the unscreened ones, not drawn before; stored in the project.

    The generator is seeded from the project seed and the ledger length, so the same
    project at the same point draws the same records.
    """
    kept = store.records()["id"].to_numpy(np.int64)
    decided = _decided(_replay(store)[0]) | set(sample_ids(store))
    frame = np.array([i for i in kept if int(i) not in decided], dtype=np.int64)
    n_ledger = store.n_decisions()
    rng = stream("random_check", int(store.get_meta("seed", "0")), n_ledger)
    chosen = [int(i) for i in rng.choice(frame, size=min(int(n), len(frame)), replace=False)] if n > 0 else []
    if chosen:
        store.add_draw(chosen, rule=rule, frame=len(frame), ledger_rows=n_ledger)
    return chosen


# -- the run state --------------------------------------------------------------------------------

def run_state(store: Store, scores: pd.Series | None = None) -> RunState:
    """The review so far as a ``RunState``.

    The ranked sequence is every non-sampled record at its first screening position with its
    current label (maybe and undone records left out); screened sampled records form the random
    sample (not reached by the ranking). ``scores`` (by record id) overrides the stored latest
    scores of the unscreened records.
    """
    return _run_state(store, _replay(store), scores)


def _run_state(store: Store, replay: tuple[pd.Series, pd.Series], scores: pd.Series | None) -> RunState:
    label, first = replay
    pool_size = store.pool_size()
    draws = load_sample(store)
    sampled = {int(i): k for k, d in enumerate(draws) for i in d["record_ids"]}
    current = label.map({"include": 1, "exclude": 0})  # NaN: maybe or undone
    first = first[current.reindex(first.index).notna().to_numpy()]
    ranked = first[~first.index.isin(list(sampled))]
    labels = current.reindex(ranked.index).astype(int).to_numpy()
    if scores is None:
        s = store.scores()
        scores = pd.Series(s["score"].to_numpy(), index=s["record_id"].to_numpy()) if not s.empty else None
    unscreened_p = None
    if scores is not None:
        decided = _decided(label)
        unscreened_p = scores[~scores.index.isin(list(decided))].to_numpy(float)
    state = as_state(labels, pool_size, scores_unscreened=unscreened_p)
    s_ids = [i for d in draws for i in d["record_ids"] if pd.notna(current.get(int(i), pd.NA))]
    if not s_ids:
        return state
    ranked_pos = ranked.to_numpy()
    drawn_at = np.array([int(np.searchsorted(ranked_pos, draws[sampled[int(i)]]["ledger_rows"], side="right"))
                         for i in s_ids])
    return dataclasses.replace(
        state, sample_labels=current.reindex(s_ids).astype(int).to_numpy(np.int8),
        sample_reached=np.zeros(len(s_ids), bool), sample_frame=int(draws[0]["frame"]),
        sample_start=int(drawn_at.min()), sample_drawn_at=drawn_at)


def _why(spec: str, n: int) -> str:
    name = spec.partition(":")[0]
    return _WHY.get(name, "it tests recall on a random sample of {n} unscreened records").format(n=n)


def project_rules(store: Store) -> tuple[str, ...]:
    """``DEFAULT_RULES`` with the project's stopping rule (its settings) first: the verdict a headline gives."""
    rule = project_settings(store).stopping_rule
    return (rule, *(r for r in DEFAULT_RULES if r != rule))


def stopping_advice(store: Store, *, target: float | None = None, confidence: float | None = None,
                    rules: Sequence[str] | None = None, scores: pd.Series | None = None) -> Advice:
    """Every rule's verdict and sample request for the project; target and confidence default to the
    project's settings (``screener.project.settings``), the rules to ``project_rules``."""
    if target is None or confidence is None:
        settings = project_settings(store)
        target = settings.target if target is None else target
        confidence = settings.confidence if confidence is None else confidence
    rules = project_rules(store) if rules is None else rules
    check_target(target, confidence)
    if not 0 < target < 1:
        raise ConfigError(f"target recall must be in (0, 1): a target of {target:g} cannot be certified "
                          "before every record is screened")
    replay = _replay(store)
    state = _run_state(store, replay, scores)
    verdicts, requests = [], []
    for spec in rules:
        rule = make_rule(spec)
        verdicts.append(rule.verdict(state, target=target, confidence=confidence))
        n = rule.sample_request(state, target=target, confidence=confidence) if rule.draws_sample else 0
        if n > 0:
            requests.append(SampleRequest(rule.name, int(n), _why(spec, int(n))))
    pending = pending_sample(store, replay[0])
    next_clean = None
    first = make_rule(rules[0]) if rules else None
    if first is not None and hasattr(first, "records_to_stop") and verdicts and not verdicts[0].stop:
        next_clean = first.records_to_stop(state, target, confidence)
    return Advice(verdicts, float(target), float(confidence), requests,
                  sample_screened=len(state.sample_labels), sample_pending=tuple(pending),
                  screened=len(state.ranked), found=state.found, pool_size=state.pool_size, next_clean=next_clean)


def project_advice(folder: str | Path, *, target: float | None = None, confidence: float | None = None,
                   rules: Sequence[str] | None = None) -> Advice:
    """``stopping_advice`` for a project folder (for ``screener status``)."""
    with Store.open(folder) as store:
        return stopping_advice(store, target=target, confidence=confidence, rules=rules)


# -- what the reviewer reads ------------------------------------------------------------------------

METHODS = {
    "screener": ("the ranked hypergeometric test", "Callaghan & Müller-Hansen 2020"),
    "hypergeometric": ("the ranked hypergeometric test", "Callaghan & Müller-Hansen 2020"),
    "hypergeometric_random": ("the hypergeometric test on a random sample", "Callaghan & Müller-Hansen 2020"),
    "target": ("the target method", "Cormack & Grossman 2016"),
    "qbcb": ("the quantile binomial confidence bound", "Lewis, Yang & Frieder 2021"),
    "point_process": ("a model of the discovery rate (heuristic)", "Sneyd & Stevenson 2021"),
    "biased_urn": ("a biased-urn ranked test (heuristic)", "after Callaghan & Müller-Hansen 2020"),
    "n_in_a_row": ("a run of irrelevant records (heuristic)", "e.g. Ros et al. 2017"),
    "knee": ("the knee method (heuristic)", "Cormack & Grossman 2016"),
    "budget": ("the budget method (heuristic)", "Cormack & Grossman 2016"),
    "safe": ("the SAFE procedure (heuristic)", "Boetje & van de Schoot 2024"),
    "quant_ci": ("the model's estimate of what is left (heuristic)", "Yang, Lewis & Frieder 2021"),
}


def _method(rule: str) -> str:
    name, cite = METHODS.get(rule, (f"the '{rule}' rule", ""))
    return f"{name} ({cite})" if cite else name


def headline(advice: Advice, rule: str | None = None) -> str:
    """One plain sentence: keep screening, or you can stop (with the recall bound and the rule), and
    what the rule needs next. No verdict before the rule has evidence to give one."""
    v = advice.verdict(rule) if rule else (advice.verdicts[0] if advice.verdicts else None)
    if v is None:
        return "No stopping advice: no stopping rule was asked."
    conf = f"{advice.confidence:.0%} confidence"
    request = advice.request(v.rule)
    need = (f" Next: screen {request.n} random record{'s' if request.n != 1 else ''} from the unscreened part."
            if request is not None else "")
    if advice.screened == 0 and advice.sample_screened == 0:
        return "No stopping advice yet: nothing has been screened." + need
    if v.stop and advice.screened + advice.sample_screened >= advice.pool_size:
        return "Every record has been screened."
    if v.interval is None:
        if v.stop:  # a rule without a stated bound
            return f"You can stop, by {_method(v.rule)}; it states no recall bound." + need
        return ("Keep screening: no relevant record found yet." if advice.found == 0 else "Keep screening.") + need
    lo = v.interval[0]
    if v.stop:
        return (f"You can stop: at least {_pct(lo)} of relevant records found ({conf}), by {_method(v.rule)}." + need)
    line = f"Keep screening: at least {_pct(lo)} of relevant records found so far ({conf}); the target is " \
           f"{_pct(advice.target)}."
    if advice.next_clean is not None and v.rule == (rule or advice.verdicts[0].rule):
        line += f" If the next {advice.next_clean} records hold no relevant one, you can stop."
    return line + need


def _pct(x: float) -> str:
    """A share as a percentage, rounded down so that a bound never reads higher than it is."""
    return f"{math.floor(x * 1000 + 1e-9) / 10:g}%"


def methods_paragraph(advice: Advice, rule: str | None = None, *, version: str | None = None) -> str:
    """A paragraph for a review's methods section: the rule, its settings, the target and
    confidence, and the evidence at this point."""
    import screener

    v = advice.verdict(rule) if rule else advice.verdicts[0]
    spec = rule or v.rule
    settings = make_rule(spec).get_params()
    settings_text = ", ".join(f"{k} = {val}" for k, val in settings.items()) or "none"
    kind = ("It carries a statistical guarantee under its assumption that the ranking places relevant "
            "records no later than a random order would."
            if v.guaranteed else "It is a heuristic: it carries no statistical guarantee.")
    share = advice.screened / advice.pool_size if advice.pool_size else 0.0
    text = (f"Title and abstract screening was prioritised with screener {version or screener.__version__} "
            f"(active learning). When to stop screening was decided with {_method(v.rule)} "
            f"(screener stopping rule '{v.rule}'; settings: {settings_text}), with a target recall of "
            f"{_pct(advice.target)} at {advice.confidence:.0%} confidence. {kind} ")
    text += (f"At this point {advice.screened} of {advice.pool_size} records ({share:.1%}) had been screened in "
             f"ranked order")
    if advice.sample_screened:
        text += f" and {advice.sample_screened} more as a random sample"
    text += f", and {advice.found} relevant records had been found. "
    if v.interval is not None:
        text += (f"The rule bounded recall at ≥ {_pct(v.interval[0])} with {advice.confidence:.0%} confidence, so "
                 f"the target {'was' if v.stop else 'was not yet'} met"
                 f"{' and screening stopped' if v.stop else ''}.")
    else:
        text += "The rule could not bound recall yet."
    return text
