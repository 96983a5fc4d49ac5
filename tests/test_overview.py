"""The Work Group Lead's overview: who may see it, what it counts, and a safe CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from app.accounts.models import School
from app.extensions import db
from tests.planning_helpers import make_plan
from tests.workgroup_sessions_helpers import (
    add_priority,
    build_world,
    freeze_today,
    make_action_plan,
    page,
    user,
)


@pytest.fixture
def world(make_work_group, make_user):
    return build_world(make_work_group, make_user)


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    freeze_today(monkeypatch)


def _in_school(world, school_id: int) -> SimpleNamespace:
    """The group as make_plan wants it, with the given school first."""
    others = [s for s in (world.school_a, world.school_b) if s != school_id]
    return SimpleNamespace(id=world.group.id, school_ids=[school_id, *others])


def test_only_the_lead_and_site_admins_see_the_overview(app, client, login, world, make_user):
    for path in (f"/work-groups/{world.group.id}/overview",
                 f"/work-groups/{world.group.id}/overview.csv"):
        for person, status in ((world.teacher_a, 403), (world.head_a, 403),
                               (world.outsider, 404), (world.lead, 200)):
            login(person)
            assert client.get(path).status_code == status, (person.display_name, path)
            client.post("/logout")
    admin = make_user(name="Site Admin", site_role="site_admin")
    login(admin)
    assert client.get(f"/work-groups/{world.group.id}/overview").status_code == 200
    client.post("/logout")
    # The Lead of one group has no overview of another.
    login(world.lead)
    assert client.get(f"/work-groups/{world.other.id}/overview").status_code == 404
    assert client.get("/work-groups/999999/overview").status_code == 404


def test_overview_counts_plans_sign_offs_and_sequences_per_school(app, client, login, world):
    make_plan(app, world.teacher_a, _in_school(world, world.school_a), lessons=1)
    make_plan(app, world.teacher_a, _in_school(world, world.school_a), lessons=1,
              title="Second plan")
    make_plan(app, world.teacher_b, _in_school(world, world.school_b), lessons=1)
    plan = make_action_plan(app, world.teacher_a, world.group, world.school_a)
    add_priority(app, world.teacher_a, plan.id, area="One", rag="red")
    add_priority(app, world.teacher_a, plan.id, area="Two", rag="green")
    login(world.head_a)
    client.post(f"/action-plans/{plan.id}/sign-off", data={"number": "3"})
    client.post("/logout")
    add_priority(app, world.teacher_a, plan.id, area="Three", rag="green")
    from app.workgroups import overview

    with app.app_context():
        data = overview.overview(user(world.lead), world.group.id)
        rows = {row.school_id: row for row in data.rows}
        a, b = rows[world.school_a], rows[world.school_b]
        assert (a.sequences, b.sequences) == (2, 1)
        assert (a.plan_status, a.plan_revision) == ("Signed off; newer draft", 4)
        assert a.rag == {"red": 1, "amber": 0, "green": 2}
        assert a.sign_off.revision_number == 3 and a.sign_off.signed_by.display_name == \
            "Priya Dunmore"
        assert (b.plan_status, b.plan_id, b.sign_off) == ("No plan yet", None, None)
    login(world.lead)
    html = page(client.get(f"/work-groups/{world.group.id}/overview"))
    assert "Signed off; newer draft" in html and "Revision 3 by <bdi>Priya Dunmore</bdi>" in html
    assert "1 red, 0 amber, 2 green" in html


def test_overview_counts_research_lessons_changes_and_study_logs(app, world):
    from app.materials import models as materials
    from app.observations import services as observations
    from app.observations.models import AgreedChange
    from app.workgroups import overview

    made = make_plan(app, world.teacher_a, _in_school(world, world.school_a), lessons=1)
    with app.app_context():
        teacher = user(world.teacher_a)
        held = observations.schedule_research_lesson(teacher, made.lesson_ids[0], {
            "taught_on": "2025-01-30", "teacher_id": str(teacher.id), "year_group": "Y3",
            "kind": "research_lesson", "visibility": "work_group", "observers": [],
            "research_focus": "Does doubling help?"})
        later = observations.schedule_research_lesson(teacher, made.lesson_ids[0], {
            "taught_on": "2025-06-12", "teacher_id": str(teacher.id), "year_group": "Y3",
            "kind": "research_lesson", "visibility": "work_group", "observers": [],
            "research_focus": "Does doubling help?"})
        db.session.flush()
        for text in ("Number line first", "Explicit non-example", "Shorter stem"):
            observations.add_agreed_change(teacher, held.id, text, "representations")
        db.session.flush()
        first = db.session.scalars(select(AgreedChange).order_by(AgreedChange.id)).first()
        first.status = "addressed"
        material = materials.Material(title="Segment 2.7", source="ncetm_primary",
                                      url="https://example.org/2-7", url_key="example.org/2-7")
        other = materials.Material(title="Segment 2.6", source="ncetm_primary",
                                   url="https://example.org/2-6", url_key="example.org/2-6")
        db.session.add_all([material, other])
        db.session.flush()
        for who, what, day in ((world.teacher_a, material, "2024-10-01"),
                               (world.colleague_a, material, "2024-11-01"),
                               (world.colleague_a, other, "2025-01-05"),
                               (world.teacher_a, other, "2023-06-01"),  # last year
                               (world.teacher_b, material, "2024-10-01")):
            db.session.add(materials.StudyLogEntry(user_id=who.id, material_id=what.id,
                                                   studied_on=dt.date.fromisoformat(day)))
        db.session.commit()
        assert later.id
        data = overview.overview(user(world.lead), world.group.id)
        rows = {row.school_id: row for row in data.rows}
        a, b = rows[world.school_a], rows[world.school_b]
        assert (a.research_lessons, a.changes_addressed, a.changes_open) == (1, 1, 2)
        assert (b.research_lessons, b.changes_addressed, b.changes_open) == (0, 0, 0)
        assert (a.pd_materials, b.pd_materials) == (2, 1)


def _csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def test_csv_has_a_header_and_injection_safe_cells(app, client, login, world):
    with app.app_context():
        db.session.get(School, world.school_a).name = '=HYPERLINK("http://evil.example","x")'
        db.session.get(School, world.school_b).name = "+Wrenfield;-1"
        db.session.commit()
    plan = make_action_plan(app, world.teacher_a, world.group, world.school_a)
    with app.app_context():
        from app.accounts.models import User

        db.session.get(User, world.lead.id).display_name = "@Lead -2+3"
        db.session.commit()
    login(world.lead)
    client.post(f"/action-plans/{plan.id}/sign-off", data={"number": "1"})
    response = client.get(f"/work-groups/{world.group.id}/overview.csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"].startswith("attachment; filename=")
    rows = _csv(response)
    from app.workgroups.overview import HEADER

    assert rows[0] == HEADER and len(rows) == 3
    assert all(len(row) == len(HEADER) for row in rows)
    by_school = {row[0]: dict(zip(HEADER, row, strict=True)) for row in rows[1:]}
    assert set(by_school) == {"'=HYPERLINK(\"http://evil.example\",\"x\")", "'+Wrenfield;-1"}
    signed = by_school["'=HYPERLINK(\"http://evil.example\",\"x\")"]
    assert signed["Signed off by"] == "'@Lead -2+3"
    assert signed["Action plan status"] == "Signed off" and signed["Last sign-off revision"] == "1"
    for row in rows:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@")), cell


def test_safe_cell_rules():
    from app.workgroups.overview import safe_cell

    assert [safe_cell(v) for v in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "plain", 3, None)] \
        == ["'=1+1", "'+1", "'-1", "'@SUM(A1)", "'\tx", "plain", "3", ""]
