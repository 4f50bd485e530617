"""The settings that decide a ranking, as one frozen value stored with a project and in every run.

``RankerSettings`` holds the feature extractor's and the learner's parameters that differ from
their defaults (the defaults themselves are defined once, in ``TextFeatures`` and
``ActiveLearner``). ``as_dict`` resolves them into every parameter's value, the form written to a
project, a model's sidecar and each benchmark row, so that two runs compare by their settings
even when a default changed in between.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from screener.active import ActiveLearner
from screener.errors import ConfigError
from screener.features import TextFeatures


@dataclass(frozen=True)
class RankerSettings:
    """Feature and learner parameters (``TextFeatures``, ``ActiveLearner``) that differ from the defaults."""

    features: Mapping[str, Any] = field(default_factory=dict)
    learner: Mapping[str, Any] = field(default_factory=dict)

    def make_features(self) -> TextFeatures:
        return _build(TextFeatures, self.features, "features")

    def make_learner(self, random_state=None) -> ActiveLearner:
        if "random_state" in self.learner:
            raise ConfigError("learner settings must not hold random_state: a run's seed is given separately")
        return _build(ActiveLearner, {**self.learner, "random_state": random_state}, "learner")

    def as_dict(self) -> dict:
        """Every parameter's value, JSON-able: ``{"features": {...}, "learner": {...}}``."""
        return {"features": self.make_features().settings(), "learner": self.make_learner().settings()}


def _build(cls, params: Mapping[str, Any], what: str):
    try:
        return cls(**params)
    except TypeError:
        known = set(cls().get_params(deep=False))
        unknown = sorted(set(params) - known)
        raise ConfigError(f"{what} settings: unknown parameter {', '.join(unknown)}; "
                          f"parameters: {', '.join(sorted(known))}") from None
