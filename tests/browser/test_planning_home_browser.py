"""The planning home and the dashboard in a real browser: axe-core finds no WCAG 2.x A/AA
violation at desktop and phone widths, and the plan filters work by clicking, without
JavaScript of our own (issue 14, items 1-2)."""

from __future__ import annotations

import pytest
from flask import url_for
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from app.extensions import db
from tests.browser.test_accessibility_browser import axe, violations  # noqa: F401 - fixture
from tests.browser.test_login_browser import demo, log_in  # noqa: F401 - fixture

pytestmark = pytest.mark.browser


def home_pages(app) -> list[str]:
    from app.accounts.models import WorkGroup

    with app.app_context():
        group = db.session.query(WorkGroup).order_by(WorkGroup.id).first()
        group_id = group.id
    with app.test_request_context():
        return [url_for("main.dashboard"), url_for("main.work_group", group_id=group_id),
                url_for("main.work_group_plans", group_id=group_id),
                url_for("main.work_group", group_id=group_id, year="Y3", mine="1"),
                url_for("observations.research_lessons", work_group=group_id)]


@pytest.mark.parametrize("width", [1280, 390])
def test_home_and_dashboard_have_no_wcag_violations(browser, live_server, demo, live_app,  # noqa: F811
                                                    axe, width):  # noqa: F811
    log_in(browser, live_server, "s.iqbal@kestrelgate.example.org", demo)
    browser.set_window_size(width, 900)
    found = {path: violations(browser, live_server, path, axe) for path in home_pages(live_app)}
    assert {path: v for path, v in found.items() if v} == {}


def test_a_teacher_filters_the_groups_plans_by_clicking(browser, live_server, demo,  # noqa: F811
                                                        live_app):
    log_in(browser, live_server, "s.iqbal@kestrelgate.example.org", demo)
    browser.get(live_server + home_pages(live_app)[1])
    form = browser.find_element(By.CSS_SELECTOR, "form.plan-filters")
    options = [o.get_attribute("value") for o in
               Select(form.find_element(By.NAME, "year")).options if o.get_attribute("value")]
    assert options, "the demo group has plans with year groups"
    Select(form.find_element(By.NAME, "year")).select_by_value(options[0])
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    # The click starts a page load; wait for it rather than read the old address.
    WebDriverWait(browser, 10).until(lambda d: f"year={options[0]}" in d.current_url)
    listed = browser.find_elements(By.CSS_SELECTOR, ".plan-list li")
    assert listed or "No plans match" in browser.page_source
    browser.find_element(By.LINK_TEXT, "Clear filters").click()
    WebDriverWait(browser, 10).until(lambda d: "year=" not in d.current_url)
