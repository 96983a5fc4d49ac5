"""One formula KaTeX cannot handle must not stop the rest of the page's maths."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from app.extensions import db
from tests.browser.test_login_browser import demo, log_in  # noqa: F401 - fixture

pytestmark = pytest.mark.browser

# 5,000 nested braces: KaTeX's recursive parser overflows the stack (an uncaught RangeError).
# render_markdown never hands this to KaTeX, so the test writes the stored HTML directly, as a
# revision rendered before the server-side bound existed would hold it.
OVER_NESTED = "{" * 5000 + "x" + "}" * 5000


def test_bad_formula_leaves_later_formulas_typeset(browser, live_server, demo, live_app):  # noqa: F811
    from app.planning.models import Lesson
    from app.revisions.models import Document, Revision

    with live_app.app_context():
        lesson_id, document_id, head = db.session.query(
            Lesson.id, Document.id, Document.head_number).join(Document).order_by(Lesson.id).first()
        revision = db.session.query(Revision).filter_by(
            document_id=document_id, number=head).one()
        revision.html = {**revision.html, "body": (
            '<p>Before <span class="math-inline">\\frac{1}{2}</span></p>\n'
            f'<p>Bad <span class="math-inline">{OVER_NESTED}</span></p>\n'
            '<p>After <span class="math-inline">x^2</span></p>\n'
            '<div class="math-block">\\sqrt{y}</div>\n'
        )}
        db.session.commit()
    log_in(browser, live_server, "jo.castleford@larkmoor-hub.example.org", demo)
    browser.get(f"{live_server}/lessons/{lesson_id}")
    WebDriverWait(browser, 10).until(
        lambda d: d.execute_script("return document.readyState") == "complete")
    spans = browser.find_elements(By.CSS_SELECTOR, ".math-inline, .math-block")
    texts = [s.text for s in spans]
    typeset = [bool(s.find_elements(By.CSS_SELECTOR, ".katex")) for s in spans]
    bad = next(i for i, s in enumerate(spans) if "{{{{" in (s.get_attribute("textContent") or ""))
    assert typeset[bad] is False, texts[bad][:80]
    # Every formula but the bad one is typeset, including those after it.
    assert [t for i, t in enumerate(typeset) if i != bad] == [True] * (len(spans) - 1)
    assert bad < len(spans) - 2
