"""Work Group sessions: planning, bad dates, notes with merges, history, partials, calendar."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app import signals
from app.extensions import db
from app.revisions.models import Revision
from app.workgroups.models import SessionLink, WorkGroupSession
from tests.planning_helpers import make_plan
from tests.workgroup_sessions_helpers import (
    TODAY,
    add_partials_page,
    build_world,
    freeze_today,
    make_session,
    page,
    session_form,
    user,
)


@pytest.fixture
def app(app):
    """Conftest's app, with a test-only page that includes the Work Group partials."""
    add_partials_page(app)
    return app


@pytest.fixture
def world(make_work_group, make_user):
    return build_world(make_work_group, make_user)


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    freeze_today(monkeypatch)


def _sessions(app) -> list[WorkGroupSession]:
    with app.app_context():
        rows = db.session.scalars(select(WorkGroupSession).order_by(WorkGroupSession.id)).all()
        db.session.expunge_all()
        return rows


def _notes_head(app, session_id: int) -> Revision:
    with app.app_context():
        item = db.session.get(WorkGroupSession, session_id)
        revision = db.session.scalar(select(Revision).where(
            Revision.document_id == item.document_id,
            Revision.number == item.document.head_number))
        db.session.expunge_all()
        return revision


# --- planning sessions ---------------------------------------------------------------------------


def test_lead_plans_a_session_and_the_year_shows_it(app, client, login, world):
    login(world.lead)
    response = client.post(f"/work-groups/{world.group.id}/sessions/new", data={
        **session_form(host_school_id=str(world.school_a)),
        "attendees": [str(world.teacher_a.id), str(world.teacher_b.id)]})
    assert response.status_code == 302
    [made] = _sessions(app)
    assert (made.number, made.kind, made.host_school_id) == (3, "research_lesson", world.school_a)
    shown = page(client.get(f"/sessions/{made.id}"))
    assert "Session 3: Research lesson: Year 3" in shown and "Pre-lesson briefing" in shown
    assert "Sam Iqbal" in shown and "Rosa Kettlewell" in shown
    year = page(client.get(f"/work-groups/{world.group.id}/sessions"))
    assert "Thu 30 Jan 2025</time>, 13:00–16:00" in year


def test_session_date_outside_the_academic_year_is_a_field_error(app, client, login, world):
    login(world.lead)
    for typed in ("2025-09-01", "31/08/2024"):
        response = client.post(f"/work-groups/{world.group.id}/sessions/new",
                               data=session_form(date=typed))
        assert response.status_code == 400
        html = page(response)
        assert "must fall in the Work Group&#39;s year 2024/25" in html
        assert "between 1 Sep 2024 and 31 Aug 2025" in html
        assert f'value="{typed}"' in html  # what was typed stays in the form
    assert _sessions(app) == []


def test_unreadable_session_date_and_times_are_field_errors(app, client, login, world):
    login(world.lead)
    response = client.post(f"/work-groups/{world.group.id}/sessions/new",
                           data=session_form(date="31/02/2025", start_time="16:00",
                                             end_time="13:00"))
    html = page(response)
    assert response.status_code == 400
    assert "“31/02/2025” is not a date we can read" in html
    assert "The session must end after it starts." in html
    assert _sessions(app) == []


def test_boundary_dates_of_the_year_are_accepted(app, client, login, world):
    login(world.lead)
    for number, typed in (("1", "1 September 2024"), ("2", "31/8/2025")):
        response = client.post(f"/work-groups/{world.group.id}/sessions/new",
                               data=session_form(number=number, date=typed))
        assert response.status_code == 302, page(response)[:2000]
    assert [s.date.isoformat() for s in _sessions(app)] == ["2024-09-01", "2025-08-31"]


def test_session_numbers_are_unique_in_a_group_and_hosts_must_be_its_schools(
        app, client, login, world):
    make_session(app, world.lead, world.group)
    login(world.lead)
    response = client.post(f"/work-groups/{world.group.id}/sessions/new",
                           data=session_form(host_school_id=str(world.other.school_ids[0]),
                                             attendees=[str(world.outsider.id)]))
    html = page(response)
    assert response.status_code == 400
    assert "already has a session 3" in html
    assert "Choose one of the Work Group&#39;s schools" in html
    assert "Choose attendees from the Work Group&#39;s members." in html
    assert len(_sessions(app)) == 1


