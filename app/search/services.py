"""Searching as a given reader: their access tokens go inside the query as a filter."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import current_app

from app import policy
from app.accounts.models import User
from app.core.search import SearchResults
from app.search import indexer

#: Form controls on the results page and the index filter each one sets.
FILTER_PARAMS: dict[str, str] = {
    "type": "type", "year": "year_group", "strand": "strand", "school": "school",
    "ay": "academic_year", "status": "status", "sequence": "sequence",
}
PAGE_SIZE = 20


@dataclass
class SearchRequest:
    text: str = ""
    filters: dict[str, list[str]] = field(default_factory=dict)
    include_archived: bool = False
    sort: str = "relevance"
    page: int = 1

    @property
    def is_empty(self) -> bool:
        return not self.text.strip() and not any(self.filters.values())


@dataclass
class SearchPage:
    request: SearchRequest
    results: SearchResults | None
    notice: str | None = None


def search(user: User, wanted: SearchRequest) -> SearchPage:
    """Run a search for this reader; a missing index gives a notice, never an error."""
    if wanted.is_empty:
        return SearchPage(wanted, None)
    # Flask types current_app as Flask, but it is a LocalProxy that has this method.
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    # Apply anything still waiting (e.g. a save that found the writer busy) before reading.
    if indexer.pending_count():
        indexer.drain(timeout=0.2)
    results = indexer.get_index(app).search(
        wanted.text[:2000], access=policy.search_access_tokens(user),
        filters={FILTER_PARAMS[k]: v for k, v in wanted.filters.items() if v},
        include_archived=wanted.include_archived,
        sort="newest" if wanted.sort == "newest" else "relevance",
        page=wanted.page, pagelen=PAGE_SIZE)
    notice = None
    if not results.available:
        state = indexer.ensure_index(app)
        if state == "ok":
            return search(user, wanted)
        notice = ("Search is being rebuilt from the database and will be back in a moment. "
                  "Everything else works as usual; try again shortly.")
    return SearchPage(wanted, results, notice)
