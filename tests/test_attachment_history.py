"""Files in a plan's revision history (issue 15, item 3): revisions record the file versions a
plan had, history and compare show file changes, restoring a revision restores its files, an
approved version keeps its files, editor saves keep them, and "Adapt for my school" copies
files and pictures with provenance; nobody reaches a file through these pages who may not
read its plan."""

from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

import pytest
from sqlalchemy import delete, func, select

from app.accounts.models import User
from app.extensions import db
from app.files import history as file_history
from app.files import pictures
from app.files.models import Attachment, AttachmentVersion, FileBlob
from app.planning import adapt, duplicate
from app.planning.models import Lesson, Sequence
from app.reviews.models import Approval
from app.revisions.models import Document, Revision
from tests.planning_helpers import lesson_form, make_plan, signed_in
from tests.reviews_helpers import ask_review, decide, edit_sequence, review_id_from
from tests.test_attachments import pdf, png, post_file, replace, upload


@pytest.fixture
def team(app, tmp_path, make_hub, make_work_group, make_user) -> SimpleNamespace:
    """A hub-visible plan of a two-school Work Group, its author, a colleague and the subject
    leader of the owning school, a teacher of another Work Group in the same hub (who may
    read the plan and adapt it) and a teacher of another hub (who may not)."""
    app.config["FILES_DIR"] = str(tmp_path / "files")
    hub = make_hub()
    group = make_work_group(hub_id=hub.id)
    a = group.school_ids[0]
    owner = make_user("Olu Owner", group=group, school_id=a)
    colleague = make_user("Cal Colleague", group=group, school_id=group.school_ids[1])
    leader = make_user("Sal Leader", group=group, roles=("subject_leader",), school_id=a)
    neighbour_group = make_work_group("NCP 24-12", hub_id=hub.id)
    neighbour = make_user("Nia Neighbour", group=neighbour_group)
    stranger_group = make_work_group("NCP 24-13")
    stranger = make_user("Sol Stranger", group=stranger_group)
    plan = make_plan(app, owner, group, visibility="hub")
    return SimpleNamespace(group=group, school_a=a, owner=owner, colleague=colleague,
                           leader=leader, neighbour_group=neighbour_group, neighbour=neighbour,
                           stranger=stranger, stranger_group=stranger_group, plan=plan,
                           lesson_id=plan.lesson_ids[0])


def head(app, lesson_id: int) -> Revision:
    with app.app_context():
        lesson = db.session.get(Lesson, lesson_id)
        revision = db.session.scalar(select(Revision).where(
            Revision.document_id == lesson.document_id,
            Revision.number == lesson.document.head_number))
        db.session.expunge(revision)
        return revision


def version_id(app, attachment_id: int, number: int) -> int:
    with app.app_context():
        return db.session.scalar(select(AttachmentVersion.id).where(
            AttachmentVersion.attachment_id == attachment_id, AttachmentVersion.number == number))


def attachment_ids(app, lesson_id: int) -> list[int]:
    with app.app_context():
        return list(db.session.scalars(select(Attachment.id).where(
            Attachment.target_kind == "lesson", Attachment.target_id == lesson_id)
            .order_by(Attachment.id)))


def files_now(app, kind: str, target_id: int) -> list[dict]:
    with app.app_context():
        return file_history.files_field(kind, target_id)


def add_file(client, lesson_id: int, name: str, data: bytes) -> None:
    assert upload(client, lesson_id, name, data).status_code == 303


def text(response) -> str:
    return response.get_data(as_text=True)


SLIDES = [pdf(b"%slides one\n"), pdf(b"%slides two\n"), pdf(b"%slides three\n")]