def test_only_the_lead_plans_sessions_and_outsiders_see_nothing(app, client, login, world):
    session_id = make_session(app, world.lead, world.group)
    login(world.teacher_a)
    assert client.get(f"/work-groups/{world.group.id}/sessions/new").status_code == 403
    assert client.post(f"/work-groups/{world.group.id}/sessions/new",
                       data=session_form(number="4")).status_code == 403
    assert client.post(f"/sessions/{session_id}/edit",
                       data=session_form(title="Hijacked")).status_code == 403
    assert client.get(f"/sessions/{session_id}").status_code == 200
    client.post("/logout")
    login(world.outsider)
    for path in (f"/sessions/{session_id}", f"/sessions/{session_id}/notes",
                 f"/sessions/{session_id}/history", f"/work-groups/{world.group.id}/sessions",
                 f"/work-groups/{world.group.id}/sessions.ics",
                 f"/sessions/{session_id}/revisions/1"):
        assert client.get(path).status_code == 404, path
    assert client.post(f"/sessions/{session_id}/notes",
                       data={"agenda": "x", "notes": "y", "base_number": "1"}).status_code == 404
    assert _sessions(app)[0].title == "Research lesson: Year 3"


def test_posts_without_a_csrf_token_are_refused(app, client, login, world):
    session_id = make_session(app, world.lead, world.group)
    login(world.lead)
    assert client.post(f"/work-groups/{world.group.id}/sessions/new",
                       data=session_form(number="4"), csrf=False).status_code == 400
    assert client.post(f"/sessions/{session_id}/notes", csrf=False,
                       data={"agenda": "x", "notes": "", "base_number": "1"}).status_code == 400
    assert client.post(f"/sessions/{session_id}/revisions/1/restore",
                       csrf=False).status_code == 400
    assert len(_sessions(app)) == 1 and _notes_head(app, session_id).number == 1


def test_editing_details_keeps_the_calendar_uid_and_bumps_the_sequence(app, client, login,
                                                                       world):
    session_id = make_session(app, world.lead, world.group)
    before = _sessions(app)[0]
    login(world.lead)
    response = client.post(f"/sessions/{session_id}/edit",
                           data=session_form(date="2025-02-06", title="Moved research lesson"))
    assert response.status_code == 302
    after = _sessions(app)[0]
    assert after.ics_uid == before.ics_uid and after.ics_sequence == before.ics_sequence + 1
    assert after.date.isoformat() == "2025-02-06"


# --- agenda and notes: versions and merges ----------------------------------------------------


def test_members_write_notes_as_new_revisions_rendered_safely(app, client, login, world):
    session_id = make_session(app, world.lead, world.group)
    login(world.teacher_b)
    response = client.post(f"/sessions/{session_id}/notes", data={
        "agenda": "1. Pre-lesson briefing", "base_number": "1", "summary": "Notes",
        "notes": "We agreed **one** layout.<script>alert(1)</script>"})
    assert response.status_code == 302
    head = _notes_head(app, session_id)
    assert head.number == 2 and "<strong>one</strong>" in head.html["notes"]
    html = page(client.get(f"/sessions/{session_id}"))
    assert "<strong>one</strong>" in html and "<script>alert(1)" not in html


def test_concurrent_edits_to_different_fields_merge(app, client, login, world):
    session_id = make_session(app, world.lead, world.group, agenda="Line one\n")
    other = app.test_client()
    login(world.teacher_a)
    login(world.teacher_b, other)
    assert client.post(f"/sessions/{session_id}/notes", data={
        "agenda": "Line one\nLine two\n", "notes": "", "base_number": "1"}).status_code == 302
    response = other.post(f"/sessions/{session_id}/notes", data={
        "agenda": "Line one\n", "notes": "Agreed next steps.", "base_number": "1"})
    assert response.status_code == 302
    head = _notes_head(app, session_id)
    assert head.number == 3 and head.merged_numbers == [2]
    assert head.fields == {"agenda": "Line one\nLine two\n", "notes": "Agreed next steps."}


def test_concurrent_edits_to_the_same_lines_show_both_and_keep_my_text(app, client, login,
                                                                        world):
    session_id = make_session(app, world.lead, world.group, agenda="Start at 1pm\n")
    other = app.test_client()
    login(world.teacher_a)
    login(world.teacher_b, other)
    client.post(f"/sessions/{session_id}/notes",
                data={"agenda": "Start at 2pm\n", "notes": "", "base_number": "1"})
    response = other.post(f"/sessions/{session_id}/notes",
                          data={"agenda": "Start at 1.30pm\n", "notes": "", "base_number": "1"})
    html = page(response)
    assert response.status_code == 409
    assert "Start at 2pm" in html and "Start at 1.30pm" in html
    assert 'name="base_number" value="2"' in html
    assert _notes_head(app, session_id).number == 2


