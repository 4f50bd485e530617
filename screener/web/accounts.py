"""Reviewer accounts of the browser app: password hashes, the cookie-signing secret, login rate limits.

Passwords are hashed with Argon2id (argon2-cffi's defaults, RFC 9106) and kept in the
project's ``meta`` table (``password:NAME``), beside the reviewers they belong to. The
secret that signs session cookies is a file in the project folder, created with mode
0600 and refused when others can read it.
"""

from __future__ import annotations

import os
import secrets
import stat
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path

from screener.errors import ConfigError, ProjectError
from screener.project.reviewers import team
from screener.project.store import Store

SECRET_FILE = "serve-secret"
MIN_PASSWORD, MAX_PASSWORD = 8, 1024
_DUMMY_HASH: str | None = None


def _hasher():
    from argon2 import PasswordHasher

    return PasswordHasher()


def _key(name: str) -> str:
    return f"password:{name}"


def set_password(store: Store, name: str, password: str) -> None:
    """Set a known reviewer's password (checked before anything is written)."""
    if name not in team(store).names:
        raise ConfigError(f"unknown reviewer {name!r}: add them first with 'screener reviewers add'")
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise ConfigError(f"a password is {MIN_PASSWORD} to {MAX_PASSWORD} characters")
    store.set_meta(_key(name), _hasher().hash(password))


def accounts(store: Store) -> tuple[str, ...]:
    """The reviewers who can log in (those with a password)."""
    return tuple(n for n in team(store).names if store.get_meta(_key(n)) is not None)


def verify_password(store: Store, name: str, password: str) -> bool:
    """Whether ``name`` is a reviewer of this project with this password.

    An unknown name still costs one hash check, so timing does not tell which names exist.
    """
    from argon2.exceptions import InvalidHashError, VerificationError

    global _DUMMY_HASH
    ph = _hasher()
    stored = store.get_meta(_key(name)) if name in team(store).names else None
    if stored is None:
        _DUMMY_HASH = _DUMMY_HASH or ph.hash(secrets.token_hex(16))
        stored, password = _DUMMY_HASH, password + "\x00never"
    try:
        return ph.verify(stored, password[:MAX_PASSWORD + 1])
    except (VerificationError, InvalidHashError):
        return False


def project_secret(folder: str | Path) -> str:
    """The project's cookie-signing secret: created once (mode 0600), refused if others can read it."""
    path = Path(folder) / SECRET_FILE
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            raise ProjectError(f"{path}: readable by others (mode {mode:o}); run 'chmod 600 {path}'") from None
        secret = path.read_text().strip()
        if len(secret) < 32:
            raise ProjectError(f"{path}: not a secret screener wrote; delete it to make a new one "
                               "(every reviewer then logs in again)") from None
        return secret
    with os.fdopen(fd, "w") as f:
        secret = secrets.token_hex(32)
        f.write(secret + "\n")
    return secret


class LoginLimiter:
    """At most ``max_failures`` failed logins per key (a name, a client address) within ``window_s``."""

    def __init__(self, *, max_failures: int = 5, window_s: float = 300.0,
                 clock: Callable[[], float] = time.monotonic):
        self.max_failures, self.window_s, self.clock = max_failures, window_s, clock
        self._failures: dict[str, deque[float]] = {}

    def _recent(self, key: str) -> deque[float]:
        times = self._failures.setdefault(key, deque())
        while times and times[0] <= self.clock() - self.window_s:
            times.popleft()
        return times

    def wait(self, *keys: str) -> float:
        """Seconds until any of ``keys`` may try again (0: now)."""
        waits = [t[0] + self.window_s - self.clock() for k in keys
                 if len(t := self._recent(k)) >= self.max_failures]
        return max(waits, default=0.0)

    def failed(self, *keys: str) -> None:
        for k in keys:
            self._recent(k).append(self.clock())

    def succeeded(self, key: str) -> None:
        self._failures.pop(key, None)
