"""Site and hub administration: Work Groups, schools and people."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Wire the admin pages into an app, under /admin."""
    # Imported when wiring: the routes import accounts, which the factory wires first.
    from app.admin.routes import bp

    app.register_blueprint(bp, url_prefix="/admin")
