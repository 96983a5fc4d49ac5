"""Search as teachers use it: fresh after saving, only what they may see, self-healing index."""

from __future__ import annotations

import shutil
import threading

import pytest

from app.extensions import db
from tests.conftest import PG_URL
from tests.planning_helpers import lesson_form, make_plan


@pytest.fixture(params=["whoosh"] + ([pytest.param("postgres", marks=pytest.mark.postgres)]
                                      if PG_URL else []))
def indexed(request, app, backend):
    """Start from a real, empty index: Whoosh on disk, or PostgreSQL's documents table (the
    same tests run on both search backends)."""
    from app.search.indexer import get_index

    if request.param == "postgres":
        if backend != "postgresql":
            pytest.skip("the PostgreSQL search backend needs a PostgreSQL database")
        app.config["SEARCH_BACKEND"] = "postgres"
    with app.app_context():
        get_index(app).create()
    return app


def _search(client, query: str, **params) -> str:
    response = client.get("/search", query_string={"q": query, **params})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_saved_lesson_is_findable_at_once(indexed, client, login, make_work_group, make_user):
    group = make_work_group()
    user = make_user(group=group)
    login(user)
    plan = make_plan(indexed, user, group, lessons=1)
    client.post(f"/lessons/{plan.lesson_ids[0]}/edit", data=lesson_form(
        body="Pupils compare equivalent fractions on a number line: 3/4 and 6/8."))
    page = _search(client, "equivalent fractions")
    assert f'href="/lessons/{plan.lesson_ids[0]}"' in page
    assert "<mark>" in page  # matched words highlighted in the snippet
    assert f'href="/lessons/{plan.lesson_ids[0]}"' in _search(client, "3/4")


def test_results_only_show_what_the_reader_may_see(indexed, client, login, make_work_group,
                                                   make_user):
    mine, other = make_work_group(), make_work_group()
    author = make_user(group=other)
    plan = make_plan(indexed, author, other, lessons=1, title="Zebra crossings geometry")
    with indexed.app_context():
        from app.search.indexer import catch_up

        catch_up()
    login(make_user(group=mine))
    for query in ("zebra", "zebra OR school:" + str(other.school_ids[0]), '"zebra crossings"',
                  "zeb*", "zebra access:all"):
        page = _search(client, query)
        assert f"/sequences/{plan.id}" not in page, query
        assert "Zebra crossings" not in page, query
    page = _search(client, "zebr")
    assert "Did you mean" not in page  # no suggestion built from hidden plans


def test_visibility_change_applies_to_the_next_search(indexed, client, login, make_work_group,
                                                      make_user):
    mine, other = make_work_group(), make_work_group()
    author = make_user(group=other)
    plan = make_plan(indexed, author, other, lessons=1, title="Quokka multiplication")
    author_client = indexed.test_client()
    login(author, author_client)
    login(make_user(group=mine))
    assert "Quokka" not in _search(client, "quokka")
    author_client.post(f"/sequences/{plan.id}/settings", data={"visibility": "all",
                                                               "status": "draft"})
    page = _search(client, "quokka")
    assert f"/sequences/{plan.id}" in page and f"/lessons/{plan.lesson_ids[0]}" in page


def test_membership_change_applies_to_the_next_search(indexed, client, login, make_work_group,
                                                      make_user):
    from app.accounts.models import Membership

    group = make_work_group()
    author = make_user(group=group)
    plan = make_plan(indexed, author, group, lessons=1, title="Narwhal number bonds")
    with indexed.app_context():
        from app.search.indexer import catch_up

        catch_up()
    reader = make_user(group=group)
    login(reader)
    assert f"/sequences/{plan.id}" in _search(client, "narwhal")
    with indexed.app_context():
        for member in db.session.query(Membership).filter_by(user_id=reader.id):
            db.session.delete(member)
        db.session.commit()
    assert f"/sequences/{plan.id}" not in _search(client, "narwhal")


def test_filters_facets_archived_and_search_in_sequence(indexed, client, login,
                                                        make_work_group, make_user):
    group = make_work_group()
    user = make_user(group=group)
    login(user)
    first = make_plan(indexed, user, group, lessons=2, title="Fractions walrus")
    second = make_plan(indexed, user, group, lessons=1, title="Walrus place value",
                       year_group="Y5", strand="npv")
    with indexed.app_context():
        from app.search.indexer import catch_up

        catch_up()
    page = _search(client, "walrus")
    assert "Year group" in page and "(2)" in page  # facet counts
    only_y5 = _search(client, "walrus year:5")
    assert f"/sequences/{second.id}" in only_y5 and f"/sequences/{first.id}" not in only_y5
    in_sequence = _search(client, "", sequence=str(first.id))
    assert f"/lessons/{first.lesson_ids[0]}" in in_sequence
    assert f"/lessons/{second.lesson_ids[0]}" not in in_sequence
    client.post(f"/sequences/{second.id}/archive")
    assert f"/sequences/{second.id}" not in _search(client, "walrus")
    assert f"/sequences/{second.id}" in _search(client, "walrus", archived="1")


