"""A small, strict iCalendar (RFC 5545) writer for Work Group sessions (Flask-free).

Hand-written because the app needs only VEVENTs with text, dates and UTC times; the parts
that matter are all here: TEXT escaping (backslash, semicolon, comma, newline), CRLF line
endings, lines folded at 75 octets without splitting a UTF-8 character, a DTSTAMP on every
event and a UID that never changes for a session.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass

from app.workgroups.dates import LOCAL_ZONE

CRLF = "\r\n"
#: RFC 5545 3.1: lines SHOULD NOT be longer than 75 octets, excluding the line break.
MAX_OCTETS = 75
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


def escape_text(value: str) -> str:
    """A TEXT property value: backslash, semicolon and comma escaped, newlines as \\n."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    value = _CONTROL_RE.sub("", value)
    value = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return value.replace("\n", "\\n")


def fold(line: str) -> str:
    """Fold a content line into CRLF-separated pieces of at most 75 octets each.

    Continuation lines start with one space, which counts towards their 75 octets; a
    multi-byte UTF-8 character is never split between two lines.
    """
    pieces: list[str] = []
    current = ""
    size = 0
    limit = MAX_OCTETS
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            pieces.append(current)
            current, size, limit = "", 0, MAX_OCTETS - 1
        current += char
        size += width
    pieces.append(current)
    return (CRLF + " ").join(pieces)


def utc_stamp(value: dt.datetime) -> str:
    """A UTC DATE-TIME: 20250130T133000Z (naive values are taken as UTC)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def _local(day: dt.date, time: dt.time) -> dt.datetime:
    return dt.datetime.combine(day, time, tzinfo=LOCAL_ZONE)


def _event_lines(event: CalendarEvent, stamp: str) -> list[str]:
    lines = ["BEGIN:VEVENT", f"UID:{escape_text(event.uid)}", f"DTSTAMP:{stamp}",
             f"SEQUENCE:{event.sequence}"]
    if event.start_time is not None and event.end_time is not None:
        lines += [f"DTSTART:{utc_stamp(_local(event.day, event.start_time))}",
                  f"DTEND:{utc_stamp(_local(event.day, event.end_time))}"]
    else:
        # An all-day event: DTEND is exclusive, so the next day.
        lines += [f"DTSTART;VALUE=DATE:{event.day.strftime('%Y%m%d')}",
                  f"DTEND;VALUE=DATE:{(event.day + dt.timedelta(days=1)).strftime('%Y%m%d')}"]
    lines.append(f"SUMMARY:{escape_text(event.summary)}")
    if event.description:
        lines.append(f"DESCRIPTION:{escape_text(event.description)}")
    if event.location:
        lines.append(f"LOCATION:{escape_text(event.location)}")
    if event.categories:
        lines.append(f"CATEGORIES:{escape_text(event.categories)}")
    if event.url:
        # URL is of type URI, not TEXT: it is not escaped, only stripped of what breaks lines.
        lines.append(f"URL:{_CONTROL_RE.sub('', event.url).replace(chr(10), '')}")
    lines += [f"CREATED:{utc_stamp(event.created)}",
              f"LAST-MODIFIED:{utc_stamp(event.last_modified)}", "END:VEVENT"]
    return lines


def build_calendar(name: str, events: Iterable[CalendarEvent], now: dt.datetime) -> str:
    """A whole VCALENDAR with one VEVENT per session, CRLF-terminated and folded."""
    stamp = utc_stamp(now)
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Coplan//Work Group sessions//EN",
             # No METHOD: that is for iTIP scheduling messages, which need an ORGANIZER.
             "CALSCALE:GREGORIAN", f"X-WR-CALNAME:{escape_text(name)}"]
    for event in events:
        lines += _event_lines(event, stamp)
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + CRLF for line in lines)
