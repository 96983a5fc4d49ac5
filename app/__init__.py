"""Coplan: collaborative lesson planning for Maths Hub Work Groups."""

from __future__ import annotations

import os
from typing import Any

from flask import Flask
from werkzeug.routing import BaseConverter, IntegerConverter, Map

from app import (
    accounts,
    admin,
    comments,
    config,
    files,
    mail,
    main,
    materials,
    models,  # noqa: F401  (every model registered before migrations run)
    notifications,
    observations,
    planning,
    registry,
    reviews,
    search,
    workgroups,
)
from app.cli import register_cli
from app.cookies import register_session_guards
from app.database import configure_engine
from app.errors import register_error_handlers
from app.extensions import csrf, db, limiter, login_manager, migrate
from app.input import InputRequest, check_request_input
from app.lifecycle import Coplan
from app.web import register_web_hooks

MIGRATIONS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "migrations")


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the app: config -> extensions -> blueprints -> error handlers -> CLI."""
    # Coplan commits each request once at its end, or rolls it back (app/lifecycle.py).
    app = Coplan(__name__, instance_relative_config=True)
    os.makedirs(app.instance_path, exist_ok=True)
    configure(app, test_config)
    register_session_guards(app)
    app.request_class = InputRequest
    # Registered before CSRFProtect's hook, so a second csrf_token is refused, not ignored.
    app.before_request(check_request_input)
    register_converters(app)
    register_extensions(app)
    registry.install(app)
    register_features(app)
    register_error_handlers(app)
    register_web_hooks(app)
    register_cli(app)
    return app


def configure(app: Flask, test_config: dict[str, Any] | None) -> None:
    """Defaults, then instance/config.py, then the environment; tests override all."""
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
    class DatabaseId(IntegerConverter):
        # One spelling per id: ASCII digits, no leading zero ("01", "١" and "１" are 404s).
        regex = r"0|[1-9][0-9]{0,9}"

        def __init__(self, url_map: Map, **kwargs: Any) -> None:
            kwargs.setdefault("max", 2**31 - 1)
            super().__init__(url_map, **kwargs)

    class PlainSegment(BaseConverter):
        # Tokens, kinds and slugs are ASCII letters, digits, "-" and "_": a NUL, a control
        # character or other text in the path is a 404 before it can reach a query.
        regex = r"[A-Za-z0-9_-]{1,200}"

    app.url_map.converters["int"] = DatabaseId
    app.url_map.converters["default"] = app.url_map.converters["string"] = PlainSegment


def register_extensions(app: Flask) -> None:
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


#: Every feature, wired in this order by its own init_app (pages, CLI, search sources, signal
#: subscriptions, template helpers). Signals make the order matter only for blueprints.
FEATURES = (main, materials, planning, search, mail, accounts, admin, notifications, comments,
            observations, reviews, workgroups, files)


def register_features(app: Flask) -> None:
    """Call each feature's init_app, in the fixed order above."""
    for feature in FEATURES:
        feature.init_app(app)
