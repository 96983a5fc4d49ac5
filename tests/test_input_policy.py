"""The input policy (app/input.py): every URL and form parsed and checked before it reaches a
query, one spelling per id, visible titles, whole passwords."""

from __future__ import annotations

import pytest
from flask import session
from sqlalchemy import func, select

from app.core.text import has_visible, one_line
from app.extensions import db
from app.planning.models import Lesson, Sequence
from tests.conftest import PASSWORD
from tests.planning_helpers import lesson_form, make_plan, sequence_data

LIST_PAGES = ["/sequences", "/search", "/notifications", "/reviews", "/materials", "/",
              "/work-groups"]
HOSTILE_VALUES = ["²", "①", "9223372036854775808", "2147483648", "-2147483649", "%00", "%FF", "1e9",
                  "１", "١", "0x10", "%0A", "' OR 1=1 --", "-1", "99999999999999999999999"]


@pytest.mark.parametrize("value", HOSTILE_VALUES)
def test_list_and_filter_pages_never_500_on_hostile_parameters(app, client, login,
                                                               make_work_group, make_user,
                                                               value):
    group = make_work_group()
    user = make_user(group=group)
    make_plan(app, user, group, lessons=1)
    login(user)
    names = ["work_group", "year", "page", "school", "category", "since", "archived", "q",
             "sort", "type", "strand", "show", "revision", "a", "b"]
    for page in LIST_PAGES:
        query = "&".join(f"{name}={value}" for name in names)
        response = client.get(f"{page}?{query}")
        assert response.status_code in (200, 400, 404), (page, value, response.status_code)


def test_an_out_of_range_work_group_filter_is_an_empty_list(app, client, login,
                                                             make_work_group, make_user):
    group = make_work_group()
    user = make_user(group=group)
    make_plan(app, user, group, lessons=1)
    login(user)
    title = "Year 3: the 2, 4 and 8 times tables"
    for value in ("9223372036854775808", "2147483648", "99999999999999999999999"):
        response = client.get(f"/sequences?work_group={value}")
        assert response.status_code == 200 and title not in response.get_data(as_text=True)
    for value in ("１", "abc", ""):  # not a number at all: no filter
        response = client.get(f"/sequences?work_group={value}")
        assert response.status_code == 200 and title in response.get_data(as_text=True)
    assert title in client.get(f"/sequences?work_group={group.id}").get_data(as_text=True)
    assert client.get("/sequences?year=%00").status_code == 200


@pytest.mark.parametrize("number", ["²", "①", "١", "99999999999999999999", "-1", "9" * 5000])
def test_numbers_in_forms_never_500(app, client, login, make_work_group, make_user, number):
    group = make_work_group()
    user = make_user(group=group)
    plan = make_plan(app, user, group, lessons=1)
    login(user)
    posts = [
        (f"/lessons/{plan.lesson_ids[0]}/edit", {**lesson_form(), "base_number": number}),
        (f"/sequences/{plan.id}/edit", {**sequence_data(group), "base_number": number}),
        ("/sequences/new", sequence_data(group, work_group_id=number)),
        ("/sequences/new", sequence_data(group, school_id=number)),
        (f"/sequences/{plan.id}/adapt", {"work_group_id": number, "school_id": number}),
        (f"/sequences/{plan.id}/lessons", {"title": "New", "position": number}),
        (f"/lessons/{plan.lesson_ids[0]}/move-to", {"target_id": number}),
    ]
    for url, data in posts:
        response = client.post(url, data=data)
        assert response.status_code < 500, (url, number, response.status_code)


@pytest.mark.parametrize("spelling", ["01", "%D9%A1", "%EF%BC%91", "+1", "1.0", " 1"])
def test_only_the_canonical_id_spelling_serves_a_page(app, client, login, make_work_group,
                                                      make_user, spelling):
    group = make_work_group()
    user = make_user(group=group)
    plan = make_plan(app, user, group, lessons=1)
    login(user)
    assert plan.lesson_ids == [1]
    assert client.get("/lessons/1").status_code == 200
    assert client.get(f"/lessons/{spelling}").status_code == 404
    assert client.get(f"/sequences/{spelling}").status_code == 404


@pytest.mark.parametrize("path", ["/invitations/%00abc", "/reset/abc%00", "/feeds/%00.atom",
                                  "/watch/%00/1", "/comments/less%C3%B3n/1", "/reset/" + "a" * 300,
                                  "/action-plans/1/priorities/%FF/edit", "/invitations/%0A"])
