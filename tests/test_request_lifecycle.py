"""One commit point: a request commits once when it succeeded and leaves nothing when it failed.

Test-only routes call a real service (planning's create_sequence) and then fail in the ways a
view can: an exception, a 4xx answer, or a final commit the database refuses.
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, flash, redirect, request
from flask_login import current_user
from sqlalchemy import func, select

from app.accounts.models import Hub
from app.database import unit_of_work
from app.extensions import db
from app.planning import services as planning
from app.planning.models import Sequence
from app.search.indexer import get_index
from app.search.models import SearchLog
from tests.conftest import build_app
from tests.planning_helpers import sequence_data

TITLE = "Year 3: the 2, 4 and 8 times tables"
APP_DIR = Path(__file__).resolve().parent.parent / "app"
#: The only modules allowed to commit: the request lifecycle and the CLI unit of work.
COMMIT_POINTS = {APP_DIR / "lifecycle.py", APP_DIR / "database.py"}


def _create_from_form() -> Sequence:
    """What a view does first: hand the posted form to a real service (which flushes)."""
    data: dict[str, Any] = {k: v for k, v in request.form.items() if k != "csrf_token"}
    return planning.create_sequence(current_user._get_current_object(), data)


def add_test_routes(app: Flask, lockers: list[sqlite3.Connection] | None = None) -> None:
    """Routes that fail after a service call; added before the app serves its first request."""

    @app.post("/test/create-then-raise")
    def create_then_raise():
        _create_from_form()
        raise RuntimeError("a bug after the service call")

    @app.post("/test/create-then-400")
    def create_then_400():
        _create_from_form()
        return "Please check the form (shown again with its errors).", 400

    @app.post("/test/create-then-clash")
    def create_then_clash():
        _create_from_form()
        # Left for the final commit to flush: another hub already has this (unique) name.
        db.session.add(Hub(name=request.form["hub_name"], region="Test region"))
        flash("Saved.", "success")
        return redirect("/")

    @app.post("/test/rename-then-lock")
    def rename_then_lock():
        current_user._get_current_object().display_name = "Renamed in a failed request"
        # Another process takes the write lock before this request commits (no flush yet).
        locker = sqlite3.connect(app.config["SQLALCHEMY_DATABASE_URI"][len("sqlite:///"):],
                                 isolation_level=None, timeout=0)
        locker.execute("BEGIN EXCLUSIVE")
        assert lockers is not None
        lockers.append(locker)
        return redirect("/")


def _count(app: Flask, model: type) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model)) or 0


def _found_in_search(client) -> bool:
    page = client.get("/search", query_string={"q": "times tables"})
    assert page.status_code == 200
    return TITLE in page.get_data(as_text=True)


@pytest.fixture
def teacher(app, login, make_work_group, make_user):
    """A fresh app with the test routes and a real (empty) search index; a teacher signed in."""
    add_test_routes(app)
    with app.app_context():
        get_index(app).create()
    group = make_work_group()
    user = make_user(group=group)
    login(user)
    return group


def test_a_request_that_raises_after_a_service_call_leaves_nothing(app, client, teacher):
    response = client.post("/test/create-then-raise", data=sequence_data(teacher))
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.get_data(as_text=True)
    assert _count(app, Sequence) == 0
    assert _count(app, SearchLog) == 0
    assert not _found_in_search(client)


def test_a_4xx_answer_after_a_service_call_leaves_nothing(app, client, teacher):
    response = client.post("/test/create-then-400", data=sequence_data(teacher))
    assert response.status_code == 400
    assert _count(app, Sequence) == 0
    assert _count(app, SearchLog) == 0
    assert not _found_in_search(client)


def test_a_successful_post_persists_and_is_indexed_after_commit(app, client, teacher):
    response = client.post("/sequences/new", data=sequence_data(teacher))
    assert response.status_code == 302
    assert _count(app, Sequence) == 1
    # The commit wrote the change into the search log; the indexer applies it from there.
    assert _count(app, SearchLog) == 1
    assert _found_in_search(client)
    assert TITLE in client.get(response.headers["Location"]).get_data(as_text=True)


def test_a_clash_at_the_final_commit_is_a_409_page_and_nothing_is_kept(app, client, teacher,
                                                                        make_hub):
    taken = make_hub()
    hubs = _count(app, Hub)
    response = client.post("/test/create-then-clash",
                           data={**sequence_data(teacher), "hub_name": taken.name})
    body = response.get_data(as_text=True)
    assert response.status_code == 409, body[:500]
    assert "Someone else saved a change here at the same moment" in body
    assert "Traceback" not in body and "IntegrityError" not in body
    assert _count(app, Sequence) == 0 and _count(app, Hub) == hubs
    assert _count(app, SearchLog) == 0
    assert not _found_in_search(client)
    # The "Saved." message went with the refused commit; the teacher is still signed in.
    page = client.get("/")
    assert page.status_code == 200 and "Saved." not in page.get_data(as_text=True)


def test_a_locked_database_at_the_final_commit_is_a_503_page(tmp_path, make_work_group):
    app = build_app(tmp_path, "sqlite", None, SQLITE_BUSY_TIMEOUT_MS=150)
    lockers: list[sqlite3.Connection] = []
    add_test_routes(app, lockers)
    try:
        from app.accounts.models import User
        from tests.conftest import PASSWORD, PASSWORD_HASH

        with app.app_context():
            user = User(email="lock@school.example.org", display_name="Lock Teacher",
                        password_hash=PASSWORD_HASH)
            db.session.add(user)
            db.session.commit()
            user_id = user.id
        client = app.test_client()
        assert client.post("/login", data={"email": "lock@school.example.org",
                                           "password": PASSWORD}).status_code == 302
        response = client.post("/test/rename-then-lock")
        for locker in lockers:
            locker.rollback()
            locker.close()
        body = response.get_data(as_text=True)
        assert response.status_code == 503, body[:500]
        assert response.headers["Retry-After"] == "30"
        assert "Coplan will be back shortly" in body and "Traceback" not in body
        with app.app_context():
            assert db.session.get(User, user_id).display_name == "Lock Teacher"
        assert client.get("/").status_code == 200  # still signed in afterwards
    finally:
        from app.search.worker import stop_thread

        stop_thread(app)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def test_a_cli_unit_of_work_rolls_back_on_error(app, make_work_group, make_user):
    group = make_work_group()
    user = make_user(group=group)
    from app.accounts.models import User

    with app.app_context():
        author = db.session.get(User, user.id)
        with pytest.raises(RuntimeError), unit_of_work():
            planning.create_sequence(author, sequence_data(group))
            raise RuntimeError("the command failed half way")
        # The same session: a block that did not roll back would still show its flushed row.
        assert db.session.scalar(select(func.count()).select_from(Sequence)) == 0
        with unit_of_work():
            planning.create_sequence(author, sequence_data(group))
    assert _count(app, Sequence) == 1


def test_a_cli_command_commits_through_its_unit_of_work(app):
    result = app.test_cli_runner().invoke(args=[
        "users", "create", "--email", "cli@school.example.org", "--name", "Cli Teacher",
        "--password", "a long enough passphrase for the cli"])
    assert result.exit_code == 0, result.output
    from app.accounts.models import User

    with app.app_context():
        assert db.session.scalar(select(User.display_name)
                                 .where(User.email == "cli@school.example.org")) == "Cli Teacher"


def test_only_the_lifecycle_and_the_unit_of_work_commit():
    """Views, services, hooks and commands never commit: the guard that keeps it so."""
    commit = re.compile(r"\bsession\s*\.\s*commit\s*\(")
    offenders = [f"{path.relative_to(APP_DIR.parent)}:{number}"
                 for path in sorted(APP_DIR.rglob("*.py")) if path not in COMMIT_POINTS
                 for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
                 if commit.search(line)]
    assert offenders == []
    for path in COMMIT_POINTS:
        assert commit.search(path.read_text(encoding="utf-8")), path
    # A `with unit_of_work():` commits too: in a view, route module, service or concern
    # module it would commit half a request. Only code that runs outside a request opens
    # one: CLI commands and the after-response work (the search and mail outboxes'
    # consumers, database.write_after_response for visit markers and heartbeats, the file
    # text reader that runs once an upload's response has gone, and `flask files gc`'s
    # one transaction per stored blob).
    own_unit = re.compile(r"\bunit_of_work\s*\(")
    outside_requests = [path for path in APP_DIR.rglob("*.py")
                        if path.name == "cli.py" or path == APP_DIR / "database.py"
                        or path == APP_DIR / "search" / "indexer.py"
                        or path in (APP_DIR / "files" / "extraction.py",
                                    APP_DIR / "files" / "garbage.py")
                        or path.parent == APP_DIR / "mail"]
    opened = [f"{path.relative_to(APP_DIR.parent)}:{number}"
              for path in sorted(APP_DIR.rglob("*.py")) if path not in outside_requests
              for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
              if own_unit.search(line)]
    assert opened == []
