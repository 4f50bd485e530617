"""Replaying one screening order with one stopping rule (tarexp: evaluating a rule needs no
retraining).

The ranked cursor moves ``check_every`` records at a time; a rule that draws a random sample
draws it from the records not yet screened, with the generator it is given, and sampled records
count as effort (relevant sampled records as found), as EVALUATION.md defines them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from screener.seeding import check_random_state
from screener.stopping.base import RunState, StoppingRule


def replay(
    labels: np.ndarray,
    n_priors: int,
    rule: StoppingRule,
    *,
    target: float = 0.95,
    confidence: float = 0.95,
    random_state=0,
    check_every: int = 5,
    checkpoints: pd.DataFrame | None = None,
) -> dict:
    """Replay one order (0/1 labels in screening order, priors first) with one rule.

    random_state : the seed or ``numpy.random.Generator`` the rule's random sample is drawn with.
    checkpoints : the model's summary of the unscreened records over the run (columns
        ``n_screened``, ``expected_remaining``, ``var``, sorted by ``n_screened``), read by rules
        that need a model; optional.

    Returns ``screened`` (ranked records incl. priors at the stop), ``sampled`` (sample records
    not reached by the ranking), ``effort_records`` (priors excluded), ``found`` (relevant,
    priors excluded), the final verdict's estimate and explanation.
    """
    labels = np.asarray(labels, dtype=np.int8)
    pool = len(labels)
    rng = check_random_state(random_state)
    perm: np.ndarray | None = None
    perm_at = 0
    sample_pos: list[int] = []
    drawn_at: list[int] = []
    sampled = np.zeros(pool, dtype=bool)
    frame = start = 0
    cursor = n_priors
    cp_n = cp_e = cp_v = None
    if checkpoints is not None and rule.needs_model:
        cp_n = checkpoints["n_screened"].to_numpy()
        cp_e = checkpoints["expected_remaining"].to_numpy(float)
        cp_v = checkpoints["var"].to_numpy(float)
    while True:
        pos = np.asarray(sample_pos, dtype=np.int64)
        expected = var = None
        if cp_n is not None:
            i = int(np.searchsorted(cp_n, cursor, side="right")) - 1
            if i >= 0:
                expected, var = float(cp_e[i]), float(cp_v[i])
        state = RunState(labels=labels[:cursor], pool_size=pool, n_priors=n_priors,
                         sample_labels=labels[pos], sample_reached=pos < cursor,
                         sample_frame=frame, sample_start=start, sample_drawn_at=np.asarray(drawn_at, dtype=np.int64),
                         expected_remaining=expected, remaining_var=var)
        verdict = rule.verdict(state, target=target, confidence=confidence)
        if verdict.stop:
            break
        want = rule.sample_request(state, target=target, confidence=confidence)
        if want > 0:
            if perm is None:
                perm = rng.permutation(pool)
                frame, start = state.n_unscreened, cursor
            got = 0
            while got < want and perm_at < pool:
                p = int(perm[perm_at])
                perm_at += 1
                if p >= cursor and not sampled[p]:
                    sampled[p] = True
                    sample_pos.append(p)
                    drawn_at.append(cursor)
                    got += 1
            if got:
                continue
        if cursor >= pool:
            break
        cursor = min(pool, cursor + check_every)
    extra = int(sum(1 for p in sample_pos if p >= cursor))
    found = int(labels[n_priors:cursor].sum()) + int(sum(labels[p] for p in sample_pos if p >= cursor))
    return {"screened": cursor, "sampled": extra, "effort_records": cursor - n_priors + extra, "found": found,
            "recall_estimate": verdict.recall_estimate, "explanation": verdict.explanation,
            "bound": verdict.interval[0] if verdict.interval is not None else None}
