"""Demo reviews: the seed's decisions, the approved Year 3 sequence, and loading twice."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from app.demo.loader import DEMO_PASSWORD
from app.extensions import db
from app.notifications.models import Notification
from app.reviews.models import Approval, ReviewDecision, ReviewRequest
from app.timeutil import aware
from tests.test_demo_planning import seed_moment

DEMO_HASH = generate_password_hash(DEMO_PASSWORD, method="scrypt")


@pytest.fixture(autouse=True)
def _one_password_hash(monkeypatch) -> None:
    monkeypatch.setattr("app.accounts.services.generate_password_hash",
                        lambda password, method="scrypt": DEMO_HASH)


def _load(app) -> dict[str, Any]:
    from app.demo.loader import load_demo, read_seed
    from app.demo.reviews_loader import load_reviews

    with app.app_context():
        ids = load_demo()
        load_reviews(read_seed(), ids)  # again, if the lead's STEPS already ran it
        db.session.commit()
        return {key: (type(value).__name__, value.id) for key, value in ids.items()}


def _counts(app) -> tuple[int, int, int]:
    with app.app_context():
        return tuple(db.session.scalar(select(func.count()).select_from(model))
                     for model in (ReviewRequest, ReviewDecision, Approval))


def test_demo_reviews_pin_the_approved_year_3_sequence_and_load_once(app, client):
    ids = _load(app)
    counts = _counts(app)
    assert counts == (4, 3, 1)
    with app.app_context():
        from app.planning.models import Sequence

        y3 = db.session.get(Sequence, ids["seq-y3-md-248"][1])
        approval = db.session.scalar(select(Approval))
        assert approval.document_id == y3.document_id and approval.revision_number == 3
        assert approval.school_id == y3.school_id and y3.status == "approved"
        assert approval.approved_by_id == ids["p-castleford"][1]
        okafor = db.session.scalar(select(ReviewRequest).where(
            ReviewRequest.reviewer_id == ids["p-okafor"][1]))
        # Nadia Okafor leads maths at Eskdyke: she reviewed for her own school.
        assert okafor.school_id == ids["sch-eskdyke"][1]
        assert (okafor.revision_number, okafor.outcome) == (2, "changes_requested")
        y5 = db.session.get(Sequence, ids["seq-y5-fr-equiv"][1])
        open_ones = list(db.session.scalars(select(ReviewRequest).where(
            ReviewRequest.sequence_id == y5.id, ReviewRequest.status == "open")))
        assert len(open_ones) == 2 and y5.status == "in_review"
        # Saving a revision told the earlier authors, dated as the seed dates the revision.
        note = db.session.scalar(select(Notification).where(
            Notification.user_id == ids["p-kettlewell"][1], Notification.kind == "change",
            Notification.url == f"/sequences/{y5.id}"))
        assert aware(note.created_at) == seed_moment("2025-03-24T15:40:00Z")
        assert "Grace Pemberton changed" in note.text
    _load(app)
    assert _counts(app) == counts

    response = client.post("/login", data={"email": "s.iqbal@kestrelgate.example.org",
                                           "password": DEMO_PASSWORD})
    assert response.status_code == 302
    page = client.get(f"/sequences/{ids['seq-y3-md-248'][1]}/approved").get_data(as_text=True)
    assert "Approved version</strong> (revision 3, by <bdi>Jo Castleford" in page
