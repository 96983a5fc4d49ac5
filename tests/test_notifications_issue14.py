"""Notifications as their reader meets them (issue 14, item 9): each says what happened and
where, named from today's data; opening one marks it read and goes to the page it is about,
only ever on this site and only for its own reader; a notification about something the reader
can no longer open keeps its title to itself; "Mark all as read" is a CSRF-checked POST."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.extensions import db
from app.notifications.models import Notification
from app.planning.models import Lesson, Sequence
from tests.reviews_helpers import build_team, client_for, edit_lesson
from tests.test_notifications import send, unread


@pytest.fixture
def team(app, make_work_group, make_user):
    return build_team(app, make_work_group, make_user)


def text(response) -> str:
    return response.get_data(as_text=True)


def watch_and_change(app, login, team) -> tuple[int, int]:
    """Tom (school B) watches lesson 1; Ann changes it. Returns (lesson id, notification id)."""
    lesson_id = team.plan.lesson_ids[0]
    tom = client_for(app, login, team.teacher_b)
    assert tom.post(f"/watch/lesson/{lesson_id}").status_code == 302
    edit_lesson(app, team.author, lesson_id, summary="Fraction walls first.")
    with app.app_context():
        note_id = db.session.scalar(select(Notification.id).where(
            Notification.user_id == team.teacher_b.id))
    assert note_id is not None
    return lesson_id, note_id


def plan_title(app, team) -> str:
    with app.app_context():
        return db.session.get(Sequence, team.plan.id).title


def test_notification_says_what_and_where_and_opening_it_marks_it_read(app, login, team):
    lesson_id, note_id = watch_and_change(app, login, team)
    with app.app_context():  # renamed since: "where" is named from today's data
        db.session.get(Lesson, lesson_id).title = "Equivalent fractions on a fraction wall"
        db.session.commit()
    tom = client_for(app, login, team.teacher_b)
    page = text(tom.get("/notifications"))
    item = page.split(f'id="n-{note_id}"')[1].split("</li>")[0]
    assert re.search(rf'<a href="/notifications/{note_id}/open">Ann Author changed “Lesson 1”',
                     item)
    assert "In lesson “Equivalent fractions on a fraction wall” · sequence “" \
        f"{plan_title(app, team)}” · Work Group “{team.group.title}”" in item
    assert unread(app, team.teacher_b) == 1
    response = tom.get(f"/notifications/{note_id}/open")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/lessons/{lesson_id}"
    assert unread(app, team.teacher_b) == 0
    assert "You are up to date." in text(tom.get("/notifications"))


def test_someone_elses_notification_cannot_be_opened_or_marked(app, login, team):
    _lesson_id, note_id = watch_and_change(app, login, team)
    for person in (team.outsider, team.author):
        other = client_for(app, login, person)
        assert other.get(f"/notifications/{note_id}/open").status_code == 404
        assert other.post(f"/notifications/{note_id}/read").status_code == 404
        assert other.post("/notifications/read-all").status_code == 302
    assert unread(app, team.teacher_b) == 1
    assert app.test_client().get(f"/notifications/{note_id}/open").status_code == 302
    assert unread(app, team.teacher_b) == 1


@pytest.mark.parametrize("stored", ["https://evil.example/lessons/{id}",
                                    "//evil.example/lessons/{id}",
                                    "/\\evil.example/lessons/{id}",
                                    "/nowhere-at-all"])
def test_opening_never_leaves_the_site(app, login, team, stored):
    lesson_id = team.plan.lesson_ids[0]
    with app.app_context():  # rows notify() would refuse, as a damaged database might hold
        note = Notification(user_id=team.teacher_b.id, kind="change", text="Odd link.",
                            url=stored.format(id=lesson_id))
        db.session.add(note)
        db.session.commit()
        note_id = note.id
    tom = client_for(app, login, team.teacher_b)
    response = tom.get(f"/notifications/{note_id}/open?next=https://evil.example/")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/notifications#n-{note_id}"
    assert unread(app, team.teacher_b) == 0


def test_a_plan_the_reader_can_no_longer_open_keeps_its_title(app, login, team):
    lesson_id, note_id = watch_and_change(app, login, team)
    title = plan_title(app, team)
    with app.app_context():  # school A only: Tom (school B) loses sight of it
        db.session.get(Sequence, team.plan.id).visibility = "school"
        db.session.commit()
    tom = client_for(app, login, team.teacher_b)
    page = text(tom.get("/notifications"))
    item = page.split(f'id="n-{note_id}"')[1].split("</li>")[0]
    assert "Watched item changed about something you can no longer open." in item
    assert "Lesson 1" not in page and title not in page and "Ann Author changed" not in page
    assert f"/notifications/{note_id}/open" not in item and f"/lessons/{lesson_id}" not in page
    response = tom.get(f"/notifications/{note_id}/open")
    assert response.headers["Location"] == f"/notifications#n-{note_id}"
    assert unread(app, team.teacher_b) == 0
    # Back in sight, the sentence and its link come back: it was withheld, not lost.
    with app.app_context():
        db.session.get(Sequence, team.plan.id).visibility = "work_group"
        db.session.commit()
    assert "Ann Author changed “Lesson 1”" in text(tom.get("/notifications"))


def test_mark_all_read_is_a_button_that_needs_the_form_token(app, login, team):
    send(app, team.author, message="First thing.")
    send(app, team.author, message="Second thing.")
    theirs = send(app, team.sl_a, message="Sal's thing.")
    author = client_for(app, login, team.author)
    page = text(author.get("/notifications"))
    assert re.search(r'<form action="/notifications/read-all" method="post" class="inline">\s*'
                     r'<input type="hidden" name="csrf_token"', page)
    assert author.post("/notifications/read-all", csrf=False).status_code == 400
    assert unread(app, team.author) == 2
    response = author.post("/notifications/read-all")
    assert response.status_code == 302
    assert "2 notifications marked read." in text(author.get(response.headers["Location"]))
    assert unread(app, team.author) == 0 and unread(app, team.sl_a) == 1
    with app.app_context():
        assert db.session.get(Notification, theirs).read_at is None
