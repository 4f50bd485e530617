"""The screening page's routes through Starlette's TestClient: decisions with reasons and notes, the
list of one's own decisions (← →, changing one), the explanation, progress, PRISMA and curve panels,
criteria edited in the app, and the full-text stage (PDF upload, serving, not retrieved). Every
refusal (no session, wrong project, bad CSRF, bad field, bad upload, traversal) changes nothing."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytest.importorskip("starlette", reason="the serve extra is not installed (pip install 'screener[serve]')")
pytest.importorskip("argon2", reason="the serve extra is not installed (pip install 'screener[serve]')")

from screener.project.reviewers import set_mode  # noqa: E402
from screener.project.store import Store  # noqa: E402
from screener.project.votes import cast_vote  # noqa: E402
from screener.web import fulltext as web_fulltext  # noqa: E402
from tests.test_serve import (  # noqa: E402
    HOSTILE_TITLE,
    client_for,
    copy_project,
    csrf_of,
    ledger,
    login,
    make_project,
    screen,
    shown_record,
    state,
)

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    return make_project(tmp_path_factory.mktemp("screening") / "review")


@pytest.fixture
def project(template, tmp_path) -> Path:
    return copy_project(template, tmp_path)


@pytest.fixture
def client(project):
    with client_for(project) as c:
        yield c


def full_state(folder: Path) -> tuple:
    """``state`` plus the full-text reports and the files kept under fulltexts/."""
    with Store.open(folder) as store:
        reports = [tuple(r) for r in store.con.execute("SELECT * FROM reports ORDER BY id")]
    files = sorted(p.name for p in (folder / "fulltexts").glob("*")) if (folder / "fulltexts").exists() else []
    return state(folder), reports, files


def post(c, path: str, page: str, **data):
    return c.post(path, data={"csrf": csrf_of(page), **data})


def decide(c, key: str, page: str | None = None, stage: str = "ta", **fields):
    page = page if page is not None else c.get("/p/review/" + ("screen" if stage == "ta" else "fulltext")).text
    return post(c, "/p/review/decide", page, key=key, record_id=shown_record(page), stage=stage, **fields)


def notes(folder: Path) -> list[tuple]:
    with Store.open(folder) as store:
        return [tuple(r) for r in store.con.execute("SELECT record_id, label, reason, note, stage FROM decisions")]


# -- decisions with reasons and notes ---------------------------------------------------------
def test_reason_and_note_are_saved_with_the_decision(client, project):
    login(client)
    page = screen(client).text
    assert "<kbd>R</kbd>" in page and "<kbd>N</kbd>" in page and "<kbd>W</kbd>" in page
    rid = int(shown_record(page))
    r = decide(client, "E", page, reason="not drug addiction", note="cardiology, not addiction")
    assert r.status_code == 303
    assert notes(project)[-1] == (rid, "exclude", "not drug addiction", "cardiology, not addiction", "ta")


@pytest.mark.parametrize("fields, message", [
    ({"key": "E", "reason": "made up"}, "is not in this project&#39;s list"),
    ({"key": "I", "reason": "not peer support"}, "a reason goes with an exclusion"),
    ({"key": "E", "note": "x" * 10_001}, "a note is at most 10,000 characters"),
    ({"key": ""}, "unknown key"),
    ({"key": "Z"}, "unknown key"),
])
def test_bad_fields_get_a_message_on_the_page_and_nothing_is_saved(client, project, fields, message):
    login(client)
    page = screen(client).text
    before = state(project)
    r = post(client, "/p/review/decide", page, record_id=shown_record(page), stage="ta", **fields)
    assert r.status_code == 400 and message in r.text and 'id="message"' in r.text
    assert state(project) == before
    assert shown_record(r.text) == shown_record(page)
    if fields.get("note"):  # what was typed is still there
        assert "x" * 10_001 in r.text


def test_an_unknown_stage_is_refused(client, project):
    login(client)
    page = screen(client).text
    before = state(project)
    assert decide(client, "I", page, stage="xx").status_code == 400
    assert state(project) == before


# -- the list of one's own decisions, ← and →, changing one -----------------------------------
def test_the_list_shows_own_decisions_and_arrows_walk_them(client, project):
    login(client)
    ids = []
    for key in "IEM":
        page = screen(client).text
        ids.append(int(shown_record(page)))
        decide(client, key, page)
    page = screen(client).text
    assert re.search(r'id="n-history">3<', page)
    assert [int(x) for x in re.findall(r'data-record="(\d+)"', page)] == ids
    assert f'href="/p/review/screen?record={ids[-1]}" id="prev"' in page  # ← goes to the newest
    older = client.get(f"/p/review/screen?record={ids[1]}").text
    assert 'id="revisit"' in older and 'id="own-label">exclude<' in older
    assert f'?record={ids[0]}" id="prev"' in older and f'?record={ids[2]}" id="next"' in older
    assert 'name="revise" value="1"' in older and shown_record(older) == str(ids[1])
    newest = client.get(f"/p/review/screen?record={ids[2]}").text
    assert 'href="/p/review/screen" id="next"' in newest  # → from the newest: back to the queue


def test_changing_an_earlier_decision_is_a_new_ledger_row(client, project):
    login(client)
    page = screen(client).text
    first = int(shown_record(page))
    decide(client, "I", page)
    decide(client, "E")
    older = client.get(f"/p/review/screen?record={first}").text
    rows = len(ledger(project))
    r = post(client, "/p/review/decide", older, key="E", record_id=str(first), stage="ta", revise="1",
             reason="not peer support")
    assert r.status_code == 303 and r.headers["location"] == f"/p/review/screen?record={first}"
    after = ledger(project)
    assert len(after) == rows + 1 and after[-1][1:4] == (first, "exclude", "alice")
    page = client.get(r.headers["location"]).text
    assert "changed from include to exclude" in page and 'id="own-label">exclude<' in page
    assert [int(x) for x in re.findall(r'data-record="(\d+)"', page)][0] == first  # the order stays


def test_changing_a_record_that_is_not_yours_is_refused(client, project):
    login(client)
    page = screen(client).text
    before = state(project)
    r = post(client, "/p/review/decide", page, key="E", record_id=shown_record(page), stage="ta", revise="1")
    assert r.status_code == 400 and "no decision of yours" in r.text
    assert state(project) == before


@pytest.mark.parametrize("query", ["?record=abc", "?record=99999", "?record=-1", "?record=1%2f..%2f"])
def test_a_record_not_among_ones_decisions_is_404(client, project, query):
    login(client)
    assert client.get("/p/review/screen" + query).status_code == 404


# -- what the page shows ----------------------------------------------------------------------
def test_explanation_progress_curve_prisma_and_criteria_panels(client, project):
    login(client)
    decide(client, "I")
    decide(client, "E")
    page = screen(client).text
    assert 'id="why"' in page and "Raised by:" in page and 'class="term up"' in page
    assert "stopping (screener, target 0.95)" in page
    assert 'data-src="/p/review/progress?stage=ta"' in page
    live = client.get("/p/review/progress?stage=ta").text
    assert re.search(r'<polyline points="0\.0,150\.0 [\d.,]+ [\d.,]+"', live)
    assert re.search(r'id="prisma-screened">2<', live) and re.search(r'id="prisma-excluded">1<', live)
    assert re.search(r'id="prisma-identified">12<', live)
    decide(client, "I")  # computed again once the ledger has changed
    assert re.search(r'id="prisma-screened">3<', client.get("/p/review/progress?stage=ta").text)
    assert 'id="criteria"' in page and "Exclusion reasons" in page and 'id="edit-criteria"' in page
    assert "Lowered by:" not in page
    r = post(client, "/p/review/decide", page, key="W", record_id=shown_record(page), stage="ta")
    assert r.status_code == 303
    assert "Lowered by:" in screen(client).text


def test_inclusion_terms_green_exclusion_terms_red(client, project):
    login(client)
    page = screen(client).text
    for _ in range(12):
        if "cardiology" in page and "addiction recovery" not in page:
            break
        decide(client, "M", page)
        page = screen(client).text
    assert '<mark class="inc">peer support</mark>' in page or '<mark class="inc">' in page
    text = page.replace('<mark class="inc">', "")
    assert '<mark class="exc">' not in text.split('id="criteria"')[0]  # nothing red yet in the record
    crit = re.search(r'<textarea name="text" id="criteria-text"[^>]*>(.*?)</textarea>', page, re.S).group(1)
    import html

    new = html.unescape(crit).replace("exclude_terms = [", 'exclude_terms = ["cardiology", ')
    r = post(client, "/p/review/criteria", page, text=new, stage="ta")
    assert r.status_code == 303
    page = screen(client).text
    assert "criteria saved" in page and '<mark class="exc">cardiology</mark>' in page


def test_hostile_text_is_escaped_in_the_list_and_the_revisit(client, project):
    login(client)
    for _ in range(12):
        page = screen(client).text
        hostile = "&lt;script&gt;" in page
        decide(client, "E", page)
        if hostile:
            break
    page = screen(client).text
    history = page.split('id="history"')[1].split("</aside>")[0]
    assert "&lt;script&gt;alert(" in history and "<script>alert" not in page
    assert page.count("<script") == 1


# -- criteria editing ---------------------------------------------------------------------------
def test_bad_criteria_are_refused_with_the_text_kept(client, project):
    login(client)
    page = screen(client).text
    before = state(project)
    r = post(client, "/p/review/criteria", page, text="include = [[[", stage="ta")
    assert r.status_code == 400 and "criteria not saved" in r.text and "not valid TOML" in r.text
    assert "include = [[[" in r.text and "<details id=\"edit-criteria\" open>" in r.text
    assert state(project) == before


def test_only_the_owner_edits_the_criteria(project):
    with client_for(project) as c:
        login(c, "bob")
        page = screen(c).text
        assert 'id="edit-criteria"' not in page
        before = state(project)
        r = post(c, "/p/review/criteria", page, text='include = "anything"', stage="ta")
        assert r.status_code == 403 and state(project) == before


# -- blind dual mode ----------------------------------------------------------------------------
def test_blind_mode_hides_prisma_and_draws_only_ones_own_curve(project):
    with Store.open(project) as store:
        set_mode(store, "ta", "dual")
        for rid in store.records()["id"].tolist()[:4]:
            cast_vote(store, rid, "include", reviewer="bob")
    with client_for(project) as c:
        login(c)
        page = screen(c).text
        assert 'id="n-history">0<' in page and "bob" not in page
        live = c.get("/p/review/progress?stage=ta").text
        assert 'id="prisma-hidden"' in live and 'id="prisma-screened"' not in live
        assert "Your own include/exclude decisions" in live and "bob" not in live
        assert re.search(r'id="curve">.*aria-label="relevant records found \(0\) against records screened \(0\)"',
                         live, re.S)


# -- the full-text stage --------------------------------------------------------------------------
def _to_fulltext(c, n: int = 2) -> list[int]:
    """Include ``n`` records at title/abstract; returns their ids."""
    ids = []
    for _ in range(n):
        page = screen(c).text
        ids.append(int(shown_record(page)))
        decide(c, "I", page)
    return ids


def upload(c, record_id: int, page: str, content: bytes = PDF, name: str = "paper.pdf",
           content_type: str = "application/pdf"):
    return c.post(f"/p/review/fulltext/{record_id}/upload", data={"csrf": csrf_of(page)},
                  files={"pdf": (name, content, content_type)})


def test_upload_serve_and_decide_a_full_text(client, project):
    login(client)
    ids = _to_fulltext(client)
    page = client.get("/p/review/fulltext").text
    rid = int(shown_record(page))
    assert rid in ids and 'id="no-pdf"' in page and 'id="upload"' in page
    r = upload(client, rid, page, name="../../etc/evil name.pdf")
    assert r.status_code == 303
    files = list((project / "fulltexts").glob("*"))
    assert len(files) == 1 and re.fullmatch(rf"record-{rid}-[0-9a-f]{{12}}\.pdf", files[0].name)
    assert files[0].read_bytes() == PDF and not (project.parent / "etc").exists()
    page = client.get("/p/review/fulltext").text
    assert "attached evil name.pdf" in page and 'id="pdf-link"' in page
    got = client.get(f"/p/review/fulltext/{rid}/pdf")
    assert got.status_code == 200 and got.content == PDF
    assert got.headers["content-type"] == "application/pdf"
    assert got.headers["content-disposition"] == f'inline; filename="record-{rid}.pdf"'
    assert got.headers["x-content-type-options"] == "nosniff"
    before = state(project)
    r = decide(client, "E", page, stage="ft")  # a full-text exclusion needs a reason
    assert r.status_code == 400 and "needs a reason" in r.text and state(project) == before
    r = decide(client, "E", page, stage="ft", reason="no qualitative evidence")
    assert r.status_code == 303 and r.headers["location"] == "/p/review/fulltext"
    assert notes(project)[-1] == (rid, "exclude", "no qualitative evidence", None, "ft")


def test_another_member_may_read_the_pdf_a_stranger_may_not(project):
    with client_for(project) as a:
        login(a)
        rid = _to_fulltext(a, 1)[0]
        assert upload(a, rid, a.get("/p/review/fulltext").text).status_code == 303
    with client_for(project) as b:
        assert b.get(f"/p/review/fulltext/{rid}/pdf").status_code == 303  # not logged in: to the login
        login(b, "bob")
        assert b.get(f"/p/review/fulltext/{rid}/pdf").content == PDF
        assert b.get(f"/p/other/fulltext/{rid}/pdf").status_code == 404


@pytest.mark.parametrize("content, name, ctype, message", [
    (b"GIF89a not a pdf", "x.pdf", "application/pdf", "not a PDF (it does not start with %PDF-)"),
    (b"  %PDF-1.4 padded", "x.pdf", "application/pdf", "not a PDF"),
    (PDF, "x.html", "text/html", "sent as text/html, not application/pdf"),
    (b"", "x.pdf", "application/pdf", "not a PDF"),
])
def test_bad_uploads_are_400_and_nothing_is_kept(client, project, content, name, ctype, message):
    login(client)
    rid = _to_fulltext(client, 1)[0]
    page = client.get("/p/review/fulltext").text
    before = full_state(project)
    r = upload(client, rid, page, content, name, ctype)
    assert r.status_code == 400 and message in r.text and "nothing was saved" in r.text
    assert full_state(project) == before


def test_an_oversized_upload_is_400(client, project, monkeypatch):
    login(client)
    rid = _to_fulltext(client, 1)[0]
    page = client.get("/p/review/fulltext").text
    before = full_state(project)
    monkeypatch.setattr(web_fulltext, "MAX_UPLOAD_BYTES", 1000)
    monkeypatch.setattr(web_fulltext, "FORM_OVERHEAD", 10)
    r = upload(client, rid, page, PDF + b"0" * 5000)
    assert r.status_code == 400 and "a full text is at most 0 MB" in r.text
    monkeypatch.setattr(web_fulltext, "FORM_OVERHEAD", 64 * 1024)  # passes the header check, not the count
    r = upload(client, rid, page, PDF + b"0" * 5000)
    assert r.status_code == 400 and "nothing was saved" in r.text
    assert full_state(project) == before


def test_uploads_for_records_not_at_the_full_text_stage_and_without_a_file(client, project):
    login(client)
    _to_fulltext(client, 1)
    page = client.get("/p/review/fulltext").text
    before = full_state(project)
    r = upload(client, 99999, page)
    assert r.status_code == 400 and "not at the full-text stage" in r.text
    r = client.post(f"/p/review/fulltext/{shown_record(page)}/upload", data={"csrf": csrf_of(page)},
                    files={"other": ("x", b"y", "text/plain")})
    assert r.status_code == 400 and "choose a PDF file" in r.text
    assert full_state(project) == before


def test_upload_guards_no_session_wrong_project_bad_csrf(client, project):
    before = full_state(project)
    r = client.post("/p/review/fulltext/1/upload", files={"pdf": ("x.pdf", PDF, "application/pdf")})
    assert r.status_code == 401
    login(client)
    rid = _to_fulltext(client, 1)[0]
    page = client.get("/p/review/fulltext").text
    before = full_state(project)
    r = client.post(f"/p/other/fulltext/{rid}/upload", data={"csrf": csrf_of(page)},
                    files={"pdf": ("x.pdf", PDF, "application/pdf")})
    assert r.status_code == 404
    for data in ({}, {"csrf": "wrong"}):
        r = client.post(f"/p/review/fulltext/{rid}/upload", data=data, files={"pdf": ("x.pdf", PDF, "application/pdf")})
        assert r.status_code == 403
    assert full_state(project) == before


@pytest.mark.parametrize("path", [
    "/p/review/fulltext/..%2f..%2fserve-secret/pdf", "/p/review/fulltext/%2e%2e/pdf",
    "/p/review/fulltext/1/..%2f..%2fscreener.sqlite", "/p/review/fulltext/1/pdf/../../../serve-secret",
    "/p/review/fulltext/1%2f..%2f..%2fserve-secret/pdf", "/p/review/fulltexts/record-1.pdf",
    "/p/review/fulltext/99999/pdf", "/fulltexts/x.pdf",
])
def test_attachment_traversal_is_404(client, project, path):
    login(client)
    r = client.get(path)
    assert r.status_code == 404, (path, r.status_code)
    assert (project / "serve-secret").read_text().strip() not in r.text and "SQLite format" not in r.text


def test_a_stored_path_outside_the_fulltexts_folder_is_never_served(client, project):
    login(client)
    rid = _to_fulltext(client, 1)[0]
    assert upload(client, rid, client.get("/p/review/fulltext").text).status_code == 303
    with Store.open(project) as store:
        store.con.execute("UPDATE reports SET path = '../review/serve-secret'")
        store.con.commit()
    assert client.get(f"/p/review/fulltext/{rid}/pdf").status_code == 404


def test_not_retrieved_takes_the_record_out_of_the_queue(client, project):
    login(client)
    ids = _to_fulltext(client, 2)
    page = client.get("/p/review/fulltext").text
    rid = int(shown_record(page))
    r = post(client, f"/p/review/fulltext/{rid}/not-retrieved", page, note="library has no access")
    assert r.status_code == 303
    with Store.open(project) as store:
        assert store.reports(latest=True)["status"].tolist() == ["not_retrieved"]
    page = client.get("/p/review/fulltext").text
    assert "marked not retrieved" in page and int(shown_record(page)) == (set(ids) - {rid}).pop()
    before = full_state(project)
    r = post(client, f"/p/review/fulltext/{rid}/not-retrieved", page, note="n" * 1001)
    assert r.status_code == 400 and full_state(project) == before


NEW_POSTS = ["/p/review/criteria", "/p/review/fulltext/1/not-retrieved", "/p/other/criteria",
             "/p/other/fulltext/1/not-retrieved"]


def test_new_routes_without_a_session_or_csrf_change_nothing(client, project):
    before = full_state(project)
    for path in NEW_POSTS:
        assert client.post(path, data={"csrf": "x", "text": 'include = "x"'}).status_code == 401, path
    for path in ["/p/review/fulltext", "/p/review/screen?record=1", "/p/review/fulltext/1/pdf",
                 "/p/review/progress?stage=ta"]:
        r = client.get(path)
        assert r.status_code == 303 and r.headers["location"] == "/login", path
    login(client)
    for path in NEW_POSTS[:2]:
        assert client.post(path, data={"text": 'include = "x"'}).status_code == 403, path
    for path in NEW_POSTS[2:]:
        page = screen(client).text
        assert post(client, path, page, text='include = "x"').status_code == 404, path
    assert client.get("/p/other/fulltext").status_code == 404
    assert client.get("/p/other/progress?stage=ta").status_code == 404
    assert client.get("/p/review/progress?stage=xx").status_code == 404
    assert full_state(project) == before


def test_hostile_title_is_text_on_the_full_text_page(client, project):
    login(client)
    for _ in range(12):
        page = screen(client).text
        if "&lt;script&gt;" in page:
            decide(client, "I", page)
            break
        decide(client, "E", page)
    page = client.get("/p/review/fulltext").text
    assert "&lt;script&gt;alert(" in page and "<script>alert" not in page
    assert HOSTILE_TITLE not in page


def test_a_saved_message_is_shown_once(client, project):
    login(client)
    decide(client, "E")
    assert "saved #1: exclude record" in screen(client).text
    assert "saved #1" not in screen(client).text  # not on the next page, or on an earlier decision's
