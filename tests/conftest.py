"""Shared fixtures: a fresh app per test on SQLite, and PostgreSQL when TEST_DATABASE_URL is set."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import create_engine, text
from werkzeug.security import generate_password_hash

from app import create_app
from app.extensions import db

PASSWORD = "correct horse battery staple"
# Factory users get one hash, made once, with scrypt at a low work factor (N=2**10 instead of
# werkzeug's 2**15): each of the suite's many logins runs the app's real check_password_hash,
# which reads the parameters from the hash, in milliseconds instead of a quarter of a second.
# Hashes the app makes itself (sign-up, password change, demo data) keep the full cost.
PASSWORD_HASH = generate_password_hash(PASSWORD, method="scrypt:1024:8:1")

PG_URL = os.environ.get("TEST_DATABASE_URL", "")
BACKENDS = ["sqlite"] + ([pytest.param("postgresql", marks=pytest.mark.postgres)] if PG_URL else [])


def pytest_report_header(config) -> str:
    if PG_URL:
        return "database backends: sqlite, postgresql (TEST_DATABASE_URL)"
    return "database backends: sqlite only (PostgreSQL runs skipped: TEST_DATABASE_URL not set)"


def pg_schema_url(base: str, schema: str) -> str:
    """The same server, with every connection's search_path set to our own schema."""
    from app.config import normalise_database_url

    sep = "&" if "?" in base else "?"
    return normalise_database_url(base) + f"{sep}options=-csearch_path%3D{schema}"


@pytest.fixture(scope="session")
def pg_schema() -> Iterator[str | None]:
    """One PostgreSQL schema for the whole run, dropped at the end."""
    if not PG_URL:
        yield None
        return
    from app.config import normalise_database_url

    schema = f"test_{uuid.uuid4().hex[:10]}"
    engine = create_engine(normalise_database_url(PG_URL))
    with engine.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    yield schema
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    engine.dispose()


_pg_tables_ready: set[str] = set()
#: Where each pytest process (each xdist worker) keeps its SQLite template (see build_app).
_sqlite_template_dir: Path | None = None


@pytest.fixture(scope="session", autouse=True)
def _sqlite_template_home(tmp_path_factory: pytest.TempPathFactory) -> None:
    global _sqlite_template_dir
    _sqlite_template_dir = tmp_path_factory.mktemp("sqlite-template")


def _copy_sqlite_template(config: dict[str, Any], target: Path) -> bool:
    """Copy an empty database with every table, made once per process by the app's
    create_all: a copy costs a millisecond, ~100 CREATE statements half a second a test."""
    if _sqlite_template_dir is None:
        return False
    template = _sqlite_template_dir / "schema.sqlite"
    if not template.exists():
        building = _sqlite_template_dir / "building.sqlite"
        maker = create_app({**config, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{building}",
                            "SEARCH_INDEX_DIR": str(_sqlite_template_dir / "index"),
                            "SEARCH_INDEXER": "off"})
        with maker.app_context():
            db.create_all()
            db.session.remove()
            db.engine.dispose()  # the last connection closed: WAL checkpointed and removed
        assert not Path(f"{building}-wal").exists()
        building.rename(template)
    shutil.copyfile(template, target)
    return True


def _empty_pg_schema() -> None:
    """Empty every table and restart every sequence of the test schema (ids start at 1 again).

    DELETE, children first, instead of one TRUNCATE of all tables: TRUNCATE gives each table
    and index a new file, about a second per test for ~50 near-empty tables."""
    for table in reversed(db.metadata.sorted_tables):
        db.session.execute(table.delete())
    db.session.execute(text(
        "SELECT setval(format('%I.%I', schemaname, sequencename)::regclass, start_value, false)"
        " FROM pg_sequences WHERE schemaname = current_schema()"))
    db.session.commit()


class CsrfClient(FlaskClient):
    """A test client that sends a valid CSRF token with every form POST unless told not to."""

    def csrf_token(self) -> str:
        with self.session_transaction() as sess:
            if "csrf_token" not in sess:
                sess["csrf_token"] = uuid.uuid4().hex
            raw = sess["csrf_token"]
        return URLSafeTimedSerializer(self.application.secret_key, salt="wtf-csrf-token").dumps(raw)

    def open(self, *args: Any, **kwargs: Any):
        # Tests run with no indexer thread (SEARCH_INDEXER=off), so search results never
        # depend on a thread's timing: the client applies the change log before each request,
        # as the host's indexer would have by then. tests/test_search_hosts.py runs the real one.
        from app.search.indexer import catch_up

        if self.application.config.get("SEARCH_INDEXER") == "off":
            with self.application.app_context():
                catch_up()
        # Consume and close each response as a real server does (work after the response).
        kwargs.setdefault("buffered", True)
        return super().open(*args, **kwargs)

    def post(self, *args: Any, csrf: bool = True, **kwargs: Any):
        data = kwargs.get("data")
        if csrf and (data is None or isinstance(data, dict)) and "json" not in kwargs:
            data = dict(data or {})
            data.setdefault("csrf_token", self.csrf_token())
            kwargs["data"] = data
        return super().post(*args, **kwargs)


