"""Queue e-mail with the change that causes it; deliver it once that change has committed.

`send_mail` only adds a row to the outbox in the caller's transaction, so a request that rolls
back sends nothing. When a request's commit wrote mail, the message is delivered after the
response has gone (`call_on_close`), in a fresh app context and session; failures are retried
with backoff on daemon timer threads (not on the request's worker); whatever still fails stays
in the outbox for `flask mail send` (cron, or by hand after a crash). Each send first claims
its row in a committed update, so two deliverers never send the same message; the row is
deleted once the server accepted it.
"""

from __future__ import annotations

import contextlib
import smtplib
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from email.message import EmailMessage
from functools import partial
from typing import Any, cast

from flask import Flask, Response, current_app, g, has_request_context
from sqlalchemy import CursorResult, delete, event, func, or_, select, update
from sqlalchemy.orm import Session, SessionTransaction

from app.database import unit_of_work
from app.extensions import db
from app.mail.models import MailOutbox
from app.registry import registry
from app.timeutil import utcnow

#: Seconds to wait before each retry after the first attempt (after the response has gone).
DEFAULT_RETRY_DELAYS: tuple[float, ...] = (1.0, 4.0)
#: A claim older than this belongs to a deliverer that died mid-send: the row may be taken.
CLAIM_TIMEOUT = timedelta(minutes=10)

# session.info keys: rows queued in the open transaction, then their ids while it commits.
_QUEUED = "mail_queued"
_COMMITTING = "mail_committing"


def mail_configured() -> bool:
    """True when MAIL_SERVER is set (otherwise nothing is queued or sent)."""
    return bool(current_app.config.get("MAIL_SERVER"))


def send_mail(to: str, subject: str, body: str) -> bool:
    """Queue a plain-text e-mail to go out once the current transaction commits.

    False when mail is not configured or there is no address (nothing is queued).
    """
    if not mail_configured() or not to:
        return False
    row = MailOutbox(to_address=to, subject=subject, body=body, attempts=0, last_error="")
    db.session.add(row)
    db.session.info.setdefault(_QUEUED, []).append(row)
    return True


# --- after the commit ----------------------------------------------------------------------------


def _before_commit(session: Session) -> None:
    rows = session.info.pop(_QUEUED, None)
    if not rows:
        return
    session.flush()  # ids for the rows
    # A row undone with a savepoint may keep a stale id: harmless, delivery finds no such row.
    ids = [row.id for row in rows if row.id is not None]
    if ids:
        session.info[_COMMITTING] = ids


def _after_commit(session: Session) -> None:
    ids = session.info.pop(_COMMITTING, None)
    # Outside a request (a CLI command) the command delivers, or `flask mail send` does.
    if ids and has_request_context():
        g.setdefault("mail_ids", []).extend(ids)


def _after_soft_rollback(session: Session, previous: SessionTransaction) -> None:
    if not previous.nested:  # the whole transaction is gone, and its mail with it
        session.info.pop(_QUEUED, None)
        session.info.pop(_COMMITTING, None)


def install(app: Flask) -> None:
    """Track queued mail in every session; deliver a request's mail after its response."""
    if not event.contains(Session, "before_commit", _before_commit):
        event.listen(Session, "before_commit", _before_commit)
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_soft_rollback", _after_soft_rollback)

    @app.after_request
    def deliver_after_response(response: Response) -> Response:
        # The request's unit of work has committed by now (app/lifecycle.py); the mail goes
        # once the response is sent, so nobody waits for the mail server.
        ids = g.pop("mail_ids", None)
        if ids:
            # Flask types current_app as Flask, but it is a LocalProxy that has this method.
            app = current_app._get_current_object()  # type: ignore[attr-defined]
            response.call_on_close(partial(_deliver_after_response, app, list(ids)))
        return response


def _deliver_after_response(app: Flask, ids: list[int]) -> None:
    # Only the first attempt runs here, on the worker that served the request: the retries
    # wait seconds, and a sync worker held that long could serve nobody else meanwhile.
    delays = tuple(app.config.get("MAIL_RETRY_DELAYS", DEFAULT_RETRY_DELAYS))
    retry_later(app, _attempt(app, ids), delays)


def _attempt(app: Flask, ids: Sequence[int]) -> list[int]:
    """Try these messages in a fresh app context; the ids worth retrying."""
    with app.app_context():
        try:
            return deliver(ids).waiting
        except Exception:  # the outbox keeps the mail; never fail anything for it
            app.logger.exception("Mail delivery failed; `flask mail send` will retry")
            db.session.rollback()
            return []
        finally:
            db.session.remove()


