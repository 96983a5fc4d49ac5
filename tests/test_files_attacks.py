"""Attacks on files and pictures (issue 15, "Tests that try to break it"), from the outside: a
teacher of another Work Group in the hub, one of another hub, a member who may read but not
write, and a forged post. Each test asserts what the person would notice (the status, the
served bytes, the page) and that a refused upload leaves nothing behind: no attachment row, no
blob in the catalogue and no file in the store's folder.

The narrower checks already live beside the features (tests/test_attachments*.py,
tests/test_pictures.py, tests/test_attachment_history.py, tests/test_attachment_search.py,
tests/core/test_file_inspection.py); these go through the pages an attacker would use."""

from __future__ import annotations

import io
import re
import time
from types import SimpleNamespace
from urllib.parse import unquote

import pytest
from PIL import Image, PngImagePlugin
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from app.extensions import db
from app.files.models import AttachmentVersion
from app.planning.models import Lesson
from app.revisions.models import Revision
from tests.core.test_file_inspection import bomb_docx, minimal_pdf, picture, zip_of
from tests.observations_helpers import make_research_lesson
from tests.planning_helpers import lesson_form, make_plan, signed_in
from tests.test_attachment_search import mild_bomb_docx
from tests.test_attachments import NOTHING, assert_safe, png, post_file, stored
from tests.test_attachments_targets import make_thread
from tests.test_pictures import JSON, multipart, picture_fields, src_of, upload_json
from tests.workgroup_sessions_helpers import freeze_today, make_session


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    freeze_today(monkeypatch)


@pytest.fixture
def world(app, tmp_path, make_work_group, make_user) -> SimpleNamespace:
    """A hub-visible plan of a two-school Work Group (its author, a colleague of the other
    school who observes its research lesson, a member who does not, the Lead); a teacher of
    another Work Group of the hub with a plan shared with everyone; a teacher of another hub."""
    app.config["FILES_DIR"] = str(tmp_path / "files")
    group = make_work_group()
    lead = make_user("Lee Lead", group=group, roles=("work_group_lead",))
    owner = make_user("Olu Owner", group=group)
    colleague = make_user("Cal Colleague", group=group, school_id=group.school_ids[1])
    member = make_user("Mo Member", group=group)
    neighbour_group = make_work_group("NCP 24-12", hub_id=group.hub_id)
    neighbour = make_user("Nia Neighbour", group=neighbour_group)
    stranger = make_user("Sol Stranger", group=make_work_group("NCP 24-13"))
    plan = make_plan(app, owner, group, visibility="hub")
    theirs = make_plan(app, neighbour, neighbour_group, visibility="all")
    return SimpleNamespace(
        group=group, lead=lead, owner=owner, colleague=colleague, member=member,
        neighbour_group=neighbour_group, neighbour=neighbour, stranger=stranger, plan=plan,
        lesson_id=plan.lesson_ids[0], theirs=theirs,
        session=make_session(app, lead, group), thread=make_thread(app, owner, group),
        research_lesson=make_research_lesson(app, owner, plan.lesson_ids[0], [colleague]))


def text(response) -> str:
    return response.get_data(as_text=True)


def head_number(app, lesson_id: int) -> int:
    with app.app_context():
        return db.session.get(Lesson, lesson_id).document.head_number


def add_picture(app, person, context: str, context_id: int, data: bytes | None = None) -> str:
    """A picture added by someone who may, through the upload address: its URL."""
    response = upload_json(signed_in(app, person), context, context_id, data or png())
    assert response.status_code == 201, (context, response.status_code)
    return src_of(response.get_json()["markdown"])


def settings(client, sequence_id: int, visibility: str) -> None:
    response = client.post(f"/sequences/{sequence_id}/settings",
                           data={"visibility": visibility, "status": "draft"})
    assert response.status_code == 302


# --- uploading where one may not write ------------------------------------------------------------


