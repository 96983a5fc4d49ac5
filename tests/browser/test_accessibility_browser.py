"""axe-core finds no WCAG 2.x A/AA violation on the pages a teacher works in, at desktop and
phone widths (axe-core comes from npm: `make test` installs it into .cache/axe)."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import url_for

from app.extensions import db
from tests.browser.test_login_browser import demo, log_in  # noqa: F401 - fixture

pytestmark = pytest.mark.browser

AXE_JS = Path(__file__).resolve().parents[2] / ".cache/axe/node_modules/axe-core/axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
RUN_AXE = """
const done = arguments[arguments.length - 1];
axe.run(document, {runOnly: {type: 'tag', values: arguments[0]}})
  .then(result => done(result.violations.map(v => ({
      rule: v.id, impact: v.impact, where: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))))
  .catch(error => done([{rule: 'axe failed', impact: String(error), where: []}]));
"""


@pytest.fixture
def axe() -> str:
    if not AXE_JS.exists():
        pytest.skip("axe-core is not installed (make test installs it with npm)")
    return AXE_JS.read_text(encoding="utf-8")


def teacher_pages(app) -> list[str]:
    """The planning pages of the demo's first lesson, and the pages of the main menu."""
    from app.accounts.models import WorkGroup
    from app.planning.models import Lesson

    with app.app_context():
        lesson = db.session.query(Lesson).order_by(Lesson.id).first()
        group = db.session.query(WorkGroup).order_by(WorkGroup.id).first()
        head = lesson.document.head_number
        lesson_id, sequence_id = lesson.id, lesson.sequence_id
    with app.test_request_context():
        return [url_for("main.dashboard"), url_for("planning.sequences"),
                url_for("planning.sequence", sequence_id=sequence_id),
                url_for("planning.lesson", lesson_id=lesson_id),
                url_for("planning.edit_lesson", lesson_id=lesson_id),
                url_for("planning.move_lesson_to_page", lesson_id=lesson_id),
                url_for("planning.lesson_history", lesson_id=lesson_id),
                url_for("planning.lesson_revision", lesson_id=lesson_id, number=1),
                url_for("planning.lesson_compare", lesson_id=lesson_id, a=1, b=head),
                url_for("search.search", q="fractions"),
                url_for("materials.library"), url_for("reviews.queue"),
                url_for("main.work_groups"), url_for("main.work_group", group_id=group.id),
                url_for("notifications.index")]


def violations(browser, base: str, path: str, axe: str) -> list[dict]:
    browser.get(base + path)
    assert "/login" not in browser.current_url, path
    browser.execute_script(axe)
    return browser.execute_async_script(RUN_AXE, TAGS)


def test_a_teachers_pages_have_no_wcag_violations(browser, live_server, demo, live_app, axe):  # noqa: F811
    log_in(browser, live_server, "s.iqbal@kestrelgate.example.org", demo)
    found = {path: violations(browser, live_server, path, axe)
             for path in teacher_pages(live_app)}
    assert {path: v for path, v in found.items() if v} == {}


def test_the_lesson_and_search_pages_on_a_phone(browser, live_server, demo, live_app, axe):  # noqa: F811
    log_in(browser, live_server, "s.iqbal@kestrelgate.example.org", demo)
    browser.set_window_size(390, 844)
    pages = teacher_pages(live_app)
    found = {path: violations(browser, live_server, path, axe)
             for path in (pages[3], pages[5], pages[9])}
    assert {path: v for path, v in found.items() if v} == {}
