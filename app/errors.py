"""Domain errors raised by services, and the handlers that turn them into pages."""

from __future__ import annotations

import sqlite3

from flask import Flask, Response, current_app, jsonify, render_template, request, session
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy import exc as sa_exc
from werkzeug.exceptions import HTTPException

from app.cookies import keep_session_cookie
from app.extensions import db


class DomainError(Exception):
    """Base of the errors services raise; each maps to one HTTP status."""

    status = 400
    title = "Something is not right"

    def __init__(self, message: str = "", *, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


class NotFound(DomainError):
    status = 404
    title = "Page not found"


class Forbidden(DomainError):
    status = 403
    title = "You do not have access"


class ValidationError(DomainError):
    status = 400
    title = "Please check what you entered"


class RevisionConflict(DomainError):
    status = 409
    title = "Someone else changed this"


#: What each status says, and what to do next.
PAGES: dict[int, tuple[str, str]] = {
    400: ("Bad request",
          "The request could not be understood. Go back, check the form and try again."),
    403: ("You do not have access",
          "Ask your Work Group Lead or subject leader if you think you should."),
    404: ("Page not found",
          "The page may have moved or you may not have access. Try search or the dashboard."),
    405: ("Not allowed", "That action is not available here. Use the buttons on the page."),
    409: ("Someone else changed this",
          "Reload the page to see the latest version, then try again."),
    413: ("That was too large",
          "The upload or text is over the size limit. Make it smaller and try again."),
    429: ("Too many attempts", "Please wait a few minutes before trying again."),
    500: ("Something went wrong on our side",
          "Go back and try again: what you typed is still on the page you came from. "
          "If it keeps happening, tell your Work Group Lead."),
    503: ("Coplan will be back shortly",
          "Coplan cannot reach its database for a moment, so nothing was saved just now; "
          "what you typed is still on the page you came from. Wait a minute, then go back "
          "and try again."),
}

#: PostgreSQL error classes that mean "the server is away or full", not "your query is wrong":
#: 08 connection exceptions, 57P01-03 admin/crash shutdown and "cannot connect now" (starting
#: up or in recovery), 53300 too many connections.
_PG_UNAVAILABLE = ("08", "57P01", "57P02", "57P03", "53300")
#: SQLite's words for a writer that waited its busy timeout out (SQLITE_BUSY, SQLITE_LOCKED).
_SQLITE_LOCKED = ("database is locked", "database table is locked")


def _driver_unavailable(error: BaseException | None) -> bool:
    """The driver's own exception says the database cannot be reached or is locked."""
    if isinstance(error, sqlite3.OperationalError):
        return str(error).strip().lower() in _SQLITE_LOCKED
    try:
        import psycopg
    except ImportError:  # pragma: no cover - psycopg is only needed for PostgreSQL
        return False
    if isinstance(error, psycopg.OperationalError):
        # No SQLSTATE: the client failed on its own (refused, reset, closed, timed out).
        state = getattr(error, "sqlstate", None)
        return state is None or state.startswith(_PG_UNAVAILABLE)
    return False


def database_unavailable(error: BaseException | None) -> bool:
    """True when `error` (or what caused it) is a lost, refused or locked database connection.

    Only those become a 503: a failed query for any other reason is still a bug (500).
    """
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, sa_exc.DBAPIError):
            if error.connection_invalidated or _driver_unavailable(error.orig):
                return True
        elif isinstance(error, sa_exc.TimeoutError):
            return True  # every pooled connection busy for pool_timeout seconds
        elif _driver_unavailable(error):
            return True
        # Only an explicit `raise ... from` (a wrapper such as limits' StorageError): a bug
        # met while some other code was handling a database error is still a bug.
        error = error.__cause__
    return False


def discard_session() -> None:
    """Roll back the request's session; if even that fails, drop its connection."""
    try:
        db.session.rollback()
    except Exception:  # the connection is gone: nothing to roll back on the server
        try:
            # invalidate() belongs to the Session itself: the scoped_session proxy lacks it.
            db.session().invalidate()
        except Exception:  # noqa: S110 - best effort; the pool replaces the connection
            pass


