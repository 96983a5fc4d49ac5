"""Demo sessions, Eskdyke's action plan and a board thread: what loads, and loading twice."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from app.demo.clock import clock_of
from app.demo.loader import read_seed
from app.extensions import db
from app.revisions.models import Revision
from app.workgroups.models import (
    ActionPlan,
    ActionPlanSignOff,
    BoardThread,
    SessionLink,
    WorkGroupSession,
)
from tests.test_demo_planning import DEMO_HASH, seed_moment
from tests.workgroup_sessions_helpers import freeze_today


@pytest.fixture(autouse=True)
def _fast(monkeypatch) -> None:
    freeze_today(monkeypatch)
    monkeypatch.setattr("app.accounts.services.generate_password_hash",
                        lambda password, method="scrypt": DEMO_HASH)


def _load(app) -> dict[str, Any]:
    from app.demo.loader import load_demo, read_seed
    from app.demo.observations_loader import load_observations
    from app.demo.workgroups_loader import load_workgroups

    with app.app_context():
        ids = load_demo()
        seed = read_seed()
        load_observations(seed, ids)
        load_workgroups(seed, ids)
        db.session.commit()
        return {key: (type(value).__name__, value.id) for key, value in ids.items()}


def _counts(app) -> dict[str, int]:
    from app.comments.models import Comment

    with app.app_context():
        return {model.__name__: db.session.scalar(select(func.count()).select_from(model))
                for model in (WorkGroupSession, SessionLink, ActionPlan, ActionPlanSignOff,
                              BoardThread, Comment, Revision)}


def test_demo_loads_sessions_plan_and_board_once(app, client):
    ids = _load(app)
    counts = _counts(app)
    assert _load(app) == ids and _counts(app) == counts
    assert counts["WorkGroupSession"] == 7 and counts["ActionPlan"] == 1
    assert counts["ActionPlanSignOff"] == 1 and counts["BoardThread"] == 1
    with app.app_context():
        plan = db.session.get(ActionPlan, ids["ap-eskdyke-2425"][1])
        assert plan.document.head_number == 3
        [sign_off] = plan.sign_offs
        assert (sign_off.revision_number, sign_off.signed_by.display_name,
                sign_off.role) == (2, "Priya Dunmore", "headteacher")
        rows = db.session.scalars(select(Revision).where(
            Revision.document_id == plan.document_id).order_by(Revision.number)).all()
        assert [len(r.fields["priorities"]) for r in rows] == [2, 3, 3]
        assert [r.created_at.date() for r in rows] == [seed_moment(at).date() for at in (
            "2024-10-10T16:30:00Z", "2024-12-10T16:00:00Z", "2025-03-05T15:30:00Z")]
        final = rows[-1].fields
        assert [p["rag"] for p in final["priorities"]] == ["amber", "green", "amber"]
        clock = clock_of(read_seed())
        assert [r["date"] for r in final["review_points"]] == [
            clock.text(day) for day in ("2024-12-10", "2025-03-04", "2025-07-01")]
        assert all(p["evidence_links"] == [] for p in final["priorities"])
        first = db.session.get(WorkGroupSession, ids["ses-1"][1])
        assert first.document.head_number == 2  # agenda, then the seed's notes
        visit = db.session.get(WorkGroupSession, ids["visit-esk-spr"][1])
        assert visit.number is None and visit.kind == "support_visit"
        assert {a.user.display_name for a in visit.attendees} == {
            "Jo Castleford", "Nadia Okafor", "Ben Whitaker", "Priya Dunmore"}
        planning = db.session.get(WorkGroupSession, ids["ses-2"][1])
        assert [link.kind for link in planning.links] == ["sequence"]
        if "obs-1" in ids:
            research = db.session.get(WorkGroupSession, ids["ses-3"][1])
            assert ("research_lesson", ids["obs-1"][1]) in {
                (link.kind, link.target_id) for link in research.links}
    assert "cmt-4" in ids


def test_demo_pages_render_for_the_demo_people(app, client):
    from app.demo.loader import DEMO_PASSWORD

    ids = _load(app)
    plan_id = ids["ap-eskdyke-2425"][1]
    group_id = ids["wg-ncp2411-larkmoor-a"][1]
    for email, status in (("n.okafor@eskdyke.example.org", 200),
                          ("a.holt@thornmere.example.org", 404)):
        assert client.post("/login", data={"email": email, "password": DEMO_PASSWORD}
                           ).status_code == 302
        response = client.get(f"/action-plans/{plan_id}")
        assert response.status_code == status
        if status == 200:
            html = response.get_data(as_text=True)
            assert "Signed off: revision 2 by <bdi>Priya Dunmore</bdi> (headteacher)" in html
            assert "There is a newer draft: revision 3" in html
            assert "Happy to bring examples from Kestrelgate" in html
        assert client.get(f"/work-groups/{group_id}/board").status_code == 200
        assert client.get(f"/work-groups/{group_id}/sessions.ics").status_code == 200
        client.post("/logout")
