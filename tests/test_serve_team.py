"""The team pages of the browser app (``screener.web.team``) through Starlette's TestClient:
conflicts and their resolution, agreement, reviewers and roles, the PRISMA diagram, exports and
importing new search results; blind mode never shows another reviewer's votes; every guard
(no session, wrong project, CSRF, role) refuses with nothing of the project changed."""

from __future__ import annotations

import io
import re
from html import unescape
from pathlib import Path

import pandas as pd
import pytest

pytest.importorskip("starlette", reason="the serve extra is not installed (pip install 'screener[serve]')")
pytest.importorskip("argon2", reason="the serve extra is not installed (pip install 'screener[serve]')")

from screener.project.consensus import stage_agreement  # noqa: E402
from screener.project.export import export_project  # noqa: E402
from screener.project.reviewers import add_reviewer, set_mode  # noqa: E402
from screener.project.store import Store  # noqa: E402
from screener.project.votes import cast_vote  # noqa: E402
from screener.web import team as team_pages  # noqa: E402
from screener.web.accounts import set_password  # noqa: E402
from tests.test_serve import client_for, csrf_of, ledger, login, state  # noqa: E402
from tests.test_serve import project as project  # noqa: E402,F401  (fixtures)
from tests.test_serve import template as template  # noqa: E402,F401

CAROL = "carol-secret-333"


@pytest.fixture
def dual(project) -> tuple[Path, list[int]]:
    """Blind dual title/abstract screening; carol adjudicates; records 0-1 in conflict (alice include,
    bob exclude), record 2 agreed (both exclude), record 3 has only alice's vote."""
    with Store.open(project) as store:
        ids = set_up_dual_conflicts(store)
    return project, ids


def set_up_dual_conflicts(store: Store, *, agreed: bool = True) -> list[int]:
    """carol as adjudicator, blind dual title/abstract screening, records 0-1 in conflict (alice
    include, bob exclude), record 3 with only alice's include, and (``agreed``) record 2 excluded
    by both. Returns the record ids."""
    add_reviewer(store, "carol", "adjudicator")
    set_password(store, "carol", CAROL)
    set_mode(store, "ta", "dual")
    ids = store.records()["id"].tolist()
    for rid in ids[:2]:
        cast_vote(store, rid, "include", reviewer="alice")
        cast_vote(store, rid, "exclude", reviewer="bob")
    if agreed:
        cast_vote(store, ids[2], "exclude", reviewer="alice")
        cast_vote(store, ids[2], "exclude", reviewer="bob")
    cast_vote(store, ids[3], "include", reviewer="alice")
    return ids


def log_in(c, name: str) -> None:
    r = login(c, name, CAROL if name == "carol" else None)
    assert r.status_code == 303, r.text


def page(c, path: str, status: int = 200):
    r = c.get(f"/p/review/{path}")
    assert r.status_code == status, (path, r.status_code, r.text[:300])
    return r


def records_count(folder: Path) -> int:
    with Store.open(folder) as store:
        return len(store.records(kept_only=False))


# -- conflicts --------------------------------------------------------------------------------
def test_an_adjudicator_lists_and_resolves_conflicts(dual):
    folder, ids = dual
    with client_for(folder) as c:
        log_in(c, "carol")
        text = page(c, "conflicts").text
        for rid in ids[:2]:
            assert f'id="conflict-{rid}"' in text
        assert f'id="conflict-{ids[2]}"' not in text and f'id="conflict-{ids[3]}"' not in text
        assert "alice, bob" in text
        r = c.post("/p/review/conflicts/resolve", data={
            "csrf": csrf_of(text), "stage": "ta", "record_id": str(ids[0]), "label": "include",
            "reason": "", "note": "both read it again: a peer support trial"})
        assert r.status_code == 303 and r.headers["location"] == "/p/review/conflicts?stage=ta"
        last = ledger(folder)[-1]
        assert last[1:] == (ids[0], "include", "carol", "ta", "consensus")
        text = page(c, "conflicts").text
        assert f'id="conflict-{ids[0]}"' not in text and f'id="conflict-{ids[1]}"' in text
        assert f"saved #{last[0]}: consensus include on record {ids[0]}" in text


