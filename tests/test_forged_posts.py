"""Requests another site can forge: no CSRF exemptions, no writes or cookies for anonymous
posts, and no silent first-wins on a field sent twice."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from app.extensions import csrf, db
from app.input import MULTI_VALUED
from app.revisions.models import Revision
from tests.conftest import PASSWORD
from tests.planning_helpers import lesson_form, make_plan


def _row_counts(app) -> dict[str, int]:
    with app.app_context():
        return {table.name: db.session.scalar(select(func.count()).select_from(table))
                for table in db.metadata.sorted_tables}


def _post_rules(app) -> list[str]:
    """Every URL that takes a POST, with 1 for each path parameter."""
    urls = []
    for rule in app.url_map.iter_rules():
        if "POST" not in (rule.methods or ()) or rule.endpoint == "static":
            continue
        path = re.sub(r"<(?:[a-z_]+:)?([a-z_]+)>", "1", rule.rule)
        urls.append(path)
    return sorted(set(urls))


def test_no_view_is_exempt_from_csrf(app):
    assert not csrf._exempt_views and not csrf._exempt_blueprints


def test_every_post_route_refuses_a_signed_in_post_without_token(app, client, login,
                                                                 make_work_group, make_user):
    group = make_work_group()
    user = make_user(group=group, roles=("work_group_lead",))
    make_plan(app, user, group, lessons=1)
    login(user)
    urls = _post_rules(app)
    assert "/lessons/1/edit" in urls and "/sequences/1/edit" in urls
    before = _row_counts(app)
    for url in urls:
        response = client.post(url, data={"title": "planted", "body": "planted"}, csrf=False)
        assert response.status_code == 400, url
    assert _row_counts(app) == before


@pytest.mark.parametrize("path", ["/lessons/{lesson}/edit", "/sequences/{sequence}/edit",
                                  "/lessons/999999/edit"])
def test_a_cross_site_post_without_cookies_writes_nothing_and_sets_no_cookie(
        app, client, login, make_work_group, make_user, path):
    group = make_work_group()
    user = make_user(group=group)
    plan = make_plan(app, user, group, lessons=1)
    login(user)  # the teacher is signed in in her own browser (this client)
    url = path.format(lesson=plan.lesson_ids[0], sequence=plan.id)
    before = _row_counts(app)
    # Another site's auto-submitting form, in her browser: SameSite=Lax keeps her cookie out
    # of the request, but the browser stores whatever cookie the answer sets.
    own = client.get_cookie("session", domain="localhost")
    client.delete_cookie("session", domain="localhost")
    response = client.post(url, csrf=False, data=lesson_form(body="x" * 200_000 + " planted"))
    assert response.status_code == 400
    assert "Set-Cookie" not in response.headers  # her session cookie is not replaced
    if client.get_cookie("session", domain="localhost") is None:
        client.set_cookie("session", own.value, domain="localhost")
    assert _row_counts(app) == before
    # She is still signed in, and her form shows her plan, not the planted text.
    page = client.get(f"/lessons/{plan.lesson_ids[0]}/edit")
    assert page.status_code == 200 and "planted" not in page.get_data(as_text=True)


def _open_the_editor(app, client, login, make_work_group, make_user):
    """A teacher signed in with her lesson's edit form open: (user, lesson id, form page, token)."""
    group = make_work_group()
    user = make_user(group=group)
    plan = make_plan(app, user, group, lessons=1)
    login(user)
    lesson_id = plan.lesson_ids[0]
    form_page = client.get(f"/lessons/{lesson_id}/edit").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', form_page)[1]
    return user, lesson_id, form_page, token


def test_a_post_after_the_session_ended_keeps_nothing_on_the_server_and_says_why(
        app, client, login, make_work_group, make_user):
    user, lesson_id, form_page, token = _open_the_editor(app, client, login, make_work_group,
                                                         make_user)
    assert 'data-keep-draft="lesson:' in form_page  # the browser keeps the text (drafts.js)
    client.delete_cookie("session", domain="localhost")  # the session has ended
    before = _row_counts(app)
    response = client.post(f"/lessons/{lesson_id}/edit", csrf=False, data=lesson_form(
        body="A long careful plan typed over lunch", csrf_token=token))
    assert response.status_code == 400
    assert "Your session had ended, so nothing was saved" in response.get_data(as_text=True)
    assert "Set-Cookie" not in response.headers
    assert _row_counts(app) == before
    login(user)
    page = client.get(f"/lessons/{lesson_id}/edit").get_data(as_text=True)
    assert "A long careful plan typed over lunch" not in page  # nothing came from the server


