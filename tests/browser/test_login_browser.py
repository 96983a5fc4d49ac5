"""Logging in with a real browser, and no CSP violations on our own pages."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.expected_conditions import staleness_of
from selenium.webdriver.support.ui import WebDriverWait

from app.extensions import db
from tests.browser.conftest import console_errors

pytestmark = pytest.mark.browser


@pytest.fixture
def demo(live_app):
    from app.demo.loader import DEMO_PASSWORD, load_demo

    with live_app.app_context():
        load_demo()
        db.session.commit()
    return DEMO_PASSWORD


def log_in(browser, base: str, email: str, password: str) -> None:
    browser.get(base + "/login")
    browser.find_element(By.ID, "f-email").send_keys(email)
    browser.find_element(By.ID, "f-password").send_keys(password)
    button = browser.find_element(By.CSS_SELECTOR, "main button[type=submit]")
    button.click()
    # Wait for the next page so later look-ups never see the login page going away.
    WebDriverWait(browser, 10).until(staleness_of(button))


def test_demo_teacher_logs_in_and_sees_the_dashboard(browser, live_server, demo):
    log_in(browser, live_server, "s.iqbal@kestrelgate.example.org", demo)
    heading = browser.find_element(By.TAG_NAME, "h1").text
    assert heading == "Hello, Sam Iqbal"
    body = browser.find_element(By.TAG_NAME, "main").text
    assert "Larkmoor TfM Sustaining Work Group A" in body
    assert "Thornmere Primary School" in body


def test_wrong_password_shows_the_error(browser, live_server, demo):
    log_in(browser, live_server, "s.iqbal@kestrelgate.example.org", "not the password")
    alert = browser.find_element(By.CSS_SELECTOR, "[role=alert]").text
    assert "The e-mail or password is not right" in alert
    assert browser.find_element(By.ID, "f-email").get_attribute("value") == \
        "s.iqbal@kestrelgate.example.org"


def test_own_pages_cause_no_csp_violations(browser, live_server, demo, live_app):
    from app.accounts.models import WorkGroup

    with live_app.app_context():
        group_id = db.session.query(WorkGroup.id).scalar()
    log_in(browser, live_server, "jo.castleford@larkmoor-hub.example.org", demo)
    browser.get_log("browser")  # drop anything logged before we start looking
    from app.planning.models import Lesson, Sequence
    from app.revisions.models import Document

    with live_app.app_context():
        sequence_id = db.session.query(Sequence.id).order_by(Sequence.id).first()[0]
        lesson_id = db.session.query(Lesson.id).join(Document).filter(
            Document.head_number >= 2).order_by(Lesson.id).first()[0]
    for path in ("/", "/work-groups", f"/work-groups/{group_id}", "/account",
                 f"/admin/work-groups/{group_id}/members", "/sequences",
                 f"/sequences/{sequence_id}", f"/lessons/{lesson_id}",
                 f"/lessons/{lesson_id}/edit", f"/lessons/{lesson_id}/history",
                 f"/lessons/{lesson_id}/compare?a=1&b=2&view=side", "/materials",
                 "/search?q=times+tables", "/reviews", "/notifications",
                 f"/work-groups/{group_id}/board", f"/work-groups/{group_id}/sessions"):
        browser.get(live_server + path)
        assert browser.find_element(By.TAG_NAME, "h1").text
        errors = console_errors(browser)
        assert not errors, f"{path}: {errors}"


def test_skip_link_is_first_and_moves_focus_to_main(browser, live_server, demo):
    from selenium.webdriver.common.keys import Keys

    log_in(browser, live_server, "s.iqbal@kestrelgate.example.org", demo)
    browser.find_element(By.TAG_NAME, "body").send_keys(Keys.TAB)
    active = browser.switch_to.active_element
    assert active.text == "Skip to main content"
    active.send_keys(Keys.ENTER)
    assert browser.current_url.endswith("#main")