@pytest.mark.parametrize("fields, says", [
    ({"label": "exclude", "reason": "not a listed reason"}, "is not in this project's list"),
    ({"label": "include", "note": "x" * 2001}, "keep it to 2,000"),
    ({"label": "include"}, "say why"),
    ({"label": "banana", "note": "n"}, "consensus label 'banana'"),
    ({"label": "include", "note": "n", "record_id": "RECORD3"}, "has no open conflict"),
    ({"label": "include", "note": "n", "record_id": "seven"}, "choose a record"),
    ({"label": "include", "note": "n", "stage": "xx"}, "stage 'xx'"),
])
def test_bad_resolution_input_is_a_message_and_saves_nothing(dual, fields, says):
    folder, ids = dual
    with client_for(folder) as c:
        log_in(c, "carol")
        token = csrf_of(page(c, "conflicts").text)
        before = state(folder)
        data = {"csrf": token, "stage": "ta", "record_id": str(ids[0]), "reason": "", "note": "", **fields}
        data["record_id"] = data["record_id"].replace("RECORD3", str(ids[3]))
        r = c.post("/p/review/conflicts/resolve", data=data)
        assert r.status_code == 400 and "not saved: " in r.text and says in unescape(r.text), r.text
        assert state(folder) == before


def test_a_reviewer_without_the_role_is_refused_conflicts(dual):
    folder, ids = dual
    with client_for(folder) as c:
        log_in(c, "bob")
        r = page(c, "conflicts", 403)
        assert "adjudicator or the owner" in r.text
        before = state(folder)
        r = c.post("/p/review/conflicts/resolve", data={"csrf": csrf_of(r.text), "stage": "ta",
                                                        "record_id": str(ids[0]), "label": "exclude",
                                                        "note": "mine"})
        assert r.status_code == 403
        assert state(folder) == before


def test_the_owner_resolves_too_and_full_text_conflicts_have_their_own_list(dual):
    folder, ids = dual
    with client_for(folder) as c:
        log_in(c, "alice")
        assert f'id="conflict-{ids[0]}"' in page(c, "conflicts?stage=ta").text
        assert 'id="no-conflicts"' in page(c, "conflicts?stage=ft").text
        page(c, "conflicts?stage=zz", 404)


# -- blind mode: nothing of another reviewer's votes anywhere ---------------------------------
def _normalised(text: str) -> str:
    return re.sub(r'name="csrf" value="[^"]+"', "", text)


def test_blind_mode_shows_a_reviewer_nothing_of_anothers_votes_on_any_page(project):
    with Store.open(project) as store:
        set_mode(store, "ta", "dual")
        ids = store.records()["id"].tolist()
    paths = ["screen", "conflicts", "conflicts?stage=ft", "agreement", "reviewers", "prisma", "exports",
             "import", *[f"export/{name}" for name in team_pages.EXPORTS]]
    with client_for(project) as c:
        log_in(c, "bob")

        def everything():
            out = {}
            for path in paths:
                r = c.get(f"/p/review/{path}")
                out[path] = (r.status_code, _normalised(r.text) if "text" in r.headers["content-type"]
                             else r.content)
            return out

        seen = everything()
        for rid in ids[:6]:  # alice votes; none of it is decided yet
            with Store.open(project) as store:
                cast_vote(store, rid, "include" if rid % 2 else "exclude", reviewer="alice")
        assert everything() == seen
        for path in ("conflicts", "agreement", "exports", "export/records.csv", "export/ledger.csv", "import"):
            assert seen[path][0] == 403, path
        assert seen["prisma"][0] == 200 and seen["export/prisma.svg"][0] == 200


def test_without_blinding_every_member_sees_agreement_and_exports(dual):
    folder, _ = dual
    with Store.open(folder) as store:
        set_mode(store, "ta", "dual", blind=False)
    with client_for(folder) as c:
        log_in(c, "bob")
        page(c, "agreement")
        page(c, "exports")
        page(c, "export/records.csv")