@pytest.mark.parametrize("query", ['"unbalanced', "((fractions", "OR", "*", "-", "AND OR NOT",
                                   "x" * 2000, "year:", 'title:"x" ) ( "', "\x00"])
def test_malformed_queries_never_fail(indexed, client, login, make_user, query):
    login(make_user())
    response = client.get("/search", query_string={"q": query})
    assert response.status_code == 200


def test_snippets_never_carry_markup_from_content(indexed, client, login, make_work_group,
                                                  make_user):
    group = make_work_group()
    user = make_user(group=group)
    login(user)
    plan = make_plan(indexed, user, group, lessons=1)
    client.post(f"/lessons/{plan.lesson_ids[0]}/edit", data=lesson_form(
        body="Platypus <script>alert(1)</script> <img src=x onerror=alert(2)>"))
    page = _search(client, "platypus")
    assert "<script>alert(1)" not in page and "<img src=x" not in page
    assert "&lt;script&gt;" in page


def test_missing_index_shows_a_notice_and_rebuilds(app, client, login, make_work_group,
                                                   make_user):
    from app.search.indexer import get_index

    group = make_work_group()
    user = make_user(group=group)
    make_plan(app, user, group, lessons=1, title="Axolotl arrays")
    login(user)
    app.config["SEARCH_AUTO_REBUILD"] = "off"
    page = _search(client, "axolotl")
    assert "Search is being rebuilt" in page
    assert client.get("/sequences").status_code == 200  # everything else keeps working
    app.config["SEARCH_AUTO_REBUILD"] = "sync"
    assert "Axolotl arrays" in _search(client, "axolotl")
    # A corrupted index is treated like a missing one.
    with app.app_context():
        index_dir = get_index(app).path
        get_index(app).close()
    for item in index_dir.iterdir():
        if item.is_file():
            item.write_bytes(b"garbage")
    assert "Axolotl arrays" in _search(client, "axolotl")


def test_cli_rebuild_and_verify(app, make_work_group, make_user):
    from app.search.indexer import get_index

    group = make_work_group()
    user = make_user(group=group)
    make_plan(app, user, group, lessons=2)
    runner = app.test_cli_runner()
    rebuilt = runner.invoke(args=["search", "rebuild"])
    assert rebuilt.exit_code == 0 and "Indexed 3 documents" in rebuilt.output
    assert runner.invoke(args=["search", "verify"]).exit_code == 0
    with app.app_context():
        get_index(app).apply([], ["lesson:1"])
    report = runner.invoke(args=["search", "verify"])
    assert report.exit_code == 1 and "1 missing: lesson:1" in report.output
    shutil.rmtree(get_index(app).path)
    assert runner.invoke(args=["search", "verify"]).exit_code == 1


def test_a_locked_index_never_loses_an_update(indexed, client, login, make_work_group,
                                              make_user):
    """Another process holding the writer: the save succeeds, the log keeps the update."""
    from whoosh import index as whoosh_index

    if indexed.config["SEARCH_BACKEND"] == "postgres":
        pytest.skip("Whoosh's writer lock")

    from app.search.indexer import catch_up, get_index, pending_count

    group = make_work_group()
    user = make_user(group=group)
    login(user)
    plan = make_plan(indexed, user, group, lessons=1)
    with indexed.app_context():
        catch_up()
        writer = whoosh_index.open_dir(str(get_index(indexed).path)).writer()
    try:
        indexed.config["SEARCH_WRITE_TIMEOUT"] = 0.1
        response = client.post(f"/lessons/{plan.lesson_ids[0]}/edit",
                               data=lesson_form(body="Capybara counting"))
        assert response.status_code == 302  # no LockError reaches the teacher
        with indexed.app_context():
            assert pending_count() >= 1
    finally:
        writer.cancel()
    assert "Capybara" in _search(client, "capybara")  # the indexer applies it next
    with indexed.app_context():
        assert pending_count() == 0


def test_parallel_saves_from_several_threads_all_reach_the_index(indexed, make_work_group,
                                                                 make_user):
    from app.accounts.models import User
    from app.planning import services
    from app.search.indexer import catch_up, get_index

    group = make_work_group()
    user = make_user(group=group)
    plan = make_plan(indexed, user, group, lessons=6)
    errors: list[BaseException] = []

    def save(lesson_id: int, word: str) -> None:
        try:
            with indexed.app_context():
                author = db.session.get(User, user.id)
                services.update_lesson(author, lesson_id, {
                    **services.empty_lesson_fields(f"Lesson {lesson_id}"), "body": word}, 1, "")
                db.session.commit()
                catch_up(timeout=0.05)
        except BaseException as error:  # noqa: BLE001 - collected and asserted below
            errors.append(error)

    words = ["ibex", "okapi", "tapir", "gecko", "heron", "lemur"]
    threads = [threading.Thread(target=save, args=(lid, w))
               for lid, w in zip(plan.lesson_ids, words, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    with indexed.app_context():
        catch_up()
        for word in words:
            results = get_index(indexed).search(word, access=["site"])
            assert results.total == 1, word
