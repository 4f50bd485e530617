"""The browser app through Starlette's TestClient: log-in, decide-and-advance, undo, escaping, blind mode,
and the guards (no session → login/401, wrong project → 404, CSRF → 403, traversal → 404), with
nothing of the project changed by any refused request."""

from __future__ import annotations

import re
import socket
import stat
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import pytest

pytest.importorskip("starlette", reason="the serve extra is not installed (pip install 'screener[serve]')")
pytest.importorskip("argon2", reason="the serve extra is not installed (pip install 'screener[serve]')")

from starlette.testclient import TestClient  # noqa: E402

from screener.project import import_files, init_project  # noqa: E402
from screener.project.reviewers import add_reviewer, set_mode  # noqa: E402
from screener.project.store import Store  # noqa: E402
from screener.project.votes import cast_vote  # noqa: E402
from screener.web.accounts import SECRET_FILE, LoginLimiter, set_password  # noqa: E402
from screener.web.app import create_app  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
HOSTILE_TITLE = "<script>alert('title')</script> peer support"
HOSTILE_ABSTRACT = '"><img src=x onerror=alert(1)> peer mentors in recovery'
HOSTILE_AUTHORS = "<b onmouseover=alert(2)>Mallory</b>"
PASSWORDS = {"alice": "alice-secret-1", "bob": "bob-secret-22"}
BASE = "http://127.0.0.1"


def make_project(folder: Path, n: int = 12) -> Path:
    rows = [{"title": f"Study {i} of peer support in addiction recovery" if i % 3 == 0 else
             f"Study {i} of hospital costs in cardiology", "abstract": f"Abstract {i} about outcomes.",
             "year": 2000 + i} for i in range(n - 1)]
    rows.append({"title": HOSTILE_TITLE, "abstract": HOSTILE_ABSTRACT, "authors": HOSTILE_AUTHORS,
                 "journal": "<i>J</i>", "keywords": "<u>k</u>", "year": 2020})
    csv = folder.parent / f"{folder.name}-search.csv"
    pd.DataFrame(rows).to_csv(csv, index=False)
    init_project(folder, ROOT / "data" / "peer_support.criteria.toml")
    import_files(folder, [csv])
    with Store.open(folder) as store:
        add_reviewer(store, "alice", "owner")
        add_reviewer(store, "bob")
        for name, pw in PASSWORDS.items():
            set_password(store, name, pw)
    return folder


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    return make_project(tmp_path_factory.mktemp("serve") / "review")


def copy_project(template: Path, tmp_path: Path) -> Path:
    """A fresh copy of a template project for one test (its server secret left behind)."""
    import shutil

    folder = tmp_path / "review"
    shutil.copytree(template, folder, ignore=shutil.ignore_patterns(SECRET_FILE))
    return folder


@pytest.fixture
def project(template, tmp_path) -> Path:
    return copy_project(template, tmp_path)


def client_for(folder: Path, **kw) -> TestClient:
    return TestClient(create_app(folder, background=False, **kw), base_url=BASE, follow_redirects=False)


@pytest.fixture
def client(project):
    with client_for(project) as c:
        yield c


@contextmanager
def serving(app):
    """``app`` served by uvicorn on a free loopback port in a thread; yields its base URL."""
    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline, tick = time.monotonic() + 30, threading.Event()
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        tick.wait(0.05)  # polling a condition with a deadline, not sleeping in place of one
    assert server.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(30)