def test_pictures_and_files_go_nowhere_one_may_not_write_and_nothing_is_stored(app, world):
    w = world
    refusals = [
        # A hub neighbour reads the plan but may neither edit nor comment on it; another
        # group's board, session and research lesson she may not even see.
        (w.neighbour, [("lesson", w.lesson_id, 403), ("sequence", w.plan.id, 403),
                      ("lesson-comment", w.lesson_id, 403),
                      ("sequence-comment", w.plan.id, 403),
                      ("board", w.group.id, 404), ("session", w.session, 404),
                      ("observation", w.research_lesson, 404),
                      ("observation-comment", w.research_lesson, 404)]),
        (w.stranger, [("lesson", w.lesson_id, 404), ("lesson-comment", w.lesson_id, 404),
                     ("board", w.group.id, 404), ("session", w.session, 404),
                      ("observation", w.research_lesson, 404)]),
        # A member reads the research lesson but was not in the room.
        (w.member, [("observation", w.research_lesson, 403)]),
    ]
    for person, places in refusals:
        client = signed_in(app, person)
        for context, context_id, status in places:
            response = upload_json(client, context, context_id, png())
            assert response.status_code == status, (person.display_name, context)
            assert "markdown" not in response.get_data(as_text=True)
    # The forms' own "Add picture" buttons (no JavaScript) refuse them the same way.
    neighbour = signed_in(app, w.neighbour)
    no_js = {f"/comments/lesson/{w.lesson_id}": ({"body": "Look"}, 403),
             f"/lessons/{w.lesson_id}/edit": (lesson_form(), 403),
             f"/work-groups/{w.group.id}/board": ({"title": "Mine", "body": "x"}, 404),
             f"/research-lessons/{w.research_lesson}/discussion":
                 ({"teacher_reflection": "x"}, 404)}
    for url, (fields, status) in no_js.items():
        response = multipart(neighbour, url, {**fields, **picture_fields(png()),
                                              "picture_add": "1"})
        assert response.status_code == status, url
        assert "![Bar model" not in text(response)
    # Files of another group's session and board thread.
    for url in (f"/sessions/{w.session}/files",
                f"/work-groups/{w.group.id}/board/{w.thread}/files"):
        assert post_file(neighbour, url, "mine.pdf", minimal_pdf()).status_code == 404
    # Signed out, with or without a form token: never stored.
    signed_out = app.test_client()
    for url, fields in ((f"/pictures/lesson/{w.lesson_id}", picture_fields(png())),
                        (f"/lessons/{w.lesson_id}/files",
                         {"file": FileStorage(io.BytesIO(minimal_pdf()), "a.pdf")})):
        response = multipart(signed_out, url, fields, csrf=False)
        assert response.status_code in (302, 400, 401), url
        assert "markdown" not in text(response)
    assert stored(app) == NOTHING


# --- fetching what one may not see ---------------------------------------------------------------


def test_another_plans_picture_written_into_my_plan_stays_404_for_my_readers(app, world):
    """The neighbour may see the Work Group's hub plan, copies its picture's address into
    her own plan shared with everyone: a teacher of another hub reads her plan, and the
    picture in it is a 404 for him; once the source is kept to its Work Group, for her too."""
    src = add_picture(app, world.owner, "lesson", world.lesson_id)
    neighbour = signed_in(app, world.neighbour)
    assert neighbour.get(src).status_code == 200
    hers = world.theirs.lesson_ids[0]
    saved = neighbour.post(f"/lessons/{hers}/edit", data=lesson_form(
        base=head_number(app, hers), representations=f"Like theirs:\n\n![Bar model]({src})"))
    assert saved.status_code == 302

    stranger = signed_in(app, world.stranger)
    page = stranger.get(f"/lessons/{hers}")
    assert page.status_code == 200 and f'src="{src}"' in text(page)
    assert stranger.get(src).status_code == 404
    # The URL's name part is ignored: no other spelling of it reaches the picture.
    version = src.split("/")[2]
    for guess in (f"/files/{version}/x.png", f"/files/{version}/../{version}/a.png",
                  f"/files/{version}/%2e%2e/b.png"):
        assert stranger.get(guess).status_code == 404, guess

    settings(signed_in(app, world.owner), world.plan.id, "work_group")
    assert f'src="{src}"' in text(neighbour.get(f"/lessons/{hers}"))
    assert neighbour.get(src).status_code == 404


