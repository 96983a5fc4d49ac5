"""What a search returns: ``SearchResults`` holding ``Hit``s, and the rebuild's busy error."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from app.core.markdown import SafeHtml


@dataclass(frozen=True, slots=True)
class Hit:
    """One search result, ready for a template (``snippet`` is already safe HTML)."""

    key: str
    type: str
    title: str
    url: str
    sequence_title: str
    school_name: str
    year_group: str
    updated: datetime | None
    snippet: SafeHtml
    extra: dict[str, Any] = field(default_factory=dict)
    #: The name of the attached file the snippet comes from ("" when from the plan's own text).
    in_file: str = ""


@dataclass(frozen=True, slots=True)
class Correction:
    """"Did you mean" for one word: ``query`` is the whole search with only that word replaced,
    and it finds something the caller may see."""

    word: str
    replacement: str
    query: str


@dataclass(slots=True)
class SearchResults:
    """A page of hits plus totals, facet counts, a suggestion and a notice for the user."""

    hits: list[Hit]
    total: int
    page: int
    pages: int
    #: facet name -> [(value, count)], most frequent first; counts cover all allowed matches.
    facets: dict[str, list[tuple[str, int]]]
    #: A corrected query string ("did you mean"), only if it finds something the caller may see.
    suggestion: str | None = None
    #: What was ignored or changed in the query, or why there are no results.
    message: str | None = None
    #: False when the index is missing or unreadable (the app shows a notice, keeps serving).
    available: bool = True
    #: Words of the search no allowed document holds, when results matching the other words
    #: are shown instead of nothing (as typed, in the order typed).
    missing: list[str] = field(default_factory=list)
    #: One correction per unknown word, each checked to find something.
    corrections: list[Correction] = field(default_factory=list)


class IndexBusyError(RuntimeError):
    """Another process kept the index's write lock for longer than a rebuild waits."""


def no_results(notes: Sequence[str], facet_names: Iterable[str]) -> SearchResults:
    """An empty page of results, saying so (once) after whatever the notes say."""
    if not any(n.startswith("No results") for n in notes):
        notes = [*notes, "No results. Try fewer words or remove a filter."]
    return SearchResults([], 0, 1, 0, {name: [] for name in facet_names}, None, " ".join(notes))
