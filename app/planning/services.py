"""Planning logic: create, read, edit, reorder, move, archive and restore plans."""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import Integer, bindparam, func, select
from sqlalchemy.orm import joinedload

from app import policy, revisions, signals
from app.accounts.models import User, WorkGroup
from app.accounts.services import audit
from app.core.text import is_whole_number
from app.errors import Forbidden, NotFound, ValidationError
from app.extensions import db
from app.files import history as file_history
from app.materials.links import sync_links
from app.planning import validation
from app.planning.fields import LESSON_FIELDS, LESSON_MARKDOWN_KEYS, SEQUENCE_MARKDOWN_KEYS
from app.planning.models import STATUSES, VISIBILITY, Lesson, Sequence
from app.planning.search_docs import lesson_keys
from app.revisions import SaveResult
from app.revisions.models import Revision
from app.search.indexer import touch as search_touch
from app.timeutil import utcnow

# --- reading ----------------------------------------------------------------------------------


def get_sequence(user: User, sequence_id: int) -> Sequence:
    """A sequence the user may read; NotFound otherwise (never reveals that it exists)."""
    sequence = db.session.get(Sequence, sequence_id)
    if sequence is None or not policy.can_view_sequence(user, sequence):
        raise NotFound()
    return sequence


def get_lesson(user: User, lesson_id: int) -> Lesson:
    lesson = db.session.get(Lesson, lesson_id, options=[
        joinedload(Lesson.document),
        joinedload(Lesson.sequence).joinedload(Sequence.work_group),
        joinedload(Lesson.sequence).joinedload(Sequence.document)])
    if lesson is None or not policy.can_view_sequence(user, lesson.sequence):
        raise NotFound()
    return lesson


def editable_sequence(user: User, sequence_id: int) -> Sequence:
    sequence = get_sequence(user, sequence_id)
    if not policy.can_edit_sequence(user, sequence):
        raise Forbidden("Only members of the Work Group that owns this sequence can edit it.")
    return sequence


def editable_lesson(user: User, lesson_id: int) -> Lesson:
    lesson = get_lesson(user, lesson_id)
    if not policy.can_edit_sequence(user, lesson.sequence):
        raise Forbidden("Only members of the Work Group that owns this sequence can edit it.")
    return lesson


def list_sequences(user: User, *, include_archived: bool = False, work_group_id: int | None = None,
                   year_group: str | None = None) -> list[Sequence]:
    """Sequences the user may read, most recently updated first."""
    query = select(Sequence).where(policy.visible_sequences_clause(user))
    if not include_archived:
        query = query.where(Sequence.archived_at.is_(None))
    if work_group_id:
        query = query.where(Sequence.work_group_id == work_group_id)
    if year_group:
        query = query.where(Sequence.year_group == year_group)
    return list(db.session.scalars(query.order_by(Sequence.updated_at.desc(), Sequence.id)))


def head(document_id: int, number: int) -> Revision:
    return revisions.get_revision(document_id, number)


@cache
def _contributors_query() -> Any:
    first = (select(Revision.author_id, func.min(Revision.number).label("first"))
             .where(Revision.document_id == bindparam("document_id", type_=Integer))
             .group_by(Revision.author_id).subquery())
    return select(User).join(first, User.id == first.c.author_id).order_by(first.c.first)


def contributors(lesson: Lesson) -> list[User]:
    """Everyone who saved a revision of the lesson, in order of first contribution."""
    return list(db.session.scalars(_contributors_query(), {"document_id": lesson.document_id}))


def sync_material_links(sequence_id: int, lesson_id: int | None, fields: dict[str, Any]) -> None:
    """Keep the derived plan→material table (for backlinks) in step with the head revision."""
    sync_links(sequence_id, lesson_id, fields.get("materials") or [])


# --- sequences ----------------------------------------------------------------------------------


def _structure(sequence: Sequence) -> list[dict[str, Any]]:
    return [{"id": lesson.id, "title": lesson.title} for lesson in sequence.active_lessons]


