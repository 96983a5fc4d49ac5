"""Files and pictures in plans (issue 15) walked in a real Chromium by a teacher of the demo Work
Group, clicking links and buttons only: a picture added to a lesson field without JavaScript
(what she typed is kept) and pasted with it, the saved lesson showing it at a sensible size with
the larger view a click away, and printing it; a file added to a lesson, replaced, seen in the
history as "replaced (v1 → v2)" and restored; files added on a sequence, a board thread and a
Work Group session. Every Files page is reached from its thing and leads back to it; every new
page is checked with axe at desktop and phone width; on a phone nothing scrolls sideways and
every control is at least 24 px tall.

SHOTS=<folder> saves screenshots of the pages at both widths (for looking, not for committing).
"""

from __future__ import annotations

import base64
import io
import os

import pytest
from PIL import Image
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser.test_accessibility_browser import axe  # noqa: F401 - fixture
from tests.browser.test_login_browser import demo  # noqa: F401 - fixture
from tests.browser.test_pictures_browser import PASTE
from tests.browser.walk import DESKTOP, PHONE, Walk

pytestmark = pytest.mark.browser

TEACHER = "d.fenwick@thornmere.example.org"  # Daniel Fenwick, Year 3, Thornmere
GROUP = "Larkmoor TfM Sustaining Work Group A"
SEQUENCE = "Year 3: unit fractions of a set of objects"
LESSON = "Finding a unit fraction of a set"
THREAD = "Grouping and sharing: one bar-model layout from Year 2 to Year 4?"
SESSION = "Session 5: Online: reviewing revised sequences; PD-model round table"
TYPED = "Start with a bar model of 12."
ALT = "Bar model of 12 split into 4 equal parts"
PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
#: Pages the walk passes through that issue 15 did not add: other browser tests audit them.
NOT_NEW = ("/", "/work-groups/<id>", "/sequences/new?work_group", "/work-groups/<id>/board",
           "/work-groups/<id>/sessions", "/sessions/<id>", "/work-groups/<id>/board/<id>",
           "/sequences/<id>")
#: Controls narrower or shorter than 24 CSS px (WCAG 2.5.8), and the page's sideways overflow.
PHONE_CHECK = """
const small = [];
for (const el of document.querySelectorAll('main a, main button, main input, main select,'
                                          + ' main summary, header button, header summary')) {
  const box = el.getBoundingClientRect();
  if (box.width === 0 || el.closest('.visually-hidden')) continue;   // not shown
  if (el.tagName === 'A' && getComputedStyle(el).display === 'inline') continue;  // in a sentence
  if (box.height < 24) small.push(el.outerHTML.slice(0, 80) + ' ' + Math.round(box.height));
}
const page = document.documentElement;
return {small, overflow: page.scrollWidth - page.clientWidth};
"""


def shot(walk: Walk, name: str) -> None:
    """Screenshots at both widths when SHOTS names a folder."""
    if folder := os.environ.get("SHOTS"):
        walk.browser.save_screenshot(f"{folder}/{name}.png")
        walk._at(PHONE, lambda: walk.browser.save_screenshot(f"{folder}/{name}-phone.png"))


def on_a_phone(walk: Walk) -> dict:
    return walk._at(PHONE, lambda: walk.browser.execute_script(PHONE_CHECK))


def upload(walk: Walk, path, field: str = "f-file", button: str = "Upload") -> None:
    walk.browser.find_element(By.ID, field).send_keys(str(path))
    walk.press(button)


def files_page_checks(walk: Walk, name: str, thing: str) -> None:
    """The file is listed with its facts; the phone layout holds; the way back is there."""
    listed = walk.text(".file-list")
    assert name in listed and "PDF" in listed and "added by Daniel Fenwick" in listed
    assert on_a_phone(walk) == {"small": [], "overflow": 0}
    assert walk.link(f"Back to the {thing}")


def png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (40, 110, 190)).save(out, format="PNG")
    return out.getvalue()


