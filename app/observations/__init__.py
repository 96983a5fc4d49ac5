"""Research lessons (TRG): pre-lesson notes, observations, discussion, agreed changes, timeline."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Wire the feature into an app: its pages, its search source and its hooks for reviews,
    the session digest and notification links.

    The factory may call this once, or make the same calls in its own register_* steps.
    Comments on research lessons come with app.comments.init_app.
    """
    from app.observations import hooks, models  # noqa: F401  (tables known before create_all)
    from app.observations.routes import bp
    from app.observations.search_docs import register_sources

    if bp.name not in app.blueprints:
        app.register_blueprint(bp)
    register_sources()
    hooks.install(app)
