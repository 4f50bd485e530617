"""The team pages end to end in Debian's Chromium (Playwright, the browser of ``test_serve_browser``):
an adjudicator resolves a conflict, a reviewer in blind mode is refused another reviewer's votes, the
owner downloads an export and looks at the PRISMA diagram. Screenshots of each page are written under
the test's tmp folder (kept in ``$SCREENER_SCREENSHOTS`` when set)."""

from __future__ import annotations

import io
import os
import shutil
from pathlib import Path

import pandas as pd
import pytest

from tests.test_serve_browser import TIMEOUT_MS
from tests.test_serve_browser import browser as browser  # noqa: F401  (the fixture)


@pytest.fixture
def team_server(tmp_path):
    """test_serve's project in blind dual mode with carol adjudicating: records 0 and 1 in conflict,
    record 3 with alice's vote only; served by uvicorn on a free loopback port."""
    from screener.project.store import Store
    from screener.web.app import create_app
    from tests.test_serve import make_project, serving
    from tests.test_serve_team import set_up_dual_conflicts

    folder = make_project(tmp_path / "review")
    with Store.open(folder) as store:
        ids = set_up_dual_conflicts(store, agreed=False)
    with serving(create_app(folder)) as url:
        yield folder, url, ids


def log_in(browser, url: str, name: str, password: str):
    from playwright.sync_api import expect

    context = browser.new_context(accept_downloads=True, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(url + "/login")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    expect(page).to_have_url(url + "/p/review/screen")
    return page, errors


def test_adjudicate_refuse_blind_votes_and_download_an_export(browser, team_server, tmp_path):
    from playwright.sync_api import expect

    from tests.test_serve import PASSWORDS, ledger

    folder, url, ids = team_server
    shots = tmp_path / "screenshots"
    shots.mkdir()

    # carol, the adjudicator, resolves the first conflict from the conflicts page
    carol, errors = log_in(browser, url, "carol", "carol-secret-333")
    carol.click("nav.pages >> text=Conflicts")
    expect(carol).to_have_url(url + "/p/review/conflicts")
    row = carol.locator(f"#conflict-{ids[0]}")
    expect(row).to_contain_text("alice, bob")
    expect(carol.locator(f"#conflict-{ids[3]}")).to_have_count(0)  # one vote is not a conflict
    row.locator("summary").click()  # the record's abstract opens under its title
    carol.screenshot(path=str(shots / "1-conflicts.png"), full_page=True)
    row.locator("select[name=label]").select_option("include")
    row.locator("input[name=note]").fill("both read it again: a peer support trial")
    row.locator("button[type=submit]").click()
    expect(carol.locator("#message")).to_contain_text(f"consensus include on record {ids[0]}")
    expect(carol.locator(f"#conflict-{ids[0]}")).to_have_count(0)
    expect(carol.locator(f"#conflict-{ids[1]}")).to_have_count(1)
    assert ledger(folder)[-1][1:] == (ids[0], "include", "carol", "ta", "consensus")
    carol.screenshot(path=str(shots / "2-conflict-resolved.png"), full_page=True)

    # bob, a reviewer, in blind mode: the pages that carry others' votes refuse him
    bob, bob_errors = log_in(browser, url, "bob", PASSWORDS["bob"])
    for path, says in (("agreement", "only the owner sees every reviewer's votes"),
                       ("exports", "only the owner sees every reviewer's votes"),
                       ("export/ledger.csv", "only the owner sees every reviewer's votes"),
                       ("conflicts", "adjudicator or the owner")):
        response = bob.goto(f"{url}/p/review/{path}")
        assert response.status == 403, path
        expect(bob.locator("#message")).to_contain_text(says)
    bob.screenshot(path=str(shots / "3-blind-refused.png"))
    bob.goto(url + "/p/review/screen")
    expect(bob.locator("#screened")).to_have_text("2 of 12")  # his own votes on records 0 and 1 (0 now decided)
    assert "alice" not in bob.locator("main").inner_text()

    # alice, the owner, downloads the records as CSV and looks at the PRISMA diagram
    alice, alice_errors = log_in(browser, url, "alice", PASSWORDS["alice"])
    alice.click("nav.pages >> text=Exports")
    alice.screenshot(path=str(shots / "4-exports.png"), full_page=True)
    with alice.expect_download() as info:
        alice.click("#export-records-csv")
    download = info.value
    assert download.suggested_filename.startswith("review-records-") and download.suggested_filename.endswith(".csv")
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    table = pd.read_csv(io.StringIO(saved.read_text(encoding="utf-8")))
    assert len(table) == 12
    decided = table.set_index("record_id")
    assert decided.at[ids[0], "decision"] == "include" and decided.at[ids[0], "reviewer"] == "carol"
    assert decided.at[ids[3], "ta_vote:alice"] == "include"  # the owner's export has every vote
    alice.click("nav.pages >> text=PRISMA")
    expect(alice.locator("#prisma svg")).to_be_visible()
    expect(alice.locator("#records-screened")).to_have_text("1")
    alice.screenshot(path=str(shots / "5-prisma.png"), full_page=True)
    alice.click("nav.pages >> text=Reviewers")
    alice.screenshot(path=str(shots / "6-reviewers.png"), full_page=True)
    alice.click("nav.pages >> text=Agreement")
    expect(alice.locator("#agreement-ta")).to_contain_text("alice / bob")
    alice.screenshot(path=str(shots / "7-agreement.png"), full_page=True)
    alice.click("nav.pages >> text=Import")
    search = tmp_path / "update-search.csv"
    pd.DataFrame([{"title": "Peer mentors in addiction recovery: a trial", "abstract": "Peer support.",
                   "year": 2025}, {"title": "Cardiology ward costs", "abstract": "Costs.", "year": 2025}]
                 ).to_csv(search, index=False)
    alice.set_input_files("input[name=files]", str(search))
    alice.click("#import button[type=submit]")
    expect(alice.locator("#message")).to_contain_text("imported: 2 new records")
    expect(alice.locator("#import-report")).to_contain_text("update-search.csv")
    expect(alice.locator("#ranked tbody tr")).to_have_count(2)
    alice.screenshot(path=str(shots / "8-import-report.png"), full_page=True)
    assert not errors and not bob_errors and not alice_errors, (errors, bob_errors, alice_errors)
    keep = os.environ.get("SCREENER_SCREENSHOTS")
    if keep:
        shutil.copytree(shots, Path(keep), dirs_exist_ok=True)
