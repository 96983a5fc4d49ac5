"""Every saved revision makes its author a watcher and tells the other watchers.

Subscribed to `app.signals.revision_saved` (sent by app.revisions.events just before the
commit, in the same transaction), so every way of saving (edit, merge, restore, structure
change, adapt) is covered without the planning package calling anything. Only runs in apps
that wired this feature (app.notifications.init_app connects it for that app).

A save that merged in other people's revisions also tells those authors (kind "merged"):
their work was combined with someone else's, and they may want to check the result.
"""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.notifications.services import auto_watch, notify, notify_watchers, site_path
from app.notifications.services import target_visible as visible
from app.planning.models import Lesson, Sequence
from app.revisions.models import Revision


def on_revision_saved(_app: Flask, *, session: Session, revision: Revision) -> None:
    """Receiver of app.signals.revision_saved (connected per app in init_app)."""
    revision_saved(session, revision)


def revision_saved(session: Session, revision: Revision) -> None:
    """Auto-watch for the author, "change" for watchers, "merged" for merged-in authors."""
    item: Sequence | Lesson | None = session.scalar(
        select(Sequence).where(Sequence.document_id == revision.document_id))
    kind = "sequence"
    if item is None:
        item = session.scalar(select(Lesson).where(Lesson.document_id == revision.document_id))
        kind = "lesson"
    if item is None:
        return
    author = revision.author
    auto_watch(author, kind, item.id)
    page = site_path(f"planning.{kind}", **{f"{kind}_id": item.id})
    summary = f": {revision.summary}" if revision.summary else "."
    notify_watchers(kind, item.id, author,
                    f"{author.display_name} changed “{item.title}” (revision "
                    f"{revision.number}){summary}", page, at=revision.created_at)
    if not revision.merged_numbers:
        return
    merged = session.execute(select(Revision.author_id, Revision.number).where(
        Revision.document_id == revision.document_id,
        Revision.number.in_(revision.merged_numbers))).all()
    for author_id in sorted({a for a, _n in merged if a != author.id}):
        person = session.get(User, author_id)
        if person is None or person.disabled or not visible(person, kind, item.id):
            continue
        theirs = max(n for a, n in merged if a == author_id)
        notify(author_id, "merged",
               f"Your changes to “{item.title}” (revision {theirs}) were merged with "
               f"{author.display_name}'s save (revision {revision.number}). Check the result.",
               site_path(f"planning.{kind}_compare", a=theirs, b=revision.number,
                         **{f"{kind}_id": item.id}), at=revision.created_at)
