"""What a lesson or sequence page reads, in as few statements as the page allows.

A plan view has a budget of five SQL statements (tests/test_page_queries.py counts them):
the user with memberships (app.accounts.services.load_user_from_cookie), then one statement
here for the plan, its sequence and Work Group, its head revision and author, the adapted
source, the neighbours in the sequence and the reader's own bits (last visit, who changed it
since, watching, unread notifications), then one statement per panel (contributors, the
research panel, approvals; or lessons, approvals, adaptations on a sequence).

The plan's comment thread comes with the plan statement: the comments are outer-joined to it,
one row per comment (one row with no comment when there are none). The row's other columns
repeat on each row; the uncorrelated ones (unread count, reviews waiting, links epoch) are
computed once by the database and the correlated ones are single index look-ups, so a thread
of a few dozen comments costs less than a statement of its own would.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import DateTime, Integer, and_, bindparam, func, or_, select
from sqlalchemy.orm import aliased, contains_eager, joinedload

from app import policy
from app.accounts.models import Membership, MembershipRole, School, User
from app.comments.models import Comment
from app.errors import NotFound
from app.extensions import db
from app.notifications import header
from app.planning import presence
from app.planning.link_cache import epoch_column
from app.planning.models import Lesson, Sequence, Visit
from app.revisions.models import Document, Revision

#: Joins author names in one SQL string; no display name contains this control character.
_SEPARATOR = "\x1f"


@dataclass(frozen=True)
class Neighbour:
    id: int
    title: str


@dataclass
class PlanPage:
    """A plan the reader may see, with its head revision and the reader's own state."""

    item: Any  # the Lesson or Sequence
    head: Revision
    #: The revision the reader saw last time (None on a first visit).
    seen: int | None
    #: Others who saved revisions after `seen`, by name.
    since_authors: list[str]
    #: The links epoch (app.planning.link_cache), read with the page.
    links_epoch: int = 0
    previous: Neighbour | None = None
    next: Neighbour | None = None
    #: Every comment on the plan (removed ones too, shown as removed), oldest first.
    comments: list[Comment] = field(default_factory=list)
    #: Others with the plan open in the editor right now (app.planning.presence), by name.
    editing: list[str] = field(default_factory=list)
    #: A sequence page: one of the reader's schools, not the plan's, with a subject leader to
    #: ask to approve it there ("Request approval for my school"; app.reviews.adoption).
    adoption_school: int | None = None


#: The reader, bound when a page query runs (the statements are built once per process:
#: building them costs more CPU than running them).
READER = bindparam("reader_id", type_=Integer)
ITEM = bindparam("item_id", type_=Integer)
#: The oldest editor heartbeat that still counts (app.planning.presence.since).
PRESENCE_SINCE = bindparam("presence_since", type_=DateTime(timezone=True))


def _reader_columns(kind: str, item_id: Any) -> list[Any]:
    """Last visit, names of others who saved since, watching, unread count: one row's columns."""
    # Explicitly correlated: the author list nests two levels deep, where SQLAlchemy's
    # automatic correlation would give the inner select a `document` of its own (a cross join
    # over every document's revisions: wrong names, and a scan that grows with the corpus).
    seen = (select(Visit.number)
            .where(Visit.user_id == READER, Visit.document_id == Document.id)
            .correlate(Document).scalar_subquery())
    newer = (select(Revision.author_id)
             .where(Revision.document_id == Document.id, Revision.number > seen,
                    Revision.author_id != READER)
             .correlate(Document))
    authors = (select(func.aggregate_strings(User.display_name, _SEPARATOR))
               .where(User.id.in_(newer)).correlate(Document).scalar_subquery())
    return [seen.label("seen"), authors.label("since_authors"),
            header.watching_column(READER, kind, item_id).label("watching"),
            header.unread_column(READER).label("unread"),
            epoch_column().label("links_epoch")]


def _with_reviews_waiting(query: Any, user: User) -> Any:
    """The page query plus the header's "reviews waiting" count, a column of the same row.
    Built per reader (it carries the reader's visibility filter), unlike the cached query."""
    return query.add_columns(header.reviews_waiting_column(user).label("reviews_waiting"))


def _page(user: User, kind: str, item: Any, head: Revision, rows: list[Any]) -> PlanPage:
    row = rows[0]
    header.remember(user, unread=row.unread, reviews_waiting=row.reviews_waiting,
                    watching={(kind, item.id): bool(row.watching)})
    names = sorted(set(filter(None, (row.since_authors or "").split(_SEPARATOR))))
    comments = [r.page_comment for r in rows if r.page_comment is not None]
    return PlanPage(item, head, row.seen, names, row.links_epoch or 0, comments=comments)


def _with_comments(query: Any, kind: str, item_id: Any) -> Any:
    """The page query with the plan's comments (and their authors) outer-joined, oldest first."""
    comment = aliased(Comment, name="page_comment")
    return (query.add_columns(comment)
            .outerjoin(comment, and_(comment.target_type == kind, comment.target_id == item_id))
            .options(joinedload(comment.author), joinedload(comment.resolved_by))
            .order_by(comment.created_at, comment.id))


