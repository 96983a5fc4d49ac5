"""Work Group sessions: the year's meetings, their versioned agenda and notes, and the calendar."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Flask
from sqlalchemy import select

from app import revisions, visibility
from app.accounts.models import User, WorkGroup
from app.core.markdown import SafeHtml, clean_text, resolve_links, rewrap_stored
from app.core.text import is_whole_number, one_line
from app.errors import Forbidden, NotFound, ValidationError
from app.extensions import db
from app.planning.fields import MAX_FIELD_CHARS, MAX_TITLE_CHARS, Field
from app.planning.links import link_resolver
from app.revisions import SaveResult
from app.revisions.models import Revision
from app.revisions.pages import Reading, RevisionPage, Section, VersionedSubject
from app.timeutil import utcnow
from app.workgroups import dates, ics, links, permissions
from app.workgroups.models import (
    SESSION_TYPES,
    SessionAttendee,
    SessionLink,
    WorkGroupSession,
)

NOTE_FIELDS: list[Field] = [
    Field("agenda", "Agenda", "What the session covers, in order. Markdown works.", rows=8),
    Field("notes", "Notes", "What was discussed and agreed; next steps. Markdown works.",
          rows=12),
]
NOTE_KEYS: list[str] = [f.key for f in NOTE_FIELDS]
DIFF_FIELDS: list[tuple[str, str]] = [(f.key, f.label) for f in NOTE_FIELDS]
MAX_NUMBER = 99


# --- reading ------------------------------------------------------------------------------------


def get_group(user: User, work_group_id: int) -> WorkGroup:
    """A Work Group whose sessions the user may see; NotFound otherwise."""
    group = db.session.get(WorkGroup, work_group_id)
    if group is None or not permissions.can_view_sessions(user, group):
        raise NotFound()
    return group


def manageable_group(user: User, work_group_id: int) -> WorkGroup:
    group = get_group(user, work_group_id)
    if not permissions.can_manage_sessions(user, group):
        raise Forbidden("Only the Work Group Lead and the hub's admins plan sessions.")
    return group


def get_session(user: User, session_id: int) -> WorkGroupSession:
    """A session the user may see; NotFound otherwise (never reveals that it exists)."""
    session = db.session.get(WorkGroupSession, session_id)
    if session is None or not permissions.can_view_sessions(user, session.work_group):
        raise NotFound()
    return session


def manageable_session(user: User, session_id: int) -> WorkGroupSession:
    session = get_session(user, session_id)
    if not permissions.can_manage_sessions(user, session.work_group):
        raise Forbidden("Only the Work Group Lead and the hub's admins change session details.")
    return session


def notes_editable_session(user: User, session_id: int) -> WorkGroupSession:
    session = get_session(user, session_id)
    if not permissions.can_edit_session_notes(user, session.work_group):
        raise Forbidden("Only members of the Work Group write its session notes.")
    return session


def list_sessions(group: WorkGroup, year: str | None = None) -> list[WorkGroupSession]:
    """The group's sessions (of one academic year, if given) in date order (numbered sessions
    before visits on the same day)."""
    query = select(WorkGroupSession).where(WorkGroupSession.work_group_id == group.id)
    if year is not None:
        query = query.where(WorkGroupSession.academic_year == year)
    return list(db.session.scalars(
        query.order_by(WorkGroupSession.date, WorkGroupSession.number.is_(None),
                  WorkGroupSession.number, WorkGroupSession.id)))


def head(session: WorkGroupSession) -> Revision:
    return revisions.get_revision(session.document_id, session.document.head_number)


def members(group: WorkGroup) -> list[User]:
    """Everyone who can attend: the group's members and its Lead, by name."""
    people = {m.user.id: m.user for m in group.memberships if not m.user.disabled}
    if group.lead is not None:
        people.setdefault(group.lead.id, group.lead)
    return sorted(people.values(), key=lambda u: u.display_name.casefold())


