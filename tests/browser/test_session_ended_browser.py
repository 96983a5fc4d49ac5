"""In a real browser: a teacher whose session ended loses nothing she typed, and a page on
another site cannot plant text in her form or log her out."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import select

from app.extensions import db
from app.revisions.models import Revision
from tests.browser.conftest import console_errors
from tests.conftest import PASSWORD
from tests.planning_helpers import make_plan

pytestmark = pytest.mark.browser

TYPED = "Bar model first, then the stem sentence: 12 shared into 3 equal groups is 4 each."


@pytest.fixture
def app(live_app):
    """The factory fixtures (make_user, …) write to the live server's app."""
    return live_app


@pytest.fixture
def teacher(live_app, make_work_group, make_user):
    group = make_work_group()
    user = make_user(group=group)
    plan = make_plan(live_app, user, group, lessons=1)
    return user, plan


def _log_in(browser, base: str, email: str) -> None:
    browser.get(base + "/login")
    _fill_login(browser, email)


def _fill_login(browser, email: str) -> None:
    browser.find_element(By.ID, "f-email").send_keys(email)
    browser.find_element(By.ID, "f-password").send_keys(PASSWORD)
    button = browser.find_element(By.CSS_SELECTOR, "main button[type=submit]")
    button.click()
    WebDriverWait(browser, 10).until(ec.staleness_of(button))


def _type_plan(browser, text: str) -> None:
    body = browser.find_element(By.ID, "f-body")
    body.clear()
    body.send_keys(text)
    browser.find_element(By.ID, "f-summary").click()  # leave the field; the page keeps it
    WebDriverWait(browser, 5).until(lambda d: d.execute_script(
        "return Object.keys(localStorage).some(k => k.startsWith('coplan:draft:') && "
        "localStorage.getItem(k).includes(arguments[0]))", text[-20:]))


def _type_then_lose_the_session(browser, base: str, email: str, lesson_id: int) -> None:
    _log_in(browser, base, email)
    browser.get(f"{base}/lessons/{lesson_id}/edit")
    _type_plan(browser, TYPED)
    browser.delete_cookie("session")  # her session ends (timeout, logout elsewhere, restart)


def _saved_bodies(live_app, document_id: int) -> list[str]:
    with live_app.app_context():
        return [fields.get("body", "") for fields in db.session.scalars(
            select(Revision.fields).where(Revision.document_id == document_id)
            .order_by(Revision.number))]


def test_signing_in_again_from_the_form_saves_what_she_typed(browser, live_server, live_app,
                                                              teacher):
    user, plan = teacher
    lesson_id = plan.lesson_ids[0]
    _type_then_lose_the_session(browser, live_server, user.email, lesson_id)
    browser.find_element(By.CSS_SELECTOR, "button[value=save]").click()

    panel = WebDriverWait(browser, 10).until(
        ec.visibility_of_element_located((By.CSS_SELECTOR, ".session-ended")))
    assert "Your session has ended" in panel.text and "Nothing has been saved yet" in panel.text
    assert browser.current_url.endswith(f"/lessons/{lesson_id}/edit")
    assert browser.find_element(By.ID, "f-body").get_attribute("value") == TYPED
    assert _saved_bodies(live_app, plan.lesson_documents[0]) == [""]

    form_tab = browser.current_window_handle
    panel.find_element(By.LINK_TEXT, "Sign in again in a new tab").click()
    WebDriverWait(browser, 10).until(lambda d: len(d.window_handles) == 2)
    browser.switch_to.window([h for h in browser.window_handles if h != form_tab][0])
    WebDriverWait(browser, 10).until(ec.presence_of_element_located((By.ID, "f-email")))
    _fill_login(browser, user.email)
    assert "You are signed in again" in browser.find_element(By.TAG_NAME, "h1").text
    browser.close()
    browser.switch_to.window(form_tab)

    browser.find_element(By.CSS_SELECTOR, ".session-save-now").click()
    WebDriverWait(browser, 10).until(ec.url_to_be(f"{live_server}/lessons/{lesson_id}"))
    assert "Saved as revision 2" in browser.find_element(By.TAG_NAME, "main").text
    assert _saved_bodies(live_app, plan.lesson_documents[0])[-1] == TYPED
    # Saved, so the browser forgot its copy: the form offers nothing to restore.
    browser.get(f"{live_server}/lessons/{lesson_id}/edit")
    assert not browser.find_elements(By.CSS_SELECTOR, ".draft-offer")
    assert not browser.execute_script(
        "return Object.keys(localStorage).filter(k => k.startsWith('coplan:draft:'))")
    # The editor's live preview posts in the background with the page's form token; after the
    # session ended those posts are refused (400), which the browser logs. Known, left for the
    # next stop (closing note); anything else in the console still fails the test.
    assert [e for e in console_errors(browser) if "/preview - Failed to load resource" not in e] \
        == []


