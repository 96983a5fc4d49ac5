"""PostgreSQL search backend: what the shared tests in test_search_index.py cannot show.

Writing in the caller's transaction, change-log order (``seq``), row locks, rebuilds seen by
readers, the bounded ranking and counting, the pg_trgm fallback, and the table on SQLite.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, MetaData, create_engine, inspect, text

from app.core.search.postgres import PostgresSearch, documents_table
from tests.core.test_search_index import ALICE, BOB, DOCS, doc, keys


@pytest.fixture
def pg(pg_engine: Engine) -> Iterator[PostgresSearch]:
    """A PostgreSQL backend holding DOCS (rebuild replaces any earlier test's rows)."""
    backend = PostgresSearch(pg_engine)
    backend.rebuild(DOCS, total=len(DOCS))
    yield backend


def test_documents_table_works_on_sqlite(tmp_path: Any) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'x.sqlite'}")
    metadata = MetaData()
    table = documents_table(metadata)
    assert documents_table(metadata) is table  # registering twice is harmless
    metadata.create_all(engine)
    tables = inspect(engine).get_table_names()
    assert {"search_documents", "search_words"} <= set(tables)
    engine.dispose()


@pytest.mark.postgres
def test_write_commits_and_rolls_back_with_the_callers_transaction(
    pg: PostgresSearch, pg_engine: Engine
) -> None:
    with pytest.raises(RuntimeError), pg_engine.begin() as conn:
        pg.write(conn, [doc("lesson:w", title="Kangaroo")], ["lesson:1"])
        raise RuntimeError("the change failed")
    assert pg.search("kangaroo", access=ALICE).total == 0
    assert "lesson:1" in keys(pg.search("equivalent", access=ALICE))

    with pg_engine.begin() as conn:
        pg.write(conn, [doc("lesson:w", title="Kangaroo")], ["lesson:1"])
    assert keys(pg.search("kangaroo", access=ALICE)) == ["lesson:w"]
    assert pg.search("equivalent", access=ALICE).total == 0


@pytest.mark.postgres
def test_write_refuses_bad_documents_before_writing(pg: PostgresSearch, pg_engine: Engine) -> None:
    with pytest.raises(ValueError, match="access"), pg_engine.begin() as conn:
        pg.write(conn, [doc("lesson:ok"), doc("lesson:bad", access=[])], ["lesson:1"])
    assert pg.count() == len(DOCS)


@pytest.mark.postgres
def test_an_older_seq_never_replaces_a_newer_row(pg: PostgresSearch) -> None:
    assert pg.apply([doc("lesson:s", title="Wombat", version=2, seq=20)], [])
    assert pg.apply([doc("lesson:s", title="Platypus", version=1, seq=10)], [])  # stale
    assert keys(pg.search("wombat", access=ALICE)) == ["lesson:s"]
    assert pg.search("platypus", access=ALICE).total == 0
    assert pg.versions()["lesson:s"] == 2
    assert pg.apply([doc("lesson:s", title="Echidna", version=3, seq=30)], [])
    assert keys(pg.search("echidna", access=ALICE)) == ["lesson:s"]


@pytest.mark.postgres
def test_last_upsert_of_a_key_wins_and_beats_its_delete(pg: PostgresSearch) -> None:
    upserts = [doc("lesson:d", title="Wombat"), doc("lesson:d", title="Numbat")]
    assert pg.apply(upserts, ["lesson:d"])
    assert pg.search("wombat", access=ALICE).total == 0
    assert keys(pg.search("numbat", access=ALICE)) == ["lesson:d"]


@pytest.mark.postgres
def test_apply_returns_false_while_a_row_is_locked(pg: PostgresSearch, pg_engine: Engine) -> None:
    with pg_engine.begin() as conn:
        conn.execute(text("SELECT 1 FROM search_documents WHERE key = 'lesson:1' FOR UPDATE"))
        assert pg.apply([doc("lesson:1", title="Locked")], [], timeout=0.2) is False
    assert pg.apply([doc("lesson:1", title="Unlocked")], [], timeout=0.2) is True
    assert keys(pg.search("unlocked", access=ALICE)) == ["lesson:1"]


@pytest.mark.postgres
def test_readers_see_the_old_rows_until_a_rebuild_ends(pg: PostgresSearch) -> None:
    seen_during: list[int] = []

    def progress(n: int) -> None:
        seen_during.append(pg.search("practice", access=ALICE).total)

    new_docs = [doc(f"lesson:n{i}", title=f"Number bonds {i}") for i in range(1200)]
    assert pg.rebuild(new_docs, total=1200, progress=progress) == 1200
    # Old documents nobody rewrote stay findable until the end, then go.
    assert len(seen_during) > 2 and set(seen_during) == {45}
    assert pg.search("practice", access=ALICE).total == 0
    assert pg.search("bonds", access=ALICE).total == 1200
    assert pg.count() == 1200