def note_html(user: User, revision: Revision, key: str) -> SafeHtml:
    """A note field's stored HTML (render_markdown's, at save) with wiki links resolved."""
    return resolve_links(rewrap_stored(revision.html.get(key)), link_resolver(user))


@dataclass
class SessionPage:
    session: WorkGroupSession
    head: Revision
    agenda: SafeHtml
    notes: SafeHtml
    attendees: list[User]
    links: list[links.LinkInfo]
    can_manage: bool
    can_edit_notes: bool


def session_page(user: User, session_id: int) -> SessionPage:
    session = get_session(user, session_id)
    current = head(session)
    people = sorted((a.user for a in session.attendees), key=lambda u: u.display_name.casefold())
    shown = [info for link in session.links
             if (info := links.resolve(user, link.kind, link.target_id)) is not None]
    group = session.work_group
    return SessionPage(session, current, note_html(user, current, "agenda"),
                       note_html(user, current, "notes"), people, shown,
                       permissions.can_manage_sessions(user, group),
                       permissions.can_edit_session_notes(user, group))


@dataclass
class YearView:
    """The Work Group's year: what the group page shows, and what the user may open."""

    group: WorkGroup
    sessions: list[WorkGroupSession]
    next: WorkGroupSession | None
    can_manage: bool
    can_see_board: bool
    can_see_overview: bool
    #: Sessions of earlier academic years, newest year first: kept as they were, still open.
    earlier: dict[str, list[WorkGroupSession]] = field(default_factory=dict)


def year_view(user: User, group: WorkGroup, today: dt.date | None = None) -> YearView:
    """The year's sessions for the Work Group page (the caller has checked the user sees it)."""
    items = list_sessions(group, group.academic_year)
    day = today or dates.today()
    upcoming = [s for s in items if s.date >= day]
    earlier: dict[str, list[WorkGroupSession]] = {}
    for item in list_sessions(group):
        if item.academic_year < group.academic_year:
            earlier.setdefault(item.academic_year, []).append(item)
    return YearView(group, items, upcoming[0] if upcoming else None,
                    permissions.can_manage_sessions(user, group),
                    permissions.can_view_board(user, group),
                    permissions.can_view_overview(user, group),
                    dict(sorted(earlier.items(), reverse=True)))


def next_session(user: User, today: dt.date | None = None) -> WorkGroupSession | None:
    """The user's next session (today or later) across their Work Groups, or None."""
    group_ids = visibility.GROUP.values(user)
    if not group_ids:
        return None
    return db.session.scalar(
        select(WorkGroupSession).where(WorkGroupSession.work_group_id.in_(group_ids),
                                       WorkGroupSession.date >= (today or dates.today()))
        .order_by(WorkGroupSession.date, WorkGroupSession.start_time, WorkGroupSession.id)
        .limit(1))


@dataclass
class NextSessionView:
    session: WorkGroupSession
    agenda: SafeHtml


def next_session_view(user: User, today: dt.date | None = None) -> NextSessionView | None:
    """The dashboard's "next session" panel: the session and its current agenda."""
    session = next_session(user, today)
    if session is None:
        return None
    return NextSessionView(session, note_html(user, head(session), "agenda"))


def on_last_session_date(_app: Flask, *, group: WorkGroup) -> dt.date | None:
    """Receiver of app.signals.last_session_date (connected per app by init_app)."""
    return last_session_date(group)


def last_session_date(work_group: WorkGroup, today: dt.date | None = None) -> dt.date | None:
    """The date of the group's most recent session on or before today, or None."""
    return db.session.scalar(
        select(WorkGroupSession.date).where(
            WorkGroupSession.work_group_id == work_group.id,
            WorkGroupSession.date <= (today or dates.today()))
        .order_by(WorkGroupSession.date.desc()).limit(1))


# --- details: create and change ------------------------------------------------------------------


