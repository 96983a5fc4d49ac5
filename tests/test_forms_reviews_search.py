"""Review, search and notification forms as a user meets them: a decision naming its revision
in other digits is refused (never read as revision 1), the typed comment is kept beside the
right field, search addresses never fail, and the watch button needs its form."""

from __future__ import annotations

import re

import pytest

from app.reviews.models import ReviewDecision
from tests.reviews_helpers import ask_review, build_team, client_for, count, review_id_from


@pytest.fixture
def team(app, make_work_group, make_user):
    return build_team(app, make_work_group, make_user)


def _asked(app, login, team) -> int:
    author = client_for(app, login, team.author)
    response = ask_review(author, "lesson", team.plan.lesson_ids[0], team.school_a, team.sl_a)
    assert response.status_code == 302
    return review_id_from(response)


def test_a_decision_on_a_revision_in_other_digits_is_refused_not_read_as_one(app, login, team):
    review_id = _asked(app, login, team)
    reviewer = client_for(app, login, team.sl_a)
    response = reviewer.post(f"/reviews/{review_id}/decide", data={
        "decision": "approve", "comment": "Kept comment", "revision_number": "\u0661"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "That version does not exist." in page and "Kept comment</textarea>" in page
    assert count(app, ReviewDecision) == 0


def test_a_decision_without_a_choice_is_shown_beside_the_choices(app, login, team):
    review_id = _asked(app, login, team)
    reviewer = client_for(app, login, team.sl_a)
    response = reviewer.post(f"/reviews/{review_id}/decide", data={
        "decision": "maybe", "comment": "Kept comment", "revision_number": "1"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert re.search(r'id="f-decision">\s*<legend>Decision</legend>\s*<p class="field-error">'
                     r'.*Choose approve, ask for changes or comment', page)
    assert "Kept comment</textarea>" in page


def test_asking_for_a_review_of_a_revision_in_other_digits_is_refused(app, login, team):
    author = client_for(app, login, team.author)
    response = ask_review(author, "lesson", team.plan.lesson_ids[0], team.school_a, team.sl_a,
                          note="Kept note", revision_number="\u0661")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "That version does not exist." in page and "Kept note</textarea>" in page


def test_search_addresses_with_odd_pages_and_empty_filters_still_search(app, login, team):
    reader = client_for(app, login, team.author)
    for query in ("page=\u0663", "page=0", "page=99999999999999", "type=&type=lesson&page=x"):
        response = reader.get(f"/search?q=lesson&{query}")
        assert response.status_code == 200, query
    page = reader.get("/search?q=lesson&type=lesson").get_data(as_text=True)
    assert re.search(r'name="type" value="lesson" checked', page)


def test_watching_without_the_form_token_is_refused(app, login, team):
    reader = client_for(app, login, team.teacher_b)
    lesson_id = team.plan.lesson_ids[0]
    assert reader.post(f"/watch/lesson/{lesson_id}", csrf=False).status_code == 400
    assert "Watch for changes" in reader.get(f"/lessons/{lesson_id}").get_data(as_text=True)
    assert reader.post(f"/watch/lesson/{lesson_id}").status_code == 302
    assert "Stop watching" in reader.get(f"/lessons/{lesson_id}").get_data(as_text=True)
