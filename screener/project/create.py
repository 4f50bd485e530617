"""Creating a project folder, and the criteria it carries.

``init_project`` stores the criteria file's text in the project (so it travels with the
folder); ``project_criteria`` reads it back. Nothing here prints.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from screener.criteria import Criteria, criteria_from_dict, load_criteria
from screener.errors import ProjectError
from screener.project.store import Store, now


def init_project(folder: str | Path, criteria_path: str | Path, *, seed: int = 0) -> Path:
    """Create a project folder holding the criteria file's text (so it travels with the project)."""
    criteria_path = Path(criteria_path)
    load_criteria(criteria_path)  # refuse a broken criteria file before creating anything
    text = criteria_path.read_bytes().decode("utf-8-sig", errors="replace")
    store = Store.create(folder, {
        "criteria_name": criteria_path.name, "criteria_text": text, "seed": str(int(seed)),
        "created": now(),
    })
    store.close()
    return Path(folder)


def project_criteria(store: Store) -> Criteria:
    name = store.get_meta("criteria_name", "criteria.txt")
    text = store.get_meta("criteria_text", "")
    if name.lower().endswith(".toml"):
        try:
            return criteria_from_dict(tomllib.loads(text), source=name)
        except tomllib.TOMLDecodeError as exc:
            raise ProjectError(f"{store.folder}: stored criteria are not valid TOML ({exc})") from None
    return Criteria(include=text.strip(), source=name)
