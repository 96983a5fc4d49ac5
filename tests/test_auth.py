"""Logging in and out, sessions that really end, throttling."""

from __future__ import annotations

from app.extensions import db


def test_login_shows_dashboard_with_my_work_group(client, make_work_group, make_user):
    group = make_work_group()
    user = make_user(group=group)
    response = client.post("/login", data={"email": user.email.upper(), "password": user.password},
                           follow_redirects=True)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert group.title in page
    assert user.display_name in page


def test_unknown_email_and_wrong_password_get_the_same_message(client, make_user):
    user = make_user()
    wrong = client.post("/login", data={"email": user.email, "password": "not the password"})
    unknown = client.post("/login", data={"email": "nobody@example.org", "password": "whatever1"})
    assert wrong.status_code == unknown.status_code == 401
    message = "The e-mail or password is not right"
    assert message in wrong.get_data(as_text=True)
    assert message in unknown.get_data(as_text=True)
    assert client.get("/").status_code == 302  # still anonymous


def test_long_passwords_are_not_truncated(app, client, make_user):
    from app.accounts import services
    from app.accounts.models import User

    user = make_user()
    long_password = "a" * 80 + "-tail-one"
    with app.app_context():
        services.set_password(db.session.get(User, user.id), long_password)
        db.session.commit()
    # The same first 72 bytes with a different tail must fail: nothing is cut off.
    assert client.post("/login", data={"email": user.email,
                                       "password": "a" * 80 + "-tail-two"}).status_code == 401
    assert client.post("/login", data={"email": user.email,
                                       "password": long_password}).status_code == 302


def test_session_replayed_after_logout_is_anonymous(app, client, login, make_user):
    user = make_user()
    login(user)
    assert client.get("/").status_code == 200
    with client.session_transaction() as sess:
        stolen = dict(sess)
    assert client.post("/logout").status_code == 302
    with client.session_transaction() as sess:
        sess.update(stolen)  # replay the old cookie's contents
    response = client.get("/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_password_change_ends_other_sessions_but_not_this_one(app, client, login, make_user):
    user = make_user()
    other_device = app.test_client()
    login(user)
    login(user, other_device)
    assert other_device.get("/").status_code == 200
    response = client.post("/account", data={"current_password": user.password,
                                             "new_password": "a brand new passphrase",
                                             "confirm": "a brand new passphrase"})
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    assert other_device.get("/").status_code == 302
    # The old password no longer works; the new one does.
    fresh = app.test_client()
    assert fresh.post("/login", data={"email": user.email,
                                      "password": user.password}).status_code == 401
    assert fresh.post("/login", data={"email": user.email,
                                      "password": "a brand new passphrase"}).status_code == 302


def test_password_change_errors_keep_the_form(client, login, make_user):
    user = make_user()
    login(user)
    wrong = client.post("/account", data={"current_password": "nope", "new_password": "x" * 12,
                                          "confirm": "x" * 12})
    assert wrong.status_code == 400
    assert "That is not your current password" in wrong.get_data(as_text=True)
    short = client.post("/account", data={"current_password": user.password,
                                          "new_password": "short", "confirm": "short"})
    assert "at least 10 characters" in short.get_data(as_text=True)


def test_disabled_account_is_locked_out_at_once(app, client, login, make_user):
    from app.accounts.models import User

    user = make_user()
    login(user)
    with app.app_context():
        db.session.get(User, user.id).disabled = True
        db.session.commit()
    assert client.get("/").status_code == 302
    assert client.post("/login", data={"email": user.email,
                                       "password": user.password}).status_code == 401


def test_login_starts_a_fresh_session(client, make_user):
    user = make_user()
    with client.session_transaction() as sess:
        sess["planted"] = "by an attacker"
    client.post("/login", data={"email": user.email, "password": user.password})
    with client.session_transaction() as sess:
        assert "planted" not in sess


def test_login_is_throttled_after_repeated_failures(app, client, make_user):
    user = make_user()
    limit = int(app.config["LOGIN_LIMIT"].split()[0])
    for _ in range(limit):
        assert client.post("/login", data={"email": user.email,
                                           "password": "wrong!"}).status_code == 401
    blocked = client.post("/login", data={"email": user.email, "password": user.password})
    assert blocked.status_code == 429
    assert "Too many attempts" in blocked.get_data(as_text=True)


def test_successful_logins_do_not_count_towards_the_limit(app, client, make_user):
    user = make_user()
    limit = int(app.config["LOGIN_LIMIT"].split()[0])
    for _ in range(limit + 2):
        assert client.post("/login", data={"email": user.email,
                                           "password": user.password}).status_code == 302


def test_login_ignores_offsite_next(client, make_user):
    user = make_user()
    for target in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        response = client.post(f"/login?next={target}",
                               data={"email": user.email, "password": user.password})
        assert response.headers["Location"] in ("/", "http://localhost/")
        client.post("/logout")


def test_login_follows_same_site_next(client, make_work_group, make_user):
    group = make_work_group()
    user = make_user(group=group)
    response = client.post(f"/login?next=/work-groups/{group.id}",
                           data={"email": user.email, "password": user.password})
    assert response.headers["Location"].endswith(f"/work-groups/{group.id}")


def test_logout_is_post_only(client, login, make_user):
    login(make_user())
    assert client.get("/logout").status_code == 405
    assert client.get("/").status_code == 200