def test_text_kept_in_the_browser_comes_back_after_logging_in(browser, live_server, live_app,
                                                              teacher):
    user, plan = teacher
    lesson_id = plan.lesson_ids[0]
    _type_then_lose_the_session(browser, live_server, user.email, lesson_id)
    # She closes the tab or goes elsewhere; later she opens the form again and must log in.
    browser.get(f"{live_server}/lessons/{lesson_id}/edit")
    assert "/login" in browser.current_url
    _fill_login(browser, user.email)
    assert browser.current_url.endswith(f"/lessons/{lesson_id}/edit")
    offer = browser.find_element(By.CSS_SELECTOR, ".draft-offer")
    # The message is filled a moment after the page shows the offer (drafts.js), so that a
    # screen reader announces it: wait for it rather than read it at once.
    WebDriverWait(browser, 5).until(lambda d: "not saved (Lesson notes)" in offer.text)
    assert browser.find_element(By.ID, "f-body").get_attribute("value") == ""
    offer.find_element(By.XPATH, ".//button[text()='Restore my text']").click()
    assert browser.find_element(By.ID, "f-body").get_attribute("value") == TYPED
    browser.find_element(By.CSS_SELECTOR, "button[value=save]").click()
    WebDriverWait(browser, 10).until(ec.url_to_be(f"{live_server}/lessons/{lesson_id}"))
    assert _saved_bodies(live_app, plan.lesson_documents[0])[-1] == TYPED


class _AttackerPage(BaseHTTPRequestHandler):
    target = ""

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        page = (f'<form id="f" method="post" action="{self.target}">'
                '<input name="title" value="Lesson 1"><input name="base_number" value="1">'
                '<textarea name="body">PLANTED BY ANOTHER SITE</textarea></form>'
                '<script>document.getElementById("f").submit()</script>').encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(page)))
        self.end_headers()
        self.wfile.write(page)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def other_site() -> Iterator[tuple[ThreadingHTTPServer, type[_AttackerPage]]]:
    handler = type("Page", (_AttackerPage,), {})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server, handler
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def test_a_page_on_another_site_cannot_plant_text_or_log_her_out(browser, live_server, live_app,
                                                                  teacher, other_site):
    user, plan = teacher
    lesson_id = plan.lesson_ids[0]
    server, handler = other_site
    handler.target = f"{live_server}/lessons/{lesson_id}/edit"
    _log_in(browser, live_server, user.email)
    cookie_before = browser.get_cookie("session")["value"]
    # "localhost" is another site than "127.0.0.1": the browser keeps the cookie to itself.
    browser.get(f"http://localhost:{server.server_port}/")
    WebDriverWait(browser, 10).until(lambda d: d.current_url.startswith(live_server))
    assert "PLANTED" not in browser.page_source
    assert browser.get_cookie("session")["value"] == cookie_before  # not replaced
    browser.get(f"{live_server}/lessons/{lesson_id}/edit")
    assert browser.current_url.endswith(f"/lessons/{lesson_id}/edit")  # still signed in
    assert "PLANTED" not in browser.page_source
    assert not browser.find_elements(By.CSS_SELECTOR, ".draft-offer")
    assert _saved_bodies(live_app, plan.lesson_documents[0]) == [""]
