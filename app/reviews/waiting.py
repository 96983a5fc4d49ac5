"""Reviews waiting for one person: the header's count and the dashboard's list.

"Waiting" is what the review queue lists first: open requests sent to this reviewer, on plans
the reviewer may still read. Readability comes from the visibility table's SQL filter
(app.visibility.SEQUENCE_READ), never from a hand-written check, so the count, the dashboard
and the queue (app.reviews.requests.queue, via policy.can_view_review) agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.orm import aliased, joinedload

from app import policy, visibility
from app.accounts.models import User
from app.extensions import db
from app.planning.models import Lesson, Sequence
from app.reviews.models import ReviewRequest


def waiting_clause(user: User) -> ColumnElement[bool]:
    """Open requests sent to `user` whose plan `user` may read."""
    readable = select(Sequence.id).where(visibility.sql_filter(user, visibility.SEQUENCE_READ))
    return and_(ReviewRequest.reviewer_id == user.id, ReviewRequest.status == "open",
                ReviewRequest.sequence_id.in_(readable))


def count_column(user: User) -> Any:
    """A scalar subquery: how many reviews wait for `user` (a column of a page's own query)."""
    return (select(func.count()).select_from(ReviewRequest).where(waiting_clause(user))
            .scalar_subquery())


@dataclass(frozen=True)
class WaitingReview:
    request: ReviewRequest
    #: The lesson's or sequence's current title.
    title: str
    sequence: Sequence


def _rows(where: ColumnElement[bool], limit: int) -> list[WaitingReview]:
    """Review requests matching `where`, oldest first, with their plans, in one statement."""
    lesson = aliased(Lesson)
    rows = db.session.execute(
        select(ReviewRequest, Sequence, lesson.title)
        .join(Sequence, Sequence.id == ReviewRequest.sequence_id)
        .outerjoin(lesson, and_(ReviewRequest.target_kind == "lesson",
                                lesson.id == ReviewRequest.target_id))
        .where(where)
        .options(joinedload(ReviewRequest.requested_by), joinedload(ReviewRequest.reviewer),
                 joinedload(ReviewRequest.school))
        .order_by(ReviewRequest.created_at, ReviewRequest.id).limit(limit))
    return [WaitingReview(request, lesson_title or sequence.title, sequence)
            for request, sequence, lesson_title in rows]


def waiting_for(user: User, limit: int = 10) -> list[WaitingReview]:
    """The oldest reviews waiting for `user`."""
    return _rows(waiting_clause(user), limit)


def open_in_group(user: User, work_group_id: int, limit: int = 20) -> list[WaitingReview]:
    """Open review requests on the Work Group's plans that `user` may see, oldest first."""
    readable = visibility.sql_filter(user, visibility.SEQUENCE_READ)
    rows = _rows(and_(ReviewRequest.work_group_id == work_group_id,
                      ReviewRequest.status == "open", readable), limit)
    # Reading the plan is necessary, not sufficient: the review rule adds who asked, who
    # reviews, the group's members and those who may decide (policy.can_view_review).
    return [row for row in rows if policy.can_view_review(user, row.request, row.sequence)]
