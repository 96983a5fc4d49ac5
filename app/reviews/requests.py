"""Asking for a review: the schools and reviewers a plan can be sent to, the request itself
(replacing an open one for the same school), and each person's queue.

Permission questions go to the review rules in app/reviews/permissions.py."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import or_, select

from app import revisions, signals
from app.accounts.models import Membership, MembershipRole, School, User
from app.errors import NotFound, ValidationError
from app.extensions import db
from app.planning.history import Subject
from app.planning.models import Lesson, Sequence
from app.reviews import permissions
from app.reviews.approved import refresh_status
from app.reviews.models import ReviewRequest
from app.reviews.targets import get_target
from app.revisions.models import Revision
from app.timeutil import utcnow

MAX_NOTE = 2_000


def reviewers_for(sequence: Sequence, school_id: int) -> list[User]:
    """Everyone who may decide a review of this plan for the school, by name."""
    rows = db.session.scalars(
        select(Membership).join(MembershipRole, MembershipRole.membership_id == Membership.id)
        .where(or_(
            (MembershipRole.role == "subject_leader") & (Membership.school_id == school_id),
            (MembershipRole.role == "work_group_lead")
            & (Membership.work_group_id == sequence.work_group_id))))
    people = {m.user.id: m.user for m in rows}
    if sequence.work_group.lead is not None:
        people.setdefault(sequence.work_group.lead.id, sequence.work_group.lead)
    found = [p for p in people.values() if permissions.can_review_for(p, sequence, school_id)]
    return sorted(found, key=lambda p: (p.display_name.casefold(), p.id))


@dataclass
class SchoolChoice:
    school: School
    reviewers: list[User]


@dataclass
class SubmitOptions:
    target: Subject
    choices: list[SchoolChoice]
    head: Revision


def submit_options(user: User, kind: str, item_id: int) -> SubmitOptions:
    """The schools the user may ask a review for, each with the people who can review it."""
    target = get_target(user, kind, item_id)
    sequence = target.sequence
    candidates = {sequence.school_id} | permissions.school_ids(user)
    choices = []
    for school_id in sorted(candidates):
        if not permissions.can_request_review(user, sequence, school_id):
            continue
        people = reviewers_for(sequence, school_id)
        school = db.session.get(School, school_id)
        if people and school is not None:
            choices.append(SchoolChoice(school, people))
    choices.sort(key=lambda c: (c.school.id != sequence.school_id, c.school.name))
    head = revisions.get_revision(target.document_id, target.head_number)
    return SubmitOptions(target, choices, head)


def submit_for_review(user: User, kind: str, item_id: int, school_id: int | None,
                      reviewer_id: int | None, note: str,
                      revision_number: int | None = None) -> ReviewRequest:
    """Ask a reviewer to look at a revision (the current one unless given) for a school.

    An open request for the same plan and school is replaced by this one.
    """
    options = submit_options(user, kind, item_id)
    target, sequence = options.target, options.target.sequence
    errors: dict[str, str] = {}
    choice = next((c for c in options.choices if c.school.id == school_id), None)
    if choice is None:
        errors["school_id"] = "Choose a school you may ask a review for."
    elif reviewer_id not in {p.id for p in choice.reviewers}:
        errors["reviewer_id"] = ("Choose the school's subject leader or the Work Group Lead "
                                 "from the list.")
    note = note.strip()
    if len(note) > MAX_NOTE:
        errors["note"] = f"Keep the note under {MAX_NOTE} characters."
    number = revision_number or target.head_number
    if not 1 <= number <= target.head_number:
        errors["revision_number"] = "That version does not exist."
    if errors:
        raise ValidationError(fields=errors)
    assert choice is not None and reviewer_id is not None
    now = utcnow()
    for old in db.session.scalars(select(ReviewRequest).where(
            ReviewRequest.document_id == target.document_id,
            ReviewRequest.school_id == choice.school.id, ReviewRequest.status == "open")):
        old.status, old.outcome, old.closed_at = "closed", "superseded", now
    request = ReviewRequest(document_id=target.document_id, target_kind=kind, target_id=item_id,
                            sequence_id=sequence.id, work_group_id=sequence.work_group_id,
                            revision_number=number, requested_by_id=user.id,
                            reviewer_id=reviewer_id, school_id=choice.school.id, note=note,
                            status="open", created_at=now)
    db.session.add(request)
    db.session.flush()
    refresh_status(user, request, target)
    # The notifications feature subscribes: the asker watches the plan, the reviewer is told.
    signals.send(signals.review_requested, review=request, subject=target, user=user)
    return request


@dataclass
class QueueRow:
    request: ReviewRequest
    title: str
    head_number: int

    @property
    def stale(self) -> bool:
        return self.request.is_open and self.head_number > self.request.revision_number


@dataclass
class Queue:
    waiting: list[QueueRow]
    asked: list[QueueRow]


def _rows(user: User, requests: list[ReviewRequest]) -> list[QueueRow]:
    rows = []
    for request in requests:
        sequence = db.session.get(Sequence, request.sequence_id)
        if sequence is None or not permissions.can_view_review(user, request, sequence):
            continue
        item = _item(request)
        rows.append(QueueRow(request, item.title, item.document.head_number))
    return rows


def queue(user: User, closed_limit: int = 20) -> Queue:
    """Open requests waiting for this reviewer, and the requests this user made."""
    waiting = db.session.scalars(select(ReviewRequest).where(
        ReviewRequest.reviewer_id == user.id, ReviewRequest.status == "open")
        .order_by(ReviewRequest.created_at, ReviewRequest.id))
    asked = db.session.scalars(select(ReviewRequest).where(
        ReviewRequest.requested_by_id == user.id)
        .order_by(ReviewRequest.status.desc(), ReviewRequest.created_at.desc(),
                  ReviewRequest.id.desc()).limit(closed_limit))
    return Queue(_rows(user, list(waiting)), _rows(user, list(asked)))


def _item(request: ReviewRequest) -> Lesson | Sequence:
    item: Lesson | Sequence | None
    if request.target_kind == "lesson":
        item = db.session.get(Lesson, request.target_id)
    else:
        item = db.session.get(Sequence, request.target_id)
    if item is None:
        raise NotFound()
    return item


def get_request(user: User, request_id: int) -> tuple[ReviewRequest, Subject]:
    """A review request the user may see, with its plan; NotFound otherwise."""
    request = db.session.get(ReviewRequest, request_id)
    if request is None:
        raise NotFound()
    sequence = db.session.get(Sequence, request.sequence_id)
    if sequence is None or not permissions.can_view_review(user, request, sequence):
        raise NotFound()
    return request, get_target(user, request.target_kind, request.target_id)
