"""Review logic: ask for a review, the reviewer's queue and screen, decisions, approvals.

Reads go through app.planning (history.get_subject), so a plan the user may not see is NotFound
here too. Permission questions go to the review rules in app/reviews/permissions.py (which move
into app/policy.py).
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import or_, select

from app.accounts.models import Membership, MembershipRole, School, User
from app.accounts.services import audit
from app.core.diffing import FieldChange, diff_snapshots
from app.core.markdown import render_markdown
from app.errors import Forbidden, NotFound, RevisionConflict, ValidationError
from app.extensions import db
from app.notifications.services import auto_watch, notify, site_path
from app.planning import history, revisions
from app.planning.history import Kind, Subject
from app.planning.models import STATUSES, Lesson, Revision, Sequence
from app.reviews import permissions
from app.reviews.models import DECISIONS, TARGET_KINDS, Approval, ReviewDecision, ReviewRequest
from app.reviews.models import ReviewFieldComment as FieldComment
from app.timeutil import utcnow

MAX_NOTE = 2_000
MAX_COMMENT = 20_000


# --- targets ----------------------------------------------------------------------------------


def get_target(user: User, kind: str, item_id: int) -> Subject:
    """The lesson or sequence to review, if the user may read it; NotFound otherwise."""
    if kind not in TARGET_KINDS:
        raise NotFound()
    return history.get_subject(user, kind, item_id)  # type: ignore[arg-type]


def review_url(request: ReviewRequest) -> str:
    return site_path("reviews.review", review_id=request.id)


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


# --- asking for a review ------------------------------------------------------------------------


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
    _refresh_status(user, request, target)
    auto_watch(user, kind, item_id)
    if reviewer_id != user.id:
        notify(reviewer_id, "review_requested",
               f"{user.display_name} asked you to review revision {number} of "
               f"“{target.title}” for {choice.school.name}.", review_url(request))
    return request


# --- the queue --------------------------------------------------------------------------------


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
    model = Lesson if request.target_kind == "lesson" else Sequence
    item = db.session.get(model, request.target_id)
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


# --- the review screen ------------------------------------------------------------------------


@dataclass(frozen=True)
class NoVersion:
    """Stands for "nothing approved yet" on the left of a first review's diff."""

    number: int = 0


@dataclass
class ReviewDiff:
    """Changes from the last approved revision (or from nothing) to the one under review.

    Shaped like planning.history.Comparison so the planning `_diff.html` macros render it.
    """

    subject: Subject
    older: Revision | NoVersion
    newer: Revision
    changes: list[FieldChange]
    unchanged: list[str]
    positions: dict[str, dict[Hashable, int]]

    def noun(self, key: str) -> str:
        return history.ITEM_NOUNS.get(key, "Item")

    def position(self, key: str, item_key: Hashable) -> int | None:
        return self.positions.get(key, {}).get(item_key)

    @property
    def is_first(self) -> bool:
        return isinstance(self.older, NoVersion)


def display_fields(kind: str, fields: dict[str, Any]) -> dict[str, Any]:
    """A snapshot with codes swapped for the labels teachers read (sequences only)."""
    if kind != "sequence":
        return fields
    shown = dict(fields)
    if fields.get("year_group"):
        shown["year_group"] = history.YEAR_LABELS.get(fields["year_group"], fields["year_group"])
    if fields.get("strand"):
        shown["strand"] = history.STRAND_LABELS.get(fields["strand"], fields["strand"])
    shown["big_ideas"] = [history.BIG_IDEA_LABELS.get(c, c) for c in fields.get("big_ideas", [])]
    return shown


def review_diff(subject: Subject, older: Revision | None, newer: Revision) -> ReviewDiff:
    """Field changes from `older` (None: an empty plan) to `newer`."""
    old_fields = display_fields(subject.kind, older.fields) if older is not None else {}
    new_fields = display_fields(subject.kind, newer.fields)
    every = diff_snapshots(old_fields, new_fields, subject.diff_fields)
    positions = {key: {_item_key(item): n for n, item in enumerate(value, start=1)}
                 for key, value in new_fields.items() if isinstance(value, list)}
    return ReviewDiff(subject, older if older is not None else NoVersion(), newer,
                      [c for c in every if c.kind != "unchanged"],
                      [c.label for c in every if c.kind == "unchanged" and new_fields.get(c.key)],
                      positions)