def test_text_path_parameters_are_checked_before_any_query(app, client, login, make_work_group,
                                                           make_user, path):
    user = make_user(group=make_work_group())
    assert client.get(path).status_code in (404, 405)
    login(user)
    assert client.get(path).status_code in (404, 405)
    assert client.post(path, data={"body": "x"}).status_code in (404, 405)


INVISIBLE_TITLES = ["\u200b\u200b", "\u200e\u200f", "\u2060\ufeff", "\u3164", "\u2800",
                    " \u00a0\u2003 ", "\u0301", "\u202e\u202c", "\x7f\x7f"]


@pytest.mark.parametrize("title", INVISIBLE_TITLES)
def test_a_title_of_invisible_characters_is_refused_with_a_field_error(
        app, client, login, make_work_group, make_user, title):
    group = make_work_group()
    user = make_user(group=group)
    plan = make_plan(app, user, group, lessons=1)
    login(user)
    response = client.post("/sequences/new", data=sequence_data(group, title=title))
    assert response.status_code == 400
    assert "Enter a title." in response.get_data(as_text=True)
    response = client.post(f"/lessons/{plan.lesson_ids[0]}/edit",
                           data=lesson_form(title=title, body="kept text"))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Enter a title." in page and "kept text" in page
    response = client.post(f"/sequences/{plan.id}/lessons", data={"title": title})
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Sequence)) == 1
        assert db.session.scalar(select(func.count()).select_from(Lesson)) == 1


def test_titles_are_stored_without_control_or_override_characters(app, client, login,
                                                                  make_work_group, make_user):
    group = make_work_group()
    user = make_user(group=group)
    login(user)
    response = client.post("/sequences/new", data=sequence_data(
        group, title="Frac\x7ftions\u202e  and\tdecimals\u2066"))
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Sequence.title)) == "Fractions and decimals"


def test_visible_text_rules():
    assert has_visible("a") and has_visible("٣") and has_visible("½") and has_visible("➗")
    assert one_line("  Bar\u00a0models \n for\u200b sharing ") == "Bar models for\u200b sharing"
    assert one_line("\u200b") == "" and one_line("\u202eabc") == "abc"


def test_a_password_is_never_truncated(app, client, make_work_group, make_user):
    from app.accounts.models import User
    from app.accounts.services import MAX_PASSWORD, set_password

    group = make_work_group()
    user = make_user(group=group)
    long_password = "p" * MAX_PASSWORD
    with app.app_context():
        set_password(db.session.get(User, user.id), long_password)
        db.session.commit()
    # The whole 1,024 characters log in; anything added to them does not.
    for attempt in (long_password + "anything", long_password + "p", "p" * (MAX_PASSWORD - 1)):
        response = client.post("/login", data={"email": user.email, "password": attempt})
        assert response.status_code == 401, len(attempt)
    response = client.post("/login", data={"email": user.email,
                                           "password": long_password + "x"})
    assert "at most 1,024 characters" in response.get_data(as_text=True)
    assert client.post("/login", data={"email": user.email,
                                       "password": long_password}).status_code == 302
    assert PASSWORD != long_password


def test_passwords_are_not_normalised(app, client, make_work_group, make_user):
    from app.accounts.models import User
    from app.accounts.services import set_password

    group = make_work_group()
    user = make_user(group=group)
    odd = "cafe\u0301 tab\there  "  # decomposed é, a tab and trailing spaces, as typed
    with app.app_context():
        set_password(db.session.get(User, user.id), odd)
        db.session.commit()
    assert client.post("/login", data={"email": user.email, "password": odd}).status_code == 302


def test_the_session_cookie_is_never_set_for_a_cookieless_post(app):
    """Even when something in such a request touched the session, no cookie goes back."""
    for method, has_cookie, expect_cookie in [("POST", False, False), ("GET", False, True),
                                              ("POST", True, True)]:
        headers = {"Cookie": "session=stale"} if has_cookie else {}
        with app.test_request_context("/lessons/1/edit", method=method, headers=headers):
            session["_flashes"] = [("error", "planted")]
            response = app.response_class("")
            app.session_interface.save_session(app, session, response)
            assert ("Set-Cookie" in response.headers) is expect_cookie, (method, has_cookie)
