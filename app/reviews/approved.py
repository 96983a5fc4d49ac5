"""Approved versions: which revision each school approved, the status a sequence gets from its
reviews, and the approved version as readers see it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from typing import Any

from sqlalchemy import Integer, bindparam, select
from sqlalchemy.orm import joinedload

from app import policy
from app.accounts.models import User
from app.accounts.services import audit
from app.errors import NotFound
from app.extensions import db
from app.planning import history
from app.planning.history import Kind, Subject
from app.planning.models import STATUSES, Lesson, Sequence
from app.reviews import permissions
from app.reviews.models import Approval, ReviewRequest
from app.reviews.targets import get_target
from app.revisions.models import Document


def current_approval(document_id: int, school_id: int) -> Approval | None:
    """The revision now approved for the school, if any (the newest approval)."""
    return db.session.scalar(select(Approval).where(
        Approval.document_id == document_id, Approval.school_id == school_id)
        .order_by(Approval.id.desc()).limit(1))


def refresh_status(user: User, request: ReviewRequest, subject: Subject) -> None:
    """A sequence's status follows reviews for its own school: in review while one is open,
    approved once a revision is approved, otherwise draft. Other schools' adoptions and lesson
    reviews leave it alone."""
    sequence = subject.sequence
    if subject.kind != "sequence" or request.school_id != sequence.school_id:
        return
    open_request = db.session.scalar(select(ReviewRequest.id).where(
        ReviewRequest.document_id == sequence.document_id,
        ReviewRequest.school_id == sequence.school_id,
        ReviewRequest.status == "open").limit(1))
    if open_request is not None:
        status = "in_review"
    elif current_approval(sequence.document_id, sequence.school_id) is not None:
        status = "approved"
    else:
        status = "draft"
    if status != sequence.status:
        audit(user, "sequence.status", sequence.title,
              f"{STATUSES.get(sequence.status, sequence.status)} → {STATUSES[status]}",
              work_group_id=sequence.work_group_id)
        sequence.status = status


@dataclass
class ApprovalView:
    """What a reader sees about the approved version of a lesson or sequence."""

    kind: Kind
    item_id: int
    school_id: int
    school_name: str
    revision_number: int
    approved_by: str
    approved_at: datetime
    head_number: int
    #: Other schools that approved a revision: (school name, revision number).
    others: list[tuple[str, int]] = field(default_factory=list)
    approval_id: int = 0
    #: A sequence's lessons were edited, added or archived since the approval.
    lessons_changed: bool = False

    @property
    def draft_changed(self) -> bool:
        """The current draft differs from the approved version (itself or its lessons)."""
        return not self.is_latest or self.lessons_changed

    @property
    def is_latest(self) -> bool:
        return self.revision_number == self.head_number

    @property
    def url_args(self) -> dict[str, int]:
        return {f"{self.kind}_id": self.item_id}


def _item_for_document(document_id: int) -> tuple[Kind, Lesson | Sequence] | None:
    sequence = db.session.scalar(select(Sequence).where(Sequence.document_id == document_id))
    if sequence is not None:
        return "sequence", sequence
    lesson = db.session.scalar(select(Lesson).where(Lesson.document_id == document_id))
    if lesson is not None:
        return "lesson", lesson
    return None


@cache
def _approvals_query() -> Any:
    # Built once per process: every plan view runs it.
    return (select(Approval).where(Approval.document_id == bindparam("document_id", type_=Integer))
            .order_by(Approval.id)
            .options(joinedload(Approval.school), joinedload(Approval.approved_by)))


def approval_banner(user: User, document: Document, school_id: int | None = None, *,
                    item: Lesson | Sequence | None = None) -> ApprovalView | None:
    """The approved version a reader should see: for their own school if it approved one,
    else the owning school's (or the school asked for). None when nothing is approved or the
    reader may not see the plan. Pass the page's lesson or sequence as `item` to save the
    queries that find it from the document."""
    if item is not None:
        kind: Kind = "lesson" if isinstance(item, Lesson) else "sequence"
    else:
        found = _item_for_document(document.id)
        if found is None:
            return None
        kind, item = found
    sequence = item if isinstance(item, Sequence) else item.sequence
    if not permissions.can_view_sequence(user, sequence):
        return None
    latest: dict[int, Approval] = {}
    for approval in db.session.scalars(_approvals_query(), {"document_id": document.id}):
        latest[approval.school_id] = approval
    if not latest:
        return None
    if school_id is not None:
        preferred = [school_id]
    else:
        preferred = sorted(permissions.school_ids(user)) + [sequence.school_id]
    chosen = next((latest[s] for s in preferred if s in latest), None)
    if chosen is None:
        return None
    others = sorted((a.school.name, a.revision_number) for s, a in latest.items()
                    if s != chosen.school_id)
    return ApprovalView(kind, item.id, chosen.school_id, chosen.school.name,
                        chosen.revision_number, chosen.approved_by.display_name,
                        chosen.approved_at, document.head_number, others, chosen.id,
                        kind == "sequence" and lessons_changed_since(chosen, sequence))


def approved_page(user: User, kind: Kind, item_id: int,
                  school_id: int | None = None) -> tuple[history.RevisionPage, ApprovalView]:
    """The approved revision of a lesson or sequence as a reader sees it; NotFound when
    nothing is approved (for that school)."""
    subject = get_target(user, kind, item_id)
    view = approval_banner(user, subject.item.document, school_id, item=subject.item)
    if view is None:
        raise NotFound("Nothing has been approved here yet.")
    return history.revision_page(user, kind, item_id, view.revision_number), view


@dataclass
class PinnedLesson:
    """A lesson as a sequence approval pinned it: the lesson and the revision approved, and
    whether the reader may still open it (a lesson moved since into a plan they cannot read
    is listed without its title or link)."""

    lesson: Lesson
    revision_number: int
    readable: bool = True


def lesson_heads(sequence: Sequence) -> dict[int, int]:
    """Lesson id -> head revision number, for the lessons a sequence approval would pin."""
    return {lesson.id: lesson.document.head_number for lesson in sequence.active_lessons}


def pinned_lessons(user: User, approval_id: int) -> list[PinnedLesson]:
    """The lessons a sequence approval pinned, in the sequence's order."""
    rows = db.session.execute(
        select(Lesson, Approval.revision_number)
        .join(Approval, Approval.document_id == Lesson.document_id)
        .where(Approval.sequence_approval_id == approval_id)
        .order_by(Lesson.position, Lesson.id)
        # Each lesson's sequence decides whether the reader may still open it: loaded here,
        # not one query per lesson.
        .options(joinedload(Lesson.sequence)))
    return [PinnedLesson(lesson, number, policy.can_view_sequence(user, lesson.sequence))
            for lesson, number in rows]


