"""Watches, notifications, feeds, "since my last visit", and the Work Group awareness pages."""

from __future__ import annotations

from flask import Flask
from flask_login import current_user


def init_app(app: Flask) -> None:
    """Wire the feature into an app: pages, CLI, header helpers and its subscriptions:
    saved revisions, review requests and decisions and recorded observations become watches
    and notifications, and `app.signals.notify` delivers other features' messages."""
    # Imported when wiring, not when another feature imports app.notifications.models: the
    # routes and services import those features' modules in turn (an import cycle).
    from app import signals
    from app.notifications import (
        comment_events,
        feature_events,
        header,
        models,  # noqa: F401  (tables known before create_all)
        revision_events,
    )
    from app.notifications.cli import register_cli
    from app.notifications.routes import bp
    from app.notifications.services import notify

    app.register_blueprint(bp)
    register_cli(app)
    signals.revision_saved.connect(revision_events.on_revision_saved, sender=app)
    signals.review_requested.connect(feature_events.on_review_requested, sender=app)
    signals.review_decided.connect(feature_events.on_review_decided, sender=app)
    signals.observation_recorded.connect(feature_events.on_observation_recorded, sender=app)
    signals.comment_posted.connect(comment_events.on_comment_posted, sender=app)
    signals.observers_invited.connect(feature_events.on_observers_invited, sender=app)
    # A closure, held strongly; blinker drops it with the app (the sender is a weak reference).
    signals.notify.connect(
        lambda _app, *, user_id, kind, message, url: notify(user_id, kind, message, url),
        sender=app, weak=False)

    @app.context_processor
    def notification_helpers() -> dict:
        # Callables, so a page that does not show the count does not run the query.
        return {"unread_notifications": lambda: header.unread(current_user),
                "is_watching": lambda kind, target_id: header.watching(
                    current_user, kind, target_id)}