def csrf_of(page: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', page).group(1)


def login(c: TestClient, name: str = "alice", password: str | None = None):
    token = csrf_of(c.get("/login").text)
    return c.post("/login", data={"csrf": token, "name": name, "password": password or PASSWORDS[name]})


def screen(c: TestClient, slug: str = "review"):
    page = c.get(f"/p/{slug}/screen")
    assert page.status_code == 200, page.text
    return page


def shown_record(page: str) -> str:
    return re.search(r'name="record_id" value="(\d*)"', page).group(1)


def ledger(folder: Path) -> list[tuple]:
    with Store.open(folder) as store:
        return [tuple(r) for r in store.con.execute(
            "SELECT id, record_id, label, reviewer, stage, kind FROM decisions ORDER BY id")]


def state(folder: Path) -> tuple:
    """Everything a refused request must leave alone: the ledger, reviewers, meta (passwords, modes)."""
    with Store.open(folder) as store:
        meta = sorted(tuple(r) for r in store.con.execute(
            "SELECT key, value FROM meta WHERE key NOT LIKE 'current_record:%'"))
        return ledger(folder), sorted(tuple(r) for r in store.con.execute("SELECT * FROM reviewers")), meta


def decide(c: TestClient, key: str, page: str | None = None, slug: str = "review"):
    page = page if page is not None else screen(c, slug).text
    return c.post(f"/p/{slug}/decide", data={"csrf": csrf_of(page), "key": key, "record_id": shown_record(page)})


# -- log-in, decide and advance, undo ---------------------------------------------------------
def test_login_decide_and_advance_save_through_the_session(client, project):
    assert login(client).headers["location"] == "/p/review/screen"
    page = screen(client).text
    first = shown_record(page)
    assert "reviewer alice" in page and "<kbd>I</kbd> include" in page and "<kbd>U</kbd> undo" in page
    r = decide(client, "I", page)
    assert r.status_code == 303 and r.headers["location"] == "/p/review/screen"
    assert ledger(project)[-1][1:4] == (int(first), "include", "alice")  # saved before the next record
    page = screen(client).text
    assert shown_record(page) != first
    assert re.search(r'id="screened">1 of 12<', page) and re.search(r'id="included">1<', page)
    assert 'id="stopping">stopping (' in page  # the session's verdict (single mode)


def test_undo_puts_the_record_back(client, project):
    login(client)
    page = screen(client).text
    first = shown_record(page)
    decide(client, "E", page)
    assert decide(client, "U").status_code == 303
    rows = ledger(project)
    assert rows[-1][1:3] == (int(first), "none") and len(rows) == 2
    assert shown_record(screen(client).text) == first


def test_keys_m_and_lowercase_and_a_bad_key(client, project):
    login(client)
    assert decide(client, "m").status_code == 303
    assert ledger(project)[-1][2] == "maybe"
    before = state(project)
    r = decide(client, "X")
    assert r.status_code == 400 and "unknown key" in r.text
    assert state(project) == before


def test_a_stale_record_is_refused_and_nothing_saved(client, project):
    login(client)
    page = screen(client).text
    decide(client, "E", page)
    before = state(project)
    r = decide(client, "I", page)  # the old page again (a second tab, a double submit)
    assert r.status_code == 409 and "nothing was saved" in r.text
    assert state(project) == before


def test_hostile_record_text_renders_as_text(client, project):
    login(client)
    for _ in range(12):
        page = screen(client).text
        if "alert(&#39;title&#39;)" in page or "alert(&#x27;title&#x27;)" in page or "&lt;script&gt;" in page:
            break
        decide(client, "E", page)
    assert "&lt;script&gt;alert(" in page
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;b onmouseover=alert(2)&gt;Mallory&lt;/b&gt;" in page and "<b onmouseover" not in page
    assert "&lt;i&gt;J&lt;/i&gt;" in page and "&lt;u&gt;k&lt;/u&gt;" in page
    assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in page or "&quot;&gt;&lt;img" in page
    assert page.count("<script") == 1 and '<script src="/static/screen.js"></script>' in page


# -- the guards -------------------------------------------------------------------------------
ROUTES_GET = ["/", "/p/review/screen", "/p/other/screen"]
ROUTES_POST = ["/p/review/decide", "/logout", "/p/other/decide"]


def test_every_route_without_a_session_goes_to_login_or_401(client, project):
    before = state(project)
    for path in ROUTES_GET:
        r = client.get(path)
        assert r.status_code == 303 and r.headers["location"] == "/login", path
    for path in ROUTES_POST:
        r = client.post(path, data={"key": "I", "record_id": "1", "csrf": "x"})
        assert r.status_code == 401, path
    assert state(project) == before


def test_missing_or_wrong_csrf_is_403_and_changes_nothing(client, project):
    login(client)
    page = screen(client).text
    before = state(project)
    rid = shown_record(page)
    for data in ({"key": "I", "record_id": rid}, {"key": "I", "record_id": rid, "csrf": "wrong"},
                 {"key": "U", "record_id": rid, "csrf": ""}):
        assert client.post("/p/review/decide", data=data).status_code == 403
    assert client.post("/logout", data={}).status_code == 403
    assert state(project) == before
    assert screen(client).status_code == 200  # still logged in


def test_login_needs_its_csrf_token(client):
    client.get("/login")
    r = client.post("/login", data={"name": "alice", "password": PASSWORDS["alice"]})
    assert r.status_code == 403
    assert client.get("/p/review/screen").status_code == 303


def test_wrong_project_is_404(client, project):
    login(client)
    before = state(project)
    assert client.get("/p/other/screen").status_code == 404
    page = screen(client).text
    r = client.post("/p/other/decide", data={"csrf": csrf_of(page), "key": "I", "record_id": shown_record(page)})
    assert r.status_code == 404
    assert state(project) == before


@pytest.mark.parametrize("path", ["/static/../screener.sqlite", "/static/%2e%2e/screener.sqlite",
                                  "/static/..%2fscreener.sqlite", "/static/..%2f..%2fserve-secret",
                                  "/static/%2e%2e%2f%2e%2e%2fetc/passwd", "/static/..%2fapp.py", "/static/%2e%2e/app.py",
                                  "/p/..%2f..%2fetc/screen",
                                  "/screener.sqlite", "/serve-secret", "/p/review/../../serve-secret"])
def test_path_traversal_is_404(client, project, path):
    login(client)
    r = client.get(path)
    assert r.status_code == 404, (path, r.status_code)
    secret = (project / SECRET_FILE).read_text().strip()
    assert secret not in r.text and "SQLite format" not in r.text and "create_app" not in r.text


def test_static_files_are_served(client):
    assert "keydown" in client.get("/static/screen.js").text


def test_cookie_flags_headers_and_secret_file(client, project):
    token_page = client.get("/login")
    assert "content-security-policy" in token_page.headers
    assert "script-src 'self'" in token_page.headers["content-security-policy"]
    assert token_page.headers["x-frame-options"] == "DENY"
    r = login(client)
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "screener_session=" in cookie
    assert stat.S_IMODE((project / SECRET_FILE).stat().st_mode) == 0o600


def test_a_readable_secret_is_refused(project):
    from screener.errors import ProjectError

    (project / SECRET_FILE).write_text("x" * 64)
    (project / SECRET_FILE).chmod(0o644)
    with pytest.raises(ProjectError, match="chmod 600"):
        create_app(project)


def test_wrong_password_unknown_name_and_logout(client, project):
    assert login(client, "alice", "not-her-password").status_code == 401
    assert login(client, "mallory", "whatever-pw").status_code == 401
    assert client.get("/p/review/screen").status_code == 303
    login(client)
    page = screen(client).text
    cookie = client.cookies.get("screener_session")
    assert client.post("/logout", data={"csrf": csrf_of(page)}).headers["location"] == "/login"
    assert client.get("/p/review/screen").status_code == 303
    client.cookies.set("screener_session", cookie)  # the old cookie: its log-in ended on the server
    assert client.get("/p/review/screen").status_code == 303


def test_login_attempts_are_rate_limited(project):
    now = [0.0]
    limiter = LoginLimiter(max_failures=3, window_s=60, clock=lambda: now[0])
    with client_for(project, limiter=limiter) as c:
        for _ in range(3):
            assert login(c, "alice", "wrong-password").status_code == 401
        r = login(c)  # the right password, but too soon
        assert r.status_code == 429 and "too many failed log-ins" in r.text
        now[0] = 61.0
        assert login(c).status_code == 303
        c.cookies.clear()
        now[0] = 200.0  # one address trying many names is limited too (at 4x the per-name count)
        for i in range(12):
            assert login(c, f"guess{i}", "wrong-password").status_code == 401
        assert login(c, "bob").status_code == 429


def test_a_cookie_of_another_project_is_not_a_login(project, tmp_path):
    other = make_project(tmp_path / "other", n=4)
    with client_for(project) as a, client_for(other) as b:
        login(a)
        b.cookies.set("screener_session", a.cookies.get("screener_session"))
        assert b.get("/p/other/screen").status_code == 303
        assert b.get("/p/review/screen").status_code == 303


def test_untrusted_host_header_is_refused(project):
    with TestClient(create_app(project, background=False), base_url="http://evil.example") as c:
        assert c.get("/login").status_code == 400


# -- blind dual screening ---------------------------------------------------------------------
def test_blind_mode_shows_nothing_of_another_reviewers_votes(project):
    with Store.open(project) as store:
        set_mode(store, "ta", "dual")
        ids = store.records()["id"].tolist()
        for rid in ids[:5]:
            cast_vote(store, rid, "include", reviewer="bob")
    with client_for(project) as c:
        login(c)
        page = screen(c).text
        assert "dual blind screening" in page
        assert re.search(r'id="screened">0 of 12<', page) and re.search(r'id="included">0<', page)
        assert "bob" not in page
        assert 'id="stopping">not shown here' in page
        first = shown_record(page)
        decide(c, "E", page)
        assert ledger(project)[-1][1:4] == (int(first), "exclude", "alice")
        page = screen(c).text
        assert re.search(r'id="screened">1 of 12<', page) and re.search(r'id="included">0<', page)
        assert "bob" not in page


def test_one_reviewers_busy_session_does_not_block_another(project):
    """Sessions run in worker threads: while alice's request waits for her session, bob is served."""
    import httpx2 as httpx

    app = create_app(project, background=False)
    with serving(app) as url, httpx.Client(base_url=url, follow_redirects=False) as alice, \
            httpx.Client(base_url=url, follow_redirects=False) as bob:
        assert login(alice).status_code == 303 and login(bob, "bob").status_code == 303
        assert alice.get("/p/review/screen").status_code == 200
        sittings = app.state.web.sittings
        held, arrived, release, done = threading.Event(), threading.Event(), threading.Event(), []
        real = sittings.sitting

        @contextmanager
        def sitting(reviewer, stage="ta"):  # tells the test when alice's request reaches her session
            if reviewer == "alice" and held.is_set():
                arrived.set()
            with real(reviewer, stage) as session:
                yield session

        def hold():
            with real("alice"):
                held.set()
                release.wait(60)

        sittings.sitting = sitting
        holder = threading.Thread(target=hold)
        holder.start()
        assert held.wait(30)
        waiting = threading.Thread(target=lambda: done.append(alice.get("/p/review/screen", timeout=60)))
        waiting.start()
        try:
            assert arrived.wait(30)
            r = bob.get("/p/review/screen", timeout=10)  # would time out if alice's wait blocked the loop
            assert r.status_code == 200 and "reviewer bob" in r.text and not done
        finally:
            release.set()
            holder.join(30)
            waiting.join(60)
        assert done and done[0].status_code == 200 and "reviewer alice" in done[0].text
