"""Pages addressed by revision answer If-None-Match with 304, are private to the browser, and
one person's ETag never validates another person's page (app.web.revision_addressed)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from app.accounts.models import User
from app.extensions import db
from app.notifications.services import notify
from tests.planning_helpers import make_plan
from tests.reviews_helpers import client_for, edit_lesson


@pytest.fixture
def world(app, make_work_group, make_user, login) -> SimpleNamespace:
    group = make_work_group()
    a, b = group.school_ids
    ann = make_user("Ann A", group=group, school_id=a)
    amy = make_user("Amy A", group=group, school_id=a)
    bob = make_user("Bob B", group=group, school_id=b)
    outsider = make_user("Olly Outsider", group=make_work_group(code="NCP 24-77"))
    shared = make_plan(app, ann, group, lessons=1)
    private = make_plan(app, ann, group, lessons=1, visibility="school",
                        title="School A only plan")
    for plan in (shared, private):
        edit_lesson(app, ann, plan.lesson_ids[0], key_learning_point="Doubling twos.")
    return SimpleNamespace(group=group, ann=ann, amy=amy, bob=bob, outsider=outsider,
                           shared=shared, private=private,
                           clients={u.display_name: client_for(app, login, u)
                                    for u in (ann, amy, bob, outsider)})


def pages(plan) -> list[str]:
    lesson = plan.lesson_ids[0]
    return [f"/lessons/{lesson}/revisions/1", f"/lessons/{lesson}/compare?a=1&b=2",
            f"/lessons/{lesson}/source", f"/lessons/{lesson}/revisions/2/source",
            f"/lessons/{lesson}/source.md", f"/lessons/{lesson}/revisions/2/source.md",
            f"/sequences/{plan.id}/revisions/1", f"/sequences/{plan.id}/compare?a=1&b=1",
            f"/sequences/{plan.id}/print", f"/sequences/{plan.id}/export.md"]


def test_a_revision_addressed_page_revalidates_to_304_without_a_body(world):
    ann = world.clients["Ann A"]
    for url in pages(world.shared):
        first = ann.get(url)
        assert first.status_code == 200, url
        assert first.headers["Cache-Control"] == "private, no-cache", url
        assert first.headers.get("ETag"), url
        again = ann.get(url, headers={"If-None-Match": first.headers["ETag"]})
        assert again.status_code == 304, url
        assert again.get_data() == b""


def test_the_etag_moves_when_the_readers_own_header_changes(app, world):
    ann = world.clients["Ann A"]
    url = pages(world.shared)[0]
    first = ann.get(url)
    with app.app_context():
        notify(world.ann.id, "mention", "Bob mentioned you", "/")
        db.session.commit()
    again = ann.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 200
    assert "Notifications (1" in again.get_data(as_text=True)
    assert again.headers["ETag"] != first.headers["ETag"]


def test_one_persons_etag_never_validates_another_persons_page(world):
    ann_tag = {url: world.clients["Ann A"].get(url).headers["ETag"]
               for url in pages(world.shared) + pages(world.private)}
    for name in ("Amy A", "Bob B"):           # same school, then another school
        the_client = world.clients[name]
        for url in pages(world.shared):
            response = the_client.get(url, headers={"If-None-Match": ann_tag[url]})
            assert response.status_code == 200, (name, url)
            assert response.headers["ETag"] != ann_tag[url]
            assert name.encode() in response.get_data() or url.endswith((".md", "source"))
    # Someone who may not read the plan gets a plain 404, never a 304 that would confirm it.
    for name in ("Bob B", "Olly Outsider"):
        for url in pages(world.private):
            response = world.clients[name].get(url, headers={"If-None-Match": ann_tag[url]})
            assert response.status_code == 404, (name, url)
            assert "ETag" not in response.headers


def test_a_new_session_of_the_same_person_gets_the_page_again(app, world, login):
    url = pages(world.shared)[0]
    tag = world.clients["Ann A"].get(url).headers["ETag"]
    fresh = client_for(app, login, world.ann)   # logging in starts a new session
    response = fresh.get(url, headers={"If-None-Match": tag})
    assert response.status_code == 200


def test_ordinary_pages_stay_out_of_every_cache(world):
    response = world.clients["Ann A"].get(f"/lessons/{world.shared.lesson_ids[0]}")
    assert response.headers["Cache-Control"] == "no-store"
    assert "ETag" not in response.headers


def test_a_flashed_message_is_not_hidden_by_a_304(app, world):
    ann = world.clients["Ann A"]
    url = pages(world.shared)[0]
    tag = ann.get(url).headers["ETag"]
    with ann.session_transaction() as session:
        session["_flashes"] = [("info", "Something you must read")]
    response = ann.get(url, headers={"If-None-Match": tag})
    assert response.status_code == 200
    assert "Something you must read" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, world.ann.id) is not None
