"""Files attached to a sequence, a board thread and a Work Group session (issue 15, item 2):
the lesson's Files page, upload, versions, remove/restore and download for each, and who may
see and change them (readers of the thing read its files, others get 404 everywhere)."""

from __future__ import annotations

import io
from dataclasses import dataclass
from types import SimpleNamespace

import pytest
from sqlalchemy import update

from app.accounts.models import Membership
from app.comments import services as comments
from app.extensions import db
from app.files import attachments
from app.files.models import Attachment
from app.workgroups import board
from tests.planning_helpers import make_plan, signed_in
from tests.test_attachments import (
    NOTHING,
    assert_safe,
    download,
    pdf,
    post_file,
    stored,
    versions,
)
from tests.workgroup_sessions_helpers import freeze_today, make_session, user

KINDS = ("sequence", "board_thread", "session")


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    freeze_today(monkeypatch)


def make_thread(app, author: SimpleNamespace, group: SimpleNamespace,
                title: str = "Fraction walls: which layout?") -> int:
    with app.app_context():
        thread = board.create_thread(user(author), group.id, title, "question",
                                     "Which layout do your classes use?")
        db.session.commit()
        return thread.comment_id


@dataclass
class Place:
    """One thing files are attached to, as its Files page addresses it."""

    kind: str
    #: The thing's own page (it links its Files page).
    page: str
    #: The Files page.
    files: str
    #: Another thing of the same kind that the same people may change.
    other_files: str
    target_id: int

    def item(self, attachment_id: int, action: str) -> str:
        return f"{self.files}/{attachment_id}/{action}"


@pytest.fixture
def world(app, tmp_path, make_work_group, make_user) -> SimpleNamespace:
    """A Work Group with its Lead, a plan's author and another member; a teacher of another
    Work Group of the same hub, and one of another hub; a sequence, a board thread and a
    session of the group (two of each, for addresses that mix them up)."""
    app.config["FILES_DIR"] = str(tmp_path / "files")
    group = make_work_group()
    lead = make_user("Lee Lead", group=group, roles=("work_group_lead",))
    owner = make_user("Olu Owner", group=group)
    member = make_user("Mo Member", group=group, school_id=group.school_ids[1])
    neighbour_group = make_work_group("NCP 24-12", hub_id=group.hub_id)
    neighbour = make_user("Nia Neighbour", group=neighbour_group)
    stranger = make_user("Sol Stranger", group=make_work_group("NCP 24-13"))
    plan, other_plan = make_plan(app, owner, group), make_plan(app, owner, group)
    thread, other_thread = make_thread(app, owner, group), make_thread(app, owner, group, "2")
    session = make_session(app, lead, group)
    other_session = make_session(app, lead, group, number="4", date="2025-03-06")
    wg = group.id
    places = {
        "sequence": Place("sequence", f"/sequences/{plan.id}", f"/sequences/{plan.id}/files",
                          f"/sequences/{other_plan.id}/files", plan.id),
        "board_thread": Place("board_thread", f"/work-groups/{wg}/board/{thread}",
                              f"/work-groups/{wg}/board/{thread}/files",
                              f"/work-groups/{wg}/board/{other_thread}/files", thread),
        "session": Place("session", f"/sessions/{session}", f"/sessions/{session}/files",
                         f"/sessions/{other_session}/files", session),
    }
    return SimpleNamespace(group=group, neighbour_group=neighbour_group, lead=lead,
                           owner=owner, member=member, neighbour=neighbour, stranger=stranger,
                           plan=plan, lesson_id=plan.lesson_ids[0], places=places)


@pytest.fixture(params=KINDS)
def place(request, world) -> Place:
    return world.places[request.param]


def editor_of(world, place: Place) -> SimpleNamespace:
    """Someone who may add files there: the plan's author, the thread's, a member (notes)."""
    return world.member if place.kind == "session" else world.owner


def upload(client, place: Place, name: str, data: bytes):
    return post_file(client, place.files, name, data)


def replace(client, place: Place, attachment_id: int, name: str, data: bytes):
    return post_file(client, place.item(attachment_id, "replace"), name, data)