def test_every_kind_of_picture_is_refused_to_outsiders_by_guessed_address(app, world):
    """Pictures of a lesson, its comments, the board, a session and an observation: each
    is fetched by the people who read its text and by nobody else, whatever id is tried."""
    added = {
        "lesson": add_picture(app, world.owner, "lesson", world.lesson_id),
        "comment": add_picture(app, world.colleague, "lesson-comment", world.lesson_id),
        "board": add_picture(app, world.owner, "board", world.group.id),
        "session": add_picture(app, world.member, "session", world.session),
        "observation": add_picture(app, world.colleague, "observation", world.research_lesson),
    }
    member = signed_in(app, world.member)
    for src in added.values():
        assert member.get(src).status_code == 200, src
    stranger, neighbour = signed_in(app, world.stranger), signed_in(app, world.neighbour)
    for kind, src in added.items():
        assert stranger.get(src).status_code == 404, kind
        # The hub neighbour reads the plan (and so its comments), nothing of the group's own.
        expected = 200 if kind in ("lesson", "comment") else 404
        assert neighbour.get(src).status_code == expected, kind
    with app.app_context():
        highest = db.session.scalar(select(AttachmentVersion.id)
                                    .order_by(AttachmentVersion.id.desc()).limit(1))
    for guess in range(1, highest + 3):
        response = stranger.get(f"/files/{guess}/picture.png")
        assert response.status_code == 404 and not response.data.startswith(b"\x89PNG")
    # Signed out: to the sign-in page, never the bytes.
    signed_out = app.test_client()
    response = signed_out.get(added["lesson"])
    assert response.status_code in (302, 401) and not response.data.startswith(b"\x89PNG")


def test_narrowing_the_plan_stops_its_pictures_and_comment_pictures_at_the_next_request(
        app, world):
    lesson_picture = add_picture(app, world.owner, "lesson", world.lesson_id)
    comment_picture = add_picture(app, world.colleague, "lesson-comment", world.lesson_id)
    colleague, neighbour = signed_in(app, world.colleague), signed_in(app, world.neighbour)
    for src in (lesson_picture, comment_picture):
        served = colleague.get(src)
        assert served.status_code == 200
        # No copy kept by the browser or a proxy to show after access is withdrawn.
        assert "no-store" in served.headers["Cache-Control"]
        assert "private" in served.headers["Cache-Control"]
        assert neighbour.get(src).status_code == 200
    owner = signed_in(app, world.owner)
    settings(owner, world.plan.id, "school")
    for src in (lesson_picture, comment_picture):
        # The colleague added the second picture herself: it is still the plan's.
        assert colleague.get(src).status_code == 404, src
        assert neighbour.get(src).status_code == 404, src
        assert owner.get(src).status_code == 200, src


# --- hostile names and contents ------------------------------------------------------------------


def test_long_unicode_and_markup_names_are_text_on_the_page_and_encoded_in_the_header(
        app, world):
    owner = signed_in(app, world.owner)
    # A right-to-left override would show "…fdp.png" for a PDF: it is dropped.
    name = ("Fractions ½ – 分数 \u202egnp.Ünïcødé " * 20
            + '<img src=x onerror="alert(1)">.pdf')
    files = f"/lessons/{world.lesson_id}/files"
    assert post_file(owner, files, name, minimal_pdf()).status_code == 303
    page = text(owner.get(files))
    assert "<img src=x" not in page and "onerror=\"alert" not in page
    with app.app_context():
        [version] = db.session.scalars(select(AttachmentVersion))
        shown, version_id = version.display_name, version.id
    assert shown.endswith(".pdf") and len(shown) <= 255 and "\n" not in shown
    assert "\u202e" not in shown and "\u202e" not in page
    assert "Fractions ½ – 分数 gnp.Ünïcødé" in shown
    served = owner.get(f"/files/{version_id}/anything")
    assert_safe(served)
    header = served.headers["Content-Disposition"]
    header.encode("ascii")  # the header itself is plain ASCII ...
    assert header.startswith("attachment;") and "\r" not in header and "\n" not in header
    # ... and says the name exactly as the page shows it.
    encoded = re.search(r"filename\*=UTF-8''(\S+)", header)
    assert encoded is not None and unquote(encoded.group(1)) == shown
    assert served.data == minimal_pdf()


