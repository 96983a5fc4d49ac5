"""Search: the glue between the database and the Flask-free index in app/core/search/."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Wire search into an app: the search page, the CLI and the change log that keeps the index
    in step (features register their searchable kinds from their own init_app)."""
    # Imported when wiring, not when a feature imports app.search.sources: the routes and
    # indexer import the models of every feature (a cycle).
    from app.search import cli, indexer
    from app.search.routes import bp

    app.register_blueprint(bp)
    cli.register_cli(app)
    indexer.install(app)
