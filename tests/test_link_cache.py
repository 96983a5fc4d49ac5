"""Plan HTML with wiki links resolved is cached per reader class and links epoch: people of two
schools never receive each other's cached fragments, and a rename or a narrowed plan shows at
once, on this worker and on another (app/planning/link_cache.py)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from app import create_app
from app.accounts.models import User
from app.extensions import db
from app.planning import services
from app.registry import registry
from tests.planning_helpers import lesson_form, make_plan, signed_in
from tests.sql_helpers import statements_sent

HIDDEN = "Okapi walls for school A"


@pytest.fixture
def world(app, make_work_group, make_user) -> SimpleNamespace:
    """School A has a school-only sequence; a shared lesson links to it by title."""
    group = make_work_group()
    a, b = group.school_ids
    ann = make_user("Ann A", group=group, school_id=a)
    amy = make_user("Amy A", group=group, school_id=a)
    bob = make_user("Bob B", group=group, school_id=b)
    hidden = make_plan(app, ann, group, lessons=1, title=HIDDEN, visibility="school")
    shared = make_plan(app, ann, group, lessons=2, title="Shared fractions")
    lesson_id = shared.lesson_ids[0]
    with app.app_context():
        author = db.session.get(User, ann.id)
        services.update_lesson(author, lesson_id, lesson_form(
            key_learning_point=f"Start from [[{HIDDEN}]] and [[Shared fractions/Lesson 2]]."),
            1, "Links")
        db.session.commit()
    return SimpleNamespace(group=group, ann=ann, amy=amy, bob=bob, hidden=hidden,
                           shared=shared, lesson_id=lesson_id)


def page(the_client, lesson_id: int) -> str:
    response = the_client.get(f"/lessons/{lesson_id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def hidden_href(world) -> str:
    return f'class="wikilink" href="/sequences/{world.hidden.id}"'


def test_school_b_never_gets_school_a_resolved_links_whoever_comes_first(app, world):
    ann, bob = signed_in(app, world.ann), signed_in(app, world.bob)

    first_a = page(ann, world.lesson_id)       # fills the cache for school A's class
    then_b = page(bob, world.lesson_id)
    assert hidden_href(world) in first_a
    assert hidden_href(world) not in then_b
    assert HIDDEN in then_b                     # the author's label, as typed, nothing more
    assert 'wikilink missing' in then_b

    registry(app).link_cache = type(registry(app).link_cache)()   # an empty cache: B first
    first_b = page(bob, world.lesson_id)
    then_a = page(ann, world.lesson_id)
    assert hidden_href(world) not in first_b
    assert hidden_href(world) in then_a


def test_people_of_one_class_share_an_entry_and_the_page_reads_no_more_for_it(app, world):
    cache = registry(app).link_cache
    page(signed_in(app, world.ann), world.lesson_id)
    misses = cache.misses
    amy = signed_in(app, world.amy)
    with statements_sent(app) as statements:
        second = page(amy, world.lesson_id)            # same school, same class: a hit
    assert cache.misses == misses and cache.hits >= 1
    assert hidden_href(world) in second
    # The links cost no statement of their own: the lesson view stays within five (the visit
    # is remembered after the response, see tests/test_page_queries.py).
    during = [s for s in statements if not s.startswith("INSERT INTO visit")]
    assert len(during) <= 5, during


def test_a_rename_or_a_narrowed_plan_shows_at_once_on_this_and_another_worker(app, world):
    # Another worker: the same database and settings, its own process memory (its own cache).
    other_worker = create_app({key: app.config[key] for key in (
        "TESTING", "SECRET_KEY", "SQLALCHEMY_DATABASE_URI", "SEARCH_INDEX_DIR",
        "SEARCH_INDEXER", "SERVER_NAME")})
    other_worker.test_client_class = app.test_client_class
    try:
        assert registry(other_worker).link_cache is not registry(app).link_cache
        bob_here, bob_there = signed_in(app, world.bob), signed_in(other_worker, world.bob)
        linked = f'class="wikilink" href="/lessons/{world.shared.lesson_ids[1]}"'
        assert linked in page(bob_here, world.lesson_id)
        assert linked in page(bob_there, world.lesson_id)

        # The linked lesson is renamed: the link no longer resolves (it names the old title).
        with app.app_context():
            services.update_lesson(db.session.get(User, world.ann.id), world.shared.lesson_ids[1],
                                   lesson_form(title="Renamed lesson"), 1, "Rename")
            db.session.commit()
        for the_client in (bob_here, bob_there):
            html = page(the_client, world.lesson_id)
            assert linked not in html and "Lesson 2" in html

        # School A's hidden plan is opened to the Work Group, then narrowed again.
        ann = signed_in(app, world.ann)
        for visibility, shown in (("work_group", True), ("school", False)):
            response = ann.post(f"/sequences/{world.hidden.id}/settings",
                                data={"visibility": visibility, "status": "draft"})
            assert response.status_code == 302
            for the_client in (bob_here, bob_there):
                assert (hidden_href(world) in page(the_client, world.lesson_id)) is shown
    finally:
        with other_worker.app_context():
            db.session.remove()
            db.engine.dispose()   # its connections close now, not when collected
