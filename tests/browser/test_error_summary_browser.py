"""After a form error, focus moves to the error summary, and its links focus the fields
(issue 14, item 11), in a real browser."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.expected_conditions import staleness_of
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser.test_login_browser import demo, log_in  # noqa: F401 - fixture

pytestmark = pytest.mark.browser


def focused(browser) -> dict:
    return browser.execute_script(
        "var e = document.activeElement;"
        "return {id: e.id, cls: e.className, tag: e.tagName, text: e.innerText || ''};")


def wait_for_focus_on_summary(browser) -> dict:
    try:
        WebDriverWait(browser, 5).until(
            lambda b: "error-summary" in focused(b)["cls"])
    except Exception:  # noqa: BLE001 - the assertion below says what was focused instead
        pass
    return focused(browser)


def test_a_new_sequence_without_a_title_starts_at_the_summary(browser, live_server,  # noqa: F811
                                                               demo):  # noqa: F811
    log_in(browser, live_server, "s.iqbal@kestrelgate.example.org", demo)
    browser.get(live_server + "/sequences/new")
    browser.find_element(By.ID, "f-title").clear()
    button = browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]")
    button.click()
    WebDriverWait(browser, 10).until(staleness_of(button))

    now = wait_for_focus_on_summary(browser)
    assert "error-summary" in now["cls"], now
    assert now["text"].startswith("There is a problem")
    summaries = browser.find_elements(By.CSS_SELECTOR, ".error-summary")
    assert len(summaries) == 1

    # Its link to the title goes to the title box itself, ready to type into.
    summaries[0].find_element(By.CSS_SELECTOR, "a[href='#f-title']").click()
    assert focused(browser)["id"] == "f-title"
    browser.switch_to.active_element.send_keys("Year 3 times tables")
    assert browser.find_element(By.ID, "f-title").get_attribute("value") == "Year 3 times tables"


def test_a_wrong_password_starts_at_the_same_summary(browser, live_server, demo):  # noqa: F811
    log_in(browser, live_server, "s.iqbal@kestrelgate.example.org", "not the password")
    now = wait_for_focus_on_summary(browser)
    assert "error-summary" in now["cls"], now
    assert "There is a problem" in now["text"]
    assert "The e-mail or password is not right" in now["text"]


def test_a_page_without_errors_keeps_focus_where_it_was(browser, live_server, demo):  # noqa: F811
    log_in(browser, live_server, "s.iqbal@kestrelgate.example.org", demo)
    browser.get(live_server + "/sequences/new")
    assert not browser.find_elements(By.CSS_SELECTOR, ".error-summary")
    assert focused(browser)["tag"] == "BODY"


def test_the_link_to_a_group_of_checkboxes_focuses_its_first_box(browser, live_server,  # noqa: F811
                                                                  demo, live_app):  # noqa: F811
    from app.accounts.models import WorkGroup
    from app.extensions import db

    with live_app.app_context():
        group_id = db.session.query(WorkGroup.id).order_by(WorkGroup.id).first()[0]
    log_in(browser, live_server, "jo.castleford@larkmoor-hub.example.org", demo)
    browser.get(f"{live_server}/admin/work-groups/{group_id}/invite")
    for box in browser.find_elements(By.CSS_SELECTOR, "#f-roles input[type=checkbox]"):
        if box.is_selected():
            box.click()
    button = browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]")
    button.click()
    WebDriverWait(browser, 10).until(staleness_of(button))
    assert "error-summary" in wait_for_focus_on_summary(browser)["cls"]

    # A fieldset cannot take focus, so the link puts it on the group's first box.
    browser.find_element(By.CSS_SELECTOR, ".error-summary a[href='#f-roles']").click()
    assert focused(browser)["id"] == "f-roles-1"