def test_replacing_a_file_shows_in_history_and_compare_and_old_pages_serve_old_bytes(app, team):
    owner = signed_in(app, team.owner)
    lesson = team.lesson_id
    add_file(owner, lesson, "slides.pdf", SLIDES[0])
    [slides] = attachment_ids(app, lesson)
    assert replace(owner, lesson, slides, "slides.pdf", SLIDES[1]).status_code == 303
    at_v2 = head(app, lesson).number
    assert replace(owner, lesson, slides, "slides.pdf", SLIDES[2]).status_code == 303
    at_v3 = head(app, lesson)
    assert at_v3.number == at_v2 + 1
    assert at_v3.fields["files"] == [{"id": slides, "name": "slides.pdf", "version": 3}]

    page = text(owner.get(f"/lessons/{lesson}/history"))
    assert "Added slides.pdf" in page
    assert "Replaced slides.pdf (version 1 → 2)" in page
    assert "Replaced slides.pdf (version 2 → 3)" in page

    compare = text(owner.get(f"/lessons/{lesson}/compare?a={at_v2}&b={at_v3.number}"))
    assert "<bdi>slides.pdf</bdi> replaced (v2 → v3)" in compare
    assert "Files" in compare

    # Revision at v2 lists that exact version, and its link serves version 2's bytes to a
    # reader of the plan.
    old = text(owner.get(f"/lessons/{lesson}/revisions/{at_v2}"))
    v2 = version_id(app, slides, 2)
    assert "Files in this version" in old
    assert f'href="/files/{v2}/slides.pdf"' in old and "(version 2)" in old
    assert signed_in(app, team.colleague).get(f"/files/{v2}/slides.pdf").data == SLIDES[1]


def test_adding_and_removing_files_read_plainly_in_compare(app, team):
    owner = signed_in(app, team.owner)
    lesson = team.lesson_id
    before = head(app, lesson).number
    add_file(owner, lesson, "worksheet.pdf", pdf(b"%w\n"))
    [worksheet] = attachment_ids(app, lesson)
    assert owner.post(f"/lessons/{lesson}/files/{worksheet}/remove").status_code in (302, 303)
    removed = head(app, lesson)
    assert removed.summary == "Removed worksheet.pdf"
    assert removed.fields["files"] == []
    assert owner.post(f"/lessons/{lesson}/files/{worksheet}/restore").status_code in (302, 303)
    assert head(app, lesson).summary == "Restored worksheet.pdf"

    added = text(owner.get(f"/lessons/{lesson}/compare?a={before}&b={before + 1}"))
    assert "<ins><bdi>worksheet.pdf</bdi></ins> added" in added
    gone = text(owner.get(f"/lessons/{lesson}/compare?a={before + 1}&b={removed.number}"))
    assert "<del><bdi>worksheet.pdf</bdi></del> removed" in gone


def test_restoring_a_revision_restores_its_files(app, team):
    owner = signed_in(app, team.owner)
    lesson = team.lesson_id
    add_file(owner, lesson, "slides.pdf", SLIDES[0])
    add_file(owner, lesson, "worksheet.pdf", pdf(b"%worksheet\n"))
    slides, worksheet = attachment_ids(app, lesson)
    wanted = head(app, lesson)
    # Since then: slides replaced, worksheet removed, another file added.
    replace(owner, lesson, slides, "slides.pdf", SLIDES[1])
    owner.post(f"/lessons/{lesson}/files/{worksheet}/remove")
    add_file(owner, lesson, "extra.pdf", pdf(b"%extra\n"))
    extra = attachment_ids(app, lesson)[-1]
    newest = head(app, lesson)

    response = owner.post(f"/lessons/{lesson}/revisions/{wanted.number}/restore")
    assert response.status_code == 302
    restored = head(app, lesson)
    # One revision (the restore itself records the files): no revision per file put back.
    assert restored.number == newest.number + 1
    assert restored.restored_from == wanted.number
    assert restored.fields["files"] == wanted.fields["files"] == [
        {"id": slides, "name": "slides.pdf", "version": 1},
        {"id": worksheet, "name": "worksheet.pdf", "version": 1}]
    # The attachment rows agree with the revision.
    assert files_now(app, "lesson", lesson) == restored.fields["files"]
    with app.app_context():
        assert db.session.get(Attachment, extra).removed_at is not None
        assert db.session.get(Attachment, slides).current_number == 1
    # The Files page offers version 1 again, and it serves the old bytes.
    v1 = version_id(app, slides, 1)
    assert f'href="/files/{v1}/slides.pdf"' in text(owner.get(f"/lessons/{lesson}/files"))
    assert signed_in(app, team.colleague).get(f"/files/{v1}/slides.pdf").data == SLIDES[0]
    # The newer version is kept: restoring the newest revision brings it all back.
    owner.post(f"/lessons/{lesson}/revisions/{newest.number}/restore")
    assert files_now(app, "lesson", lesson) == newest.fields["files"] == [
        {"id": slides, "name": "slides.pdf", "version": 2},
        {"id": extra, "name": "extra.pdf", "version": 1}]


