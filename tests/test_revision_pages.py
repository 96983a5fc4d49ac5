"""The shared revision pages (templates/revisions/) as lessons, session notes and action plans
show them: each links to its own revision, compare and restore addresses."""

from __future__ import annotations

import pytest

from tests.planning_helpers import make_plan
from tests.test_planning_history import edit_lesson
from tests.workgroup_sessions_helpers import (
    add_priority,
    build_world,
    make_action_plan,
    make_session,
    page,
)


@pytest.fixture
def world(make_work_group, make_user):
    return build_world(make_work_group, make_user)


def test_each_history_page_links_to_its_own_revisions_and_comparison(app, client, login, world):
    plan = make_plan(app, world.teacher_a, world.group, lessons=1)
    lesson_id = plan.lesson_ids[0]
    edit_lesson(app, world.teacher_a, lesson_id, key_learning_point="Doubling twice.")
    session_id = make_session(app, world.lead, world.group, agenda="First agenda\n")
    action_plan = make_action_plan(app, world.teacher_a, world.group, world.school_a)
    add_priority(app, world.teacher_a, action_plan.id)
    login(world.teacher_a)
    client.post(f"/sessions/{session_id}/notes",
                data={"agenda": "Second agenda\n", "notes": "", "base_number": "1"})

    lesson = page(client.get(f"/lessons/{lesson_id}/history"))
    assert f'href="/lessons/{lesson_id}/revisions/1"' in lesson
    assert f'action="/lessons/{lesson_id}/compare"' in lesson
    assert "(current)" in lesson and "Restore" not in lesson  # restore is on each revision

    notes = page(client.get(f"/sessions/{session_id}/history"))
    assert "History of the session&#39;s notes" in notes and "(latest)" in notes
    assert f'action="/sessions/{session_id}/compare"' in notes
    assert f'action="/sessions/{session_id}/revisions/1/restore"' in notes

    plan_page = page(client.get(f"/action-plans/{action_plan.id}/history"))
    assert "History of the action plan" in plan_page
    assert f'href="/action-plans/{action_plan.id}/revisions/2"' in plan_page
    assert f'action="/action-plans/{action_plan.id}/compare"' in plan_page
    assert f'action="/action-plans/{action_plan.id}/revisions/1/restore"' in plan_page


def test_an_old_session_notes_revision_offers_compare_and_restore(app, client, login, world):
    session_id = make_session(app, world.lead, world.group, agenda="First agenda\n")
    login(world.teacher_a)
    client.post(f"/sessions/{session_id}/notes",
                data={"agenda": "Second agenda\n", "notes": "", "base_number": "1"})

    old = page(client.get(f"/sessions/{session_id}/revisions/1"))
    assert "You are viewing revision 1 of 2" in old and "First agenda" in old
    assert f"/sessions/{session_id}/compare?a=1&amp;b=2" in old  # compare with the latest
    assert f'action="/sessions/{session_id}/revisions/1/restore"' in old
    assert "Empty in this version." in old  # the notes were empty then

    latest = page(client.get(f"/sessions/{session_id}/revisions/2"))
    assert "this is the latest version" in latest and "Restore this version" not in latest
    assert f"/sessions/{session_id}/compare?a=1&amp;b=2" in latest  # what changed in it
