"""``screener serve``: the browser app, one more face over the project and the screening session.

``accounts`` (argon2 password hashes, the cookie-signing secret, login rate limits),
``sittings`` (one ``screener.session.Session`` per logged-in reviewer: the same step,
ranking, blind view and ledger as the terminal) and ``app`` (the Starlette routes,
sessions, CSRF, security headers, server-rendered Jinja2 pages). Nothing here decides
anything itself: every vote goes through ``Session.handle_key``.

The app's packages are the optional extra ``screener[serve]``; ``require_extra`` turns
their absence into one line naming the fix.
"""

from __future__ import annotations

import importlib.util

from screener.errors import ConfigError

EXTRA_MODULES = ("starlette", "uvicorn", "jinja2", "multipart", "itsdangerous", "argon2")


def require_extra() -> None:
    """Raise one clear line when a package of the ``serve`` extra is missing."""
    missing = [m for m in EXTRA_MODULES if importlib.util.find_spec(m) is None]
    if missing:
        raise ConfigError(f"the browser app needs {', '.join(missing)}: pip install 'screener[serve]'")