def _details(group: WorkGroup, data: dict[str, Any], errors: dict[str, str],
             session: WorkGroupSession | None) -> dict[str, Any]:
    """Checked session details from form data; errors are recorded per field."""
    out: dict[str, Any] = {}
    raw_number = str(data.get("number") or "").strip()
    out["number"] = None
    if raw_number:
        if not is_whole_number(raw_number) or not 1 <= int(raw_number) <= MAX_NUMBER:
            errors["number"] = (f"Enter the session number as a whole number from 1 to "
                                f"{MAX_NUMBER}, or leave it blank for a support visit.")
        else:
            out["number"] = int(raw_number)
            taken = db.session.scalar(select(WorkGroupSession.id).where(
                WorkGroupSession.work_group_id == group.id,
                WorkGroupSession.academic_year == (session.academic_year if session is not None
                                                   else group.academic_year),
                WorkGroupSession.number == out["number"]))
            if taken is not None and (session is None or taken != session.id):
                errors["number"] = f"This Work Group already has a session {out['number']}."
    raw_date = str(data.get("date") or "")
    day = dates.parse_date(raw_date)
    # A session stays in the year it was planned for; new ones go in the group's current year.
    year_name = session.academic_year if session is not None else group.academic_year
    year = dates.academic_year_range(year_name)
    if day is None:
        errors["date"] = ("Enter the date of the session. " if not raw_date.strip() else
                          f"“{raw_date.strip()}” is not a date we can read. ") + dates.DATE_HINT
    elif year is not None and not year[0] <= day <= year[1]:
        errors["date"] = (f"The date must fall in the Work Group's year {year_name}: "
                          f"between {dates.day_label(year[0])} and {dates.day_label(year[1])}.")
    out["date"] = day
    start_raw = str(data.get("start_time") or "").strip()
    end_raw = str(data.get("end_time") or "").strip()
    start, end = dates.parse_time(start_raw), dates.parse_time(end_raw)
    if start_raw and start is None:
        errors["start_time"] = "Enter the start time as 24-hour hours and minutes, like 13:30."
    if end_raw and end is None:
        errors["end_time"] = "Enter the end time as 24-hour hours and minutes, like 16:00."
    if start is not None and end is not None and end <= start:
        errors["end_time"] = "The session must end after it starts."
    elif (start is None) != (end is None) and "start_time" not in errors \
            and "end_time" not in errors:
        errors["end_time" if start is not None else "start_time"] = (
            "Give both a start and an end time, or neither for an all-day entry.")
    out["start_time"], out["end_time"] = start, end
    kind = str(data.get("kind") or "")
    if kind not in SESSION_TYPES:
        errors["kind"] = "Choose the type of session."
    out["kind"] = kind
    host = str(data.get("host_school_id") or "").strip()
    out["host_school_id"] = None
    if host:
        school_ids = {s.id for s in group.schools}
        if not is_whole_number(host) or int(host) not in school_ids:
            errors["host_school_id"] = "Choose one of the Work Group's schools, or no host."
        else:
            out["host_school_id"] = int(host)
    title = one_line(str(data.get("title") or ""))
    if not title:
        errors["title"] = "Enter a title, e.g. “Opening workshop: priorities and action plans”."
    elif len(title) > MAX_TITLE_CHARS:
        errors["title"] = f"Keep the title to {MAX_TITLE_CHARS} characters (it has {len(title)})."
    out["title"] = title
    allowed = {u.id for u in members(group)}
    chosen = [int(v) for v in data.get("attendees", []) if is_whole_number(str(v))]
    if len(chosen) != len(data.get("attendees", [])) or not set(chosen) <= allowed:
        errors["attendees"] = "Choose attendees from the Work Group's members."
    out["attendees"] = sorted(set(chosen) & allowed)
    return out