def test_restoring_a_revision_from_before_files_were_recorded_keeps_todays_files(app, team):
    owner = signed_in(app, team.owner)
    lesson = team.lesson_id
    assert "files" not in head(app, lesson).fields  # made before any file: no list at all
    first = head(app, lesson).number
    owner.post(f"/lessons/{lesson}/edit", data=lesson_form(base=first, body="Some notes."))
    add_file(owner, lesson, "slides.pdf", SLIDES[0])
    with app.app_context():  # as a revision saved before files were recorded would be
        revision = db.session.scalar(select(Revision).where(
            Revision.document_id == team.plan.lesson_documents[0], Revision.number == first))
        assert "files" not in revision.fields
    owner.post(f"/lessons/{lesson}/revisions/{first}/restore")
    assert "Some notes." not in text(owner.get(f"/lessons/{lesson}"))
    [slides] = attachment_ids(app, lesson)
    assert files_now(app, "lesson", lesson) == head(app, lesson).fields["files"] == [
        {"id": slides, "name": "slides.pdf", "version": 1}]


def test_the_approved_version_keeps_serving_the_file_it_was_approved_with(app, team):
    owner = signed_in(app, team.owner)
    lesson = team.lesson_id
    add_file(owner, lesson, "slides.pdf", SLIDES[0])
    [slides] = attachment_ids(app, lesson)
    approved = head(app, lesson).number
    review = review_id_from(ask_review(owner, "lesson", lesson, team.school_a, team.leader))
    assert decide(signed_in(app, team.leader), review, "approve", approved,
                  comment="Good.").status_code == 302
    replace(owner, lesson, slides, "slides.pdf", SLIDES[1])

    reader = signed_in(app, team.colleague)
    page = text(reader.get(f"/lessons/{lesson}/approved"))
    v1, v2 = version_id(app, slides, 1), version_id(app, slides, 2)
    assert f'href="/files/{v1}/slides.pdf"' in page and f"/files/{v2}/" not in page
    assert reader.get(f"/files/{v1}/slides.pdf").data == SLIDES[0]
    # The current lesson's Files page has the new version.
    assert f'href="/files/{v2}/slides.pdf"' in text(reader.get(f"/lessons/{lesson}/files"))
    # Printing the sequence shows the current files.
    printed = text(reader.get(f"/sequences/{team.plan.id}/print"))
    assert "Files in this version" in printed and f"/files/{v2}/slides.pdf" in printed


def test_a_file_removed_after_approval_is_still_served_with_the_approved_version(app, team):
    owner = signed_in(app, team.owner)
    lesson = team.lesson_id
    add_file(owner, lesson, "slides.pdf", SLIDES[0])
    [slides] = attachment_ids(app, lesson)
    review = review_id_from(ask_review(owner, "lesson", lesson, team.school_a, team.leader))
    assert decide(signed_in(app, team.leader), review, "approve", head(app, lesson).number,
                  comment="Good.").status_code == 302
    assert owner.post(f"/lessons/{lesson}/files/{slides}/remove").status_code == 303
    # A reader who may not restore files (another Work Group of the hub).
    reader = signed_in(app, team.neighbour)
    page = text(reader.get(f"/lessons/{lesson}/approved"))
    v1 = version_id(app, slides, 1)
    assert f'href="/files/{v1}/slides.pdf"' in page
    assert reader.get(f"/files/{v1}/slides.pdf").data == SLIDES[0]
    # Without an approval holding it, a removed file is out of the reader's reach.
    with app.app_context():
        db.session.execute(delete(Approval))
        db.session.commit()
    assert reader.get(f"/files/{v1}/slides.pdf").status_code == 404
    assert signed_in(app, team.stranger).get(f"/files/{v1}/slides.pdf").status_code == 404


