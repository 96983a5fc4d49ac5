"""`flask notifications digest`: e-mail unread notifications, when mail is configured."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from app.database import unit_of_work
from app.mail import deliver
from app.notifications.feed import send_digests

group = AppGroup("notifications", help="Notification digests.")


@group.command("digest")
def digest() -> None:
    """E-mail each person a digest of unread notifications not e-mailed before."""
    # Marking notifications e-mailed commits with the digests that were sent.
    with unit_of_work():
        sent = send_digests()
    if sent is None:
        click.echo("Mail is not configured (MAIL_SERVER is unset): no digests were sent.")
        return
    # The digests were queued in the mail outbox with the marks above; send them now. Any
    # the mail server refuses stay in the outbox for `flask mail send`.
    waiting = deliver().waiting
    click.echo(f"Sent {sent} digest{'s' if sent != 1 else ''}."
               + (f" {len(waiting)} e-mail(s) could not be sent yet and stay in the outbox."
                  if waiting else ""))


def register_cli(app: Flask) -> None:
    if "notifications" not in app.cli.commands:
        app.cli.add_command(group)