def wants_json() -> bool:
    """True for API clients that ask for JSON rather than HTML."""
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    accepted = request.accept_mimetypes
    return best == "application/json" and accepted[best] > accepted["text/html"]


def plain_page(status: int, title: str, message: str = "", advice: str = "") -> str:
    """An error page that needs nothing but the request: no context processors (they look up
    the current user and notifications), no base layout, so no database query."""
    template = current_app.jinja_env.get_template("errors/plain.html")
    return template.render(status=status, title=title, message=message, advice=advice)


#: What a handler gives Flask: the page (HTML text or a JSON response) and its status.
ErrorPage = tuple[Response | str, int]


def error_response(status: int, message: str = "") -> ErrorPage:
    title, advice = PAGES.get(status, PAGES[500])
    if wants_json():
        return jsonify(error=title, message=message or advice, status=status), status
    try:
        return render_template("errors/error.html", status=status, title=title,
                               message=message, advice=advice), status
    except Exception as error:
        # The full layout asks the database for the user and the menu; when that fails too,
        # the plain page still tells the user what happened.
        discard_session()
        current_app.logger.warning("Error page fell back to the plain layout: %r", error)
        return plain_page(status, title, message, advice), status


def restore_browser_session() -> None:
    """Undo this request's changes to the signed session cookie, as the database's were.

    A save that logs the user in again or rotates a token changes the cookie before its commit
    fails; keeping that cookie would sign the user out and void the form's CSRF token, so the
    page they go back to could not be sent again.
    """
    try:
        original = current_app.session_interface.open_session(current_app, request)
    except Exception:  # an unreadable cookie: leave the session as the request left it
        return
    if original is not None:
        session.clear()
        session.update(original)


def unavailable_response(error: BaseException) -> Response:
    """503 with Retry-After for a database that is away or locked; never a traceback."""
    discard_session()
    restore_browser_session()
    current_app.logger.warning("Database unavailable, answering 503: %s",
                               str(error).splitlines()[0] if str(error) else type(error).__name__)
    title, advice = PAGES[503]
    if wants_json():
        response = jsonify(error=title, message=advice, status=503)
    else:
        response = current_app.response_class(plain_page(503, title, "", advice),
                                              mimetype="text/html")
    response.status_code = 503
    response.headers["Retry-After"] = str(current_app.config.get("DATABASE_RETRY_AFTER", 30))
    return response


def form_token_error() -> ErrorPage:
    """A form whose token is missing or stale: say why in words a teacher can act on."""
    keep_session_cookie()
    if request.method not in ("GET", "HEAD", "OPTIONS") and not current_user.is_authenticated:
        # With no session at all the token cannot match: the session ended (or another site
        # sent the form). The text is still in the form, and kept in the browser.
        return error_response(400, "Your session had ended, so nothing was saved. Your text is "
                                   "still in the form: go back, sign in again in another tab, "
                                   "then return to the form and save it.")
    return error_response(400, "The form had expired or was not sent from Coplan. Go back, "
                               "reload the page and submit again.")


def register_error_handlers(app: Flask) -> None:
    """Map domain errors and HTTP errors to friendly pages (never a traceback)."""

    @app.errorhandler(DomainError)
    def domain_error(error: DomainError) -> ErrorPage:
        db.session.rollback()
        return error_response(error.status, error.message)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> ErrorPage | Response:
        if isinstance(error, CSRFError):
            return form_token_error()
        original = getattr(error, "original_exception", None)
        if error.code == 500 and original is not None and database_unavailable(original):
            return unavailable_response(original)
        return error_response(error.code or 500)

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception) -> ErrorPage | Response:
        # Raised anywhere in the request (a before_request hook, Flask-Login's user loader,
        # the view, a template): a database that is away is a 503, not our bug.
        if database_unavailable(error):
            return unavailable_response(error)
        # Roll back so the failed request leaves nothing half-written behind.
        discard_session()
        app.logger.exception("Unhandled error", exc_info=error)
        return error_response(500)
