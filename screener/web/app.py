"""The Starlette application: log-in, the guards around every route, and the pages' routes.

Guards, in the order they apply: a signed session cookie (HttpOnly, SameSite=Lax) naming
a live log-in of a reviewer of this project (otherwise GET → 303 to /login, POST → 401);
the project in the URL (otherwise 404); a CSRF token in every state-changing form
(otherwise 403). Nothing is written before all of them pass. Pages are Jinja2 templates
with autoescaping on: record text is always text. A Content-Security-Policy allows only
this server's own script and style files (no inline script). The screening pages' routes
are in ``screening.py`` and ``fulltext.py``.
"""

from __future__ import annotations

import contextlib
import hmac
import secrets
import time
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from screener.project.reviewers import team
from screener.project.store import Store
from screener.web.accounts import MAX_PASSWORD, LoginLimiter, project_secret, verify_password
from screener.web.fulltext import FullTexts
from screener.web.screening import Screening
from screener.web.sittings import Sittings
from screener.web.team import team_routes

LOOPBACK = ("127.0.0.1", "localhost", "::1")
SESSION_HOURS = 12
MEMBERS_S = 2.0  # how long the team's names are trusted before the store is read again (each request checks)
HEADERS = {
    "content-security-policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
                               "connect-src 'self'; "
                               "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
    "cache-control": "no-store",
}


class SecurityHeaders:
    """Adds ``HEADERS`` to every response (a plain ASGI middleware)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                names = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [
                    (k.encode(), v.encode()) for k, v in HEADERS.items() if k.encode() not in names]
            await send(message)

        return await self.app(scope, receive, send_with_headers)


class ServeApp:
    """The routes over one project folder (``create_app`` builds the Starlette app around it)."""

    def __init__(self, folder: Path, *, background: bool = True, limiter: LoginLimiter | None = None):
        self.folder = Path(folder)
        with Store.open(self.folder) as store:  # a broken project fails here, before serving
            team(store)
        self.slug = self.folder.resolve().name
        self.sittings = Sittings(self.folder, background=background)
        self.limiter = limiter or LoginLimiter()  # per reviewer name
        self.client_limiter = LoginLimiter(max_failures=4 * self.limiter.max_failures,
                                           window_s=self.limiter.window_s, clock=self.limiter.clock)
        self.logins: dict[str, tuple[str, float]] = {}  # live log-in id → (reviewer, when); log-out ends it
        self._members: tuple[float, tuple[str, ...]] | None = None  # (read when, the team's names)
        self.env = Environment(loader=PackageLoader("screener.web", "templates"),
                               autoescape=select_autoescape(default=True, default_for_string=True))

    # -- helpers --------------------------------------------------------------------------------
    def render(self, request: Request, name: str, status: int = 200, *, user: str | None = None,
               **context) -> HTMLResponse:
        context.update(csrf=self.csrf(request), slug=self.slug, user=user)
        return HTMLResponse(self.env.get_template(name).render(**context), status_code=status)

    @staticmethod
    def csrf(request: Request) -> str:
        if "csrf" not in request.session:
            request.session["csrf"] = secrets.token_urlsafe(32)
        return request.session["csrf"]

    def user(self, request: Request) -> str | None:
        """The logged-in reviewer, if the log-in is live and they are still on the project."""
        login = self.logins.get(request.session.get("login", ""))
        if login is None or login[1] < time.monotonic() - SESSION_HOURS * 3600:
            return None
        return login[0] if login[0] in self.members() else None

    def members(self) -> tuple[str, ...]:
        """The project's reviewers, read from the store at most every ``MEMBERS_S`` (not at each request)."""
        cached = self._members
        if cached is None or cached[0] < time.monotonic() - MEMBERS_S:
            with Store.open(self.folder) as store:
                cached = self._members = (time.monotonic(), team(store).names)
        return cached[1]

    def forget_members(self) -> None:
        """The team changed (a reviewer added): the next request reads it again."""
        self._members = None

    async def current_user(self, request: Request) -> str | None:
        return await run_in_threadpool(self.user, request)

    @staticmethod
    async def form_csrf_ok(request: Request, form) -> bool:
        sent, expected = form.get("csrf", ""), request.session.get("csrf", "")
        return bool(expected) and isinstance(sent, str) and hmac.compare_digest(sent.encode(), expected.encode())

    async def guard(self, request: Request, *, post: bool):
        """(user, form) when the request may proceed, or the refusing response."""
        user = await self.current_user(request)
        if user is None:
            if post:
                return HTMLResponse("log in first", status_code=401), None
            return RedirectResponse("/login", status_code=303), None
        if request.path_params.get("slug") != self.slug:
            return HTMLResponse("no such project", status_code=404), None
        form = None
        if post:
            form = await request.form()
            if not await self.form_csrf_ok(request, form):
                return HTMLResponse("the form has expired (missing or wrong CSRF token): reload the page",
                                    status_code=403), None
        return user, form

    # -- routes ---------------------------------------------------------------------------------
    async def home(self, request: Request) -> Response:
        if await self.current_user(request) is None:
            return RedirectResponse("/login", status_code=303)
        return RedirectResponse(f"/p/{self.slug}/screen", status_code=303)

    async def login_page(self, request: Request) -> Response:
        if await self.current_user(request) is not None:
            return RedirectResponse(f"/p/{self.slug}/screen", status_code=303)
        return self.render(request, "login.html", message="")

    async def login(self, request: Request) -> Response:
        form = await request.form()
        if not await self.form_csrf_ok(request, form):
            return self.render(request, "login.html", status=403,
                               message="the form has expired: reload the page and log in again")
        name, password = str(form.get("name", "")).strip(), str(form.get("password", ""))
        client = request.client.host if request.client else "?"
        wait = max(self.limiter.wait(name), self.client_limiter.wait(client))
        if wait > 0:
            return self.render(request, "login.html", status=429,
                               message=f"too many failed log-ins: try again in {wait:.0f} s")
        ok = bool(name) and len(password) <= MAX_PASSWORD and await run_in_threadpool(self._verify, name, password)
        if not ok:
            self.limiter.failed(name)
            self.client_limiter.failed(client)
            return self.render(request, "login.html", status=401, message="wrong name or password")
        self.limiter.succeeded(name)
        self.forget_members()  # a reviewer added a moment ago is on the team now
        request.session.clear()  # a new session: new log-in id, new CSRF token
        login = secrets.token_urlsafe(32)
        self.logins = {k: v for k, v in self.logins.items()  # forget expired log-ins
                       if v[1] >= time.monotonic() - SESSION_HOURS * 3600}
        self.logins[login] = (name, time.monotonic())
        request.session.update(login=login, csrf=secrets.token_urlsafe(32))
        return RedirectResponse(f"/p/{self.slug}/screen", status_code=303)

    async def logout(self, request: Request) -> Response:
        user = await self.current_user(request)
        if user is None:
            return HTMLResponse("log in first", status_code=401)
        form = await request.form()
        if not await self.form_csrf_ok(request, form):
            return HTMLResponse("the form has expired (missing or wrong CSRF token): reload the page",
                                status_code=403)
        self.logins.pop(request.session.get("login", ""), None)
        if user not in {who for who, _ in self.logins.values()}:
            await run_in_threadpool(self.sittings.end, user)
        request.session.clear()
        return RedirectResponse("/login", status_code=303)

    def _verify(self, name: str, password: str) -> bool:
        with Store.open(self.folder) as store:
            return verify_password(store, name, password)

    async def not_found(self, request: Request, exc) -> Response:
        return HTMLResponse("not found", status_code=404)