def _head_join(head: Any) -> Any:
    return and_(head.document_id == Document.id, head.number == Document.head_number)


@cache
def _lesson_query() -> Any:
    head = aliased(Revision)
    sibling = aliased(Lesson)

    def neighbour(column: Any, before: bool) -> Any:
        if before:
            placed = or_(sibling.position < Lesson.position,
                         and_(sibling.position == Lesson.position, sibling.id < Lesson.id))
            order: tuple[Any, ...] = (sibling.position.desc(), sibling.id.desc())
        else:
            placed = or_(sibling.position > Lesson.position,
                         and_(sibling.position == Lesson.position, sibling.id > Lesson.id))
            order = (sibling.position, sibling.id)
        return (select(column).where(sibling.sequence_id == Lesson.sequence_id,
                                     sibling.archived_at.is_(None), placed)
                .order_by(*order).limit(1).scalar_subquery())

    source = aliased(Lesson)
    return _with_comments(select(Lesson, head, *_reader_columns("lesson", Lesson.id),
                    neighbour(sibling.id, True).label("prev_id"),
                    neighbour(sibling.title, True).label("prev_title"),
                    neighbour(sibling.id, False).label("next_id"),
                    neighbour(sibling.title, False).label("next_title"),
                    presence.editors_column(Document.id, READER, PRESENCE_SINCE)
                    .label("editing"))
             .join(Document, Document.id == Lesson.document_id)
             .join(head, _head_join(head))
             .where(Lesson.id == ITEM)
             .options(contains_eager(Lesson.document),
                      joinedload(head.author),
                      joinedload(Lesson.sequence).joinedload(Sequence.work_group),
                      joinedload(Lesson.sequence).joinedload(Sequence.document),
                      joinedload(Lesson.adapted_from.of_type(source))
                      .joinedload(source.sequence).joinedload(Sequence.work_group),
                      joinedload(Lesson.adapted_from.of_type(source))
                      .joinedload(source.document)), "lesson", Lesson.id)


def lesson_page(user: User, lesson_id: int, now: datetime) -> PlanPage:
    """A lesson the user may read, with everything its page header needs (who else is editing
    it at `now` included); NotFound otherwise."""
    rows = list(db.session.execute(_with_reviews_waiting(_lesson_query(), user),
                                   {"reader_id": user.id, "item_id": lesson_id,
                                    "presence_since": presence.since(now)}))
    if not rows or not policy.can_view_sequence(user, rows[0].Lesson.sequence):
        raise NotFound()
    row = rows[0]
    lesson: Lesson = row.Lesson
    page = _page(user, "lesson", lesson, row[1], rows)
    page.editing = presence.names(row.editing)
    if lesson.archived_at is None:
        if row.prev_id is not None:
            page.previous = Neighbour(row.prev_id, row.prev_title)
        if row.next_id is not None:
            page.next = Neighbour(row.next_id, row.next_title)
    return page


@cache
def _adoption_column() -> Any:
    """The lowest id of the reader's schools, other than the plan's, that has a subject leader
    to ask, or NULL: read with the page so the adoption button costs no statement of its own
    (the POST checks the reviewer properly)."""
    leader = aliased(Membership)
    has_leader = (select(leader.id)
                  .join(MembershipRole, MembershipRole.membership_id == leader.id)
                  .where(leader.school_id == School.id, MembershipRole.role == "subject_leader")
                  .exists())
    mine = or_(School.id.in_(select(User.school_id).where(User.id == READER)),
               School.id.in_(select(Membership.school_id).where(Membership.user_id == READER)))
    return (select(func.min(School.id))
            .where(mine, School.id != Sequence.school_id, has_leader)
            .correlate(Sequence).scalar_subquery())


def _sequence_query() -> Any:
    head = aliased(Revision)
    source = aliased(Sequence)
    return _with_comments(select(Sequence, head, *_reader_columns("sequence", Sequence.id),
                                 _adoption_column().label("adoption_school"))
             .join(Document, Document.id == Sequence.document_id)
             .join(head, _head_join(head))
             .where(Sequence.id == ITEM)
             .options(contains_eager(Sequence.document),
                      joinedload(head.author),
                      joinedload(Sequence.work_group),
                      joinedload(Sequence.school),
                      joinedload(Sequence.adapted_from.of_type(source))
                      .joinedload(source.work_group),
                      joinedload(Sequence.adapted_from.of_type(source)).joinedload(source.school),
                      joinedload(Sequence.adapted_from.of_type(source))
                      .joinedload(source.document)), "sequence", Sequence.id)


def sequence_page(user: User, sequence_id: int) -> PlanPage:
    """A sequence the user may read, with everything its page header needs; NotFound otherwise."""
    rows = list(db.session.execute(_with_reviews_waiting(_sequence_query(), user),
                                   {"reader_id": user.id, "item_id": sequence_id}))
    if not rows or not policy.can_view_sequence(user, rows[0].Sequence):
        raise NotFound()
    page = _page(user, "sequence", rows[0].Sequence, rows[0][1], rows)
    page.adoption_school = rows[0].adoption_school
    return page
