"""Helpers for the review and notification tests: a team of two schools, logged-in clients,
edits through the real services, and the review forms as a browser posts them."""

from __future__ import annotations

import re
from types import SimpleNamespace
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import func, select

from app.accounts.models import User
from app.extensions import db
from app.planning import services as planning
from app.reviews.models import ReviewRequest
from tests.planning_helpers import make_plan


def build_team(app, make_work_group, make_user) -> SimpleNamespace:
    """A Work Group of two schools (a: owns the plan, b: adopts it), its people, a plan, and an
    outsider in another Work Group."""
    group = make_work_group()
    a, b = group.school_ids
    people = SimpleNamespace(
        author=make_user("Ann Author", group=group, school_id=a),
        sl_a=make_user("Sal Leader-A", group=group, roles=("subject_leader",), school_id=a),
        sl_b=make_user("Bea Leader-B", group=group, roles=("subject_leader", "lead_participant"),
                       school_id=b),
        teacher_b=make_user("Tom Teacher-B", group=group, school_id=b),
        lead=make_user("Lee Lead", group=group, roles=("work_group_lead",)),
    )
    other = make_work_group(code="NCP 24-99")
    people.outsider = make_user("Olly Outsider", group=other, roles=("subject_leader",))
    plan = make_plan(app, people.author, group, lessons=2)
    return SimpleNamespace(group=group, school_a=a, school_b=b, plan=plan,
                           other_group=other, **vars(people))


def client_for(app, login, user: SimpleNamespace) -> FlaskClient:
    """A fresh test client logged in as `user`."""
    the_client = app.test_client()
    login(user, the_client)
    return the_client


def edit_lesson(app, user: SimpleNamespace, lesson_id: int, **fields: str) -> int:
    """Save a new revision of a lesson (based on the head); returns its number."""
    with app.app_context():
        author = db.session.get(User, user.id)
        lesson = planning.get_lesson(author, lesson_id)
        head = planning.head(lesson.document_id, lesson.document.head_number)
        data = {**head.fields, **fields}
        result = planning.update_lesson(author, lesson_id, data, head.number, "Edited in a test.")
        db.session.commit()
        return result.head.number


def edit_sequence(app, user: SimpleNamespace, sequence_id: int, **fields: Any) -> int:
    with app.app_context():
        author = db.session.get(User, user.id)
        sequence = planning.get_sequence(author, sequence_id)
        head = planning.head(sequence.document_id, sequence.document.head_number)
        data = {**head.fields, "rtp_codes": ", ".join(head.fields.get("rtp_codes", [])),
                "tags": ", ".join(head.fields.get("tags", [])), **fields}
        result = planning.update_sequence(author, sequence_id, data, head.number, "Edited.")
        db.session.commit()
        return result.head.number


def head_number(app, kind: str, item_id: int) -> int:
    from app.planning.models import Lesson, Sequence

    with app.app_context():
        item = db.session.get(Lesson if kind == "lesson" else Sequence, item_id)
        return item.document.head_number


def ask_review(the_client: FlaskClient, kind: str, item_id: int, school_id: int,
               reviewer: SimpleNamespace, note: str = "Please look at the stem sentences.",
               **extra: Any):
    """POST the "ask for a review" form as the browser does."""
    return the_client.post("/reviews/new", data={
        "kind": kind, "id": str(item_id), "reviewer": f"{school_id}:{reviewer.id}",
        "note": note, **extra})


def review_id_from(response) -> int:
    match = re.search(r"/reviews/(\d+)$", response.headers["Location"])
    assert match, response.headers.get("Location")
    return int(match.group(1))


def decide(the_client: FlaskClient, review_id: int, decision: str, revision: int,
           comment: str = "", **field_comments: str):
    data = {"decision": decision, "comment": comment, "revision_number": str(revision),
            **{f"field__{k}": v for k, v in field_comments.items()}}
    return the_client.post(f"/reviews/{review_id}/decide", data=data)


def count(app, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def open_requests(app) -> list[int]:
    with app.app_context():
        return list(db.session.scalars(select(ReviewRequest.id).where(
            ReviewRequest.status == "open")))