def test_history_compare_any_pair_and_restore(app, client, login, world):
    session_id = make_session(app, world.lead, world.group, agenda="First agenda\n")
    login(world.teacher_a)
    for n, text in enumerate(["Second agenda\n", "Third agenda\n"], start=1):
        client.post(f"/sessions/{session_id}/notes",
                    data={"agenda": text, "notes": "", "base_number": str(n)})
    history = page(client.get(f"/sessions/{session_id}/history"))
    assert "Revision 3" in history and "Revision 1" in history
    compare = page(client.get(f"/sessions/{session_id}/compare?a=3&b=1"))
    assert "<del>First</del>" in compare and "<ins>Third</ins>" in compare
    assert client.get(f"/sessions/{session_id}/compare?a=1").status_code == 400
    assert client.get(f"/sessions/{session_id}/revisions/9").status_code == 404
    old = page(client.get(f"/sessions/{session_id}/revisions/1"))
    assert "First agenda" in old
    assert client.post(f"/sessions/{session_id}/revisions/1/restore").status_code == 302
    head = _notes_head(app, session_id)
    assert (head.number, head.restored_from, head.fields["agenda"]) == (4, 1, "First agenda\n")


# --- links to what was discussed ---------------------------------------------------------------


def test_links_show_only_to_readers_who_may_see_them(app, client, login, world):
    shared = make_plan(app, world.teacher_a, _group(world), lessons=1, title="Shared plan")
    private_b = make_plan(app, world.teacher_b, _group(world, school=1), lessons=1,
                          title="School B only", visibility="school")
    login(world.lead)
    response = client.post(f"/work-groups/{world.group.id}/sessions/new", data={
        **session_form(), "links": [f"sequence:{shared.id}"]})
    assert response.status_code == 302
    session_id = _sessions(app)[0].id
    with app.app_context():
        db.session.add(SessionLink(session_id=session_id, kind="sequence",
                                   target_id=private_b.id, position=1))
        db.session.commit()
    client.post("/logout")
    login(world.teacher_a)
    html = page(client.get(f"/sessions/{session_id}"))
    assert "Shared plan" in html and "School B only" not in html
    # A forged link to something the editor cannot see is refused.
    client.post("/logout")
    login(world.lead)
    with app.app_context():
        from app.accounts.models import User

        lead = db.session.get(User, world.lead.id)
        from app.workgroups import links

        assert links.resolve(lead, "sequence", private_b.id) is None
    response = client.post(f"/sessions/{session_id}/edit", data={
        **session_form(), "links": [f"sequence:{private_b.id}", "nonsense:1"]})
    assert response.status_code == 400
    assert "Choose what was discussed from the lists." in page(response)


def _group(world, school: int = 0):
    from types import SimpleNamespace

    ids = [world.school_a, world.school_b]
    return SimpleNamespace(id=world.group.id, school_ids=[ids[school], ids[1 - school]])


# --- the Work Group page, the dashboard, last session date ----------------------------------------


def test_year_and_next_session_partials(app, client, login, world):
    make_session(app, world.lead, world.group, number="3", date="2025-01-30")
    make_session(app, world.lead, world.group, number="4", date="2025-03-13",
                 title="Research lesson: Year 5", agenda="- Equivalent *fractions*")
    login(world.teacher_a)
    html = page(client.get(f"/test-partials/{world.group.id}"))
    assert "Sessions in 2024/25" in html
    row = re.search(r'<tr class="wg-next">.*?</tr>', html, re.S).group(0)
    assert "Session 4: Research lesson: Year 5" in row and "(next)" in row
    assert "My next session" in html and "<em>fractions</em>" in html
    client.post("/logout")
    login(world.outsider)
    html = page(client.get(f"/test-partials/{world.group.id}"))
    assert "Sessions in 2024/25" not in html and "Research lesson: Year 5" not in html
    assert "No sessions are coming up" in html


def test_next_session_and_last_session_date(app, world):
    from app.accounts.models import WorkGroup
    from app.workgroups import sessions

    make_session(app, world.lead, world.group, number="3", date="2025-01-30")
    make_session(app, world.lead, world.group, number="4", date=TODAY.isoformat())
    make_session(app, world.lead, world.group, number="5", date="2025-05-08")
    with app.app_context():
        group = db.session.get(WorkGroup, world.group.id)
        assert signals.answers(signals.last_session_date, group=group) == [TODAY]
        assert sessions.last_session_date(group, TODAY.replace(day=9)).isoformat() == \
            "2025-01-30"
        assert sessions.next_session(user(world.teacher_a)).number == 4
        assert sessions.next_session(user(world.teacher_a), TODAY.replace(month=6)) is None
        assert sessions.next_session(user(world.outsider)) is None


# --- calendar -------------------------------------------------------------------------------------


