"""The site header on a phone: one short row with a "Menu" button (a declarative popover, so it
works without JavaScript); on a wide screen the links, search and account sit in the row as
before."""

from __future__ import annotations

import pytest
from flask import url_for
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.expected_conditions import staleness_of
from selenium.webdriver.support.ui import WebDriverWait

from app.extensions import db
from tests.browser.test_accessibility_browser import axe, violations  # noqa: F401 - fixture
from tests.browser.test_login_browser import demo, log_in  # noqa: F401 - fixture

pytestmark = pytest.mark.browser

PHONE, DESKTOP = (390, 844), (1280, 900)
TEACHER = "s.iqbal@kestrelgate.example.org"


def pages(app) -> list[str]:
    """The dashboard, a lesson and the search page with results."""
    from app.planning.models import Lesson

    with app.app_context():
        lesson_id = db.session.query(Lesson.id).order_by(Lesson.id).first()[0]
    with app.test_request_context():
        return [url_for("main.dashboard"), url_for("planning.lesson", lesson_id=lesson_id),
                url_for("search.search", q="fractions")]


def height(browser, selector: str) -> float:
    return browser.execute_script(
        "return document.querySelector(arguments[0]).getBoundingClientRect().height", selector)


def top(browser, selector: str) -> float:
    return browser.execute_script(
        "return document.querySelector(arguments[0]).getBoundingClientRect().top", selector)


def test_on_a_phone_the_header_takes_at_most_a_sixth_of_the_screen(
        browser, live_server, demo, live_app, axe):  # noqa: F811
    log_in(browser, live_server, TEACHER, demo)
    browser.set_window_size(*PHONE)
    screen = browser.execute_script("return window.innerHeight")
    for path in pages(live_app):
        browser.get(live_server + path)
        assert height(browser, ".site-header") <= screen / 6, path
        # Links, search and account wait behind the button; the brand leads home.
        assert not browser.find_element(By.CSS_SELECTOR, ".nav a[href='/sequences']") \
            .is_displayed(), path
        assert browser.find_element(By.CSS_SELECTOR, ".menu-button").is_displayed()
        assert browser.find_element(By.CSS_SELECTOR, ".brand").is_displayed()
    # On the search page the first result comes before the filters.
    assert top(browser, ".results .result") < top(browser, "#search-filters")
    found = {path: violations(browser, live_server, path, axe) for path in pages(live_app)}
    assert {path: v for path, v in found.items() if v} == {}


def test_the_phone_menu_opens_by_keyboard_and_leads_on(browser, live_server, demo,  # noqa: F811
                                                       live_app, axe):  # noqa: F811
    log_in(browser, live_server, TEACHER, demo)
    browser.set_window_size(*PHONE)
    browser.get(live_server + "/")
    body = browser.find_element(By.TAG_NAME, "body")
    body.send_keys(Keys.TAB)
    assert browser.switch_to.active_element.text == "Skip to main content"  # still first
    browser.switch_to.active_element.send_keys(Keys.TAB)
    browser.switch_to.active_element.send_keys(Keys.TAB)
    button = browser.switch_to.active_element
    assert button.tag_name == "button" and button.text.startswith("Menu")
    open_menu = "return document.getElementById('site-menu').matches(':popover-open')"
    assert not browser.execute_script(open_menu)
    button.send_keys(Keys.ENTER)
    assert browser.execute_script(open_menu)
    sequences = browser.find_element(By.LINK_TEXT, "Sequences")
    assert sequences.is_displayed() and sequences.size["height"] >= 24
    search = browser.find_element(By.ID, "header-q")
    assert search.is_displayed() and search.size["height"] >= 24
    assert browser.find_element(By.CSS_SELECTOR, ".site-menu .user-menu button").is_displayed()
    # The open menu sits below the header row, not over the button.
    assert sequences.rect["y"] >= button.rect["y"] + button.rect["height"]
    # Tabbing on past its last item closes it, so nothing focused is hidden under it.
    log_out = browser.find_element(By.CSS_SELECTOR, ".site-menu .user-menu button")
    browser.execute_script("arguments[0].focus()", log_out)
    log_out.send_keys(Keys.TAB)
    assert not browser.execute_script(open_menu)
    assert browser.switch_to.active_element.is_displayed()
    button.send_keys(Keys.ENTER)
    assert browser.execute_script(open_menu)
    # Open, the menu is still accessible.
    browser.execute_script(axe)
    from tests.browser.test_accessibility_browser import RUN_AXE, TAGS
    assert browser.execute_async_script(RUN_AXE, TAGS) == []
    search.send_keys("fractions", Keys.ENTER)
    WebDriverWait(browser, 10).until(staleness_of(search))
    assert "/search?q=fractions" in browser.current_url
    assert browser.find_elements(By.CSS_SELECTOR, ".results .result")


def test_on_a_wide_screen_the_header_is_one_band_with_no_menu_button(
        browser, live_server, demo):  # noqa: F811
    log_in(browser, live_server, TEACHER, demo)
    browser.set_window_size(*DESKTOP)
    browser.get(live_server + "/")
    assert not browser.find_element(By.CSS_SELECTOR, ".menu-button").is_displayed()
    nav, search, user = (browser.find_element(By.CSS_SELECTOR, s).rect
                         for s in (".nav", ".header-search", ".user-menu"))
    # Links, then search beside them, then the account under the search, as before.
    assert nav["y"] < 40 and search["y"] < 40 and nav["x"] + nav["width"] <= search["x"]
    assert user["y"] >= search["y"] + search["height"] - 1
    assert height(browser, ".site-header") <= 100
    browser.find_element(By.LINK_TEXT, "Sequences").click()
    assert browser.find_element(By.TAG_NAME, "h1").text
    assert "/sequences" in browser.current_url