def test_only_the_approved_version_of_a_removed_file_stays_served(app, team):
    owner = signed_in(app, team.owner)
    lesson = team.lesson_id
    add_file(owner, lesson, "slides.pdf", SLIDES[0])
    [slides] = attachment_ids(app, lesson)
    review = review_id_from(ask_review(owner, "lesson", lesson, team.school_a, team.leader))
    assert decide(signed_in(app, team.leader), review, "approve", head(app, lesson).number,
                  comment="Good.").status_code == 302
    # A newer version nobody approved, then the file is removed.
    assert replace(owner, lesson, slides, "slides.pdf", SLIDES[1]).status_code == 303
    assert owner.post(f"/lessons/{lesson}/files/{slides}/remove").status_code == 303
    reader = signed_in(app, team.neighbour)
    v1, v2 = version_id(app, slides, 1), version_id(app, slides, 2)
    assert reader.get(f"/files/{v1}/slides.pdf").data == SLIDES[0]
    assert reader.get(f"/files/{v2}/slides.pdf").status_code == 404


def test_editor_saves_keep_the_files_and_never_conflict_over_them(app, team):
    owner = signed_in(app, team.owner)
    colleague = signed_in(app, team.colleague)
    lesson = team.lesson_id
    add_file(owner, lesson, "slides.pdf", SLIDES[0])
    [slides] = attachment_ids(app, lesson)
    base = head(app, lesson).number

    # A save from the editor (which has no files) keeps them.
    response = owner.post(f"/lessons/{lesson}/edit",
                          data=lesson_form(base=base, key_learning_point="Doubling."))
    assert response.status_code == 302
    saved = head(app, lesson)
    assert saved.number == base + 1 and "Doubling." in saved.fields["key_learning_point"]
    assert saved.fields["files"] == [{"id": slides, "name": "slides.pdf", "version": 1}]

    # The colleague opened the editor at that revision; meanwhile the file is replaced and
    # another added. Her save (a stale base) merges cleanly and keeps both changes.
    stale = saved.number
    replace(owner, lesson, slides, "slides.pdf", SLIDES[1])
    add_file(owner, lesson, "worksheet.pdf", pdf(b"%worksheet\n"))
    worksheet = attachment_ids(app, lesson)[-1]
    response = colleague.post(f"/lessons/{lesson}/edit", data=lesson_form(
        base=stale, key_learning_point="Doubling.", body="Her notes."))
    assert response.status_code == 302, text(response)[:300]
    merged = head(app, lesson)
    assert merged.fields["body"] == "Her notes."
    assert merged.fields["files"] == [
        {"id": slides, "name": "slides.pdf", "version": 2},
        {"id": worksheet, "name": "worksheet.pdf", "version": 1}]
    assert files_now(app, "lesson", lesson) == merged.fields["files"]


def test_a_picture_is_not_listed_as_a_file(app, team):
    with app.app_context():
        owner = db.session.get(User, team.owner.id)
        before = db.session.get(Lesson, team.lesson_id).document.head_number
        pictures.add_picture(owner, "lesson", team.lesson_id, "bar model.png", png(), "A bar")
        db.session.commit()
    assert head(app, team.lesson_id).number == before
    assert files_now(app, "lesson", team.lesson_id) == []


# --- "Adapt for my school" ----------------------------------------------------------------------


