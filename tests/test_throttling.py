"""Login and save limits counted in a store every worker shares (the database by default,
Redis when configured), checked under gunicorn with several workers."""

from __future__ import annotations

import http.cookiejar
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from app.extensions import db
from tests.conftest import PASSWORD_HASH, build_app, pg_schema_url
from tests.planning_helpers import lesson_form, make_plan

ROOT = Path(__file__).resolve().parent.parent


def _user(app, email: str = "t@school.example") -> None:
    from app.accounts.models import User

    with app.app_context():
        db.session.add(User(email=email, display_name="Teacher", password_hash=PASSWORD_HASH))
        db.session.commit()


def _wrong(client, email: str = "t@school.example", ip: str = "127.0.0.1") -> int:
    return client.post("/login", data={"email": email, "password": "wrong!"},
                       environ_base={"REMOTE_ADDR": ip}).status_code


@pytest.fixture
def app_with(tmp_path, backend, pg_schema):
    """build_app with extra settings; its connections are closed after the test."""
    made = []

    def make(**config):
        made.append(build_app(tmp_path, backend, pg_schema, **config))
        return made[-1]

    yield make
    for app in made:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def test_the_login_limit_lifts_after_the_documented_cool_down(app_with):
    app = app_with(LOGIN_LIMIT="3 per 2 seconds")
    _user(app)
    client = app.test_client()
    assert [_wrong(client) for _ in range(4)] == [401, 401, 401, 429]
    blocked = client.post("/login", data={"email": "t@school.example",
                                          "password": "correct horse battery staple"})
    assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) <= 2
    time.sleep(2.2)
    assert client.post("/login", data={"email": "t@school.example",
                                       "password": "correct horse battery staple"}
                       ).status_code == 302


def test_guesses_at_one_account_from_many_addresses_are_limited_too(app_with):
    app = app_with(LOGIN_ACCOUNT_LIMIT="3 per minute")
    _user(app)
    client = app.test_client()
    codes = [_wrong(client, ip=f"10.0.0.{n}") for n in range(1, 5)]
    assert codes == [401, 401, 401, 429]
    # Another account from a fresh address is not affected.
    _user(app, "other@school.example")
    assert _wrong(client, "other@school.example", ip="10.0.1.1") == 401


@pytest.fixture
def app(tmp_path, backend, pg_schema):
    """The usual test app, with a small save limit."""
    app = build_app(tmp_path, backend, pg_schema, SAVE_LIMIT="5 per minute")
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_saves_are_limited_per_person_without_slowing_others(app, make_work_group, make_user,
                                                            login):
    group = make_work_group()
    busy_user, other_user = make_user(group=group), make_user(group=group)
    plan = make_plan(app, busy_user, group, lessons=1)
    busy, other = app.test_client(), app.test_client()
    login(busy_user, busy)
    login(other_user, other)
    url = f"/lessons/{plan.lesson_ids[0]}/edit"
    codes = [busy.post(url, data=lesson_form(base=n + 1, body=f"Version {n}")).status_code
             for n in range(6)]
    assert codes == [302] * 5 + [429]
    assert "Too many attempts" in busy.post(url, data=lesson_form(base=6)).get_data(
        as_text=True)
    assert other.post(url, data=lesson_form(base=6, body="Someone else")).status_code == 302


# --- several workers -----------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _serve(tmp_path, database_url: str, extra_env: dict[str, str] | None = None):
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "bench-secret",
           "SEARCH_INDEX_DIR": str(tmp_path / "index"), **(extra_env or {})}
    env.pop("COPLAN_DEBUG", None)
    log = open(tmp_path / "gunicorn.log", "w")
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", "3", "--bind", f"127.0.0.1:{port}",
         "--timeout", "120", "wsgi:app"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log)
    deadline = time.time() + 90
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=10).close()
            process.log = log  # type: ignore[attr-defined]  (closed by the caller)
            return process, port
        except OSError:  # not listening yet, or still booting
            time.sleep(0.3)
    process.kill()
    process.wait()
    log.close()
    pytest.fail("gunicorn did not start: " + Path(log.name).read_text()[-2000:])


def _login_attempts(port: int, count: int) -> list[int]:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"http://127.0.0.1:{port}/login").read().decode()
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)[1]
    codes = []
    for _ in range(count):
        body = urllib.parse.urlencode({"csrf_token": token, "email": "t@school.example",
                                       "password": "wrong!"}).encode()
        request = urllib.request.Request(f"http://127.0.0.1:{port}/login", data=body,
                                         headers={"Connection": "close"})
        try:
            codes.append(opener.open(request).status)
        except urllib.error.HTTPError as error:
            codes.append(error.code)
    return codes


def _schema(app_config_uri: str) -> None:
    from app import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": app_config_uri, "SECRET_KEY": "x",
                      "TESTING": True})
    with app.app_context():
        db.create_all()
        _user(app)
        db.engine.dispose()


@pytest.mark.parametrize("store", ["database", "redis"])
def test_three_gunicorn_workers_share_one_login_limit(tmp_path, backend, pg_schema, store):
    env: dict[str, str] = {}
    if store == "redis":
        if not shutil.which("redis-server"):
            pytest.skip("redis-server is not installed (the database store is the default)")
        redis_port = _free_port()
        redis = subprocess.Popen(["redis-server", "--port", str(redis_port), "--save", "",
                                  "--appendonly", "no"], stdout=subprocess.DEVNULL)
        env["RATELIMIT_STORAGE_URI"] = f"redis://127.0.0.1:{redis_port}"
        time.sleep(0.5)
    if backend == "postgresql":
        if not pg_schema:
            pytest.skip("PostgreSQL not configured")
        import uuid

        from sqlalchemy import create_engine, text

        from tests.conftest import PG_URL

        schema = f"thr_{uuid.uuid4().hex[:8]}"
        admin = create_engine(pg_schema_url(PG_URL, "public"))
        with admin.begin() as conn:
            conn.execute(text(f"CREATE SCHEMA {schema}"))
        url = pg_schema_url(PG_URL, schema)
    else:
        url = f"sqlite:///{tmp_path / 'served.sqlite'}"
    try:
        _schema(url)
        process, port = _serve(tmp_path, url, env)
        try:
            codes = _login_attempts(port, 12)
        except OSError as error:
            pytest.fail(f"{error}; gunicorn said: {Path(process.log.name).read_text()[-3000:]}")
        finally:
            process.terminate()
            process.wait(timeout=30)
            process.log.close()
        # LOGIN_LIMIT is 10 per 5 minutes: the 11th attempt is refused, whichever worker gets it.
        assert codes == [401] * 10 + [429, 429], codes
    finally:
        if store == "redis":
            redis.terminate()
            redis.wait(timeout=10)
        if backend == "postgresql":
            with admin.begin() as conn:
                conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
            admin.dispose()