def test_session_status_tells_the_edit_page_whether_to_send(app, client, login, make_work_group,
                                                           make_user):
    group = make_work_group()
    user = make_user(group=group)
    anonymous = app.test_client()
    state = anonymous.get("/session").get_json()
    assert state["signed_in"] is False and state["login_url"].startswith("/login?next=")
    assert "Set-Cookie" not in anonymous.get("/session").headers
    login(user)
    response = client.get("/session")
    state = response.get_json()
    assert state["signed_in"] is True and state["user"] == user.id
    assert response.headers["Cache-Control"] == "no-store"
    # The fresh token works for a save.
    plan = make_plan(app, user, group, lessons=1)
    saved = client.post(f"/lessons/{plan.lesson_ids[0]}/edit", csrf=False,
                        data=lesson_form(body="Saved with a fresh token",
                                         csrf_token=state["csrf_token"]))
    assert saved.status_code == 302


def test_a_second_csrf_token_is_refused_on_every_form(app, client, login, make_work_group,
                                                      make_user):
    group = make_work_group()
    user = make_user(group=group, roles=("work_group_lead",))
    make_plan(app, user, group, lessons=1)
    login(user)
    token = client.csrf_token()
    before = _row_counts(app)
    for url in _post_rules(app):
        response = client.post(url, csrf=False,
                               data={"csrf_token": [token, "bogus"], "title": "Twice"})
        assert response.status_code == 400, url
        assert "more than once" in response.get_data(as_text=True), url
    assert _row_counts(app) == before


def test_a_field_sent_twice_is_a_400_and_nothing_is_saved(app, client, login, make_work_group,
                                                          make_user):
    group = make_work_group()
    user = make_user(group=group)
    plan = make_plan(app, user, group, lessons=1)
    login(user)
    lesson_id = plan.lesson_ids[0]
    with app.app_context():
        count = db.session.scalar(select(func.count()).select_from(Revision))
    response = client.post(f"/lessons/{lesson_id}/edit",
                           data={**lesson_form(), "body": ["A", "B"]})
    assert response.status_code == 400
    assert "“body” more than once" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Revision)) == count
    # Lists by design still work: two Big Ideas on a sequence.
    assert "big_ideas" in MULTI_VALUED
    response = client.post(f"/sequences/{plan.id}/edit", data={
        "title": "Year 3: the 2, 4 and 8 times tables", "year_group": "Y3", "strand": "md",
        "rtp_codes": "3NF-2", "tags": "", "small_steps": "", "overview": "",
        "big_ideas": ["coherence", "fluency"], "base_number": "1", "summary": ""})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]


def test_a_refused_background_post_leaves_the_login_form_she_is_looking_at_working(
        app, client, login, make_work_group, make_user):
    user, lesson_id, _page, old_token = _open_the_editor(app, client, login, make_work_group,
                                                         make_user)
    client.delete_cookie("session", domain="localhost")  # the session has ended
    # She opens the form again: the login redirect starts a new session (its flash).
    assert client.get(f"/lessons/{lesson_id}/edit").status_code == 302
    redirect_cookie = client.get_cookie("session", domain="localhost").value
    login_page = client.get(f"/login?next=/lessons/{lesson_id}/edit").get_data(as_text=True)
    login_token = re.search(r'name="csrf_token" value="([^"]+)"', login_page)[1]
    login_cookie = client.get_cookie("session", domain="localhost").value
    # The old page's live preview and "leave" beacon were sent with the redirect's cookie,
    # before the login page arrived, and with the old page's token; they are answered after.
    for url in ("/preview", f"/lessons/{lesson_id}/presence/leave"):
        client.set_cookie("session", redirect_cookie, domain="localhost")
        late = client.post(url, csrf=False, data={"csrf_token": old_token, "text": "x"})
        assert late.status_code == 400
        assert "Set-Cookie" not in late.headers  # so the browser keeps the login page's cookie
        client.set_cookie("session", login_cookie, domain="localhost")
    signed_in = client.post(f"/login?next=/lessons/{lesson_id}/edit", csrf=False, data={
        "email": user.email, "password": PASSWORD, "csrf_token": login_token})
    assert signed_in.status_code == 302
    assert signed_in.headers["Location"].endswith(f"/lessons/{lesson_id}/edit")