def _item_key(item: Any) -> Hashable:
    """The identity diffing gives a list item (as planning.history does): a dict's id."""
    if isinstance(item, dict):
        return item.get("id", item.get("material_id", repr(item)))
    return item if isinstance(item, Hashable) else repr(item)


@dataclass
class Evidence:
    title: str
    url: str
    text: str


@dataclass
class ReviewScreen:
    request: ReviewRequest
    subject: Subject
    #: The approval the diff starts from (None on a first review).
    base: Approval | None
    diff: ReviewDiff
    #: The revision shown, and the one a decision now would be about.
    shown: Revision
    evidence: list[Evidence]
    can_decide: bool
    #: Why approving is not open to this user (their own revision), shown beside the form.
    approve_blocked: str | None
    decisions: list[ReviewDecision] = field(default_factory=list)

    @property
    def stale(self) -> bool:
        """A newer revision was saved after the one the author submitted."""
        return self.request.is_open and self.shown.number > self.request.revision_number

    @property
    def school_is_owner(self) -> bool:
        return self.request.school_id == self.subject.sequence.school_id


def current_approval(document_id: int, school_id: int) -> Approval | None:
    """The revision now approved for the school, if any (the newest approval)."""
    return db.session.scalar(select(Approval).where(
        Approval.document_id == document_id, Approval.school_id == school_id)
        .order_by(Approval.id.desc()).limit(1))


def _base_approval(request: ReviewRequest) -> Approval | None:
    """The last approval for the school before this request's own (if it has one)."""
    query = select(Approval).where(Approval.document_id == request.document_id,
                                   Approval.school_id == request.school_id)
    own = db.session.scalar(select(Approval.id).where(Approval.request_id == request.id))
    if own is not None:
        query = query.where(Approval.id < own)
    return db.session.scalar(query.order_by(Approval.id.desc()).limit(1))


def review_screen(user: User, request_id: int) -> ReviewScreen:
    """Everything the reviewer needs: the diff since the school's last approved revision,
    the evidence behind it, earlier decisions, and whether this user may decide."""
    request, subject = get_request(user, request_id)
    if request.is_open:
        number = subject.head_number
    else:
        decided = [d.revision_number for d in request.decisions if d.decision != "comment"]
        number = decided[-1] if decided else request.revision_number
    shown = revisions.get_revision(subject.document_id, number)
    base = _base_approval(request)
    if base is None:
        diff = review_diff(subject, None, shown)
    elif base.revision_number == shown.number:
        diff = ReviewDiff(subject, shown, shown, [], [], {})
    else:
        approved = revisions.get_revision(subject.document_id, base.revision_number)
        older, newer = sorted((approved, shown), key=lambda r: r.number)
        diff = review_diff(subject, older, newer)
    sequence = subject.sequence
    can_decide = request.is_open and permissions.can_review_for(user, sequence, request.school_id)
    return ReviewScreen(
        request, subject, base, diff, shown,
        evidence_for(user, subject.item, base.revision_number if base else 0, shown.number),
        can_decide, permissions.own_revision_reason(user, shown) if can_decide else None,
        list(request.decisions))


def evidence_for(user: User, item: Lesson | Sequence, from_number: int,
                 to_number: int) -> list[Evidence]:
    """The observations and agreed changes behind a change, from the observations feature.

    It registers `app.extensions["coplan.review_evidence"]`: a callable (user, lesson or
    sequence, from revision number (0: nothing approved yet), to revision number) returning
    (title, url, text) tuples. Without it there is simply no evidence section.
    """
    provider = current_app.extensions.get("coplan.review_evidence")
    if provider is None:
        return []
    return [Evidence(str(title), str(url), str(text))
            for title, url, text in provider(user, item, from_number, to_number)]


# --- deciding ---------------------------------------------------------------------------------


