"""Coplan: collaborative lesson planning for Maths Hub Work Groups."""

from __future__ import annotations

import os
from typing import Any

from flask import Flask

MIGRATIONS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "migrations")


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the app: config -> extensions -> blueprints -> error handlers -> CLI."""
    from app.lifecycle import Coplan

    # Coplan commits each request once at its end, or rolls it back (app/lifecycle.py).
    app = Coplan(__name__, instance_relative_config=True)
    os.makedirs(app.instance_path, exist_ok=True)
    configure(app, test_config)
    from app.cookies import register_session_guards

    register_session_guards(app)
    from app.input import InputRequest, check_request_input

    app.request_class = InputRequest
    # Registered before CSRFProtect's hook, so a second csrf_token is refused, not ignored.
    app.before_request(check_request_input)
    register_converters(app)
    register_extensions(app)
    register_blueprints(app)
    from app.errors import register_error_handlers
    from app.web import register_web_hooks

    register_error_handlers(app)
    register_web_hooks(app)
    register_search(app)
    from app.cli import register_cli
    from app.materials.cli import register_cli as materials_cli
    from app.materials.links import material_link

    register_cli(app)
    materials_cli(app)
    # Planning resolves [[pd:2.7]] through this hook, so it needs no import of materials.
    app.extensions["coplan.material_link"] = material_link
    return app


def configure(app: Flask, test_config: dict[str, Any] | None) -> None:
    """Defaults, then instance/config.py, then the environment; tests override all."""
    from app import config

    app.config.from_mapping(config.defaults(app.instance_path))
    app.config.from_pyfile("config.py", silent=True)
    if test_config is None:
        app.config.from_mapping(config.from_environment(os.environ))
    else:
        app.config.from_mapping(test_config)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = config.secret_key_from_instance(app.instance_path)
    app.config["SQLALCHEMY_DATABASE_URI"] = config.normalise_database_url(
        app.config["SQLALCHEMY_DATABASE_URI"]
    )


def register_converters(app: Flask) -> None:
    """Path parameters are checked by their shape before any view runs (404 otherwise)."""
    from werkzeug.routing import BaseConverter, IntegerConverter

    class DatabaseId(IntegerConverter):
        # One spelling per id: ASCII digits, no leading zero ("01", "١" and "１" are 404s).
        regex = r"0|[1-9][0-9]{0,9}"

        def __init__(self, url_map, **kwargs) -> None:
            kwargs.setdefault("max", 2**31 - 1)
            super().__init__(url_map, **kwargs)

    class PlainSegment(BaseConverter):
        # Tokens, kinds and slugs are ASCII letters, digits, "-" and "_": a NUL, a control
        # character or other text in the path is a 404 before it can reach a query.
        regex = r"[A-Za-z0-9_-]{1,200}"

    app.url_map.converters["int"] = DatabaseId
    app.url_map.converters["default"] = app.url_map.converters["string"] = PlainSegment


def register_extensions(app: Flask) -> None:
    from app import models  # noqa: F401  (every model registered before migrations run)
    from app.database import configure_engine
    from app.extensions import csrf, db, limiter, login_manager, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS, render_as_batch=True, compare_type=True,
                     compare_server_default=True)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = "Please log in to see that page."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    with app.app_context():
        configure_engine(db.engine, busy_timeout_ms=app.config["SQLITE_BUSY_TIMEOUT_MS"])


def register_search(app: Flask) -> None:
    """Each feature adds its searchable documents; changes reach the index after commit."""
    from app.materials.search_docs import register_sources as material_sources
    from app.planning.search_docs import register_sources as planning_sources
    from app.search import indexer

    planning_sources()
    material_sources()
    indexer.install(app)


def register_blueprints(app: Flask) -> None:
    from app.accounts.routes import bp as accounts_bp
    from app.admin.routes import bp as admin_bp
    from app.main.routes import bp as main_bp
    from app.materials.routes import bp as materials_bp
    from app.planning.blueprint import load_routes as planning_routes
    from app.search.routes import bp as search_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(materials_bp)
    app.register_blueprint(planning_routes())
    app.register_blueprint(search_bp)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(admin_bp, url_prefix="/admin")
    register_features(app)


def register_features(app: Flask) -> None:
    """Features that wire themselves in (pages, comment targets, hooks for each other)."""
    from app.comments import init_app as comments_init
    from app.mail import init_app as mail_init
    from app.notifications import init_app as notifications_init
    from app.observations import init_app as observations_init
    from app.reviews import init_app as reviews_init
    from app.workgroups import init_app as workgroups_init

    mail_init(app)  # queued mail is delivered after each response
    notifications_init(app)  # first: it provides app.extensions["coplan.notify"]
    comments_init(app)
    observations_init(app)
    reviews_init(app)
    workgroups_init(app)
