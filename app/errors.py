"""Domain errors raised by services, and the handlers that turn them into pages."""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

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
}


def wants_json() -> bool:
    """True for API clients that ask for JSON rather than HTML."""
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    accepted = request.accept_mimetypes
    return best == "application/json" and accepted[best] > accepted["text/html"]


def error_response(status: int, message: str = ""):
    title, advice = PAGES.get(status, PAGES[500])
    if wants_json():
        return jsonify(error=title, message=message or advice, status=status), status
    return render_template("errors/error.html", status=status, title=title,
                           message=message, advice=advice), status


def register_error_handlers(app: Flask) -> None:
    """Map domain errors and HTTP errors to friendly pages (never a traceback)."""

    @app.errorhandler(DomainError)
    def domain_error(error: DomainError):
        db.session.rollback()
        return error_response(error.status, error.message)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.code == 400 and getattr(error, "description", "").startswith("The CSRF"):
            return error_response(400, "The form had expired or was not sent from Coplan. "
                                       "Go back, reload the page and submit again.")
        return error_response(error.code or 500)

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception):
        # Roll back so the failed request leaves nothing half-written behind.
        db.session.rollback()
        app.logger.exception("Unhandled error", exc_info=error)
        return error_response(500)
