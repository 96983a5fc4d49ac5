"""Importing a lesson from a Word plan (issue 15, item 7): the upload page, the new-lesson
editor filled from the document, nothing saved until Save, the pictures kept and visible
exactly to the sequence's readers, who may import, and the files that are refused."""

from __future__ import annotations

import io
import re
import zipfile
from html.parser import HTMLParser
from types import SimpleNamespace

import docx
import pytest
from docx.oxml.ns import qn
from docx.shared import Inches
from PIL import Image
from sqlalchemy import func, select

from app.extensions import db
from app.files.models import Attachment
from app.planning.fields import MAX_FIELD_CHARS
from app.planning.models import Lesson
from app.revisions.models import Revision
from tests.planning_helpers import make_plan, signed_in
from tests.test_attachments import post_file
from tests.test_page_queries import BUDGET, view


def saved(document) -> bytes:
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (24, 16), (30, 90, 200)).save(out, format="PNG")
    return out.getvalue()


def plan_document(*, vocabulary: str = "dividend, divisor, quotient",
                  picture: bool = True) -> bytes:
    """A teacher's plan: a title, known headings, a bold pseudo-heading, a section Coplan has
    no field for, and a picture with its description."""
    document = docx.Document()
    document.add_paragraph("Dividing fractions", style="Title")
    document.add_heading("Key learning point", 1)
    document.add_paragraph("Dividing by 2 is finding half.")
    document.add_heading("Key vocabulary", 1)
    document.add_paragraph(vocabulary)
    paragraph = document.add_paragraph()
    paragraph.add_run("Misconceptions").bold = True
    document.add_paragraph("Pupils divide the denominator.", style="List Bullet")
    document.add_heading("Representations", 1)
    if picture:
        document.add_picture(io.BytesIO(png()), width=Inches(1))
        document.element.body.findall(".//" + qn("wp:docPr"))[-1].set(
            "descr", "Bar model of 3/4 of 12")
    document.add_heading("Seating plan", 1)
    document.add_paragraph("Mixed pairs by the window.")
    return saved(document)


class FormReader(HTMLParser):
    """The values a browser would send from the form posting to `action` (its Save)."""

    def __init__(self, action: str) -> None:
        super().__init__()
        self.action, self.inside, self.values = action, False, {}
        self.textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.inside = attrs.get("action") == self.action
        elif self.inside and tag == "input" and attrs.get("name") and \
                attrs.get("type", "text") in {"text", "hidden"}:
            self.values.setdefault(attrs["name"], attrs.get("value") or "")
        elif self.inside and tag == "textarea":
            self.textarea = attrs["name"]
            self.values[self.textarea] = ""

    def handle_endtag(self, tag):
        if tag == "textarea":
            self.textarea = None
        elif tag == "form":
            self.inside = False

    def handle_data(self, data):
        if self.textarea:
            self.values[self.textarea] += data.removeprefix("\n") \
                if not self.values[self.textarea] else data


def form_values(page: str, action: str) -> dict[str, str]:
    reader = FormReader(action)
    reader.feed(page)
    return {key: value for key, value in reader.values.items()
            if not key.startswith("picture") and key != "csrf_token"}


def counts(app) -> dict[str, int]:
    with app.app_context():
        return {model.__name__: db.session.scalar(select(func.count()).select_from(model))
                for model in (Lesson, Revision, Attachment)}


@pytest.fixture
def team(app, tmp_path, make_work_group, make_user) -> SimpleNamespace:
    """A sequence, its author, a reader in the same hub (it is shared with the hub) and a
    teacher of another hub's school."""
    app.config["FILES_DIR"] = str(tmp_path / "files")
    group = make_work_group()
    owner = make_user("Olu Owner", group=group)
    reader = make_user("Nia Neighbour", group=make_work_group("NCP 24-12", hub_id=group.hub_id))
    stranger = make_user("Sol Stranger", group=make_work_group("NCP 24-13"))
    plan = make_plan(app, owner, group, visibility="hub")
    return SimpleNamespace(owner=owner, reader=reader, stranger=stranger, plan=plan,
                           import_url=f"/sequences/{plan.id}/lessons/import",
                           create_url=f"/sequences/{plan.id}/lessons/new")


def import_file(client, team, name: str, data: bytes):
    return post_file(client, team.import_url, name, data)


