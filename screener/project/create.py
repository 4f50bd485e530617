"""Creating a project folder, and the criteria and settings it carries.

``init_project`` stores the criteria file's text in the project (so it travels with the
folder) and the project's settings (``screener.settings.ProjectSettings``, read back by
``screener.project.settings``); ``project_criteria`` reads the criteria back;
``set_project_criteria`` replaces them (checked first; the text it replaces is kept). Nothing here prints.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import replace
from pathlib import Path

from screener.criteria import Criteria, criteria_from_dict, criteria_from_prose, load_criteria
from screener.errors import ConfigError, ProjectError
from screener.project.store import Store, now
from screener.settings import ProjectSettings

SETTINGS_KEY = "settings"  # the meta key of the project's settings (JSON of ``ProjectSettings.as_dict``)


def init_project(folder: str | Path, criteria_path: str | Path, *, seed: int = 0,
                 settings: ProjectSettings | None = None) -> Path:
    """Create a project folder holding the criteria file's text (so it travels with the project) and
    its settings (default ``ProjectSettings()``; a target and confidence not given are the criteria file's)."""
    criteria_path = Path(criteria_path)
    criteria = load_criteria(criteria_path)  # refuse a broken criteria file before creating anything
    settings = settings or ProjectSettings()
    if settings.target is None:
        settings = replace(settings, target=float(criteria.target_recall), confidence=float(criteria.confidence))
    settings.check()  # and bad settings
    text = criteria_path.read_bytes().decode("utf-8-sig", errors="replace")
    store = Store.create(folder, {
        "criteria_name": criteria_path.name, "criteria_text": text, "seed": str(int(seed)),
        "created": now(), SETTINGS_KEY: json.dumps(settings.as_dict(), sort_keys=True),
    })
    store.close()
    return Path(folder)


MAX_CRITERIA_CHARS = 100_000


def project_criteria(store: Store) -> Criteria:
    name = store.get_meta("criteria_name", "criteria.txt")
    text = store.get_meta("criteria_text", "")
    if name.lower().endswith(".toml"):
        try:
            return criteria_from_dict(tomllib.loads(text), source=name)
        except tomllib.TOMLDecodeError as exc:
            raise ProjectError(f"{store.folder}: stored criteria are not valid TOML ({exc})") from None
    return criteria_from_prose(text.strip(), source=name)


def parse_criteria_text(text: str, name: str) -> Criteria:
    """Criteria from the text of a file called ``name`` (TOML when it ends in .toml), or one ConfigError line."""
    if name.lower().endswith(".toml"):
        try:
            doc = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{name}: not valid TOML ({exc}); nothing was saved") from None
        return criteria_from_dict(doc, source=name)
    if not text.strip():
        raise ConfigError(f"{name}: the criteria are empty; write the inclusion criteria as prose")
    return criteria_from_prose(text.strip(), source=name)


def set_project_criteria(store: Store, text: str, *, by: str) -> Criteria:
    """Replace the project's criteria text (same format as before), checked before anything is written.

    Refused: text that does not parse, more than ``MAX_CRITERIA_CHARS`` characters, and dropping
    an exclusion reason that a decision in the ledger uses (it stays in the list; rename it by
    adding the new one). The replaced text is kept in ``criteria_previous``. Highlighting and the
    reasons list follow at once; the cold-start pseudo-document follows when the pool is next loaded.
    """
    from screener.project.reviewers import check_reviewer

    who = check_reviewer(store, by)
    if not isinstance(text, str) or len(text) > MAX_CRITERIA_CHARS:
        raise ConfigError(f"the criteria are at most {MAX_CRITERIA_CHARS:,} characters; nothing was saved")
    text = text.replace("\r\n", "\n")
    name = store.get_meta("criteria_name", "criteria.txt")
    criteria = parse_criteria_text(text, name)
    kept = set(criteria.reasons) | set(store.custom_reasons())
    dropped = sorted(store.reasons_in_use() - kept)
    if dropped:
        raise ConfigError(f"the reason(s) {'; '.join(repr(r) for r in dropped)} are used by decisions in the "
                          "ledger: keep them in 'reasons'; nothing was saved")
    old = store.get_meta("criteria_text", "")
    if text != old:
        metas = {"criteria_previous": old, "criteria_text": text, "criteria_edited": f"{now()} by {who}"}
        if _stopping_table(store) != (criteria.target_recall, criteria.confidence):  # the project's target follows
            metas[SETTINGS_KEY] = _settings_json(store, criteria)
        store.set_metas(metas)
    return criteria


def _stopping_table(store: Store) -> tuple[float, float] | None:
    try:
        c = project_criteria(store)
    except ProjectError:
        return None
    return c.target_recall, c.confidence


def _settings_json(store: Store, criteria: Criteria) -> str:
    """The stored settings with the target and confidence of ``criteria`` (defaults where none or unreadable)."""
    try:
        settings = ProjectSettings.from_dict(json.loads(store.get_meta(SETTINGS_KEY) or "{}"))
    except (ValueError, TypeError, ConfigError):
        settings = ProjectSettings()
    settings = replace(settings, target=float(criteria.target_recall), confidence=float(criteria.confidence))
    return json.dumps(settings.as_dict(), sort_keys=True)
