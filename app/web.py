"""Request hooks shared by every page: security headers, template helpers."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import Any

from flask import Flask, Response, current_app, g, request, session, url_for
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse

from app import policy
from app.accounts.models import WG_ROLES
from app.core.markdown import SafeHtml, render_markdown
from app.timeutil import aware

NAV = [
    ("main.dashboard", "Dashboard"),
    ("planning.sequences", "Sequences"),
    ("materials.library", "PD materials"),
    ("reviews.queue", "Reviews"),
    ("search.search", "Search"),
    ("main.work_groups", "Work Groups"),
]
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'"
)


def set_security_headers(response: Response) -> Response:
    """Every response gets a strict CSP (no inline script) and related headers."""
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if request.endpoint != "static" and response.mimetype == "text/html":
        # Pages may show children's observation notes: keep them out of shared caches.
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def revision_addressed(view: Callable[..., Any]) -> Callable[..., BaseResponse]:
    """For pages addressed by revision (an old revision, a comparison, print, export):
    `Cache-Control: private, no-cache` and an ETag, so a browser revalidates and gets a 304
    with no body when nothing it would see has changed.

    The ETag is a hash of the page exactly as this person gets it (header, counts, resolved
    links, flashed messages), without the request's signed CSRF token, which differs every
    second; it adds the session's own CSRF secret and the user, so one person's ETag never
    validates another person's page, and a page kept from an older session is sent again.
    """

    @wraps(view)
    def conditional(*args: Any, **kwargs: Any) -> BaseResponse:
        response = current_app.make_response(view(*args, **kwargs))
        if request.method != "GET" or response.status_code != 200 or response.is_streamed:
            return response
        response.headers["Cache-Control"] = "private, no-cache"
        response.vary.add("Cookie")
        response.set_etag(_page_etag(response.get_data()))
        return response.make_conditional(request)

    return conditional


def _page_etag(body: bytes) -> str:
    signed = g.get("csrf_token")
    if signed:
        body = body.replace(str(signed).encode(), b"")
    digest = hashlib.sha256(body)
    digest.update(f"\0{getattr(current_user, 'id', '')}\0{session.get('csrf_token', '')}".encode())
    return digest.hexdigest()[:32]


def format_datetime(value: datetime | None, fmt: str = "%-d %b %Y, %H:%M") -> str:
    """Dates as teachers write them: 3 Feb 2025, 17:30 (UTC)."""
    if value is None:
        return ""
    return aware(value).strftime(fmt)


def format_date(value: datetime | None) -> str:
    return format_datetime(value, "%-d %b %Y")


def role_label(role: str) -> str:
    return WG_ROLES.get(role, role)


def url_with(**changes: object) -> str:
    """The current page's URL with some query parameters replaced (keeps repeated ones)."""
    args: dict[str, Any] = request.args.to_dict(flat=False)
    args.update({key: [str(value)] for key, value in changes.items()})
    view_args: dict[str, Any] = request.view_args or {}
    assert request.endpoint is not None  # only pages reached through a route call this
    return url_for(request.endpoint, **view_args, **args)


def note_markdown(text: str | None) -> SafeHtml:
    """Short author text kept unversioned (a research focus, an "I noticed" note, a review
    request's note) as Markdown with its typed line breaks, so its maths is typeset too.

    Rendered per view rather than stored: the fields are short and have no revision row."""
    return render_markdown(text or "", line_breaks=True)


def register_web_hooks(app: Flask) -> None:
    app.after_request(set_security_headers)
    app.jinja_env.filters["datetime"] = format_datetime
    app.jinja_env.filters["date"] = format_date
    app.jinja_env.globals["roles_label"] = role_label
    app.jinja_env.globals["url_with"] = url_with
    app.jinja_env.filters["zip"] = lambda left, right: list(zip(left, right, strict=False))
    app.jinja_env.filters["note_markdown"] = note_markdown
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    @app.context_processor
    def navigation() -> dict:
        user = current_user if current_user.is_authenticated else None
        # Features register their own pages; the menu shows those that exist.
        items = [(e, label) for e, label in NAV if e in app.view_functions]
        # Plans saved since the last page: the browser forgets the text it kept for them.
        saved_drafts = session.pop("saved_drafts", None) if "saved_drafts" in session else None
        return {"nav_is_admin": bool(user and policy.can_see_admin(user)),
                "saved_drafts": saved_drafts,
                "nav_items": items, "nav_has_search": "search.search" in app.view_functions}
