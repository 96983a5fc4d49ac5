"""Helpers the included partials call: the Work Group page's year and the dashboard panel.

They read the signed-in user so that the pages which include the partials need no change
beyond the include line.
"""

from __future__ import annotations

import datetime as dt

from flask_login import current_user

from app.accounts.models import WorkGroup
from app.workgroups import permissions, sessions


def work_group_year(group: WorkGroup) -> sessions.YearView | None:
    """The year of sessions for workgroups/_year.html (None for anonymous or outsiders)."""
    if not current_user.is_authenticated:
        return None
    user = current_user._get_current_object()

    if not permissions.can_view_sessions(user, group):
        return None
    return sessions.year_view(user, group)


def next_session_panel() -> sessions.NextSessionView | None:
    """The signed-in user's next session for workgroups/_next_session.html."""
    if not current_user.is_authenticated:
        return None
    return sessions.next_session_view(current_user._get_current_object())


def group_links(group: WorkGroup) -> dict[str, bool]:
    """Which of the group's feature pages the signed-in user may open (for the sub-menu)."""
    if not current_user.is_authenticated:
        return {}
    user = current_user._get_current_object()
    return {"sessions": permissions.can_view_sessions(user, group),
            "board": permissions.can_view_board(user, group),
            "overview": permissions.can_view_overview(user, group),
            "manage": permissions.can_manage_sessions(user, group)}


def day(value: dt.date | None, weekday: bool = False) -> str:
    """Thu 3 Oct 2024 (or 3 Oct 2024): dates as teachers write them."""
    if value is None:
        return ""
    text = f"{value.day} {value.strftime('%b %Y')}"
    return f"{value.strftime('%a')} {text}" if weekday else text


def time_range(start: dt.time | None, end: dt.time | None) -> str:
    """13:00–16:00, or "" for an all-day entry."""
    if start is None or end is None:
        return ""
    return f"{start.strftime('%H:%M')}–{end.strftime('%H:%M')}"
