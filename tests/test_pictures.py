"""Pictures in Markdown text (issue 15, item 1): added from every kind of text, shown as
pictures on the page, fetched by exactly the text's readers, and refused when not a picture
or from someone who may not write the text."""

from __future__ import annotations

import io
import re
from types import SimpleNamespace

import pytest
from PIL import Image
from sqlalchemy import select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from app.accounts.models import User, WorkGroup
from app.extensions import db
from app.files import pictures
from app.files.models import Attachment
from tests.planning_helpers import lesson_form, make_plan, signed_in
from tests.test_attachments import jpeg_with_gps, pdf, png

PICTURE_RE = re.compile(r"!\[((?:\\.|[^\]\\])*)\]\((/files/(\d+)/[A-Za-z0-9._-]+)\)")


def multipart(client, url: str, fields: dict, *, headers: dict | None = None,
              csrf: bool = True):
    """A multipart POST built in memory (see tests/test_attachments.py post_file)."""
    fields = dict(fields)
    if csrf:
        fields.setdefault("csrf_token", client.csrf_token())
    boundary, body = encode_multipart(fields)
    return client.post(url, data=body, headers=headers or {}, csrf=False,
                       content_type=f"multipart/form-data; boundary={boundary}")


def picture_fields(data: bytes, alt: str = "Bar model of 3/4", name: str = "bar.png",
                   **extra: str) -> dict:
    return {"picture": FileStorage(io.BytesIO(data), name), "picture_alt": alt, **extra}


JSON = {"Accept": "application/json"}


def upload_json(client, context: str, context_id: int, data: bytes, alt: str = "Bar model"):
    return multipart(client, f"/pictures/{context}/{context_id}", picture_fields(data, alt),
                     headers=JSON)


def src_of(markdown: str) -> str:
    match = PICTURE_RE.fullmatch(markdown)
    assert match, markdown
    return match.group(2)


@pytest.fixture
def world(app, make_work_group, make_user) -> SimpleNamespace:
    """A Work Group's plan and its members; its named Lead (who comments but does not edit
    plans); a member of another Work Group in the hub; a stranger of another hub."""
    group = make_work_group()
    owner = make_user("Olu Owner", group=group)
    colleague = make_user("Cal Colleague", group=group, school_id=group.school_ids[1])
    lead = make_user("Lee Lead")
    with app.app_context():
        db.session.get(WorkGroup, group.id).lead_id = lead.id
        db.session.commit()
    neighbour = make_user("Nia Neighbour",
                          group=make_work_group("NCP 24-12", hub_id=group.hub_id))
    stranger = make_user("Sol Stranger", group=make_work_group("NCP 24-13"))
    plan = make_plan(app, owner, group)
    return SimpleNamespace(group=group, owner=owner, colleague=colleague, lead=lead,
                           neighbour=neighbour, stranger=stranger, plan=plan,
                           lesson_id=plan.lesson_ids[0])


def pictures_stored(app) -> list[tuple[str, int, str]]:
    with app.app_context():
        return [(a.target_kind, a.target_id, a.purpose)
                for a in db.session.scalars(select(Attachment).order_by(Attachment.id))]


# --- the lesson editor, without JavaScript -------------------------------------------------------


