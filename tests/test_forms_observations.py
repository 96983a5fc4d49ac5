"""Research lesson forms (app/observations/forms.py): what a teacher sees when a form or a
button carries something the page does not offer."""

from __future__ import annotations

import html
import re

import pytest

from tests.observations_helpers import (
    add_change,
    build_world,
    change_state,
    edit_lesson,
    make_research_lesson,
    research_lesson_count,
    schedule_data,
)


@pytest.fixture
def world(app, make_work_group, make_user):
    return build_world(app, make_work_group, make_user)


def _page(response) -> str:
    return response.get_data(as_text=True)


def _error_beside(page: str, field_id: str) -> str:
    """The error message shown in the field whose input has id `f-<field_id>`."""
    found = re.search(rf'<p class="field-error" id="f-{field_id}-error">'
                      rf'<span class="visually-hidden">Error:</span> ([^<]*)</p>', page)
    return html.unescape(found.group(1)) if found else ""


@pytest.mark.parametrize("number", ["٣", "²", "99999999999", "9" * 5000])
def test_a_teacher_not_offered_is_an_error_beside_it_and_the_text_is_kept(app, client, login,
                                                                         world, number):
    login(world.teacher)
    response = client.post(f"/lessons/{world.lesson_id}/research-lessons/new",
                           data=schedule_data(world.teacher, teacher_id=number,
                                              research_focus="Do arrays help explain 4x?"))
    assert response.status_code == 400
    page = _page(response)
    assert _error_beside(page, "teacher_id") == "Choose the teacher from the Work Group's members."
    assert "Do arrays help explain 4x?" in page
    assert research_lesson_count(app) == 0


@pytest.mark.parametrize("number", ["²", "١", "99999999999"])
def test_marking_addressed_with_a_revision_not_offered_is_an_error_beside_it(app, client, login,
                                                                            world, number):
    rl_id = make_research_lesson(app, world.teacher, world.lesson_id, [world.observer])
    change_id = add_change(app, world.observer, rl_id)
    edit_lesson(app, world.teacher, world.lesson_id, body="Changed")
    login(world.teacher)
    response = client.post(f"/agreed-changes/{change_id}/address",
                           data={"revision_number": number})
    assert response.status_code == 400
    assert _error_beside(_page(response), f"revision-{change_id}") == \
        "Choose the revision that made it."
    assert change_state(app, change_id) == ("open", None)


def test_marking_addressed_without_a_revision_is_refused(app, client, login, world):
    rl_id = make_research_lesson(app, world.teacher, world.lesson_id, [world.observer])
    change_id = add_change(app, world.observer, rl_id)
    edit_lesson(app, world.teacher, world.lesson_id, body="Changed")
    login(world.teacher)
    response = client.post(f"/agreed-changes/{change_id}/address", data={})
    assert response.status_code == 400
    assert _error_beside(_page(response), f"revision-{change_id}") == \
        "Choose the revision that made it."
    assert change_state(app, change_id) == ("open", None)


def test_an_agreed_change_error_keeps_what_was_typed(app, client, login, world):
    rl_id = make_research_lesson(app, world.teacher, world.lesson_id, [world.observer])
    login(world.observer)
    response = client.post(f"/research-lessons/{rl_id}/changes",
                           data={"change_text": "Use the double number line first.",
                                 "change_field": "not-a-field"})
    assert response.status_code == 400
    assert "Use the double number line first." in _page(response)