def _checked_links(user: User, values: list[str], errors: dict[str, str]) -> list[tuple[str, int]]:
    """("kind", id) pairs for the links chosen; each must be something the user can see."""
    out: list[tuple[str, int]] = []
    for value in values:
        kind, _, raw = str(value).partition(":")
        if not is_whole_number(raw) or links.resolve(user, kind, int(raw)) is None:
            errors["links"] = "Choose what was discussed from the lists."
            continue
        if (kind, int(raw)) not in out:
            out.append((kind, int(raw)))
    return out


def _apply(user: User, session: WorkGroupSession, details: dict[str, Any],
           chosen: list[tuple[str, int]]) -> None:
    calendar_keys = ("date", "start_time", "end_time", "host_school_id", "title")
    if session.id is not None and any(getattr(session, k) != details[k] for k in calendar_keys):
        session.ics_sequence = (session.ics_sequence or 0) + 1
    for key in ("number", "date", "start_time", "end_time", "kind", "host_school_id", "title"):
        setattr(session, key, details[key])
    session.academic_year = dates.academic_year_of(details["date"])
    session.attendees = [a for a in session.attendees if a.user_id in details["attendees"]]
    have = {a.user_id for a in session.attendees}
    session.attendees.extend(SessionAttendee(user_id=i) for i in details["attendees"]
                             if i not in have)
    # Links this user cannot see stay as they were: someone else added them.
    hidden = [link for link in session.links
              if links.resolve(user, link.kind, link.target_id) is None]
    kept = {(link.kind, link.target_id): link for link in session.links}
    session.links = hidden + [kept.get(pair) or SessionLink(kind=pair[0], target_id=pair[1])
                              for pair in chosen]
    for position, link in enumerate(session.links):
        link.position = position
    session.updated_at = utcnow()


def create_session(user: User, work_group_id: int, data: dict[str, Any]) -> WorkGroupSession:
    """Plan a session of the group, with its first agenda (the Lead and hub admins)."""
    group = manageable_group(user, work_group_id)
    errors: dict[str, str] = {}
    details = _details(group, data, errors, None)
    chosen = _checked_links(user, data.get("links", []), errors)
    agenda = clean_text(str(data.get("agenda") or ""))
    if len(agenda) > MAX_FIELD_CHARS:
        errors["agenda"] = f"The agenda is too long: the limit is {MAX_FIELD_CHARS:,} characters."
    if errors:
        raise ValidationError(fields=errors)
    document = revisions.new_document("session_notes")
    session = WorkGroupSession(work_group_id=group.id, document_id=document.id,
                               created_by_id=user.id, ics_sequence=0)
    _apply(user, session, details, chosen)
    db.session.add(session)
    db.session.flush()
    revisions.save_revision(document.id, user, {"agenda": agenda, "notes": ""}, None,
                            "Session planned.", NOTE_KEYS)
    return session


def update_session(user: User, session_id: int, data: dict[str, Any]) -> WorkGroupSession:
    """Change a session's date, time, type, host, title, attendees and links."""
    session = manageable_session(user, session_id)
    errors: dict[str, str] = {}
    details = _details(session.work_group, data, errors, session)
    chosen = _checked_links(user, data.get("links", []), errors)
    if errors:
        raise ValidationError(fields=errors)
    _apply(user, session, details, chosen)
    return session


def details_form(session: WorkGroupSession) -> dict[str, Any]:
    """The details form's values for an existing session."""
    return {"number": str(session.number or ""), "date": session.date.isoformat(),
            "start_time": session.start_time.strftime("%H:%M") if session.start_time else "",
            "end_time": session.end_time.strftime("%H:%M") if session.end_time else "",
            "kind": session.kind, "host_school_id": str(session.host_school_id or ""),
            "title": session.title, "attendees": [str(i) for i in session.attendee_ids],
            "links": [f"{link.kind}:{link.target_id}" for link in session.links]}


# --- agenda and notes (versioned) ---------------------------------------------------------------


