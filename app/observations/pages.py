"""What the research lesson pages and a lesson's research panel show, checked for the reader."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import Integer, bindparam, select
from sqlalchemy.orm import joinedload

from app import revisions, visibility
from app.accounts.models import User
from app.extensions import db
from app.observations import permissions
from app.observations.agreed_changes import can_edit_lesson, in_order_taught
from app.observations.models import (
    AgreedChange,
    ResearchLesson,
)
from app.observations.research_lessons import (
    get_research_lesson,
    tied_session,
    visible_research_lessons,
)
from app.planning.models import Lesson
from app.revisions.models import Revision


@dataclass
class ResearchLessonPage:
    research_lesson: ResearchLesson
    #: The plan as taught (app.revisions.pages.Reading of the pinned revision).
    reading: Any
    head_number: int
    can_edit: bool
    can_observe: bool
    can_discuss: bool
    can_manage_changes: bool
    can_address: bool
    #: Revisions saved after the one taught, newest first (to mark a change addressed).
    later_revisions: list[Revision]
    thread: Any
    #: The Work Group session it belongs to (app.workgroups.models.WorkGroupSession), or None.
    session: Any = None


def research_lesson_page(user: User, research_lesson_id: int) -> ResearchLessonPage:
    """Everything the research lesson page shows, checked for this reader."""
    from app.comments import services as comments
    from app.planning import history

    rl = get_research_lesson(user, research_lesson_id)
    reading = history.reading("lesson", rl.revision, history.link_resolver(user))
    head_number = rl.lesson.document.head_number
    later = [r for r in revisions.list_revisions(rl.document_id) if r.number > rl.revision_number]
    return ResearchLessonPage(
        research_lesson=rl, reading=reading, head_number=head_number,
        can_edit=permissions.can_edit_research_lesson(user, rl),
        can_observe=permissions.can_record_observation(user, rl),
        can_discuss=permissions.can_record_discussion(user, rl),
        can_manage_changes=permissions.can_manage_agreed_changes(user, rl),
        can_address=permissions.can_address_agreed_change(user, rl),
        later_revisions=later,
        thread=comments.load_thread(user, "observation", rl.id), session=tied_session(rl))


def list_page(user: User, work_group_id: int | None = None) -> list[ResearchLesson]:
    """Research lessons the user may see (of one Work Group, when given), newest first."""
    return visible_research_lessons(user, work_group_id=work_group_id)


@dataclass
class LessonPanel:
    """The research lessons and open agreed changes shown on a lesson's page."""

    lesson: Lesson
    research_lessons: list[ResearchLesson]
    open_changes: list[AgreedChange]
    can_schedule: bool
    can_revise: bool


@cache
def _panel_query() -> Any:
    return (select(ResearchLesson)
            .where(ResearchLesson.lesson_id == bindparam("lesson_id", type_=Integer))
            .options(joinedload(ResearchLesson.teacher), joinedload(ResearchLesson.observations),
                     joinedload(ResearchLesson.agreed_changes))
            .order_by(ResearchLesson.taught_on.desc(), ResearchLesson.id.desc()))


def lesson_panel(user: User, lesson: Lesson) -> LessonPanel:
    """Visible research lessons and open agreed changes of a lesson the user can already see.

    One statement: the research lessons with their teachers, observations and agreed changes
    (a lesson view has a budget of five)."""
    # A lesson has a handful of research lessons: load them all in one prepared statement
    # and keep those the rule's predicate allows (the property test holds it equal to the
    # SQL filter, which costs more to build than this whole query costs to run).
    research_lessons = [rl for rl in db.session.scalars(
        _panel_query(), {"lesson_id": lesson.id}).unique()
        if visibility.allows(user, visibility.RESEARCH_LESSON_READ, rl)]
    open_changes = [change for _key, change in sorted(
        ((in_order_taught(rl, change), change) for rl in research_lessons
         for change in rl.agreed_changes if change.status == "open"),
        key=lambda entry: entry[0])]
    return LessonPanel(lesson, research_lessons, open_changes,
                       can_schedule=permissions.can_schedule_research_lesson(user, lesson)
                       and lesson.archived_at is None,
                       can_revise=can_edit_lesson(user, lesson) and lesson.archived_at is None)
