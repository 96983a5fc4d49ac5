"""Mail goes through the outbox: queued with its cause, sent after the response, retried, once."""

from __future__ import annotations

import re
import threading
import time
from datetime import timedelta
from email.message import EmailMessage

import pytest
from flask import abort
from sqlalchemy import func, select, update

from app.extensions import db
from app.mail import outbox
from app.mail.models import MailOutbox
from app.registry import registry
from app.timeutil import utcnow


@pytest.fixture
def sent(app, monkeypatch) -> list[EmailMessage]:
    """Mail configured, with a transport that records what it is handed."""
    app.config.update(MAIL_SERVER="smtp.example.org", MAIL_FROM="coplan@example.org",
                      MAIL_RETRY_DELAYS=(0.0, 0.0))
    delivered: list[EmailMessage] = []
    monkeypatch.setattr(outbox, "smtp_send", delivered.append)
    return delivered


@pytest.fixture
def routes(app):
    """Test-only views that queue mail and then succeed or fail as a real view might."""

    @app.post("/_test/mail/<outcome>")
    def mail_then(outcome: str):
        outbox.send_mail("jo@example.org", "Hello", f"Outcome: {outcome}")
        db.session.flush()  # the row is written inside the transaction before the failure
        if outcome == "raise":
            raise RuntimeError("the service failed after queueing mail")
        if outcome == "refuse":
            abort(400)
        return "ok"

    return app


def outbox_rows(app) -> list[tuple[str, int, str]]:
    with app.app_context():
        return [(r.to_address, r.attempts, r.last_error) for r in db.session.scalars(
            select(MailOutbox).order_by(MailOutbox.id))]


def wait_for_retries(app) -> None:
    """Wait until no mail retry is pending or running (they run on timer threads)."""
    timers = registry(app).mail_retries
    while timers:
        timers[0].join(timeout=10)


def failing(error: Exception):
    def send(_message: EmailMessage) -> None:
        raise error
    return send


@pytest.mark.parametrize("outcome", ["raise", "refuse"])
def test_a_request_that_fails_sends_no_mail(app, routes, client, sent, outcome):
    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = client.post(f"/_test/mail/{outcome}")
    assert response.status_code in (400, 500)
    assert sent == [] and outbox_rows(app) == []
    # The same session goes on to commit other work without that mail coming back.
    assert client.post("/_test/mail/ok").status_code == 200
    assert [m.get_content().strip() for m in sent] == ["Outcome: ok"]


def test_mail_queued_by_a_request_goes_only_after_the_response(app, routes, client, sent):
    response = client.post("/_test/mail/ok", buffered=False)
    assert response.status_code == 200
    # The response is out; the mail is committed in the outbox but not sent yet.
    assert sent == [] and outbox_rows(app) == [("jo@example.org", 0, "")]
    response.close()
    assert len(sent) == 1
    message = sent[0]
    assert (message["From"], message["To"], message["Subject"]) == (
        "coplan@example.org", "jo@example.org", "Hello")
    assert outbox_rows(app) == []


def test_invitation_mail_is_sent_after_the_invite_succeeds(app, client, login, make_work_group,
                                                           make_user, sent):
    group = make_work_group()
    login(make_user(group=group, roles=("work_group_lead",)))
    response = client.post(f"/admin/work-groups/{group.id}/invite", data={
        "role": "participant_teacher", "school_id": str(group.school_ids[0]),
        "email": "New.Teacher@Example.org"})
    assert response.status_code == 200
    assert "It is also being e-mailed to them." in response.get_data(as_text=True)
    assert [m["To"] for m in sent] == ["new.teacher@example.org"]
    link = re.search(r'value="(http://localhost/invitations/[^"]+)"',
                     response.get_data(as_text=True))
    assert link and link.group(1) in sent[0].get_content()
    refused = client.post(f"/admin/work-groups/{group.id}/invite", data={
        "role": "no-such-role", "school_id": str(group.school_ids[0]),
        "email": "other@example.org"})
    assert refused.status_code == 400 and len(sent) == 1


