"""Keeping text posted after a login session ended, until its author logs in again."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select

from app.extensions import db
from app.planning.models import PendingDraft
from app.timeutil import utcnow

KEEP_DAYS = 7


def stash(target: str, form: dict[str, Any]) -> str:
    """Store posted form fields for `target` (e.g. "lesson:12"); returns the browser's key."""
    db.session.execute(delete(PendingDraft).where(
        PendingDraft.created_at < utcnow() - timedelta(days=KEEP_DAYS)))
    key = secrets.token_urlsafe(24)
    db.session.add(PendingDraft(key=key, target=target, form=form))
    return key


def find(key: str | None, target: str) -> dict[str, Any] | None:
    """The stashed form for this target, or None. Kept until saved or discarded."""
    if not key:
        return None
    draft = db.session.scalar(select(PendingDraft).where(PendingDraft.key == key,
                                                         PendingDraft.target == target))
    return dict(draft.form) if draft else None


def discard(key: str | None) -> None:
    """Forget a stashed form once its text has been saved."""
    if key:
        db.session.execute(delete(PendingDraft).where(PendingDraft.key == key))
