"""The login session cookie: a request that came without one never gets one back.

A page on another site can make a signed-in teacher's browser POST to Coplan, but with
SameSite=Lax the cookie is not sent with it. Whatever that request leads to (a form-token
error, a login redirect with a flash), answering with a new session cookie would replace the
teacher's own session and log her out. Safe methods (a GET of the login page) still start one.

A refused form (its token missing or stale) never changes the cookie either. The editor's
background posts leave the page with the old token while the browser opens the login page;
if their error page stored a new form token, the cookie would overtake the one the login page
set and the login form she is looking at would be refused.
"""

from __future__ import annotations

from flask import Flask, Request, Response, g, request
from flask.sessions import SecureCookieSessionInterface, SessionMixin

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class GuardedSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, minus new cookies on cookieless unsafe requests."""

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        if _cookieless_write(app, request) or g.get("form_refused"):
            return
        super().save_session(app, session, response)


def _cookieless_write(app: Flask, request: Request) -> bool:
    return (request.method not in SAFE_METHODS
            and app.config["SESSION_COOKIE_NAME"] not in request.cookies)


def keep_session_cookie() -> None:
    """This response leaves the browser's session cookie as it came (a refused form)."""
    g.form_refused = True


def register_session_guards(app: Flask) -> None:
    app.session_interface = GuardedSessionInterface()
