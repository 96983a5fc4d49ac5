"""Subject-leader review: requests, the reviewer's queue and screen, approved versions."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Wire the feature into an app: its pages (and, through notifications, its messages).

    The factory may call this once, or make the same call in its own register_* steps.
    """
    from app.reviews import models  # noqa: F401  (tables known before create_all)
    from app.reviews.routes import bp

    if bp.name not in app.blueprints:
        app.register_blueprint(bp)