# -- agreement --------------------------------------------------------------------------------
def test_agreement_shows_the_librarys_statistics(dual):
    folder, _ = dual
    with Store.open(folder) as store:
        (pair,) = stage_agreement(store, "ta")
    with client_for(folder) as c:
        log_in(c, "alice")
        text = page(c, "agreement").text
    row = re.search(r'id="agreement-ta".*?<tbody>\s*<tr>(.*?)</tr>', text, re.S).group(1)
    cells = re.findall(r"<td>(.*?)</td>", row)
    assert cells[:3] == ["alice / bob", str(pair.n), str(pair.n_agree)] == ["alice / bob", "3", "1"]
    assert cells[3:7] == ["0", "2", "0", "1"]
    assert cells[7] == f"{pair.observed:.3f}" and cells[8] == f"{pair.kappa:.3f}" and cells[9] == f"{pair.pabak:.3f}"
    assert "No record has votes from two reviewers at this stage yet" in text  # the full-text stage


# -- reviewers and roles ----------------------------------------------------------------------
def test_the_owner_adds_a_reviewer_who_can_then_log_in(project):
    with client_for(project) as c:
        log_in(c, "alice")
        token = csrf_of(page(c, "reviewers").text)
        r = c.post("/p/review/reviewers/add", data={"csrf": token, "name": "dave", "role": "adjudicator",
                                                    "password": "dave-pass-4444"})
        assert r.status_code == 303
        text = page(c, "reviewers").text
        assert 'id="reviewer-dave"' in text and "added dave (adjudicator)" in text
    with Store.open(project) as store:
        assert ("dave", "adjudicator") in [(r.name, r.role) for r in store.reviewers().itertuples()]
    with client_for(project) as c:
        assert login(c, "dave", "dave-pass-4444").status_code == 303
        page(c, "conflicts")  # an adjudicator's page


@pytest.mark.parametrize("fields, says", [
    ({"name": "   "}, "give the reviewer a name"),
    ({"name": "two words"}, "use 1-64 letters"),
    ({"name": "bob"}, "already a reviewer"),
    ({"name": "erin", "password": "short"}, "a password is 8 to 1024 characters"),
    ({"name": "erin", "role": "boss"}, "role 'boss'"),
])
def test_bad_reviewer_input_is_a_message_and_saves_nothing(project, fields, says):
    with client_for(project) as c:
        log_in(c, "alice")
        token = csrf_of(page(c, "reviewers").text)
        before = state(project)
        r = c.post("/p/review/reviewers/add", data={"csrf": token, "role": "reviewer",
                                                    "password": "long-enough-pw", **fields})
        assert r.status_code == 400 and says in unescape(r.text), r.text
        assert state(project) == before


def test_roles_change_and_the_last_owner_stays(project):
    with client_for(project) as c:
        log_in(c, "alice")
        token = csrf_of(page(c, "reviewers").text)
        assert c.post("/p/review/reviewers/role", data={"csrf": token, "name": "bob",
                                                         "role": "adjudicator"}).status_code == 303
        before = state(project)
        r = c.post("/p/review/reviewers/role", data={"csrf": token, "name": "alice", "role": "reviewer"})
        assert r.status_code == 400 and "only owner" in r.text
        assert state(project) == before
        r = c.post("/p/review/reviewers/password", data={"csrf": token, "name": "bob", "password": "bob-new-pw-9"})
        assert r.status_code == 303
    with client_for(project) as c:
        assert login(c, "bob", "bob-new-pw-9").status_code == 303
        page(c, "conflicts")  # bob is an adjudicator now


def test_a_reviewer_sees_the_team_but_cannot_change_it(project):
    with client_for(project) as c:
        log_in(c, "bob")
        text = page(c, "reviewers").text
        assert 'id="reviewer-alice"' in text and 'id="add-reviewer"' not in text
        before = state(project)
        for action, data in (("add", {"name": "eve", "role": "owner", "password": "eve-pass-1234"}),
                             ("role", {"name": "bob", "role": "owner"}),
                             ("password", {"name": "alice", "password": "taken-over-1"})):
            r = c.post(f"/p/review/reviewers/{action}", data={"csrf": csrf_of(text), **data})
            assert r.status_code == 403 and "only the project's owner" in unescape(r.text), action
        assert state(project) == before