def test_an_imported_plan_is_reviewed_then_saved_with_its_picture(app, team):
    owner = signed_in(app, team.owner)
    sequence_page = owner.get(f"/sequences/{team.plan.id}").get_data(as_text=True)
    assert "Import a lesson from Word" in sequence_page and team.import_url in sequence_page
    upload_page = owner.get(team.import_url)
    assert upload_page.status_code == 200
    text = upload_page.get_data(as_text=True)
    assert 'type="file"' in text and "25 MB" in text and "faces and names" in text

    before = counts(app)
    response = import_file(owner, team, "Dividing fractions.docx", plan_document())
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Check the imported lesson, then save" in page
    values = form_values(page, team.create_url)
    assert values["title"] == "Dividing fractions"
    assert values["key_learning_point"] == "Dividing by 2 is finding half."
    assert values["key_vocabulary"] == "dividend, divisor, quotient"
    assert values["difficult_points"] == "- Pupils divide the denominator."
    assert values["body"] == "### Seating plan\n\nMixed pairs by the window."
    picture = re.fullmatch(r"!\[Bar model of 3/4 of 12\]\((/files/\d+/[^)]+)\)",
                           values["representations"])
    assert picture, values["representations"]
    # Nothing is a lesson yet: only the picture is stored (for the form to show it).
    after = counts(app)
    assert (after["Lesson"], after["Revision"]) == (before["Lesson"], before["Revision"])

    values["key_vocabulary"] += ", divide"  # the teacher's own change while checking
    saved_response = owner.post(team.create_url, data=values)
    assert saved_response.status_code == 303
    lesson_page = owner.get(saved_response.headers["Location"]).get_data(as_text=True)
    assert "dividend, divisor, quotient, divide" in lesson_page
    assert f'src="{picture.group(1)}"' in lesson_page
    assert 'alt="Bar model of 3/4 of 12"' in lesson_page
    with app.app_context():
        lesson = db.session.scalars(select(Lesson).order_by(Lesson.id.desc())).first()
        revisions = db.session.scalars(select(Revision).where(
            Revision.document_id == lesson.document_id)).all()
        assert lesson.sequence_id == team.plan.id and lesson.title == "Dividing fractions"
        # One revision, holding what the teacher reviewed.
        assert len(revisions) == 1
        assert revisions[0].fields["key_vocabulary"] == "dividend, divisor, quotient, divide"

    assert owner.get(picture.group(1)).status_code == 200
    reader = signed_in(app, team.reader)
    served = reader.get(picture.group(1))
    assert served.status_code == 200 and served.mimetype == "image/png"
    assert signed_in(app, team.stranger).get(picture.group(1)).status_code == 404


def test_preview_and_refused_saves_keep_the_text_and_save_nothing(app, team):
    owner = signed_in(app, team.owner)
    page = import_file(owner, team, "plan.docx", plan_document(picture=False))
    values = form_values(page.get_data(as_text=True), team.create_url)
    before = counts(app)
    preview = owner.post(team.create_url, data={**values, "action": "preview"})
    assert preview.status_code == 200 and "Preview (not saved yet)" in preview.get_data(
        as_text=True)
    refused = owner.post(team.create_url, data={**values, "title": ""})
    assert refused.status_code == 400
    assert form_values(refused.get_data(as_text=True), team.create_url)["key_vocabulary"] == \
        values["key_vocabulary"]
    assert counts(app) == before


def test_a_field_over_the_length_limit_shows_its_error_with_the_text_kept(app, team):
    owner = signed_in(app, team.owner)
    long_text = "fraction " * (MAX_FIELD_CHARS // 9 + 10)
    response = import_file(owner, team, "long.docx",
                           plan_document(vocabulary=long_text, picture=False))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Key vocabulary is too long" in page
    values = form_values(page, team.create_url)
    assert values["key_vocabulary"] == long_text.strip()
    before = counts(app)
    refused = owner.post(team.create_url, data=values)
    assert refused.status_code == 400 and "Key vocabulary is too long" in refused.get_data(
        as_text=True)
    assert counts(app) == before


def test_only_people_who_may_edit_the_sequence_may_import(app, team):
    reader = signed_in(app, team.reader)
    assert "Import a lesson from Word" not in reader.get(
        f"/sequences/{team.plan.id}").get_data(as_text=True)
    before = counts(app)
    assert reader.get(team.import_url).status_code == 403
    assert import_file(reader, team, "plan.docx", plan_document()).status_code == 403
    assert reader.post(team.create_url, data={"title": "Planted"}).status_code == 403
    stranger = signed_in(app, team.stranger)
    assert stranger.get(team.import_url).status_code == 404
    assert import_file(stranger, team, "plan.docx", plan_document()).status_code == 404
    assert stranger.post(team.create_url, data={"title": "Planted"}).status_code == 404
    assert signed_in(app, team.owner).get("/sequences/999999/lessons/import").status_code == 404
    assert counts(app) == before


def test_posts_without_a_form_token_are_refused(app, team):
    owner = signed_in(app, team.owner)
    before = counts(app)
    assert owner.post(team.import_url, csrf=False, data={
        "file": (io.BytesIO(plan_document()), "plan.docx")}).status_code == 400
    assert owner.post(team.create_url, csrf=False,
                      data={"title": "Planted", "body": "x"}).status_code == 400
    assert counts(app) == before


def macro_document() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(plan_document(picture=False))) as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            target.writestr(item, source.read(item))
        target.writestr("word/vbaProject.bin", b"Attribute VB_Name = \"Module1\"")
    return out.getvalue()


