"""Work Group forms (app/workgroups/forms.py): what a Lead or teacher sees when a form or a
button carries something the page does not offer."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.workgroups.models import ActionPlan, ActionPlanSignOff, WorkGroupSession
from tests.workgroup_sessions_helpers import (
    build_world,
    freeze_today,
    make_action_plan,
    make_session,
    page,
    session_form,
)


@pytest.fixture
def world(make_work_group, make_user):
    return build_world(make_work_group, make_user)


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    freeze_today(monkeypatch)


def _error_beside(text: str, name: str) -> str:
    """The error message shown in the field named `name` (empty if none)."""
    found = re.search(rf'<p class="field-error" id="f-{name}-error">'
                      rf'<span class="visually-hidden">Error:</span> ([^<]*)</p>', text)
    return html.unescape(found.group(1)) if found else ""


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize("number", ["٣", "²", "99999999999"])
def test_a_session_number_in_other_digits_is_an_error_beside_it_and_stays_typed(
        app, client, login, world, number):
    login(world.lead)
    response = client.post(f"/work-groups/{world.group.id}/sessions/new",
                           data=session_form(number=number, title="Spring workshop"))
    assert response.status_code == 400
    text = page(response)
    assert _error_beside(text, "number").startswith(
        "Enter the session number as a whole number from 1 to 99")
    assert f'name="number" type="text" value="{number}"' in text
    assert 'value="Spring workshop"' in text
    assert _count(app, WorkGroupSession) == 0


def test_a_host_school_not_offered_is_an_error_beside_it(app, client, login, world):
    login(world.lead)
    response = client.post(f"/work-groups/{world.group.id}/sessions/new",
                           data=session_form(host_school_id="١"))
    assert response.status_code == 400
    assert _error_beside(page(response), "host_school_id") == \
        "Choose one of the Work Group's schools, or no host."
    assert _count(app, WorkGroupSession) == 0


def test_notes_with_a_forged_base_revision_never_overwrite(app, client, login, world):
    session_id = make_session(app, world.lead, world.group)
    login(world.teacher_a)
    assert client.post(f"/sessions/{session_id}/notes", data={
        "agenda": "First agenda\n", "notes": "", "base_number": "1"}).status_code == 302
    response = client.post(f"/sessions/{session_id}/notes", data={
        "agenda": "Forged agenda\n", "notes": "", "base_number": "²"})
    assert response.status_code == 409 and "Forged agenda" in page(response)


def test_starting_a_plan_without_naming_the_school_is_refused(app, client, login, world):
    login(world.teacher_a)
    for data in ({}, {"school_id": ""}, {"school_id": "²"}):
        response = client.post(f"/work-groups/{world.group.id}/action-plans", data=data)
        assert response.status_code == 400, data
        assert "Choose the school whose plan to start." in page(response), data
    assert _count(app, ActionPlan) == 0


def test_signing_off_a_version_not_offered_is_refused(app, client, login, world):
    plan = make_action_plan(app, world.teacher_a, world.group, world.school_a)
    login(world.head_a)
    for number in ("", "²", "99999999999"):
        response = client.post(f"/action-plans/{plan.id}/sign-off", data={"number": number})
        assert response.status_code == 400, number
        assert "Choose the version to sign off." in page(response), number
    assert _count(app, ActionPlanSignOff) == 0