def retry_later(app: Flask, ids: Sequence[int], delays: Sequence[float]) -> None:
    """Retry these messages after delays[0], then after each next delay, on timer threads."""
    if not ids:
        return
    if not delays:
        app.logger.warning("%d e-mail(s) could not be sent; they stay in the outbox "
                           "for `flask mail send`", len(ids))
        return
    timers = registry(app).mail_retries

    def attempt() -> None:
        try:
            # Schedule the next retry before leaving the list, so whoever waits on the
            # list (stop_retries) never sees it empty while a retry is still due.
            retry_later(app, _attempt(app, ids), delays[1:])
        finally:
            with contextlib.suppress(ValueError):  # stop_retries may have taken it already
                timers.remove(timer)

    timer = threading.Timer(delays[0], attempt)
    timer.daemon = True  # a pending retry never keeps the process alive; the outbox keeps it
    timers.append(timer)
    timer.start()


def stop_retries(app: Flask) -> None:
    """Cancel pending mail retries and wait for one that is running (at shutdown, in tests)."""
    timers = registry(app).mail_retries
    while timers:
        timer = timers.pop()
        timer.cancel()
        timer.join(timeout=30)


# --- delivering ----------------------------------------------------------------------------------


@dataclass
class Delivery:
    """What one delivery pass did."""

    sent: int = 0
    #: Ids of messages that failed this time and are still in the outbox.
    waiting: list[int] = field(default_factory=list)


def deliver(ids: Sequence[int] | None = None) -> Delivery:
    """Send these outbox messages (all of them when None), each at most once per call.

    Every step is its own small unit of work, so call it with no work of your own open.
    """
    if ids is None:
        with unit_of_work() as session:
            ids = list(session.scalars(select(MailOutbox.id).order_by(MailOutbox.id)))
    result = Delivery()
    for row_id in ids:
        claimed = _claim(row_id)
        if claimed is None:
            continue  # already sent, or another process is sending it right now
        try:
            smtp_send(_message(*claimed))
        except Exception as error:  # any failure (a bad header too) leaves the row for a retry
            _release(row_id, error)
            result.waiting.append(row_id)
            continue
        with unit_of_work() as session:
            session.execute(delete(MailOutbox).where(MailOutbox.id == row_id))
        result.sent += 1
    return result


def pending_count() -> int:
    """Messages in the outbox (queued, or waiting for a retry)."""
    return db.session.scalar(select(func.count()).select_from(MailOutbox)) or 0


def _claim(row_id: int) -> tuple[str, str, str] | None:
    """Mark the row as being sent (committed); its (to, subject, body), or None if not ours."""
    now = utcnow()
    with unit_of_work() as session:
        # An UPDATE's result is a CursorResult (which has rowcount); execute() is typed wider.
        claimed = cast("CursorResult[Any]", session.execute(
            update(MailOutbox)
            .where(MailOutbox.id == row_id,
                   or_(MailOutbox.claimed_at.is_(None),
                       MailOutbox.claimed_at < now - CLAIM_TIMEOUT))
            .values(claimed_at=now)
            .execution_options(synchronize_session=False))).rowcount
        if not claimed:
            return None
        row = session.get(MailOutbox, row_id)
        if row is None:
            return None
        return row.to_address, row.subject, row.body


def _release(row_id: int, error: Exception) -> None:
    """Count the failed attempt and let the row be claimed again."""
    current_app.logger.warning("Could not send mail %s: %s", row_id, error)
    with unit_of_work() as session:
        session.execute(
            update(MailOutbox).where(MailOutbox.id == row_id)
            .values(attempts=MailOutbox.attempts + 1, last_error=str(error)[:500] or
                    type(error).__name__, claimed_at=None)
            .execution_options(synchronize_session=False))


def _message(to: str, subject: str, body: str) -> EmailMessage:
    message = EmailMessage()
    message["From"], message["To"] = current_app.config["MAIL_FROM"], to
    message["Subject"] = subject
    message.set_content(body)
    return message


def smtp_send(message: EmailMessage) -> None:
    """Hand one message to the configured SMTP server; raises when it is not accepted."""
    config = current_app.config
    with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=10) as smtp:
        if config.get("MAIL_USE_TLS"):
            smtp.starttls()
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
        smtp.send_message(message)
