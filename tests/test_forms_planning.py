"""Planning's forms (app/planning/forms.py): what a teacher sees when a form or a button
carries something that is not what the page offers."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.planning.models import Lesson, Sequence
from tests.planning_helpers import lesson_form, make_plan, sequence_data

#: Numbers no select or box on these pages offers: other scripts' digits, too large to store.
NOT_OFFERED = ["٣", "²", "１", "99999999999", "9" * 5000]


def _page(response) -> str:
    return response.get_data(as_text=True)


def _error_beside(page: str, name: str) -> str:
    """The error message shown in the field named `name` (empty if none)."""
    found = re.search(rf'<p class="field-error" id="f-{name}-error">'
                      rf'<span class="visually-hidden">Error:</span> ([^<]*)</p>', page)
    return found.group(1) if found else ""


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize("number", NOT_OFFERED)
def test_a_work_group_not_offered_is_an_error_beside_it_and_the_text_is_kept(
        app, client, login, make_work_group, make_user, number):
    group = make_work_group()
    user = make_user(group=group)
    login(user)
    response = client.post("/sequences/new", data=sequence_data(
        group, work_group_id=number, overview="My **doubling** overview"))
    assert response.status_code == 400
    page = _page(response)
    assert _error_beside(page, "work_group_id") == "Choose one of your Work Groups."
    assert "My **doubling** overview" in page and 'data-keep-draft="sequence:new"' in page
    assert _count(app, Sequence) == 0


def test_a_school_not_offered_is_an_error_beside_it(app, client, login, make_work_group,
                                                    make_user):
    group = make_work_group()
    login(make_user(group=group))
    response = client.post("/sequences/new", data=sequence_data(group, school_id="²"))
    assert response.status_code == 400
    assert _error_beside(_page(response), "school_id") == "Choose your school in this Work Group."
    assert _count(app, Sequence) == 0


@pytest.mark.parametrize("number", ["٣", "²"])
def test_adapting_into_a_place_not_offered_is_an_error_beside_it(app, client, login,
                                                                 make_work_group, make_user,
                                                                 number):
    group = make_work_group()
    user = make_user(group=group)
    plan = make_plan(app, user, group, lessons=1)
    login(user)
    response = client.post(f"/sequences/{plan.id}/adapt",
                           data={"work_group_id": number, "school_id": str(group.school_ids[0])})
    assert response.status_code == 400
    assert _error_beside(_page(response), "work_group_id") == "Choose one of your Work Groups."
    assert _count(app, Sequence) == 1


def test_a_lesson_error_keeps_the_whole_plan_text_and_its_draft_key(app, client, login,
                                                                    make_work_group, make_user):
    group = make_work_group()
    user = make_user(group=group)
    plan = make_plan(app, user, group, lessons=1)
    login(user)
    long_text = "Count in fours. " * 8000  # far past any single field's clip
    response = client.post(f"/lessons/{plan.lesson_ids[0]}/edit",
                           data=lesson_form(title="", body=long_text))
    assert response.status_code == 400
    page = _page(response)
    assert _error_beside(page, "title") == "Enter a title."
    assert long_text.strip() in page and f'data-keep-draft="lesson:{plan.lesson_ids[0]}"' in page


def test_moving_a_lesson_without_naming_the_sequence_is_refused(app, client, login,
                                                                make_work_group, make_user):
    group = make_work_group()
    user = make_user(group=group)
    plan = make_plan(app, user, group, lessons=1)
    login(user)
    for data in ({}, {"target_id": ""}, {"target_id": "²"}, {"target_id": "99999999999"}):
        response = client.post(f"/lessons/{plan.lesson_ids[0]}/move-to", data=data,
                               follow_redirects=True)
        assert response.status_code == 200, data
        assert "Choose the sequence to move it to." in _page(response), data
    with app.app_context():
        assert db.session.get(Lesson, plan.lesson_ids[0]).sequence_id == plan.id


def test_a_lesson_position_in_other_digits_is_refused_and_a_huge_one_means_the_end(
        app, client, login, make_work_group, make_user):
    group = make_work_group()
    user = make_user(group=group)
    plan = make_plan(app, user, group, lessons=2)
    login(user)
    response = client.post(f"/sequences/{plan.id}/lessons",
                           data={"title": "Odd one", "position": "²"}, follow_redirects=True)
    assert "Enter a whole number." in _page(response)
    assert _count(app, Lesson) == 2
    response = client.post(f"/sequences/{plan.id}/lessons",
                           data={"title": "Last one", "position": "99999999999"})
    assert response.status_code == 302
    with app.app_context():
        last = db.session.scalar(select(Lesson).where(Lesson.title == "Last one"))
        assert last.position == 3
