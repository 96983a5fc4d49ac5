"""The search page."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import current_user, login_required

from app.core.text import is_whole_number
from app.search import services, sources

bp = Blueprint("search", __name__)


def _request_from_args() -> services.SearchRequest:
    filters = {name: [v for v in request.args.getlist(name) if v][:20]
               for name in services.FILTER_PARAMS}
    page = request.args.get("page", "1")
    return services.SearchRequest(
        text=request.args.get("q", ""), filters={k: v for k, v in filters.items() if v},
        include_archived=request.args.get("archived") == "1",
        sort=request.args.get("sort", "relevance"),
        page=int(page) if is_whole_number(page) and 0 < int(page) < 10_000 else 1)


@bp.get("/search")
@login_required
def search():
    result = services.search(current_user._get_current_object(), _request_from_args())
    return render_template("search/search.html", page=result, url_for_key=sources.url_for_key,
                           label_for=sources.label_for, params=services.FILTER_PARAMS)
