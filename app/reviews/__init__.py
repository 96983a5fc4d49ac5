"""Subject-leader review: requests, the reviewer's queue and screen, approved versions."""

from __future__ import annotations

from flask import Flask
from flask_login import current_user


def init_app(app: Flask) -> None:
    """Wire the feature into an app: its pages (its messages go through notifications)."""
    # Imported when wiring, not when another feature imports app.reviews.models: the routes
    # import planning and notifications, which import our models (a cycle).
    from app.reviews import models  # noqa: F401  (tables known before create_all)
    from app.reviews.routes import bp

    app.register_blueprint(bp)

    @app.context_processor
    def reviews_helpers() -> dict:
        # A callable: the count is asked for only where the menu shows it, once per request
        # (with the unread count, or from a plan page's own query; app.notifications.header).
        from app.notifications import header

        return {"reviews_waiting": lambda: header.reviews_waiting(current_user)}
