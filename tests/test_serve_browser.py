"""End to end in Debian's Chromium (headless, driven by Playwright; never a browser download):
log in, screen with the keyboard, undo, and a hostile title rendered as text. A screenshot of each
step is written under the test's tmp folder.

Locally these tests skip with one line where Chromium or Playwright is missing; under CI
(``CI=true``) a missing browser is a failure (``.ci/run`` installs it)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("SCREENER_CHROMIUM", "/usr/bin/chromium"))
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
TIMEOUT_MS = 20_000


def _missing() -> str | None:
    if not CHROMIUM.is_file():
        return f"no Chromium at {CHROMIUM} (apt-get install chromium chromium-driver)"
    try:
        import playwright.sync_api  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError:
        return "Playwright or uvicorn missing (pip install 'screener[serve]')"
    return None


@pytest.fixture(scope="module")
def browser():
    reason = _missing()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"browser tests cannot run under CI: {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def server(tmp_path):
    """The project of test_serve.py, served by uvicorn on a free loopback port in a thread."""
    from screener.web.app import create_app
    from tests.test_serve import make_project, serving

    folder = make_project(tmp_path / "review")
    with serving(create_app(folder)) as url:
        yield folder, url


def press(page, key: str) -> None:
    """Press a key once the page's key handler is attached (screen.js marks the body)."""
    page.locator("body[data-keys=ready]").wait_for(state="attached")
    page.keyboard.press(key)


def _ledger(folder: Path) -> list[tuple]:
    from tests.test_serve import ledger

    return ledger(folder)


def test_log_in_screen_with_the_keyboard_undo_and_a_hostile_title(browser, server, tmp_path):
    from playwright.sync_api import expect

    from tests.test_serve import HOSTILE_TITLE, PASSWORDS

    folder, url = server
    shots = tmp_path / "screenshots"
    shots.mkdir()
    page = browser.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))

    page.goto(url + "/")
    expect(page).to_have_url(url + "/login")
    page.fill("input[name=name]", "alice")
    page.fill("input[name=password]", PASSWORDS["alice"])
    page.click("button[type=submit]")
    expect(page).to_have_url(url + "/p/review/screen")
    record = page.locator("input[name=record_id]")
    first = record.input_value()
    assert first
    page.screenshot(path=str(shots / "1-first-record.png"))

    press(page, "i")  # include, saved before the next record is sent
    expect(record).not_to_have_value(first)
    assert _ledger(folder)[-1][1:4] == (int(first), "include", "alice")
    expect(page.locator("#included")).to_have_text("1")

    press(page, "u")  # undo brings the record back
    expect(record).to_have_value(first)
    assert _ledger(folder)[-1][1:3] == (int(first), "none")
    expect(page.locator("#included")).to_have_text("0")

    title = page.locator("#title")
    for _ in range(12):  # exclude with the keyboard until the hostile record comes up
        if "<script>" in title.inner_text():
            break
        shown = record.input_value()
        press(page, "e")
        expect(record).not_to_have_value(shown)
    expect(title).to_have_text(HOSTILE_TITLE)
    assert page.locator("#record script, #record img").count() == 0
    page.screenshot(path=str(shots / "2-hostile-title.png"), full_page=True)
    hostile = record.input_value()
    press(page, "e")  # and exclude it with the keyboard
    expect(record).not_to_have_value(hostile)
    assert _ledger(folder)[-1][1:4] == (int(hostile), "exclude", "alice")
    page.screenshot(path=str(shots / "3-after-exclude.png"))
    assert not dialogs and not errors, (dialogs, errors)
    keep = os.environ.get("SCREENER_SCREENSHOTS")
    if keep:
        shutil.copytree(shots, keep, dirs_exist_ok=True)