def lessons_changed_since(approval: Approval, sequence: Sequence) -> bool:
    """Whether the sequence's lessons differ from those the approval pinned (edited, added
    or archived since). An approval from before lessons were pinned has none: then any
    lesson saved after it counts as a change."""
    return sequence.id in _lessons_changed({sequence.id: approval})


def _lessons_changed(approvals: dict[int, Approval]) -> set[int]:
    """Of these sequences (id -> the approval to compare with), those whose lessons changed."""
    if not approvals:
        return set()
    lessons: dict[int, list[tuple[int, int, datetime]]] = {sequence_id: [] for sequence_id
                                                           in approvals}
    for sequence_id, lesson_id, head, updated in db.session.execute(
            select(Lesson.sequence_id, Lesson.id, Document.head_number, Lesson.updated_at)
            .join(Document, Document.id == Lesson.document_id)
            .where(Lesson.sequence_id.in_(approvals), Lesson.archived_at.is_(None))):
        lessons[sequence_id].append((lesson_id, head, updated))
    pinned: dict[int, dict[int, int]] = {approval.id: {} for approval in approvals.values()}
    for approval_id, lesson_id, number in db.session.execute(
            select(Approval.sequence_approval_id, Lesson.id, Approval.revision_number)
            .join(Lesson, Lesson.document_id == Approval.document_id)
            .where(Approval.sequence_approval_id.in_(pinned))):
        assert approval_id is not None  # the where clause
        pinned[approval_id][lesson_id] = number
    changed = set()
    for sequence_id, approval in approvals.items():
        rows, pins = lessons[sequence_id], pinned[approval.id]
        if pins:
            moved = pins != {lesson_id: head for lesson_id, head, _ in rows}
        else:
            moved = any(_aware(updated) > _aware(approval.approved_at) for *_, updated in rows)
        if moved:
            changed.add(sequence_id)
    return changed


#: A list's status for an approved sequence whose draft has changed since.
CHANGED_SINCE_APPROVAL = "Draft changed since approval"


def changed_since_approval(sequences: list[Sequence]) -> set[int]:
    """Ids of the approved sequences whose draft (itself or its lessons) has changed since the
    revision approved for their own school: a list says so instead of "Approved", as the
    sequence page does."""
    approved = {s.document_id: s for s in sequences if s.status == "approved"}
    if not approved:
        return set()
    newest: dict[int, Approval] = {}
    for approval in db.session.scalars(select(Approval).where(
            Approval.document_id.in_(approved)).order_by(Approval.id)):
        if approval.school_id == approved[approval.document_id].school_id:
            newest[approval.document_id] = approval
    heads = {doc: head for doc, head in db.session.execute(
        select(Document.id, Document.head_number).where(Document.id.in_(approved)))}
    changed = {approved[doc].id for doc, approval in newest.items()
               if approval.revision_number != heads[doc]}
    return changed | _lessons_changed({approved[doc].id: approval
                                       for doc, approval in newest.items()
                                       if approved[doc].id not in changed})


def _aware(moment: datetime) -> datetime:
    # SQLite hands timestamps back without their zone; they are stored in UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