@pytest.mark.parametrize(("name", "data", "message"), [
    ("plan.docx", b"%PDF-1.4\n%%EOF\n", "Choose a Word document saved as .docx"),
    ("plan.pdf", b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n",
     "Choose a Word document saved as .docx"),
    ("plan.docm", None, "Files with macros are not accepted"),
    ("plan.docx", b"", "This file is empty"),
    ("empty.docx", saved(docx.Document()), "no text or pictures to import"),
    ("plan.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "older Office file"),
])
def test_files_that_cannot_be_imported_get_the_upload_page_with_the_reason(
        app, team, name, data, message):
    owner = signed_in(app, team.owner)
    before = counts(app)
    response = import_file(owner, team, name, macro_document() if data is None else data)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page and 'id="f-file-error"' in page and 'type="file"' in page
    assert counts(app) == before


def test_no_file_chosen_is_a_field_error(app, team):
    owner = signed_in(app, team.owner)
    response = owner.post(team.import_url, data={}, content_type="multipart/form-data")
    assert response.status_code == 400
    assert "Choose the Word document (.docx)" in response.get_data(as_text=True)


def test_files_over_the_limit_are_refused_with_the_limit_and_nothing_stored(app, team):
    owner = signed_in(app, team.owner)
    document = plan_document()
    app.config["FILES_MAX_BYTES"] = len(document) - 1
    before = counts(app)
    # Over the limit by a byte: the upload page says so (the body itself was accepted).
    response = import_file(owner, team, "plan.docx", document)
    assert response.status_code == 413
    assert "the limit is" in response.get_data(as_text=True)
    # A body far over the limit is refused unread.
    huge = import_file(owner, team, "plan.docx", document + b"\x00" * (200 * 1024))
    assert huge.status_code == 413 and "nothing was imported" in huge.get_data(as_text=True)
    assert counts(app) == before


def test_only_editors_may_send_a_body_over_the_usual_limit(app, team):
    document = plan_document()
    padding = app.config["MAX_CONTENT_LENGTH"] + 1024 - len(document)
    # A plan with a large picture inside, over the app's usual 2 MB request limit.
    big = docx.Document()
    big.add_paragraph("Big pictures", style="Title")
    while len(saved(big)) < padding:
        # Noise does not compress; a new one each time (Word keeps one copy of a repeat).
        out = io.BytesIO()
        Image.effect_noise((600, 600), 120).convert("RGB").save(out, format="PNG")
        big.add_picture(io.BytesIO(out.getvalue()), width=Inches(1))
    data = saved(big)
    assert len(data) > app.config["MAX_CONTENT_LENGTH"]
    owner = signed_in(app, team.owner)
    assert import_file(owner, team, "big.docx", data).status_code == 200
    # A reader's big body is refused before it is read (not answered with a 403 after).
    reader = signed_in(app, team.reader)
    assert import_file(reader, team, "big.docx", data).status_code == 413


def test_the_import_page_stays_within_the_query_budget(app, team):
    owner = signed_in(app, team.owner)
    _html, sql, _after = view(app, owner, team.import_url)
    assert len(sql) <= BUDGET, "\n".join(sql)


def test_imports_count_with_the_persons_other_uploads(app, team):
    """Each import runs a converter and stores pictures: it shares the person's upload
    allowance with the Files pages, and one over it is refused before anything is read."""
    app.config["UPLOAD_LIMIT"] = "2 per minute"
    owner = signed_in(app, team.owner)
    files_page = f"/sequences/{team.plan.id}/files"
    assert post_file(owner, files_page, "sheet.pdf", b"%PDF-1.4\n%%EOF\n").status_code == 303
    assert import_file(owner, team, "Plan.docx", plan_document()).status_code == 200
    before = counts(app)
    refused = import_file(owner, team, "Plan again.docx", plan_document())
    assert refused.status_code == 429
    assert counts(app) == before