def create_app(folder: str | Path, *, host: str = "127.0.0.1", background: bool = True,
               limiter: LoginLimiter | None = None) -> Starlette:
    """The browser app over the project in ``folder`` (served by uvicorn in ``screener serve``)."""
    web = ServeApp(Path(folder), background=background, limiter=limiter)
    screening = Screening(web)  # the screening pages at both stages (screening.py, fulltext.py)
    static = Path(__file__).parent / "static"
    routes = [
        Route("/", web.home),
        Route("/login", web.login_page, methods=["GET"]),
        Route("/login", web.login, methods=["POST"]),
        Route("/logout", web.logout, methods=["POST"]),
        *screening.routes(),
        *FullTexts(web, screening).routes(),
        *team_routes(web),  # conflicts, agreement, reviewers, PRISMA, exports, import (screener.web.team)
        Mount("/static", StaticFiles(directory=static), name="static"),
    ]
    hosts = ["127.0.0.1", "localhost", "[::1]", "::1"] if host in LOOPBACK else ["*"]
    middleware = [
        Middleware(SecurityHeaders),
        Middleware(TrustedHostMiddleware, allowed_hosts=hosts),
        Middleware(SessionMiddleware, secret_key=project_secret(folder), session_cookie="screener_session",
                   max_age=SESSION_HOURS * 3600, same_site="lax", https_only=False),
    ]

    @contextlib.asynccontextmanager
    async def lifespan(app):
        yield
        web.sittings.close()  # each reviewer's model of the ledger is saved, as the terminal does

    app = Starlette(routes=routes, middleware=middleware, exception_handlers={404: web.not_found},
                    lifespan=lifespan)
    app.state.web = web
    return app
