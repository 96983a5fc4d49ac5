"""The search results page in a real browser: on a phone the results come first and the filters
fold away under them; on a wide screen the filters sit beside them; maths in snippets is
typeset; printing leaves the filters out; axe finds no WCAG violation."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.expected_conditions import staleness_of
from selenium.webdriver.support.ui import WebDriverWait

from app.extensions import db
from tests.browser.conftest import console_errors
from tests.browser.test_accessibility_browser import axe, violations  # noqa: F401 - fixture
from tests.browser.test_login_browser import demo, log_in  # noqa: F401 - fixture

pytestmark = pytest.mark.browser

TEACHER = "s.iqbal@kestrelgate.example.org"
SEARCH = "/search?q=fractions"


def _top(browser, element) -> float:
    return browser.execute_script("return arguments[0].getBoundingClientRect().top", element)


def _box(browser, element) -> dict[str, float]:
    return browser.execute_script(
        "const r = arguments[0].getBoundingClientRect();"
        "return {left: r.left, right: r.right, top: r.top};", element)


def test_on_a_phone_results_come_first_and_filters_fold_away(
        browser, live_server, demo, axe):  # noqa: F811
    log_in(browser, live_server, TEACHER, demo)
    browser.set_window_size(390, 844)
    browser.get(live_server + SEARCH)
    first = browser.find_element(By.CSS_SELECTOR, ".results .result")
    assert _top(browser, first) < 500  # in the first screenful
    checkbox = browser.find_element(By.CSS_SELECTOR, ".search-filters input[type=checkbox]")
    assert not checkbox.is_displayed()  # folded away
    assert _top(browser, browser.find_element(By.ID, "search-filters")) > _top(browser, first)
    assert violations(browser, live_server, SEARCH, axe) == []

    # Reachable: the link under the heading leads to them, and they open with one tap.
    browser.find_element(By.CSS_SELECTOR, ".to-filters a").click()
    browser.find_element(By.CSS_SELECTOR, ".search-filters summary").click()
    checkbox = browser.find_element(By.CSS_SELECTOR, ".search-filters input[type=checkbox]")
    assert checkbox.is_displayed()
    name, value = checkbox.get_attribute("name"), checkbox.get_attribute("value")
    checkbox.click()
    apply = browser.find_element(By.CSS_SELECTOR, ".search-filters button[type=submit]")
    apply.click()
    WebDriverWait(browser, 10).until(staleness_of(apply))
    assert f"{name}={value}" in browser.current_url.replace("%2F", "/")
    assert "q=fractions" in browser.current_url
    # A chosen filter keeps the filters open (after the results) so it can be unticked.
    chosen = browser.find_element(By.CSS_SELECTOR, ".search-filters input:checked")
    assert chosen.is_displayed() and chosen.get_attribute("value") == value
    first = browser.find_element(By.CSS_SELECTOR, ".results .result")
    assert _top(browser, first) < 500
    path = browser.current_url.removeprefix(live_server)
    assert violations(browser, live_server, path, axe) == []


def test_on_a_wide_screen_filters_sit_beside_the_results(
        browser, live_server, demo):  # noqa: F811
    log_in(browser, live_server, TEACHER, demo)
    browser.set_window_size(1280, 900)
    browser.get(live_server + SEARCH)
    results = _box(browser, browser.find_element(By.CSS_SELECTOR, ".results"))
    filters = _box(browser, browser.find_element(By.ID, "search-filters"))
    assert filters["left"] >= results["right"]
    assert abs(filters["top"] - results["top"]) < 200
    checkbox = browser.find_element(By.CSS_SELECTOR, ".search-filters input[type=checkbox]")
    assert checkbox.is_displayed()  # opened for a screen with room for them
    assert console_errors(browser) == []


def test_printing_leaves_out_the_filters(browser, live_server, demo):  # noqa: F811
    log_in(browser, live_server, TEACHER, demo)
    browser.get(live_server + SEARCH)
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        assert not browser.find_element(By.ID, "search-filters").is_displayed()
        assert not browser.find_element(By.ID, "q").is_displayed()
        assert browser.find_element(By.CSS_SELECTOR, ".results .result").is_displayed()
    finally:
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
    assert browser.find_element(By.ID, "search-filters").is_displayed()


def test_maths_in_a_snippet_is_typeset(browser, live_server, live_app, demo):  # noqa: F811
    from app.planning.models import Lesson

    with live_app.app_context():
        lesson_id = db.session.query(Lesson.id).order_by(Lesson.id).limit(1).scalar()
    log_in(browser, live_server, TEACHER, demo)
    browser.get(f"{live_server}/lessons/{lesson_id}/edit")
    field = browser.find_element(By.ID, "f-key_learning_point")
    field.clear()
    field.send_keys("The **capybara** rule: $\\frac{3}{4}$ of 8 is 6, see [[pd:3.2]].")
    save = browser.find_element(By.CSS_SELECTOR, "button[value=save]")
    save.click()
    WebDriverWait(browser, 10).until(staleness_of(save))
    browser.get(live_server + "/search?q=capybara")
    snippet = browser.find_element(By.CSS_SELECTOR, ".results .snippet")
    WebDriverWait(browser, 10).until(
        lambda b: snippet.find_elements(By.CSS_SELECTOR, ".math-inline .katex"))
    assert "**" not in snippet.text and "[[" not in snippet.text and "$" not in snippet.text
    assert "capybara" in snippet.find_element(By.TAG_NAME, "mark").text
    assert "pd:3.2" in snippet.text
    assert console_errors(browser) == []
