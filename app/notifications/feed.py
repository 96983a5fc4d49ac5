"""Personal Atom feeds behind a secret token, and e-mail digests of unread notifications."""

from __future__ import annotations

import hashlib
import re
import secrets
from typing import Any, cast
from xml.etree import ElementTree as ET

from flask import current_app
from sqlalchemy import CursorResult, select, update

from app.accounts.models import User
from app.extensions import db
from app.mail import mail_configured, send_mail
from app.notifications.models import KINDS, FeedToken, Notification
from app.notifications.visibility import url_visible
from app.timeutil import aware, utcnow

ATOM = "http://www.w3.org/2005/Atom"
FEED_SIZE = 50
_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{20,100}")


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_feed_token(user: User) -> str:
    """A new secret feed token for the user; any earlier one stops working. Shown once."""
    revoke_feed_tokens(user)
    token = secrets.token_urlsafe(32)
    db.session.add(FeedToken(user_id=user.id, token_hash=_hash(token)))
    return token


def revoke_feed_tokens(user: User) -> int:
    """Stop every feed address of the user; returns how many were live."""
    # An UPDATE's result is a CursorResult (which has rowcount); execute() is typed wider.
    result = cast("CursorResult[Any]", db.session.execute(update(FeedToken).where(
        FeedToken.user_id == user.id, FeedToken.revoked_at.is_(None)).values(revoked_at=utcnow())))
    return result.rowcount or 0


def active_feed(user: User) -> FeedToken | None:
    return db.session.scalar(select(FeedToken).where(
        FeedToken.user_id == user.id, FeedToken.revoked_at.is_(None)))


def feed_owner(token: str) -> User | None:
    """The active user whose live token this is, else None (wrong, revoked or disabled)."""
    if not _TOKEN_RE.fullmatch(token):
        return None
    row = db.session.scalar(select(FeedToken).where(
        FeedToken.token_hash == _hash(token), FeedToken.revoked_at.is_(None)))
    if row is None:
        return None
    user = db.session.get(User, row.user_id)
    return None if user is None or user.disabled else user


def visible_notifications(user: User, limit: int) -> list[Notification]:
    """The newest notifications whose links the user may still open (checked now)."""
    kept: list[Notification] = []
    query = (select(Notification).where(Notification.user_id == user.id)
             .order_by(Notification.created_at.desc(), Notification.id.desc()))
    # Read in batches so hidden items do not shorten the feed, without loading everything.
    offset = 0
    while len(kept) < limit:
        batch = list(db.session.scalars(query.offset(offset).limit(limit * 2)))
        if not batch:
            break
        kept.extend(n for n in batch if url_visible(user, n.url))
        offset += len(batch)
    return kept[:limit]


def atom_feed(user: User, site: str, self_url: str) -> bytes:
    """The user's notifications as an Atom 1.0 document (site: "https://host", no slash)."""
    host = site.split("://", 1)[-1] or "localhost"
    items = visible_notifications(user, FEED_SIZE)
    ET.register_namespace("", ATOM)

    def add(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
        element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
        if text is not None:
            element.text = text
        return element

    feed = ET.Element(f"{{{ATOM}}}feed")
    add(feed, "id", f"tag:{host},2025:coplan/notifications/{user.id}")
    add(feed, "title", f"Coplan notifications for {user.display_name}")
    updated = aware(items[0].created_at) if items else utcnow()
    add(feed, "updated", updated.isoformat(timespec="seconds"))
    author = add(feed, "author")
    add(author, "name", "Coplan")
    add(feed, "link", rel="self", type="application/atom+xml", href=self_url)
    add(feed, "link", rel="alternate", type="text/html", href=f"{site}/notifications")
    for note in items:
        entry = add(feed, "entry")
        add(entry, "id", f"tag:{host},2025:coplan/notification/{note.id}")
        add(entry, "title", f"{KINDS.get(note.kind, note.kind)}: {note.text}")
        add(entry, "updated", aware(note.created_at).isoformat(timespec="seconds"))
        add(entry, "link", rel="alternate", type="text/html", href=site + note.url)
        add(entry, "summary", note.text, type="text")
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)


# --- e-mail digests ---------------------------------------------------------------------------


def _site() -> str:
    server = current_app.config.get("SERVER_NAME")
    scheme = current_app.config.get("PREFERRED_URL_SCHEME", "http")
    return f"{scheme}://{server}" if server else ""


def send_digests() -> int | None:
    """E-mail each person their unread notifications not e-mailed before, one message each.

    None when mail is not configured (nothing is marked). The caller commits.
    """
    if not mail_configured():
        return None
    site = _site()
    user_ids = sorted(set(db.session.scalars(select(Notification.user_id).where(
        Notification.read_at.is_(None), Notification.emailed_at.is_(None)))))
    sent = 0
    for user_id in user_ids:
        user = db.session.get(User, user_id)
        if user is None or user.disabled:
            continue
        pending = list(db.session.scalars(select(Notification).where(
            Notification.user_id == user_id, Notification.read_at.is_(None),
            Notification.emailed_at.is_(None)).order_by(Notification.created_at)))
        shown = [n for n in pending if url_visible(user, n.url)]
        now = utcnow()
        if shown:
            lines = [f"- {KINDS.get(n.kind, n.kind)}: {n.text}\n  {site}{n.url}" for n in shown]
            body = (f"Hello {user.display_name},\n\nWhat happened in Coplan since the last "
                    f"digest:\n\n" + "\n".join(lines) + f"\n\nAll notifications: {site}"
                    "/notifications\n")
            subject = f"Coplan: {len(shown)} new notification{'s' if len(shown) != 1 else ''}"
            if not send_mail(user.email, subject, body):
                continue  # kept for the next run
            sent += 1
        for note in pending:  # hidden ones are not sent later either
            note.emailed_at = now
    return sent
