"""Migrations produce exactly the models' schema, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text

from app import create_app
from app.extensions import db
from tests.conftest import PG_URL, pg_schema_url


def _fresh_uri(tmp_path, backend: str) -> tuple[str, str | None]:
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'migrated.sqlite'}", None
    if not PG_URL:
        pytest.skip("PostgreSQL not configured")
    schema = f"mig_{uuid.uuid4().hex[:10]}"
    return pg_schema_url(PG_URL, schema), schema


def test_migrations_match_models(tmp_path, backend):
    uri, schema = _fresh_uri(tmp_path, backend)
    admin = create_engine(pg_schema_url(PG_URL, "public")) if schema else None
    if admin is not None:
        with admin.begin() as conn:
            conn.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        app = create_app({"SQLALCHEMY_DATABASE_URI": uri, "SECRET_KEY": "x", "TESTING": True})
        with app.app_context():
            upgrade()
            with db.engine.connect() as conn:
                context = MigrationContext.configure(
                    conn, opts={"compare_type": True, "compare_server_default": True})
                diff = compare_metadata(context, db.metadata)
            assert diff == [], f"models and migrations disagree: {diff}"
            tables = set(inspect(db.engine).get_table_names())
            assert {"user", "work_group", "membership", "invitation"} <= tables
            downgrade(revision="base")
            assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
            db.engine.dispose()
    finally:
        if admin is not None:
            with admin.begin() as conn:
                conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
            admin.dispose()


def test_upgrade_queues_research_lessons_for_reindexing(tmp_path):
    """Their access tokens changed spelling: an upgraded site re-indexes every record."""
    uri = f"sqlite:///{tmp_path / 'upgraded.sqlite'}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": uri, "SECRET_KEY": "x", "TESTING": True})
    with app.app_context():
        upgrade(revision="3c8d1f0a9b27")
        table = db.metadata.tables["research_lesson"]
        row = {column.name: _filler(column) for column in table.columns
               if not column.nullable and column.server_default is None
               and not column.primary_key}
        with db.engine.begin() as conn:
            conn.execute(text("PRAGMA foreign_keys=OFF"))
            conn.execute(table.insert().values(id=41, **row))
        upgrade(revision="9d4e2b7c1a05")
        with db.engine.connect() as conn:
            keys = list(conn.execute(text("SELECT key FROM search_outbox")).scalars())
        assert keys == ["observation:41"]
        upgrade()  # the outbox becomes the log: the queued key is carried over
        with db.engine.connect() as conn:
            keys = list(conn.execute(text("SELECT key FROM search_log")).scalars())
        assert keys == ["observation:41"]
        db.engine.dispose()


def _filler(column):
    """A value of the column's type (foreign keys are off: only the shape matters)."""
    import datetime as dt

    python_type = column.type.python_type
    if python_type is dt.datetime:
        return dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    if python_type is dt.date:
        return dt.date(2025, 1, 1)
    return {int: 1, str: "x", bool: False}.get(python_type, "x")
