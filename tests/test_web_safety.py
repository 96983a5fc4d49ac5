"""CSRF, security headers, cookies, size limits and error pages."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.errors import RevisionConflict
from app.extensions import db


def test_post_without_csrf_token_is_refused_and_changes_nothing(app, client, login, make_user):
    from app.accounts.models import Hub

    admin = make_user(site_role="site_admin")
    login(admin)
    response = client.post("/admin/hubs", data={"name": "Forged Hub"}, csrf=False)
    assert response.status_code == 400
    assert "expired or was not sent from Coplan" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Hub).where(Hub.name == "Forged Hub")) is None
    ok = client.post("/admin/hubs", data={"name": "Real Hub"})
    assert ok.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Hub).where(Hub.name == "Real Hub")) is not None


def test_password_change_without_csrf_is_refused(client, login, make_user):
    user = make_user()
    login(user)
    response = client.post("/account", csrf=False, data={
        "current_password": user.password, "new_password": "n" * 12, "confirm": "n" * 12})
    assert response.status_code == 400
    client.post("/logout")
    assert client.post("/login", data={"email": user.email,
                                       "password": user.password}).status_code == 302


def test_login_form_needs_csrf_too(client, make_user):
    user = make_user()
    response = client.post("/login", csrf=False,
                           data={"email": user.email, "password": user.password})
    assert response.status_code == 400


def test_security_headers_on_html_pages(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    for part in ("script-src 'self'", "object-src 'none'", "base-uri 'none'",
                 "frame-ancestors 'none'"):
        assert part in csp
    assert "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"]


def test_pages_have_no_inline_scripts_or_styles(client, login, make_work_group, make_user):
    group = make_work_group()
    login(make_user(group=group, roles=("work_group_lead",)))
    for path in ("/", f"/work-groups/{group.id}", "/account", "/work-groups"):
        page = client.get(path).get_data(as_text=True)
        assert "<script>" not in page and " style=" not in page and "onclick" not in page


def test_session_cookie_flags(client, make_user):
    user = make_user()
    response = client.post("/login", data={"email": user.email, "password": user.password})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie


def test_secure_cookie_when_configured(tmp_path, pg_schema, make_user):
    from tests.conftest import PASSWORD, build_app

    app = build_app(tmp_path, "sqlite", pg_schema, SESSION_COOKIE_SECURE=True)
    client = app.test_client()
    with app.app_context():
        from app.accounts.models import User

        db.session.add(User(email="s@example.org", display_name="S",
                            password_hash=__import__("tests.conftest").conftest.PASSWORD_HASH))
        db.session.commit()
    response = client.post("/login", data={"email": "s@example.org", "password": PASSWORD})
    assert "Secure" in response.headers["Set-Cookie"]


def test_body_over_the_limit_gets_a_friendly_413(app, client, login, make_user):
    login(make_user())
    app.config["MAX_CONTENT_LENGTH"] = 1000
    response = client.post("/account", data={"current_password": "x" * 5000})
    assert response.status_code == 413
    assert "over the size limit" in response.get_data(as_text=True)


@pytest.fixture
def failing_routes(app):
    @app.get("/boom")
    def boom():
        raise RuntimeError("secret internals")

    @app.get("/conflict")
    def conflict():
        raise RevisionConflict("Someone saved first.")

    return app


@pytest.mark.parametrize("status,path,method", [
    (400, "/login", "POST-NO-CSRF"), (403, "/admin/", "GET"), (404, "/no/such/page", "GET"),
    (405, "/logout", "GET"), (409, "/conflict", "GET"), (500, "/boom", "GET"),
])
def test_error_pages_render_without_traceback(failing_routes, client, login, make_user,
                                              status, path, method):
    login(make_user())
    if method == "GET":
        response = client.get(path)
    else:
        response = client.post(path, csrf=False, data={})
    assert response.status_code == status
    page = response.get_data(as_text=True)
    assert "Traceback" not in page and "secret internals" not in page
    assert "dashboard" in page  # every error page says where to go next


def test_429_and_413_pages_say_what_to_do(app, client):
    from app.errors import error_response

    with app.test_request_context("/"):
        for status, words in ((429, "wait a few minutes"), (413, "Make it smaller")):
            body, code = error_response(status)
            assert code == status and words in body


def test_error_pages_answer_json_to_api_clients(client):
    response = client.get("/no/such/page", headers={"Accept": "application/json"})
    assert response.status_code == 404
    assert response.get_json()["status"] == 404