def build_app(tmp_path, backend: str, pg_schema: str | None, **extra: Any) -> Flask:
    if backend == "postgresql":
        if not pg_schema:
            pytest.skip("PostgreSQL not configured: set TEST_DATABASE_URL to run these")
        uri = pg_schema_url(PG_URL, pg_schema)
    else:
        uri = f"sqlite:///{tmp_path / 'test.sqlite'}"
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret-" + uuid.uuid4().hex,
        "SQLALCHEMY_DATABASE_URI": uri,
        "SEARCH_INDEX_DIR": str(tmp_path / "index"),
        # Uploaded files stay in the test's own folder, never the checkout's instance/.
        "FILES_DIR": str(tmp_path / "files"),
        "RATELIMIT_ENABLED": True,
        "SEARCH_AUTO_REBUILD": "sync",
        "SEARCH_INDEXER": "off",
        "SERVER_NAME": "localhost",
        **extra,
    }
    # Before the app exists, so no connection of its has the file open; a second app on the
    # same file (another host or worker in one test) finds the tables already there.
    copied = (backend == "sqlite" and config["SQLALCHEMY_DATABASE_URI"] == uri
              and not (tmp_path / "test.sqlite").exists() and _copy_sqlite_template(
                  config, tmp_path / "test.sqlite"))
    app = create_app(config)
    app.test_client_class = CsrfClient
    with app.app_context():
        if backend == "postgresql":
            if pg_schema not in _pg_tables_ready:
                db.create_all()
                _pg_tables_ready.add(pg_schema)
            _empty_pg_schema()
        elif not copied:
            db.create_all()
    return app


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    return request.param


@pytest.fixture
def app(tmp_path, backend, pg_schema) -> Iterator[Flask]:
    app = build_app(tmp_path, backend, pg_schema)
    yield app
    from app.mail import outbox
    from app.search.worker import stop_thread

    stop_thread(app)
    outbox.stop_retries(app)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app) -> CsrfClient:
    return app.test_client()


def snapshot(obj: Any, *names: str) -> SimpleNamespace:
    """A detached copy of the attributes a test needs, safe to read outside the app context."""
    return SimpleNamespace(**{n: getattr(obj, n) for n in names})


@pytest.fixture
def make_hub(app) -> Callable[..., SimpleNamespace]:
    from app.accounts.models import Hub

    def make(name: str | None = None) -> SimpleNamespace:
        with app.app_context():
            hub = Hub(name=name or f"Hub {uuid.uuid4().hex[:6]}", region="Test region")
            db.session.add(hub)
            db.session.commit()
            return snapshot(hub, "id", "name")

    return make


@pytest.fixture
def make_school(app, make_hub) -> Callable[..., SimpleNamespace]:
    from app.accounts.models import School

    def make(name: str | None = None, hub_id: int | None = None) -> SimpleNamespace:
        with app.app_context():
            school = School(name=name or f"School {uuid.uuid4().hex[:6]}", phase="primary",
                            hub_id=hub_id)
            db.session.add(school)
            db.session.commit()
            return snapshot(school, "id", "name")

    return make


@pytest.fixture
def make_work_group(app, make_hub, make_school) -> Callable[..., SimpleNamespace]:
    from app.accounts.models import School, WorkGroup, project_code_key

    def make(code: str = "NCP 24-11", schools: int = 2, hub_id: int | None = None,
             year: str = "2024/25") -> SimpleNamespace:
        hub_id = hub_id or make_hub().id
        made = [make_school(hub_id=hub_id) for _ in range(schools)]
        with app.app_context():
            group = WorkGroup(hub_id=hub_id, project_code=code, code_key=project_code_key(code),
                              title=f"Work Group {uuid.uuid4().hex[:6]}",
                              programme_stage="sustaining", phase="primary", academic_year=year)
            group.schools = [db.session.get(School, s.id) for s in made]
            db.session.add(group)
            db.session.commit()
            out = snapshot(group, "id", "title", "hub_id", "project_code")
            out.school_ids = [s.id for s in made]
            return out

    return make


@pytest.fixture
def make_user(app) -> Callable[..., SimpleNamespace]:
    """make_user(group=wg, roles=[...], school_id=...) -> a user who can log in with PASSWORD."""
    from app.accounts.models import Membership, User

    def make(name: str | None = None, group: SimpleNamespace | None = None,
             roles: tuple[str, ...] = ("participant_teacher",), school_id: int | None = None,
             site_role: str = "", admin_hub_id: int | None = None,
             email: str | None = None) -> SimpleNamespace:
        token = uuid.uuid4().hex[:8]
        if group is not None and school_id is None and "work_group_lead" not in roles:
            school_id = group.school_ids[0]
        with app.app_context():
            user = User(email=email or f"user-{token}@school.example.org",
                        display_name=name or f"Teacher {token}", school_id=school_id,
                        password_hash=PASSWORD_HASH, site_role=site_role,
                        admin_hub_id=admin_hub_id)
            db.session.add(user)
            if group is not None:
                member = Membership(user=user, work_group_id=group.id, school_id=school_id)
                member.set_roles(list(roles))
                db.session.add(member)
                if "work_group_lead" in roles:
                    from app.accounts.models import WorkGroup

                    db.session.get(WorkGroup, group.id).lead_id = None
                    db.session.flush()
                    db.session.get(WorkGroup, group.id).lead_id = user.id
            db.session.commit()
            out = snapshot(user, "id", "email", "display_name", "session_token", "school_id")
            out.password = PASSWORD
            return out

    return make


@pytest.fixture
def login(client) -> Callable[[SimpleNamespace], None]:
    """Log the test client in as a user by the real login form."""

    def do_login(user: SimpleNamespace, the_client: FlaskClient | None = None) -> None:
        response = (the_client or client).post(
            "/login", data={"email": user.email, "password": user.password})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]

    return do_login