def decide(user: User, request_id: int, decision: str, comment: str,
           field_comments: dict[str, str], revision_number: int | None) -> ReviewDecision:
    """Record a reviewer's decision on the revision they were shown.

    Approving pins that revision for the request's school. Raises Forbidden for anyone who
    may not review for the school and for authors approving their own revision, and
    RevisionConflict when a newer revision was saved after the screen was loaded.
    """
    request, subject = get_request(user, request_id)
    sequence = subject.sequence
    school_name = request.school.name
    if not permissions.can_review_for(user, sequence, request.school_id):
        raise Forbidden(f"Only {school_name}'s subject leader or the Work Group Lead can "
                        f"review this for {school_name}.")
    if not request.is_open:
        raise ValidationError("This review is already closed. Ask the author to request a new "
                              "review if the plan has changed.")
    errors: dict[str, str] = {}
    if decision not in DECISIONS:
        errors["decision"] = "Choose approve, ask for changes or comment."
    comment = comment.strip()
    if len(comment) > MAX_COMMENT:
        errors["comment"] = f"Keep the comment under {MAX_COMMENT:,} characters."
    labels = dict(subject.diff_fields)
    anchored: list[tuple[str, str]] = []
    for key, text in field_comments.items():
        text = text.strip()
        if not text:
            continue
        if key not in labels:
            errors["comment"] = "A comment was for a part of the plan that does not exist."
        elif len(text) > MAX_COMMENT:
            errors[f"field__{key}"] = f"Keep the comment under {MAX_COMMENT:,} characters."
        else:
            anchored.append((key, text))
    if decision in ("request_changes", "comment") and not (comment or anchored):
        errors["comment"] = ("Say what should change." if decision == "request_changes"
                             else "Write your comment.")
    if errors:
        raise ValidationError(fields=errors)
    head = subject.head_number
    if revision_number != head:
        raise RevisionConflict(f"Revision {head} was saved after you opened this review. "
                               "Reload the review to see the newer changes, then decide.")
    revision = revisions.get_revision(subject.document_id, head)
    if decision == "approve":
        reason = permissions.own_revision_reason(user, revision)
        if reason:
            raise Forbidden(reason)
    order = [key for key, _label in subject.diff_fields]
    anchored.sort(key=lambda pair: order.index(pair[0]))
    record = ReviewDecision(
        request=request, revision_number=head, reviewer_id=user.id, decision=decision,
        comment=comment, comment_html=str(render_markdown(comment)) if comment else "",
        field_comments=[FieldComment(field_key=key, field_label=labels[key], text=text,
                                     html=str(render_markdown(text))) for key, text in anchored])
    db.session.add(record)
    now = utcnow()
    if decision == "approve":
        db.session.add(Approval(document_id=subject.document_id, revision_number=head,
                                school_id=request.school_id, approved_by_id=user.id,
                                approved_at=now, request_id=request.id))
        request.status, request.outcome, request.closed_at = "closed", "approved", now
        audit(user, "review.approved", f"{subject.kind.title()} “{subject.title}”",
              f"Revision {head} approved for {school_name}",
              work_group_id=sequence.work_group_id)
    elif decision == "request_changes":
        request.status, request.outcome, request.closed_at = "closed", "changes_requested", now
    db.session.flush()
    _refresh_status(user, request, subject)
    auto_watch(user, subject.kind, subject.id)
    if request.requested_by_id != user.id:
        verb = {"approve": "approved", "request_changes": "asked for changes to",
                "comment": "commented on"}[decision]
        notify(request.requested_by_id, "decision_made",
               f"{user.display_name} {verb} revision {head} of “{subject.title}” "
               f"for {school_name}.", review_url(request))
    return record


def _refresh_status(user: User, request: ReviewRequest, subject: Subject) -> None:
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


# --- approved versions, for readers -------------------------------------------------------------


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


def approval_banner(user: User, document, school_id: int | None = None, *,
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
    for approval in db.session.scalars(select(Approval).where(
            Approval.document_id == document.id).order_by(Approval.id)):
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
                        chosen.approved_at, document.head_number, others)


def approved_page(user: User, kind: Kind, item_id: int,
                  school_id: int | None = None) -> tuple[history.RevisionPage, ApprovalView]:
    """The approved revision of a lesson or sequence as a reader sees it; NotFound when
    nothing is approved (for that school)."""
    subject = get_target(user, kind, item_id)
    view = approval_banner(user, subject.item.document, school_id, item=subject.item)
    if view is None:
        raise NotFound("Nothing has been approved here yet.")
    return history.revision_page(user, kind, item_id, view.revision_number), view
