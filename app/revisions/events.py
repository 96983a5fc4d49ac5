"""Announce every saved revision as `app.signals.revision_saved`, just before its commit.

Hooked into the session like the search outbox: new revisions are noted after each flush and
announced before the commit, in the same transaction, so every way of saving (edit, merge,
restore, structure change, adapt) is covered without the savers calling anything, and what
the subscribers write commits (or rolls back) with the revision itself.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from app import signals
from app.revisions.models import Revision

_KEY = "coplan_new_revisions"


def _collect(session: Session, _context: Any) -> None:
    found = [obj.id for obj in session.new if isinstance(obj, Revision)]
    if found:
        session.info.setdefault(_KEY, []).extend(found)


def _before_commit(session: Session) -> None:
    ids = session.info.pop(_KEY, [])
    if not ids or not has_app_context():
        return
    # Flask types current_app as Flask, but it is a LocalProxy that has this method.
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    for revision_id in ids:
        revision = session.get(Revision, revision_id)
        if revision is not None:
            signals.revision_saved.send(app, session=session, revision=revision)


def _forget(session: Session, _transaction: Any = None) -> None:
    session.info.pop(_KEY, None)


def install() -> None:
    """Listen on every session (once per process; the signal reaches only subscribed apps)."""
    if event.contains(Session, "after_flush", _collect):
        return
    event.listen(Session, "after_flush", _collect)
    event.listen(Session, "before_commit", _before_commit)
    event.listen(Session, "after_soft_rollback", _forget)
