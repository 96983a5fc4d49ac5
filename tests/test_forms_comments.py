"""Comment forms as a user meets them: a reply that names its comment in other digits is
refused beside the box with the text kept (never posted somewhere else), and the buttons
need their form."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.comments.models import Comment
from app.extensions import db
from tests.observations_helpers import build_world


@pytest.fixture
def world(app, make_work_group, make_user):
    return build_world(app, make_work_group, make_user)


def _rows(app) -> list[tuple[int, int | None]]:
    with app.app_context():
        rows = db.session.scalars(select(Comment).order_by(Comment.id))
        return [(c.id, c.parent_id) for c in rows]


def test_a_reply_to_an_id_in_other_digits_is_refused_with_the_text_kept(app, client, login,
                                                                          world):
    login(world.teacher)
    url = f"/comments/lesson/{world.lesson_id}"
    assert client.post(url, data={"body": "First thought"}).status_code == 303
    response = client.post(url, data={"body": "Kept reply text", "parent_id": "\u0661"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert re.search(r'id="f-body-error">.*The comment you replied to is not on this page', page)
    assert "Kept reply text</textarea>" in page
    assert _rows(app) == [(1, None)]


def test_an_empty_edit_is_shown_beside_the_comment_box(app, client, login, world):
    login(world.teacher)
    client.post(f"/comments/lesson/{world.lesson_id}", data={"body": "Original"})
    response = client.post("/comments/1/edit", data={"body": ""})
    assert response.status_code == 400
    assert re.search(r'id="f-body-error">.*Write your comment first',
                     response.get_data(as_text=True))


def test_resolving_without_the_form_token_is_refused(app, client, login, world):
    login(world.teacher)
    client.post(f"/comments/lesson/{world.lesson_id}", data={"body": "Resolve me"})
    assert client.post("/comments/1/resolve", csrf=False).status_code == 400
    with app.app_context():
        assert not db.session.get(Comment, 1).resolved
    assert client.post("/comments/1/resolve").status_code == 303
