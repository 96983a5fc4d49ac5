"""Work Group pages: "before the next session" (to project at the meeting) and the activity feed."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, literal_column, select, union_all
from sqlalchemy.orm import QueryableAttribute

from app import policy, signals
from app.accounts.models import User, WorkGroup
from app.errors import NotFound, ValidationError
from app.extensions import db
from app.notifications.services import site_path
from app.planning.models import Lesson, Sequence
from app.reviews import permissions
from app.reviews.models import Approval, ReviewDecision, ReviewRequest
from app.revisions.models import Revision
from app.timeutil import aware

DEFAULT_WEEKS = 6
ACTIVITY_PAGE = 30


def get_group(user: User, group_id: int) -> WorkGroup:
    """A Work Group whose members' pages the user may see (members and the Lead)."""
    group = db.session.get(WorkGroup, group_id)
    if group is None or not permissions.can_view_group_digest(user, group):
        raise NotFound()
    return group


def _visible_sequences(user: User, group: WorkGroup) -> Select[int]:
    return select(Sequence.id).where(Sequence.work_group_id == group.id,
                                     policy.visible_sequences_clause(user))


def _documents(user: User, group: WorkGroup) -> dict[int, tuple[str, Lesson | Sequence]]:
    """Every sequence and lesson of the group the user may read, by document id."""
    sequences = db.session.scalars(select(Sequence).where(
        Sequence.id.in_(_visible_sequences(user, group))))
    found: dict[int, tuple[str, Lesson | Sequence]] = {}
    for sequence in sequences:
        found[sequence.document_id] = ("sequence", sequence)
        for lesson in sequence.lessons:
            found[lesson.document_id] = ("lesson", lesson)
    return found


# --- before the next session --------------------------------------------------------------------


def parse_since(value: str | None, group: WorkGroup) -> date:
    """?since=YYYY-MM-DD if given (400 when it is not a date), else the last session's date
    from the sessions feature, else six weeks ago."""
    if value:
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            raise ValidationError(f"“{value[:40]}” is not a date. Give the date as year-month-"
                                  "day, for example ?since=2025-01-30.") from None
    found = next((d for d in signals.answers(signals.last_session_date, group=group)
                  if d is not None), None)
    if isinstance(found, datetime):
        return found.date()
    if isinstance(found, date):
        return found
    return date.today() - timedelta(weeks=DEFAULT_WEEKS)


@dataclass
class ChangedPlan:
    kind: str
    item_id: int
    title: str
    sequence_title: str
    revisions: int
    authors: list[str]
    #: The revision before the first change in the period (0 for a plan new in the period).
    before: int
    head: int
    #: The lesson's place in its sequence (0 for the sequence itself), for ordering.
    position: int = 0

    @property
    def url(self) -> str:
        return site_path(f"planning.{self.kind}", **{f"{self.kind}_id": self.item_id})

    @property
    def compare_url(self) -> str | None:
        if self.before < 1:
            return None
        return site_path(f"planning.{self.kind}_compare", a=self.before, b=self.head,
                         **{f"{self.kind}_id": self.item_id})


@dataclass
class Section:
    """A block of the page from another feature: a heading and (title, url, text) items."""

    heading: str
    items: list[tuple[str, str, str]]


@dataclass
class SessionDigest:
    group: WorkGroup
    since: date
    since_given: bool
    changed: list[ChangedPlan]
    #: Open review requests with the title of the plan each is about.
    reviews: list[tuple[ReviewRequest, str]]
    sections: list[Section] = field(default_factory=list)


def since_last_session(user: User, group_id: int, since_value: str | None) -> SessionDigest:
    """Sequences changed, pending reviews and other features' sections (observations, open
    agreed changes) since a date, for a member or the Lead of the group."""
    group = get_group(user, group_id)
    since = parse_since(since_value, group)
    start = datetime.combine(since, datetime.min.time(), tzinfo=UTC)
    documents = _documents(user, group)
    changed: list[ChangedPlan] = []
    if documents:
        rows = db.session.execute(
            select(Revision.document_id, func.count(), func.min(Revision.number),
                   func.max(Revision.number))
            .where(Revision.document_id.in_(documents), Revision.created_at >= start)
            .group_by(Revision.document_id)).all()
        for document_id, count, first, last in rows:
            kind, item = documents[document_id]
            names = db.session.scalars(
                select(User.display_name).join(Revision, Revision.author_id == User.id)
                .where(Revision.document_id == document_id, Revision.created_at >= start)
                .group_by(User.id, User.display_name).order_by(User.display_name))
            sequence = item if isinstance(item, Sequence) else item.sequence
            changed.append(ChangedPlan(kind, item.id, item.title, sequence.title, count,
                                       list(names), first - 1, last,
                                       item.position if isinstance(item, Lesson) else 0))
    changed.sort(key=lambda c: (c.sequence_title.casefold(), c.position, c.item_id))
    reviews = [(r, documents[r.document_id][1].title) for r in db.session.scalars(
        select(ReviewRequest).where(
            ReviewRequest.work_group_id == group.id, ReviewRequest.status == "open",
            ReviewRequest.sequence_id.in_(_visible_sequences(user, group)))
        .order_by(ReviewRequest.created_at)) if r.document_id in documents]
    return SessionDigest(group, since, bool(since_value), changed, reviews,
                         _provided_sections(user, group, start))


