"""The outbox of e-mails waiting to be sent, written in the same transaction as their cause."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import Model
from app.timeutil import utcnow


class MailOutbox(Model):
    """One plain-text e-mail; the row is deleted once the mail server has accepted it."""

    __tablename__ = "mail_outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    to_address: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    #: Failed sends so far, and why the last one failed (for `flask mail send` to report).
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    #: Set while one process is sending it, so another does not send it as well.
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
