"""PD materials library: catalogue, plan links and backlinks, subject-knowledge logs."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Wire the feature into an app: pages, CLI, search source and `[[pd:…]]` links."""
    # Imported when wiring, not when another feature imports app.materials.models: the routes
    # import planning, which imports our models (a cycle).
    from app import signals
    from app.materials import models  # noqa: F401  (tables known before create_all)
    from app.materials.cli import register_cli
    from app.materials.links import on_material_link
    from app.materials.routes import bp
    from app.materials.search_docs import register_sources

    app.register_blueprint(bp)
    register_cli(app)
    register_sources(app)
    signals.material_link.connect(on_material_link, sender=app)
