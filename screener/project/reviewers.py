"""A project's team: named reviewers with roles, the screening mode of each stage, the reasons list.

Roles: ``owner`` (set the project up; may resolve conflicts), ``reviewer`` (votes) and
``adjudicator`` (votes and resolves conflicts). A project without reviewers is a
one-person project and takes any name (today's behaviour); once a reviewer is added,
every session and vote must name a known one, and the project's default reviewer is its
first owner (or first reviewer).

Modes per stage (``ta`` title/abstract, ``ft`` full text): ``single`` or ``dual`` (see
``screener.conflicts``); dual mode is blind unless the owner turns blinding off.
Stored in the ``meta`` table (``mode:ta``, ``mode:ft``, ``blind``).

Exclusion reasons: the criteria file's ``reasons`` plus custom ones added to the project.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from screener.conflicts import MODES, STAGE_NAMES, STAGES
from screener.errors import ConfigError
from screener.project.create import project_criteria
from screener.project.store import Store

ROLES = ("owner", "reviewer", "adjudicator")
RESOLVING_ROLES = ("owner", "adjudicator")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}$")


@dataclass(frozen=True)
class Reviewer:
    name: str
    role: str
    added_at: str


@dataclass(frozen=True)
class Team:
    """Who screens and how: reviewers, the mode of each stage, blinding."""

    reviewers: tuple[Reviewer, ...]
    modes: dict[str, str]
    blind: bool

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(r.name for r in self.reviewers)

    def role(self, name: str) -> str | None:
        return next((r.role for r in self.reviewers if r.name == name), None)

    @property
    def default_reviewer(self) -> str | None:
        for role in ("owner", "reviewer", "adjudicator"):
            for r in self.reviewers:
                if r.role == role:
                    return r.name
        return None


def team(store: Store) -> Team:
    rows = store.reviewers()
    reviewers = tuple(Reviewer(r.name, r.role, r.added_at) for r in rows.itertuples())
    modes = {s: store.get_meta(f"mode:{s}", "single") for s in STAGES}
    return Team(reviewers, modes, store.get_meta("blind", "1") == "1")


def stage_mode(store: Store, stage: str) -> str:
    return store.get_meta(f"mode:{stage}", "single")


def add_reviewer(store: Store, name: str, role: str = "reviewer") -> Reviewer:
    """Add a named reviewer; the first one of a project must be its owner."""
    name = name.strip()
    if not _NAME.match(name):
        raise ConfigError(f"reviewer name {name!r}: use 1-64 letters, digits or . _ @ + - (no spaces), "
                          "starting with a letter or digit")
    if role not in ROLES:
        raise ConfigError(f"role {role!r}: use one of {', '.join(ROLES)}")
    current = team(store)
    if name in current.names:
        raise ConfigError(f"{name} is already a reviewer of this project ({current.role(name)})")
    if not current.reviewers and role != "owner":
        raise ConfigError(f"the first reviewer of a project is its owner: add {name} with --role owner")
    store.add_reviewer(name, role)
    return Reviewer(name, role, team(store).reviewers[-1].added_at)


def set_role(store: Store, name: str, role: str) -> Reviewer:
    """Change a reviewer's role (checked first); a project keeps at least one owner."""
    if role not in ROLES:
        raise ConfigError(f"role {role!r}: use one of {', '.join(ROLES)}")
    current = team(store)
    if name not in current.names:
        raise ConfigError(f"unknown reviewer {name!r}: this project's reviewers are {', '.join(current.names)}")
    owners = [r.name for r in current.reviewers if r.role == "owner"]
    if owners == [name] and role != "owner":
        raise ConfigError(f"{name} is the project's only owner: make another reviewer owner first")
    store.set_role(name, role)
    return next(r for r in team(store).reviewers if r.name == name)


def check_reviewer(store: Store, name: str | None) -> str:
    """The reviewer a session or vote acts as: a known name, or the project's default.

    A project without reviewers takes any non-empty name (``name`` required then).
    """
    t = team(store)
    if not t.reviewers:
        if name is None or not name.strip():
            raise ConfigError("name the reviewer (--reviewer NAME)")
        return name.strip()
    if name is None:
        return t.default_reviewer
    if name not in t.names:
        raise ConfigError(f"unknown reviewer {name!r}: this project's reviewers are {', '.join(t.names)}; "
                          f"add one with 'screener reviewers add {store.folder} NAME'")
    return name


def can_resolve(store: Store, name: str) -> bool:
    t = team(store)
    return not t.reviewers or t.role(name) in RESOLVING_ROLES


def set_mode(store: Store, stage: str, mode: str, *, blind: bool | None = None) -> Team:
    """Set a stage's screening mode (and blinding), checked before anything is written."""
    if stage not in STAGES:
        raise ConfigError(f"stage {stage!r}: use one of {', '.join(f'{s} ({n})' for s, n in STAGE_NAMES.items())}")
    if mode not in MODES:
        raise ConfigError(f"mode {mode!r}: use one of {', '.join(MODES)}")
    if mode == "dual" and len(team(store).reviewers) < 2:
        raise ConfigError("dual screening needs two reviewers: add them first with 'screener reviewers add'")
    store.set_meta(f"mode:{stage}", mode)
    if blind is not None:
        store.set_meta("blind", "1" if blind else "0")
    return team(store)


def exclusion_reasons(store: Store) -> tuple[str, ...]:
    """The project's reasons list: the criteria file's reasons, then custom ones."""
    base = tuple(project_criteria(store).reasons)
    return base + tuple(r for r in store.custom_reasons() if r not in base)


def add_reason(store: Store, reason: str, *, by: str) -> tuple[str, ...]:
    reason = " ".join(reason.split())
    if not reason or len(reason) > 120:
        raise ConfigError("a reason is 1-120 characters of text")
    store.add_reason(reason, check_reviewer(store, by))
    return exclusion_reasons(store)


def check_reasons(store: Store, reasons: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """Each reason must be in the project's list (one line naming the list otherwise)."""
    allowed = exclusion_reasons(store)
    for r in reasons:
        if r not in allowed:
            listed = "; ".join(allowed) if allowed else "none yet"
            raise ConfigError(f"reason {r!r} is not in this project's list ({listed}); "
                              "add it with 'screener reasons add'")
    return tuple(reasons)


def open_team(folder: str | Path) -> Team:
    with Store.open(folder) as store:
        return team(store)
