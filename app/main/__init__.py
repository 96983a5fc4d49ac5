"""The home page and dashboard."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Wire the home page and dashboard into an app."""
    # Imported when wiring: the routes import accounts and notifications modules.
    from app.main.routes import bp

    app.register_blueprint(bp)
