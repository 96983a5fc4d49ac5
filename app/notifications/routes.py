"""Notification pages, watch buttons, the Atom feed and the Work Group awareness pages."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app.accounts.models import User
from app.extensions import limiter
from app.forms import require_button, safe_next
from app.notifications import feed, group_pages, services
from app.notifications.describe import describe
from app.notifications.models import KINDS

bp = Blueprint("notifications", __name__)


def _user() -> User:
    return current_user._get_current_object()


def _page(new_feed_url: str | None = None, status: int = 200):
    user = _user()
    page = services.list_notifications(user, services.check_page(request.args.get("page")))
    shown = {n.id: describe(user, n) for n in page.items}
    return render_template("notifications/index.html", page=page, kinds=KINDS, shown=shown,
                           watched=services.watched_items(user),
                           feed=feed.active_feed(user), new_feed_url=new_feed_url), status


@bp.get("/notifications")
@login_required
def index():
    return _page()


@bp.post("/notifications/<int:notification_id>/read")
@login_required
def mark_read(notification_id: int):
    require_button()
    services.mark_read(_user(), notification_id)
    return redirect(url_for("notifications.index") + f"#n-{notification_id}")


@bp.get("/notifications/<int:notification_id>/open")
@login_required
def open_notification(notification_id: int):
    """A notification's link: marks it read, then goes where it points.

    A GET, so the link works as a link. It can only mark the reader's own notification read
    (anyone else's is a 404 and unchanged), and it only ever redirects to a path on this site
    that the reader may still open: the stored path is checked again, never taken from the
    request. Anything else lands back on the notifications list.
    """
    target = safe_next(services.open_notification(_user(), notification_id))
    return redirect(target or url_for("notifications.index") + f"#n-{notification_id}")


@bp.post("/notifications/read-all")
@login_required
def mark_all_read():
    require_button()
    count = services.mark_all_read(_user())
    flash(f"{count} notification{'s' if count != 1 else ''} marked read.", "success")
    return redirect(url_for("notifications.index"))


@bp.post("/notifications/feed")
@login_required
def create_feed():
    require_button()
    token = feed.create_feed_token(_user())
    # Shown once, on this response: only its hash is kept.
    return _page(url_for("notifications.atom", token=token, _external=True))


@bp.post("/notifications/feed/revoke")
@login_required
def revoke_feed():
    require_button()
    feed.revoke_feed_tokens(_user())
    flash("Your feed address no longer works.", "success")
    return redirect(url_for("notifications.index") + "#feed-heading")


@bp.get("/feeds/<token>.atom")
@limiter.limit("120 per minute")
def atom(token: str) -> Response:
    owner = feed.feed_owner(token)
    if owner is None:
        # Nothing at all: a wrong or revoked address says nothing about whose it was.
        return Response(b"", status=404, mimetype="text/plain")
    body = feed.atom_feed(owner, request.host_url.rstrip("/"), request.base_url)
    response = Response(body, mimetype="application/atom+xml")
    response.headers["Cache-Control"] = "private, no-cache"
    return response


# --- watching -------------------------------------------------------------------------------


def _back(kind: str, target_id: int):
    target = safe_next(request.form.get("next"))
    if target is None:
        endpoint = {"lesson": "planning.lesson", "sequence": "planning.sequence",
                    "material": "materials.material"}[kind]
        values: dict[str, Any] = {f"{kind}_id": target_id}
        target = url_for(endpoint, **values)
    return redirect(target)


@bp.post("/watch/<kind>/<int:target_id>")
@login_required
def watch(kind: str, target_id: int):
    require_button()
    services.watch(_user(), kind, target_id)
    flash(f"You are now watching this {kind}: changes will appear in your notifications.",
          "success")
    return _back(kind, target_id)


@bp.post("/unwatch/<kind>/<int:target_id>")
@login_required
def unwatch(kind: str, target_id: int):
    require_button()
    services.unwatch(_user(), kind, target_id)
    flash(f"You are no longer watching this {kind}.", "success")
    return _back(kind, target_id)


# --- Work Group pages -----------------------------------------------------------------------


@bp.get("/work-groups/<int:group_id>/since-last-session")
@login_required
def since_last_session(group_id: int):
    digest = group_pages.since_last_session(_user(), group_id, request.args.get("since"))
    return render_template("notifications/since_last_session.html", d=digest)


@bp.get("/work-groups/<int:group_id>/activity")
@login_required
def activity(group_id: int):
    page = group_pages.activity(_user(), group_id, services.check_page(request.args.get("page")))
    return render_template("notifications/activity.html", a=page)
