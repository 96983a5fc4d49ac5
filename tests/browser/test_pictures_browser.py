"""Pictures in the lesson editor, in a real browser: a picture pasted into a Markdown field asks
for its description and goes in at the cursor; the live preview and the saved lesson show it;
clicking it opens the larger view; no WCAG violation on the way."""

from __future__ import annotations

import base64
import io

import pytest
from PIL import Image
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.expected_conditions import staleness_of
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser.conftest import console_errors
from tests.browser.test_accessibility_browser import (  # noqa: F401 - fixture
    RUN_AXE,
    TAGS,
    axe,
)
from tests.browser.test_attachments_browser import first_lesson
from tests.browser.test_login_browser import demo, log_in  # noqa: F401 - fixture

pytestmark = pytest.mark.browser

#: Puts a picture on the clipboard of a paste into the field (as pasting a screenshot does).
PASTE = """
const [area, data] = arguments;
const bytes = Uint8Array.from(atob(data), c => c.charCodeAt(0));
const transfer = new DataTransfer();
transfer.items.add(new File([bytes], 'image.png', {type: 'image/png'}));
area.dispatchEvent(new ClipboardEvent('paste', {clipboardData: transfer, bubbles: true,
                                                cancelable: true}));
"""


def bar_model_png() -> str:
    out = io.BytesIO()
    Image.new("RGB", (240, 80), (40, 110, 190)).save(out, format="PNG")
    return base64.b64encode(out.getvalue()).decode()


def no_axe_violations(browser, axe_js: str) -> list[dict]:
    browser.execute_script(axe_js)
    return browser.execute_async_script(RUN_AXE, TAGS)


def test_paste_a_picture_into_the_lesson_editor(browser, live_server, demo, live_app,  # noqa: F811
                                                axe, tmp_path):  # noqa: F811
    live_app.config["FILES_DIR"] = str(tmp_path / "files")
    log_in(browser, live_server, "s.iqbal@kestrelgate.example.org", demo)
    lesson_id = first_lesson(live_app)
    browser.get(f"{live_server}/lessons/{lesson_id}/edit")
    assert no_axe_violations(browser, axe) == []

    area = browser.find_element(By.ID, "f-representations")
    browser.execute_script("arguments[0].value = 'Start with a bar model. Then the wall.';",
                           area)
    area.click()
    # The cursor after "bar model." — where the picture should go.
    browser.execute_script("arguments[0].focus(); arguments[0].setSelectionRange(23, 23);",
                           area)
    browser.execute_script(PASTE, area, bar_model_png())

    pending = browser.find_element(By.CSS_SELECTOR, ".picture-pending")
    assert pending.is_displayed() and "Representations" in pending.text
    alt = browser.find_element(By.ID, "f-picture_alt")
    assert browser.switch_to.active_element == alt
    alt.send_keys("Bar model of 3/4", Keys.ENTER)

    WebDriverWait(browser, 10).until(
        lambda b: "](/files/" in area.get_attribute("value"))
    value = area.get_attribute("value")
    before, _, rest = value.partition("![Bar model of 3/4](/files/")
    assert before == "Start with a bar model.\n"
    assert rest.split(")", 1)[1] == "\n Then the wall."
    status = browser.find_element(By.CSS_SELECTOR, ".picture-status")
    assert "Picture added to Representations" in status.text
    assert not pending.is_displayed()
    # The live preview shows the picture as the saved page will.
    WebDriverWait(browser, 10).until(lambda b: b.find_elements(
        By.CSS_SELECTOR, "[data-preview-for='f-representations'] img.picture"))
    assert no_axe_violations(browser, axe) == []

    save = browser.find_element(By.CSS_SELECTOR, "button[name=action][value=save]")
    save.click()
    WebDriverWait(browser, 10).until(staleness_of(save))
    picture = browser.find_element(By.CSS_SELECTOR, "img.picture")
    assert picture.get_attribute("alt") == "Bar model of 3/4"
    WebDriverWait(browser, 10).until(
        lambda b: b.execute_script("return arguments[0].complete && "
                                   "arguments[0].naturalWidth", picture) == 240)
    assert no_axe_violations(browser, axe) == []
    src = picture.get_attribute("src")

    picture.click()  # the larger view: the picture on its own
    WebDriverWait(browser, 10).until(lambda b: b.current_url == src)
    assert "/files/" in browser.current_url
    assert console_errors(browser) == []


def test_a_document_pasted_as_picture_is_refused_in_place(browser, live_server, demo,  # noqa: F811
                                                          live_app, tmp_path):
    live_app.config["FILES_DIR"] = str(tmp_path / "files")
    log_in(browser, live_server, "s.iqbal@kestrelgate.example.org", demo)
    browser.get(f"{live_server}/lessons/{first_lesson(live_app)}/edit")
    area = browser.find_element(By.ID, "f-body")
    browser.execute_script("arguments[0].value = 'My notes';", area)
    fake = base64.b64encode(b"%PDF-1.4\n%%EOF\n").decode()
    browser.execute_script(PASTE, area, fake)
    browser.find_element(By.ID, "f-picture_alt").send_keys("Worksheet", Keys.ENTER)
    status = browser.find_element(By.CSS_SELECTOR, ".picture-status")
    WebDriverWait(browser, 10).until(lambda b: status.text)
    assert "Only pictures" in status.text or "named like a picture" in status.text
    assert area.get_attribute("value") == "My notes"
