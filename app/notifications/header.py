"""The per-person bits of every page's header and plan pages: unread count, reviews waiting
and watch state.

A plan page asks for them as columns of its own query (`unread_column`, `watching_column`) and
hands the answers to `remember`, so the header does not run more statements; any other
page asks `unread`/`reviews_waiting`/`watching`, which query once per request (the two counts
in one statement). All are per person and per
request (kept on `flask.g`), so nothing of one person's header can reach another's page.
"""

from __future__ import annotations

from typing import Any

from flask import g
from sqlalchemy import exists, func, select

from app.accounts.models import User
from app.extensions import db
from app.notifications.models import Notification, Watch
from app.reviews.waiting import count_column as reviews_waiting_column


def unread_column(user_id: Any) -> Any:
    """A scalar subquery: how many notifications the user (an id or a bound parameter) has
    not read."""
    return (select(func.count()).select_from(Notification)
            .where(Notification.user_id == user_id, Notification.read_at.is_(None))
            .scalar_subquery())


def watching_column(user_id: Any, kind: str, target_id: Any) -> Any:
    """An EXISTS: does the user follow this thing (`target_id` may be a column)?"""
    return exists().where(Watch.user_id == user_id, Watch.target_kind == kind,
                          Watch.target_id == target_id)


def remember(user: User, *, unread: int | None = None, reviews_waiting: int | None = None,
             watching: dict[tuple[str, int], bool] | None = None) -> None:
    """Keep answers a page's own query already gave, for this request's header."""
    state = _state(user)
    if unread is not None:
        state["unread"] = int(unread)
    if reviews_waiting is not None:
        state["reviews_waiting"] = int(reviews_waiting)
    state["watching"].update(watching or {})


def unread(user: Any) -> int:
    """The header's unread count (0 for a visitor)."""
    if not getattr(user, "is_authenticated", False):
        return 0
    state = _state(user)
    if "unread" not in state:
        _load_counts(user, state)
    return int(state["unread"])


def reviews_waiting(user: Any) -> int:
    """The Reviews menu item's count: reviews waiting for this person (0 for a visitor)."""
    if not getattr(user, "is_authenticated", False):
        return 0
    state = _state(user)
    if "reviews_waiting" not in state:
        _load_counts(user, state)
    return int(state["reviews_waiting"])


def _load_counts(user: User, state: dict[str, Any]) -> None:
    # Both counts in one statement: every page's header shows both.
    row = db.session.execute(select(unread_column(user.id).label("unread"),
                                    reviews_waiting_column(user).label("waiting"))).one()
    state.setdefault("unread", row.unread or 0)
    state.setdefault("reviews_waiting", row.waiting or 0)


def watching(user: Any, kind: str, target_id: int) -> bool:
    """Does this person follow the thing (False for a visitor)?"""
    if not getattr(user, "is_authenticated", False):
        return False
    known: dict[tuple[str, int], bool] = _state(user)["watching"]
    if (kind, target_id) not in known:
        known[(kind, target_id)] = bool(db.session.scalar(
            select(watching_column(user.id, kind, target_id))))
    return known[(kind, target_id)]


def _state(user: User) -> dict[str, Any]:
    # Keyed by the person too: a request that switches user (login) starts afresh.
    states: dict[int, dict[str, Any]] = g.setdefault("header_state", {})
    return states.setdefault(user.id, {"watching": {}})
