"""Review of issue 16 (plan views in few statements, link cache, ETag, visits after response):
tests that fail because of a real bug (each says what is wrong) and tests that pin a subtle
behaviour worth keeping."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from app.accounts.models import User
from app.extensions import db
from app.planning import services
from tests.planning_helpers import lesson_form, make_plan, signed_in


def page(the_client, url: str) -> str:
    response = the_client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def link_from(app, author, lesson_id: int, text: str) -> None:
    with app.app_context():
        services.update_lesson(db.session.get(User, author.id), lesson_id,
                               lesson_form(key_learning_point=text), 1, "Links")
        db.session.commit()


@pytest.fixture
def group_and_ann(make_work_group, make_user) -> SimpleNamespace:
    group = make_work_group()
    ann = make_user("Ann A", group=group, school_id=group.school_ids[0])
    return SimpleNamespace(group=group, ann=ann)


# Was a bug: the links epoch looked only at the `sequence_id` column's history, but a move
# sets the `lesson.sequence` relationship, and the foreign key changes only during the flush,
# after before_flush has looked. When the lesson keeps its position (the only lesson of its
# sequence moved into an empty one) nothing watched changed, the epoch stayed put and cached
# pages kept linking [[Source/Lesson]] to a lesson no longer there (and not [[Target/Lesson]]).
def test_moving_a_lesson_that_keeps_its_position_moves_the_links_epoch(app, group_and_ann):
    ann, group = group_and_ann.ann, group_and_ann.group
    source = make_plan(app, ann, group, lessons=1, title="Source sequence")
    target = make_plan(app, ann, group, lessons=0, title="Target sequence")
    reader = make_plan(app, ann, group, lessons=1, title="Reading sequence")
    link_from(app, ann, reader.lesson_ids[0],
              "See [[Source sequence/Lesson 1]] and [[Target sequence/Lesson 1]].")
    moved = source.lesson_ids[0]
    linked = f'class="wikilink" href="/lessons/{moved}"'
    ann_client = signed_in(app, ann)
    before = page(ann_client, f"/lessons/{reader.lesson_ids[0]}")
    assert before.count(linked) == 1

    with app.app_context():
        services.move_lesson_to_sequence(db.session.get(User, ann.id), moved, target.id)
        db.session.commit()

    after = page(ann_client, f"/lessons/{reader.lesson_ids[0]}")
    # Still exactly one link to the lesson, but now from [[Target sequence/Lesson 1]].
    start = after.index("See ")
    source_part, target_part = after[start:].split(" and ", 1)
    assert linked not in source_part, "the cache still links the old place"
    assert linked in target_part.split("</p>")[0], "the new place is not linked"


# Was a bug: find_visible_sequence picked the newest of same-titled sequences by updated_at,
# which every save moves but the links epoch does not; cached and uncached answers then
# differed. It now picks the newest by creation, which a save never changes.
def test_same_title_links_keep_their_target_after_a_save(app, group_and_ann):
    ann, group = group_and_ann.ann, group_and_ann.group
    older = make_plan(app, ann, group, lessons=1, title="Fractions")
    newer = make_plan(app, ann, group, lessons=1, title="Fractions")
    reader = make_plan(app, ann, group, lessons=1, title="Reading sequence")
    link_from(app, ann, reader.lesson_ids[0], "See [[Fractions]].")
    ann_client = signed_in(app, ann)
    url = f"/lessons/{reader.lesson_ids[0]}"
    assert f'href="/sequences/{newer.id}"' in page(ann_client, url)

    link_from(app, ann, older.lesson_ids[0], "An edit of the older sequence's lesson.")
    with app.app_context():
        from app import policy
        from app.planning.links import find_visible_sequence
        fresh = find_visible_sequence(policy.visible_sequences_clause(
            db.session.get(User, ann.id)), "Fractions")
        assert fresh is not None and fresh.id == newer.id   # what an uncached view resolves to
    assert f'href="/sequences/{newer.id}"' in page(ann_client, url)


# Was a bug (SQLite only): app/planning/presenters.py move_targets matches
# lower(title) LIKE '%<word lowered by Python>%'; SQLite's lower() and LIKE fold ASCII only, so
# a title starting with a non-ASCII capital is never found, even when typed exactly as it is
# written ("Équivalence" becomes "équivalence" on one side, stays "Équivalence" on the other).
# PostgreSQL passes. Fix: fold in Python for SQLite (a registered casefold function) or compare
# with ILIKE/lower on both sides of the same engine.
def test_the_move_page_finds_a_sequence_whose_title_has_a_non_ascii_capital(
        app, group_and_ann):
    ann, group = group_and_ann.ann, group_and_ann.group
    lesson = make_plan(app, ann, group, lessons=1, title="Fractions").lesson_ids[0]
    make_plan(app, ann, group, lessons=0, title="Équivalence des fractions")
    ann_client = signed_in(app, ann)
    for typed in ("Équivalence", "équivalence"):
        html = page(ann_client, f"/lessons/{lesson}/move-to?q={typed}")
        assert "Équivalence des fractions" in html, typed


# Pinned: the move page decides per (visibility, school) class, and the class includes the
# school: a school-only sequence of school A is never offered to a member of school B even when
# school A's sequences were decided first in the same listing.
def test_the_move_page_never_offers_another_schools_school_only_sequence(
        app, make_work_group, make_user):
    group = make_work_group()
    a, b = group.school_ids
    ann = make_user("Ann A", group=group, school_id=a)
    bob = make_user("Bob B", group=group, school_id=b)
    make_plan(app, ann, group, lessons=0, title="A school plan", visibility="school",
              school_id=str(a))
    make_plan(app, bob, group, lessons=0, title="B school plan", visibility="school",
              school_id=str(b))
    lesson = make_plan(app, bob, group, lessons=1, title="Bob shared",
                       school_id=str(b)).lesson_ids[0]
    html = page(signed_in(app, bob), f"/lessons/{lesson}/move-to?q=school plan")
    assert "B school plan" in html and "A school plan" not in html


# Was a bug: app/planning/visits.py registers the visit marker with after_this_request, and Flask
# runs those hooks for error pages too (finalize_request from the error handler): a lesson view
# that fails after its page query (any panel, the template) answers 500 yet moves the reader's
# visit marker, so "Changed since your last visit" is never shown for what they did not see.
def test_a_view_that_fails_does_not_remember_the_visit(app, group_and_ann, make_user,
                                                       monkeypatch):
    from sqlalchemy import select

    from app.planning import routes
    from app.planning.models import Visit

    ann, group = group_and_ann.ann, group_and_ann.group
    bob = make_user("Bob B", group=group, school_id=group.school_ids[0])
    plan = make_plan(app, ann, group, lessons=1)
    lesson_id = plan.lesson_ids[0]
    bob_client = signed_in(app, bob)

    def broken_panel(*_args, **_kwargs):
        raise RuntimeError("a panel fails")

    monkeypatch.setattr(routes, "lesson_panel", broken_panel)
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    assert bob_client.get(f"/lessons/{lesson_id}").status_code == 500
    with app.app_context():
        seen = db.session.scalars(select(Visit.number).where(
            Visit.user_id == bob.id, Visit.document_id == plan.lesson_documents[0])).all()
    assert seen == [], "a page the reader never got was remembered as seen"


# Was a bug (PostgreSQL): the links epoch is one row that every structural change UPDATEs at its
# first flush (app/planning/link_cache.py _before_flush) and holds until commit. Services take
# it at different points relative to the document locks: add_lesson flushes the new lesson
# (epoch) and then locks the sequence's document (record_structure); move_lesson_to_sequence
# locks both sequences' documents first and takes the epoch at its first flush. Adding a lesson
# to S while a lesson moves out of S is a lock-order cycle: PostgreSQL aborts one with
# "deadlock detected" (a 500 for that teacher). SQLite's single writer lock cannot deadlock.
# Fixed: the epoch moves at the end of the transaction (before_commit, after every document
# lock), so every transaction takes the locks in one order.
def test_adding_a_lesson_while_another_moves_out_does_not_deadlock(
        app, backend, group_and_ann, make_user, monkeypatch):
    import threading

    from app import revisions

    if backend != "postgresql":
        pytest.skip("SQLite has one writer lock: no lock-order cycle is possible")
    ann, group = group_and_ann.ann, group_and_ann.group
    amy = make_user("Amy A", group=group, school_id=group.school_ids[0])
    source = make_plan(app, ann, group, lessons=2, title="Source sequence")
    # Two lessons there: the moved lesson's position changes, so the move moves the epoch.
    target = make_plan(app, ann, group, lessons=2, title="Target sequence")
    adder_waits, mover_locked = threading.Event(), threading.Event()
    real_lock = revisions.lock_document

    def lock_document(document_id: int):
        # Only orders the two threads the way two real requests can meet; never blocks longer
        # than the timeout.
        if threading.current_thread().name == "adder":
            adder_waits.set()
            mover_locked.wait(10)
        document = real_lock(document_id)
        if threading.current_thread().name == "mover" and document_id == target.document_id:
            mover_locked.set()
        return document

    monkeypatch.setattr(revisions, "lock_document", lock_document)
    errors: list[str] = []

    def run(person, work) -> None:
        with app.app_context():
            try:
                work(db.session.get(User, person.id))
                db.session.commit()
            except Exception as error:  # noqa: BLE001  (reported below)
                errors.append(f"{threading.current_thread().name}: {error!r}"[:300])
            finally:
                db.session.remove()

    def add(user) -> None:
        services.add_lesson(user, source.id, "Added meanwhile")

    def move(user) -> None:
        adder_waits.wait(10)
        services.move_lesson_to_sequence(user, source.lesson_ids[1], target.id)

    threads = [threading.Thread(target=run, args=(ann, add), name="adder"),
               threading.Thread(target=run, args=(amy, move), name="mover")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
