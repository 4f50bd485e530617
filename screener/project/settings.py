"""A project's settings, stored: one entry in its database, shown by ``screener status``, used by sessions and ``rank``.

The settings themselves are a ``screener.settings.ProjectSettings`` (the fit policy, the ranker's
parameters, the stopping rule a session follows, the target recall and confidence). They are one
JSON value in the project's ``meta`` table (key ``create.SETTINGS_KEY``), written when the project
is created, the target and confidence taken from the criteria file's ``[stopping]`` table, and
changed with ``change_settings`` (``screener settings``). A project made before settings were
stored has no such entry and reads what it always ran: the defaults, with the target and
confidence of its criteria file. Nothing here prints.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from screener.errors import ConfigError, ProjectError
from screener.project.create import SETTINGS_KEY, project_criteria
from screener.project.store import Store
from screener.settings import ProjectSettings, fit_policy_named

__all__ = ["ProjectSettings", "change_settings", "default_settings", "project_settings", "set_project_settings"]


def default_settings(store: Store) -> ProjectSettings:
    """What a project without stored settings runs: the defaults, the criteria file's target and confidence."""
    criteria = project_criteria(store)
    return ProjectSettings(target=float(criteria.target_recall), confidence=float(criteria.confidence))


def project_settings(store: Store) -> ProjectSettings:
    """The project's settings (``default_settings`` where none are stored), target and confidence filled in."""
    text = store.get_meta(SETTINGS_KEY)
    if text is None:
        return default_settings(store)
    try:
        settings = ProjectSettings.from_dict(json.loads(text))
    except (ValueError, TypeError, ConfigError) as exc:  # JSONDecodeError is a ValueError
        raise ProjectError(f"{store.folder}: the stored project settings cannot be read ({exc}); "
                           "set them again with 'screener settings'") from None
    if settings.target is None:
        fallback = default_settings(store)
        settings = replace(settings, target=fallback.target, confidence=fallback.confidence)
    return settings


def set_project_settings(store: Store, settings: ProjectSettings) -> ProjectSettings:
    """Store ``settings`` as the project's (checked first: a bad setting changes nothing)."""
    settings.check()
    store.set_meta(SETTINGS_KEY, json.dumps(settings.as_dict(), sort_keys=True))
    return settings


def change_settings(store: Store, **changes: Any) -> ProjectSettings:
    """The project's settings with ``changes`` (fields of ``ProjectSettings``; ``None`` leaves a field as it
    is), stored. ``fit_policy`` may be ``"warm"``, ``"fresh"``, a ``FitPolicy`` or a dict of its fields."""
    unknown = sorted(set(changes) - set(ProjectSettings.__dataclass_fields__))
    if unknown:
        raise ConfigError(f"unknown project setting {', '.join(unknown)}")
    changes = {k: v for k, v in changes.items() if v is not None}
    if "fit_policy" in changes:
        changes["fit_policy"] = fit_policy_named(changes["fit_policy"])
    try:
        current = project_settings(store)
    except ProjectError:  # unreadable: replaced, from what a project without settings runs
        current = default_settings(store)
    return set_project_settings(store, replace(current, **changes))