def picture_of(app, user: SimpleNamespace, lesson_id: int, colour=(10, 200, 40)) -> str:
    """Store a picture for the lesson's text; its Markdown."""
    with app.app_context():
        author = db.session.get(User, user.id)
        version = pictures.add_picture(author, "lesson", lesson_id, "part whole.png",
                                       png(colour), "A part-whole model")
        markdown = pictures.picture_markdown(version, "A part-whole model")
        db.session.commit()
    return markdown


def adapt_page(client, sequence_id: int, user: SimpleNamespace, group: SimpleNamespace):
    return client.post(f"/sequences/{sequence_id}/adapt", data={
        "work_group_id": str(group.id), "school_id": str(user.school_id)})


def urls(page: str) -> list[tuple[int, str]]:
    return [(int(m.group(1)), m.group(0)) for m in re.finditer(r"/files/(\d+)/[\w.-]+", page)]


def test_adapt_copies_files_and_pictures_with_provenance(app, team):
    owner = signed_in(app, team.owner)
    lesson = team.lesson_id
    add_file(owner, lesson, "slides.pdf", SLIDES[0])
    replace(owner, lesson, attachment_ids(app, lesson)[0], "slides.pdf", SLIDES[1])
    picture = picture_of(app, team.owner, lesson)
    base = head(app, lesson).number
    assert owner.post(f"/lessons/{lesson}/edit", data=lesson_form(
        base=base, representations=f"Show it:\n\n{picture}")).status_code == 302
    with app.app_context():
        blobs = db.session.scalar(select(func.count()).select_from(FileBlob))
        [source_picture] = db.session.scalars(select(AttachmentVersion).join(
            AttachmentVersion.attachment).where(Attachment.purpose == "picture"))
        source_picture_id = source_picture.id
    source_file = version_id(app, attachment_ids(app, lesson)[0], 2)

    neighbour = signed_in(app, team.neighbour)
    response = adapt_page(neighbour, team.plan.id, team.neighbour, team.neighbour_group)
    assert response.status_code == 302
    copy_id = int(response.headers["Location"].rsplit("/", 1)[1])
    with app.app_context():
        copy = db.session.get(Sequence, copy_id)
        copied_lesson = copy.active_lessons[0]
        copied = list(db.session.scalars(select(Attachment).where(
            Attachment.target_kind == "lesson", Attachment.target_id == copied_lesson.id)
            .order_by(Attachment.id)))
        assert [(a.purpose, a.work_group_id, a.current_number) for a in copied] == [
            ("file", team.neighbour_group.id, 1), ("picture", team.neighbour_group.id, 1)]
        file_copy, picture_copy = (a.versions[0] for a in copied)
        assert file_copy.copied_from_id == source_file
        assert picture_copy.copied_from_id == source_picture_id
        assert file_copy.number == 1 and file_copy.display_name == "slides.pdf"
        # Same content, stored once.
        assert db.session.scalar(select(func.count()).select_from(FileBlob)) == blobs
        copied_lesson_id = copied_lesson.id
        file_copy_id, picture_copy_id = file_copy.id, picture_copy.id
        copy_head = db.session.scalar(select(Revision).join(
            Document, Document.id == Revision.document_id).where(
            Document.id == copied_lesson.document_id))
        assert copy_head.fields["files"] == [
            {"id": copied[0].id, "name": "slides.pdf", "version": 1}]
        assert f"/files/{picture_copy_id}/" in copy_head.fields["representations"]
        assert f"/files/{source_picture_id}/" not in copy_head.fields["representations"]

    page = text(neighbour.get(f"/lessons/{copied_lesson_id}"))
    assert f'src="/files/{picture_copy_id}/' in page
    assert f"/files/{source_picture_id}/" not in page
    assert neighbour.get(f"/files/{file_copy_id}/slides.pdf").data == SLIDES[1]
    assert neighbour.get(f"/files/{picture_copy_id}/x.png").status_code == 200

    # The source stops being visible to her: its URLs are 404s, her copy's still work.
    with app.app_context():
        db.session.get(Sequence, team.plan.id).visibility = "work_group"
        db.session.commit()
    assert neighbour.get(f"/files/{source_file}/slides.pdf").status_code == 404
    assert neighbour.get(f"/files/{source_picture_id}/x.png").status_code == 404
    assert neighbour.get(f"/files/{file_copy_id}/slides.pdf").data == SLIDES[1]
    assert neighbour.get(f"/files/{picture_copy_id}/x.png").status_code == 200
    # Someone of another hub reaches neither the copy's files nor its pages.
    stranger = signed_in(app, team.stranger)
    for url in (f"/files/{file_copy_id}/slides.pdf", f"/files/{picture_copy_id}/x.png",
                f"/lessons/{copied_lesson_id}/history",
                f"/lessons/{copied_lesson_id}/revisions/1",
                f"/sequences/{copy_id}/print"):
        assert stranger.get(url).status_code == 404, url