@pytest.mark.postgres
def test_a_write_during_a_rebuild_does_not_wait_and_is_kept(
    pg: PostgresSearch, pg_engine: Engine
) -> None:
    """A save's document written mid-rebuild commits at once; the rebuild's older copy of the
    same document, written later, does not replace it, and is not removed at the end."""
    written_during: list[bool] = []

    def progress(n: int) -> None:
        if not written_during:
            finished = threading.Event()

            def writer() -> None:
                with pg_engine.begin() as conn:
                    pg.write(conn, [doc("lesson:f1100", title="Wallaby")], [])
                finished.set()

            threading.Thread(target=writer).start()
            written_during.append(finished.wait(5))

    filler = [doc(f"lesson:f{i}", title="Filler") for i in range(1200)]
    assert pg.rebuild([*DOCS, *filler], total=len(DOCS) + 1200, progress=progress) > 1200
    assert written_during == [True]  # the save did not wait for the rebuild
    assert keys(pg.search("wallaby", access=ALICE)) == ["lesson:f1100"]  # and its text stayed
    assert pg.count() == len(DOCS) + 1200


@pytest.mark.postgres
def test_failed_rebuild_keeps_the_old_rows(pg: PostgresSearch) -> None:
    with pytest.raises(ValueError):
        pg.rebuild([doc("lesson:ok"), doc("lesson:bad", access=[])])
    assert pg.search("practice", access=ALICE).total == 45


@pytest.mark.postgres
def test_missing_table_is_unavailable_not_fatal(pg_engine: Engine) -> None:
    missing = PostgresSearch(pg_engine, schema="no_such_schema")
    assert not missing.exists() and not missing.is_healthy()
    assert missing.count() == 0 and missing.versions() == {}
    r = missing.search("fractions", access=ALICE)
    assert r.available is False and r.message and r.total == 0
    assert missing.apply([doc("lesson:x")], []) is False


@pytest.mark.postgres
def test_create_empties_the_table(pg: PostgresSearch) -> None:
    assert pg.exists() and pg.is_healthy()
    pg.create()
    assert pg.exists() and pg.count() == 0
    assert pg.search("zebrafinh", access=BOB).suggestion is None  # words went too


@pytest.mark.postgres
def test_bounded_ranking_pages_stay_consistent_and_say_so(pg: PostgresSearch) -> None:
    pg.rank_limit = 10
    pages = [pg.search("practice", access=ALICE, page=p, pagelen=7) for p in range(1, 8)]
    seen = [k for r in pages for k in keys(r)]
    assert len(seen) == len(set(seen)) == 45
    assert all(r.message and "Over 10 matches" in r.message for r in pages)
    # The ranked part holds the 10 newest matches (p0..p9), best first.
    assert set(seen[:10]) == {f"lesson:p{i}" for i in range(10)}
    assert seen[0] == "lesson:p6"  # the most "practice" among them
    assert seen[10:] == [f"lesson:p{i}" for i in range(10, 45)]


@pytest.mark.postgres
def test_counts_stop_at_the_limit_and_say_so(pg: PostgresSearch) -> None:
    pg.count_limit = 5
    r = pg.search("practice", access=ALICE)
    assert r.total == 5 and sum(c for _, c in r.facets["type"]) == 5
    assert r.message and "Counts stop at 5" in r.message


@pytest.mark.postgres
def test_without_pg_trgm_no_suggestion_and_no_error(pg_engine: Engine) -> None:
    backend = PostgresSearch(pg_engine)
    backend.rebuild(DOCS)
    backend._trgm_checked, backend._trgm = True, None  # as on a server without pg_trgm
    r = backend.search("zebrafinh", access=BOB)
    assert r.available and r.suggestion is None and r.total == 0


@pytest.mark.postgres
def test_forbidden_words_never_leak_through_suggestions_or_fuzzy_matches(
    pg: PostgresSearch,
) -> None:
    # "zebrafinch" is in the words table, but only a school:2 document holds it.
    for text_ in ("zebrafinh", "zebrafinch~", "zebra*", "zebrafinc OR zebrafinsh"):
        r = pg.search(text_, access=ALICE)
        assert r.total == 0 and r.hits == [] and r.suggestion is None
        assert all(not counts for counts in r.facets.values())
    # A typed filter cannot widen access: Bob's school filter from Alice finds nothing.
    assert pg.search("zebrafinch school:2", access=ALICE).total == 0
    assert pg.search("", access=ALICE, filters={"school": ["2"]}).total == 0
