"""A lesson's Files page in a real browser: upload without JavaScript's help (a plain file
input), see the file listed, and no WCAG violation at desktop or phone width, with or without
a refusal shown."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.expected_conditions import staleness_of
from selenium.webdriver.support.ui import WebDriverWait

from app.extensions import db
from tests.browser.test_accessibility_browser import (  # noqa: F401 - fixture
    RUN_AXE,
    TAGS,
    axe,
    violations,
)
from tests.browser.test_login_browser import demo, log_in  # noqa: F401 - fixture

pytestmark = pytest.mark.browser

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


def first_lesson(app) -> int:
    from app.planning.models import Lesson

    with app.app_context():
        return db.session.query(Lesson).order_by(Lesson.id).first().id


def send(browser, path) -> None:
    browser.find_element(By.ID, "f-file").send_keys(str(path))
    button = browser.find_element(By.CSS_SELECTOR, "#upload-heading ~ form button")
    button.click()
    WebDriverWait(browser, 10).until(staleness_of(button))


def test_upload_from_the_files_page_and_its_accessibility(browser, live_server, demo, live_app,  # noqa: F811
                                                           axe, tmp_path):  # noqa: F811
    live_app.config["FILES_DIR"] = str(tmp_path / "files")
    log_in(browser, live_server, "s.iqbal@kestrelgate.example.org", demo)
    path = f"/lessons/{first_lesson(live_app)}/files"
    browser.get(live_server + path.rsplit("/", 1)[0])
    menu = browser.find_element(By.CSS_SELECTOR, ".more-actions summary")
    menu.click()
    browser.find_element(By.LINK_TEXT, "Files").click()
    assert browser.current_url.endswith(path)
    assert violations(browser, live_server, path, axe) == []

    worksheet = tmp_path / "Fraction wall worksheet.pdf"
    worksheet.write_bytes(PDF)
    send(browser, worksheet)
    assert "Fraction wall worksheet.pdf" in browser.find_element(By.CSS_SELECTOR,
                                                                 ".file-list").text
    assert violations(browser, live_server, path, axe) == []

    fake = tmp_path / "diagram.png"
    fake.write_bytes(b"<!doctype html><script>alert(1)</script>")
    browser.get(live_server + path)
    send(browser, fake)
    assert "named like a picture" in browser.find_element(By.CSS_SELECTOR,
                                                          ".error-summary").text
    browser.execute_script(axe)  # the page with the refusal, as it was answered
    assert browser.execute_async_script(RUN_AXE, TAGS) == []

    browser.set_window_size(390, 844)
    assert violations(browser, live_server, path, axe) == []
