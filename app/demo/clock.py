"""The demo's dates, moved so that the demo year is the current one and its "now" is today.

The seed tells a year (2024/25) as seen in late March: sessions 1–4 have happened, two
research lessons have been taught and discussed, a review waits, sessions 5 and 6 are to come.
A newcomer should see that story in this academic year, with its past behind today and its
future ahead. So every seed date is mapped onto the current academic year:

- from 1 September to the seed's "now", dates are spread evenly between 1 September and
  today; after it, between today and 31 August. Order is kept (an observation still comes
  before the revision it led to), and what was past stays past;
- a day that lands on a weekend moves to the Friday before (past) or the Monday after (future),
  when that stays in the same academic year, since Work Groups meet on school days;
- academic-year names ("2024/25") move by whole years; anything outside the seed's year too.

`today` is the day the demo was first loaded (kept on the demo Work Group), so loading again
on a later day finds the same records instead of making new ones.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from app.workgroups import dates

#: The seed's "now": after its last recorded event (a review asked for on 24 March 2025).
SEED_NOW = dt.datetime(2025, 3, 25, tzinfo=dt.UTC)
_YEAR = re.compile(r"(\d{4})/(\d{2})")
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?(\.\d+)?(Z|[+-]\d{2}:\d{2})?")


def _start(year: str) -> dt.datetime:
    span = dates.academic_year_range(year)
    if span is None:
        raise ValueError(f"Not an academic year: {year!r}")
    return dt.datetime.combine(span[0], dt.time(), tzinfo=dt.UTC)


@dataclass(frozen=True)
class DemoClock:
    """Maps the seed's dates (of `seed_year`) onto the academic year of `today`."""

    seed_year: str
    today: dt.date

    @property
    def year(self) -> str:
        """The demo's academic year: the one today falls in."""
        return dates.academic_year_of(self.today)

    @property
    def _years(self) -> int:
        return int(self.year[:4]) - int(self.seed_year[:4])

    def _whole_years(self, moment: dt.datetime) -> dt.datetime:
        try:
            return moment.replace(year=moment.year + self._years)
        except ValueError:  # 29 February
            return moment.replace(year=moment.year + self._years, day=28)

    def at(self, moment: dt.datetime) -> dt.datetime:
        """A seed moment (timezone-aware) in the demo's year."""
        seed_start, start = _start(self.seed_year), _start(self.year)
        seed_end = _start(dates.next_academic_year(self.seed_year) or self.seed_year)
        end = _start(dates.next_academic_year(self.year) or self.year)
        now = dt.datetime.combine(self.today, dt.time(), tzinfo=dt.UTC)
        moment = moment.astimezone(dt.UTC)
        if not seed_start <= moment < seed_end:
            return self._whole_years(moment)
        if moment < SEED_NOW:
            return start + (moment - seed_start) * ((now - start) / (SEED_NOW - seed_start))
        return now + (moment - SEED_NOW) * ((end - now) / (seed_end - SEED_NOW))

    def day(self, value: dt.date) -> dt.date:
        """A seed day in the demo's year, on a school day when the year allows."""
        moved = self.at(dt.datetime.combine(value, dt.time(12), tzinfo=dt.UTC)).date()
        if moved.weekday() < 5 or moved == self.today:
            return moved
        step = -1 if moved < self.today else 1
        school_day = moved
        while school_day.weekday() >= 5:
            school_day += dt.timedelta(days=step)
        same_year = dates.academic_year_of(school_day) == dates.academic_year_of(moved)
        return school_day if same_year else moved

    def text(self, value: str) -> str:
        """A seed string with its date, moment or academic year moved (others unchanged)."""
        if _DAY.fullmatch(value):
            return self.day(dt.date.fromisoformat(value)).isoformat()
        if _MOMENT.fullmatch(value):
            moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=dt.UTC)
            return self.at(moment).isoformat()
        return _YEAR.sub(self._year_match, value)

    def _year_match(self, match: re.Match[str]) -> str:
        start, end = int(match[1]), int(match[2])
        if (start + 1) % 100 != end:  # "3/4" or a score, not an academic year
            return match[0]
        start += self._years
        return f"{start}/{(start + 1) % 100:02d}"

    def shift(self, data: Any) -> Any:
        """A copy of seed data (dicts, lists, strings) with every date moved."""
        if isinstance(data, str):
            return self.text(data)
        if isinstance(data, list):
            return [self.shift(item) for item in data]
        if isinstance(data, tuple):
            return tuple(self.shift(item) for item in data)
        if isinstance(data, dict):
            return {key: self.shift(item) for key, item in data.items()}
        return data


def clock_of(seed: dict[str, Any]) -> DemoClock:
    """The clock a shifted seed was made with (see shift_seed)."""
    meta = seed.get("_meta", {})
    return DemoClock(meta.get("seed_academic_year", meta["academic_year"]),
                     dt.date.fromisoformat(meta["demo_today"]))


def shift_seed(seed: dict[str, Any], today: dt.date) -> dict[str, Any]:
    """The seed with its dates moved to the academic year of `today`; remembers the clock."""
    clock = DemoClock(seed["_meta"]["academic_year"], today)
    moved: dict[str, Any] = clock.shift(seed)
    moved["_meta"] = {**moved["_meta"], "seed_academic_year": clock.seed_year,
                      "demo_today": today.isoformat()}
    return moved
