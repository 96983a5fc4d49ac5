"""PD materials library: catalogue, plan links and backlinks, subject-knowledge logs."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Wire the feature into an app: pages, CLI, search source and `[[pd:…]]` links.

    The factory may call this once, or make the same four calls in its own register_* steps.
    """
    from app.materials import models  # noqa: F401  (tables known before create_all)
    from app.materials.cli import register_cli
    from app.materials.links import material_link
    from app.materials.routes import bp
    from app.materials.search_docs import register_sources

    if bp.name not in app.blueprints:
        app.register_blueprint(bp)
    if "materials" not in app.cli.commands:
        register_cli(app)
    register_sources()
    app.extensions["coplan.material_link"] = material_link
