"""Optional e-mail (only when MAIL_SERVER is set), through a persisted outbox: see outbox.py."""

from __future__ import annotations

from flask import Flask

from app.mail import cli, outbox
from app.mail.outbox import deliver, mail_configured, pending_count, send_mail

__all__ = ["deliver", "init_app", "mail_configured", "pending_count", "send_mail"]


def init_app(app: Flask) -> None:
    """Deliver each request's mail after its response, and add `flask mail send`."""
    outbox.install(app)
    if "mail" not in app.cli.commands:
        app.cli.add_command(cli.group)
