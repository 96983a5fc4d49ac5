"""Planning: lesson sequences, lessons, revisions, history, merge, adapt and export."""

from __future__ import annotations

from flask import Flask

from app.registry import registry


def init_app(app: Flask) -> None:
    """Wire planning into an app: its pages, its search sources and the announcement of
    every saved revision (app.signals.revision_saved) that other features subscribe to."""
    # Imported when wiring, not when another feature imports app.planning.models: the routes
    # import materials, observations and reviews, which import our models (a cycle).
    from app.planning import (
        link_cache,
        routes,  # noqa: F401  (each routes module adds its views to `bp`)
        routes_adapt,  # noqa: F401
        routes_editor,  # noqa: F401
        routes_history,  # noqa: F401
        routes_import,  # noqa: F401
    )
    from app.planning.blueprint import bp
    from app.planning.search_docs import register_sources
    from app.revisions import events

    app.register_blueprint(bp)
    register_sources(app)
    events.install()
    link_cache.install()
    registry(app).link_cache = link_cache.LinkCache()