def _note_fields(data: dict[str, Any], errors: dict[str, str]) -> dict[str, str]:
    fields: dict[str, str] = {}
    for spec in NOTE_FIELDS:
        text = clean_text(str(data.get(spec.key) or ""))
        if len(text) > MAX_FIELD_CHARS:
            errors[spec.key] = (f"{spec.label} is too long: {len(text):,} characters, the limit "
                                f"is {MAX_FIELD_CHARS:,}. Your text is kept below.")
        fields[spec.key] = text
    return fields


def save_notes(user: User, session_id: int, data: dict[str, Any], base_number: int | None,
               summary: str) -> SaveResult:
    """Save the agenda and notes based on `base_number`, merging with saves made meanwhile."""
    session = notes_editable_session(user, session_id)
    errors: dict[str, str] = {}
    fields = _note_fields(data, errors)
    if errors:
        raise ValidationError(fields=errors)
    result = revisions.save_revision(session.document_id, user, fields, base_number,
                                     summary or "Agenda and notes updated.", NOTE_KEYS)
    if result.changed:
        session.updated_at = utcnow()
    return result


def subject(user: User, session: WorkGroupSession) -> VersionedSubject:
    """The session's notes as the revision pages show them."""
    return VersionedSubject(session.label, session.document_id, session.document.head_number,
                            "workgroups.session", "workgroups.session_restore",
                            {"session_id": session.id}, "session's notes",
                            permissions.can_edit_session_notes(user, session.work_group),
                            stylesheet="css/workgroups.css")


def revision_page(user: User, session: WorkGroupSession, number: int) -> RevisionPage:
    """Revision `number` of the session's agenda and notes, every field shown (empty or not)."""
    shown = subject(user, session)
    revision = revisions.get_revision(session.document_id, number)
    sections = [Section(f.key, f.label, note_html(user, revision, f.key)) for f in NOTE_FIELDS]
    return RevisionPage(shown, revision, Reading(f"Agenda and notes: {session.label}",
                                                 sections=sections),
                        shown.can_restore)


def restore_notes(user: User, session_id: int, number: int) -> SaveResult:
    """Bring back revision `number` of the notes as a new revision."""
    session = notes_editable_session(user, session_id)
    return revisions.restore_revision(session.document_id, user, number, NOTE_KEYS)


def notes_display(old: dict[str, Any], new: dict[str, Any]
                  ) -> tuple[dict[str, Any], dict[str, Any], list[tuple[str, str]]]:
    """Session notes diff as they are: two Markdown fields."""
    return old, new, DIFF_FIELDS


# --- calendar -----------------------------------------------------------------------------------


def calendar(user: User, work_group_id: int, session_url: Callable[[int], str],
             now: dt.datetime | None = None) -> tuple[str, str]:
    """(file name, iCalendar text) of the group's sessions, for calendar apps."""
    group = get_group(user, work_group_id)
    events = []
    for session in list_sessions(group):
        agenda = head(session).fields.get("agenda", "")
        url = session_url(session.id)
        description = f"{session.kind_label}. {group.title}.\n\n{agenda}".rstrip() + \
            f"\n\n{url}"
        events.append(ics.CalendarEvent(
            uid=session.ics_uid, sequence=session.ics_sequence or 0, summary=session.label,
            day=session.date, start_time=session.start_time, end_time=session.end_time,
            description=description,
            location=session.host_school.name if session.host_school else
            ("Online" if session.kind == "online" else ""),
            url=url, categories=session.kind_label, created=session.created_at,
            last_modified=session.updated_at))
    name = f"{group.project_code} {group.title} ({group.academic_year})"
    slug = "".join(c if c.isalnum() else "-" for c in group.project_code.lower()).strip("-")
    return f"{slug or 'work-group'}-{group.id}-sessions.ics", \
        ics.build_calendar(name, events, now or utcnow())
