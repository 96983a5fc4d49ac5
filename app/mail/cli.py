"""`flask mail send`: deliver whatever is still in the outbox (after a crash, or from cron)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from app.mail.outbox import deliver, mail_configured, pending_count

group = AppGroup("mail", help="Outgoing e-mail.")


@group.command("send")
def send() -> None:
    """Try once to send every e-mail in the outbox; failures stay there for the next run."""
    if not mail_configured():
        click.echo(f"Mail is not configured (MAIL_SERVER is unset): {pending_count()} "
                   "e-mail(s) stay in the outbox.")
        return
    result = deliver()
    click.echo(f"Sent {result.sent} e-mail{'s' if result.sent != 1 else ''}; "
               f"{len(result.waiting)} could not be sent and stay in the outbox.")
    if result.waiting:
        raise SystemExit(1)  # so cron reports it
