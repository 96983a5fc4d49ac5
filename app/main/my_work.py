"""The dashboard's "my work": my drafts, recent plans, lessons to observe, reviews waiting for
me, agreed changes on my plans and my Work Groups.

Each panel is one statement filtered by the visibility table's SQL filter for what it lists
(app.visibility.sql_filter), so the dashboard never shows what the reader could not open, and
its cost does not grow with the number of plans (tests/test_planning_home.py counts it).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from app import policy, visibility
from app.accounts.models import User, WorkGroup
from app.extensions import db
from app.observations.models import (
    AgreedChange,
    Observation,
    ResearchLesson,
    ResearchLessonObserver,
)
from app.planning.models import Lesson, Sequence
from app.reviews.waiting import WaitingReview, waiting_for
from app.workgroups import dates

#: Rows per panel; each panel links to the full list.
SHOWN = 8


def visible_groups(user: User) -> list[WorkGroup]:
    """Work Groups the reader may see, newest year first, with what their cards show."""
    return list(db.session.scalars(
        select(WorkGroup).where(visibility.sql_filter(user, visibility.WORK_GROUP_READ))
        .options(joinedload(WorkGroup.hub), joinedload(WorkGroup.lead),
                 selectinload(WorkGroup.schools), selectinload(WorkGroup.memberships))
        .order_by(WorkGroup.academic_year.desc(), WorkGroup.project_code)))


def my_drafts(user: User) -> list[Sequence]:
    """Sequences I started that are still drafts."""
    return list(db.session.scalars(
        select(Sequence).where(Sequence.created_by_id == user.id, Sequence.status == "draft",
                               Sequence.archived_at.is_(None),
                               visibility.sql_filter(user, visibility.SEQUENCE_READ))
        .options(joinedload(Sequence.work_group))
        .order_by(Sequence.updated_at.desc(), Sequence.id.desc()).limit(SHOWN)))


def recent_plans(user: User) -> list[Sequence]:
    """Plans of my Work Groups changed most recently (my own drafts are listed above)."""
    mine_drafted = and_(Sequence.created_by_id == user.id, Sequence.status == "draft")
    return list(db.session.scalars(
        select(Sequence).where(Sequence.work_group_id.in_(policy.work_group_ids(user)),
                               Sequence.archived_at.is_(None), ~mine_drafted,
                               visibility.sql_filter(user, visibility.SEQUENCE_READ))
        .options(joinedload(Sequence.work_group), joinedload(Sequence.school))
        .order_by(Sequence.updated_at.desc(), Sequence.id.desc()).limit(SHOWN)))


@dataclass(frozen=True)
class ToObserve:
    research_lesson: ResearchLesson
    #: True once the lesson has been taught (my record is what is missing).
    taught: bool


def to_observe(user: User, today: dt.date | None = None) -> list[ToObserve]:
    """Research lessons I am invited to observe and have not recorded yet, soonest first."""
    day = today or dates.today()
    recorded = exists().where(Observation.research_lesson_id == ResearchLesson.id,
                              Observation.observer_id == user.id)
    rows = db.session.scalars(
        select(ResearchLesson)
        .join(ResearchLessonObserver,
              and_(ResearchLessonObserver.research_lesson_id == ResearchLesson.id,
                   ResearchLessonObserver.user_id == user.id))
        .where(~recorded, visibility.sql_filter(user, visibility.RESEARCH_LESSON_READ))
        .options(joinedload(ResearchLesson.lesson), joinedload(ResearchLesson.teacher),
                 joinedload(ResearchLesson.school), joinedload(ResearchLesson.work_group))
        .order_by(ResearchLesson.taught_on, ResearchLesson.id).limit(SHOWN))
    return [ToObserve(rl, rl.taught_on <= day) for rl in rows]


def changes_on_my_plans(user: User) -> list[AgreedChange]:
    """Open agreed changes on lessons of sequences I started, or research lessons I taught."""
    return list(db.session.scalars(
        select(AgreedChange)
        .join(AgreedChange.research_lesson).join(ResearchLesson.lesson).join(Lesson.sequence)
        .where(AgreedChange.status == "open",
               or_(Sequence.created_by_id == user.id, ResearchLesson.teacher_id == user.id),
               visibility.sql_filter(user, visibility.AGREED_CHANGE_READ))
        .options(contains_eager(AgreedChange.research_lesson).contains_eager(
            ResearchLesson.lesson).contains_eager(Lesson.sequence))
        .order_by(AgreedChange.created_at, AgreedChange.id).limit(SHOWN)))


@dataclass
class MyWork:
    groups: list[WorkGroup]
    drafts: list[Sequence]
    recent: list[Sequence]
    to_observe: list[ToObserve]
    reviews: list[WaitingReview]
    changes: list[AgreedChange]

    @property
    def in_a_group(self) -> bool:
        return bool(self.groups)


def my_work(user: User, today: dt.date | None = None) -> MyWork:
    """Everything the dashboard lists for this reader."""
    return MyWork(groups=visible_groups(user), drafts=my_drafts(user),
                  recent=recent_plans(user), to_observe=to_observe(user, today),
                  reviews=waiting_for(user, SHOWN), changes=changes_on_my_plans(user))
