"""The settings that decide a ranking, as one frozen value stored with a project and in every run.

``ProjectSettings`` is a project's whole settings entry: its ranking (fit policy and
``RankerSettings``) and its stopping advice (the rule a session follows, target, confidence);
``screener.project.settings`` stores and reads it.

``RankerSettings`` holds the feature extractor's and the learner's parameters that differ from
their defaults (the defaults themselves are defined once, in ``TextFeatures`` and
``ActiveLearner``). ``as_dict`` resolves them into every parameter's value, the form written to a
project, a model's sidecar and each benchmark row, so that two runs compare by their settings
even when a default changed in between.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from screener.active import FRESH, WARM, ActiveLearner, FitPolicy
from screener.errors import ConfigError
from screener.features import TextFeatures
from screener.stopping import RECOMMENDED, make_rule
from screener.stopping.base import check_target

FIT_POLICIES: dict[str, FitPolicy] = {"warm": WARM, "fresh": FRESH}  # by name, for the command line


# What a ranker sees: ``word+char``, the default, is the interleave (``screener.ensemble``): a
# learner on word 1-2 grams and one on character 4-grams, their queues interleaved (chosen out
# of fold, README "Ranker candidates chosen out of fold"); ``word``, one learner on word 1-2 grams.
VIEWS = ("word+char", "word")
DEFAULT_VIEWS = "word+char"


# The command line's names for them (``--ranker``); "default" is the interleave.
RANKER_NAMES = {"interleave": "word+char", "default": "word+char", "word": "word"}


def views_named(ranker: str) -> str:
    """The views of a ``--ranker`` name; a ``ConfigError`` for any other."""
    if ranker not in RANKER_NAMES:
        raise ConfigError(f"unknown ranker {ranker!r}; choose interleave (the default) or word")
    return RANKER_NAMES[ranker]


def check_views(views: str) -> None:
    if views not in VIEWS:
        raise ConfigError(f"unknown views {views!r}; choose {' or '.join(VIEWS)}")


@dataclass(frozen=True)
class RankerSettings:
    """The views (``VIEWS``) and the feature and learner parameters (``TextFeatures``,
    ``ActiveLearner``) that differ from the defaults. With two views, ``features`` are the word
    view's and ``learner`` each member's (the character member keeps its own C)."""

    features: Mapping[str, Any] = field(default_factory=dict)
    learner: Mapping[str, Any] = field(default_factory=dict)
    views: str = DEFAULT_VIEWS

    def make_features(self):
        """``TextFeatures`` (one view) or ``screener.ensemble.ViewFeatures`` (word and char: one matrix each)."""
        check_views(self.views)
        word = _build(TextFeatures, self.features, "features")
        if self.views == "word":
            return word
        from screener.ensemble import ViewFeatures

        return ViewFeatures(word)

    def make_learner(self, random_state=None):
        """``ActiveLearner`` (one view) or the interleave's ``screener.ensemble.RankEnsemble``."""
        check_views(self.views)
        if "random_state" in self.learner:
            raise ConfigError("learner settings must not hold random_state: a run's seed is given separately")
        single = _build(ActiveLearner, {**self.learner, "random_state": random_state}, "learner")
        if self.views == "word":
            return single
        from screener.ensemble import interleave

        params = dict(self.learner)
        return interleave(params, query=params.pop("query", single.query), random_state=random_state)

    def as_dict(self) -> dict:
        """Every parameter's value, JSON-able: ``{"views": ..., "features": {...}, "learner": {...}}``."""
        return {"views": self.views, "features": self.make_features().settings(),
                "learner": self.make_learner().settings()}


def _build(cls, params: Mapping[str, Any], what: str):
    try:
        return cls(**params)
    except TypeError:
        known = set(cls().get_params(deep=False))
        unknown = sorted(set(params) - known)
        raise ConfigError(f"{what} settings: unknown parameter {', '.join(unknown)}; "
                          f"parameters: {', '.join(sorted(known))}") from None