def create_sequence(user: User, data: dict[str, Any]) -> Sequence:
    """Start a sequence in one of the user's Work Groups, for a school they belong to."""
    errors: dict[str, str] = {}
    fields = validation.sequence_fields(data, errors)
    raw_group, raw_school = str(data.get("work_group_id", "")), str(data.get("school_id", ""))
    group_id = int(raw_group) if is_whole_number(raw_group) else 0
    school_id = int(raw_school) if is_whole_number(raw_school) else 0
    group = db.session.get(WorkGroup, group_id)
    if group is None or policy.membership(user, group_id) is None:
        errors["work_group_id"] = "Choose one of your Work Groups."
    elif not policy.can_create_in(user, group_id, school_id):
        errors["school_id"] = "Choose your school in this Work Group."
    visibility = data.get("visibility") or "work_group"
    if visibility not in VISIBILITY:
        errors["visibility"] = "Choose who can see this sequence."
    titles = validation.lesson_titles(data.get("lesson_titles", ""), errors)
    if errors:
        raise ValidationError(fields=errors)
    assert group is not None  # no such group is a field error above
    document = revisions.new_document("sequence")
    sequence = Sequence(document_id=document.id, work_group_id=group_id, school_id=school_id,
                        academic_year=group.academic_year, title=fields["title"],
                        year_group=fields["year_group"], strand=fields["strand"],
                        visibility=visibility, status="draft", created_by_id=user.id)
    db.session.add(sequence)
    db.session.flush()
    # Lessons titled on the form are in the sequence's first revision, not one revision each.
    for position, title in enumerate(titles, start=1):
        _new_lesson(user, sequence, title, position, {})
    if titles:
        db.session.flush()
        db.session.refresh(sequence, ["lessons"])
    fields["lessons"] = _structure(sequence)
    revisions.save_revision(document.id, user, fields, None, data.get("summary") or
                            "Sequence created.", SEQUENCE_MARKDOWN_KEYS)
    sync_material_links(sequence.id, None, fields)
    return sequence


def update_sequence(user: User, sequence_id: int, data: dict[str, Any], base_number: int | None,
                    summary: str) -> SaveResult:
    """Save edits to a sequence's details, merging with anything saved meanwhile."""
    sequence = editable_sequence(user, sequence_id)
    errors: dict[str, str] = {}
    current = revisions.head_revision(sequence.document)
    fields = validation.sequence_fields(data, errors, validation.plan_size(
        current.fields if current else {}, SEQUENCE_MARKDOWN_KEYS))
    if errors:
        raise ValidationError(fields=errors)
    # The lesson list is structure, changed only by structure actions: keep what the base had.
    base = revisions.get_revision(sequence.document_id, base_number) if base_number and \
        base_number <= sequence.document.head_number else None
    fields["lessons"] = base.fields.get("lessons", []) if base else _structure(sequence)
    rtp_before = _rtp_codes(sequence)
    # The editor has no files: the list is the database's (file changes save their own).
    result = revisions.save_revision(sequence.document_id, user, fields, base_number, summary,
                                     SEQUENCE_MARKDOWN_KEYS,
                                     live=file_history.live_files("sequence", sequence.id))
    _copy_sequence_columns(sequence, result.head.fields)
    if result.changed:
        sequence.updated_at = utcnow()
        sync_material_links(sequence.id, None, result.head.fields)
        _reindex_lessons_if_codes_changed(sequence, rtp_before, result)
    return result


def _rtp_codes(sequence: Sequence) -> list[str]:
    head = revisions.head_revision(sequence.document)
    return list(head.fields.get("rtp_codes") or []) if head else []


def _reindex_lessons_if_codes_changed(sequence: Sequence, before: list[str],
                                      result: SaveResult) -> None:
    """Lessons are found by their sequence's ready-to-progress codes too; no column of the
    sequence row shows a change of codes, so say it to the search log."""
    if list(result.head.fields.get("rtp_codes") or []) != before:
        search_touch(lesson_keys(sequence))


def _copy_sequence_columns(sequence: Sequence, fields: dict[str, Any]) -> None:
    sequence.title = fields["title"]
    sequence.year_group = fields["year_group"]
    sequence.strand = fields["strand"]


def record_structure(user: User, sequence: Sequence, summary: str) -> None:
    """A sequence revision for a structure change (lesson added, moved, renamed, removed)."""
    db.session.flush()
    db.session.refresh(sequence, ["lessons"])
    document = revisions.lock_document(sequence.document_id)
    current = revisions.head_revision(document)
    assert current is not None  # a sequence has its first revision from the moment it is created
    head_fields = dict(current.fields)
    head_fields["lessons"] = _structure(sequence)
    revisions.save_revision(sequence.document_id, user, head_fields, document.head_number,
                            summary, SEQUENCE_MARKDOWN_KEYS)
    sequence.updated_at = utcnow()


def update_settings(user: User, sequence_id: int, visibility: str, status: str) -> Sequence:
    """Change who can see a sequence and its status (approval is for reviewers)."""
    sequence = editable_sequence(user, sequence_id)
    errors: dict[str, str] = {}
    if visibility not in VISIBILITY:
        errors["visibility"] = "Choose who can see this sequence."
    if status not in STATUSES:
        errors["status"] = "Choose a status from the list."
    elif status == "approved" and sequence.status != "approved" and \
            not policy.can_approve_sequence(user, sequence):
        errors["status"] = "Only the school's subject leader or the Work Group Lead can approve."
    if errors:
        raise ValidationError(fields=errors)

    if visibility != sequence.visibility:
        audit(user, "sequence.visibility", sequence.title,
              f"{VISIBILITY[sequence.visibility]} → {VISIBILITY[visibility]}",
              work_group_id=sequence.work_group_id)
    if status != sequence.status:
        audit(user, "sequence.status", sequence.title,
              f"{STATUSES[sequence.status]} → {STATUSES[status]}",
              work_group_id=sequence.work_group_id)
    sequence.visibility, sequence.status = visibility, status
    sequence.updated_at = utcnow()
    return sequence


