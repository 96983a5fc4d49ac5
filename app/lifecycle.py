"""One request, one unit of work: commit once when the request succeeded, else roll back.

Views and services never commit. Whatever they add, change or flush joins the request's
transaction, and `Coplan.finalize_request` ends it once the view (or an error handler) has
produced its response, before the `after_request` hooks and before a byte is sent:

- a response below 400 (a page, a redirect) commits;
- a 4xx or 5xx response (a form shown again with errors, a 404, an error page) and any
  exception roll back, so a service that flushed before the error leaves nothing behind;
- a commit that fails (a unique row taken meanwhile, a locked or unreachable database) rolls
  back and becomes the app's own error page in place of the response: 409 for a clash,
  503 with Retry-After for a database that is away, 500 otherwise.

Search changes are written in the committing transaction itself (app/search/indexer.py's
`before_commit` hook: log rows, or the PostgreSQL backend's documents), so they commit or roll
back with the change. CLI commands use `app.database.unit_of_work` instead.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response
from sqlalchemy import exc as sa_exc

from app.errors import (
    RevisionConflict,
    database_unavailable,
    discard_session,
    restore_browser_session,
)
from app.extensions import db

#: What a teacher reads when another request took the same unique row first.
CLASH = ("Someone else saved a change here at the same moment, so nothing was saved. Reload "
         "the page to see the latest version, then try again.")


class Coplan(Flask):
    """Flask, with the request's transaction ended in one place."""

    def finalize_request(self, rv: Any, from_error_handler: bool = False) -> Response:
        """Commit or roll back the request's work, then run the usual response processing."""
        if from_error_handler:
            # An exception no handler answered: Flask's own 500. Nothing of it is kept.
            discard_session()
            return super().finalize_request(rv, from_error_handler=True)
        return super().finalize_request(self.end_unit_of_work(self.make_response(rv)))

    def end_unit_of_work(self, response: Response) -> Response:
        """Commit for a successful response; roll back otherwise or when the commit fails."""
        if response.status_code >= 400:
            discard_session()
            return response
        try:
            db.session.commit()
        except Exception as error:
            discard_session()
            # The cookie must not claim what the database refused (a new login, a "Saved"
            # message): the browser keeps the session it came with.
            restore_browser_session()
            return self.make_response(self.handle_user_exception(page_error(error)))
        return response


def page_error(error: Exception) -> Exception:
    """The error a failed final commit is shown as: a clash is a 409, the rest as they are."""
    if isinstance(error, sa_exc.IntegrityError) and not database_unavailable(error):
        clash = RevisionConflict(CLASH)
        clash.__cause__ = error
        return clash
    return error
