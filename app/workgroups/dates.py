"""Dates as teachers type them, academic years, and "today" in England (Flask-free)."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

#: Work Groups meet in England: "today" and session times are UK local time.
LOCAL_ZONE = ZoneInfo("Europe/London")

_MONTHS = {name: n for n, names in enumerate(
    [("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",),
     ("jun", "june"), ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"),
     ("oct", "october"), ("nov", "november"), ("dec", "december")], start=1) for name in names}
_ISO_RE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_DMY_RE = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{2}|\d{4})")
_WORDS_RE = re.compile(r"(\d{1,2})(?:st|nd|rd|th)?\s+([a-z]+)\.?,?\s+(\d{4})")
_TIME_RE = re.compile(r"([01]?\d|2[0-3])[:.]([0-5]\d)")
_YEAR_RE = re.compile(r"(\d{4})/(\d{2})")

DATE_HINT = "Enter a date like 2025-04-04, 4/4/2025 or 4 April 2025."


def today() -> dt.date:
    """Today's date in England."""
    return dt.datetime.now(LOCAL_ZONE).date()


def parse_date(text: str) -> dt.date | None:
    """A date typed as 2025-04-04, 4/4/2025, 04.04.25 or 4 April 2025 (UK order); else None."""
    value = (text or "").strip().lower()
    try:
        if match := _ISO_RE.fullmatch(value):
            return dt.date(int(match[1]), int(match[2]), int(match[3]))
        if match := _DMY_RE.fullmatch(value):
            year = int(match[3]) + (2000 if len(match[3]) == 2 else 0)
            return dt.date(year, int(match[2]), int(match[1]))
        if (match := _WORDS_RE.fullmatch(value)) and match[2] in _MONTHS:
            return dt.date(int(match[3]), _MONTHS[match[2]], int(match[1]))
    except ValueError:  # 31/02/2025 and the like
        return None
    return None


def parse_time(text: str) -> dt.time | None:
    """A 24-hour time typed as 13:30 or 13.30; else None."""
    match = _TIME_RE.fullmatch((text or "").strip())
    return dt.time(int(match[1]), int(match[2])) if match else None


def academic_year_range(year: str) -> tuple[dt.date, dt.date] | None:
    """(1 September, 31 August) of a "2024/25" academic year; None if it is not one."""
    match = _YEAR_RE.fullmatch((year or "").strip())
    if not match:
        return None
    start = int(match[1])
    return dt.date(start, 9, 1), dt.date(start + 1, 8, 31)


def academic_year_of(day: dt.date) -> str:
    """The academic year (September to August) a date falls in: 2024-10-03 gives "2024/25"."""
    start = day.year if day.month >= 9 else day.year - 1
    return f"{start}/{(start + 1) % 100:02d}"


def next_academic_year(year: str) -> str | None:
    """The year after "2024/25" ("2025/26"); None if `year` is not an academic year."""
    span = academic_year_range(year)
    return academic_year_of(span[1] + dt.timedelta(days=1)) if span else None


def day_label(value: dt.date) -> str:
    """3 Oct 2024."""
    return f"{value.day} {value.strftime('%b %Y')}"
