"""Research lessons (TRG): pre-lesson notes, observations, discussion, agreed changes, timeline."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Wire the feature into an app: its pages, its search source, its answers to reviews and
    the session digest, and its notification-link rules.

    Comments on research lessons come with app.comments.init_app.
    """
    # Imported when wiring, not when another feature imports app.observations.models: the
    # routes and services import planning and comments, which import our models (a cycle).
    from app.observations import hooks, models  # noqa: F401  (tables known before create_all)
    from app.observations.routes import bp
    from app.observations.search_docs import register_sources

    app.register_blueprint(bp)
    register_sources(app)
    hooks.install(app)