@dataclass(frozen=True)
class ProjectSettings:
    """How a project ranks and advises stopping.

    fit_policy : how the learner is refit as decisions arrive (``active.FitPolicy``; ``WARM``).
    features, learner : ``TextFeatures`` and ``ActiveLearner`` parameters that differ from their
        defaults (not ``fit_policy`` or ``random_state``: the policy is its own field, the seed the project's).
    views : ``word+char`` (the interleave, default) or ``word`` (``VIEWS``).
    stopping_rule : the rule whose advice a session shows and whose random checks it serves (a spec
        as ``screener.stopping.make_rule`` reads it).
    target, confidence : the recall the stopping advice is for and its confidence; ``None`` in a
        project made before settings were stored: the criteria file's (``project_settings`` fills them in).
    """

    fit_policy: FitPolicy = WARM
    features: Mapping[str, Any] = field(default_factory=dict)
    learner: Mapping[str, Any] = field(default_factory=dict)
    views: str = DEFAULT_VIEWS
    stopping_rule: str = RECOMMENDED
    target: float | None = None
    confidence: float | None = None

    @property
    def ranker(self) -> RankerSettings:
        """The feature and learner settings, the fit policy among the learner's."""
        return RankerSettings(features=dict(self.features), learner={**self.learner, "fit_policy": self.fit_policy},
                              views=self.views)

    def check(self) -> None:
        """Raise ``ConfigError`` naming the first bad setting."""
        if not isinstance(self.fit_policy, FitPolicy):
            raise ConfigError(f"fit_policy must be a FitPolicy, got {self.fit_policy!r}")
        self.fit_policy.check()
        check_views(self.views)
        for name in ("fit_policy", "random_state"):
            if name in self.learner:
                raise ConfigError(f"learner settings must not hold {name}: "
                                  + ("it is a setting of its own" if name == "fit_policy" else "the project has a seed"))
        self.ranker.as_dict()  # unknown feature or learner parameters: one ConfigError naming them
        make_rule(self.stopping_rule)
        if (self.target is None) != (self.confidence is None):
            raise ConfigError("give the target recall and the confidence together")
        if self.target is not None:
            check_target(self.target, self.confidence)
            if not 0 < self.target < 1:
                raise ConfigError(f"target recall must be in (0, 1), got {self.target:g}")

    def as_dict(self) -> dict:
        """JSON-able, as stored: ``from_dict(as_dict())`` gives the same settings."""
        return {"fit_policy": self.fit_policy.as_dict(), "features": dict(self.features), "learner": dict(self.learner),
                "views": self.views, "stopping_rule": self.stopping_rule, "target": self.target, "confidence": self.confidence}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ProjectSettings:
        """Settings from their stored form; a missing field takes its default, an unknown one is an error."""
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(f"unknown project setting {', '.join(unknown)}; settings: {', '.join(sorted(known))}")
        values = dict(data)
        if "fit_policy" in values:
            values["fit_policy"] = fit_policy_named(values["fit_policy"])
        settings = cls(**values)
        settings.check()
        return settings

    def describe(self) -> str:
        """One line for ``screener status``."""
        p = self.fit_policy
        policy = ("warm-started" + (f", {p.warm_epochs:g} passes" if p.warm_epochs is not None else ", to tol")
                  + f", {p.presumed_refresh:.0%} of the presumed sample new per fit") if p.warm_start else "fit from scratch"
        changed = {**{f"features.{k}": v for k, v in self.features.items()},
                   **{f"learner.{k}": v for k, v in self.learner.items()}}
        ranker = ", ".join(f"{k} = {v}" for k, v in changed.items()) or "defaults"
        target = "" if self.target is None else f"; target recall {self.target:g} at {self.confidence:.0%} confidence"
        views = "word and character n-grams, interleaved" if self.views == "word+char" else "word n-grams"
        return f"fit policy {policy}; ranker on {views}, {ranker}; stopping rule {self.stopping_rule}{target}"


def fit_policy_named(value: str | FitPolicy | Mapping) -> FitPolicy:
    """A fit policy from its name (``FIT_POLICIES``), a ``FitPolicy`` or a dict of its fields (the rest ``WARM``'s)."""
    if isinstance(value, FitPolicy):
        return value
    if isinstance(value, str):
        if value not in FIT_POLICIES:
            raise ConfigError(f"fit policy {value!r}: use one of {', '.join(FIT_POLICIES)}")
        return FIT_POLICIES[value]
    if isinstance(value, Mapping):
        unknown = sorted(set(value) - set(FitPolicy.__dataclass_fields__))
        if unknown:
            raise ConfigError(f"fit_policy: unknown field {', '.join(unknown)}; "
                              f"fields: {', '.join(FitPolicy.__dataclass_fields__)}")
        return FitPolicy(**{**asdict(WARM), **value})
    raise ConfigError(f"fit policy must be a name ({', '.join(FIT_POLICIES)}), a FitPolicy or a dict, got {value!r}")
