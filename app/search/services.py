"""Searching as a given reader: their access tokens go inside the query as a filter."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from sqlalchemy import String, cast, literal, select, union_all

from app import policy, visibility
from app.accounts.models import User
from app.core.search import SearchResults
from app.extensions import db
from app.search import indexer, sources

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
    #: The re-check removed hits the index still showed: totals and facets are estimates.
    approximate: bool = False


def search(user: User, wanted: SearchRequest, *, retry: bool = True) -> SearchPage:
    """Run a search for this reader; a missing index gives a notice, never an error."""
    if wanted.is_empty:
        return SearchPage(wanted, None)
    # Flask types current_app as Flask, but it is a LocalProxy that has this method.
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    results = indexer.get_index(app).search(
        wanted.text[:2000], access=policy.search_access_tokens(user),
        filters={FILTER_PARAMS[k]: v for k, v in wanted.filters.items() if v},
        include_archived=wanted.include_archived,
        sort="newest" if wanted.sort == "newest" else "relevance",
        page=wanted.page, pagelen=PAGE_SIZE)
    notice = None
    if not results.available:
        if retry and indexer.ensure_index(app) == "ok":  # rebuilt at once (or readable now)
            return search(user, wanted, retry=False)
        notice = ("Search is being rebuilt from the database and will be back in a moment. "
                  "Everything else works as usual; try again shortly.")
        return SearchPage(wanted, results, notice)
    readable = readable_keys(user, [hit.key for hit in results.hits])
    kept = [hit for hit in results.hits if hit.key in readable]
    approximate = len(kept) < len(results.hits)
    results.hits = kept
    if approximate:
        # The suggestion came from the same stale permissions: offer none rather than a
        # word from something the reader can no longer open.
        results.suggestion = None
    return SearchPage(wanted, results, notice, approximate)


def readable_keys(user: User, keys: list[str]) -> set[str]:
    """Which of a page's hits the reader may open now, asked of the database in one query.

    The index's access tokens can lag the database (a plan narrowed to one school, a teacher
    removed from a Work Group, an index being rebuilt); the policy cannot.
    """
    wanted: dict[str, list[int]] = {}
    for key in keys:
        kind, _, raw_id = key.partition(":")
        if raw_id.isdigit():
            wanted.setdefault(kind, []).append(int(raw_id))
    selects = []
    readable: set[str] = set()
    for kind, ids in wanted.items():
        if not sources.is_searchable(kind):
            continue  # no longer a kind this app indexes: never shown
        rule = sources.read_rule(kind)
        if rule is None:  # readable by everyone who can search (PD materials)
            readable.update(f"{kind}:{i}" for i in ids)
            continue
        model_id: Any = getattr(rule.model, "id")  # noqa: B009 - every searched model has one
        selects.append(select((literal(f"{kind}:") + cast(model_id, String)).label("key"))
                       .where(model_id.in_(ids), visibility.sql_filter(user, rule)))
    if selects:
        query = selects[0] if len(selects) == 1 else union_all(*selects)
        readable.update(db.session.scalars(query))
    return readable