def archive_sequence(user: User, sequence_id: int) -> Sequence:
    """Archive instead of deleting: it leaves lists and search but can be restored."""
    sequence = editable_sequence(user, sequence_id)
    if sequence.archived_at is None:
        sequence.archived_at, sequence.archived_by_id = utcnow(), user.id
    return sequence


def restore_sequence(user: User, sequence_id: int) -> Sequence:
    sequence = get_sequence(user, sequence_id)
    if not policy.can_restore_sequence(user, sequence):
        raise Forbidden("Only the sequence's authors and the Work Group's leads can restore it.")
    sequence.archived_at, sequence.archived_by_id = None, None
    return sequence


# --- lessons --------------------------------------------------------------------------------


def empty_lesson_fields(title: str) -> dict[str, Any]:
    return {"title": title, **{spec.key: "" for spec in LESSON_FIELDS}}


def add_lesson(user: User, sequence_id: int, title: str, position: int | None = None,
               fields: dict[str, Any] | None = None) -> Lesson:
    """Add a lesson at the end, or before the lesson now at `position` (1-based)."""
    sequence = editable_sequence(user, sequence_id)
    errors: dict[str, str] = {}
    title = validation.check_title(title, errors)
    if errors:
        raise ValidationError(fields=errors)
    active = sequence.active_lessons
    # No position, or one no lesson can have (below 1, or too large to store): at the end.
    index = len(active) if position is None or position < 1 else min(position - 1, len(active))
    lesson = _new_lesson(user, sequence, title, index + 1, fields or {})
    ordered = active[:index] + [lesson] + active[index:]
    for number, item in enumerate(ordered, start=1):
        item.position = number
    record_structure(user, sequence, f"Lesson added: {title}")
    return lesson


def _new_lesson(user: User, sequence: Sequence, title: str, position: int,
                fields: dict[str, Any]) -> Lesson:
    """A lesson row with its first revision (the caller records the sequence's structure)."""
    document = revisions.new_document("lesson")
    lesson = Lesson(document_id=document.id, sequence=sequence, title=title,
                    position=position, created_by_id=user.id)
    db.session.add(lesson)
    db.session.flush()
    snapshot = {**empty_lesson_fields(title), **fields, "title": title}
    # A new lesson has no files of its own (a duplicate's fields name the source's).
    snapshot.pop(file_history.FILES_KEY, None)
    revisions.save_revision(document.id, user, snapshot, None, "Lesson created.",
                            LESSON_MARKDOWN_KEYS)
    return lesson


def update_lesson(user: User, lesson_id: int, data: dict[str, str], base_number: int | None,
                  summary: str) -> SaveResult:
    """Save a lesson edit; a stale base is merged or raises MergeConflict."""
    lesson = editable_lesson(user, lesson_id)
    errors: dict[str, str] = {}
    current = revisions.head_revision(lesson.document)
    fields = validation.lesson_fields(data, errors, validation.plan_size(
        current.fields if current else {}, LESSON_MARKDOWN_KEYS))
    if errors:
        raise ValidationError(fields=errors)
    # The editor has no files: the list is the database's (file changes save their own).
    result = revisions.save_revision(lesson.document_id, user, fields, base_number, summary,
                                     LESSON_MARKDOWN_KEYS,
                                     live=file_history.live_files("lesson", lesson.id))
    if result.changed:
        lesson.updated_at = utcnow()
        sync_material_links(lesson.sequence_id, lesson.id, result.head.fields)
        new_title = result.head.fields["title"]
        if new_title != lesson.title:
            old_title, lesson.title = lesson.title, new_title
            record_structure(user, lesson.sequence, f"Lesson renamed: {old_title} → {new_title}")
        lesson.sequence.updated_at = utcnow()
    return result


def restore_revision(user: User, lesson_id: int, number: int) -> SaveResult:
    """Bring back an old version as a new revision (history is never rewritten)."""
    lesson = editable_lesson(user, lesson_id)
    keep = _restore_files("lesson", lesson.id, lesson.document_id, number)
    result = revisions.restore_revision(lesson.document_id, user, number, LESSON_MARKDOWN_KEYS,
                                        keep=keep)
    _files_as_restored(user, "lesson", lesson.id, result)
    sync_material_links(lesson.sequence_id, lesson.id, result.head.fields)
    if result.changed and result.head.fields["title"] != lesson.title:
        lesson.title = result.head.fields["title"]
        record_structure(user, lesson.sequence, f"Lesson renamed: back to {lesson.title}")
    lesson.updated_at = utcnow()
    return result


