"""Full-text search over lessons, sequences, materials, observations and comments (Flask-free).

This is the only module that imports Whoosh. The app hands it plain dicts and gets back
``SearchResults``; everything Whoosh-specific stays here.

Public API::

    ix = SearchIndex(path)            # one per process; thread-safe; keeps a searcher open
    ix.exists() / ix.is_healthy() / ix.count() / ix.versions()   # key -> version, for verify
    ix.create()                       # fresh empty index (swapped in like a rebuild)
    ix.apply(upserts, deletes, timeout=2.0) -> bool   # False: locked/missing/damaged, retry
    ix.rebuild(docs, total, progress) -> int          # build beside, then swap in atomically
    ix.warm()                         # optional: preload per-segment data at worker start
    ix.search(text, access=[...], filters=None, include_archived=False,
              sort="relevance" | "newest", page=1, pagelen=20) -> SearchResults

Documents (``DOCUMENT_FIELDS``; ``REQUIRED_FIELDS`` are key, type, title, access)::

    key "lesson:12" (unique)   type lesson|sequence|material|observation|comment
    title, body, sequence_title (searched; title x3)        url, school_name, author (text)
    year_group "Y3"/"3"/"Year 3"/"R"   strand "F"   rtp ["3NF-2", "3NF–2"]   segment ["2.7"]
    spine, work_group, school (ids)    project_code "NCP 24-11"   academic_year "2024/25"
    status   updated (datetime; aware ones are stored as naive UTC)   archived (bool)
    access ["all", "hub:3", "wg:5", "school:7"] (visibility tokens; at least one)
    version (int)   extra (dict, stored as JSON and returned on Hit.extra)

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
lists sorted by score until the page is certain (see "Evaluation" below).
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import heapq
import itertools
import json
import logging
import math
import os
import re
import shutil
import tempfile
import threading
import time
import warnings
from array import array
from bisect import bisect_left
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, TypeVar

from markupsafe import escape
from whoosh import highlight, query
from whoosh.analysis import (
    Filter,
    LowercaseFilter,
    RegexTokenizer,
    StemFilter,
    StopFilter,
    Token,
)
from whoosh.fields import BOOLEAN, DATETIME, ID, KEYWORD, NUMERIC, STORED, TEXT, Schema
from whoosh.filedb.filestore import FileStorage
from whoosh.index import TOC, FileIndex, LockError
from whoosh.matching.wrappers import FilterMatcher
from whoosh.qparser import (
    GroupPlugin,
    MultifieldPlugin,
    OperatorsPlugin,
    PhrasePlugin,
    PrefixPlugin,
    QueryParser,
)
from whoosh.reading import TermNotFound
from whoosh.searching import Searcher
from whoosh.util.filelock import try_for

from app.core.markdown import SafeHtml
from app.core.text import is_whole_number

__all__ = [
    "DOCUMENT_FIELDS",
    "DOCUMENT_TYPES",
    "FACET_FIELDS",
    "FILTER_NAMES",
    "MAX_QUERY_CHARS",
    "MAX_QUERY_TERMS",
    "REQUIRED_FIELDS",
    "SCHEMA",
    "STRANDS",
    "Hit",
    "IndexBusyError",
    "SearchIndex",
    "SearchResults",
    "analyse",
    "normalise_code",
    "normalise_project_code",
    "normalise_year_group",
]

# --------------------------------------------------------------------------------------------
# Vocabulary
# --------------------------------------------------------------------------------------------

#: Document types the app indexes (``type`` field, ``type:`` filter).
DOCUMENT_TYPES: tuple[str, ...] = ("lesson", "sequence", "material", "observation", "comment")

#: Ready-to-progress strands (DfE 2020 KS1/2 guidance) and the words a ``strand:`` filter accepts.
STRANDS: dict[str, str] = {
    "NPV": "Number and place value",
    "NF": "Number facts",
    "AS": "Addition and subtraction",
    "MD": "Multiplication and division",
    "AS/MD": "Addition, subtraction, multiplication and division",
    "F": "Fractions",
    "G": "Geometry",
}

#: Fields a document dict may carry. Lists are accepted for rtp, segment and access.
DOCUMENT_FIELDS: tuple[str, ...] = (
    "key", "type", "title", "body", "sequence_title", "year_group", "strand", "rtp", "segment",
    "spine", "work_group", "project_code", "school", "school_name", "academic_year", "status",
    "author", "updated", "archived", "access", "version", "url", "extra", "sequence",
)  # fmt: skip
#: Fields every document must have (``access`` must hold at least one token).
REQUIRED_FIELDS: tuple[str, ...] = ("key", "type", "title", "access")

#: Facets returned with every search: facet name -> indexed field.
FACET_FIELDS: dict[str, str] = {
    "type": "type",
    "year_group": "year_group",
    "strand": "strand",
    "school": "school",
    "academic_year": "academic_year",
    "status": "status",
}

#: Filter names accepted as ``name:value`` in the query text and as keys of ``filters=``.
FILTER_NAMES: dict[str, str] = {
    "type": "type",
    "year": "year_group",
    "year_group": "year_group",
    "strand": "strand",
    "school": "school",
    "rtp": "rtp",
    "segment": "segment",
    "spine": "spine",
    "project": "project_code",
    "project_code": "project_code",
    "status": "status",
    "author": "author",
    "wg": "work_group",
    "work_group": "work_group",
    "ay": "academic_year",
    "academic_year": "academic_year",
    #: The sequence a lesson belongs to (or the sequence itself): "search in this sequence".
    "sequence": "sequence",
}

MAX_QUERY_CHARS = 500
MAX_QUERY_TERMS = 30
#: Below this many hits we look for a "did you mean" suggestion.
SUGGEST_BELOW = 3
#: Free-text fields and their query-time boosts (title x3, sequence title a little).
TEXT_FIELD_BOOSTS: dict[str, float] = {
    "title": 3.0,
    "body": 1.0,
    "sequence_title": 1.5,
    "codes": 1.0,
}
_MIN_PREFIX_CHARS = 2  # "a*" would expand to thousands of terms
_MAX_PREFIXES = 5  # each expands to up to _MAX_EXPANSIONS terms per field
_FUZZY_MIN_CHARS = 5
_SNIPPET_CHARS = 240
_SNIPPET_MATCHES = 16

# --------------------------------------------------------------------------------------------
# Analysis
# --------------------------------------------------------------------------------------------

_DASH_CHARS = "\u2010\u2011\u2013\u2212"  # hyphen, non-breaking hyphen, en dash, minus sign
_HYPHENS = "\\-" + _DASH_CHARS
# One regular expression for both indexing and queries. Maths tokens come first so they stay
# whole: RTP codes (3NF-2, 6AS/MD–3), fractions (3/4), decimals and segment numbers (2.7, 3.10,
# 12.5%), then any word holding a digit, optionally hyphen-joined (2x, 10%, NCP24-11, Y2-Y4).
# Plain words split on hyphens, so "part-whole" matches "whole". The first branch is a fast path
# for the common case, a run of letters not followed by a digit.
TOKEN_PATTERN = (
    r"[^\W\d_]+(?!\w)|"
    rf"\d+[^\W\d_]+(?:/[^\W\d_]+)?[{_HYPHENS}]\d+"
    rf"|\d+(?:/\d+)+(?![\w{_HYPHENS}])"
    rf"|\d+(?:\.\d+)+%?(?![\w{_HYPHENS}])"
    rf"|\w*\d\w*(?:[{_HYPHENS}]\w+)*%?"
    r"|\w+"
)
_TOKEN_RE = re.compile(TOKEN_PATTERN)
_DASH_TABLE = str.maketrans(dict.fromkeys(_DASH_CHARS, "-"))
_DIGIT_RE = re.compile(r"\d")


class DashFilter(Filter):
    """Map en dashes and minus signs to "-", so 3NF–2 and 3NF-2 are the same term."""

    def __call__(self, tokens: Iterable[Token]) -> Iterator[Token]:
        for t in tokens:
            t.text = t.text.translate(_DASH_TABLE)
            yield t


class MathsStemFilter(StemFilter):
    """Porter-stem words; tokens holding a digit (2x, 3NF–2, 10%) only get dashes normalised.

    Dashes can only sit inside digit-bearing tokens (see ``TOKEN_PATTERN``), so folding the
    dash fix in here saves a filter stage per token. A plain dict caches stems: Whoosh's LRU
    wrapper costs more than the stemming it saves on a corpus with a few thousand words.
    """

    def __call__(self, tokens: Iterable[Token]) -> Iterator[Token]:
        cache = _STEMS
        stem = self.stemfn
        digit = _DIGIT_RE.search
        for t in tokens:
            text = t.text
            if digit(text):
                t.text = text.translate(_DASH_TABLE)
            elif not t.stopped:
                stemmed = cache.get(text)
                if stemmed is None:
                    if len(cache) > 200_000:
                        cache.clear()
                    stemmed = cache[text] = stem(text)
                t.text = stemmed
            yield t


_STEMS: dict[str, str] = {}


def _text_analyzer() -> Any:
    # minsize=1 keeps single digits and letters ("2 times table", "x"); stop words still go.
    return (
        RegexTokenizer(TOKEN_PATTERN)
        | LowercaseFilter()
        | StopFilter(minsize=1)
        | MathsStemFilter()
    )


def _code_analyzer() -> Any:
    # Codes and names: no stemming and no stop list ("AS" is a strand, "R" a year group).
    return RegexTokenizer(TOKEN_PATTERN) | LowercaseFilter() | DashFilter()


def _updated_field() -> DATETIME:
    # Sorting reads the column; a range-query trie (8 terms per document) would only slow
    # indexing down.
    f = DATETIME(stored=True, sortable=True)
    f.shift_step = 0
    return f


_TEXT = _text_analyzer()

#: The Whoosh schema. Always passed when opening, so the pickled copy in the index is never read.
SCHEMA = Schema(
    key=ID(stored=True, unique=True, sortable=True),
    type=KEYWORD(stored=True, sortable=True),
    title=TEXT(analyzer=_TEXT, stored=True),
    body=TEXT(analyzer=_TEXT, stored=True),
    sequence_title=TEXT(analyzer=_TEXT, stored=True),
    #: Year group, strand, RTP codes, segments and project code as searchable words.
    codes=TEXT(analyzer=_code_analyzer()),
    year_group=KEYWORD(stored=True, sortable=True),
    strand=KEYWORD(stored=True, sortable=True),
    rtp=KEYWORD(stored=True),
    segment=KEYWORD(stored=True),
    spine=KEYWORD(stored=True),
    work_group=KEYWORD(stored=True),
    sequence=KEYWORD(stored=True),
    project_code=KEYWORD(stored=True),
    school=KEYWORD(stored=True, sortable=True),
    school_name=TEXT(analyzer=_code_analyzer(), stored=True, phrase=False),
    academic_year=KEYWORD(stored=True, sortable=True),
    status=KEYWORD(stored=True, sortable=True),
    author=TEXT(analyzer=_code_analyzer(), stored=True, phrase=False),
    updated=_updated_field(),
    archived=BOOLEAN(stored=True),
    access=KEYWORD(),
    # shift_step=0: one term per document, not a 16-term trie; nobody range-queries versions.
    version=NUMERIC(int, bits=64, stored=True, sortable=True, shift_step=0),
    url=STORED(),
    extra=STORED(),
)

_analysis_cache: dict[str, tuple[str, ...]] = {}


def analyse(text: str) -> list[str]:
    """Terms the free-text analyzer makes of ``text`` (lower-cased, stop words out, stemmed)."""
    return [t.text for t in _TEXT(text)]


def _analyse_word(word: str) -> tuple[str, ...]:
    # Snippets and suggestions analyse the same few hundred words over and over.
    hit = _analysis_cache.get(word)
    if hit is None:
        if len(_analysis_cache) > 50_000:
            _analysis_cache.clear()
        hit = _analysis_cache[word] = tuple(analyse(word))
    return hit


def normalise_code(value: str) -> str:
    """Upper-case a code and turn en dashes into hyphens: ``3nf–2`` -> ``3NF-2``."""
    return value.strip().translate(_DASH_TABLE).upper()


def normalise_project_code(value: str) -> str:
    """``NCP 24-11`` / ``ncp24–11`` -> ``NCP24-11``."""
    return re.sub(r"\s+", "", normalise_code(value))


def normalise_year_group(value: str) -> str:
    """``3``, ``y3``, ``Year 3`` -> ``Y3``; ``R``, ``YR``, ``Reception`` -> ``R``."""
    v = re.sub(r"[\s_]+", "", value).upper()
    if v in {"R", "YR", "YEARR", "RECEPTION", "EYFS"}:
        return "R"
    v = re.sub(r"^(YEAR|YR|Y)", "", v)
    if is_whole_number(v):
        return f"Y{int(v)}"
    return value.strip().upper()


def _strand_codes(value: str) -> list[str]:
    """Strand codes for a ``strand:`` value: a code (``F``, ``AS/MD``) or name words."""
    code = normalise_code(value)
    if code in STRANDS:
        return [code]
    words = [w.rstrip("s") for w in re.findall(r"[a-z]+", value.lower()) if w != "and"]
    if words:
        found = [
            c
            for c, name in STRANDS.items()
            if all(w in {n.rstrip("s") for n in re.findall(r"[a-z]+", name.lower())} for w in words)
        ]
        if found:
            return found
    return [code]  # unknown codes (e.g. KS3 ones) are matched as given


# --------------------------------------------------------------------------------------------
# Public result types
# --------------------------------------------------------------------------------------------


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


class IndexBusyError(RuntimeError):
    """Another process kept the index's write lock for longer than a rebuild waits."""