def test_adapt_copies_only_the_sources_own_pictures(app, team):
    """A picture address of another plan in the text is left alone: adapting cannot turn a
    picture the adapter may not see into one of her own."""
    hidden = make_plan(app, team.stranger, team.stranger_group)
    foreign = picture_of(app, team.stranger, hidden.lesson_ids[0], colour=(1, 2, 3))
    owner = signed_in(app, team.owner)
    base = head(app, team.lesson_id).number
    owner.post(f"/lessons/{team.lesson_id}/edit",
               data=lesson_form(base=base, representations=foreign))
    foreign_id = urls(foreign)[0][0]
    with app.app_context():
        count = db.session.scalar(select(func.count()).select_from(Attachment))

    neighbour = signed_in(app, team.neighbour)
    assert adapt_page(neighbour, team.plan.id, team.neighbour, team.neighbour_group
                 ).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Attachment)) == count
    assert neighbour.get(f"/files/{foreign_id}/x.png").status_code == 404


def test_adapting_into_a_group_without_room_copies_nothing(app, team):
    owner = signed_in(app, team.owner)
    add_file(owner, team.lesson_id, "slides.pdf", pdf(size=40_000))
    with app.app_context():
        sequences = db.session.scalar(select(func.count()).select_from(Sequence))
        attachments = db.session.scalar(select(func.count()).select_from(Attachment))
    app.config["FILES_GROUP_QUOTA_BYTES"] = 30_000
    response = adapt_page(signed_in(app, team.neighbour), team.plan.id, team.neighbour,
                     team.neighbour_group)
    assert response.status_code == 400
    page = text(response)
    assert "do not fit" in page and "Nothing was copied" in page
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Sequence)) == sequences
        assert db.session.scalar(select(func.count()).select_from(Attachment)) == attachments


def test_no_one_outside_reaches_files_through_history_compare_print_or_export(app, team):
    owner = signed_in(app, team.owner)
    lesson = team.lesson_id
    add_file(owner, lesson, "slides.pdf", SLIDES[0])
    [slides] = attachment_ids(app, lesson)
    replace(owner, lesson, slides, "slides.pdf", SLIDES[1])
    number = head(app, lesson).number
    v1 = version_id(app, slides, 1)
    pages = [f"/lessons/{lesson}/history", f"/lessons/{lesson}/revisions/{number - 1}",
             f"/lessons/{lesson}/compare?a={number - 1}&b={number}",
             f"/lessons/{lesson}/revisions/{number - 1}/source",
             f"/sequences/{team.plan.id}/print", f"/sequences/{team.plan.id}/export.md",
             f"/lessons/{lesson}/approved", f"/files/{v1}/slides.pdf"]
    # The plan's own readers see the file on these pages (so the pages do show files) ...
    assert f"/files/{v1}/slides.pdf" in text(owner.get(pages[1]))
    # ... a hub neighbour may read the hub-visible plan; once it is the Work Group's only,
    # she and a stranger get 404 everywhere, and the old version's download too.
    with app.app_context():
        db.session.get(Sequence, team.plan.id).visibility = "work_group"
        db.session.commit()
    for user in (team.neighbour, team.stranger):
        outsider = signed_in(app, user)
        for url in pages:
            assert outsider.get(url).status_code == 404, (user.display_name, url)


