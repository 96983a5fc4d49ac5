"""Starting a Work Group's next academic year: last year stays exactly as it was and findable,
sequences are carried forward or archived one by one, members are confirmed one by one, and
only the Lead or a hub admin may do it."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from sqlalchemy import select, text

from app.accounts.models import Membership, User, WorkGroup
from app.extensions import db
from app.planning.models import Lesson, Sequence
from app.revisions.models import Revision
from app.search.indexer import catch_up, rebuild
from app.workgroups.models import WorkGroupSession
from tests.planning_helpers import make_plan, signed_in
from tests.test_demo_planning import DEMO_HASH
from tests.workgroup_sessions_helpers import make_session, session_form

#: "Today" for these tests: December of 2026/27.
TODAY = dt.date(2026, 12, 4)
#: Tables whose rows record a year's work; starting a new year must not touch one of them.
KEPT = ["work_group_session", "session_attendee", "session_link", "research_lesson",
        "research_lesson_observer", "observation", "focus_pupil", "noticing", "discussion",
        "agreed_change", "review_request", "review_decision", "approval", "action_plan",
        "action_plan_sign_off", "comment", "comment_revision", "board_thread"]
#: Tables the new year only adds to (the carried-forward copies): old rows stay as they were.
APPEND_ONLY = ["revision", "document", "lesson"]


@pytest.fixture(autouse=True)
def _today(monkeypatch) -> None:
    monkeypatch.setattr("app.workgroups.dates.today", lambda: TODAY)
    monkeypatch.setattr("app.accounts.services.generate_password_hash",
                        lambda password, method="scrypt": DEMO_HASH)


def _rows(table: str) -> dict[Any, tuple[Any, ...]]:
    """Every row of the table, whole, keyed by the row itself (some keys are composite) or,
    for the append-only tables, by their id."""
    result = db.session.execute(text(f'SELECT * FROM "{table}"'))
    if table in APPEND_ONLY:
        return {row[0]: tuple(row) for row in result}
    return {tuple(row): tuple(row) for row in result}


def _snapshot() -> dict[str, dict[Any, tuple[Any, ...]]]:
    snap = {table: _rows(table) for table in KEPT + APPEND_ONLY}
    assert all(snap[table] for table in KEPT if table != "board_thread"), "nothing to compare"
    return snap


def _demo(app) -> dict[str, int]:
    from app.demo.loader import load_demo

    with app.app_context():
        ids = load_demo(today=TODAY)
        db.session.commit()
        return {k: v.id for k, v in ids.items() if hasattr(v, "id")}


def _demo_user(app, email: str) -> Any:
    from types import SimpleNamespace

    from app.demo.loader import DEMO_PASSWORD

    return SimpleNamespace(email=email, password=DEMO_PASSWORD)


LEAD = "jo.castleford@larkmoor-hub.example.org"
RADLEY_ID = "p-radley"


def test_demo_lead_starts_next_year_and_last_year_stays_as_it_was(app):
    ids = _demo(app)
    group_id = ids["wg-ncp2411-larkmoor-a"]
    lead = signed_in(app, _demo_user(app, LEAD))
    # Reachable by a link from the Work Group page.
    home = lead.get(f"/work-groups/{group_id}").get_data(as_text=True)
    assert f'href="/work-groups/{group_id}/new-year"' in home
    # Before: the session form refuses a date in 2027/28.
    refused = lead.post(f"/work-groups/{group_id}/sessions/new",
                        data={**session_form(number="1", date="2027-10-05"),
                              "csrf_token": _token(lead)})
    assert refused.status_code == 400 and "2026/27" in refused.get_data(as_text=True)
    with app.app_context():
        before = _snapshot()
    page = lead.get(f"/work-groups/{group_id}/new-year")
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and "Start 2027/28" in body
    y3, y5 = ids["seq-y3-md-248"], ids["seq-y5-fr-equiv"]
    assert f'name="sequence-{y3}"' in body and f'name="sequence-{y5}"' in body
    with app.app_context():
        members = [m.user_id for m in db.session.scalars(
            select(Membership).where(Membership.work_group_id == group_id))]
    staying = [i for i in members if i != ids[RADLEY_ID]]
    response = lead.post(f"/work-groups/{group_id}/new-year", data={
        f"sequence-{y3}": "carry", f"sequence-{y5}": "archive",
        "continuing": [str(i) for i in staying], "csrf_token": _token(lead)})
    assert response.status_code == 302, response.get_data(as_text=True)

    with app.app_context():
        after = _snapshot()
        for table in KEPT:
            assert after[table] == before[table], table
        for table in APPEND_ONLY:
            assert {k: after[table][k] for k in before[table]} == before[table], table
        group = db.session.get(WorkGroup, group_id)
        assert group.academic_year == "2027/28"
        # Carried forward: a new draft for 2027/28 with the lessons' current text.
        old = db.session.get(Sequence, y3)
        assert (old.academic_year, old.status, old.archived_at) == ("2026/27", "approved", None)
        copy = db.session.scalar(select(Sequence).where(Sequence.adapted_from_id == y3))
        assert (copy.academic_year, copy.status, copy.work_group_id, copy.school_id) == (
            "2027/28", "draft", group_id, old.school_id)
        assert [(c.title, c.adapted_from_id) for c in copy.lessons] == [
            (o.title, o.id) for o in old.active_lessons]
        for new, original in zip(copy.lessons, old.active_lessons, strict=True):
            assert _head(new).fields == _head(original).fields
        # Archived, not copied.
        assert db.session.get(Sequence, y5).archived_at is not None
        assert db.session.scalar(select(Sequence).where(Sequence.adapted_from_id == y5)) is None
        # Confirmed members stay; the unconfirmed one has left.
        left = {m.user_id for m in db.session.scalars(
            select(Membership).where(Membership.work_group_id == group_id))}
        assert left == set(staying)
        radley = db.session.get(User, ids[RADLEY_ID])
    # He keeps his past records (unchanged above) but loses the group as removal does.
    gone = signed_in(app, _demo_user(app, radley.email))
    assert gone.get(f"/work-groups/{group_id}/sessions").status_code == 404
    # Last year's action plan is listed under earlier years (for those who may see it).
    plan_link = f"/action-plans/{ids['ap-eskdyke-2425']}\""
    assert plan_link in lead.get(f"/work-groups/{group_id}/action-plans").get_data(as_text=True)
    okafor = signed_in(app, _demo_user(app, "n.okafor@eskdyke.example.org"))
    assert plan_link in okafor.get(f"/work-groups/{group_id}/action-plans").get_data(
        as_text=True)
    fenwick = signed_in(app, _demo_user(app, "d.fenwick@thornmere.example.org"))
    assert plan_link not in fenwick.get(f"/work-groups/{group_id}/action-plans").get_data(
        as_text=True)
    # The sessions page lists last year's sessions, and the form now takes 2027/28 dates.
    listing = lead.get(f"/work-groups/{group_id}/sessions").get_data(as_text=True)
    assert "Sessions in 2026/27" in listing and "Opening workshop" in listing
    new_form = lead.get(f"/work-groups/{group_id}/sessions/new").get_data(as_text=True)
    assert re.search(r'<input[^>]*name="number"[^>]*value="1"', new_form)
    made = lead.post(f"/work-groups/{group_id}/sessions/new",
                     data={**session_form(number="1", date="2027-10-05"),
                           "csrf_token": _token(lead)})
    assert made.status_code == 302
    with app.app_context():
        firsts = db.session.scalars(select(WorkGroupSession).where(
            WorkGroupSession.work_group_id == group_id, WorkGroupSession.number == 1)).all()
        assert sorted(s.academic_year for s in firsts) == ["2026/27", "2027/28"]
    # Last year's work is still found under its year, also after the index is rebuilt from
    # the database (so it does not rely on documents written before the year moved on).
    with app.app_context():
        catch_up()
        rebuild()
    def search(**query: str) -> str:
        return lead.get("/search", query_string=query).get_data(as_text=True)

    found = search(q="double", ay="2026/27")
    assert f"/research-lessons/{ids['obs-1']}" in found and f"/sequences/{y3}" in found
    # The copy is this year's: it is not among last year's results.
    with app.app_context():
        copy_id = db.session.scalar(select(Sequence.id).where(Sequence.adapted_from_id == y3))
    assert f"/sequences/{copy_id}\"" not in found
    assert f"/sequences/{copy_id}\"" in search(q="double", ay="2027/28")
    # The archived sequence is found when archived plans are included.
    assert f"/sequences/{y5}\"" in search(q="fractions", ay="2026/27", archived="1")


def _head(item: Any) -> Revision:
    from app import revisions

    return revisions.get_revision(item.document_id, item.document.head_number)


def _token(the_client: Any) -> str:
    """A CSRF token for a client built by signed_in (a plain FlaskClient)."""
    import uuid

    from itsdangerous import URLSafeTimedSerializer

    with the_client.session_transaction() as sess:
        sess.setdefault("csrf_token", uuid.uuid4().hex)
        raw = sess["csrf_token"]
    return URLSafeTimedSerializer(the_client.application.secret_key,
                                  salt="wtf-csrf-token").dumps(raw)


# --- a small world for the rules ------------------------------------------------------------


@pytest.fixture
def world(app, make_work_group, make_user, make_hub):
    from types import SimpleNamespace

    group = make_work_group(year="2026/27")
    other = make_work_group(code="NCP 24-12", hub_id=group.hub_id, year="2026/27")
    far = make_work_group(code="NCP 24-13", year="2026/27")
    lead = make_user(name="Jo Lead", group=group, roles=("work_group_lead",))
    teacher = make_user(name="Ann Teacher", group=group, school_id=group.school_ids[0])
    leaver = make_user(name="Ben Leaver", group=group, school_id=group.school_ids[1])
    return SimpleNamespace(
        group=group, lead=lead, teacher=teacher, leaver=leaver,
        other_lead=make_user(name="Other Lead", group=other, roles=("work_group_lead",)),
        far_teacher=make_user(name="Far Teacher", group=far),
        hub_admin=make_user(name="Hub Admin", site_role="hub_admin",
                            admin_hub_id=group.hub_id),
        plan=make_plan(app, teacher, group),
        plan_b=make_plan(app, leaver, group, title="Year 5: fractions", year_group="Y5",
                         strand="fractions", school_id=str(group.school_ids[1])))


def _start(client, group_id: int, **data: Any):
    return client.post(f"/work-groups/{group_id}/new-year", data=data)


def _year(app, group_id: int) -> str:
    with app.app_context():
        return db.session.get(WorkGroup, group_id).academic_year


def test_only_the_lead_or_a_hub_admin_starts_the_year(app, client, login, world):
    url = f"/work-groups/{world.group.id}/new-year"
    choices = {f"sequence-{world.plan.id}": "carry", f"sequence-{world.plan_b.id}": "carry",
               "continuing": [str(world.teacher.id), str(world.leaver.id)]}
    for person, status in [(world.teacher, 403), (world.other_lead, 404),
                           (world.far_teacher, 404)]:
        login(person)
        assert client.get(url).status_code == status, person.display_name
        assert _start(client, world.group.id, **choices).status_code == status
        client.get("/logout")
        client.post("/logout")
    assert _year(app, world.group.id) == "2026/27"
    login(world.lead)
    assert f'href="{url}"' in client.get(f"/work-groups/{world.group.id}/sessions").get_data(
        as_text=True)
    assert client.post(url, data=choices, csrf=False).status_code == 400
    assert _year(app, world.group.id) == "2026/27"
    client.post("/logout")
    login(world.hub_admin)
    assert _start(client, world.group.id, **choices).status_code == 302
    assert _year(app, world.group.id) == "2027/28"


def test_every_sequence_needs_a_choice_and_nothing_changes_until_it_has_one(app, client, login,
                                                                           world):
    login(world.lead)
    response = _start(client, world.group.id, **{f"sequence-{world.plan.id}": "archive",
                                                 f"sequence-{world.plan_b.id}": "keep"})
    assert response.status_code == 400
    assert "Year 5: fractions" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Sequence, world.plan.id).archived_at is None
        assert db.session.scalar(select(Membership.id).where(
            Membership.user_id == world.leaver.id)) is not None
    assert _year(app, world.group.id) == "2026/27"


def test_archived_sequence_can_be_restored_and_carried_one_keeps_its_year(app, client, login,
                                                                         world):
    login(world.lead)
    assert _start(client, world.group.id, **{
        f"sequence-{world.plan.id}": "archive", f"sequence-{world.plan_b.id}": "carry",
        "continuing": [str(world.teacher.id), str(world.leaver.id)]}).status_code == 302
    with app.app_context():
        assert db.session.get(Sequence, world.plan.id).archived_at is not None
        old_b = db.session.get(Sequence, world.plan_b.id)
        assert (old_b.academic_year, old_b.archived_at) == ("2026/27", None)
        copy = db.session.scalar(select(Sequence).where(
            Sequence.adapted_from_id == world.plan_b.id))
        assert copy.academic_year == "2027/28" and len(copy.lessons) == 2
        assert "Carried forward from 2026/27" in _head(copy).summary
        assert db.session.scalar(select(Lesson.id).where(
            Lesson.adapted_from_id == world.plan.lesson_ids[0])) is None
        # The Lead's overview counts this year's sequences: the copy, not last year's too.
        from app.workgroups.overview import overview

        rows = overview(db.session.get(User, world.lead.id), world.group.id, TODAY).rows
        first, second = world.group.school_ids  # rows are by school name, which is random
        assert {r.school_id: r.sequences for r in rows} == {first: 0, second: 1}
    client.post("/logout")
    login(world.teacher)
    assert client.post(f"/sequences/{world.plan.id}/restore").status_code == 302
    with app.app_context():
        assert db.session.get(Sequence, world.plan.id).archived_at is None


def test_membership_is_confirmed_per_person_and_the_lead_always_stays(app, client, login,
                                                                      world):
    login(world.lead)
    # Nobody ticked: the Lead stays all the same; the two others leave.
    assert _start(client, world.group.id, **{
        f"sequence-{world.plan.id}": "carry", f"sequence-{world.plan_b.id}": "carry",
        "continuing": [str(world.teacher.id)]}).status_code == 302
    with app.app_context():
        staying = set(db.session.scalars(select(Membership.user_id).where(
            Membership.work_group_id == world.group.id)))
        assert staying == {world.lead.id, world.teacher.id}
        # The leaver's plan stays, with its author.
        assert db.session.get(Sequence, world.plan_b.id).created_by_id == world.leaver.id
    client.post("/logout")
    login(world.leaver)
    assert client.get(f"/sequences/{world.plan_b.id}").status_code in (403, 404)


def test_a_year_not_yet_begun_cannot_be_skipped(app, client, login, world):
    login(world.lead)
    choices = {f"sequence-{world.plan.id}": "carry", f"sequence-{world.plan_b.id}": "carry"}
    assert _start(client, world.group.id, **choices).status_code == 302
    # Now in 2027/28 while today is in 2026/27: no jumping to 2028/29.
    page = client.get(f"/work-groups/{world.group.id}/new-year")
    assert "has not begun" in page.get_data(as_text=True)
    with app.app_context():
        copies = db.session.scalars(select(Sequence.id).where(
            Sequence.academic_year == "2027/28")).all()
    assert len(copies) == 2
    refused = _start(client, world.group.id, **{f"sequence-{i}": "carry" for i in copies})
    assert refused.status_code == 400 and "has not begun" in refused.get_data(as_text=True)
    assert _year(app, world.group.id) == "2027/28"


def test_sessions_keep_their_year_and_numbers_start_again(app, client, login, world):
    first = make_session(app, world.lead, world.group, number="1", date="2026-10-01")
    login(world.lead)
    assert _start(client, world.group.id, **{
        f"sequence-{world.plan.id}": "carry", f"sequence-{world.plan_b.id}": "carry",
        "continuing": [str(world.teacher.id), str(world.leaver.id)]}).status_code == 302
    # Last year's session keeps its date rules: editing it still takes 2026/27 dates only.
    edit = client.post(f"/sessions/{first}/edit",
                       data=session_form(number="1", date="2026-10-02"))
    assert edit.status_code == 302
    refused = client.post(f"/sessions/{first}/edit",
                          data=session_form(number="1", date="2027-10-02"))
    assert refused.status_code == 400
    # A new Session 1 in 2027/28; a second one is refused.
    assert client.post(f"/work-groups/{world.group.id}/sessions/new",
                       data=session_form(number="1", date="2027-09-20")).status_code == 302
    again = client.post(f"/work-groups/{world.group.id}/sessions/new",
                        data=session_form(number="1", date="2027-09-21"))
    assert again.status_code == 400 and "already has a session 1" in again.get_data(as_text=True)
    refused_old = client.post(f"/work-groups/{world.group.id}/sessions/new",
                              data=session_form(number="2", date="2026-10-05"))
    assert refused_old.status_code == 400
