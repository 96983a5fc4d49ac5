"""Helpers for the research-lesson and comment tests: make research lessons through the real
services, and a Work Group with the people those tests need."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from sqlalchemy import select

from app.accounts.models import User
from app.extensions import db
from app.observations import services
from app.observations.models import AgreedChange, ResearchLesson
from app.planning import services as planning
from tests.planning_helpers import make_plan


def schedule_data(teacher: SimpleNamespace, observers: list[SimpleNamespace] = (),
                  **extra: Any) -> dict[str, Any]:
    """The schedule form as a browser posts it."""
    return {"taught_on": "2025-01-30", "teacher_id": str(teacher.id), "year_group": "Y3",
            "kind": "research_lesson", "visibility": "work_group",
            "class_context": "28 pupils in mixed-attainment pairs; one teaching assistant.",
            "research_focus": "Does seeing 2s and 4s side by side help pupils explain doubling?",
            "key_point": "4x products are double the matching 2x products.",
            "difficult_points": "Pupils may double both factors.",
            "feedback_wanted": "Is array-then-number-line the right order?",
            "observers": [str(o.id) for o in observers], **extra}


def edit_lesson(app, user: SimpleNamespace, lesson_id: int, **fields: str) -> int:
    """Save a new revision of a lesson through the planning service; returns its number."""
    with app.app_context():
        author = db.session.get(User, user.id)
        lesson = planning.get_lesson(author, lesson_id)
        head = lesson.document.head_number
        data = {"title": lesson.title, **fields}
        result = planning.update_lesson(author, lesson_id, data, head, "Edited in a test.")
        db.session.commit()
        return result.head.number


def make_research_lesson(app, teacher: SimpleNamespace, lesson_id: int,
                         observers: list[SimpleNamespace] = (), **extra: Any) -> int:
    with app.app_context():
        user = db.session.get(User, teacher.id)
        research_lesson = services.schedule_research_lesson(
            user, lesson_id, schedule_data(teacher, observers, **extra))
        db.session.commit()
        return research_lesson.id


def add_change(app, user: SimpleNamespace, research_lesson_id: int, text: str = "Introduce the "
               "double number line before the array.", field_key: str = "representations") -> int:
    with app.app_context():
        change = services.add_agreed_change(db.session.get(User, user.id), research_lesson_id,
                                            text, field_key)
        db.session.commit()
        return change.id


def change_state(app, change_id: int) -> tuple[str, int | None]:
    with app.app_context():
        change = db.session.get(AgreedChange, change_id)
        return change.status, change.addressed_revision_number


def research_lesson_count(app) -> int:
    with app.app_context():
        return len(db.session.scalars(select(ResearchLesson.id)).all())


def build_world(app, make_work_group, make_user) -> SimpleNamespace:
    """A Work Group with two schools, its people, a plan, and an outsider in another group."""
    group = make_work_group()
    teacher = make_user("Sam Iqbal", group=group, school_id=group.school_ids[0],
                        email="s.iqbal@kestrelgate.example.org", roles=("lead_participant",))
    colleague = make_user("Ellie Marsden", group=group, school_id=group.school_ids[0])
    observer = make_user("Nadia Okafor", group=group, school_id=group.school_ids[1],
                         email="n.okafor@eskdyke.example.org")
    bystander = make_user("Owen Radley", group=group, school_id=group.school_ids[1])
    lead = make_user("Jo Castleford", group=group, roles=("work_group_lead",))
    other_group = make_work_group(hub_id=group.hub_id)
    outsider = make_user("Olive Outsider", group=other_group)
    plan = make_plan(app, teacher, group, lessons=2)
    return SimpleNamespace(group=group, teacher=teacher, colleague=colleague, observer=observer,
                           bystander=bystander, lead=lead, outsider=outsider,
                           other_group=other_group, plan=plan, lesson_id=plan.lesson_ids[0],
                           other_lesson_id=plan.lesson_ids[1])
