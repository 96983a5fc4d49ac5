"""Demo lesson sequences: what the loader creates, their histories, and loading twice."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from app.core.diffing import changed_keys
from app.demo.loader import DEMO_PASSWORD
from app.extensions import db
from app.planning.models import Lesson, Sequence
from app.revisions.models import Document, Revision

#: Hashed once: 13 demo accounts x scrypt per load would dominate these tests' run time.
DEMO_HASH = generate_password_hash(DEMO_PASSWORD, method="scrypt")


@pytest.fixture(autouse=True)
def _one_password_hash(monkeypatch) -> None:
    monkeypatch.setattr("app.accounts.services.generate_password_hash",
                        lambda password, method="scrypt": DEMO_HASH)


def _load(app) -> dict[str, Any]:
    from app.demo.loader import load_demo
    from app.demo.planning_loader import load_planning

    with app.app_context():
        ids = load_demo()
        load_planning(ids)
        db.session.commit()
        return {key: (type(value).__name__, value.id) for key, value in ids.items()}


PLANS = Document.kind.in_(("sequence", "lesson"))


def seed_moment(text: str) -> datetime:
    """A seed time as the loaded demo dates it (moved into this year: app.demo.clock)."""
    from app.demo.clock import clock_of
    from app.demo.loader import read_seed

    return datetime.fromisoformat(clock_of(read_seed()).text(text))


def _counts(app) -> dict[str, Any]:
    with app.app_context():
        return {
            "sequences": db.session.scalar(select(func.count(Sequence.id))),
            "lessons": db.session.scalar(select(func.count(Lesson.id))),
            # Only plans: later demo steps version session notes and action plans too.
            "documents": db.session.scalar(select(func.count(Document.id)).where(PLANS)),
            "revisions": db.session.scalar(
                select(func.count(Revision.id))
                .join(Document, Document.id == Revision.document_id).where(PLANS)),
            "heads": sorted(db.session.scalars(select(Document.head_number).where(PLANS))),
        }


def _history(document_id: int) -> list[Revision]:
    return list(db.session.scalars(select(Revision).where(Revision.document_id == document_id)
                                   .order_by(Revision.number)))


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def test_demo_sequences_lessons_and_revisions(app) -> None:
    ids = _load(app)
    counts = _counts(app)
    assert (counts["sequences"], counts["lessons"]) == (2, 10)
    # 2 sequences x 3 revisions; 10 lessons, four of them revised once after the first draft.
    assert counts["revisions"] == 6 + 10 + 4
    with app.app_context():
        for seed_id in ("seq-y3-md-248", "seq-y5-fr-equiv"):
            sequence = db.session.get(Sequence, ids[seed_id][1])
            history = _history(sequence.document_id)
            assert [r.number for r in history] == [1, 2, 3]
            assert sequence.document.head_number == 3
            # Every step changes something a reader can see on the compare page.
            assert all(changed_keys(a.fields, b.fields)
                       for a, b in zip(history, history[1:], strict=False))
            assert [lesson.position for lesson in sequence.lessons] == [1, 2, 3, 4, 5]

        y3 = db.session.get(Sequence, ids["seq-y3-md-248"][1])
        assert (y3.year_group, y3.strand, y3.status, y3.school.name) == (
            "Y3", "md", "approved", "Kestrelgate Primary School")
        history = _history(y3.document_id)
        assert [r.author.display_name for r in history] == ["Sam Iqbal", "Ben Whitaker",
                                                            "Sam Iqbal"]
        assert history[0].summary == "Outline of five lessons drafted in Session 2."
        assert _aware(history[0].created_at) == seed_moment("2024-11-21T15:30:00Z")
        assert history[0].fields["lessons"] == []  # the outline came before the lesson pages
        assert len(history[1].fields["lessons"]) == 5
        assert history[2].fields["rtp_codes"] == ["3NF–2", "3NF–3", "3MD–1"]
        assert history[2].fields["big_ideas"] == ["coherence", "representation_and_structure",
                                                  "fluency"]

        y5 = db.session.get(Sequence, ids["seq-y5-fr-equiv"][1])
        assert (y5.year_group, y5.strand, y5.status) == ("Y5", "fractions", "in_review")
        assert {r.author.display_name for r in _history(y5.document_id)} == {
            "Tom Ashdown", "Rosa Kettlewell", "Grace Pemberton"}


def test_seed_revisions_are_followed_and_named_for_later_loaders(app) -> None:
    ids = _load(app)
    with app.app_context():
        lesson = db.session.get(Lesson, ids["les-y3-3"][1])
        first, second = _history(lesson.document_id)
        assert ids["rev-les-y3-3-v1"] == ("Revision", first.id)
        assert ids["rev-les-y3-3-v2"] == ("Revision", second.id)
        assert second.summary.startswith("Double number line moved before the array")
        assert _aware(second.created_at) == seed_moment("2025-02-03T17:30:00Z")
        # The earlier version really was different in the ways the summary describes.
        assert changed_keys(first.fields, second.fields) == [
            "stem_sentences", "representations", "procedural_variation"]
        assert "non-example 3x2 vs 6x4" in second.fields["procedural_variation"]
        assert "non-example" not in first.fields["procedural_variation"]

        renamed = db.session.get(Lesson, ids["les-y3-5"][1])
        old, new = _history(renamed.document_id)
        assert old.fields["title"] == "Using 2, 4 and 8 facts for grouping and sharing"
        assert new.fields["title"] == renamed.title
        assert new.author.display_name == "Daniel Fenwick"
        y3 = _history(renamed.sequence.document_id)
        assert y3[1].fields["lessons"][4]["title"] == old.fields["title"]
        assert y3[2].fields["lessons"][4]["title"] == renamed.title


def test_a_demo_lesson_renders(app, client, login) -> None:
    ids = _load(app)
    with app.app_context():
        lesson = db.session.get(Lesson, ids["les-y3-3"][1])
        head = _history(lesson.document_id)[-1]
        assert head.fields["key_vocabulary"].startswith("- double\n- half\n")
        assert "<li>double number line aligning multiples of 2 and 4 (introduced first)</li>" \
            in head.html["representations"]
        assert "Manipulatives: counters, squared paper." in head.html["representations"]
        assert "<li>__ x 2 = __. Double it: __ x 4 = __.</li>" in head.html["stem_sentences"]
        assert "2.7 – Times tables: 2, 4 and 8" in head.html["body"]
        for key in ("key_learning_point", "prior_learning", "difficult_points",
                    "conceptual_variation", "procedural_variation", "fluency_practice",
                    "deeper_questions", "checks"):
            assert head.html[key], key
        email = lesson.sequence.created_by.email

    login(SimpleNamespace(email=email, password=DEMO_PASSWORD))
    page = client.get(f"/lessons/{ids['les-y3-3'][1]}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "The 4 times table is double the 2 times table" in text
    assert "Venn sort: multiples of 2 / multiples of 4" in text
    assert "Doubling both factors instead of one" in text


def test_loading_twice_changes_nothing(app) -> None:
    first_ids = _load(app)
    first = _counts(app)
    with app.app_context():
        last_revision = db.session.scalar(select(func.max(Revision.id)))
    second_ids = _load(app)
    assert _counts(app) == first
    assert second_ids == first_ids
    with app.app_context():
        assert db.session.scalar(select(func.max(Revision.id))) == last_revision