def parse_ics(raw: bytes) -> list[dict[str, list[tuple[str, str]]]]:
    """A tiny RFC 5545 reader: checks line endings, folding and nesting; returns components."""
    text = raw.decode("utf-8")
    assert text.endswith("\r\n")
    assert "\n" not in text.replace("\r\n", ""), "bare LF"
    assert "\r" not in text.replace("\r\n", ""), "bare CR"
    physical = text[:-2].split("\r\n")
    for line in physical:
        assert len(line.encode("utf-8")) <= 75, line
    logical: list[str] = []
    for line in physical:
        if line.startswith((" ", "\t")):
            logical[-1] += line[1:]
        else:
            logical.append(line)
    stack: list[str] = []
    components: list[dict[str, list[tuple[str, str]]]] = []
    for line in logical:
        name, _, value = line.partition(":")
        if name == "BEGIN":
            stack.append(value)
            components.append({"_type": [("", value)]})
        elif name == "END":
            assert stack and stack.pop() == value, f"unbalanced END:{value}"
        else:
            assert stack, f"property outside a component: {line}"
            prop, _, params = name.partition(";")
            target = next(c for c in reversed(components)
                          if c["_type"][0][1] == stack[-1])
            target.setdefault(prop, []).append((params, value))
    assert stack == []
    return components


def unescape(value: str) -> str:
    return re.sub(r"\\([\\;,nN])", lambda m: "\n" if m[1] in "nN" else m[1], value)


def test_calendar_is_valid_icalendar_with_escaping_folding_and_stable_uids(app, client, login,
                                                                          world):
    tricky = "Research lesson; Year 3, doubling \\ halving – “4× is double 2×” " + "é" * 40
    first = make_session(app, world.lead, world.group, title=tricky,
                         agenda="Briefing, then; lesson\nDiscussion")
    make_session(app, world.lead, world.group, number="", kind="support_visit",
                 title="Support visit", date="2025-03-04", start_time="", end_time="",
                 host_school_id=str(world.school_b))
    login(world.teacher_a)
    response = client.get(f"/work-groups/{world.group.id}/sessions.ics")
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    assert "attachment" in response.headers["Content-Disposition"]
    raw = response.get_data()
    assert max(len(line) for line in raw.split(b"\r\n")) <= 75
    assert any(line.startswith(b" ") for line in raw.split(b"\r\n")), "long lines are folded"
    components = parse_ics(raw)
    calendar = components[0]
    assert calendar["_type"][0][1] == "VCALENDAR"
    assert calendar["VERSION"][0][1] == "2.0" and calendar["PRODID"]
    events = [c for c in components if c["_type"][0][1] == "VEVENT"]
    assert len(events) == 2
    for event in events:
        for prop in ("UID", "DTSTAMP", "DTSTART", "SUMMARY"):
            assert len(event.get(prop, [])) == 1, prop
        assert re.fullmatch(r"\d{8}T\d{6}Z", event["DTSTAMP"][0][1])
    timed, all_day = events
    assert unescape(timed["SUMMARY"][0][1]) == f"Session 3: {tricky}"
    assert "\\;" in timed["SUMMARY"][0][1] and "\\," in timed["SUMMARY"][0][1]
    assert "\\\\" in timed["SUMMARY"][0][1]
    assert "Briefing, then; lesson\nDiscussion" in unescape(timed["DESCRIPTION"][0][1])
    # 13:00 UK time on 30 Jan is 13:00 UTC (GMT).
    assert timed["DTSTART"][0] == ("", "20250130T130000Z")
    assert timed["DTEND"][0] == ("", "20250130T160000Z")
    assert all_day["DTSTART"][0] == ("VALUE=DATE", "20250304")
    assert all_day["DTEND"][0] == ("VALUE=DATE", "20250305")
    again = parse_ics(client.get(f"/work-groups/{world.group.id}/sessions.ics").get_data())
    assert [e["UID"] for e in again if e["_type"][0][1] == "VEVENT"] == \
        [e["UID"] for e in events]
    assert timed["UID"][0][1] == _sessions(app)[0].ics_uid and first


def test_calendar_times_follow_british_summer_time(app, client, login, world):
    make_session(app, world.lead, world.group, date="2025-05-08", start_time="15:45",
                 end_time="17:00", kind="online")
    login(world.teacher_a)
    events = [c for c in parse_ics(client.get(
        f"/work-groups/{world.group.id}/sessions.ics").get_data())
        if c["_type"][0][1] == "VEVENT"]
    assert events[0]["DTSTART"][0][1] == "20250508T144500Z"
    assert unescape(events[0]["LOCATION"][0][1]) == "Online"

