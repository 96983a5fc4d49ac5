"""Helpers for the session, action plan, board and overview tests: a Work Group of two
schools with its people, "today" frozen, and sessions and action plans made through the real
services."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

import pytest
from flask import render_template_string

from app.accounts.models import User
from app.extensions import db

#: "Today" in these tests: in the demo's year, between sessions 3 and 4.
TODAY = dt.date(2025, 2, 10)


def add_partials_page(flask_app) -> None:
    """A test-only page that includes the two Work Group partials exactly as the Work Group
    page and the dashboard do."""
    if "test_partials" in flask_app.view_functions:
        return

    def test_partials(group_id: int) -> str:
        from app.accounts.models import WorkGroup

        group = db.session.get(WorkGroup, group_id)
        return render_template_string(
            '{% include "workgroups/_year.html" %}'
            '{% include "workgroups/_next_session.html" %}', group=group)

    flask_app.add_url_rule("/test-partials/<int:group_id>", "test_partials", test_partials)


def freeze_today(monkeypatch: pytest.MonkeyPatch) -> dt.date:
    """Freeze "today" (England) so dates in 2024/25 are past or future as the tests need."""
    monkeypatch.setattr("app.workgroups.dates.today", lambda: TODAY)
    return TODAY


def build_world(make_work_group, make_user) -> SimpleNamespace:
    """A Work Group of two schools (A, B) with a Lead, people in each, and an outsider group."""
    group = make_work_group()
    other = make_work_group(code="NCP 24-12")
    school_a, school_b = group.school_ids
    return SimpleNamespace(
        group=group, other=other, school_a=school_a, school_b=school_b,
        lead=make_user(name="Jo Castleford", group=group, roles=("work_group_lead",)),
        teacher_a=make_user(name="Sam Iqbal", group=group,
                            roles=("lead_participant", "subject_leader"), school_id=school_a),
        colleague_a=make_user(name="Ellie Marsden", group=group, school_id=school_a),
        head_a=make_user(name="Priya Dunmore", group=group, roles=("headteacher",),
                         school_id=school_a),
        teacher_b=make_user(name="Rosa Kettlewell", group=group,
                            roles=("lead_participant",), school_id=school_b),
        head_b=make_user(name="Owen Radley", group=group, roles=("headteacher",),
                         school_id=school_b),
        outsider=make_user(name="Tom Ashdown", group=other, school_id=other.school_ids[0]),
    )


def user(user_ns: SimpleNamespace) -> User:
    """The database row for a factory user (inside an app context)."""
    return db.session.get(User, user_ns.id)


def session_form(**extra: Any) -> dict[str, Any]:
    """The session details form as a browser posts it."""
    return {"number": "3", "date": "2025-01-30", "start_time": "13:00", "end_time": "16:00",
            "kind": "research_lesson", "host_school_id": "", "title": "Research lesson: Year 3",
            "agenda": "1. Pre-lesson briefing\n2. Research lesson\n3. Post-lesson discussion",
            **extra}


def make_session(app, lead: SimpleNamespace, group: SimpleNamespace, **extra: Any) -> int:
    from app.workgroups import sessions

    with app.app_context():
        created = sessions.create_session(user(lead), group.id, session_form(**extra))
        db.session.commit()
        return created.id


def make_action_plan(app, author: SimpleNamespace, group: SimpleNamespace,
                     school_id: int) -> SimpleNamespace:
    from app.workgroups import action_plans

    with app.app_context():
        plan = action_plans.create_plan(user(author), group.id, school_id)
        db.session.commit()
        return SimpleNamespace(id=plan.id, document_id=plan.document_id)


def priority_form(base: int | None, area: str = "Lesson design / representations",
                  actions: list[dict[str, str]] | None = None, **extra: str) -> dict[str, str]:
    """The priority form as a browser posts it (actions as numbered rows)."""
    data = {"area": area, "intended_outcome": "One consistent bar-model layout in Y2-Y4.",
            "success_criteria": "Book looks show the same layout.",
            "evidence_links": "https://example.org/book-look", "rag": "amber", "summary": "",
            **extra}
    if base is not None:
        data["base_number"] = str(base)
    rows = actions if actions is not None else [
        {"action": "Agree layouts in a staff meeting", "due": "2025-04-04",
         "status": "in_progress"}]
    for n, row in enumerate(rows):
        for key, value in row.items():
            data[f"actions-{n}-{key}"] = value
    return data


def add_priority(app, author: SimpleNamespace, plan_id: int, area: str = "Lesson design",
                 **data: Any) -> str:
    """Add a priority through the service; returns its id."""
    from app.workgroups import action_plans

    with app.app_context():
        plan = action_plans.get_plan(user(author), plan_id)
        form = priority_form(None, area=area)
        rows = [{k.split("-", 2)[2]: v for k, v in form.items() if k.startswith("actions-0-")}]
        form = {k: v for k, v in form.items() if not k.startswith("actions-")}
        form["actions"] = rows
        form.update(data)
        _result, priority_id = action_plans.save_priority(
            user(author), plan_id, None, form, plan.document.head_number)
        db.session.commit()
        return priority_id


def head_number(app, plan_id: int) -> int:
    from app.workgroups.models import ActionPlan

    with app.app_context():
        return db.session.get(ActionPlan, plan_id).document.head_number


def page(response) -> str:
    return response.get_data(as_text=True)
