"""Found in review of issue 14's first build: each test tries to break one guard from a second
user or with a resubmitted form (observer invitations, the new-year page, sequence approval)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from app.accounts.models import WorkGroup
from app.extensions import db
from app.observations.models import ResearchLesson
from app.planning.models import Sequence
from app.reviews.models import Approval
from app.revisions.models import Revision
from tests.observations_helpers import build_world, schedule_data
from tests.planning_helpers import make_plan
from tests.reviews_helpers import ask_review, build_team, client_for, edit_lesson, review_id_from


@pytest.fixture
def world(app, make_work_group, make_user):
    return build_world(app, make_work_group, make_user)


@pytest.fixture
def mailed(app, monkeypatch):
    app.config["MAIL_SERVER"] = "smtp.example.org"
    sent: list[tuple[str, str, str]] = []
    monkeypatch.setattr("app.notifications.feature_events.send_mail",
                        lambda to, subject, body: sent.append((to, subject, body)) or True)
    return sent


def test_an_observer_who_cannot_read_the_lesson_is_neither_mailed_nor_notified(
        app, client, login, world, mailed):
    secret = make_plan(app, world.teacher, world.group, lessons=1,
                       title="SECRET school-only plan", visibility="school")
    login(world.teacher)
    client.post(f"/lessons/{secret.lesson_ids[0]}/research-lessons/new",
                data=schedule_data(world.teacher, [world.observer], visibility="school"))
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ResearchLesson)) >= 1
    login(world.observer)
    assert "SECRET" not in client.get("/notifications").get_data(as_text=True)
    assert mailed == []


def test_the_new_year_page_neither_lists_nor_touches_plans_the_lead_cannot_read(
        app, client, login, world):
    secret = make_plan(app, world.teacher, world.group, lessons=1,
                       title="SECRET school-only plan", visibility="school")
    login(world.lead)
    assert client.get(f"/sequences/{secret.id}").status_code == 404
    page = client.get(f"/work-groups/{world.group.id}/new-year").get_data(as_text=True)
    assert "SECRET school-only plan" not in page
    year = re.search(r'name="from_year" value="([^"]+)"', page).group(1)
    data = {f"sequence-{world.plan.id}": "carry", f"sequence-{secret.id}": "archive",
            "from_year": year,
            "continuing": [str(u.id) for u in (world.teacher, world.colleague, world.observer,
                                                world.bystander)]}
    client.post(f"/work-groups/{world.group.id}/new-year", data=data)
    with app.app_context():
        kept = db.session.get(Sequence, secret.id)
        assert kept.archived_at is None and kept.academic_year == year


def test_submitting_the_new_year_page_twice_moves_the_group_on_once(
        app, client, login, make_work_group, make_user):
    group = make_work_group()
    lead = make_user("Jo Lead", group=group, roles=("work_group_lead",))
    login(lead)
    with app.app_context():
        before = db.session.get(WorkGroup, group.id).academic_year
    for _ in range(3):
        client.post(f"/work-groups/{group.id}/new-year", data={"from_year": before})
    with app.app_context():
        after = db.session.get(WorkGroup, group.id).academic_year
    assert int(after[:4]) == int(before[:4]) + 1


def test_odd_digits_in_the_new_year_form_are_not_an_error(app, client, login, world):
    login(world.lead)
    response = client.post(f"/work-groups/{world.group.id}/new-year",
                           data={"continuing": "\u00b2"})
    assert response.status_code < 500


@pytest.fixture
def team(app, make_work_group, make_user):
    return build_team(app, make_work_group, make_user)


def test_a_reviewer_cannot_approve_her_own_lesson_revision_through_the_sequence(
        app, login, team):
    review_id = review_id_from(ask_review(client_for(app, login, team.author), "sequence",
                                          team.plan.id, team.school_a, team.sl_a))
    edit_lesson(app, team.sl_a, team.plan.lesson_ids[0], key_learning_point="Mine.")
    leader = client_for(app, login, team.sl_a)
    page = leader.get(f"/reviews/{review_id}").get_data(as_text=True)
    number = re.search(r'name="revision_number" value="(\d+)"', page).group(1)
    shown = re.search(r'name="lesson_revisions" value="([^"]*)"', page).group(1)
    response = leader.post(f"/reviews/{review_id}/decide", data={
        "decision": "approve", "comment": "", "revision_number": number,
        "lesson_revisions": shown})
    assert response.status_code == 403
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Approval)) == 0
        assert db.session.scalar(select(func.count()).select_from(Revision).where(
            Revision.author_id == team.sl_a.id)) == 1


def test_a_pinned_lesson_moved_where_a_reader_cannot_go_keeps_its_new_title_hidden(
        app, login, team):
    lessons = team.plan.lesson_ids
    edit_lesson(app, team.author, lessons[0], key_learning_point="x")
    review_id = review_id_from(ask_review(client_for(app, login, team.author), "sequence",
                                          team.plan.id, team.school_a, team.sl_a))
    leader = client_for(app, login, team.sl_a)
    page = leader.get(f"/reviews/{review_id}").get_data(as_text=True)
    assert leader.post(f"/reviews/{review_id}/decide", data={
        "decision": "approve", "comment": "",
        "revision_number": re.search(r'name="revision_number" value="(\d+)"', page).group(1),
        "lesson_revisions": re.search(r'name="lesson_revisions" value="([^"]*)"',
                                      page).group(1)}).status_code == 302
    secret = make_plan(app, team.author, team.group, lessons=1, title="Secret A",
                       visibility="school")
    author = client_for(app, login, team.author)
    assert author.post(f"/lessons/{lessons[0]}/move-to",
                       data={"target_id": str(secret.id)}).status_code < 400
    edit_lesson(app, team.author, lessons[0], title="SECRET RENAMED LESSON")
    reader = client_for(app, login, team.teacher_b)
    assert reader.get(f"/lessons/{lessons[0]}").status_code == 404
    approved = reader.get(f"/sequences/{team.plan.id}/approved?school={team.school_a}")
    assert approved.status_code == 200
    assert "SECRET RENAMED LESSON" not in approved.get_data(as_text=True)
    assert "SECRET RENAMED LESSON" in author.get(
        f"/sequences/{team.plan.id}/approved?school={team.school_a}").get_data(as_text=True)
