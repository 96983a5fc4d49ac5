"""Subject-leader review: requests, the reviewer's queue and screen, approved versions."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Wire the feature into an app: its pages (its messages go through notifications)."""
    # Imported when wiring, not when another feature imports app.reviews.models: the routes
    # import planning and notifications, which import our models (a cycle).
    from app.reviews import models  # noqa: F401  (tables known before create_all)
    from app.reviews.routes import bp

    app.register_blueprint(bp)
