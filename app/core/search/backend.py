"""What the app calls on a search backend: Whoosh's SearchIndex and PostgreSQL's PostgresSearch."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Literal, Protocol

from app.core.search.results import SearchResults


class SearchBackend(Protocol):
    """A searchable store of documents (see the package docstring for the document fields)."""

    def exists(self) -> bool: ...

    def is_healthy(self) -> bool: ...

    def count(self) -> int: ...

    def versions(self) -> dict[str, int]: ...

    def create(self) -> None: ...

    def apply(
        self, upserts: Sequence[Mapping[str, Any]], deletes: Sequence[str], timeout: float = 2.0
    ) -> bool: ...

    def rebuild(
        self,
        docs: Iterable[Mapping[str, Any]],
        total: int | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> int: ...

    def search(
        self,
        text: str,
        *,
        access: Sequence[str],
        filters: Mapping[str, Sequence[str]] | None = None,
        include_archived: bool = False,
        sort: Literal["relevance", "newest"] = "relevance",
        page: int = 1,
        pagelen: int = 20,
    ) -> SearchResults: ...

    def warm(self) -> None: ...

    def close(self) -> None: ...
