"""Printing a sequence in Chromium: numbered pages, and linked PD materials written out."""

from __future__ import annotations

import base64
import io

import pytest

from app.extensions import db
from tests.browser.test_login_browser import demo, log_in  # noqa: F401 - fixture

pytestmark = pytest.mark.browser


def pdf_text(browser) -> list[str]:
    """The current page printed to PDF by the browser, as the text of each printed page."""
    pypdf = pytest.importorskip("pypdf")
    from selenium.webdriver.common.print_page_options import PrintOptions

    options = PrintOptions()
    options.page_height, options.page_width = 29.7, 21.0  # A4, as a school printer
    pdf = pypdf.PdfReader(io.BytesIO(base64.b64decode(browser.print_page(options))))
    return [page.extract_text() for page in pdf.pages]


def link_material(app, email: str) -> tuple[int, str, str]:
    """Link a published material to the first lesson of the teacher's first sequence, as she
    would in the editor; returns (sequence id, material title, material address)."""
    from app.accounts.models import User
    from app.materials.models import Material
    from app.planning import services
    from app.planning.models import Lesson, Sequence
    from app.revisions import get_revision

    with app.app_context():
        teacher = db.session.query(User).filter_by(email=email).one()
        lesson = (db.session.query(Lesson).join(Sequence)
                  .filter(Sequence.created_by_id == teacher.id).order_by(Lesson.id).first())
        material = (db.session.query(Material).filter_by(status="published")
                    .order_by(Material.id).first())
        head = lesson.document.head_number
        fields = dict(get_revision(lesson.document_id, head).fields)
        fields["materials"] = [{"material_id": material.id, "title": material.label,
                                "note": "before teaching"}]
        services.update_lesson(teacher, lesson.id, fields, head, "Linked a PD material")
        db.session.commit()
        return lesson.sequence_id, material.title, material.url


def test_printed_sequence_is_numbered_and_names_its_materials(browser, live_server, demo,  # noqa: F811
                                                              live_app):
    email = "s.iqbal@kestrelgate.example.org"
    sequence_id, title, url = link_material(live_app, email)
    log_in(browser, live_server, email, demo)
    browser.get(f"{live_server}/sequences/{sequence_id}/print")
    pages = pdf_text(browser)
    assert len(pages) >= 2  # each lesson starts on a new page
    assert "Page 1 of " in pages[0]
    assert f"Page {len(pages)} of {len(pages)}" in pages[-1]
    text = " ".join(" ".join(pages).split())
    assert title in text
    assert url in text.replace(" ", "")  # a long address may wrap over lines
    # The screen-only intro is not printed.
    assert "use your browser’s Print command" not in text
