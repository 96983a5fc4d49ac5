"""Watches, notifications, feeds, "since my last visit", and the Work Group awareness pages."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Wire the feature into an app: pages, `coplan.notify`, the header count, the CLI and the
    hook that turns saved revisions into watches and notifications.

    The factory may call this once, or make the same calls in its own register_* steps.
    """
    from app.notifications import (
        models,  # noqa: F401  (tables known before create_all)
        revision_events,
    )
    from app.notifications.cli import register_cli
    from app.notifications.routes import bp
    from app.notifications.services import is_watching, notify, unread_count

    if bp.name in app.blueprints:
        return
    app.register_blueprint(bp)
    register_cli(app)
    app.extensions["coplan.notify"] = notify
    app.extensions.setdefault("coplan.visibility_checks", {})
    app.extensions[revision_events.FLAG] = True
    revision_events.install()

    @app.context_processor
    def notification_helpers() -> dict:
        from flask_login import current_user

        # Callables, so a page that does not show the count does not run the query.
        return {"unread_notifications": lambda: unread_count(current_user),
                "is_watching": lambda kind, target_id: current_user.is_authenticated
                and is_watching(current_user, kind, target_id)}
