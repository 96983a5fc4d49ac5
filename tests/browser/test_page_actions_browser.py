"""The "More actions" menu of a page's action bar in a real browser (issue 14, item 11): it opens
from the keyboard, shows a visible focus, fits a 390px phone screen, passes axe when open and is
left out of print."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from app.extensions import db
from tests.browser.test_accessibility_browser import RUN_AXE, TAGS, axe  # noqa: F401 - fixture
from tests.browser.test_login_browser import demo, log_in  # noqa: F401 - fixture

pytestmark = pytest.mark.browser


def first_lesson_and_sequence(app) -> tuple[int, int]:
    from app.planning.models import Lesson

    with app.app_context():
        lesson = db.session.query(Lesson).order_by(Lesson.id).first()
        return lesson.id, lesson.sequence_id


@pytest.mark.parametrize("width", [1280, 390])
def test_the_menu_opens_from_the_keyboard_and_fits_the_screen(browser, live_server, demo,  # noqa: F811
                                                             live_app, axe, width):  # noqa: F811
    log_in(browser, live_server, "s.iqbal@kestrelgate.example.org", demo)
    browser.set_window_size(width, 844)
    lesson_id, sequence_id = first_lesson_and_sequence(live_app)
    for path in (f"/lessons/{lesson_id}", f"/sequences/{sequence_id}"):
        browser.get(live_server + path)
        bar = browser.find_element(By.CSS_SELECTOR, "main .action-bar")
        menu = bar.find_element(By.CSS_SELECTOR, "details.more-actions")
        history = menu.find_element(By.XPATH, ".//a[normalize-space()='History']")
        assert not history.is_displayed()

        # Tab from the primary button reaches the menu's summary, which shows its focus.
        bar.find_element(By.CSS_SELECTOR, "a.button").send_keys("")
        browser.switch_to.active_element.send_keys(Keys.TAB)
        summary = browser.switch_to.active_element
        assert summary.tag_name == "summary" and summary.text.startswith("More actions")
        assert summary.value_of_css_property("outline-style") != "none"
        summary.send_keys(Keys.ENTER)
        assert menu.get_attribute("open") is not None
        assert history.is_displayed()

        # Open, it stays inside the screen: no sideways scrolling on a phone.
        right = browser.execute_script(
            "return arguments[0].querySelector('ul').getBoundingClientRect().right;", menu)
        assert right <= browser.execute_script("return document.documentElement.clientWidth;")
        assert browser.execute_script(
            "return document.documentElement.scrollWidth <= document.documentElement.clientWidth;")

        browser.execute_script(axe)
        assert browser.execute_async_script(RUN_AXE, TAGS) == [], path

        # The next Tab goes into the open menu's links.
        browser.switch_to.active_element.send_keys(Keys.TAB)
        assert browser.switch_to.active_element.get_attribute("href")
        assert browser.execute_script(
            "return document.activeElement.closest('details.more-actions') !== null;")


def test_the_action_bar_is_not_printed(browser, live_server, demo, live_app):  # noqa: F811
    log_in(browser, live_server, "s.iqbal@kestrelgate.example.org", demo)
    lesson_id, _ = first_lesson_and_sequence(live_app)
    browser.get(f"{live_server}/lessons/{lesson_id}")
    browser.execute_script("document.querySelector('details.more-actions').open = true;")
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    assert not browser.find_element(By.CSS_SELECTOR, "main .action-bar").is_displayed()
    assert not browser.find_element(By.CSS_SELECTOR, "details.more-actions").is_displayed()