def test_files_and_pictures_by_clicking_only(browser, live_server, live_app, demo, axe,  # noqa: F811
                                             tmp_path):
    live_app.config["FILES_DIR"] = str(tmp_path / "files")
    slides, slides_v2, picture = (tmp_path / "Fraction wall slides.pdf",
                                  tmp_path / "Fraction wall slides v2.pdf", tmp_path / "bar.png")
    slides.write_bytes(PDF)
    slides_v2.write_bytes(PDF.replace(b"1.4", b"1.5"))
    picture.write_bytes(png(1600, 500))
    walk = Walk(browser, live_server, axe, demo)
    walk.audited.update({kind: {} for kind in NOT_NEW})

    # --- A new sequence from the Work Group home. ------------------------------------------
    walk.sign_in(TEACHER)
    walk.click(GROUP)
    walk.click("New sequence")
    walk.type("f-title", SEQUENCE)
    walk.choose("f-year_group", "Year 3")
    walk.choose("f-strand", "Number – fractions (including decimals and percentages)")
    walk.type("f-lesson_titles", f"{LESSON}\nFinding a non-unit fraction of a set")
    walk.press("Create sequence")
    walk.click(LESSON)

    # --- A picture without JavaScript: the button sends the form, what was typed is kept. ---
    walk.audited["/lessons/<id>/edit"] = {}  # axe needs scripts; audited below, with them on
    browser.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": True})
    try:
        walk.click("Edit")
        walk.type("f-representations", TYPED)
        walk.type("f-body", "Counters in trays of 4.")
        browser.find_element(By.ID, "f-picture").send_keys(str(picture))
        walk.type("f-picture_alt", ALT)
        walk.choose("f-picture_field", "Representations and manipulatives")
        walk.press("Add picture")
        text = browser.find_element(By.ID, "f-representations").get_attribute("value")
        assert text.startswith(TYPED) and f"![{ALT}](/files/" in text, text
        assert browser.find_element(By.ID, "f-body").get_attribute("value") == (
            "Counters in trays of 4.")
        status = browser.find_element(By.CSS_SELECTOR, ".picture-status").text
        assert status == ("Picture added to “Representations and manipulatives”. "
                          "It is kept when you save."), status
        assert browser.switch_to.active_element.text == "Add picture"
        shot(walk, "lesson-edit-nojs-picture")
    finally:
        browser.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": False})
    walk.press("Save")
    del walk.audited["/lessons/<id>/edit"]

    # The saved lesson shows it no wider than the text and not too tall; a click enlarges it.
    shown = browser.find_element(By.CSS_SELECTOR, "#field-representations img.picture")
    assert shown.get_attribute("alt") == ALT
    WebDriverWait(browser, 10).until(lambda b: b.execute_script(
        "return arguments[0].complete && arguments[0].naturalWidth", shown) == 1600)
    width = shown.size["width"]
    column = browser.find_element(By.CSS_SELECTOR, "#field-representations .prose").size["width"]
    assert 300 < width <= column, (width, column)
    assert walk._at(PHONE, lambda: shown.size["width"] <= 390 - 16)
    shot(walk, "lesson-with-picture")
    # Printed: the picture stays, sized for paper; the buttons and menus do not print.
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        assert shown.is_displayed() and shown.size["height"] <= 460  # 12 cm
        assert not browser.find_element(By.CSS_SELECTOR, ".action-bar").is_displayed()
        assert not [b.text for b in browser.find_elements(By.CSS_SELECTOR, "main button")
                    if b.is_displayed()]
        shot(walk, "lesson-print")
    finally:
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
    larger = shown.find_element(By.XPATH, "./ancestor::a[1]").get_attribute("href")
    shown.click()  # the larger view: the picture on its own, at full size
    WebDriverWait(browser, 10).until(lambda b: b.current_url == larger)
    assert "/files/" in larger and browser.execute_script(
        "return document.images[0].naturalWidth") == 1600
    browser.back()

    # --- With JavaScript: a picture pasted into a field goes in at the cursor. --------------
    walk.click("Edit")
    area = browser.find_element(By.ID, "f-difficult_points")
    area.send_keys("Pupils count all 12.")
    browser.execute_script(PASTE, area, base64.b64encode(png(300, 100)).decode())
    browser.find_element(By.ID, "f-picture_alt").send_keys("Counters in 4 groups", Keys.ENTER)
    WebDriverWait(browser, 10).until(lambda b: "](/files/" in area.get_attribute("value"))
    status = browser.find_element(By.CSS_SELECTOR, ".picture-status")
    assert status.get_attribute("role") == "status" and "Picture added" in status.text
    assert area.get_attribute("value").startswith("Pupils count all 12.")
    # The editor as it is now (the status said, the picture in the preview), at both widths.
    walk.audited["/lessons/<id>/edit (picture pasted)"] = {
        "desktop": walk._axe(), "phone": walk._at(PHONE, walk._axe)}
    walk.press("Save")
    assert len(browser.find_elements(By.CSS_SELECTOR, "img.picture")) == 2

    # --- The lesson's Files page: add, replace, history, restore. ---------------------------
    walk.click("Files")
    assert walk.heading() == f"Files for “{LESSON}”"
    upload(walk, slides)
    files_page_checks(walk, "Fraction wall slides.pdf", "lesson")
    replace_input = browser.find_element(By.CSS_SELECTOR, ".replace-form input[type=file]")
    upload(walk, slides_v2, replace_input.get_attribute("id"), "Replace “Fraction wall slides.pdf”")
    assert "version 2" in walk.text(".file-list")
    shot(walk, "lesson-files")
    walk.click("Lesson 1", within="nav.breadcrumb")
    walk.click("History")
    history = walk.text()
    assert "Replaced Fraction wall slides.pdf with Fraction wall slides v2.pdf (version 1 → 2)" in (
        history), history
    head = int(history.split("Revision ")[1].split()[0])
    walk.click(f"Revision {head - 1}", partial=True)
    assert "Fraction wall slides.pdf" in walk.text() and "(version 1)" in walk.text()
    walk.press("Restore this version")
    assert f"Revision {head - 1} restored as revision {head + 1}." in walk.text()
    walk.click("History")
    walk.press("Compare")  # the newest two: the file goes back to its first version
    compared = walk.text()
    assert ("Fraction wall slides v2.pdf replaced by Fraction wall slides.pdf (v2 → v1)"
            in compared), compared
    shot(walk, "lesson-compare")
    walk.click(LESSON, within="nav.breadcrumb")
    walk.click("Files")
    listed = walk.text(".file-list")
    assert "Fraction wall slides.pdf" in listed and "v2" not in listed

    # --- The sequence's Files page. ---------------------------------------------------------
    walk.click(SEQUENCE, within="nav.breadcrumb")
    walk.click("Files")
    upload(walk, slides)
    files_page_checks(walk, "Fraction wall slides.pdf", "sequence")
    shot(walk, "sequence-files")
    walk.click("Back to the sequence")

    # Printing the sequence: the lesson's pictures and its list of files, and no buttons.
    walk.click("Print all lessons")
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        printed = walk.text()
        assert "Fraction wall slides.pdf" in printed, printed
        pictures = browser.find_elements(By.CSS_SELECTOR, "img.picture")
        assert len(pictures) == 2 and all(p.is_displayed() for p in pictures)
        assert all(p.size["height"] <= 460 for p in pictures)
        assert not [b for b in browser.find_elements(By.CSS_SELECTOR, "button, .button")
                    if b.is_displayed()]
        shot(walk, "sequence-print")
    finally:
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
    walk.click("Back to the sequence")

    # --- A board thread's Files page. -------------------------------------------------------
    walk.click(GROUP, partial=True)
    walk.click("Board", within="nav.group-nav")
    walk.click(THREAD)
    walk.click("Files (0)")
    upload(walk, slides)
    files_page_checks(walk, "Fraction wall slides.pdf", "thread")
    shot(walk, "thread-files")
    walk.click(THREAD, within="nav.breadcrumb")
    walk.link("Files (1)")

    # --- A session's Files page. ------------------------------------------------------------
    walk.click("Sessions", within="nav.group-nav")
    walk.click(SESSION)
    walk.click("Files (0)")
    upload(walk, slides)
    files_page_checks(walk, "Fraction wall slides.pdf", "session")
    # On a phone the site's menu still opens from a Files page.
    browser.set_window_size(*PHONE)
    browser.execute_script("window.scrollTo(0, 0)")
    menu = browser.find_element(By.CSS_SELECTOR, "header .menu-button")
    menu.click()
    assert browser.execute_script(
        "return document.getElementById('site-menu').matches(':popover-open')")
    shown = browser.execute_script(
        "return [...document.querySelectorAll('#site-menu a')]"
        ".filter(a => a.getBoundingClientRect().height >= 24).map(a => a.textContent.trim())")
    assert "Work Groups" in shown, shown
    menu.click()  # closed again (open, it would stay over the page at desktop width)
    browser.set_window_size(*DESKTOP)
    shot(walk, "session-files")
    walk.click(SESSION, within="nav.breadcrumb")
    walk.link("Files (1)")

    found = {kind: result for kind, result in walk.audited.items()
             if result and (result["desktop"] or result["phone"])}
    assert found == {}, found