# --------------------------------------------------------------------------------------------
# Query text: typed filters, sanitising, parsing
# --------------------------------------------------------------------------------------------

_FILTER_RE = re.compile(
    r"(?<![^\s(])(?P<neg>-?)(?P<name>[A-Za-z_]+):(?:\"(?P<quoted>[^\"]*)\"|(?P<value>[^\s()\"]+))"
)
_LEX_RE = re.compile(r'-?"[^"]*"|-?\(|\)|[^\s()"]+')
_OPERATORS = {"AND", "OR", "NOT"}


@dataclass(slots=True)
class _Item:
    kind: Literal["word", "phrase", "open", "close", "op"]
    text: str
    negated: bool = False


@dataclass(slots=True)
class _ParsedText:
    items: list[_Item]
    #: (field, values, negated) constraints from typed filters.
    constraints: list[tuple[str, list[str], bool]]
    #: Typed filters as the user wrote them, kept for the suggestion string.
    filter_text: list[str]
    notes: list[str]


def _split_values(quoted: str | None, value: str | None) -> list[str]:
    if quoted is not None:
        return [quoted.strip()] if quoted.strip() else []
    return [v for v in (value or "").split(",") if v]


def _parse_text(raw: str) -> _ParsedText:
    """Split user text into typed filters and clean query items; record what was dropped."""
    notes: list[str] = []
    text = raw.replace("\u201c", '"').replace("\u201d", '"').replace("\x00", " ")
    if len(text) > MAX_QUERY_CHARS:
        text = text[:MAX_QUERY_CHARS]
        notes.append(f"Only the first {MAX_QUERY_CHARS} characters of your search were used.")

    constraints: list[tuple[str, list[str], bool]] = []
    filter_text: list[str] = []
    unknown: list[str] = []

    def take_filter(m: re.Match[str]) -> str:
        name = m.group("name").lower()
        target = FILTER_NAMES.get(name)
        if target is None:
            unknown.append(m.group("name") + ":")
            return " "
        values = _split_values(m.group("quoted"), m.group("value"))
        if values:
            constraints.append((target, values, bool(m.group("neg"))))
            filter_text.append(m.group(0))
        return " "

    text = _FILTER_RE.sub(take_filter, text)
    if unknown:
        notes.append(
            f"Unknown filter {', '.join(dict.fromkeys(unknown))} ignored "
            f"(filters: year, strand, type, school, rtp, segment, project, status, author)."
        )

    if text.count('"') % 2:
        # Drop the last, unmatched quote; the words after it become plain words.
        cut = text.rfind('"')
        text = text[:cut] + " " + text[cut + 1 :]
        notes.append("An unmatched quote mark was ignored.")

    items: list[_Item] = []
    dropped_wild = False
    for tok in _LEX_RE.findall(text):
        neg = tok.startswith("-") and len(tok) > 1
        body = tok[1:] if neg else tok
        if body.startswith('"'):
            phrase = body.strip('"').strip()
            if phrase:
                items.append(_Item("phrase", phrase, neg))
        elif body == "(":
            items.append(_Item("open", "(", neg))
        elif body == ")":
            items.append(_Item("close", ")"))
        elif body in _OPERATORS and not neg:
            items.append(_Item("op", body))
        else:
            word = body.lstrip("-")
            stars = word.endswith("*")
            core = word.replace("*", "")
            if "*" in word.rstrip("*") or (
                stars and len(re.sub(r"\W", "", core)) < _MIN_PREFIX_CHARS
            ):
                dropped_wild = True
                stars = False
            if not re.search(r"\w", core):
                if core or stars or word.startswith("*"):
                    dropped_wild = dropped_wild or "*" in word
                continue
            if stars and sum(it.text.endswith("*") for it in items) >= _MAX_PREFIXES:
                dropped_wild = True
                stars = False
            items.append(_Item("word", core + ("*" if stars else ""), neg))
    if dropped_wild:
        notes.append(
            f"Wildcards work only at the end of a word of {_MIN_PREFIX_CHARS}+ letters "
            f"(fract*), {_MAX_PREFIXES} at most; others were ignored."
        )

    items, structure_notes = _fix_structure(items)
    notes.extend(structure_notes)

    terms = 0
    capped: list[_Item] = []
    for it in items:
        if it.kind in ("word", "phrase"):
            terms += 1
            if terms > MAX_QUERY_TERMS:
                continue
        capped.append(it)
    if terms > MAX_QUERY_TERMS:
        notes.append(f"Only the first {MAX_QUERY_TERMS} words of your search were used.")
        capped, _ = _fix_structure(capped)
    return _ParsedText(capped, constraints, filter_text, notes)