def test_failing_server_is_retried_with_backoff_then_left_for_the_cli(app, routes, client,
                                                                      monkeypatch, sent):
    tries: list[EmailMessage] = []

    def down(message: EmailMessage) -> None:
        tries.append(message)
        raise OSError("connection refused")

    monkeypatch.setattr(outbox, "smtp_send", down)
    assert client.post("/_test/mail/ok").status_code == 200
    wait_for_retries(app)
    # The first try and one retry per delay, all after the response; then it waits.
    assert len(tries) == 3
    assert outbox_rows(app) == [("jo@example.org", 3, "connection refused")]

    runner = app.test_cli_runner()
    still_down = runner.invoke(args=["mail", "send"])
    assert still_down.exit_code == 1 and "Sent 0 e-mails; 1 could not be sent" in \
        still_down.output
    assert outbox_rows(app)[0][1] == 4

    monkeypatch.setattr(outbox, "smtp_send", sent.append)
    back_up = runner.invoke(args=["mail", "send"])
    assert back_up.exit_code == 0 and "Sent 1 e-mail;" in back_up.output
    assert [m.get_content().strip() for m in sent] == ["Outcome: ok"]
    assert outbox_rows(app) == []
    assert "Sent 0 e-mails" in runner.invoke(args=["mail", "send"]).output
    assert len(sent) == 1


def test_retries_wait_longer_each_time_and_stop_once_sent(app, routes, client, sent,
                                                          monkeypatch):
    calls = iter([OSError("busy"), OSError("busy"), None])

    def flaky(message: EmailMessage) -> None:
        error = next(calls)
        if error:
            raise error
        sent.append(message)

    waits: list[float] = []

    class InstantTimer(threading.Timer):
        """Notes how long a retry would wait, then runs it at once."""

        def start(self) -> None:
            waits.append(self.interval)
            self.run()

    monkeypatch.setattr(outbox, "smtp_send", flaky)
    monkeypatch.setattr(outbox.threading, "Timer", InstantTimer)
    app.config["MAIL_RETRY_DELAYS"] = (1.0, 4.0, 16.0)
    assert client.post("/_test/mail/ok").status_code == 200
    assert waits == [1.0, 4.0] and len(sent) == 1 and outbox_rows(app) == []
    assert registry(app).mail_retries == []


def test_closing_the_response_does_not_wait_for_the_retries(app, routes, client, monkeypatch,
                                                            sent):
    # A sync worker is busy until the response is closed: the retries' waits (and SMTP
    # timeouts) must happen elsewhere, or one slow mail server stalls the whole site.
    monkeypatch.setattr(outbox, "smtp_send", failing(OSError("connection refused")))
    app.config["MAIL_RETRY_DELAYS"] = (3.0, 3.0)
    response = client.post("/_test/mail/ok", buffered=False)
    started = time.monotonic()
    response.close()
    assert time.monotonic() - started < 2.0
    # The first attempt ran on close; the retry is pending, and the mail is still queued.
    assert outbox_rows(app) == [("jo@example.org", 1, "connection refused")]
    assert len(registry(app).mail_retries) == 1
    outbox.stop_retries(app)
    assert outbox_rows(app) == [("jo@example.org", 1, "connection refused")]


def test_nothing_is_sent_twice(app, sent):
    with app.app_context():
        for n in range(3):
            outbox.send_mail(f"p{n}@example.org", "Hi", "Body")
        db.session.commit()
        first, second, third = db.session.scalars(select(MailOutbox.id).order_by(MailOutbox.id))
        # Another deliverer is sending the second right now; the third's deliverer died
        # long ago, so its claim has lapsed.
        db.session.execute(update(MailOutbox).where(MailOutbox.id == second)
                           .values(claimed_at=utcnow()))
        db.session.execute(update(MailOutbox).where(MailOutbox.id == third)
                           .values(claimed_at=utcnow() - outbox.CLAIM_TIMEOUT
                                   - timedelta(seconds=1)))
        db.session.commit()
        result = outbox.deliver([first, first, second, third])
        assert result.sent == 2 and result.waiting == []
        assert outbox.deliver([first, third]).sent == 0
        assert db.session.scalar(select(func.count()).select_from(MailOutbox)) == 1
    assert [m["To"] for m in sent] == ["p0@example.org", "p2@example.org"]


def test_a_message_that_can_never_be_built_stays_without_breaking_the_rest(app, sent):
    with app.app_context():
        outbox.send_mail("jo@example.org", "Bad\nsubject", "Body")
        outbox.send_mail("ann@example.org", "Fine", "Body")
        db.session.commit()
        result = outbox.deliver()
        assert result.sent == 1 and len(result.waiting) == 1
    assert [m["To"] for m in sent] == ["ann@example.org"]
    assert outbox_rows(app)[0][:2] == ("jo@example.org", 1)


def test_without_a_mail_server_nothing_is_queued(app, monkeypatch):
    monkeypatch.setattr(outbox, "smtp_send", failing(AssertionError("must not send")))
    with app.app_context():
        assert outbox.send_mail("jo@example.org", "Hi", "Body") is False
        db.session.commit()
    assert outbox_rows(app) == []
    result = app.test_cli_runner().invoke(args=["mail", "send"])
    assert result.exit_code == 0 and "Mail is not configured" in result.output
