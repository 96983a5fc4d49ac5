"""Helpers for planning tests: make sequences and lessons through the real services."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from app.accounts.models import User
from app.extensions import db
from app.planning import services


def sequence_data(group: SimpleNamespace, **extra: Any) -> dict[str, Any]:
    return {"title": "Year 3: the 2, 4 and 8 times tables", "year_group": "Y3", "strand": "md",
            "rtp_codes": "3NF-2", "tags": "times tables", "small_steps": "1. Count in fours",
            "overview": "Build **4 times** from doubling.", "work_group_id": str(group.id),
            "school_id": str(group.school_ids[0]), "visibility": "work_group", **extra}


def make_plan(app, user: SimpleNamespace, group: SimpleNamespace, lessons: int = 2,
              **extra: Any) -> SimpleNamespace:
    """A sequence with lessons, created by `user`; returns ids."""
    with app.app_context():
        author = db.session.get(User, user.id)
        sequence = services.create_sequence(author, sequence_data(group, **extra))
        made = [services.add_lesson(author, sequence.id, f"Lesson {n}") for n in
                range(1, lessons + 1)]
        db.session.commit()
        return SimpleNamespace(id=sequence.id, document_id=sequence.document_id,
                               lesson_ids=[lesson.id for lesson in made],
                               lesson_documents=[lesson.document_id for lesson in made])


def lesson_form(title: str = "Lesson 1", base: int | None = 1, **fields: str) -> dict[str, str]:
    data = {"title": title, "summary": "", **fields}
    if base is not None:
        data["base_number"] = str(base)
    return data


def signed_in(app, user: SimpleNamespace) -> Any:
    """A fresh test client of `app`, logged in as `user` by the real login form."""
    the_client = app.test_client()
    response = the_client.post("/login", data={"email": user.email, "password": user.password})
    assert response.status_code == 302
    return the_client
