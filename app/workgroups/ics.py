"""iCalendar (RFC 5545) feed of Work Group sessions, written with the `icalendar` library.

The library does TEXT escaping (backslash, semicolon, comma, newline), CRLF line endings and
folding at 75 octets without splitting a UTF-8 character. What stays here is what the feed
promises: a DTSTAMP on every event, a UID that never changes for a session, UK local times
sent as UTC, and no control characters in text (the library would pass them through).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass

from icalendar import Calendar, Event, vText

from app.workgroups.dates import LOCAL_ZONE

PRODID = "-//Coplan//Work Group sessions//EN"
# Control characters are not allowed in TEXT values (tab is; newlines become "\n").
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


@dataclass(frozen=True)
class CalendarEvent:
    uid: str
    sequence: int
    summary: str
    day: dt.date
    #: UK local times; None for an all-day event.
    start_time: dt.time | None
    end_time: dt.time | None
    description: str
    location: str
    url: str
    categories: str
    created: dt.datetime
    last_modified: dt.datetime


def _text(value: str) -> vText:
    """A TEXT value with line endings normalised and control characters dropped."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return vText(_CONTROL_RE.sub("", value))


def _utc(value: dt.datetime) -> dt.datetime:
    """The same instant in UTC (naive values are taken as UTC), so it is written with a Z."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


def _local(day: dt.date, time: dt.time) -> dt.datetime:
    return dt.datetime.combine(day, time, tzinfo=LOCAL_ZONE)


def _event(item: CalendarEvent, stamp: dt.datetime) -> Event:
    event = Event()
    event.add("uid", _text(item.uid))
    event.add("dtstamp", stamp)
    event.add("sequence", item.sequence)
    if item.start_time is not None and item.end_time is not None:
        event.add("dtstart", _utc(_local(item.day, item.start_time)))
        event.add("dtend", _utc(_local(item.day, item.end_time)))
    else:
        # An all-day event: DTEND is exclusive, so the next day.
        event.add("dtstart", item.day)
        event.add("dtend", item.day + dt.timedelta(days=1))
    event.add("summary", _text(item.summary))
    if item.description:
        event.add("description", _text(item.description))
    if item.location:
        event.add("location", _text(item.location))
    if item.categories:
        # One category whose name may hold commas (escaped), not a list split at them.
        event.add("categories", [_text(item.categories)])
    if item.url:
        # URL is of type URI, not TEXT: it is not escaped, only stripped of what breaks lines.
        event.add("url", _CONTROL_RE.sub("", item.url).replace("\n", ""))
    event.add("created", _utc(item.created))
    event.add("last-modified", _utc(item.last_modified))
    return event


def build_calendar(name: str, events: Iterable[CalendarEvent], now: dt.datetime) -> str:
    """A whole VCALENDAR with one VEVENT per session, CRLF-terminated and folded."""
    calendar = Calendar()
    calendar.add("version", "2.0")
    calendar.add("prodid", PRODID)
    # No METHOD: that is for iTIP scheduling messages, which need an ORGANIZER.
    calendar.add("calscale", "GREGORIAN")
    # An X- property has no known type, so the library would not escape a plain str.
    calendar.add("x-wr-calname", _text(name))
    stamp = _utc(now)
    for item in events:
        calendar.add_component(_event(item, stamp))
    return calendar.to_ical().decode("utf-8")
