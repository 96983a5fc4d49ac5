"""The search page."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import current_user, login_required

from app.search import presenters, services, sources
from app.search.forms import SearchForm

bp = Blueprint("search", __name__)


def _request_from_args() -> services.SearchRequest:
    form = SearchForm(formdata=request.args)
    return services.SearchRequest(
        text=form.q.data or "", filters=form.filters(services.FILTER_PARAMS),
        include_archived=form.archived.data == "1", sort=form.sort.data or "",
        page=form.page.data)


@bp.get("/search")
@login_required
def search():
    result = services.search(current_user._get_current_object(), _request_from_args())
    return render_template("search/search.html", page=result, facets=presenters.facets(result),
                           url_for_key=sources.url_for_key, label_for=sources.label_for,
                           year_label=presenters.year_label,
                           search_url=presenters.search_url(result.request))