def test_a_revision_page_of_a_plan_without_files_shows_no_files_section(app, team):
    owner = signed_in(app, team.owner)
    page = text(owner.get(f"/lessons/{team.lesson_id}/revisions/1"))
    assert "Files in this version" not in page


def test_a_duplicated_lesson_does_not_claim_the_sources_files(app, team):
    owner = signed_in(app, team.owner)
    add_file(owner, team.lesson_id, "slides.pdf", SLIDES[0])
    with app.app_context():
        copy = duplicate.duplicate_lesson(db.session.get(User, team.owner.id), team.lesson_id,
                                          team.plan.id)
        db.session.commit()
        copy_id = copy.id
    assert head(app, copy_id).fields.get("files", []) == files_now(app, "lesson", copy_id) == []


def test_a_new_academic_year_carries_the_files_forward(app, team):
    owner = signed_in(app, team.owner)
    add_file(owner, team.lesson_id, "slides.pdf", SLIDES[0])
    source_version = version_id(app, attachment_ids(app, team.lesson_id)[0], 1)
    with app.app_context():
        copy = adapt.carry_forward(db.session.get(User, team.owner.id),
                                   db.session.get(Sequence, team.plan.id), "2025/26")
        db.session.commit()
        lesson_id = copy.active_lessons[0].id
        [version] = db.session.scalars(select(AttachmentVersion).join(
            AttachmentVersion.attachment).where(Attachment.target_id == lesson_id,
                                                Attachment.target_kind == "lesson"))
        assert version.copied_from_id == source_version
        assert version.attachment.work_group_id == team.group.id
    assert head(app, lesson_id).fields["files"] == files_now(app, "lesson", lesson_id) == [
        {"id": version.attachment_id, "name": "slides.pdf", "version": 1}]
    assert owner.get(f"/files/{version.id}/slides.pdf").data == SLIDES[0]


def sequence_head(app, sequence_id: int) -> Revision:
    with app.app_context():
        sequence = db.session.get(Sequence, sequence_id)
        revision = db.session.scalar(select(Revision).where(
            Revision.document_id == sequence.document_id,
            Revision.number == sequence.document.head_number))
        db.session.expunge(revision)
        return revision


def test_a_sequences_files_are_in_its_history_kept_by_edits_and_restored(app, team):
    owner = signed_in(app, team.owner)
    sequence = team.plan.id
    assert post_file(owner, f"/sequences/{sequence}/files", "overview.pdf",
                     pdf(b"%overview\n")).status_code == 303
    added = sequence_head(app, sequence)
    assert added.summary == "Added overview.pdf"
    [item] = added.fields["files"]
    edited = edit_sequence(app, team.owner, sequence, overview="A new overview.")
    assert sequence_head(app, sequence).fields["files"] == [item]
    assert owner.post(f"/sequences/{sequence}/files/{item['id']}/remove").status_code == 303
    assert sequence_head(app, sequence).fields["files"] == []
    assert owner.post(f"/sequences/{sequence}/revisions/{edited}/restore").status_code == 302
    restored = sequence_head(app, sequence)
    assert restored.fields["files"] == [item] == files_now(app, "sequence", sequence)
    page = text(owner.get(f"/sequences/{sequence}/revisions/{added.number}"))
    assert f"/files/{version_id(app, item['id'], 1)}/overview.pdf" in page