def png_with_text(words: str) -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", words)
    out = io.BytesIO()
    Image.new("RGB", (10, 10), (9, 99, 199)).save(out, format="PNG", pnginfo=info)
    return out.getvalue()


def test_words_hidden_in_a_png_are_not_served(app, world):
    secret = "Pupil: Amy Example, Oakfield Primary, 51.5N"
    data = png_with_text(secret)
    assert secret.encode() in data
    owner = signed_in(app, world.owner)
    as_picture = add_picture(app, world.owner, "lesson", world.lesson_id, data)
    assert post_file(owner, f"/lessons/{world.lesson_id}/files", "board.png",
                     data).status_code == 303
    with app.app_context():
        as_file = max(db.session.scalars(select(AttachmentVersion.id)))
    for url in (as_picture, f"/files/{as_file}/board.png"):
        served = owner.get(url)
        assert_safe(served)
        assert served.mimetype == "image/png"
        assert b"Amy Example" not in served.data and b"Oakfield" not in served.data
        with Image.open(io.BytesIO(served.data)) as clean:
            assert clean.size == (10, 10) and "Comment" not in clean.info


HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
MACROS = zip_of({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w/>",
                 "word/vbaProject.bin": b"\x00"})
JS_PDF = minimal_pdf("/OpenAction << /S /JavaScript /JS (app.alert(1)) >> ")

#: name, bytes, what the teacher is told (a part of it), and where it is refused: "both",
#: or "picture" (a file the Files page takes but that is no picture for the text).
REFUSED = [
    ("evil.png", HTML, "named like a picture", "both"),
    ("drawing.svg", SVG, "SVG drawings are not accepted", "both"),
    ("cat.gif", b"GIF89a<script>alert(1)</script>", "could not be read", "both"),
    ("plan.docm", MACROS, "macros", "both"),
    ("lesson plan.docx", bomb_docx(64), "harmful", "both"),
    ("worksheet.png", JS_PDF, "Only pictures", "picture"),
]


@pytest.mark.parametrize(("name", "data", "message", "where"), REFUSED,
                         ids=[item[0] for item in REFUSED])
def test_hostile_uploads_are_refused_with_a_reason_and_nothing_stored(
        app, world, name, data, message, where):
    owner = signed_in(app, world.owner)
    response = multipart(owner, f"/pictures/lesson/{world.lesson_id}",
                         picture_fields(data, name=name), headers=JSON)
    assert response.status_code == 400
    assert message in response.get_json()["fields"]["picture"]
    response = multipart(owner, f"/lessons/{world.lesson_id}/edit",
                         {**lesson_form(representations="Typed before"),
                          **picture_fields(data, name=name, picture_field="representations"),
                          "picture_add": "1"})
    # The editor again with the reason, everything typed kept and nothing added to it.
    assert response.status_code == 400
    assert message in text(response) and ">Typed before</textarea>" in text(response)
    assert "![Bar model" not in text(response)
    if where == "both":
        response = post_file(owner, f"/lessons/{world.lesson_id}/files", name, data)
        assert response.status_code == 400
        assert message in text(response)
    assert stored(app) == NOTHING


def test_a_pdf_with_javascript_is_only_ever_a_sandboxed_download(app, world):
    owner = signed_in(app, world.owner)
    assert post_file(owner, f"/lessons/{world.lesson_id}/files", "worksheet.png",
                     JS_PDF).status_code == 303
    with app.app_context():
        [version] = db.session.scalars(select(AttachmentVersion))
        version_id = version.id
    served = owner.get(f"/files/{version_id}/worksheet.pdf")
    assert_safe(served)
    assert served.mimetype == "application/pdf"
    assert served.headers["Content-Disposition"].startswith("attachment;")
    assert "worksheet.pdf" in served.headers["Content-Disposition"]