# -- PRISMA and exports -----------------------------------------------------------------------
def test_prisma_page_has_the_librarys_diagram_inline(dual):
    folder, _ = dual
    with client_for(folder) as c:
        log_in(c, "bob")
        text = page(c, "prisma").text
    assert '<figure class="prisma" id="prisma"><svg' in text and "<style" not in text and "<?xml" not in text
    assert "Records screened" in text and "(n = 1)" in text  # one agreed record so far
    assert re.search(r'id="records-screened">1<', text)


def test_every_export_downloads_with_its_type_and_name(dual):
    folder, _ = dual
    with client_for(folder) as c:
        log_in(c, "alice")
        text = page(c, "exports").text
        for name, (_, _, content_type, _) in team_pages.EXPORTS.items():
            assert f'href="/p/review/export/{name}"' in text
            r = page(c, f"export/{name}")
            assert r.headers["content-type"] == content_type, name
            stem, ext = name.rsplit(".", 1)
            assert re.fullmatch(rf'attachment; filename="review-{stem}-\d{{4}}-\d\d-\d\d\.{ext}"',
                                r.headers["content-disposition"]), name
            bodies = {name: r.content}
            if ext == "csv" and stem == "records":
                assert r.text == export_project(folder, "csv")[1]
                assert len(pd.read_csv(io.StringIO(r.text))) == 12
            if ext == "xlsx":
                sheet = pd.read_excel(io.BytesIO(bodies[name]))
                assert len(sheet) == (12 if stem == "records" else len(ledger(folder)))
            if name == "records.ris":
                assert r.text.count("ER  - ") == 12 and "screener:" in r.text
            if name == "ledger.csv":
                assert len(pd.read_csv(io.StringIO(r.text))) == len(ledger(folder))
            if name == "prisma.png":
                assert r.content.startswith(b"\x89PNG")
            if name == "prisma.svg":
                assert b"<svg" in r.content and b"Records screened" in r.content
        page(c, "export/secrets.sqlite", 404)
        page(c, "export/..%2fscreener.sqlite", 404)


# -- importing new search results -------------------------------------------------------------
def upload(c, files: list[tuple[str, bytes]], token: str | None = None):
    token = token if token is not None else csrf_of(page(c, "import").text)
    return c.post("/p/review/import", data={"csrf": token},
                  files=[("files", (name, data, "text/csv")) for name, data in files])


def test_import_adds_deduplicates_ranks_and_reports(project):
    with Store.open(project) as store:
        known = store.records().iloc[0]
        cast_vote(store, int(known["id"]), "include", reviewer="alice")
    new = pd.DataFrame([{"title": "Peer mentors for people in recovery from addiction: a trial",
                         "abstract": "Peer support in recovery.", "year": 2024},
                        {"title": "Hospital costs of cardiology wards", "abstract": "Costs.", "year": 2023},
                        {"title": known["title"], "abstract": known["abstract"], "year": known["year"]}])
    with client_for(project) as c:
        log_in(c, "alice")
        page(c, "screen")  # a session over the old pool is open
        r = upload(c, [("update-search.csv", new.to_csv(index=False).encode())])
        assert r.status_code == 200, r.text
        report = re.search(r'id="import-report".*?</table>', r.text, re.S).group(0)
        assert "update-search.csv" in report
        assert re.search(r"<td>update-search.csv</td><td>3</td><td>2</td><td>1</td><td>0</td>", report)
        assert "imported: 2 new records, 1 merged as duplicates" in r.text
        ranked = re.findall(r"<tr><td>(\d+)</td><td>(\d+)</td><td>([\d.]+)</td><td>(.*?)</td></tr>", r.text)
        assert [row[0] for row in ranked] == ["1", "2"]
        assert ranked[0][3].startswith("Peer mentors")  # ranked with what was learned: the include
        assert records_count(project) == 15
        assert re.search(r'id="screened">\d+ of 14<', page(c, "screen").text)  # the new pool is served
        again = upload(c, [("update-search.csv", new.to_csv(index=False).encode())])
        assert "imported: 0 new records" in again.text and records_count(project) == 15