def _fix_structure(items: list[_Item]) -> tuple[list[_Item], list[str]]:
    """Remove unbalanced brackets, empty groups and operators with nothing to join."""
    notes: list[str] = []
    stack: list[int] = []
    unmatched: set[int] = set()
    for i, it in enumerate(items):
        if it.kind == "open":
            stack.append(i)
        elif it.kind == "close":
            if stack:
                stack.pop()
            else:
                unmatched.add(i)
    unmatched.update(stack)
    if unmatched:
        notes.append("An unmatched bracket was ignored.")
        items = [it for i, it in enumerate(items) if i not in unmatched]

    dropped_op = False
    changed = True
    while changed:
        changed = False
        out: list[_Item] = []
        for i, it in enumerate(items):
            prev = out[-1] if out else None
            nxt = items[i + 1] if i + 1 < len(items) else None
            if it.kind == "op":
                starts_ok = it.text == "NOT" or (
                    prev is not None and prev.kind in ("word", "phrase", "close")
                )
                ends_ok = nxt is not None and (
                    nxt.kind in ("word", "phrase", "open")
                    or (nxt.kind == "op" and nxt.text == "NOT" and it.text != "NOT")
                )
                if not (starts_ok and ends_ok):
                    dropped_op = changed = True
                    continue
            if it.kind == "close" and prev is not None and prev.kind == "open":
                out.pop()  # "()" or "-()" says nothing
                changed = True
                continue
            out.append(it)
        items = out
    if dropped_op:
        notes.append("AND, OR and NOT need a word on each side; a lone one was ignored.")
    return items, notes


def _items_to_string(items: Sequence[_Item], replace: Mapping[int, str] | None = None) -> str:
    """Rebuild a clean query string for Whoosh's parser (``-x`` becomes ``NOT x``)."""
    parts: list[str] = []
    for i, it in enumerate(items):
        if it.negated:
            parts.append("NOT")
        if it.kind == "phrase":
            parts.append(f'"{it.text}"')
        elif it.kind == "word":
            parts.append(replace.get(i, it.text) if replace else it.text)
        else:
            parts.append(it.text)
    return " ".join(parts)


def _make_parser() -> QueryParser:
    # No FieldsPlugin (users cannot name fields), no Wildcard/Range/Boost/Every/PlusMinus: the
    # text is already cleaned, and "-" inside 3NF-2 must stay part of the word.
    parser = QueryParser(
        None,
        SCHEMA,
        plugins=[
            PhrasePlugin(),
            GroupPlugin(),
            PrefixPlugin(),
            OperatorsPlugin(AndNot=None, AndMaybe=None, Require=None),
            MultifieldPlugin(list(TEXT_FIELD_BOOSTS), fieldboosts=TEXT_FIELD_BOOSTS),
        ],
    )
    return parser


_PARSER = _make_parser()


def _constraint_query(fieldname: str, values: Sequence[str]) -> query.Query:
    """A filter query for one filter name: the values are OR-ed."""
    subs: list[query.Query] = []
    for raw in values:
        value = raw.strip()
        if not value:
            continue
        if fieldname == "year_group":
            if re.fullmatch(r"\d{4}/\d{2}", value):  # year:2024/25 means the academic year
                subs.append(query.Term("academic_year", value))
            else:
                subs.append(query.Term("year_group", normalise_year_group(value)))
        elif fieldname == "strand":
            subs.extend(query.Term("strand", c) for c in _strand_codes(value))
        elif fieldname == "rtp":
            code = re.sub(r"\s+", "", normalise_code(value))
            if re.search(r"-\d+$", code):
                subs.append(query.Term("rtp", code))
            else:  # rtp:3NF matches 3NF-1, 3NF-2, ...
                subs.append(query.Prefix("rtp", code.rstrip("-") + "-"))
        elif fieldname == "project_code":
            subs.append(query.Term("project_code", normalise_project_code(value)))
        elif fieldname == "type":
            v = value.lower()
            subs.append(
                query.Term("type", v[:-1] if v.endswith("s") and v[:-1] in DOCUMENT_TYPES else v)
            )
        elif fieldname in ("status", "academic_year", "segment", "spine", "work_group", "sequence"):
            subs.append(query.Term(fieldname, value.lower() if fieldname == "status" else value))
        elif fieldname == "school":
            words = [t.text for t in SCHEMA["school_name"].analyzer(value)]
            name_q = query.And([query.Term("school_name", w) for w in words]) if words else None
            subs.append(query.Or([query.Term("school", value)] + ([name_q] if name_q else [])))
        elif fieldname == "author":
            words = [t.text for t in SCHEMA["author"].analyzer(value)]
            if words:
                subs.append(query.And([query.Term("author", w) for w in words]))
    if not subs:
        return query.NullQuery
    return subs[0] if len(subs) == 1 else query.Or(subs)


# --------------------------------------------------------------------------------------------
# Documents
# --------------------------------------------------------------------------------------------


