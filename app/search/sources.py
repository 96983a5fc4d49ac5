"""What is searchable: each feature adds a source (kind, documents, triggers) to its app."""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flask import Flask, has_app_context

from app.core.search import ANALYSIS_VERSION
from app.core.text import is_whole_number
from app.registry import registry

if TYPE_CHECKING:  # annotations only: app.visibility imports the features' models
    from app.visibility import Rule

Doc = dict[str, Any]


@dataclass(frozen=True)
class Source:
    """How one kind of thing becomes search documents.

    build(id) returns the document or None when it should not be in the index (deleted);
    all_ids() lists every id for rebuilds and verification; keys_for(obj) maps a changed
    model instance to the document keys it affects. build_many(ids), when given, builds many
    documents in a few queries for rebuilds; it must give exactly what build gives per id.
    """

    kind: str
    build: Callable[[int], Doc | None]
    all_ids: Callable[[], Iterator[int]]
    keys_for: Callable[[Any], list[str]]
    models: tuple[type, ...]
    #: The page for an id (called at render time, inside a request).
    url: Callable[[int], str]
    #: What a result of this kind is called on the results page.
    label: str
    #: Every document of `ids` at once ({id: document or None}); None: build one by one.
    build_many: Callable[[list[int]], dict[int, Doc | None]] | None = None
    #: The visibility rule a reader must pass to open one (None: everyone who can search).
    read_rule: Rule | None = None


def register(app: Flask, source: Source) -> None:
    """Make a kind of thing searchable in this app (registering a kind again replaces it)."""
    registry(app).search_sources[source.kind] = source


def _sources() -> dict[str, Source]:
    # Session events can fire outside any app (a bare script): nothing is searchable there.
    return registry().search_sources if has_app_context() else {}


def build(key: str) -> Doc | None:
    """The current document for a key like "lesson:12", with a content version stamped."""
    kind, _, raw_id = key.partition(":")
    source = _sources().get(kind)
    if source is None or not is_whole_number(raw_id):
        return None
    doc = source.build(int(raw_id))
    if doc is not None:
        doc["version"] = content_version(doc)
    return doc


def build_batch(kind: str, ids: list[int]) -> list[Doc]:
    """The current documents of many ids of one kind, versions stamped, in the order of `ids`
    (ids whose document should not be in the index are left out)."""
    source = _sources().get(kind)
    if source is None:
        return []
    if source.build_many is not None:
        built = source.build_many(ids)
    else:
        built = {item_id: source.build(item_id) for item_id in ids}
    docs = []
    for item_id in ids:
        doc = built.get(item_id)
        if doc is not None:
            doc["version"] = content_version(doc)
            docs.append(doc)
    return docs


def kinds() -> list[str]:
    """Every searchable kind in this app."""
    return list(_sources())


def ids_of(kind: str) -> Iterator[int]:
    """Every id of one kind the database says should be considered for the index."""
    source = _sources().get(kind)
    return source.all_ids() if source is not None else iter(())


def content_version(doc: Doc) -> int:
    """A checksum of the document, so verify spots any stale field (access included), and of
    the index's analysis version, so it spots documents indexed by an older analysis."""
    fields = {k: v for k, v in doc.items() if k != "version"}
    body = json.dumps([ANALYSIS_VERSION, fields], sort_keys=True, default=str)
    return zlib.crc32(body.encode())


def all_keys() -> Iterator[str]:
    for kind, source in _sources().items():
        for item_id in source.all_ids():
            yield f"{kind}:{item_id}"


def keys_for(obj: Any) -> list[str]:
    """Every document a changed object affects, across all sources that watch its type."""
    keys: list[str] = []
    for source in _sources().values():
        if isinstance(obj, source.models):
            keys.extend(source.keys_for(obj))
    return keys


def url_for_key(key: str) -> str | None:
    """The page a search hit links to."""
    kind, _, raw_id = key.partition(":")
    source = _sources().get(kind)
    return source.url(int(raw_id)) if source and is_whole_number(raw_id) else None


def is_searchable(kind: str) -> bool:
    return kind in _sources()


def read_rule(kind: str) -> Rule | None:
    source = _sources().get(kind)
    return source.read_rule if source else None


def label_for(kind: str) -> str:
    source = _sources().get(kind)
    return source.label if source else kind.capitalize()