@pytest.mark.parametrize("files, says", [
    ([("broken.ris", b"this is not\x00 a RIS file at all")], "broken.ris"),
    ([("empty.csv", b"")], "empty.csv"),
    ([("notes.csv", b"colour,size\nred,3\n")], "notes.csv"),
    ([], "choose a search export"),
])
def test_a_refused_file_is_one_line_on_the_page_and_changes_nothing(project, files, says):
    with client_for(project) as c:
        log_in(c, "alice")
        before, n = state(project), records_count(project)
        r = upload(c, files)
        assert r.status_code == 400, r.text
        message = re.search(r'id="message">(.*?)</p>', r.text, re.S).group(1)
        assert message.startswith("not imported: ") and says in message and "\n" not in message
        assert state(project) == before and records_count(project) == n


def test_an_oversized_upload_is_refused_before_it_is_read(project, monkeypatch):
    monkeypatch.setattr(team_pages, "MAX_UPLOAD", 1000)
    with client_for(project) as c:
        log_in(c, "alice")
        n = records_count(project)
        r = upload(c, [("big.csv", b"title\n" + b"a long title\n" * 200)])
        assert r.status_code == 400 and "over 0 MB" not in r.text and "not imported: the upload is over" in r.text
        assert records_count(project) == n


def test_only_the_owner_imports(project):
    with client_for(project) as c:
        log_in(c, "bob")
        r = page(c, "import", 403)
        n = records_count(project)
        assert upload(c, [("a.csv", b"title\nx\n")], token=csrf_of(r.text)).status_code == 403
        assert records_count(project) == n


def test_upload_names_are_file_names_only():
    assert team_pages._upload_name("../../etc/passwd.csv") == "passwd.csv"
    assert team_pages._upload_name("C:\\Users\\x\\search <1>.ris") == "search _1_.ris"
    assert team_pages._upload_name("..") == "upload" and team_pages._upload_name(None) == "upload"


# -- the guards over every team route ---------------------------------------------------------
GETS = ["conflicts", "agreement", "reviewers", "prisma", "exports", "export/records.csv", "export/prisma.svg",
        "import"]
POSTS = ["conflicts/resolve", "reviewers/add", "reviewers/role", "reviewers/password", "import"]


def test_every_team_route_without_a_session_goes_to_login_or_401(project):
    before = state(project)
    with client_for(project) as c:
        for path in GETS:
            r = c.get(f"/p/review/{path}")
            assert r.status_code == 303 and r.headers["location"] == "/login", path
        for path in POSTS:
            r = c.post(f"/p/review/{path}", data={"csrf": "x", "name": "eve", "role": "owner",
                                                  "password": "eve-pass-123"})
            assert r.status_code == 401, path
    assert state(project) == before


def test_every_team_route_of_another_project_is_404(project):
    with client_for(project) as c:
        log_in(c, "alice")
        token = csrf_of(page(c, "reviewers").text)
        before = state(project)
        for path in GETS:
            assert c.get(f"/p/other/{path}").status_code == 404, path
        for path in POSTS:
            r = c.post(f"/p/other/{path}", data={"csrf": token, "name": "eve", "role": "owner",
                                                 "password": "eve-pass-123"})
            assert r.status_code == 404, path
        assert state(project) == before


@pytest.mark.parametrize("path", POSTS)
def test_every_team_post_needs_its_csrf_token(dual, path):
    folder, ids = dual
    with client_for(folder) as c:
        log_in(c, "alice")
        page(c, "reviewers")
        before, n = state(folder), records_count(folder)
        fields = {"name": "eve", "role": "owner", "password": "eve-pass-123", "stage": "ta",
                  "record_id": str(ids[0]), "label": "include", "note": "n"}
        for token in (None, "", "wrong"):
            data = fields if token is None else {**fields, "csrf": token}
            files = [("files", ("a.csv", b"title\nnew one\n", "text/csv"))] if path == "import" else None
            r = c.post(f"/p/review/{path}", data=data, files=files)
            assert r.status_code == 403, (path, token)
        assert state(folder) == before and records_count(folder) == n