def text(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def test_upload_list_replace_and_download(app, world, place):
    editor = signed_in(app, editor_of(world, place))
    thing = text(editor.get(place.page))
    label = "Files" if place.kind == "sequence" else "Files (0)"
    assert f'href="{place.files}">{label}</a>' in thing

    page = text(editor.get(place.files))
    assert 'enctype="multipart/form-data"' in page and 'type="file"' in page
    assert "faces and names do not belong in Coplan" in page
    assert "has no files yet" in page and 'aria-label="Breadcrumb"' in page

    first = pdf(b"% one\n", size=3000)
    response = upload(editor, place, "Fraction wall.pdf", first)
    assert response.status_code == 303 and response.headers["Location"] == place.files
    [v1] = versions(app)
    page = text(editor.get(place.files))
    assert "Fraction wall.pdf" in page and "PDF" in page and "3 KB" in page
    assert editor_of(world, place).display_name in page
    assert f'href="/files/{v1.id}/Fraction_wall.pdf"' in page
    if place.kind != "sequence":
        assert f'href="{place.files}">Files (1)</a>' in text(editor.get(place.page))

    second = pdf(b"% two\n")
    response = replace(editor, place, v1.attachment_id, "Fraction wall v2.pdf", second)
    assert response.status_code == 303
    v1, v2 = versions(app)
    assert (v2.attachment_id, v2.number) == (v1.attachment_id, 2)
    page = text(editor.get(place.files))
    assert "Fraction wall v2.pdf" in page and "version 2" in page
    assert "Earlier versions (1)" in page and f"/files/{v1.id}/Fraction_wall.pdf" in page
    for version, data in ((v1, first), (v2, second)):
        served = download(editor, version.id)
        assert_safe(served)
        assert served.data == data
        assert served.headers["Content-Disposition"].startswith("attachment;")
    # Another reader of the thing (the Lead) downloads it too.
    assert_safe(download(signed_in(app, world.lead), v2.id))
    with app.app_context():
        attachment = db.session.get(Attachment, v1.attachment_id)
        assert (attachment.target_kind, attachment.target_id) == (place.kind, place.target_id)
        assert attachment.work_group_id == world.group.id


def test_remove_then_restore(app, world, place):
    editor = signed_in(app, editor_of(world, place))
    upload(editor, place, "worksheet.pdf", pdf())
    [version] = versions(app)
    assert editor.post(place.item(version.attachment_id, "remove")).status_code == 303
    page = text(editor.get(place.files))
    assert "Removed files" in page and "Restore" in page
    assert download(editor, version.id).status_code == 200  # nothing deleted
    if place.kind != "sequence":
        assert "Files (0)" in text(editor.get(place.page))
    refused = replace(editor, place, version.attachment_id, "worksheet.pdf", pdf(b"2"))
    assert refused.status_code == 400 and "Restore it first" in refused.get_data(as_text=True)

    assert editor.post(place.item(version.attachment_id, "restore")).status_code == 303
    page = text(signed_in(app, world.lead).get(place.files))
    assert "worksheet.pdf" in page and "Removed files" not in page


def test_people_who_cannot_see_the_thing_get_404_everywhere(app, world, place):
    editor = signed_in(app, editor_of(world, place))
    upload(editor, place, "slides.pdf", pdf())
    [version] = versions(app)
    before = stored(app)
    for person in (world.neighbour, world.stranger):
        other = signed_in(app, person)
        assert other.get(place.page).status_code == 404
        assert other.get(place.files).status_code == 404
        assert download(other, version.id, "slides.pdf").status_code == 404
        assert upload(other, place, "mine.pdf", pdf(b"x")).status_code == 404
        assert replace(other, place, version.attachment_id, "mine.pdf",
                       pdf(b"y")).status_code == 404
        for action in ("remove", "restore"):
            assert other.post(place.item(version.attachment_id, action)).status_code == 404
    assert stored(app) == before
    with app.app_context():
        assert db.session.get(Attachment, version.attachment_id).removed_at is None


def test_a_file_can_only_be_changed_through_its_own_page(app, world, place):
    editor = signed_in(app, editor_of(world, place))
    upload(editor, place, "slides.pdf", pdf())
    [version] = versions(app)
    # A lesson's file through this thing's address, and this thing's through another's.
    lesson_file = attachments_add_to_lesson(app, world)
    for files, attachment_id in ((place.other_files, version.attachment_id),
                                 (place.files, lesson_file)):
        wrong = f"{files}/{attachment_id}"
        assert post_file(editor, f"{wrong}/replace", "new.pdf", pdf(b"new")).status_code == 404
        assert editor.post(f"{wrong}/remove").status_code == 404
    assert len(versions(app)) == 2
    with app.app_context():
        assert db.session.get(Attachment, version.attachment_id).removed_at is None
    editor.post(place.item(version.attachment_id, "remove"))
    assert editor.post(f"{place.other_files}/{version.attachment_id}/restore").status_code == 404
    with app.app_context():
        assert db.session.get(Attachment, version.attachment_id).removed_at is not None
    # Its page lists only its own files.
    assert f"/files/{version.id}/" not in text(editor.get(place.other_files))


def attachments_add_to_lesson(app, world) -> int:
    with app.app_context():
        made = attachments.add(user(world.owner), world.lesson_id, "lesson.pdf", pdf(b"l"))
        db.session.commit()
        return made.id


def test_a_board_thread_is_only_reached_through_its_own_work_group(app, world, make_user):
    place = world.places["board_thread"]
    owner = signed_in(app, world.owner)
    upload(owner, place, "slides.pdf", pdf())
    [version] = versions(app)
    # The thread's address with another group's id in front: as if it were not there, even
    # for someone on both boards.
    both = make_user("Bo Both", group=world.neighbour_group)
    with app.app_context():
        db.session.add(Membership(user_id=both.id, work_group_id=world.group.id,
                                  school_id=world.group.school_ids[0]))
        db.session.commit()
    wrong = place.files.replace(f"/work-groups/{world.group.id}/",
                                f"/work-groups/{world.neighbour_group.id}/")
    for person in (world.owner, both):
        client = signed_in(app, person)
        assert client.get(place.files).status_code == 200
        assert client.get(wrong).status_code == 404
        assert post_file(client, wrong, "mine.pdf", pdf(b"m")).status_code == 404
        assert post_file(client, f"{wrong}/{version.attachment_id}/replace", "mine.pdf",
                         pdf(b"n")).status_code == 404
        assert client.post(f"{wrong}/{version.attachment_id}/remove").status_code == 404
    assert len(versions(app)) == 1


def test_a_sequence_reader_who_may_not_edit_cannot_change_its_files(app, world):
    place = world.places["sequence"]
    owner = signed_in(app, world.owner)
    owner.post(f"/sequences/{world.plan.id}/settings", data={"visibility": "hub",
                                                            "status": "draft"})
    upload(owner, place, "slides.pdf", pdf())
    [version] = versions(app)
    reader = signed_in(app, world.neighbour)
    page = text(reader.get(place.files))
    assert "slides.pdf" in page and 'type="file"' not in page and "Remove" not in page
    assert_safe(download(reader, version.id))
    assert upload(reader, place, "mine.pdf", pdf(b"x")).status_code == 403
    assert reader.post(place.files, data={}).status_code == 403
    assert replace(reader, place, version.attachment_id, "mine.pdf", pdf(b"y")).status_code \
        == 403
    for action in ("remove", "restore"):
        assert reader.post(place.item(version.attachment_id, action)).status_code == 403
    assert len(versions(app)) == 1
    # Removed, it is gone for that reader.
    owner.post(place.item(version.attachment_id, "remove"))
    assert download(reader, version.id).status_code == 404
    assert "slides.pdf" not in text(reader.get(place.files))


def test_on_a_board_thread_a_file_is_changed_by_its_adder_the_author_or_the_lead(app, world):
    place = world.places["board_thread"]
    owner, member = signed_in(app, world.owner), signed_in(app, world.member)
    # Any member may add a file to the conversation, as they may reply.
    assert upload(owner, place, "owner.pdf", pdf(b"o")).status_code == 303
    assert upload(member, place, "member.pdf", pdf(b"m")).status_code == 303
    mine, theirs = (v.attachment_id for v in versions(app))

    # Another member's file is not theirs to change.
    page = text(member.get(place.files))
    assert "owner.pdf" in page
    assert f'action="{place.item(theirs, "replace")}"' in page
    assert f'action="{place.item(mine, "replace")}"' not in page
    assert replace(member, place, mine, "x.pdf", pdf(b"x")).status_code == 403
    for action in ("remove", "restore"):
        assert member.post(place.item(mine, action)).status_code == 403

    # The thread's author may change a file added to their thread; the Lead any.
    assert owner.post(place.item(theirs, "remove")).status_code == 303
    assert owner.post(place.item(theirs, "restore")).status_code == 303
    lead = signed_in(app, world.lead)
    assert lead.post(place.item(mine, "remove")).status_code == 303
    # A removed file is listed and served only to those who may restore it.
    [v_mine] = [v for v in versions(app) if v.attachment_id == mine]
    assert f"/files/{v_mine.id}/" not in text(member.get(place.files))
    assert download(member, v_mine.id).status_code == 404
    assert download(owner, v_mine.id).status_code == 200
    assert "owner.pdf" in text(owner.get(place.files))
    assert member.post(place.item(mine, "restore")).status_code == 403
    assert owner.post(place.item(mine, "restore")).status_code == 303


def test_no_files_are_added_to_a_thread_whose_opening_post_was_removed(app, world):
    place = world.places["board_thread"]
    owner = signed_in(app, world.owner)
    upload(owner, place, "slides.pdf", pdf())
    [version] = versions(app)
    with app.app_context():
        comments.delete_comment(user(world.owner), place.target_id)
        db.session.commit()
    page = text(owner.get(place.files))
    assert "slides.pdf" in page and f'action="{place.files}"' not in page
    assert upload(owner, place, "more.pdf", pdf(b"more")).status_code == 403
    # The files already there stay the adder's to change.
    assert replace(owner, place, version.attachment_id, "v2.pdf", pdf(b"2")).status_code == 303


def test_forged_posts_are_refused(app, world, place):
    client = signed_in(app, editor_of(world, place))
    upload(client, place, "slides.pdf", pdf())
    [version] = versions(app)
    before = stored(app)
    posts = [place.files] + [place.item(version.attachment_id, action)
                             for action in ("replace", "remove", "restore")]
    for url in posts:
        response = client.post(url, data={"file": (io.BytesIO(pdf(b"forged")), "forged.pdf")},
                               content_type="multipart/form-data", csrf=False)
        assert response.status_code == 400, url
    assert stored(app) == before
    with app.app_context():
        assert db.session.get(Attachment, version.attachment_id).removed_at is None


def test_a_large_body_is_taken_only_from_someone_who_may_upload_there(app, world, place):
    data = pdf(size=3 * 1024 * 1024)
    assert len(data) > app.config["MAX_CONTENT_LENGTH"]
    editor = signed_in(app, editor_of(world, place))
    assert upload(editor, place, "small.pdf", pdf()).status_code == 303
    [version] = versions(app)
    before = stored(app)
    for person in (world.neighbour, world.stranger):
        other = signed_in(app, person)
        assert upload(other, place, "big.pdf", data).status_code == 413
        assert replace(other, place, version.attachment_id, "big.pdf", data).status_code == 413
    assert upload(app.test_client(), place, "big.pdf", data).status_code == 413
    assert stored(app) == before
    assert upload(editor, place, "big.pdf", data).status_code == 303
    assert replace(editor, place, version.attachment_id, "big v2.pdf", data).status_code == 303
    assert download(editor, versions(app)[-1].id).data == data


def test_files_count_against_the_things_work_group(app, world, place):
    app.config["FILES_GROUP_QUOTA_BYTES"] = 5000
    # The group's lesson files already take most of it.
    with app.app_context():
        attachments.add(user(world.owner), world.lesson_id, "lesson.pdf", pdf(size=3000))
        db.session.commit()
    editor = signed_in(app, editor_of(world, place))
    response = upload(editor, place, "slides.pdf", pdf(b"s", size=3000))
    assert response.status_code == 400
    assert "does not fit" in response.get_data(as_text=True)
    assert len(versions(app)) == 1
    assert upload(editor, place, "small.pdf", pdf(b"small")).status_code == 303
    with app.app_context():
        assert attachments.group_usage(world.group.id) == sum(v.size for v in versions(app))
        assert attachments.group_usage(world.neighbour_group.id) == 0


def test_pictures_in_text_are_not_on_the_files_page(app, world, place):
    editor = signed_in(app, editor_of(world, place))
    upload(editor, place, "diagram.pdf", pdf())
    [version] = versions(app)
    # Another feature's picture inside the thing's Markdown text.
    with app.app_context():
        db.session.execute(update(Attachment).where(Attachment.id == version.attachment_id)
                           .values(purpose="picture"))
        db.session.commit()
    page = text(editor.get(place.files))
    assert f"/files/{version.id}/" not in page and "has no files yet" in page
    assert replace(editor, place, version.attachment_id, "x.pdf", pdf(b"x")).status_code == 404
    assert editor.post(place.item(version.attachment_id, "remove")).status_code == 404
    assert download(editor, version.id).status_code == 200


def test_a_file_over_the_limit_is_refused_and_nothing_is_stored(app, world, place):
    app.config["FILES_MAX_BYTES"] = 50_000
    editor = signed_in(app, editor_of(world, place))
    response = upload(editor, place, "slides.pdf", pdf(size=50_001))
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert 'class="field-error"' in page and "the limit is" in page
    assert stored(app) == NOTHING
