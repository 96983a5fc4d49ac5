"""`flask notifications digest`: e-mail unread notifications, when mail is configured."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from app.database import unit_of_work

group = AppGroup("notifications", help="Notification digests.")


@group.command("digest")
def digest() -> None:
    """E-mail each person a digest of unread notifications not e-mailed before."""
    from app.notifications.feed import send_digests

    # Marking notifications e-mailed commits with the digests that were sent.
    with unit_of_work():
        sent = send_digests()
    if sent is None:
        click.echo("Mail is not configured (MAIL_SERVER is unset): no digests were sent.")
        return
    click.echo(f"Sent {sent} digest{'s' if sent != 1 else ''}.")


def register_cli(app: Flask) -> None:
    if "notifications" not in app.cli.commands:
        app.cli.add_command(group)