def _provided_sections(user: User, group: WorkGroup, start: datetime) -> list[Section]:
    """Sections from other features through `app.signals.session_digest` (user, group,
    since datetime): each answer is a list of (heading, [(title, url, text)]) pairs, already
    limited to what the user may see."""
    answers = signals.answers(signals.session_digest, user=user, group=group, since=start)
    return [Section(str(heading), [(str(t), str(u), str(x)) for t, u, x in items])
            for answer in answers for heading, items in answer]


# --- activity -----------------------------------------------------------------------------------


@dataclass
class Event:
    at: datetime
    who: str
    what: str
    title: str
    url: str
    detail: str = ""

    def __post_init__(self) -> None:
        self.at = aware(self.at)  # SQLite hands back naive UTC


@dataclass
class ActivityPage:
    group: WorkGroup
    events: list[Event]
    page: int
    has_next: bool


def activity(user: User, group_id: int, page: int = 1) -> ActivityPage:
    """Saves of the group's plans the user may read, review requests, decisions and approvals,
    newest first, ACTIVITY_PAGE to a page."""
    group = get_group(user, group_id)
    sequences = _visible_sequences(user, group)
    documents = union_all(
        select(Sequence.document_id).where(Sequence.id.in_(sequences)),
        select(Lesson.document_id).where(Lesson.sequence_id.in_(sequences)))
    document_ids = select(documents.subquery().c.document_id)

    def tagged(kind: str, id_column: QueryableAttribute[int],
               at_column: QueryableAttribute[datetime]) -> Select[Any, int, datetime]:
        return select(literal_column(f"'{kind}'").label("kind"), id_column.label("id"),
                      at_column.label("at"))

    both = union_all(
        tagged("revision", Revision.id, Revision.created_at)
        .where(Revision.document_id.in_(document_ids)),
        tagged("request", ReviewRequest.id, ReviewRequest.created_at)
        .where(ReviewRequest.sequence_id.in_(sequences)),
        tagged("decision", ReviewDecision.id, ReviewDecision.created_at)
        .join(ReviewRequest, ReviewRequest.id == ReviewDecision.request_id)
        .where(ReviewRequest.sequence_id.in_(sequences), ReviewDecision.decision != "approve"),
        tagged("approval", Approval.id, Approval.approved_at)
        .where(Approval.document_id.in_(document_ids)),
    ).subquery()
    page = max(1, page)
    rows = db.session.execute(select(both).order_by(both.c.at.desc(), both.c.kind, both.c.id.desc())
                              .offset((page - 1) * ACTIVITY_PAGE).limit(ACTIVITY_PAGE + 1)).all()
    items = _documents(user, group)
    events = [_event(row.kind, row.id, items) for row in rows[:ACTIVITY_PAGE]]
    return ActivityPage(group, [e for e in events if e is not None], page,
                        len(rows) > ACTIVITY_PAGE)


def _target_url(kind: str, item: Any, endpoint_suffix: str = "", **extra: Any) -> str:
    return site_path(f"planning.{kind}{endpoint_suffix}", **{f"{kind}_id": item.id}, **extra)


def _event(kind: str, row_id: int, items: dict[int, tuple[str, Any]]) -> Event | None:
    """One line of the feed; None if its plan has since left the group (a moved lesson)."""
    # get_one: the ids come from the query just run in this transaction, so the rows exist.
    if kind == "revision":
        revision = db.session.get_one(Revision, row_id)
        if revision.document_id not in items:
            return None
        target_kind, item = items[revision.document_id]
        return Event(revision.created_at, revision.author.display_name,
                     f"saved revision {revision.number} of", item.title,
                     _target_url(target_kind, item, "_revision", number=revision.number),
                     revision.summary)
    if kind == "approval":
        approval = db.session.get_one(Approval, row_id)
        if approval.document_id not in items:
            return None
        target_kind, item = items[approval.document_id]
        return Event(approval.approved_at, approval.approved_by.display_name,
                     f"approved revision {approval.revision_number} of", item.title,
                     site_path(f"reviews.{target_kind}_approved", school=approval.school_id,
                               **{f"{target_kind}_id": item.id}),
                     f"For {approval.school.name}.")
    if kind == "request":
        request = db.session.get_one(ReviewRequest, row_id)
        who, at, anchor = request.requested_by.display_name, request.created_at, ""
        what = (f"asked {request.reviewer.display_name} to review revision "
                f"{request.revision_number} of")
    else:
        decision = db.session.get_one(ReviewDecision, row_id)
        request = decision.request
        who, at, anchor = decision.reviewer.display_name, decision.created_at, \
            f"#decision-{decision.id}"
        verb = "asked for changes to" if decision.decision == "request_changes" \
            else "commented on"
        what = f"{verb} revision {decision.revision_number} of"
    if request.document_id not in items:
        return None
    _target_kind, item = items[request.document_id]
    return Event(at, who, what, item.title,
                 site_path("reviews.review", review_id=request.id) + anchor,
                 f"For {request.school.name}.")
