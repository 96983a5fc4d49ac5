"""Config branches, the CLI and the demo loader."""

from __future__ import annotations

import os

from sqlalchemy import func, select

from app import config
from app.extensions import db


def test_environment_overrides_and_postgres_urls():
    values = config.from_environment({"DATABASE_URL": "postgres://u@h/db", "SECRET_KEY": "k",
                                      "SESSION_COOKIE_SECURE": "true", "MAIL_PORT": "587",
                                      "SEARCH_INDEX_DIR": "/tmp/idx"})
    assert values["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@h/db"
    assert values["SECRET_KEY"] == "k" and values["SESSION_COOKIE_SECURE"] is True
    assert values["MAIL_PORT"] == 587 and values["SEARCH_INDEX_DIR"] == "/tmp/idx"
    assert "DEBUG" not in config.from_environment({})
    assert config.from_environment({"COPLAN_DEBUG": "1"})["DEBUG"] is True
    assert config.normalise_database_url("sqlite:///x.db") == "sqlite:///x.db"


def test_secret_key_is_generated_once_into_instance(tmp_path):
    first = config.secret_key_from_instance(str(tmp_path))
    second = config.secret_key_from_instance(str(tmp_path))
    assert first == second and len(first) >= 64
    assert oct(os.stat(tmp_path / "secret_key").st_mode)[-3:] == "600"
    (tmp_path / "secret_key").unlink()
    assert config.secret_key_from_instance(str(tmp_path)) != first


def test_defaults_keep_data_in_instance_and_debug_off(app):
    defaults = config.defaults("/srv/instance")
    assert defaults["SQLALCHEMY_DATABASE_URI"] == "sqlite:////srv/instance/coplan.sqlite"
    assert defaults["SEARCH_INDEX_DIR"] == "/srv/instance/search-index"
    assert app.debug is False


def test_instance_config_file_is_read(tmp_path, monkeypatch):
    from app import create_app

    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'env.sqlite'}")
    monkeypatch.setenv("SECRET_KEY", "from-env")
    (tmp_path / "config.py").write_text("MAX_CONTENT_LENGTH = 1234\nSECRET_KEY = 'from-file'\n")
    monkeypatch.setattr("flask.Flask.auto_find_instance_path", lambda self: str(tmp_path))
    app = create_app()
    assert app.config["MAX_CONTENT_LENGTH"] == 1234
    assert app.config["SECRET_KEY"] == "from-env"  # the environment wins over the file
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("env.sqlite")


def _counts(app) -> dict[str, int]:
    from app import models

    with app.app_context():
        return {name: db.session.scalar(select(func.count()).select_from(getattr(models, name)))
                for name in ("User", "School", "Membership", "MembershipRole", "WorkGroup", "Hub")}


def test_demo_load_is_idempotent_and_prints_accounts(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo", "load"])
    assert first.exit_code == 0, first.output
    assert "jo.castleford@larkmoor-hub.example.org" in first.output
    counts = _counts(app)
    assert counts["User"] == 13 and counts["School"] == 6 and counts["Membership"] == 12
    second = runner.invoke(args=["demo", "load"])
    assert second.exit_code == 0 and _counts(app) == counts
    skipped = runner.invoke(args=["demo", "load", "--if-empty"])
    assert "already has accounts" in skipped.output


def test_demo_teacher_can_log_in(app, client):
    from app.demo.loader import DEMO_PASSWORD

    app.test_cli_runner().invoke(args=["demo", "load"])
    response = client.post("/login", data={"email": "s.iqbal@kestrelgate.example.org",
                                           "password": DEMO_PASSWORD}, follow_redirects=True)
    assert "Larkmoor TfM Sustaining Work Group A" in response.get_data(as_text=True)


def test_users_create_and_set_password(app, client):
    runner = app.test_cli_runner()
    made = runner.invoke(args=["users", "create", "--email", "New@Example.org", "--name",
                               "New Person", "--password", "first password"])
    assert made.exit_code == 0, made.output
    duplicate = runner.invoke(args=["users", "create", "--email", "new@example.org", "--name",
                                    "Again", "--password", "first password"])
    assert duplicate.exit_code != 0 and "already exists" in duplicate.output
    changed = runner.invoke(args=["users", "set-password", "--email", "new@example.org",
                                  "--password", "second password"])
    assert changed.exit_code == 0
    assert client.post("/login", data={"email": "new@example.org",
                                       "password": "second password"}).status_code == 302
    short = runner.invoke(args=["users", "set-password", "--email", "new@example.org",
                                "--password", "short"])
    assert short.exit_code != 0 and "at least 10" in short.output
