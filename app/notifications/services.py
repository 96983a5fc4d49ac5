"""Notifications and watches: create, list, mark read; follow and unfollow plans.

Other features reach `notify` through the `app.signals.notify` signal (or import it directly).
Nothing here commits: the request that caused the notification commits it with its own change.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from flask import current_app, has_request_context, url_for
from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from app.accounts.models import User
from app.core.text import is_whole_number
from app.errors import NotFound, ValidationError
from app.extensions import db
from app.materials.models import Material
from app.materials.services import get_material
from app.notifications.models import KINDS, WATCH_KINDS, Notification, Watch
from app.planning import services as planning
from app.planning.models import Lesson, Sequence
from app.timeutil import utcnow

PAGE_SIZE = 50
MAX_TEXT = 500


def site_path(endpoint: str, **values: object) -> str:
    """A path on this site for an endpoint, with or without a request (CLI, demo loader)."""
    if has_request_context():
        params: dict[str, Any] = values  # url_for's own keywords (_anchor, ...) are typed
        return url_for(endpoint, **params)
    return current_app.url_map.bind("localhost").build(endpoint, values)


def _check_url(url: str) -> str:
    # Notifications only ever point into Coplan: a feed must not carry links elsewhere.
    if not url.startswith("/") or url.startswith("//") or "\\" in url or len(url) > 500:
        raise ValueError(f"A notification URL must be a path on this site, not {url!r}.")
    return url


def notify(user_id: int, kind: str, text: str, url: str, *,
           at: datetime | None = None) -> Notification:
    """Queue a notification for one person (the caller's commit saves it), and return it.

    `at` back-dates it (the demo loader's revisions carry the seed's dates)."""
    if kind not in KINDS:
        raise ValueError(f"Unknown notification kind {kind!r}; use one of {sorted(KINDS)}.")
    text = " ".join(text.split())
    if len(text) > MAX_TEXT:
        text = text[: MAX_TEXT - 1] + "…"
    note = Notification(user_id=user_id, kind=kind, text=text, url=_check_url(url),
                        created_at=at or utcnow())
    db.session.add(note)
    return note


# --- watching -------------------------------------------------------------------------------


def target_visible(user: User, kind: str, target_id: int) -> bool:
    """May the user read the watched thing? (Asked again whenever a watcher is notified.)"""
    try:
        if kind == "lesson":
            planning.get_lesson(user, target_id)
        elif kind == "sequence":
            planning.get_sequence(user, target_id)
        elif kind == "material":
            get_material(user, target_id)
        else:
            return False
    except NotFound:
        return False
    return True


def _check_kind(kind: str) -> None:
    if kind not in WATCH_KINDS:
        raise NotFound()


def auto_watch(user: User, kind: str, target_id: int) -> None:
    """Follow something the user has just worked on (no-op when already following).

    INSERT ... ON CONFLICT DO NOTHING, so two saves at once cannot both insert and fail.
    """
    _check_kind(kind)
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    db.session.execute(insert(Watch).values(user_id=user.id, target_kind=kind,
                                            target_id=target_id, created_at=utcnow())
                       .on_conflict_do_nothing())


def is_watching(user: User, kind: str, target_id: int) -> bool:
    """Does the user follow this thing?"""
    return (db.session.scalar(select(func.count()).select_from(Watch).where(
        Watch.user_id == user.id, Watch.target_kind == kind,
        Watch.target_id == target_id)) or 0) > 0


def watch(user: User, kind: str, target_id: int) -> None:
    """Follow a sequence, lesson or material the user may read; NotFound otherwise."""
    _check_kind(kind)
    if not target_visible(user, kind, target_id):
        raise NotFound()
    auto_watch(user, kind, target_id)


def unwatch(user: User, kind: str, target_id: int) -> None:
    """Stop following (allowed even when the thing is no longer visible)."""
    _check_kind(kind)
    watch_row = db.session.scalar(select(Watch).where(
        Watch.user_id == user.id, Watch.target_kind == kind, Watch.target_id == target_id))
    if watch_row is not None:
        db.session.delete(watch_row)


@dataclass(frozen=True)
class WatchedItem:
    kind: str
    target_id: int
    title: str
    url: str


def watched_items(user: User) -> list[WatchedItem]:
    """What the user follows and may still read, for the notifications page."""
    items: list[WatchedItem] = []
    rows = db.session.scalars(select(Watch).where(Watch.user_id == user.id)
                              .order_by(Watch.created_at.desc(), Watch.id.desc()))
    for row in rows:
        thing: Lesson | Sequence | Material
        try:
            if row.target_kind == "lesson":
                thing = planning.get_lesson(user, row.target_id)
            elif row.target_kind == "sequence":
                thing = planning.get_sequence(user, row.target_id)
            else:
                thing = get_material(user, row.target_id)
        except NotFound:
            continue
        endpoint = {"lesson": "planning.lesson", "sequence": "planning.sequence",
                    "material": "materials.material"}[row.target_kind]
        if endpoint not in current_app.view_functions:
            continue
        arg = f"{row.target_kind}_id"
        items.append(WatchedItem(row.target_kind, row.target_id, thing.title,
                                 site_path(endpoint, **{arg: row.target_id})))
    return items


def notify_watchers(kind: str, target_id: int, actor: User | None, text: str, url: str, *,
                    note_kind: str = "change", at: datetime | None = None,
                    skip: Collection[int] = ()) -> int:
    """Notify everyone following a thing, except the actor, anyone in `skip` (already told
    another way) and anyone who can no longer read it.

    A watcher who already has an unread notification of this kind for the same page gets no
    second one: ten saves in an afternoon are one thing to look at. Returns how many were sent.
    """
    query = select(Watch.user_id).where(Watch.target_kind == kind, Watch.target_id == target_id)
    if actor is not None:
        query = query.where(Watch.user_id != actor.id)
    user_ids = set(db.session.scalars(query)) - set(skip)
    if not user_ids:
        return 0
    pending = set(db.session.scalars(select(Notification.user_id).where(
        Notification.user_id.in_(user_ids), Notification.kind == note_kind,
        Notification.url == url, Notification.read_at.is_(None))))
    sent = 0
    for user_id in sorted(user_ids - pending):
        person = db.session.get(User, user_id)
        if person is None or person.disabled or not target_visible(person, kind, target_id):
            continue
        notify(user_id, note_kind, text, url, at=at)
        sent += 1
    return sent


# --- reading and marking --------------------------------------------------------------------


def unread_count(user: User) -> int:
    """How many notifications the user has not marked read (for the header)."""
    if not getattr(user, "is_authenticated", False):
        return 0
    return db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None))) or 0


@dataclass
class NotificationPage:
    items: list[Notification]
    page: int
    has_next: bool
    unread: int


def list_notifications(user: User, page: int = 1) -> NotificationPage:
    """The user's notifications, newest first, PAGE_SIZE to a page."""
    page = max(1, page)
    rows = list(db.session.scalars(
        select(Notification).where(Notification.user_id == user.id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)))
    return NotificationPage(rows[:PAGE_SIZE], page, len(rows) > PAGE_SIZE, unread_count(user))


def mark_read(user: User, notification_id: int) -> Notification:
    """Mark one of the user's own notifications read; anyone else's is NotFound."""
    note = db.session.get(Notification, notification_id)
    if note is None or note.user_id != user.id:
        raise NotFound()
    if note.read_at is None:
        note.read_at = utcnow()
    return note


def open_notification(user: User, notification_id: int) -> str | None:
    """Mark one of the user's own notifications read and return its link while they may still
    open it (None once they may not); anyone else's notification is NotFound, untouched."""
    note = mark_read(user, notification_id)
    # Imported here: the visibility check reads other features' rules at call time.
    from app.notifications.visibility import url_visible

    return note.url if url_visible(user, note.url) else None


def mark_all_read(user: User) -> int:
    """Mark every unread notification of the user read; returns how many."""
    # An UPDATE's result is a CursorResult (which has rowcount); execute() is typed wider.
    result = cast("CursorResult[Any]", db.session.execute(update(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())))
    return result.rowcount or 0


def check_page(value: str | None) -> int:
    """A ?page= value as a positive number; ValidationError (400) otherwise."""
    if value is None or value == "":
        return 1
    if not is_whole_number(value) or not 0 < int(value) <= 100_000:
        raise ValidationError("The page number must be a whole number from 1.")
    return int(value)