def restore_sequence_revision(user: User, sequence_id: int, number: int) -> SaveResult:
    """Bring back a sequence's old details; the lesson list stays as it is now."""
    sequence = editable_sequence(user, sequence_id)
    rtp_before = _rtp_codes(sequence)
    keep = _restore_files("sequence", sequence.id, sequence.document_id, number)
    result = revisions.restore_revision(sequence.document_id, user, number,
                                        SEQUENCE_MARKDOWN_KEYS,
                                        keep={"lessons": _structure(sequence), **keep})
    _files_as_restored(user, "sequence", sequence.id, result)
    _copy_sequence_columns(sequence, result.head.fields)
    sync_material_links(sequence.id, None, result.head.fields)
    sequence.updated_at = utcnow()
    _reindex_lessons_if_codes_changed(sequence, rtp_before, result)
    return result


def _restore_files(kind: str, target_id: int, document_id: int,
                   number: int) -> dict[str, Any]:
    """Before a restore: hold the plan's files (as a file change does, before the document),
    and keep today's files when the old revision predates file recording (it never said
    which it had, so none are taken away)."""
    file_history.lock_files(kind, target_id)
    old = revisions.get_revision(document_id, number)
    if file_history.recorded(old.fields) is None:
        return {file_history.FILES_KEY: file_history.files_field(kind, target_id)}
    return {}


def _files_as_restored(user: User, kind: str, target_id: int, result: SaveResult) -> None:
    """After a restore: the attachments become what the new head lists (their versions,
    removed and added files), so the rows and the revision agree."""
    wanted = file_history.recorded(result.head.fields)
    if wanted is not None:
        file_history.apply_files(user, kind, target_id, wanted)


def move_lesson(user: User, lesson_id: int, direction: str) -> Lesson:
    """Move a lesson one place up or down (keyboard-friendly buttons, no dragging needed)."""
    lesson = editable_lesson(user, lesson_id)
    if lesson.archived_at is not None:
        raise ValidationError("Restore the lesson before moving it.")
    active = lesson.sequence.active_lessons
    index = active.index(lesson)
    target = index - 1 if direction == "up" else index + 1
    if direction not in ("up", "down") or not 0 <= target < len(active):
        raise ValidationError("That lesson cannot move further.")
    active[index], active[target] = active[target], active[index]
    for number, item in enumerate(active, start=1):
        item.position = number
    record_structure(user, lesson.sequence,
                     f"Lesson moved {direction}: {lesson.title} is now lesson {target + 1}")
    return lesson


def move_lesson_to_sequence(user: User, lesson_id: int, target_id: int) -> Lesson:
    """Move a lesson to the end of another sequence the user can edit."""
    lesson = editable_lesson(user, lesson_id)
    source = lesson.sequence
    target = editable_sequence(user, target_id)
    if target.id == source.id:
        raise ValidationError(fields={"target_id": "Choose a different sequence."})
    # Lock both sequences in id order so two opposite moves cannot deadlock each other.
    for document_id in sorted((source.document_id, target.document_id)):
        revisions.lock_document(document_id)
    position = len(target.active_lessons) + 1
    lesson.sequence = target
    lesson.position = position
    for number, item in enumerate([x for x in source.active_lessons if x is not lesson], 1):
        item.position = number
    lesson_head = revisions.head_revision(lesson.document)
    assert lesson_head is not None  # a lesson has its first revision from the moment it is added
    sync_material_links(target.id, lesson.id, lesson_head.fields)
    record_structure(user, source, f"Lesson moved out to {target.title}: {lesson.title}")
    record_structure(user, target, f"Lesson moved in from {source.title}: {lesson.title}")
    signals.send(signals.lesson_moved, lesson=lesson, source=source)
    return lesson


def archive_lesson(user: User, lesson_id: int) -> Lesson:
    lesson = editable_lesson(user, lesson_id)
    if lesson.archived_at is None:
        lesson.archived_at = utcnow()
        for number, item in enumerate(
                [x for x in lesson.sequence.active_lessons if x is not lesson], 1):
            item.position = number
        record_structure(user, lesson.sequence, f"Lesson removed (archived): {lesson.title}")
    return lesson


def restore_lesson(user: User, lesson_id: int) -> Lesson:
    lesson = editable_lesson(user, lesson_id)
    if lesson.archived_at is not None:
        lesson.position = len(lesson.sequence.active_lessons) + 1
        lesson.archived_at = None
        record_structure(user, lesson.sequence, f"Lesson restored: {lesson.title}")
    return lesson
