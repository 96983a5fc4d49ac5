"""KaTeX typesets maths on every kind of page that shows author text (issue 14, item 5), in a
real Chromium: KaTeX output present, no raw TeX left on screen, and axe finds no WCAG A/AA
violation on those pages."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser.conftest import console_errors
from tests.browser.test_accessibility_browser import axe, violations  # noqa: F401 - fixture
from tests.browser.test_login_browser import demo, log_in  # noqa: F401 - fixture
from tests.maths_helpers import LEAD, MATHS, seed

pytestmark = pytest.mark.browser


def typeset(browser) -> None:
    """Wait until the page's maths is typeset (math.js fetches KaTeX after the page loads)."""
    WebDriverWait(browser, 10).until(lambda d: d.execute_script(
        "return document.readyState === 'complete' && !document.querySelector("
        "'.math-inline:not(:has(.katex)), .math-block:not(:has(.katex))')"),
        message=f"maths not typeset on {browser.current_url}")


def assert_maths_typeset(browser, kind: str) -> None:
    assert browser.find_elements(By.CSS_SELECTOR, ".math-inline .katex"), kind
    # Source diffs show the source, TeX included (a review lists its lessons' changes so).
    shown = browser.execute_script(
        "const main = document.querySelector('main').cloneNode(true);"
        "main.querySelectorAll('.diff').forEach(d => d.remove());"
        "document.body.appendChild(main); const text = main.innerText; main.remove();"
        "return text;")
    assert "\\frac" not in shown, kind
    assert "$" not in shown.replace("£", ""), kind


@pytest.fixture
def seeded(live_app, demo):  # noqa: F811
    with live_app.app_context():
        return seed(MATHS)


def test_katex_typesets_every_page_kind(browser, live_server, demo, seeded, axe):  # noqa: F811
    log_in(browser, live_server, LEAD, demo)
    browser.get_log("browser")
    found = {}
    for kind, path in seeded.pages.items():
        browser.get(live_server + path)
        typeset(browser)
        assert_maths_typeset(browser, kind)
        assert not console_errors(browser), kind
        found[path] = violations(browser, live_server, path, axe)
    assert {path: v for path, v in found.items() if v} == {}


def test_editor_preview_typesets_maths(browser, live_server, demo, seeded):  # noqa: F811
    """The Preview button (a form post, no script needed) shows the maths typeset."""
    log_in(browser, live_server, LEAD, demo)
    for path, field in ((f"/lessons/{seeded.lesson_id}/edit", "f-key_learning_point"),
                        (f"/sequences/{seeded.sequence_id}/edit", "f-overview")):
        browser.get(live_server + path)
        box = browser.find_element(By.ID, field)
        box.clear()
        box.send_keys(MATHS)
        browser.find_element(By.CSS_SELECTOR, "button[value=preview]").click()
        WebDriverWait(browser, 10).until(
            lambda d: d.find_elements(By.ID, "preview-heading"))
        typeset(browser)
        preview = browser.find_element(By.CSS_SELECTOR, "section.preview")
        assert preview.find_elements(By.CSS_SELECTOR, ".math-inline .katex"), path
        assert "\\frac" not in preview.text, path


def test_rendered_comparison_on_a_phone(browser, live_server, demo, seeded, axe):  # noqa: F811
    log_in(browser, live_server, LEAD, demo)
    browser.set_window_size(390, 844)
    path = seeded.pages["lesson compare (rendered)"]
    browser.get(live_server + path)
    typeset(browser)
    assert_maths_typeset(browser, path)
    # Stacked, not squeezed: before above after, each the page's width.
    old, new = browser.find_elements(By.CSS_SELECTOR, ".diff-rendered > section")
    assert old.location["y"] < new.location["y"] and old.size["width"] > 300
    assert violations(browser, live_server, path, axe) == []
    # The switch back to the source is a plain link.
    browser.find_element(By.LINK_TEXT, "Source, inline").click()
    assert "view=inline" in browser.current_url
    assert "\\frac{3}{4}" in browser.find_element(By.CSS_SELECTOR, ".diff-inline").text