def test_a_26_mb_picture_is_refused_unread_and_nothing_stored(app, world):
    big = png() + b"\0" * (26 * 1024 * 1024)
    owner = signed_in(app, world.owner)
    response = multipart(owner, f"/pictures/lesson/{world.lesson_id}", picture_fields(big),
                         headers=JSON)
    assert response.status_code == 413
    response = multipart(owner, f"/lessons/{world.lesson_id}/edit",
                         {**lesson_form(), **picture_fields(big,
                                                            picture_field="representations"),
                          "picture_add": "1"})
    assert response.status_code == 413
    assert "over the size limit" in text(response)
    assert stored(app) == NOTHING


def lessons_and_revisions(app) -> tuple[int, int]:
    with app.app_context():
        return (len(db.session.scalars(select(Lesson.id)).all()),
                len(db.session.scalars(select(Revision.id)).all()))


# The limits are the reader process's, whatever the database: one backend is enough for ~8 s.
@pytest.mark.parametrize("backend", ["sqlite"])
def test_zip_bombs_dressed_as_a_word_plan_are_refused_at_import_within_limits(app, world):
    """"Import a lesson from Word": a bomb the upload check sees (a huge declared size) and
    one it lets through (200 MB of text that compresses only ~20:1, as a real long document
    might) are both refused with a reason, quickly, and leave no lesson, picture or blob."""
    owner = signed_in(app, world.owner)
    url = f"/sequences/{world.plan.id}/lessons/import"
    before = lessons_and_revisions(app)
    response = post_file(owner, url, "lesson plan.docx", bomb_docx(64))
    assert response.status_code == 400 and "harmful" in text(response)
    mild = mild_bomb_docx(200)
    assert len(mild) < 25 * 1024 * 1024
    started = time.monotonic()
    response = post_file(owner, url, "lesson plan.docx", mild)
    assert time.monotonic() - started < 25
    assert response.status_code == 400
    assert 'id="f-file-error"' in text(response) and "was not imported" in text(response)
    assert lessons_and_revisions(app) == before
    assert stored(app) == NOTHING


# --- forged posts -------------------------------------------------------------------------------


def test_uploads_with_a_missing_or_someone_elses_token_store_nothing(app, world):
    owner = signed_in(app, world.owner)
    # A token that is valid, but for another person's session (the attacker's own).
    foreign = signed_in(app, world.stranger).csrf_token()
    attacker = {"Origin": "https://attacker.example", "Referer": "https://attacker.example/"}
    uploads = [(f"/pictures/lesson/{world.lesson_id}", picture_fields(png())),
               (f"/lessons/{world.lesson_id}/files",
                {"file": FileStorage(io.BytesIO(minimal_pdf()), "slides.pdf")}),
               (f"/sessions/{world.session}/files",
                {"file": FileStorage(io.BytesIO(minimal_pdf()), "notes.pdf")})]
    for url, fields in uploads:
        for token in (None, foreign, "not-a-token"):
            sent = dict(fields) if token is None else {**fields, "csrf_token": token}
            # FileStorage streams are read once: give each post fresh ones.
            sent = {k: FileStorage(io.BytesIO(v.stream.getvalue()), v.filename)
                    if isinstance(v, FileStorage) else v for k, v in sent.items()}
            response = multipart(owner, url, sent, headers=attacker, csrf=False)
            assert response.status_code == 400, (url, token)
    assert stored(app) == NOTHING
    # The control: the same upload with her own token from her own page is stored.
    assert upload_json(owner, "lesson", world.lesson_id, png()).status_code == 201
    assert stored(app)["AttachmentVersion"] == 1


def test_a_polyglot_picture_is_served_as_pixels_only(app, world):
    polyglot = picture("GIF", comment=b"<script>alert(1)</script>") + b"<html><script>x()"
    src = add_picture(app, world.owner, "lesson", world.lesson_id, polyglot)
    served = signed_in(app, world.colleague).get(src)
    assert_safe(served)
    assert served.mimetype == "image/gif"
    assert b"<script" not in served.data and b"<html" not in served.data