def _tokens(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [v for v in re.split(r"[\s,]+", value) if v]
    return [str(v).strip() for v in value if str(v).strip()]


def _naive_utc(value: datetime) -> datetime:
    # Whoosh compares naive datetimes; store UTC so aware and naive inputs sort together.
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value


def _to_fields(doc: Mapping[str, Any]) -> dict[str, Any]:
    """Validate and normalise one document dict into Whoosh field values."""
    unknown = set(doc) - set(DOCUMENT_FIELDS)
    if unknown:
        raise ValueError(f"unknown search document fields: {sorted(unknown)}")
    missing = [f for f in REQUIRED_FIELDS if not doc.get(f)]
    if missing:
        raise ValueError(f"search document {doc.get('key')!r} lacks {missing}")
    access = _tokens(doc["access"])
    if not access:
        raise ValueError(f"search document {doc['key']!r} has no access tokens")

    def text(name: str) -> str:
        v = doc.get(name)
        return "" if v is None else str(v)

    out: dict[str, Any] = {
        "key": str(doc["key"]),
        "type": str(doc["type"]).lower(),
        "title": text("title"),
        "body": text("body"),
        "sequence_title": text("sequence_title"),
        "access": " ".join(access),
        "archived": bool(doc.get("archived", False)),
        "version": int(doc.get("version") or 0),
        "url": text("url"),
        "school_name": text("school_name"),
        "author": text("author"),
    }
    codes: list[str] = []
    if doc.get("year_group"):
        out["year_group"] = normalise_year_group(str(doc["year_group"]))
        codes.append(out["year_group"])
    if doc.get("strand"):
        out["strand"] = normalise_code(str(doc["strand"]))
        codes.append(out["strand"])
    rtp = [re.sub(r"\s+", "", normalise_code(c)) for c in _tokens(doc.get("rtp"))]
    if rtp:
        out["rtp"] = " ".join(rtp)
        codes.extend(rtp)
    segments = _tokens(doc.get("segment"))
    if segments:
        out["segment"] = " ".join(segments)
        codes.extend(segments)
    for name in ("spine", "work_group", "school", "academic_year", "sequence"):
        if doc.get(name) not in (None, ""):
            out[name] = str(doc[name]).strip().replace(" ", "_")
    if out.get("spine"):
        codes.append(out["spine"])
    if doc.get("status"):
        out["status"] = str(doc["status"]).strip().lower()
    if doc.get("project_code"):
        code = normalise_project_code(str(doc["project_code"]))
        out["project_code"] = code
        # Both "NCP24-11" and "NCP 24-11" typed as words should find it.
        codes.extend([code, re.sub(r"^([A-Z]+)(\d)", r"\1 \2", code)])
    if codes:
        out["codes"] = " ".join(codes)
    if isinstance(doc.get("updated"), datetime):
        out["updated"] = _naive_utc(doc["updated"])
    extra = doc.get("extra")
    if extra is not None:
        out["extra"] = extra if isinstance(extra, str) else json.dumps(extra, default=str)
    return out


# --------------------------------------------------------------------------------------------
# Snippets
# --------------------------------------------------------------------------------------------


class MarkFormatter(highlight.Formatter):
    """Whoosh formatter that escapes all text and wraps matched words in ``<mark>``."""

    between = " \u2026 "

    def _text(self, text: str) -> str:
        return str(escape(text))

    def format_token(self, text: str, token: Token, replace: bool = False) -> str:
        """One matched word, escaped, inside ``<mark>``."""
        return f"<mark>{escape(highlight.get_text(text, token, replace))}</mark>"

    def format_fragment(self, fragment: highlight.Fragment, replace: bool = False) -> str:
        """A fragment with an ellipsis where it cuts into the text."""
        inner = super().format_fragment(fragment, replace=replace)
        lead = "\u2026 " if fragment.startchar > 0 else ""
        tail = " \u2026" if fragment.endchar < len(fragment.text) else ""
        return f"{lead}{inner.strip()}{tail}"

    def format(self, fragments: Sequence[highlight.Fragment], replace: bool = False) -> str:
        """Join fragments without doubling the ellipses."""
        return " ".join(self.format_fragment(f, replace=replace) for f in fragments)


@dataclass(frozen=True, slots=True)
class _HighlightTerms:
    exact: frozenset[str]
    prefixes: tuple[str, ...]
    finder: re.Pattern[str] | None


def _highlight_terms(q: query.Query, views: Sequence[_SegView]) -> _HighlightTerms:
    """Positive free-text terms and prefixes of a query (fuzzy terms expanded)."""
    exact: set[str] = set()
    prefixes: set[str] = set()

    def walk(node: query.Query) -> None:
        if isinstance(node, query.Not):
            return
        if isinstance(node, query.AndNot):
            walk(node.a)
            return
        if isinstance(node, query.FuzzyTerm):
            if node.fieldname in TEXT_FIELD_BOOSTS:
                for v in views:  # expansions are cached per segment
                    exact.update(v.expand(node))
            return
        if isinstance(node, query.Prefix):
            if node.fieldname in TEXT_FIELD_BOOSTS:
                prefixes.add(node.text)
            return
        if isinstance(node, query.Term):
            if node.fieldname in TEXT_FIELD_BOOSTS:
                exact.add(node.text)
            return
        if isinstance(node, query.Phrase):
            if node.fieldname in TEXT_FIELD_BOOSTS:
                exact.update(node.words)
            return
        for child in node.children():
            walk(child)

    walk(q)
    # Porter keeps the first letters of a word, so the first three characters of a term find
    # every surface form worth analysing; the rest of the text is never tokenised.
    heads = {t[:3] for t in exact | prefixes if t}
    finder = None
    if heads:
        alts = "|".join(re.escape(h) for h in sorted(heads, key=len, reverse=True))
        finder = re.compile(rf"(?<!\w)(?:{alts})", re.IGNORECASE)
    return _HighlightTerms(frozenset(exact), tuple(prefixes), finder)


def _matched_tokens(text: str, terms: _HighlightTerms, limit: int = 0) -> Iterator[Token]:
    """Tokens of ``text`` whose analysed form matches a query term, with char offsets.

    With ``limit``, stop after that many matches: two fragments never need more, and common
    words can match hundreds of times in a long plan.
    """
    if terms.finder is None:
        return
    end = -1
    found = 0
    for m in terms.finder.finditer(text):
        start = m.start()
        if start < end:
            continue
        tm = _TOKEN_RE.match(text, start)
        if tm is None:
            continue
        end = tm.end()
        for form in _analyse_word(tm.group(0)):
            if form in terms.exact or form.startswith(terms.prefixes):
                tok = Token(positions=False, chars=True)
                tok.text, tok.startchar, tok.endchar, tok.matched = form, start, end, True
                yield tok
                found += 1
                break
        if found == limit:
            return


_FRAGMENTER = highlight.PinpointFragmenter(maxchars=160, surround=50, autotrim=True, charlimit=0)
_FORMATTER = MarkFormatter()


def _snippet(text: str, terms: _HighlightTerms) -> SafeHtml:
    """Up to two escaped fragments of ``text`` around matched words; else its opening.

    With app.core.markdown, the only code that builds SafeHtml: MarkFormatter escapes the text
    and adds only <mark> tags.
    """
    tokens = list(_matched_tokens(text, terms, limit=_SNIPPET_MATCHES))
    if tokens:
        fragments = highlight.top_fragments(
            _FRAGMENTER.fragment_matches(text, tokens),
            2,
            highlight.BasicFragmentScorer(),
            highlight.FIRST,
        )
        if fragments:
            return SafeHtml(_FORMATTER.format(fragments))
    if len(text) <= _SNIPPET_CHARS:
        return SafeHtml(escape(text))
    cut = text.rfind(" ", 0, _SNIPPET_CHARS)
    return SafeHtml(escape(text[: cut if cut > 0 else _SNIPPET_CHARS])) + " \u2026"


# --------------------------------------------------------------------------------------------
# Evaluation: doc sets as Python ints, BM25 ranking on cached postings
# --------------------------------------------------------------------------------------------
# Why not Searcher.search(): Whoosh scores every matching document in Python (about 2.5 us per
# document per field), and exact totals plus facets need every match, so a common word over
# 50,000 lessons costs well over 100 ms; its block-quality skipping rarely fires with BM25
# length normalisation. Instead, doc sets are Python ints used as bitsets (AND, OR and popcount
# run in C), cached per segment (segments never change; deletions are masked at query time),
# and ranking walks per-term lists sorted by score (Fagin's threshold algorithm), stopping once
# the page is certain. Whoosh still does analysis, storage, parsing, term expansion, locking.

_BM25_K1 = 1.2
_BM25_B = 0.75
#: At or below this many matches in a segment, always score them all instead of walking lists.
_EXHAUSTIVE = 64
#: Prefix and fuzzy terms expand to at most this many index terms (most frequent kept).
_MAX_EXPANSIONS = 128
#: Per segment: cached scored postings (entries) and doc-set ints (count) before eviction.
_SCORED_BUDGET = 1_500_000  # about 16 bytes each
_BITS_BUDGET = 4096
_BYTE_BITS = tuple(tuple(i for i in range(8) if b >> i & 1) for b in range(256))


def _bits_from_ids(ids: Iterable[int], n: int) -> int:
    """A doc set (bit d set for doc d) from document numbers below n."""
    buf = bytearray((n >> 3) + 1)
    for d in ids:
        buf[d >> 3] |= 1 << (d & 7)
    return int.from_bytes(buf, "little")


def _iter_bits(bits: int) -> Iterator[int]:
    """Document numbers in a doc set, ascending."""
    data = bits.to_bytes((bits.bit_length() + 7) >> 3, "little")
    for i, byte in enumerate(data):
        if byte:
            base = i << 3
            for j in _BYTE_BITS[byte]:
                yield base + j


def _raw_postings(reader: Any, fieldname: str, text: Any) -> Any:
    """Postings of a term in a segment, deleted documents included (None if absent)."""
    try:
        m = reader.postings(fieldname, text)
    except TermNotFound:
        return None
    # Deletions change on every update; caching the raw postings and masking deleted documents
    # per query keeps the caches of a big segment valid across saves.
    return m.child if isinstance(m, FilterMatcher) else m


@dataclass(slots=True)
class _Scored:
    """BM25 contributions of one term (or expanded term) in one segment."""

    ids: array[int]  # ascending document numbers
    parts: array[float]  # score of ids[i]
    order: array[int]  # document numbers, best first
    ranked: array[float]  # score of order[i]

    @classmethod
    def build(cls, scores: Mapping[int, float]) -> _Scored:
        ids = array("i", sorted(scores))
        ranked_pairs = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
        return cls(
            ids,
            array("d", (scores[d] for d in ids)),
            array("i", (d for d, _ in ranked_pairs)),
            array("d", (s for _, s in ranked_pairs)),
        )

    def get(self, d: int) -> float:
        i = bisect_left(self.ids, d)
        return self.parts[i] if i < len(self.ids) and self.ids[i] == d else 0.0


class _LazyLengths(dict[int, int]):
    """Field lengths looked up one document at a time."""

    def __init__(self, fetch: Callable[[int], int]) -> None:
        super().__init__()
        self._fetch = fetch

    def __missing__(self, d: int) -> int:
        return self._fetch(d)


class _SegmentCache:
    """Data derived from one immutable segment, reused until the segment is merged away."""

    def __init__(self) -> None:
        self.bits: OrderedDict[Any, int] = OrderedDict()
        self.scored: OrderedDict[Any, _Scored] = OrderedDict()
        self.scored_size = 0
        self.phrases: dict[Any, tuple[int, int]] = {}  # key -> (checked, verified)
        self.lengths: dict[str, list[int]] = {}
        self.newest: list[int] | None = None
        self.updated: list[int] | None = None
        self.facet_terms: dict[str, list[str]] = {}
        self.expansions: dict[Any, list[str]] = {}
        self.live: tuple[int, int] | None = None  # (deleted count, live docs)
        self.allowed: OrderedDict[Any, int] = OrderedDict()


class _SegView:
    """One segment during one search: its reader, offset, cache and the caller's allowed set."""

    def __init__(self, searcher: Searcher, sub: Searcher, offset: int, cache: _SegmentCache):
        self.searcher = searcher  # top level, for collection statistics
        self.sub = sub
        self.reader = sub.reader()
        self.offset = offset
        self.cache = cache
        self.n = self.reader.doc_count_all()
        self.all = (1 << self.n) - 1
        self.allowed = 0

    # -- doc sets --------------------------------------------------------------------------

    def live(self) -> int:
        deleted = list(self.reader.segment().deleted_docs() or ())
        cached = self.cache.live
        if cached is None or cached[0] != len(deleted):
            mask = _bits_from_ids(deleted, self.n) if deleted else 0
            cached = self.cache.live = (len(deleted), self.all & ~mask)
        return cached[1]

    def term_bits(self, fieldname: str, text: Any) -> int:
        key = (fieldname, text)
        cache = self.cache.bits
        bits = cache.get(key)
        if bits is not None:
            cache.move_to_end(key)
            return bits
        m = _raw_postings(self.reader, fieldname, text)
        bits = 0 if m is None else _bits_from_ids(m.all_ids(), self.n)
        cache[key] = bits
        if len(cache) > _BITS_BUDGET:
            cache.popitem(last=False)
        return bits

    def expand(self, node: query.Query) -> list[str]:
        """Index terms a Prefix or FuzzyTerm stands for in this segment (most frequent first)."""
        fuzzy = isinstance(node, query.FuzzyTerm)
        key = (
            (node.fieldname, node.text, node.maxdist, node.prefixlength)
            if fuzzy
            else (node.fieldname, node.text)
        )
        cache = self.cache.expansions
        terms = cache.get(key)
        if terms is None:
            if len(cache) > 1024:
                cache.clear()
            terms = cache[key] = self._expand(node)
        return terms

    def _expand(self, node: query.Query) -> list[str]:
        r = self.reader
        if isinstance(node, query.FuzzyTerm):
            terms = list(r.terms_within(node.fieldname, node.text, node.maxdist, node.prefixlength))
        else:
            fieldobj = SCHEMA[node.fieldname]
            terms = [fieldobj.from_bytes(b) for b in r.expand_prefix(node.fieldname, node.text)]
        if len(terms) > _MAX_EXPANSIONS:
            terms.sort(key=lambda t: -r.doc_frequency(node.fieldname, t))
            del terms[_MAX_EXPANSIONS:]
        return terms

    def newest(self) -> tuple[list[int], list[int]]:
        """(update times, document numbers newest first), from the sortable column."""
        cache = self.cache
        if cache.newest is None or cache.updated is None:
            values = list(self.reader.column_reader("updated", translate=False))
            cache.updated = values
            cache.newest = sorted(range(self.n), key=lambda d: (-values[d], d))
        return cache.updated, cache.newest

    def facet_values(self, fieldname: str) -> list[str]:
        values = self.cache.facet_terms.get(fieldname)
        if values is None:
            values = self.cache.facet_terms[fieldname] = list(self.reader.field_terms(fieldname))
        return values

    # -- scores ----------------------------------------------------------------------------

    def idf(self, fieldname: str, text: Any) -> float:
        n = self.searcher.doc_count_all()
        df = self.searcher.doc_frequency(fieldname, text)
        return math.log(1 + (n - df + 0.5) / (df + 0.5))

    def _lengths(self, fieldname: str) -> list[int]:
        lengths = self.cache.lengths.get(fieldname)
        if lengths is None:
            dfl = self.reader.doc_field_length
            lengths = self.cache.lengths[fieldname] = [dfl(d, fieldname) for d in range(self.n)]
        return lengths

    def _add_parts(self, into: dict[int, float], fieldname: str, text: str, factor: float) -> None:
        m = _raw_postings(self.reader, fieldname, text)
        if m is None:
            return
        if (
            fieldname in self.cache.lengths
            or self.reader.doc_frequency(fieldname, text) * 8 > self.n
        ):
            lengths: Any = self._lengths(fieldname)
        else:  # a rare term: look up just its documents rather than load the whole column
            dfl = self.reader.doc_field_length
            lengths = _LazyLengths(lambda d: dfl(d, fieldname))
        avg = self.searcher.avg_field_length(fieldname) or 1.0
        k1, b = _BM25_K1, _BM25_B
        norm = k1 * (1 - b)
        slope = k1 * b / avg
        while m.is_active():
            d = m.id()
            tf = m.weight()
            into[d] = into.get(d, 0.0) + factor * tf * (k1 + 1) / (tf + norm + slope * lengths[d])
            m.next()

    def scored(self, key: Any, terms: Callable[[], Sequence[tuple[str, str, float]]]) -> _Scored:
        """Cached scores for ``terms()`` ((field, text, factor)) summed per document."""
        cache = self.cache.scored
        found = cache.get(key)
        if found is not None:
            cache.move_to_end(key)
            return found
        parts: dict[int, float] = {}
        for fieldname, text, factor in terms():
            self._add_parts(parts, fieldname, text, factor)
        found = cache[key] = _Scored.build(parts)
        self.cache.scored_size += len(found.ids)
        while self.cache.scored_size > _SCORED_BUDGET and len(cache) > 1:
            _, old = cache.popitem(last=False)
            self.cache.scored_size -= len(old.ids)
        return found

    # -- phrases ---------------------------------------------------------------------------

    def phrase_bits(self, fieldname: str, words: Sequence[str], candidates: int) -> int:
        """Candidates (holding every word) where the words are adjacent, in order."""
        key = (fieldname, tuple(words))
        checked, verified = self.cache.phrases.get(key, (0, 0))
        todo = candidates & ~checked
        if todo:
            matchers = [_raw_postings(self.reader, fieldname, w) for w in words]
            if any(m is None for m in matchers):
                return 0
            found = []
            for d in _iter_bits(todo):
                positions = []
                for m in matchers:
                    m.skip_to(d)
                    positions.append(m.value_as("positions"))
                later = [set(p) for p in positions[1:]]
                if any(all(p + i in s for i, s in enumerate(later, 1)) for p in positions[0]):
                    found.append(d)
            verified |= _bits_from_ids(found, self.n)
            checked |= todo
            self.cache.phrases[key] = (checked, verified)
        return verified & candidates


_LEAVES = (query.Term, query.Phrase, query.Prefix)  # FuzzyTerm is a Term


def _is_text_leaf(node: query.Query) -> bool:
    return isinstance(node, _LEAVES) and node.fieldname in TEXT_FIELD_BOOSTS


def _leaf_bits(node: query.Query, v: _SegView) -> int:
    """Documents of segment ``v`` holding a term, a phrase, or any expansion of a prefix."""
    if isinstance(node, query.Phrase):
        words = list(node.words)
        if not words:
            return 0
        bits = v.all
        for w in words:
            bits &= v.term_bits(node.fieldname, w)
        if bits and len(words) > 1:
            # Positions are checked only where the caller may look, and cached.
            bits = v.phrase_bits(node.fieldname, words, bits & v.allowed)
        return bits
    if isinstance(node, query.Prefix | query.FuzzyTerm):
        bits = 0
        for t in v.expand(node):
            bits |= v.term_bits(node.fieldname, t)
        return bits
    return v.term_bits(node.fieldname, node.text)


def _add_ranking(lists: list[_Scored], v: _SegView, leaves: Sequence[query.Query]) -> None:
    """One ranking list for leaves that stand for one word (its Or across text fields)."""

    def key(leaf: query.Query) -> tuple[Any, ...]:
        text = tuple(leaf.words) if isinstance(leaf, query.Phrase) else leaf.text
        return (type(leaf).__name__, leaf.fieldname, text, leaf.boost)

    def specs() -> list[tuple[str, str, float]]:
        out: list[tuple[str, str, float]] = []
        for leaf in leaves:
            f = leaf.fieldname
            if isinstance(leaf, query.Phrase):
                terms = list(dict.fromkeys(leaf.words))
            elif isinstance(leaf, query.Prefix | query.FuzzyTerm):
                terms = v.expand(leaf)
            else:
                terms = [leaf.text]
            # idf is fixed when the list is built; it drifts only as the collection grows.
            out.extend((f, t, leaf.boost * v.idf(f, t)) for t in terms)
        return out

    lists.append(v.scored(tuple(key(leaf) for leaf in leaves), specs))


def _evaluate(node: query.Query, v: _SegView, lists: list[_Scored] | None) -> int:
    """Documents of segment ``v`` matching ``node``; adds ranking lists when ``lists`` is given.

    Negated parts pass ``lists=None``: they narrow the set but never score.
    """
    if node is query.NullQuery or isinstance(node, type(query.NullQuery)):
        return 0
    if isinstance(node, query.Every):
        return v.all
    if isinstance(node, query.And):
        bits = v.all
        for child in node.children():
            bits &= _evaluate(child, v, lists)
            if not bits:
                return 0
        return bits
    if isinstance(node, query.Or):
        children = list(node.children())
        if lists is not None and children and all(_is_text_leaf(c) for c in children):
            # One word across title, body, sequence title and codes: rank it as one list, so
            # the threshold walk has fewer, tighter lists.
            bits = 0
            for child in children:
                bits |= _leaf_bits(child, v)
            if bits:
                _add_ranking(lists, v, children)
            return bits
        bits = 0
        for child in children:
            bits |= _evaluate(child, v, lists)
        return bits
    if isinstance(node, query.AndNot):
        return _evaluate(node.a, v, lists) & ~_evaluate(node.b, v, None)
    if isinstance(node, query.Not):
        return v.all & ~_evaluate(node.query, v, None)
    if isinstance(node, _LEAVES):
        bits = _leaf_bits(node, v)
        if bits and lists is not None and node.fieldname in TEXT_FIELD_BOOSTS:
            _add_ranking(lists, v, [node])
        return bits
    # Anything else (not produced by our parser): let Whoosh enumerate it, unscored.
    return _bits_from_ids(node.docs(v.sub), v.n)


def _top(lists: Sequence[_Scored], matched: int, k: int) -> list[tuple[float, int]]:
    """The k best (score, doc) of ``matched`` under the summed lists, best first."""
    if not lists or not matched or k <= 0:
        return []
    columns = [(sc.ids, sc.parts, len(sc.ids)) for sc in lists]

    def score(d: int) -> float:
        total = 0.0
        for ids, parts, n in columns:
            i = bisect_left(ids, d)
            if i < n and ids[i] == d:
                total += parts[i]
        return total

    # Scoring every match costs |M| x lists; the threshold walk costs about k / density steps
    # per list, where density = |M| / longest list. Pick the cheaper (tests set _EXHAUSTIVE
    # to 0 to force the walk).
    count = matched.bit_count()
    longest = max(len(sc.order) for sc in lists)
    if count <= _EXHAUSTIVE or (_EXHAUSTIVE and count * count <= 4 * k * longest):
        best = heapq.nlargest(k, ((score(d), -d) for d in _iter_bits(matched)))
        return [(sc, -nd) for sc, nd in best]
    member = matched.to_bytes((matched.bit_length() + 7) >> 3, "little")
    size = len(member)
    heap: list[tuple[float, int]] = []  # k best so far as (score, -doc), worst on top
    seen: set[int] = set()
    heads = [(sc.order, sc.ranked, len(sc.order)) for sc in lists]
    depth = 0
    while depth < longest:
        threshold = 0.0
        for order, ranked, n in heads:
            if depth < n:
                threshold += ranked[depth]
                d = order[depth]
                if d in seen:
                    continue
                seen.add(d)
                i = d >> 3
                if i < size and member[i] >> (d & 7) & 1:
                    item = (score(d), -d)
                    if len(heap) < k:
                        heapq.heappush(heap, item)
                    elif item > heap[0]:
                        heapq.heapreplace(heap, item)
        # No unseen document can score more than the sum of the current list heads.
        if len(heap) >= k and heap[0][0] >= threshold:
            break
        depth += 1
    return [(sc, -nd) for sc, nd in sorted(heap, reverse=True)]


# --------------------------------------------------------------------------------------------
# The index
# --------------------------------------------------------------------------------------------

_log = logging.getLogger(__name__)
_INDEX_NAME = "MAIN"
_WRITELOCK = f"{_INDEX_NAME}_WRITELOCK"


class _Damaged(Exception):
    """Reading or writing the index failed (the original traceback is dropped)."""


_T = TypeVar("_T")


def _guarded(fn: Callable[[], _T]) -> _T:
    """Run ``fn`` against a possibly damaged index; failures become ``_Damaged``.

    Whoosh leaves files open when a damaged segment or TOC fails to load, and the traceback
    keeps them alive. The exception is dropped and collected here, with ResourceWarning muted,
    so the warning does not surface later at random (an error under filterwarnings=error).
    LockError passes through untouched.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        try:
            return fn()
        except LockError:
            raise
        except Exception as exc:  # noqa: BLE001 - re-raised below without its frames
            failure = f"{type(exc).__name__}: {exc}"
        gc.collect()
    raise _Damaged(failure)


def _exchange_dirs(a: Path, b: Path) -> bool:
    """Atomically swap two directories (Linux renameat2 RENAME_EXCHANGE); False if unsupported."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    rc = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
    return rc == 0


class SearchIndex:
    """A Whoosh index in one directory; safe to share between threads and processes."""

    #: How long ``rebuild`` waits for a running ``apply`` in another process to finish.
    rebuild_lock_timeout = 60.0

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._lock = threading.RLock()
        self._ix: FileIndex | None = None
        self._searcher: Searcher | None = None
        self._ident: tuple[int, int] | None = None
        # Segment id -> data derived from that segment (doc sets, scores, allowed sets).
        self._segcaches: dict[str, _SegmentCache] = {}
        # Spelling candidates for the current searcher generation.
        self._spell: dict[Any, list[str]] = {}

    # ---- lifecycle ---------------------------------------------------------------------

    def exists(self) -> bool:
        """True if the directory holds an index (it may still be unreadable)."""
        try:
            return TOC._latest_generation(FileStorage(str(self.path)), _INDEX_NAME) > -1
        except OSError:
            return False

    def create(self) -> None:
        """Replace whatever is at ``path`` with a fresh, empty index."""
        self.rebuild([], total=0)

    def is_healthy(self) -> bool:
        """Open the index and read from it; False (never an exception) if that fails."""

        def probe() -> None:
            with self._open().searcher() as s:
                for sub, _offset in s.leaf_searchers():
                    r = sub.reader()
                    if r.doc_count_all():
                        r.stored_fields(0)
                        next(iter(r.column_reader("version")), None)
                        next(iter(r.lexicon("body")), None)

        try:
            _guarded(probe)
            return True
        except Exception:  # noqa: BLE001 - any failure means "rebuild me"
            return False

    def count(self) -> int:
        """Number of documents in the index (0 if it is missing)."""
        with self._lock:
            s = self._current_searcher()
            return 0 if s is None else s.doc_count()

    def versions(self) -> dict[str, int]:
        """``key -> version`` for every indexed document, read from columns (for verify)."""
        with self._lock:
            s = self._current_searcher()
            if s is None:
                return {}
            out: dict[str, int] = {}
            for sub, _offset in s.leaf_searchers():
                r = sub.reader()
                keys = r.column_reader("key")
                vers = r.column_reader("version")
                for docnum in r.all_doc_ids():
                    key = keys[docnum]
                    out[key.decode() if isinstance(key, bytes) else key] = int(vers[docnum])
            return out

    def apply(
        self, upserts: Sequence[Mapping[str, Any]], deletes: Sequence[str], timeout: float = 2.0
    ) -> bool:
        """Add/replace and delete documents in one commit; False if locked or unavailable.

        Raises ValueError for an invalid document (before any change is made).
        """
        fields = [_to_fields(d) for d in upserts]
        if not fields and not deletes:
            return True
        try:
            ix = _guarded(self._open)
            writer = _guarded(lambda: ix.writer(timeout=timeout, delay=0.05))
        except LockError:
            return False
        except Exception:  # noqa: BLE001 - missing or corrupt index: the caller retries later
            return False

        def write() -> None:
            for key in deletes:
                writer.delete_by_term("key", str(key))
            for doc in fields:
                writer.update_document(**doc)
            writer.commit()

        try:
            _guarded(write)
        except Exception:  # noqa: BLE001 - e.g. a damaged segment met while merging
            with contextlib.suppress(Exception):
                writer.cancel()
            _log.exception("search index %s: apply failed; rebuild it", self.path)
            return False
        return True

    def rebuild(
        self,
        docs: Iterable[Mapping[str, Any]],
        total: int | None = None,
        progress: Callable[[int], None] | None = None,
        *,
        procs: int | None = None,
    ) -> int:
        """Build a new index beside the live one, then swap it in; returns documents indexed.

        While it runs the live index's write lock is held, so ``apply`` in other processes
        returns False and the caller's retry lands in the new index. ``procs`` defaults to 2
        worker processes for 1,000+ documents on a multi-core machine, else 1.
        """
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{self.path.name}.build-", dir=self.path.parent))
        live_lock = None
        try:
            if self.path.is_dir():
                live_lock = FileStorage(str(self.path)).lock(_WRITELOCK)
                if not try_for(live_lock.acquire, self.rebuild_lock_timeout, 0.1):
                    live_lock = None
                    raise IndexBusyError(f"{self.path} is locked by another writer")
            ix = FileIndex.create(FileStorage(str(tmp)), SCHEMA, _INDEX_NAME)
            if procs is None:
                procs = 2 if (total or 0) >= 1000 and (os.cpu_count() or 1) >= 2 else 1
            if procs > 1:
                # Analysis is pure Python, so two processes nearly double throughput. Each
                # writes its own segment; multisegment skips a costly merge of the two, which
                # costs searches almost nothing. 128 MB each keeps the pools in memory.
                writer = ix.writer(procs=procs, multisegment=True, limitmb=128)
            else:
                writer = ix.writer(limitmb=256)
            step = max(1, min(500, (total or 0) // 100 or 500))
            n = 0
            try:
                for doc in docs:
                    writer.add_document(**_to_fields(doc))
                    n += 1
                    if progress is not None and n % step == 0:
                        progress(n)
                writer.commit()
            except BaseException:
                writer.cancel()
                raise
            ix.close()
            if progress is not None:
                progress(n)
            self._swap_in(tmp)
            return n
        finally:
            if live_lock is not None:
                with contextlib.suppress(Exception):
                    live_lock.release()
            shutil.rmtree(tmp, ignore_errors=True)
            self._drop_searcher()

    def close(self) -> None:
        """Close the cached searcher (it reopens on the next search)."""
        self._drop_searcher()

    # ---- internals ---------------------------------------------------------------------

    def _open(self) -> FileIndex:
        # Passing SCHEMA means the pickled schema in the TOC is never unpickled.
        return FileIndex(FileStorage(str(self.path)), schema=SCHEMA, indexname=_INDEX_NAME)

    def _swap_in(self, new: Path) -> None:
        """Make ``new`` the live directory; readers see the old or the new index, whole."""
        target = self.path
        if not target.exists():
            os.rename(new, target)
            return
        if _exchange_dirs(new, target):
            return  # ``new`` now holds the old index; the caller removes it
        # No atomic exchange on this platform: two renames, with a moment of "missing" that
        # readers treat as unavailable (never as a half-built index).
        old = target.with_name(f".{target.name}.old-{os.getpid()}-{time.monotonic_ns()}")
        os.rename(target, old)
        os.rename(new, target)
        shutil.rmtree(old, ignore_errors=True)

    def _drop_searcher(self) -> None:
        with self._lock:
            if self._searcher is not None:
                with contextlib.suppress(Exception):
                    self._searcher.close()
            self._searcher = None
            self._ix = None
            self._ident = None
            self._segcaches.clear()
            self._spell.clear()

    def _current_searcher(self) -> Searcher | None:
        """The cached searcher, refreshed if the index changed; None if unavailable."""
        try:
            st = os.stat(self.path)
        except OSError:
            self._drop_searcher()
            return None
        ident = (st.st_dev, st.st_ino)
        if self._searcher is not None and self._ix is not None and ident == self._ident:
            try:
                # Listing the directory is the whole cost when nothing changed.
                if self._ix.latest_generation() == self._searcher.reader().generation():
                    return self._searcher
            except Exception:  # noqa: BLE001 - e.g. files removed under us; reopen below
                pass
            # Not Searcher.refresh(): in whoosh-reloaded 2.7.5 it reuses segment readers by
            # segment id, so it keeps the old deletions (updated documents stay findable) and
            # re-adds merged-away segments. A fresh searcher costs a few milliseconds, and
            # the segment caches survive because segment ids never change meaning.
            old, self._searcher = self._searcher, None
            with contextlib.suppress(Exception):
                old.close()
            self._spell.clear()
            try:
                self._searcher = _guarded(self._ix.searcher)
                return self._searcher
            except Exception:  # noqa: BLE001 - fall through to a full reopen
                pass
        self._drop_searcher()
        for attempt in range(2):
            try:
                ix = _guarded(self._open)
                self._searcher = _guarded(ix.searcher)
                self._ix, self._ident = ix, ident
                return self._searcher
            except Exception:  # noqa: BLE001 - missing/corrupt: report unavailable
                if attempt == 0:
                    time.sleep(0.05)  # a non-atomic swap may be mid-way
        return None

    # ---- search ------------------------------------------------------------------------

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
    ) -> SearchResults:
        """Search as a caller holding ``access`` tokens; never raises on user input.

        ``text`` may hold words (all must match), "phrases", -exclusions, OR, brackets,
        prefix* and typed filters (year:3, strand:fractions, type:lesson, school:7, rtp:3NF-2,
        segment:2.7, project:NCP24-11, status:approved, author:, spine:, wg:, ay:). ``filters``
        takes the same names (or facet names) mapped to lists of values; values of one name
        are OR-ed, names are AND-ed. Empty text lists everything allowed, newest first.
        """
        page = max(1, int(page))
        pagelen = min(max(1, int(pagelen)), 100)
        parsed = _parse_text(text or "")
        notes = list(parsed.notes)

        constraints = list(parsed.constraints)
        for name, values in (filters or {}).items():
            target = FILTER_NAMES.get(name)
            vals = [str(v) for v in values if v]
            if target is None:
                notes.append(f"Unknown filter {name} ignored.")
            elif vals:
                constraints.append((target, vals, False))

        tokens = sorted({str(a) for a in access if a})
        if not tokens:
            return _empty(notes)
        # The permission filter: a Whoosh query over the access field, AND-ed with the typed
        # filters and the archive flag. Nothing the user types reaches it except as a narrower
        # constraint.
        must: list[query.Query] = [query.Or([query.Term("access", t) for t in tokens])]
        if not include_archived:
            must.append(query.Term("archived", False))
        nots: list[query.Query] = []
        for fieldname, values, negated in constraints:
            (nots if negated else must).append(_constraint_query(fieldname, values))
        filter_q: query.Query = query.And(must)
        if nots:
            filter_q = query.AndNot(filter_q, query.Or(nots))
        filter_key = (
            tuple(tokens),
            include_archived,
            tuple((f, tuple(v), n) for f, v, n in constraints),
        )

        has_text = any(it.kind in ("word", "phrase") for it in parsed.items)
        if sort not in ("relevance", "newest") or not has_text:
            sort = "newest"  # nothing to rank by: newest first

        with self._lock:
            s = self._current_searcher()
            if s is None:
                return SearchResults(
                    [], 0, 1, 0, {name: [] for name in FACET_FIELDS}, None,
                    "Search is unavailable while its index is rebuilt. Please try again soon.",
                    available=False,
                )  # fmt: skip
            views = self._views(s, filter_key, filter_q)
            if not any(v.allowed for v in views):
                return _empty(notes)
            q = self._parse(_items_to_string(parsed.items)) if has_text else query.Every()
            if q is query.NullQuery:
                notes.append("Your search had no searchable words.")
                return _empty(notes)

            matched, lists = _match(q, views)
            total = sum(m.bit_count() for m in matched)
            suggestion = None
            if has_text and total < SUGGEST_BELOW:
                suggestion = self._suggest(s, views, parsed, total)
            if total == 0 and has_text:
                fq = _fuzzify(q)
                if fq is not q:
                    fmatched, flists = _match(fq, views)
                    ftotal = sum(m.bit_count() for m in fmatched)
                    if ftotal:
                        q, matched, lists, total = fq, fmatched, flists, ftotal
                        notes.append("No exact matches, so close spellings are included.")

            pages = math.ceil(total / pagelen)
            page = min(page, max(pages, 1))
            docnums = _rank(views, matched, lists, page * pagelen, sort)
            terms = _highlight_terms(q, views)
            hits = [
                _hit(s.stored_fields(d), terms)
                for d in docnums[(page - 1) * pagelen : page * pagelen]
            ]
            facets = _facets(views, matched)
            if total == 0 and not suggestion:
                notes.append("No results. Try fewer words or remove a filter.")
            return SearchResults(
                hits, total, page, pages, facets, suggestion, " ".join(notes) or None
            )

    def _segment_views(self, s: Searcher) -> list[_SegView]:
        """One view per segment, with its cache (caches of merged-away segments dropped)."""
        views = []
        for sub, offset in s.leaf_searchers():
            segment = sub.reader().segment()
            if segment is None:  # an empty index has no segments
                continue
            segid = segment.segment_id()
            cache = self._segcaches.get(segid)
            if cache is None:
                cache = self._segcaches[segid] = _SegmentCache()
            views.append(_SegView(s, sub, offset, cache))
        current = {v.reader.segment().segment_id() for v in views}
        for gone in set(self._segcaches) - current:
            del self._segcaches[gone]
        return views

    def _views(self, s: Searcher, filter_key: Any, filter_q: query.Query) -> list[_SegView]:
        """Per-segment views with the caller's allowed doc set (cached per filter)."""
        views = self._segment_views(s)
        for v in views:
            cache = v.cache
            live = v.live()
            key = (filter_key, live.bit_count())
            allowed = cache.allowed.get(key)
            if allowed is None:
                allowed = _evaluate(filter_q, v, None) & live
                cache.allowed[key] = allowed
                while len(cache.allowed) > 256:
                    cache.allowed.popitem(last=False)
            v.allowed = allowed
        return views

    def warm(self) -> None:
        """Load what the first searches would (facet, access and archive doc sets, field
        lengths, newest-first order), e.g. at worker start; optional."""
        with self._lock:
            s = self._current_searcher()
            if s is None:
                return
            for v in self._segment_views(s):
                for fieldname in (*FACET_FIELDS.values(), "access"):
                    for value in v.facet_values(fieldname):
                        v.term_bits(fieldname, value)
                v.term_bits("archived", False)
                for fieldname in TEXT_FIELD_BOOSTS:
                    v._lengths(fieldname)
                v.newest()

    def _parse(self, qstring: str) -> query.Query:
        if not qstring.strip():
            return query.NullQuery
        try:
            q = _PARSER.parse(qstring)
        except Exception:  # noqa: BLE001 - belt and braces: fall back to plain words
            words = " ".join(re.findall(r"\w+", qstring))
            q = _PARSER.parse(words) if words else query.NullQuery
        return q.normalize()

    # ---- suggestions -------------------------------------------------------------------

    def _suggest(
        self, s: Searcher, views: Sequence[_SegView], parsed: _ParsedText, total: int
    ) -> str | None:
        """A corrected query that finds more than ``total`` documents the caller may see."""
        replace: dict[int, str] = {}
        for i, it in enumerate(parsed.items):
            if it.kind != "word" or it.negated or it.text.endswith("*"):
                continue
            forms = _analyse_word(it.text)
            if len(forms) != 1 or _DIGIT_RE.search(forms[0]) or not 3 <= len(forms[0]) <= 30:
                continue
            if _visible_doc(views, forms[0]) is not None:
                continue
            better = _correct(s, views, it.text.lower(), forms[0], self._spell)
            if better:
                replace[i] = better
        if not replace:
            return None
        corrected = _items_to_string(parsed.items, replace)
        q = self._parse(corrected)
        if q is query.NullQuery:
            return None
        matched, _ = _match(q, views)
        if sum(m.bit_count() for m in matched) <= total:
            return None
        return " ".join([corrected, *parsed.filter_text])


def _empty(notes: Sequence[str]) -> SearchResults:
    if not any(n.startswith("No results") for n in notes):
        notes = [*notes, "No results. Try fewer words or remove a filter."]
    return SearchResults([], 0, 1, 0, {name: [] for name in FACET_FIELDS}, None, " ".join(notes))


def _match(q: query.Query, views: Sequence[_SegView]) -> tuple[list[int], list[list[_Scored]]]:
    """Per segment: allowed documents matching ``q``, and the lists that rank them."""
    matched: list[int] = []
    lists: list[list[_Scored]] = []
    for v in views:
        seg_lists: list[_Scored] = []
        matched.append(_evaluate(q, v, seg_lists) & v.allowed if v.allowed else 0)
        lists.append(seg_lists)
    return matched, lists


def _rank(
    views: Sequence[_SegView],
    matched: Sequence[int],
    lists: Sequence[Sequence[_Scored]],
    k: int,
    sort: str,
) -> list[int]:
    """Global document numbers of the k first matches, by relevance or newest first."""
    if sort == "relevance" and any(lists):
        best: list[tuple[float, int]] = []
        for v, m, seg_lists in zip(views, matched, lists, strict=True):
            best.extend((sc, v.offset + d) for sc, d in _top(seg_lists, m, k))
        best.sort(key=lambda item: (-item[0], item[1]))
        return [d for _, d in best[:k]]

    def newest(v: _SegView, m: int) -> Iterator[tuple[int, int]]:
        updated, order = v.newest()
        member = m.to_bytes((m.bit_length() + 7) >> 3, "little")
        for d in order:
            i = d >> 3
            if i < len(member) and member[i] >> (d & 7) & 1:
                yield (-updated[d], v.offset + d)

    merged = heapq.merge(*(newest(v, m) for v, m in zip(views, matched, strict=True) if m))
    return [d for _, d in itertools.islice(merged, k)]


def _facets(views: Sequence[_SegView], matched: Sequence[int]) -> dict[str, list[tuple[str, int]]]:
    """Counts of each facet value among the matches (every page, allowed documents only)."""
    out: dict[str, list[tuple[str, int]]] = {}
    for name, fieldname in FACET_FIELDS.items():
        counts: Counter[str] = Counter()
        for v, m in zip(views, matched, strict=True):
            if not m:
                continue
            for value in v.facet_values(fieldname):
                c = (m & v.term_bits(fieldname, value)).bit_count()
                if c:
                    counts[value] += c
        out[name] = sorted(counts.items(), key=lambda vc: (-vc[1], vc[0]))
    return out


def _visible_doc(views: Sequence[_SegView], term: str) -> int | None:
    """A global doc number the caller may see holding ``term`` in title or body, else None."""
    for v in views:
        bits = (v.term_bits("title", term) | v.term_bits("body", term)) & v.allowed
        if bits:
            return v.offset + (bits & -bits).bit_length() - 1
    return None


def _correct(
    s: Searcher,
    views: Sequence[_SegView],
    word: str,
    stem: str,
    cache: dict[Any, list[str]],
) -> str | None:
    """The closest index term (edit distance 1, then 2) in a visible doc, as a written word."""
    reader = s.reader()
    for dist in (1, 2):
        key = (stem, dist)
        candidates = cache.get(key)
        if candidates is None:
            # The word list does not depend on the caller; visibility is checked below.
            found: dict[str, int] = {}
            for fieldname in ("title", "body"):
                for cand in set(reader.terms_within(fieldname, stem, dist, prefix=1)):
                    if cand not in found and not _DIGIT_RE.search(cand):
                        found[cand] = reader.doc_frequency(fieldname, cand)
            if len(cache) > 2048:
                cache.clear()
            candidates = cache[key] = sorted(found, key=lambda c: (-found[c], c))
        for cand in candidates:
            docnum = _visible_doc(views, cand)
            if docnum is not None:
                return _surface_form(s.stored_fields(docnum), cand, word)
    return None


def _surface_form(fields: Mapping[str, Any], term: str, typed: str) -> str:
    """How ``term`` (a stem) is written in a document, choosing the form closest to ``typed``."""
    terms = _HighlightTerms(
        frozenset([term]), (), re.compile(rf"(?<!\w){re.escape(term[:3])}", re.IGNORECASE)
    )
    seen: Counter[str] = Counter()
    for name in ("title", "body"):
        text = fields.get(name) or ""
        for tok in _matched_tokens(text, terms):
            seen[text[tok.startchar : tok.endchar].lower()] += 1
    if not seen:
        return term
    return min(seen, key=lambda w: (_distance(w, typed), -seen[w], w))


def _hit(f: Mapping[str, Any], terms: _HighlightTerms) -> Hit:
    """A Hit from stored fields, with its snippet."""
    extra: dict[str, Any] = {}
    if f.get("extra"):
        try:
            loaded = json.loads(f["extra"])
            extra = loaded if isinstance(loaded, dict) else {"value": loaded}
        except ValueError:
            extra = {"value": f["extra"]}
    return Hit(
        key=f["key"],
        type=f.get("type", ""),
        title=f.get("title", ""),
        url=f.get("url", ""),
        sequence_title=f.get("sequence_title", ""),
        school_name=f.get("school_name", ""),
        year_group=f.get("year_group", ""),
        updated=f.get("updated"),
        snippet=_snippet(f.get("body", ""), terms),
        extra=extra,
    )


def _distance(a: str, b: str) -> int:
    """Levenshtein distance (short words only)."""
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def _fuzzify(q: query.Query) -> query.Query:
    """Replace long free-text terms with edit-distance-1 fuzzy terms (returns q if none)."""
    if isinstance(q, query.Not):
        return q
    if isinstance(q, query.Term) and not isinstance(q, query.FuzzyTerm):
        if (
            q.fieldname in ("title", "body", "sequence_title")
            and _FUZZY_MIN_CHARS <= len(q.text) <= 30
            and not _DIGIT_RE.search(q.text)
        ):
            return query.FuzzyTerm(q.fieldname, q.text, boost=q.boost, maxdist=1, prefixlength=1)
        return q
    if isinstance(q, query.AndNot):
        a = _fuzzify(q.a)
        return q if a is q.a else query.AndNot(a, q.b)
    if q.is_leaf():
        return q
    children = list(q.children())
    new = [_fuzzify(c) for c in children]
    if all(a is b for a, b in zip(children, new, strict=True)):
        return q
    replacements = iter(new)  # apply() calls the function on each child, in order
    return q.apply(lambda _child: next(replacements))
