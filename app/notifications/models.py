"""Watches, notifications and the secret-token Atom feeds that carry them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import Model
from app.timeutil import utcnow

#: What may be watched.
WATCH_KINDS: tuple[str, ...] = ("sequence", "lesson", "material")
#: Kinds of notification, with the label the notifications page shows.
KINDS: dict[str, str] = {
    "review_requested": "Review requested",
    "decision_made": "Review decision",
    "new_observation": "New observation",
    "observer_invited": "Invited to observe",
    "agreed_change": "Agreed change",
    "mention": "Mention",
    "comment": "New comment",
    "merged": "Changes merged",
    "change": "Watched item changed",
}


class Watch(Model):
    """A person following a sequence, lesson or material."""

    __table_args__ = (UniqueConstraint("user_id", "target_kind", "target_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    target_kind: Mapped[str] = mapped_column(String(20))
    target_id: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Notification(Model):
    """One message for one person; read_at is set when they mark it read."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    text: Mapped[str] = mapped_column(String(500))
    #: A path on this site ("/lessons/3#comment-2"); feeds re-check it against policy.
    url: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow,
                                                 index=True)
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    #: When an e-mail digest included it (each notification is e-mailed at most once).
    emailed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    @property
    def label(self) -> str:
        return KINDS.get(self.kind, self.kind)


class FeedToken(Model):
    """A personal feed address. Only the SHA-256 of the token is stored."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