def test_editor_saves_file_changes_and_restores_at_the_same_moment_all_land(app, team):
    """Several people at once: stale editor saves, replacements and a restore. None fails
    (no conflict, no deadlock), and afterwards the rows and the head revision agree."""
    owner = signed_in(app, team.owner)
    lesson = team.lesson_id
    add_file(owner, lesson, "slides.pdf", SLIDES[0])
    [slides] = attachment_ids(app, lesson)
    base = head(app, lesson).number
    clients = [signed_in(app, team.owner if n % 2 else team.colleague) for n in range(6)]
    start = threading.Barrier(len(clients))

    def act(n: int) -> int:
        start.wait()
        if n == 0:
            return clients[n].post(f"/lessons/{lesson}/revisions/{base}/restore").status_code
        if n % 2:
            return replace(clients[n], lesson, slides, "slides.pdf",
                           pdf(b"%% parallel %d\n" % n)).status_code
        return clients[n].post(f"/lessons/{lesson}/edit", data=lesson_form(
            base=base, **{("body" if n == 2 else "checks"): f"Written by {n}."})).status_code

    with ThreadPoolExecutor(len(clients)) as pool:
        codes = list(pool.map(act, range(len(clients))))
    assert codes == [302, 303, 302, 303, 302, 303]
    final = head(app, lesson)
    assert final.fields["files"] == files_now(app, "lesson", lesson)
    with app.app_context():
        saved = [r.fields for r in db.session.scalars(select(Revision).where(
            Revision.document_id == team.plan.lesson_documents[0]))]
    # Each edit was saved (the restore may have come after them, so not necessarily last).
    assert any(fields.get("body") == "Written by 2." for fields in saved)
    assert any(fields.get("checks") == "Written by 4." for fields in saved)


def test_a_lesson_moved_to_another_work_group_takes_its_files_quota_with_it(
        app, team, make_work_group):
    from app.accounts.models import Membership
    from app.files.attachments import group_usage

    other = make_work_group("NCP 24-14", hub_id=None)
    with app.app_context():
        member = Membership(user_id=team.owner.id, work_group_id=other.id,
                            school_id=team.school_a)
        member.set_roles(["participant_teacher"])
        db.session.add(member)
        db.session.commit()
    destination = make_plan(app, team.owner, other, lessons=1, school_id=str(team.school_a))
    owner = signed_in(app, team.owner)
    lesson = team.lesson_id
    add_file(owner, lesson, "slides.pdf", SLIDES[0])
    size = len(SLIDES[0])
    with app.app_context():
        assert group_usage(team.group.id) == size and group_usage(other.id) == 0
    response = owner.post(f"/lessons/{lesson}/move-to", data={"target_id": str(destination.id)})
    assert response.status_code in (302, 303)
    with app.app_context():
        assert db.session.get(Lesson, lesson).sequence_id == destination.id
        assert group_usage(team.group.id) == 0 and group_usage(other.id) == size
    # The file still comes with the lesson.
    [slides] = attachment_ids(app, lesson)
    assert owner.get(f"/files/{version_id(app, slides, 1)}/slides.pdf").data == SLIDES[0]


def test_the_lesson_and_sequence_pages_list_their_files(app, team):
    owner = signed_in(app, team.owner)
    lesson = team.lesson_id
    add_file(owner, lesson, "slides.pdf", SLIDES[0])
    [slides] = attachment_ids(app, lesson)
    replace(owner, lesson, slides, "slides.pdf", SLIDES[1])
    page = text(signed_in(app, team.neighbour).get(f"/lessons/{lesson}"))
    assert f'href="/lessons/{lesson}/files#file-{slides}"' in page
    assert "slides.pdf" in page and "(version 2)" in page
    assert owner.post(f"/lessons/{lesson}/files/{slides}/remove").status_code == 303
    assert f"/files#file-{slides}" not in text(owner.get(f"/lessons/{lesson}"))
    sequence = team.plan.id
    assert post_file(owner, f"/sequences/{sequence}/files", "overview.pdf",
                     SLIDES[2]).status_code == 303
    page = text(owner.get(f"/sequences/{sequence}"))
    assert "overview.pdf" in page and f'href="/sequences/{sequence}/files#file-' in page
