"""The Work Group sessions feed (app.workgroups.ics): what calendar apps will read back."""

from __future__ import annotations

import datetime as dt

from icalendar import Calendar

from app.workgroups.ics import CalendarEvent, build_calendar

NOW = dt.datetime(2025, 1, 20, 9, 30, tzinfo=dt.UTC)


def event(**overrides: object) -> CalendarEvent:
    fields: dict[str, object] = dict(
        uid="wg-session-7@coplan", sequence=2, summary="Session 3: Doubling",
        day=dt.date(2025, 1, 30), start_time=dt.time(13, 0), end_time=dt.time(16, 0),
        description="Research lesson.", location="Castleford Primary",
        url="https://coplan.example/work-groups/1/sessions/7", categories="Research lesson",
        created=dt.datetime(2025, 1, 2, 8, 0), last_modified=dt.datetime(2025, 1, 3, 8, 0))
    fields.update(overrides)
    return CalendarEvent(**fields)  # type: ignore[arg-type]


def parsed(text: str) -> list[Calendar]:
    return list(Calendar.from_ical(text).walk("VEVENT"))


def test_title_with_commas_semicolons_and_newlines_reads_back_exactly() -> None:
    title = "Session 3: Year 3, doubling; halving\nthen \\ reflection\r\nend\x07"
    raw = build_calendar("WG; 2025, Maths", [event(summary=title)], NOW)
    summary = next(line for line in raw.split("\r\n") if line.startswith("SUMMARY:"))
    # Escaped on the wire: nothing in the title can end the value or the line.
    assert summary == ("SUMMARY:Session 3: Year 3\\, doubling\\; halving\\nthen \\\\ "
                       "reflection\\nend")
    (only,) = parsed(raw)
    assert str(only["SUMMARY"]) == "Session 3: Year 3, doubling; halving\nthen \\ reflection\nend"
    assert "X-WR-CALNAME:WG\\; 2025\\, Maths\r\n" in raw


def test_feed_keeps_uid_times_dates_and_fields() -> None:
    raw = build_calendar("WG", [
        event(),
        event(uid="wg-session-8@coplan", sequence=0, day=dt.date(2025, 3, 4), start_time=None,
              end_time=None, location="", description="", url="", categories=""),
        event(uid="wg-session-9@coplan", day=dt.date(2025, 5, 8), start_time=dt.time(15, 45),
              end_time=dt.time(17, 0), categories="Online, live"),
    ], NOW)
    assert raw.startswith("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n")
    assert raw.endswith("END:VCALENDAR\r\n")
    assert "PRODID:-//Coplan//Work Group sessions//EN\r\n" in raw
    assert "METHOD" not in raw
    timed, all_day, summer = parsed(raw)
    assert str(timed["UID"]) == "wg-session-7@coplan" and timed["SEQUENCE"] == 2
    # 13:00 UK time in January is GMT; in May it is BST, an hour ahead of UTC.
    assert "DTSTART:20250130T130000Z\r\nDTEND:20250130T160000Z\r\n" in raw
    assert "DTSTART:20250508T144500Z\r\n" in raw
    assert "DTSTAMP:20250120T093000Z\r\n" in raw and raw.count("DTSTAMP:") == 3
    assert "CREATED:20250102T080000Z\r\nLAST-MODIFIED:20250103T080000Z\r\n" in raw
    assert "DTSTART;VALUE=DATE:20250304\r\nDTEND;VALUE=DATE:20250305\r\n" in raw
    assert str(timed["LOCATION"]) == "Castleford Primary"
    assert str(timed["URL"]) == "https://coplan.example/work-groups/1/sessions/7"
    assert "LOCATION" not in all_day and "URL" not in all_day and "CATEGORIES" not in all_day
    # A kind label with a comma stays one category.
    assert "CATEGORIES:Online\\, live\r\n" in raw
    assert [str(c) for c in summer["CATEGORIES"].cats] == ["Online, live"]


def test_long_lines_fold_at_75_octets_without_splitting_a_character() -> None:
    description = "€" * 60 + "\n" + "é" * 80
    raw = build_calendar("WG", [event(description=description)], NOW)
    lines = raw.split("\r\n")
    assert all(len(line.encode("utf-8")) <= 75 for line in lines)
    assert any(line.startswith(" ") for line in lines)
    # (A character split by a fold would already have failed build_calendar's UTF-8 decode.)
    (only,) = parsed(raw)
    assert str(only["DESCRIPTION"]) == description


def test_url_is_not_text_escaped_but_cannot_break_a_line() -> None:
    raw = build_calendar("WG", [event(url="https://x.example/a?b=1,2;c\n\x07d")], NOW)
    assert "URL:https://x.example/a?b=1,2;cd\r\n" in raw
