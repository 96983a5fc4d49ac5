"""The demo is dated relative to the day it is loaded: its year is the current academic year,
what the story had done is past, what it had planned is to come, and a newcomer finds an
upcoming session, a review waiting for the demo subject leader and an observation to record."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import func, select

from app.accounts.models import User, WorkGroup
from app.demo.clock import SEED_NOW, DemoClock
from app.extensions import db
from app.observations.models import Observation, ResearchLesson
from app.planning.models import Sequence
from app.reviews.models import ReviewRequest
from app.revisions.models import Revision
from app.workgroups import dates, sessions
from app.workgroups.models import ActionPlan, WorkGroupSession
from tests.test_demo_planning import DEMO_HASH


@pytest.fixture(autouse=True)
def _fast_hash(monkeypatch) -> None:
    monkeypatch.setattr("app.accounts.services.generate_password_hash",
                        lambda password, method="scrypt": DEMO_HASH)


def _load(app, today: dt.date) -> dict[str, int]:
    from app.demo.loader import load_demo

    with app.app_context():
        ids = load_demo(today=today)
        db.session.commit()
        return {k: v.id for k, v in ids.items() if hasattr(v, "id")}


# --- the clock alone ----------------------------------------------------------------------------


SEED_DAYS = ["2024-10-03", "2024-11-01", "2024-11-21", "2024-12-10", "2025-01-30",
             "2025-02-14", "2025-03-04", "2025-03-13", "2025-04-04", "2025-05-08",
             "2025-05-23", "2025-06-26", "2025-07-01"]


@pytest.mark.parametrize("today", [dt.date(2026, 12, 4), dt.date(2027, 6, 30),
                                   dt.date(2025, 9, 15), dt.date(2031, 2, 3)])
def test_seed_days_keep_their_order_and_side_of_today(today):
    clock = DemoClock("2024/25", today)
    span = dates.academic_year_range(clock.year)
    assert span is not None and span[0] <= today <= span[1]
    moved = [clock.day(dt.date.fromisoformat(d)) for d in SEED_DAYS]
    assert moved == sorted(moved)
    assert all(span[0] <= d <= span[1] for d in moved)
    for seed_day, day in zip(SEED_DAYS, moved, strict=True):
        was_past = dt.date.fromisoformat(seed_day) < SEED_NOW.date()
        assert (day <= today) if was_past else (day > today), (seed_day, day)
    # School days, where the year allows.
    assert all(d.weekday() < 5 for d in moved if span[0] < d < span[1])


def test_moments_years_and_other_text():
    clock = DemoClock("2024/25", dt.date(2026, 12, 4))
    assert clock.text("2024/25") == "2026/27"
    assert clock.text("sustaining 2023/24") == "sustaining 2025/26"
    assert clock.text("3/4 of 12") == "3/4 of 12" and clock.text("NCP 24-11") == "NCP 24-11"
    early, late = clock.text("2025-01-20T16:10:00Z"), clock.text("2025-01-20T16:15:00Z")
    assert dt.datetime.fromisoformat(early) < dt.datetime.fromisoformat(late)
    assert clock.text("2025-03-24T16:00:00Z") < "2026-12-04"  # the seed's past stays past
    assert clock.day(dt.date(2023, 5, 2)) == dt.date(2025, 5, 2)  # before the year: whole years


# --- the loaded demo ----------------------------------------------------------------------------


@pytest.mark.parametrize("today", [dt.date(2026, 12, 4), dt.date(2027, 4, 20)])
def test_a_newcomer_sees_this_years_work_waiting(app, today):
    ids = _load(app, today)
    year = dates.academic_year_of(today)
    with app.app_context():
        group = db.session.get(WorkGroup, ids["wg-ncp2411-larkmoor-a"])
        assert group.academic_year == year
        assert {s.academic_year for s in db.session.scalars(select(Sequence))} == {year}
        assert {p.academic_year for p in db.session.scalars(select(ActionPlan))} == {year}
        span = dates.academic_year_range(year)
        assert span is not None
        days = [s.date for s in db.session.scalars(select(WorkGroupSession))]
        assert days and all(span[0] <= d <= span[1] for d in days)
        assert all(s.academic_year == year for s in db.session.scalars(select(WorkGroupSession)))
        # Revisions are history: none is dated after the demo's day.
        for column in (Revision.created_at, WorkGroupSession.created_at,
                       WorkGroupSession.updated_at, ResearchLesson.created_at,
                       ResearchLesson.updated_at, ReviewRequest.created_at):
            latest = db.session.scalar(select(func.max(column)))
            assert latest.date() <= today, column
        # This year's upcoming session, for any member.
        member = db.session.get(User, ids["p-fenwick"])
        upcoming = sessions.next_session(member, today)
        assert upcoming is not None and today <= upcoming.date <= span[1]
        # A review waiting for the demo subject leader.
        kettlewell = ids["p-kettlewell"]
        assert db.session.scalar(select(ReviewRequest).where(
            ReviewRequest.reviewer_id == kettlewell, ReviewRequest.status == "open"))
        # An observation to record: a research lesson coming up, she is invited, none written.
        coming = db.session.get(ResearchLesson, ids["obs-upcoming"])
        assert today < coming.taught_on <= span[1]
        assert kettlewell in {o.user_id for o in coming.observers}
        assert db.session.scalar(select(Observation).where(
            Observation.research_lesson_id == coming.id)) is None
        # The seed's research lessons were taught before today.
        assert db.session.get(ResearchLesson, ids["obs-1"]).taught_on < today


def _counts(app) -> dict[str, Any]:
    with app.app_context():
        return {m.__name__: db.session.scalar(select(func.count()).select_from(m))
                for m in (WorkGroup, Sequence, Revision, WorkGroupSession, ResearchLesson,
                          ReviewRequest, ActionPlan)} | {
            "days": sorted(d.isoformat() for d in db.session.scalars(
                select(WorkGroupSession.date)))}


def test_loading_again_on_a_later_day_changes_nothing(app):
    first = _load(app, dt.date(2026, 12, 4))
    counts = _counts(app)
    # A month later (and in a later academic year) the demo keeps the day it was first loaded.
    assert _load(app, dt.date(2027, 1, 4)) == first and _counts(app) == counts
    assert _load(app, dt.date(2028, 1, 4)) == first and _counts(app) == counts


def test_a_demo_loaded_before_dates_were_relative_loads_again_unchanged(app):
    # A database whose demo has the seed's own dates (2024/25) and a later creation time.
    first = _load(app, SEED_NOW.date())
    with app.app_context():
        group = db.session.get(WorkGroup, first["wg-ncp2411-larkmoor-a"])
        assert group.academic_year == "2024/25"
        group.created_at = dt.datetime(2026, 11, 30, 9, tzinfo=dt.UTC)
        db.session.commit()
    counts = _counts(app)
    assert _load(app, dt.date(2026, 12, 4)) == first and _counts(app) == counts
