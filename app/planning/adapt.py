"""Adapting a sequence: a copy in another Work Group or school that remembers where it came from.

The copy is a new plan with its own history, starting at revision 1 with the source's current
text. Sequence and lessons record the source and its revision number, so the copy can later be
told that the original has moved on.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import Integer, bindparam, select
from sqlalchemy.orm import joinedload

from app import policy, revisions
from app.accounts.models import User, WorkGroup
from app.errors import ValidationError
from app.extensions import db
from app.files.copies import PlanCopier
from app.planning import services
from app.planning.fields import LESSON_MARKDOWN_KEYS, SEQUENCE_MARKDOWN_KEYS
from app.planning.models import Lesson, Sequence


def _summary(title: str, number: int) -> str:
    return f"Adapted from “{title}” revision {number}"


def adapt_sequence(user: User, source_id: int, work_group_id: int, school_id: int) -> Sequence:
    """Copy a sequence the user may read, with its active lessons, into one of their groups."""
    source = services.get_sequence(user, source_id)
    errors: dict[str, str] = {}
    group = db.session.get(WorkGroup, work_group_id)
    if group is None or policy.membership(user, work_group_id) is None:
        errors["work_group_id"] = "Choose one of your Work Groups."
    elif not policy.can_create_in(user, work_group_id, school_id):
        errors["school_id"] = "Choose your school in this Work Group."
    if source.is_archived:
        errors["source"] = "This sequence is archived. Ask its authors to restore it first."
    if errors:
        raise ValidationError(fields=errors)
    assert group is not None
    source_head = revisions.head_revision(source.document)
    assert source_head is not None  # every sequence is created with revision 1
    fields: dict[str, Any] = dict(source_head.fields)
    # The files and pictures go too, counted against the adapting group's quota: measured
    # first, so a group without room gets a message and no half-made copy.
    files = _plan_files(user, source, group.id, fields)
    files.check_room()

    document = revisions.new_document("sequence")
    copy = Sequence(document_id=document.id, work_group_id=group.id, school_id=school_id,
                    academic_year=group.academic_year, title=fields["title"],
                    year_group=fields["year_group"], strand=fields["strand"],
                    visibility="work_group", status="draft", created_by_id=user.id,
                    adapted_from_id=source.id, adapted_from_number=source_head.number)
    db.session.add(copy)
    db.session.flush()
    lessons = [_copy_lesson(user, lesson, copy, position, files)
               for position, lesson in enumerate(source.active_lessons, start=1)]
    # The lesson list names the copies, not the source's lessons (which the reader may lose).
    fields["lessons"] = [{"id": lesson.id, "title": lesson.title} for lesson in lessons]
    fields = files.copy_into(("sequence", source.id), ("sequence", copy.id), fields)
    revisions.save_revision(document.id, user, fields, None,
                            _summary(source_head.fields["title"], source_head.number),
                            SEQUENCE_MARKDOWN_KEYS)
    services.sync_material_links(copy.id, None, fields)
    return copy


def _plan_files(user: User, source: Sequence, work_group_id: int,
                fields: dict[str, Any]) -> PlanCopier:
    """What copying the sequence and its active lessons copies of their files and pictures."""
    files = PlanCopier(user, work_group_id)
    own = ("sequence", source.id)
    files.plan(own, fields, {own})
    for lesson in source.active_lessons:
        head = revisions.head_revision(lesson.document)
        assert head is not None
        files.plan(("lesson", lesson.id), head.fields, {("lesson", lesson.id), own})
    return files


def _copy_lesson(user: User, lesson: Lesson, sequence: Sequence, position: int,
                 files: PlanCopier) -> Lesson:
    head = revisions.head_revision(lesson.document)
    assert head is not None
    document = revisions.new_document("lesson")
    copy = Lesson(document_id=document.id, sequence=sequence, position=position,
                  title=head.fields["title"], created_by_id=user.id,
                  adapted_from_id=lesson.id, adapted_from_number=head.number)
    db.session.add(copy)
    db.session.flush()
    fields = files.copy_into(("lesson", lesson.id), ("lesson", copy.id), dict(head.fields))
    revisions.save_revision(document.id, user, fields, None,
                            _summary(head.fields["title"], head.number), LESSON_MARKDOWN_KEYS)
    services.sync_material_links(sequence.id, copy.id, head.fields)
    return copy


@cache
def _adaptations_query() -> Any:
    # Built once per process; every sequence view runs it.
    return (select(Sequence)
            .where(Sequence.adapted_from_id == bindparam("source_id", type_=Integer),
                   Sequence.archived_at.is_(None))
            .options(joinedload(Sequence.school), joinedload(Sequence.work_group))
            .order_by(Sequence.created_at, Sequence.id))


def adaptations(user: User, sequence: Sequence) -> list[Sequence]:
    """Copies made from this sequence that the reader may see, oldest first.

    A sequence has a few copies: they are all loaded and kept when the reading rule's
    predicate allows them (held equal to its SQL filter by the property test, and far
    cheaper than building that filter on every sequence view)."""
    return [copy for copy in db.session.scalars(_adaptations_query(),
                                                {"source_id": sequence.id})
            if policy.can_view_sequence(user, copy)]


def upstream_changes(user: User, sequence: Sequence) -> tuple[int, int] | None:
    """(revision copied, source's revision now) when the visible source has changed since."""
    if sequence.adapted_from_id is None or sequence.adapted_from_number is None:
        return None
    source = db.session.get(Sequence, sequence.adapted_from_id)
    # A source the reader cannot see must not leak even its revision count.
    if source is None or not policy.can_view_sequence(user, source):
        return None
    head_number = source.document.head_number
    if head_number <= sequence.adapted_from_number:
        return None
    return sequence.adapted_from_number, head_number


def lesson_upstream_changes(user: User, lesson: Lesson) -> tuple[int, int] | None:
    """The same for one lesson: its source lesson's text changed since it was copied."""
    if lesson.adapted_from_id is None or lesson.adapted_from_number is None:
        return None
    source = db.session.get(Lesson, lesson.adapted_from_id)
    if source is None or not policy.can_view_sequence(user, source.sequence):
        return None
    head_number = source.document.head_number
    if head_number <= lesson.adapted_from_number:
        return None
    return lesson.adapted_from_number, head_number


def carry_forward(user: User, source: Sequence, year: str) -> Sequence:
    """A copy of a sequence for the next academic year of its own Work Group.

    Made like an adaptation (its own history from revision 1, lessons copied, provenance to
    the original and its revision), so last year's sequence, with its reviews, research
    lessons and year, stays exactly as it was and the copy can be told when it changes. The
    copy starts as a draft: approvals belong to last year's revisions. The caller (starting
    a Work Group's new year) has checked that `user` may do this.
    """
    source_head = revisions.head_revision(source.document)
    assert source_head is not None  # every sequence is created with revision 1
    fields: dict[str, Any] = dict(source_head.fields)
    # The copy keeps its files and pictures. No quota check: the group already keeps this
    # content (stored once), and starting a year must not stop half-way through its plans.
    files = _plan_files(user, source, source.work_group_id, fields)
    document = revisions.new_document("sequence")
    copy = Sequence(document_id=document.id, work_group_id=source.work_group_id,
                    school_id=source.school_id, academic_year=year, title=fields["title"],
                    year_group=fields["year_group"], strand=fields["strand"],
                    visibility=source.visibility, status="draft",
                    created_by_id=source.created_by_id, adapted_from_id=source.id,
                    adapted_from_number=source_head.number)
    db.session.add(copy)
    db.session.flush()
    lessons = [_copy_lesson(user, lesson, copy, position, files)
               for position, lesson in enumerate(source.active_lessons, start=1)]
    fields["lessons"] = [{"id": lesson.id, "title": lesson.title} for lesson in lessons]
    fields = files.copy_into(("sequence", source.id), ("sequence", copy.id), fields)
    revisions.save_revision(document.id, user, fields, None,
                            f"Carried forward from {source.academic_year}: "
                            f"“{source_head.fields['title']}” revision {source_head.number}",
                            SEQUENCE_MARKDOWN_KEYS)
    services.sync_material_links(copy.id, None, fields)
    return copy
