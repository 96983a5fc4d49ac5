"""A sequence review covers its lessons: each lesson's changes since the revision last approved
for the school, and, on approval, each lesson's revision pinned beside the sequence's.

A lesson's approvals are ordinary Approval rows (so the lesson page shows its approved
version too); those made by approving a sequence point at that sequence approval."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from app import revisions
from app.accounts.models import User
from app.errors import Forbidden, RevisionConflict
from app.extensions import db
from app.planning.history import Subject
from app.planning.models import Lesson, Sequence
from app.reviews.approved import lesson_heads
from app.reviews.models import Approval, ReviewRequest
from app.reviews.screen import ReviewDiff, review_diff
from app.revisions.models import Document, Revision


@dataclass
class LessonChange:
    """One lesson of a sequence under review: what changed since its last approval."""

    lesson: Lesson
    #: The lesson's approval the diff starts from (None: never approved for the school).
    base: Approval | None
    shown: Revision
    diff: ReviewDiff

    @property
    def changed(self) -> bool:
        return self.base is None or self.base.revision_number != self.shown.number


def _last_approval(document_id: int, school_id: int,
                   request_id: int | None = None) -> Approval | None:
    """The lesson's newest approval for the school, leaving out the given request's own."""
    query = select(Approval).where(Approval.document_id == document_id,
                                   Approval.school_id == school_id)
    if request_id is not None:
        query = query.where((Approval.request_id.is_(None)) | (Approval.request_id != request_id))
    return db.session.scalar(query.order_by(Approval.id.desc()).limit(1))


def _pinned_by_request(request: ReviewRequest) -> dict[int, int]:
    """Lesson document id -> revision number, as the request's approval pinned them."""
    rows = db.session.execute(select(Approval.document_id, Approval.revision_number).where(
        Approval.request_id == request.id, Approval.sequence_approval_id.is_not(None)))
    return {document_id: number for document_id, number in rows}


def lesson_changes(request: ReviewRequest, sequence: Sequence) -> list[LessonChange]:
    """Per lesson, in order: the diff from its last approved revision (or from nothing) to
    its current head, or, once the review approved them, to the revision it pinned."""
    pinned = _pinned_by_request(request) if request.outcome == "approved" else {}
    if pinned:
        lessons = [lesson for lesson in sequence.lessons if lesson.document_id in pinned]
    else:
        lessons = sequence.active_lessons
    found = []
    for lesson in lessons:
        number = pinned.get(lesson.document_id, lesson.document.head_number)
        shown = revisions.get_revision(lesson.document_id, number)
        base = _last_approval(lesson.document_id, request.school_id, request.id)
        subject = Subject("lesson", lesson)
        if base is not None and base.revision_number == shown.number:
            diff = ReviewDiff(subject, shown, shown, [], [], {})
        elif base is None:
            diff = review_diff(subject, None, shown)
        else:
            approved = revisions.get_revision(lesson.document_id, base.revision_number)
            older, newer = sorted((approved, shown), key=lambda r: r.number)
            diff = review_diff(subject, older, newer)
        found.append(LessonChange(lesson, base, shown, diff))
    return found


def pin_lessons(user: User, sequence: Sequence, approval: Approval,
                shown: dict[int, int] | None) -> None:
    """Approve, beside the sequence approval, the head revision of each of its lessons.

    `shown` is what the reviewer's screen listed (lesson id -> revision); when it no longer
    matches, a lesson was edited, added or archived since, and the reviewer must look again.
    """
    heads = lesson_heads(sequence)
    if shown is not None and shown != heads:
        raise RevisionConflict("A lesson of this sequence was changed after you opened this "
                               "review. Reload the review to see the newer changes, then "
                               "decide.")
    # As for the sequence itself: nobody approves a revision they wrote, lesson by lesson.
    own = db.session.scalars(
        select(Lesson.title)
        .join(Document, Document.id == Lesson.document_id)
        .join(Revision, (Revision.document_id == Document.id)
              & (Revision.number == Document.head_number))
        .where(Lesson.id.in_(list(heads)), Revision.author_id == user.id)).all()
    if own:
        raise Forbidden(f"You saved the latest version of “{own[0]}”, and authors may not "
                        "approve their own revision. Ask another subject leader or the Work "
                        "Group Lead to approve this sequence.")
    for lesson in sequence.active_lessons:
        db.session.add(Approval(
            document_id=lesson.document_id, revision_number=heads[lesson.id],
            school_id=approval.school_id, approved_by_id=user.id,
            approved_at=approval.approved_at, request_id=approval.request_id,
            sequence_approval_id=approval.id))
