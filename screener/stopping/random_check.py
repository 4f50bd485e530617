"""The random check some rules add before they stop: a simple random sample of the unscreened
records that must hold no relevant record. Shared by ``screener`` and ``biased_urn``."""

from __future__ import annotations

import math

import numpy as np

from screener.stopping.base import RunState


def check_progress(state: RunState) -> tuple[int, int | None]:
    """(clean records drawn after the last relevant sampled record and not yet reached by the
    ranking, ranked length when that relevant record was drawn or None)."""
    labels = state.sample_labels
    drawn = state.sample_drawn_at if state.sample_drawn_at is not None else np.full(len(labels), state.sample_start)
    rel = np.flatnonzero(labels)
    if rel.size == 0:
        return int((~state.sample_reached).sum()), None
    last = int(rel[-1])
    clean = int((~state.sample_reached[last + 1 :]).sum())
    return clean, int(drawn[last])


def check_size(state: RunState, share: float, minimum: int) -> int:
    """Records the check needs: ``share`` of the unscreened records, at least ``minimum``."""
    return max(minimum, math.ceil(share * max(state.n_unscreened, 0)))
