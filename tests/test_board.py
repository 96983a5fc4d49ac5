"""The Work Group's discussion board: threads on the comment engine, members only."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.comments.models import Comment, Mention
from app.extensions import db
from app.workgroups.models import BoardThread
from tests.workgroup_sessions_helpers import (
    build_world,
    freeze_today,
    page,
)


@pytest.fixture
def world(make_work_group, make_user):
    return build_world(make_work_group, make_user)


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    freeze_today(monkeypatch)


def _start(client, group_id: int, title: str = "Bar models for sharing vs grouping?",
           body: str = "How do your **Year 2** classes draw them?", category: str = "question"):
    return client.post(f"/work-groups/{group_id}/board",
                       data={"title": title, "category": category, "body": body})


def _thread_id(response) -> int:
    return int(re.search(r"/board/(\d+)$", response.headers["Location"]).group(1))


def test_members_start_threads_and_reply(app, client, login, world):
    login(world.teacher_a)
    response = _start(client, world.group.id,
                      body="How do your **Year 2** classes draw them?<script>x()</script>")
    assert response.status_code == 302
    thread_id = _thread_id(response)
    with app.app_context():
        thread = db.session.scalars(select(BoardThread)).one()
        assert (thread.comment_id, thread.title, thread.category) == (
            thread_id, "Bar models for sharing vs grouping?", "question")
        root = db.session.get(Comment, thread_id)
        assert (root.target_type, root.target_id, root.parent_id) == ("board", world.group.id,
                                                                      None)
    html = page(client.get(f"/work-groups/{world.group.id}/board/{thread_id}"))
    assert '<h1 dir="auto">Bar models for sharing vs grouping?</h1>' in html
    assert "<strong>Year 2</strong>" in html and "<script>x()" not in html
    client.post("/logout")
    login(world.teacher_b)
    response = client.post(f"/comments/board/{world.group.id}", data={
        "body": "We use one layout for both.", "parent_id": str(thread_id),
        "next": f"/work-groups/{world.group.id}/board/{thread_id}"})
    assert response.status_code == 303
    assert response.headers["Location"].startswith(
        f"/work-groups/{world.group.id}/board/{thread_id}#comment-")
    html = page(client.get(f"/work-groups/{world.group.id}/board/{thread_id}"))
    assert "We use one layout for both." in html
    listing = page(client.get(f"/work-groups/{world.group.id}/board"))
    assert "Bar models for sharing vs grouping?" in listing and "1 reply" in listing
    assert "Question" in listing and "started by <bdi>Sam Iqbal</bdi>" in listing


def test_board_is_for_the_groups_members_only(app, client, login, world, make_user):
    login(world.teacher_a)
    thread_id = _thread_id(_start(client, world.group.id))
    client.post("/logout")
    hub_admin = make_user(name="Hub Admin", site_role="hub_admin",
                          admin_hub_id=world.group.hub_id)
    for person in (world.outsider, hub_admin):
        login(person)
        for path in (f"/work-groups/{world.group.id}/board",
                     f"/work-groups/{world.group.id}/board/{thread_id}",
                     f"/comments/board/{world.group.id}"):
            assert client.get(path).status_code == 404, (person.display_name, path)
        assert _start(client, world.group.id).status_code == 404
        response = client.post(f"/comments/board/{world.group.id}",
                               data={"body": "Let me in", "parent_id": str(thread_id)})
        assert response.status_code == 404
        assert client.post(f"/comments/{thread_id}/resolve").status_code == 404
        client.post("/logout")
    # A thread of another group is not reachable through this group's board either.
    login(world.outsider)
    other_id = _thread_id(_start(client, world.other.id, title="Other group's thread"))
    client.post("/logout")
    login(world.teacher_a)
    assert client.get(f"/work-groups/{world.group.id}/board/{other_id}").status_code == 404
    assert "Other group&#39;s thread" not in page(client.get(
        f"/work-groups/{world.group.id}/board"))
    with app.app_context():
        assert len(db.session.scalars(select(Comment)).all()) == 2


def test_a_thread_needs_a_title_and_a_message_and_keeps_what_was_typed(app, client, login,
                                                                        world):
    login(world.teacher_a)
    response = _start(client, world.group.id, title="  ", body="My question text")
    html = page(response)
    assert response.status_code == 400 and "Give the thread a title" in html
    assert "My question text</textarea>" in html
    response = _start(client, world.group.id, title="A title", body="   ", category="gossip")
    html = page(response)
    assert "Write your comment first." in html and "Choose what kind of thread" in html
    assert 'value="A title"' in html
    assert client.post(f"/work-groups/{world.group.id}/board", csrf=False, data={
        "title": "t", "category": "question", "body": "b"}).status_code == 400
    with app.app_context():
        assert db.session.scalars(select(Comment)).all() == []
        assert db.session.scalars(select(BoardThread)).all() == []


def test_mentions_notify_members_only(app, client, login, world):
    login(world.teacher_a)
    response = _start(client, world.group.id,
                      body="@Rosa Kettlewell and @Tom Ashdown, can you share your slides?")
    assert response.status_code == 302
    with app.app_context():
        assert [m.user_id for m in db.session.scalars(select(Mention))] == [world.teacher_b.id]
    html = page(client.get(f"/work-groups/{world.group.id}/board/{_thread_id(response)}"))
    assert '<mark class="mention">@Rosa Kettlewell</mark>' in html
    assert '<mark class="mention">@Tom Ashdown</mark>' not in html


def test_threads_are_resolvable_and_filtered(app, client, login, world):
    login(world.teacher_a)
    first = _thread_id(_start(client, world.group.id, title="First question"))
    _start(client, world.group.id, title="A resource", category="resource")
    client.post("/logout")
    login(world.teacher_b)
    assert client.post(f"/comments/{first}/resolve").status_code == 403  # not theirs
    client.post("/logout")
    login(world.lead)
    assert client.post(f"/comments/{first}/resolve", data={
        "next": f"/work-groups/{world.group.id}/board/{first}"}).status_code == 303
    open_list = page(client.get(f"/work-groups/{world.group.id}/board"))
    assert "First question" not in open_list and "A resource" in open_list
    resolved = page(client.get(f"/work-groups/{world.group.id}/board?show=resolved"))
    assert "First question" in resolved and "A resource" not in resolved
    resources = page(client.get(f"/work-groups/{world.group.id}/board?category=resource"))
    assert "A resource" in resources and "First question" not in resources
    thread = page(client.get(f"/work-groups/{world.group.id}/board/{first}"))
    assert "Resolved by <bdi>Jo Castleford</bdi>" in thread
