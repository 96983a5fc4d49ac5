"""Full-text search over lessons, sequences, materials, observations and comments (Flask-free).

This package is the only code that imports Whoosh (an import-linter contract says so). The app
hands it plain dicts and gets back ``SearchResults``; everything Whoosh-specific stays here.

Public API::

    ix = SearchIndex(path, memory_mb=64)   # one per process; thread-safe; keeps a searcher
                                      # open; cached data (LRU) stays within memory_mb
    ix.exists() / ix.is_healthy() / ix.count() / ix.versions()   # key -> version, for verify
    ix.create()                       # fresh empty index (swapped in like a rebuild)
    ix.apply(upserts, deletes, timeout=2.0) -> bool   # False: locked/missing/damaged, retry
    ix.rebuild(docs, total, progress) -> int          # build beside, then swap in atomically
    ix.warm()                         # optional: preload per-segment data at worker start
    ix.warm_in_background()           # the same in a daemon thread; searches may run meanwhile
    ix.cache_bytes()                  # estimated bytes cached
    ix.search(text, access=[...], filters=None, include_archived=False,
              sort="relevance" | "newest", page=1, pagelen=20) -> SearchResults

Safety properties the rest of the app relies on:

* **Permissions inside the query.** The caller's ``access`` tokens, the archive flag and any
  typed filters form one Whoosh filter query; it is evaluated to a document set that is
  intersected with the matches before anything is counted, ranked, paged, faceted, snippeted
  or suggested. Nothing typed into the search box can widen it: the user-facing parser has
  no field syntax, and typed filters (``year:3``) can only narrow.
* **Never raises on user input.** Malformed queries are cleaned up and ``SearchResults.message``
  says what was ignored.
* **Escaped snippets.** Snippets are built from escaped text plus ``<mark>`` tags only.
* **A cache of the database.** The index can be deleted and rebuilt at any time; searches on
  a missing or damaged index return ``available=False``. ``rebuild()`` holds the live index's
  write lock while it builds, so ``apply()`` elsewhere returns False and is retried later.

Speed: Whoosh does analysis, storage, parsing, term expansion and locking, but not scoring.
Its ``Searcher.search`` scores every matching document in Python, and exact totals and facets
need every match, so a common word over 50,000 lessons took well over 100 ms. Here document
sets are Python ints used as bitsets, cached per immutable segment, and ranking walks BM25
lists sorted by score until the page is certain (see ``segments``).

Modules, in the order a search uses them:

* ``vocabulary`` - document types and fields, filter and facet names, query limits (no Whoosh).
* ``analysis`` - tokenizer, stemming, the schema, ``normalise_*`` for codes and year groups.
* ``documents`` - validates document dicts and turns them into Whoosh fields.
* ``understanding`` - what a teacher's words mean: question words, year words, codes, maths
  word forms, number words and fractions (plain rules, no Whoosh).
* ``querying`` - typed filters, repair of what was typed, the query builder, filter queries.
* ``relaxing`` - when nothing matches every word: close spellings, words not found, most
  words first; scope notes; one "did you mean" per unknown word.
* ``budget`` - the byte-bounded LRU holding everything cached (``memory_mb``).
* ``segments`` - per-segment doc sets (Python ints), cached postings and BM25 score lists.
* ``evaluation`` - a parsed query evaluated to a doc set and its ranking lists per segment.
* ``ranking`` - the first page by relevance (threshold walk) or newest first.
* ``facets`` - facet counts over all allowed matches.
* ``snippets`` - escaped ``<mark>`` snippets and ``Hit`` objects.
* ``spelling`` - "did you mean" corrections and the fuzzy fallback.
* ``results`` - ``Hit``, ``SearchResults``, ``IndexBusyError``.
* ``index`` - ``SearchIndex``: the directory's lifecycle and ``search`` tying it all together.
"""

from __future__ import annotations

from app.core.search.analysis import (
    ANALYSIS_VERSION,
    SCHEMA,
    analyse,
    normalise_code,
    normalise_project_code,
    normalise_year_group,
)
from app.core.search.backend import SearchBackend
from app.core.search.index import SearchIndex
from app.core.search.results import Correction, Hit, IndexBusyError, SearchResults
from app.core.search.vocabulary import (
    DOCUMENT_FIELDS,
    DOCUMENT_TYPES,
    FACET_FIELDS,
    FILTER_NAMES,
    MAX_QUERY_CHARS,
    MAX_QUERY_TERMS,
    REQUIRED_FIELDS,
    STRANDS,
)

__all__ = [
    "ANALYSIS_VERSION",
    "DOCUMENT_FIELDS",
    "DOCUMENT_TYPES",
    "FACET_FIELDS",
    "FILTER_NAMES",
    "MAX_QUERY_CHARS",
    "MAX_QUERY_TERMS",
    "REQUIRED_FIELDS",
    "SCHEMA",
    "STRANDS",
    "Correction",
    "Hit",
    "IndexBusyError",
    "SearchBackend",
    "SearchIndex",
    "SearchResults",
    "analyse",
    "normalise_code",
    "normalise_project_code",
    "normalise_year_group",
]
