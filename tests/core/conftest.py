"""Fixtures for the Flask-free core tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine

from tests.conftest import PG_URL, pg_schema_url


@pytest.fixture(scope="session")
def pg_engine(pg_schema: str | None) -> Iterator[Engine]:
    """An engine whose connections use the session's PostgreSQL test schema."""
    if not pg_schema:
        pytest.skip("PostgreSQL not configured: set TEST_DATABASE_URL to run these")
    engine = create_engine(pg_schema_url(PG_URL, pg_schema))
    with engine.begin() as conn:
        # Two pytest processes (xdist workers, or two runs) creating it at the same moment
        # would both pass IF NOT EXISTS and one fail on pg_extension's unique name: one at a time.
        conn.exec_driver_sql("SELECT pg_advisory_xact_lock(hashtext('coplan tests: pg_trgm'))")
        # In public, not the test schema: dropping a test schema must not remove it from
        # under a run that started at the same time.
        conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public")
    yield engine
    engine.dispose()
