"""Accounts: people, schools, hubs, Work Groups, memberships, invitations and login."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Wire the feature into an app: login, invitations and profile pages."""
    # Imported when wiring, not when another feature imports app.accounts.models (a cycle:
    # the routes import services that import other features' models).
    from app.accounts.routes import bp

    app.register_blueprint(bp)
