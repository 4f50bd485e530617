"""Model-based estimate of the relevant records still unscreened, from the classifier's
calibrated probabilities (QuantCI: Yang, Lewis & Frieder 2021, "Heuristic stopping rules for
technology-assisted review", DocEng). Heuristic: valid only as far as the probabilities
are calibrated on the unscreened records.
"""

from __future__ import annotations

import math

from scipy.stats import norm

from screener.stopping.base import Param, RunState, StoppingRule, Verdict, check_target


class QuantCI(StoppingRule):
    """QuantCI (Yang, Lewis & Frieder 2021). Remaining relevant D = Σ p over unscreened records, Var = Σ p(1−p) (independent
    Bernoullis). Recall estimate found/(found + E[D]) with interval from E[D] ± z·sd; stop when
    the lower end of the interval reaches τ. Needs ``expected_remaining`` (and ``remaining_var``).
    """

    name = "quant_ci"
    uses_target = True
    needs_model = True
    PARAMS = {"z": Param(float, 0, low_open=True, optional=True)}

    def __init__(self, *, z: float | None = None):
        self.z = z

    def verdict(self, state: RunState, *, target: float = 0.95, confidence: float = 0.95) -> Verdict:
        self._validate()
        check_target(target, confidence)
        if (end := self._at_end(state)) is not None:
            return end
        if state.expected_remaining is None:
            return self._verdict(state, False, "No model probabilities for the unscreened records: cannot estimate.")
        z = self.z if self.z is not None else float(norm.ppf(confidence))
        e = max(0.0, float(state.expected_remaining))
        sd = math.sqrt(max(0.0, float(state.remaining_var or 0.0)))
        found = state.found
        if found == 0:
            return self._verdict(state, False, "No relevant record found yet.")
        est = found / (found + e)
        lo = found / (found + e + z * sd)
        hi = found / (found + max(0.0, e - z * sd))
        stop = lo >= target
        return self._verdict(state, stop, f"About {e:.1f} ± {sd:.1f} relevant records remain unscreened by the model; "
                             f"recall ≥ {lo:.3f} ({'stop' if stop else 'continue'} at {target:g}).", est, (lo, hi))