def test_add_picture_in_the_lesson_editor_keeps_everything_typed(app, world) -> None:
    client = signed_in(app, world.owner)
    form = lesson_form(title="Lesson 1 (typed)", representations="Typed but not saved",
                       summary="my note")
    response = multipart(client, f"/lessons/{world.lesson_id}/edit",
                         {**form, **picture_fields(png(), picture_field="representations"),
                          "picture_add": "1"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Lesson 1 (typed)" in page and "my note" in page
    textarea = re.search(r'<textarea id="f-representations"[^>]*>([^<]*)</textarea>', page)
    assert textarea is not None
    typed, _, added = textarea.group(1).partition("\n\n")
    assert typed == "Typed but not saved"
    alt, src, _ = PICTURE_RE.fullmatch(added.strip()).groups()  # type: ignore[union-attr]
    assert alt == "Bar model of 3/4"
    # Nothing was saved: the lesson is as it was until Save.
    assert "Typed but not saved" not in client.get(f"/lessons/{world.lesson_id}").get_data(
        as_text=True)
    assert pictures_stored(app) == [("lesson", world.lesson_id, "picture")]
    # Saved, the page shows it as a picture that links to the larger view.
    saved = client.post(f"/lessons/{world.lesson_id}/edit",
                        data=lesson_form(representations=textarea.group(1).replace("&#34;", '"')))
    assert saved.status_code == 302
    page = client.get(f"/lessons/{world.lesson_id}").get_data(as_text=True)
    assert f'<a href="{src}" class="picture-link"><img src="{src}" alt="Bar model of 3/4"' in page
    served = client.get(src)
    assert served.status_code == 200 and served.mimetype == "image/png"
    assert served.headers["Content-Security-Policy"] == "sandbox"
    assert served.headers["X-Content-Type-Options"] == "nosniff"


def test_a_document_is_refused_with_a_field_error_and_the_text_kept(app, world) -> None:
    client = signed_in(app, world.owner)
    form = lesson_form(representations="Keep me")
    response = multipart(client, f"/lessons/{world.lesson_id}/edit",
                         {**form, **picture_fields(pdf(), name="slides.pdf",
                                                   picture_field="representations"),
                          "picture_add": "1"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Only pictures (PNG, JPEG, GIF or WebP) can go into the text" in page
    assert 'id="f-picture-error"' in page
    assert ">Keep me</textarea>" in page
    assert pictures_stored(app) == []


def test_a_picture_needs_a_description(app, world) -> None:
    client = signed_in(app, world.owner)
    response = multipart(client, f"/lessons/{world.lesson_id}/edit",
                         {**lesson_form(representations="Keep me"),
                          **picture_fields(png(), alt="  ", picture_field="representations"),
                          "picture_add": "1"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'id="f-picture_alt-error"' in page and ">Keep me</textarea>" in page
    assert pictures_stored(app) == []


def test_a_picture_goes_only_into_a_field_of_this_form(app, world) -> None:
    client = signed_in(app, world.owner)
    response = multipart(client, f"/lessons/{world.lesson_id}/edit",
                         {**lesson_form(), **picture_fields(png(), picture_field="base_number"),
                          "picture_add": "1"})
    assert response.status_code == 400
    assert pictures_stored(app) == []


def test_sequence_editor_adds_to_the_overview(app, world) -> None:
    client = signed_in(app, world.owner)
    page = client.get(f"/sequences/{world.plan.id}/edit").get_data(as_text=True)
    assert 'name="picture_add"' in page and "faces and names do not belong" in page
    from tests.planning_helpers import sequence_data
    data = {k: v for k, v in sequence_data(world.group).items()
            if k not in ("work_group_id", "school_id", "visibility")}
    response = multipart(client, f"/sequences/{world.plan.id}/edit",
                         {**data, "base_number": "1", "summary": "",
                          **picture_fields(png(), picture_field="overview"),
                          "picture_add": "1"})
    assert response.status_code == 200
    assert re.search(r"Build \*\*4 times\*\* from doubling\.\n\n!\[Bar model of 3/4\]"
                     r"\(/files/\d+/bar\.png\)", response.get_data(as_text=True))
    assert pictures_stored(app) == [("sequence", world.plan.id, "picture")]


# --- the upload address (pictures.js) -------------------------------------------------------------


def test_upload_answers_markdown_and_readers_fetch_it(app, world) -> None:
    client = signed_in(app, world.owner)
    response = upload_json(client, "lesson", world.lesson_id, png(), "Part [whole] *model*")
    assert response.status_code == 201
    markdown = response.get_json()["markdown"]
    assert markdown.startswith(r"![Part \[whole\] \*model\*](")
    src = src_of(markdown)
    assert response.get_json()["url"] == src
    for reader in (world.owner, world.colleague, world.lead):
        assert signed_in(app, reader).get(src).status_code == 200
    for outsider in (world.neighbour, world.stranger):
        assert signed_in(app, outsider).get(src).status_code == 404
    # The description renders back exactly as typed.
    from app.core.markdown import render_markdown
    assert 'alt="Part [whole] *model*"' in render_markdown(markdown)


@pytest.mark.parametrize("name", ["-bar model.png", "-_.png", "--.png"])
def test_a_name_starting_with_a_dash_still_shows_as_a_picture(app, world, name) -> None:
    client = signed_in(app, world.owner)
    response = multipart(client, f"/pictures/lesson/{world.lesson_id}",
                         picture_fields(png(), "Part-whole model", name=name), headers=JSON)
    assert response.status_code == 201
    src = src_of(response.get_json()["markdown"])
    saved = client.post(f"/lessons/{world.lesson_id}/edit", data=lesson_form(
        representations=response.get_json()["markdown"]))
    assert saved.status_code == 302
    page = client.get(f"/lessons/{world.lesson_id}").get_data(as_text=True)
    assert f'<img src="{src}" alt="Part-whole model"' in page
    assert client.get(src).status_code == 200


def test_upload_without_javascript_shows_the_markdown_to_copy(app, world) -> None:
    client = signed_in(app, world.owner)
    response = multipart(client, f"/pictures/lesson/{world.lesson_id}", picture_fields(png()))
    assert response.status_code == 201
    page = response.get_data(as_text=True)
    assert "Copy this line into your text" in page and "![Bar model of 3/4](/files/" in page


def test_others_cannot_upload(app, world) -> None:
    for outsider in (world.neighbour, world.stranger):
        response = upload_json(signed_in(app, outsider), "lesson", world.lesson_id, png())
        assert response.status_code == 404
    assert upload_json(signed_in(app, world.owner), "nothing", world.lesson_id,
                       png()).status_code == 404
    assert pictures_stored(app) == []


def test_a_commenter_who_cannot_edit_adds_pictures_to_comments_only(app, world) -> None:
    client = signed_in(app, world.lead)
    assert upload_json(client, "lesson", world.lesson_id, png()).status_code == 403
    response = multipart(client, f"/lessons/{world.lesson_id}/edit",
                         {**lesson_form(), **picture_fields(png(), picture_field="representations"),
                          "picture_add": "1"})
    assert response.status_code == 403
    assert pictures_stored(app) == []
    # Their comment takes one, without JavaScript: the comment form comes back with it.
    response = multipart(client, f"/comments/lesson/{world.lesson_id}",
                         {"body": "See the board photo", **picture_fields(png()),
                          "picture_add": "1"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    body = re.search(r'<textarea id="f-body"[^>]*>([^<]*)</textarea>', page)
    assert body is not None and body.group(1).startswith("See the board photo\n\n![Bar model")
    assert pictures_stored(app) == [("lesson", world.lesson_id, "picture")]
    posted = client.post(f"/comments/lesson/{world.lesson_id}", data={"body": body.group(1)})
    assert posted.status_code == 303
    lesson_page = signed_in(app, world.colleague).get(f"/lessons/{world.lesson_id}")
    assert 'class="picture"' in lesson_page.get_data(as_text=True)
    src = src_of(PICTURE_RE.search(body.group(1)).group(0))  # type: ignore[union-attr]
    assert signed_in(app, world.colleague).get(src).status_code == 200
    assert signed_in(app, world.neighbour).get(src).status_code == 404


def test_gps_is_removed_from_the_served_photo(app, world) -> None:
    client = signed_in(app, world.owner)
    response = multipart(client, f"/pictures/lesson/{world.lesson_id}",
                         picture_fields(jpeg_with_gps(), "Photo of the board", "board.jpg"),
                         headers=JSON)
    assert response.status_code == 201
    served = client.get(src_of(response.get_json()["markdown"]))
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    image = Image.open(io.BytesIO(served.data))
    assert not image.getexif() and "exif" not in image.info
    assert b"Ms Example" not in served.data


def test_json_errors_name_the_field(app, world) -> None:
    client = signed_in(app, world.owner)
    response = multipart(client, f"/pictures/lesson/{world.lesson_id}",
                         picture_fields(b"<html><script>alert(1)</script></html>",
                                        name="evil.png"), headers=JSON)
    assert response.status_code == 400
    assert set(response.get_json()["fields"]) == {"picture"}
    response = multipart(client, f"/pictures/lesson/{world.lesson_id}",
                         {"picture_alt": "x"}, headers=JSON)
    assert response.status_code == 400 and "picture" in response.get_json()["fields"]
    assert pictures_stored(app) == []


def test_upload_without_csrf_is_refused(app, world) -> None:
    client = signed_in(app, world.owner)
    response = multipart(client, f"/pictures/lesson/{world.lesson_id}", picture_fields(png()),
                         csrf=False)
    assert response.status_code == 400
    response = multipart(client, f"/lessons/{world.lesson_id}/edit",
                         {**lesson_form(), **picture_fields(png(), picture_field="representations"),
                          "picture_add": "1"}, csrf=False)
    assert response.status_code == 400
    assert pictures_stored(app) == []


def test_a_big_picture_body_is_only_read_for_those_who_may_add(app, world) -> None:
    app.config["FILES_MAX_BYTES"] = 3 * 1024 * 1024
    big = png() + b"\0" * (2_500_000)  # over the app's usual 2 MB body, under the file limit
    owner = multipart(signed_in(app, world.owner), f"/pictures/lesson/{world.lesson_id}",
                      picture_fields(big), headers=JSON)
    # Read (and judged: padding after the PNG is re-encoded away), not refused unread.
    assert owner.status_code == 201
    for outsider in (world.neighbour, world.lead):
        response = multipart(signed_in(app, outsider), f"/pictures/lesson/{world.lesson_id}",
                             picture_fields(big), headers=JSON)
        assert response.status_code == 413
    assert len(pictures_stored(app)) == 1


# --- the other contexts ---------------------------------------------------------------------------


def test_each_context_stores_on_the_thing_its_readers_read(app, world) -> None:
    client = signed_in(app, world.owner)
    for context, context_id, kind in [("lesson", world.lesson_id, "lesson"),
                                      ("sequence", world.plan.id, "sequence"),
                                      ("lesson-comment", world.lesson_id, "lesson"),
                                      ("sequence-comment", world.plan.id, "sequence"),
                                      ("board", world.group.id, "board")]:
        response = upload_json(client, context, context_id, png())
        assert response.status_code == 201, context
        src = src_of(response.get_json()["markdown"])
        assert signed_in(app, world.colleague).get(src).status_code == 200, context
        assert signed_in(app, world.stranger).get(src).status_code == 404, context
        assert pictures_stored(app)[-1][0] == kind
    assert [kind for kind, _id, _purpose in pictures_stored(app)] == [
        "lesson", "sequence", "lesson", "sequence", "board"]
    assert upload_json(signed_in(app, world.stranger), "board", world.group.id,
                       png()).status_code == 404


def test_add_picture_service_signature(app, world) -> None:
    """The .docx import calls add_picture(user, "sequence", id, filename, data, alt)."""
    with app.test_request_context():
        user = db.session.get(User, world.owner.id)
        version = pictures.add_picture(user, "sequence", world.plan.id, "figure.png", png(),
                                       "Figure 1")
        assert version.kind == "image" and version.attachment.purpose == "picture"
        assert pictures.picture_markdown(version, "Figure 1") == \
            f"![Figure 1](/files/{version.id}/figure.png)"


def _textarea(page: str, name: str) -> str:
    found = re.search(rf'<textarea id="f-{name}"[^>]*>([^<]*)</textarea>', page)
    assert found is not None, name
    return found.group(1)


def test_board_thread_without_javascript_keeps_the_title_and_message(app, world) -> None:
    client = signed_in(app, world.colleague)
    url = f"/work-groups/{world.group.id}/board"
    assert 'name="picture_add"' in client.get(url).get_data(as_text=True)
    response = multipart(client, url, {"title": "Fraction walls", "category": "question",
                                       "body": "Which wall?", **picture_fields(png()),
                                       "picture_add": "1"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'value="Fraction walls"' in page
    body = _textarea(page, "body")
    assert body.startswith("Which wall?\n\n![Bar model of 3/4](/files/")
    assert pictures_stored(app) == [("board", world.group.id, "picture")]
    src = src_of(PICTURE_RE.search(body).group(0))  # type: ignore[union-attr]
    assert signed_in(app, world.owner).get(src).status_code == 200
    assert signed_in(app, world.neighbour).get(src).status_code == 404
    # A stranger's post is refused before anything is stored.
    response = multipart(signed_in(app, world.stranger), url,
                         {"title": "x", "category": "question", "body": "x",
                          **picture_fields(png()), "picture_add": "1"})
    assert response.status_code == 404
    assert len(pictures_stored(app)) == 1


def test_session_notes_without_javascript(app, world) -> None:
    from tests.workgroup_sessions_helpers import make_session

    session_id = make_session(app, world.lead, world.group)
    client = signed_in(app, world.owner)
    url = f"/sessions/{session_id}/notes"
    assert 'name="picture_add"' in client.get(url).get_data(as_text=True)
    response = multipart(client, url, {"agenda": "1. Start", "notes": "We agreed", "summary": "",
                                       "base_number": "1",
                                       **picture_fields(png(), picture_field="notes"),
                                       "picture_add": "1"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert _textarea(page, "agenda") == "1. Start"
    assert _textarea(page, "notes").startswith("We agreed\n\n![Bar model of 3/4](/files/")
    assert pictures_stored(app) == [("session", session_id, "picture")]
    src = src_of(PICTURE_RE.search(_textarea(page, "notes")).group(0))  # type: ignore[union-attr]
    assert signed_in(app, world.colleague).get(src).status_code == 200
    assert signed_in(app, world.stranger).get(src).status_code == 404
    assert upload_json(signed_in(app, world.stranger), "session", session_id,
                       png()).status_code == 404


def test_observation_pictures_are_no_wider_than_the_notes(app, world) -> None:
    """A research lesson kept to the teacher's school: the colleague from the other school
    reads the lesson but not the notes, and so not their pictures either."""
    from tests.observations_helpers import make_research_lesson

    rl_id = make_research_lesson(app, world.owner, world.lesson_id, visibility="school")
    client = signed_in(app, world.owner)
    url = f"/research-lessons/{rl_id}/discussion"
    assert 'name="picture_add"' in client.get(url).get_data(as_text=True)
    response = multipart(client, url, {"teacher_reflection": "It went well",
                                       "discussion_points": "- arrays", "pupil_interview": "",
                                       **picture_fields(png(), picture_field="discussion_points"),
                                       "picture_add": "1"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert _textarea(page, "teacher_reflection") == "It went well"
    points = _textarea(page, "discussion_points")
    assert points.startswith("- arrays\n\n![Bar model of 3/4](/files/")
    assert pictures_stored(app) == [("research_lesson", rl_id, "picture")]
    src = src_of(PICTURE_RE.search(points).group(0))  # type: ignore[union-attr]
    assert client.get(src).status_code == 200
    assert signed_in(app, world.colleague).get(f"/lessons/{world.lesson_id}").status_code == 200
    assert signed_in(app, world.colleague).get(src).status_code == 404
    assert upload_json(signed_in(app, world.colleague), "observation", rl_id,
                       png()).status_code == 404


def test_the_work_groups_quota_counts_pictures(app, world) -> None:
    app.config["FILES_GROUP_QUOTA_BYTES"] = 10
    client = signed_in(app, world.owner)
    response = upload_json(client, "lesson", world.lesson_id, png())
    assert response.status_code == 400
    assert "does not fit" in response.get_json()["fields"]["picture"]
    response = multipart(client, f"/lessons/{world.lesson_id}/edit",
                         {**lesson_form(representations="Keep me"),
                          **picture_fields(png(), picture_field="representations"),
                          "picture_add": "1"})
    assert response.status_code == 400
    assert "does not fit" in response.get_data(as_text=True)
    assert pictures_stored(app) == []


def test_each_person_may_add_only_so_many_pictures_a_minute(app, world) -> None:
    app.config["UPLOAD_LIMIT"] = "2 per minute"
    client = signed_in(app, world.owner)
    assert [upload_json(client, "lesson", world.lesson_id, png()).status_code
            for _ in range(3)] == [201, 201, 429]

    def add_in_editor():
        return multipart(client, f"/lessons/{world.lesson_id}/edit",
                         {**lesson_form(representations="Keep me"),
                          **picture_fields(png(), picture_field="representations"),
                          "picture_add": "1"})

    # The editors' "Add picture" counts in the same allowance: it is used up already.
    refused = add_in_editor()
    assert refused.status_code == 400
    assert "a lot of files in a short time" in refused.get_data(as_text=True)
    assert ">Keep me</textarea>" in refused.get_data(as_text=True)
    assert len(pictures_stored(app)) == 2
    # Another person is not held up by her uploads.
    assert upload_json(signed_in(app, world.colleague), "lesson", world.lesson_id,
                       png()).status_code == 201


def test_a_reader_who_may_not_comment_adds_no_picture(app, world) -> None:
    """A plan shared with the hub: the neighbour reads it (and its pictures) but neither edits
    it nor joins its comments, so adds no picture to either."""
    shared = make_plan(app, world.owner, world.group, visibility="hub")
    neighbour = signed_in(app, world.neighbour)
    assert neighbour.get(f"/lessons/{shared.lesson_ids[0]}").status_code == 200
    for context in ("lesson", "lesson-comment"):
        assert upload_json(neighbour, context, shared.lesson_ids[0], png()).status_code == 403
    assert upload_json(neighbour, "sequence-comment", shared.id, png()).status_code == 403
    assert pictures_stored(app) == []
    src = src_of(upload_json(signed_in(app, world.owner), "lesson-comment",
                             shared.lesson_ids[0], png()).get_json()["markdown"])
    assert neighbour.get(src).status_code == 200


def test_who_may_add_is_decided_before_the_picture_form_is_judged(app, world) -> None:
    """Without JavaScript, a reader who may not comment is refused (403) even when the picture
    form is incomplete: never a form page that offers to add one."""
    shared = make_plan(app, world.owner, world.group, visibility="hub")
    neighbour = signed_in(app, world.neighbour)
    response = multipart(neighbour, f"/comments/lesson/{shared.lesson_ids[0]}",
                         {"body": "Typed", "picture_alt": "", "picture_add": "1"})
    assert response.status_code == 403
    assert pictures_stored(app) == []


def test_editing_a_comment_adds_a_picture_without_javascript(app, world) -> None:
    client = signed_in(app, world.owner)
    client.post(f"/comments/lesson/{world.lesson_id}", data={"body": "First thoughts"})
    with app.app_context():
        from app.comments.models import Comment
        comment_id = db.session.scalars(select(Comment.id)).one()
    url = f"/comments/{comment_id}/edit"
    assert 'name="picture_add"' in client.get(url).get_data(as_text=True)
    response = multipart(client, url, {"body": "Second thoughts", **picture_fields(png()),
                                       "picture_add": "1"})
    assert response.status_code == 200
    assert _textarea(response.get_data(as_text=True), "body").startswith(
        "Second thoughts\n\n![Bar model of 3/4](/files/")
    assert pictures_stored(app) == [("lesson", world.lesson_id, "picture")]
    # Not the author: the edit page is refused before any picture is taken.
    response = multipart(signed_in(app, world.colleague), url,
                         {"body": "x", **picture_fields(png()), "picture_add": "1"})
    assert response.status_code == 403
    assert len(pictures_stored(app)) == 1


# --- taking a picture down ---------------------------------------------------------------------


def test_a_picture_can_be_taken_down_by_whoever_added_it_or_an_editor(app, world) -> None:
    owner, lead = signed_in(app, world.owner), signed_in(app, world.lead)
    lesson = world.lesson_id
    mine = upload_json(owner, "lesson", lesson, png((10, 200, 10)), "Part-whole model")
    theirs = upload_json(lead, "lesson-comment", lesson, png((10, 10, 200)), "Pupil work")
    assert mine.status_code == theirs.status_code == 201
    mine_src, theirs_src = src_of(mine.json["markdown"]), src_of(theirs.json["markdown"])
    with app.app_context():
        mine_id, theirs_id = db.session.scalars(
            select(Attachment.id).where(Attachment.purpose == "picture")
            .order_by(Attachment.id)).all()
    # Reachable from the lesson's Files page; lists both, with who added them.
    assert f'href="/pictures/lesson/{lesson}"' in owner.get(
        f"/lessons/{lesson}/files").get_data(as_text=True)
    page = lead.get(f"/pictures/lesson-comment/{lesson}").get_data(as_text=True)
    assert "Olu Owner" in page and "Lee Lead" in page
    # The Lead (who comments, not edits) takes down her own picture, not the owner's.
    base = f"/pictures/lesson-comment/{lesson}"
    assert lead.post(f"{base}/{mine_id}/remove").status_code == 403
    assert lead.get(mine_src).status_code == 200
    assert lead.post(f"{base}/{theirs_id}/remove").status_code == 303
    # An editor takes down anyone's; readers who may not put it back no longer get it.
    assert owner.post(f"/pictures/lesson/{lesson}/{mine_id}/remove").status_code == 303
    assert lead.get(mine_src).status_code == 404
    assert "Put back" in owner.get(f"/pictures/lesson/{lesson}").get_data(as_text=True)
    assert owner.post(f"/pictures/lesson/{lesson}/{mine_id}/restore").status_code == 303
    assert lead.get(mine_src).status_code == 200
    # Someone who cannot read the lesson learns nothing, and changes nothing.
    neighbour = signed_in(app, world.neighbour)
    assert neighbour.get(f"/pictures/lesson/{lesson}").status_code == 404
    assert neighbour.post(f"/pictures/lesson/{lesson}/{theirs_id}/restore").status_code == 404
    # A picture is changed only through its own thing's page.
    other = make_plan(app, world.owner, world.group).lesson_ids[0]
    assert owner.post(f"/pictures/lesson/{other}/{theirs_id}/restore").status_code == 404
    assert owner.get(theirs_src).status_code == 200  # an editor still sees what was taken down
    with app.app_context():
        assert db.session.get(Attachment, theirs_id).removed_at is not None


def test_every_kind_of_thing_has_a_pictures_page_with_a_way_back(app, world) -> None:
    from tests.observations_helpers import make_research_lesson
    from tests.workgroup_sessions_helpers import make_session

    lead = world.lead
    session_id = make_session(app, lead, world.group)
    rl_id = make_research_lesson(app, world.owner, world.lesson_id)
    client = signed_in(app, world.owner)
    for context, context_id, back in (
            ("lesson", world.lesson_id, f"/lessons/{world.lesson_id}"),
            ("sequence-comment", world.plan.id, f"/sequences/{world.plan.id}"),
            ("board", world.group.id, f"/work-groups/{world.group.id}/board"),
            ("session", session_id, f"/sessions/{session_id}"),
            ("observation", rl_id, f"/research-lessons/{rl_id}")):
        assert upload_json(client, context, context_id, png()).status_code == 201, context
        page = client.get(f"/pictures/{context}/{context_id}")
        assert page.status_code == 200, context
        text = page.get_data(as_text=True)
        assert f'href="{back}"' in text and "Take down" in text, context
        assert signed_in(app, world.stranger).get(
            f"/pictures/{context}/{context_id}").status_code == 404
    assert client.get("/pictures/nonsense/1").status_code == 404
    # Where pictures are added, the way to their page (research lessons have no Files page).
    assert f'href="/pictures/observation/{rl_id}"' in client.get(
        f"/research-lessons/{rl_id}/discussion").get_data(as_text=True)
