"""PostgreSQL full-text search with the same interface and query language as ``SearchIndex``.

Chosen by the app with ``SEARCH_BACKEND=postgres``. Documents live in the ``search_documents``
table (``documents_table``), written by ``write()`` inside the caller's transaction, so a
document commits or rolls back with the change that produced it.

Public API::

    pg = PostgresSearch(engine)                       # one per process; thread-safe
    documents_table(metadata) -> Table                # also defines search_words (see below)
    pg.write(conn, upserts, deletes)                  # in the caller's transaction
    pg.apply(upserts, deletes, timeout=2.0) -> bool   # own transaction; False: locked/down
    pg.search(...) / count() / versions() / exists() / is_healthy() / create() / rebuild()
    pg.warm()                                         # checks for pg_trgm once
    pg.close()                                        # no-op (the engine belongs to the app)

One analysis, one query language. Documents and queries go through the package's own Python
analysis (tokenizer, maths tokens, dash normalisation, stop words, stemming), the package's
typed-filter, repair and understanding rules (``parse_text``, ``to_query``); the Whoosh
query is translated into a ``tsquery`` literal of already-analysed lexemes and cast with
``CAST(:q AS tsquery)``. PostgreSQL's own parser and dictionaries never see the text, so both
backends stem and match identically, and user text only ever travels as a bound parameter.

The tsvector holds each field's lexemes weighted (title A, sequence_title B, body C, codes D;
the weights drive ``ts_rank_cd``) at their own positions, fields laid out one after another
with a gap, so "phrases" are ``<->`` chains that never span two fields. Code lexemes (year
group, strand, RTP codes, segments, spine, project code; not stemmed, as Whoosh's ``codes``
field) are stored as ``#y5``, a namespace of their own. The parser always asks for a word in
all text fields at once, so queries need no weight labels, which GIN cannot check: word
queries are answered by the index without rereading tsvectors (phrases still are reread).
PostgreSQL caps positions at 16,383, so a phrase deep inside a very long body may be missed.

Permissions are in the WHERE clause of every statement: ``terms && <access tokens>``, the
archive flag and the typed filters (values of one filter OR-ed, filters AND-ed, negated ones
NOT-ed), so totals, facets, ranking, snippets and suggestions only ever see allowed rows.

Ranking is bounded: the newest ``rank_limit`` matches are ranked with ``ts_rank_cd`` (field
weights as in Whoosh's boosts), ties broken by key; matches past them follow, newest first, and
the message says so. Totals and facets are exact up to ``count_limit`` matches, and the
message says when they stop there. Totals, facet counts and the page come from one statement
that finds the matches once.

Snippets come from the package's Python snippet builder (``to_hit``), not ``ts_headline``:
the same highlighting as Whoosh (inflected forms, maths tokens) and one safe-HTML door.

"Did you mean" and the fuzzy fallback use the ``search_words`` table (stemmed title, body and
sequence-title words, maintained by ``write``) searched with ``pg_trgm`` when
``CREATE EXTENSION IF NOT EXISTS pg_trgm`` works or the extension is already there (checked
once per object). Candidates are then checked in Python with the same edit distance as Whoosh
and offered only if a document the caller may see holds them. Without ``pg_trgm``: no
suggestion and no fuzzy fallback. Words are never removed before a rebuild; a stale one costs
a lookup, never a leak, as only documents are checked for visibility.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date
from typing import Any, Literal

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Engine,
    Index,
    MetaData,
    String,
    Table,
    Text,
    func,
    inspect,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, TSVECTOR
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError
from whoosh import query

from app.core.search import relaxing
from app.core.search.analysis import DIGIT_RE, SCHEMA, analyse_for_index
from app.core.search.documents import to_fields
from app.core.search.querying import (
    ParsedText,
    constraint_query,
    parse_text,
    to_query,
)
from app.core.search.results import Correction, SearchResults, no_results
from app.core.search.snippets import highlight_terms, to_hit
from app.core.search.spelling import _distance, _surface_form, fuzzify, suggest_distance
from app.core.search.vocabulary import FACET_FIELDS, SUGGEST_BELOW

__all__ = ["PostgresSearch", "documents_table"]

_log = logging.getLogger(__name__)

DOCUMENTS = "search_documents"
WORDS = "search_words"

#: tsvector weight of each free-text field; ts_rank_cd takes weights as {D, C, B, A}.
_FIELD_WEIGHTS: dict[str, str] = {"title": "A", "sequence_title": "B", "body": "C", "codes": "D"}
#: Code lexemes (year groups, strands, RTP codes...) are stored as "#y5": a namespace of their
#: own, so a word query ("y5" in any text field, or the code) needs no weight labels, which
#: GIN cannot check (labelled queries recheck every matching row's tsvector).
_CODE_MARK = "#"
# Whoosh's boosts (title 3, sequence title 1.5, body and codes 1) scaled into (0, 1].
_RANK_WEIGHTS = [1 / 3, 1 / 3, 0.5, 1.0]
#: Keyword fields stored as "field:value" terms (split on whitespace, as Whoosh's KEYWORD).
_KEYWORD_FIELDS = (
    "type", "year_group", "strand", "rtp", "segment", "spine", "work_group", "sequence",
    "project_code", "school", "academic_year", "status",
)  # fmt: skip
#: Facet fields, in the order of the first elements of ``terms``.
_FACET_SLOTS = tuple(dict.fromkeys(FACET_FIELDS.values()))
_POSITION_MAX = 16383  # PostgreSQL's limit; larger positions are clamped
_POSITIONS_PER_LEXEME = 255
_LEXEME_MAX_BYTES = 2046
_FIELD_GAP = 8  # positions between fields, so no phrase spans two fields
_WORD_CHARS = (3, 30)  # words kept for suggestions (as Whoosh's suggester)
_MAX_EXPANSIONS = 128
_TRIGRAM_THRESHOLD = "0.2"
#: How long and for how many words ``_near`` keeps its answers.
_NEAR_SECONDS = 60.0
_NEAR_ENTRIES = 2000
#: Score factor for plans of a year group typed as words (as ``SearchIndex``).
_YEAR_BOOST = 2.0


# --------------------------------------------------------------------------------------------
# Tables
# --------------------------------------------------------------------------------------------


def documents_table(metadata: MetaData) -> Table:
    """The ``search_documents`` table on ``metadata`` (and the ``search_words`` table beside it).

    ``search_words`` (one stemmed word per row) feeds "did you mean"; defining it here keeps the
    app's registration to this one call. SQLite's ``create_all`` works too (the table stays
    empty there: searching needs PostgreSQL).
    """
    name = f"{metadata.schema}.{DOCUMENTS}" if metadata.schema else DOCUMENTS
    if name in metadata.tables:
        return metadata.tables[name]
    table = Table(
        DOCUMENTS,
        metadata,
        Column("key", String(60), primary_key=True),
        Column("type", String(40), nullable=False),
        Column("title", Text, nullable=False),
        Column("body", Text, nullable=False),
        Column("sequence_title", Text, nullable=False),
        #: "field:value" for every filter and facet field, "access:<token>", "archived:false";
        #: the facet fields first, in a fixed order (see ``_terms``).
        Column("terms", ARRAY(Text).with_variant(JSON, "sqlite"), nullable=False),
        #: What a Hit needs beyond the columns: url, school_name, year_group, extra.
        Column("stored", JSON, nullable=False),
        Column("tsv", TSVECTOR().with_variant(Text, "sqlite"), nullable=False),
        Column("archived", Boolean, nullable=False),
        Column("updated", DateTime(timezone=True)),
        #: The content checksum (``versions()``).
        Column("version", BigInteger, nullable=False),
        #: The change-log position that produced the row; an older one never replaces it.
        Column("seq", BigInteger),
        #: When the row was last written (clock time): a rebuild never overwrites a row a
        #: change wrote after the rebuild began, and removes rows nothing wrote since.
        Column("written_at", DateTime(timezone=True), nullable=False,
               server_default=text("CURRENT_TIMESTAMP")),
    )
    # GIN on PostgreSQL; on SQLite (where the table stays empty) plain indexes, so the schema
    # is the same everywhere and migrations compare cleanly with the models.
    Index(f"ix_{DOCUMENTS}_tsv", table.c.tsv, postgresql_using="gin")
    Index(f"ix_{DOCUMENTS}_terms", table.c.terms, postgresql_using="gin")
    Index(f"ix_{DOCUMENTS}_updated", table.c.updated)
    Table(WORDS, metadata, Column("word", Text, primary_key=True))
    return table


# --------------------------------------------------------------------------------------------
# Documents -> rows
# --------------------------------------------------------------------------------------------


def _lexeme(term: str) -> str:
    """A quoted lexeme for a tsvector/tsquery literal (analysed terms hold no quotes, but the
    literal must be safe whatever they hold)."""
    return "'" + term.replace("\\", "\\\\").replace("'", "''") + "'"


def _code_terms(value: str, field: str = "codes") -> list[str]:
    return [t.text for t in SCHEMA[field].analyzer(value)]


def _tsvector(fields: Mapping[str, Any]) -> tuple[str, set[str]]:
    """The tsvector literal of a document, and its words for the suggestion table."""
    positions: dict[str, dict[str, list[int]]] = {}  # lexeme -> weight -> positions
    words: set[str] = set()
    offset = 0
    # Body last: it is the long one, and positions past 16,383 are clamped.
    for name in ("title", "sequence_title", "codes", "body"):
        value = fields.get(name) or ""
        if name == "codes":
            terms = [(_CODE_MARK + t, i) for i, t in enumerate(_code_terms(value))]
        else:
            terms = analyse_for_index(value)  # maths parts share their token's position
        weight = _FIELD_WEIGHTS[name]
        for term, i in terms:
            if len(term.encode()) > _LEXEME_MAX_BYTES:
                continue
            at = positions.setdefault(term, {}).setdefault(weight, [])
            if len(at) < _POSITIONS_PER_LEXEME:
                at.append(min(offset + i + 1, _POSITION_MAX))
            if name != "codes" and not DIGIT_RE.search(term):
                if _WORD_CHARS[0] <= len(term) <= _WORD_CHARS[1]:
                    words.add(term)
        offset += (terms[-1][1] + 1 if terms else 0) + _FIELD_GAP
    parts = []
    for term, by_weight in positions.items():
        pos = ",".join(f"{p}{w}" for w, ps in by_weight.items() for p in dict.fromkeys(ps))
        parts.append(f"{_lexeme(term)}:{pos}")
    return " ".join(parts), words


def _terms(fields: Mapping[str, Any]) -> list[str]:
    """Filter, facet and access terms: ``field:value``, as Whoosh indexes its keyword fields.

    The first ``len(_FACET_SLOTS)`` terms are the facet fields' values in slot order
    (``"year_group:"`` when there is none), so facets are counted from fixed array positions
    with GROUPING SETS instead of unnesting every term of every match (7x faster). A facet
    value holding a space ("in review") counts whole, where Whoosh counts each word.
    """
    slots = [f"{name}:{str(fields.get(name) or '').strip()}" for name in _FACET_SLOTS]
    out = [f"{name}:{v}" for name in _KEYWORD_FIELDS for v in str(fields.get(name) or "").split()]
    for name in ("school_name", "author"):
        out.extend(f"{name}:{w}" for w in _code_terms(fields.get(name) or "", name))
    out.extend(f"access:{t}" for t in fields["access"].split())
    out.append(f"archived:{'true' if fields['archived'] else 'false'}")
    return slots + sorted(set(out) - set(slots))


def _row(doc: Mapping[str, Any]) -> tuple[dict[str, Any], set[str]]:
    """A table row from a document dict (validated exactly as Whoosh does), and its words."""
    # PostgreSQL text cannot hold NUL characters; Whoosh takes them, so drop them here.
    fields: dict[str, Any] = {
        k: v.replace("\x00", "") if isinstance(v, str) else v for k, v in to_fields(doc).items()
    }
    tsv, words = _tsvector(fields)
    updated = fields.get("updated")
    row = {
        "key": fields["key"],
        "type": fields["type"],
        "title": fields["title"],
        "body": fields["body"],
        "sequence_title": fields["sequence_title"],
        "terms": _terms(fields),
        "stored": {
            "url": fields["url"],
            "school_name": fields["school_name"],
            "year_group": fields.get("year_group", ""),
            "extra": fields.get("extra"),
        },
        "tsv": tsv,
        "archived": fields["archived"],
        # to_fields gives naive UTC; say so, whatever the session's time zone.
        "updated": updated.replace(tzinfo=UTC) if updated else None,
        "version": fields["version"],
        "seq": fields["seq"] or None,  # 0: built outside the change log
    }
    return row, words


# --------------------------------------------------------------------------------------------
# Queries -> SQL
# --------------------------------------------------------------------------------------------


class _Everything:
    """A query part that matches every document (e.g. NOT of nothing)."""


_ALL = _Everything()
_TsQuery = str | _Everything | None  # None: matches nothing


def _tsquery(node: query.Query) -> _TsQuery:
    """A tsquery literal for a parsed (free-text) Whoosh query."""
    if isinstance(node, query.Every):
        return _ALL
    if isinstance(node, query.Prefix):
        return f"{_field_lexeme(node.fieldname, node.text)}:*"
    if isinstance(node, query.Phrase):
        words = [_field_lexeme(node.fieldname, t) for t in node.words]
        return f"({' <-> '.join(words)})" if words else None
    if isinstance(node, query.Term) and not isinstance(node, query.FuzzyTerm):
        return _field_lexeme(node.fieldname, node.text)
    if isinstance(node, query.Not):
        inner = _tsquery(node.query)
        return _negate(inner)
    if isinstance(node, query.AndNot):
        return _and([_tsquery(node.a), _negate(_tsquery(node.b))])
    if isinstance(node, query.And):
        return _and([_tsquery(c) for c in node.children()])
    if isinstance(node, query.Or):
        parts = [_tsquery(c) for c in node.children()]
        if any(isinstance(p, _Everything) for p in parts):
            return _ALL
        strs = list(dict.fromkeys(p for p in parts if isinstance(p, str)))
        return f"({' | '.join(strs)})" if strs else None
    return None  # NullQuery, or anything our parser does not produce


def _field_lexeme(fieldname: str, term: str) -> str:
    """A lexeme as a query over one field. The parser always asks for a word in every text
    field at once (title, sequence title and body), and fields never share positions (a gap
    lies between them), so text lexemes need no weight label: only codes are told apart."""
    return _lexeme(_CODE_MARK + term if fieldname == "codes" else term)


def _negate(inner: _TsQuery) -> _TsQuery:
    if inner is None:
        return _ALL
    if isinstance(inner, _Everything):
        return None
    return f"!{inner}"


def _and(parts: Sequence[_TsQuery]) -> _TsQuery:
    if any(p is None for p in parts):
        return None
    strs = [p for p in parts if isinstance(p, str)]
    return f"({' & '.join(strs)})" if strs else _ALL


def _parse(qstring: str) -> query.Query:
    """The query for ``qstring`` as ``search`` builds it."""
    return to_query(parse_text(qstring).items)


class _Sql:
    """A WHERE clause under construction: SQL text of fixed fragments, values as parameters."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.params: dict[str, Any] = {}

    def param(self, value: Any) -> str:
        name = f"p{len(self.params)}"
        self.params[name] = value
        return f":{name}"

    def constraint(self, node: query.Query) -> str:
        """SQL for a typed-filter query (Term, Prefix, And, Or over keyword terms)."""
        if isinstance(node, query.Prefix):
            p = self.param(f"{node.fieldname}:{node.text}")
            return f"EXISTS (SELECT 1 FROM unnest(terms) AS u(t) WHERE starts_with(u.t, {p}))"
        if isinstance(node, query.Term):
            return f"terms @> CAST({self.param([f'{node.fieldname}:{node.text}'])} AS text[])"
        if isinstance(node, query.And | query.Or):
            joiner = " AND " if isinstance(node, query.And) else " OR "
            subs = [self.constraint(c) for c in node.children()]
            return f"({joiner.join(subs)})" if subs else "FALSE"
        return "FALSE"  # NullQuery or unknown: a filter can only narrow

    def where(self) -> str:
        return " AND ".join(self.parts) or "TRUE"


# --------------------------------------------------------------------------------------------
# The backend
# --------------------------------------------------------------------------------------------


class PostgresSearch:
    """Search documents in PostgreSQL; safe to share between threads."""

    #: Relevance ranks at most this many matches (the newest); the rest follow newest first.
    rank_limit = 5000
    #: Totals and facet counts stop at this many matches (the message says so).
    count_limit = 50_000
    #: Rows per INSERT during ``rebuild``.
    batch_size = 500

    def __init__(self, engine: Engine, *, schema: str | None = None) -> None:
        self.engine = engine
        self.metadata = MetaData(schema=schema)
        self.table = documents_table(self.metadata)
        self.words = self.metadata.tables[f"{schema}.{WORDS}" if schema else WORDS]
        prep = engine.dialect.identifier_preparer
        self._t = prep.format_table(self.table)
        self._w = prep.format_table(self.words)
        self._lock = threading.Lock()
        self._trgm_checked = False
        self._trgm: str | None = None  # quoted schema of pg_trgm, once known to work
        self._near_cache: dict[tuple[str, int], tuple[float, list[str]]] = {}

    # ---- writing ------------------------------------------------------------------------

    def write(
        self, conn: Connection, upserts: Sequence[Mapping[str, Any]], deletes: Sequence[str]
    ) -> None:
        """Upsert and delete documents on ``conn``, inside the caller's transaction.

        Raises ValueError for an invalid document before anything is written. Deletes come
        first, then upserts (the last of one key wins), as in ``SearchIndex.apply``. A
        document with a ``seq`` never replaces a row that has a greater one.
        """
        self._write(conn, upserts, deletes, unless_written_after=None)

    def _write(
        self,
        conn: Connection,
        upserts: Sequence[Mapping[str, Any]],
        deletes: Sequence[str],
        unless_written_after: Any,
    ) -> None:
        built = [_row(d) for d in upserts]
        rows = {row["key"]: row for row, _ in built}
        words = sorted(set().union(*(w for _, w in built))) if built else []
        if deletes:
            conn.execute(self.table.delete().where(self.table.c.key.in_([str(k) for k in deletes])))
        if rows:
            # Sorted by key, so concurrent writers lock rows in one order (no deadlocks).
            values = [{**rows[k], "written_at": func.clock_timestamp()} for k in sorted(rows)]
            stmt = pg_insert(self.table).values(values)
            excluded = stmt.excluded
            newer = (
                (self.table.c.seq.is_(None))
                | (excluded.seq.is_(None))
                | (self.table.c.seq <= excluded.seq)
            )
            if unless_written_after is not None:
                newer = newer & (self.table.c.written_at < unless_written_after)
            stmt = stmt.on_conflict_do_update(
                index_elements=[self.table.c.key],
                set_={c.name: excluded[c.name] for c in self.table.c if c.name != "key"},
                where=newer,
            )
            conn.execute(stmt)
        if words:
            conn.execute(
                text(
                    f"INSERT INTO {self._w} (word) SELECT unnest(CAST(:words AS text[])) "
                    "ON CONFLICT DO NOTHING"
                ),
                {"words": words},
            )

    def apply(
        self, upserts: Sequence[Mapping[str, Any]], deletes: Sequence[str], timeout: float = 2.0
    ) -> bool:
        """``write`` in its own transaction; False if locked for ``timeout`` or unavailable.

        Raises ValueError for an invalid document (before any change is made).
        """
        for d in upserts:
            _row(d)  # validate first: a bad document is the caller's bug, not "retry later"
        if not upserts and not deletes:
            return True
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    text("SELECT set_config('lock_timeout', :ms, true)"),
                    {"ms": f"{max(1, int(timeout * 1000))}ms"},
                )
                self.write(conn, upserts, deletes)
        except SQLAlchemyError:
            _log.warning("search documents: apply failed; the caller retries", exc_info=True)
            return False
        return True

    def rebuild(
        self,
        docs: Iterable[Mapping[str, Any]],
        total: int | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> int:
        """Rewrite every row from ``docs`` in batches, each its own transaction, then remove
        the rows no document rewrote; returns the number of documents written.

        Searches and saves go on meanwhile: a batch holds its rows' locks only while it
        writes them, and never overwrites a row that a change wrote after the rebuild began
        (that row is at least as new as anything the rebuild read). A ValueError stops the
        rebuild before its batch is written; rows already rewritten stay (they are current).
        ``progress(n)`` gets the documents written since its last call.
        """
        self.metadata.create_all(self.engine, checkfirst=True)
        with self.engine.connect() as conn:
            started = conn.scalar(select(func.clock_timestamp()))
        n = 0

        def flush(batch: list[Mapping[str, Any]]) -> None:
            with self.engine.begin() as conn:
                self._write(conn, batch, [], unless_written_after=started)
            if progress is not None:
                progress(len(batch))

        batch: list[Mapping[str, Any]] = []
        for doc in docs:
            batch.append(doc)
            n += 1
            if len(batch) >= self.batch_size:
                flush(batch)
                batch = []
        if batch:
            flush(batch)
        with self.engine.begin() as conn:
            conn.execute(self.table.delete().where(self.table.c.written_at < started))
        return n

    def create(self) -> None:
        """Create the tables if missing, and empty them."""
        self.metadata.create_all(self.engine, checkfirst=True)
        with self.engine.begin() as conn:
            conn.execute(self.table.delete())
            conn.execute(self.words.delete())

    # ---- state --------------------------------------------------------------------------

    def exists(self) -> bool:
        """True if the documents table exists."""
        try:
            with self.engine.connect() as conn:
                return inspect(conn).has_table(DOCUMENTS, schema=self.metadata.schema)
        except SQLAlchemyError:
            return False

    def is_healthy(self) -> bool:
        """Read from the table; False (never an exception) if that fails."""
        try:
            with self.engine.connect() as conn:
                conn.execute(text(f"SELECT key, tsv, terms FROM {self._t} LIMIT 1")).all()
            return True
        except SQLAlchemyError:
            return False

    def count(self) -> int:
        """Number of documents (0 if the table is missing)."""
        try:
            with self.engine.connect() as conn:
                return int(conn.execute(text(f"SELECT count(*) FROM {self._t}")).scalar_one())
        except SQLAlchemyError:
            return 0

    def versions(self) -> dict[str, int]:
        """``key -> version`` for every document (for verify)."""
        try:
            with self.engine.connect() as conn:
                rows = conn.execute(text(f"SELECT key, version FROM {self._t}")).all()
        except SQLAlchemyError:
            return {}
        return {k: int(v) for k, v in rows}

    def warm(self) -> None:
        """Check for pg_trgm now rather than in the first search (PostgreSQL keeps its caches)."""
        self._trigram_schema()

    def close(self) -> None:
        """Nothing to close: the engine belongs to the caller."""

    # ---- search -------------------------------------------------------------------------

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
        today: date | None = None,
    ) -> SearchResults:
        """Search as a caller holding ``access`` tokens; never raises on user input.

        The same query language, filters, notes and result shapes as ``SearchIndex.search``.
        """
        planned = relaxing.plan(text, access, filters, page, pagelen, today, sort)
        wanted, q, where = planned.request, planned.query, planned.where
        parsed, tokens, notes = wanted.parsed, wanted.tokens, wanted.notes
        page, pagelen = wanted.page, wanted.pagelen
        if planned.empty:
            return _empty(notes)
        try:
            with self.engine.connect() as conn, conn.begin():
                return self._search(conn, parsed, q, tokens, include_archived, where, notes,
                                    planned.sort, page, pagelen)
        except SQLAlchemyError:
            _log.exception("search documents: search failed")
            return SearchResults(
                [], 0, 1, 0, {name: [] for name in FACET_FIELDS}, None,
                "Search is unavailable just now. Please try again soon.",
                available=False,
            )  # fmt: skip

    @staticmethod
    def _allowed(
        tokens: Sequence[str], include_archived: bool, constraints: relaxing.Constraints
    ) -> _Sql:
        """The permission filter. Nothing the user types reaches it except as a narrower
        constraint (typed filters), so no query text can widen it."""
        allowed = _Sql()
        allowed.parts.append(
            f"terms && CAST({allowed.param([f'access:{t}' for t in tokens])} AS text[])"
        )
        if not include_archived:
            allowed.parts.append("NOT archived")
        for fieldname, values, negated in constraints:
            clause = allowed.constraint(constraint_query(fieldname, values))
            allowed.parts.append(f"NOT {clause}" if negated else clause)
        return allowed

    def _search(
        self,
        conn: Connection,
        parsed: ParsedText,
        q: query.Query,
        tokens: Sequence[str],
        include_archived: bool,
        where: relaxing.Scope,
        notes: list[str],
        sort: str,
        page: int,
        pagelen: int,
    ) -> SearchResults:
        conn.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY"))
        has_text = not isinstance(q, query.Every)
        # The planner does not count the cost of detoasting every tsvector in a sequential
        # scan, so for common words it picks one over the GIN index (measured at 10,000
        # documents: 71 ms against 16 ms). Without seqscan it falls back to the indexes; jit
        # off, as the disabled plans' huge costs would otherwise trigger JIT compilation.
        if has_text:
            conn.execute(text("SELECT set_config('enable_seqscan', 'off', true)"))
            conn.execute(text("SELECT set_config('jit', 'off', true)"))
        offset = (page - 1) * pagelen
        # Every word in the academic year typed, then in any year; only then fewer words.
        for relax in (False, True) if has_text else (False,):
            for attempt, constraints in enumerate(where.attempts):
                allowed = self._allowed(tokens, include_archived, constraints)
                found, chosen = self._find(conn, allowed, parsed, q, relax), attempt
                if found.any:
                    break
            if found.any:
                break
        if has_text:
            self._suggest(conn, allowed, parsed, found)
        scope_note = relaxing.scope_note(where, chosen, int(found.any))
        boost = ([f"year_group:{y}" for y in where.boost_years]
                 if sort == "relevance" else None)
        total, facets, keys = self._run(conn, allowed, found.tsq, sort, offset, pagelen,
                                        found.at_least, boost)
        if scope_note:
            notes.append(scope_note)
        notes.extend(found.notes)
        if total >= self.count_limit:
            notes.append(f"Counts stop at {self.count_limit:,} matches.")
        if sort == "relevance" and total > self.rank_limit:
            notes.append(
                f"Over {self.rank_limit:,} matches: the best of the {self.rank_limit:,} newest "
                "come first, then the rest, newest first."
            )
        pages = math.ceil(total / pagelen)
        page = min(page, max(pages, 1))  # the SQL clamped the offset the same way
        hits = self._hits(conn, keys, highlight_terms(found.query, []))
        if total == 0 and not found.corrections:
            notes.append("No results. Try fewer words or remove a filter.")
        return SearchResults(hits, total, page, pages, facets, found.suggestion,
                             " ".join(notes) or None, missing=found.missing,
                             corrections=found.corrections)

    def _tsq(self, conn: Connection, q: query.Query) -> _TsQuery:
        """The tsquery of ``q``, close spellings (FuzzyTerm) expanded into known words."""
        return _tsquery(self._expand_fuzzy(conn, q).normalize())

    def _find(
        self, conn: Connection, allowed: _Sql, parsed: ParsedText, q: query.Query, relax: bool
    ) -> _Found:
        """What to run for ``q`` in this scope; with ``relax``, relaxed when nothing matches
        every word (``relaxing``)."""
        found = _Found(q, _tsquery(q))
        found.any = self._count_over(conn, allowed, found.tsq, 0)
        if found.any or not relax or isinstance(q, query.Every):
            return found

        def any_match(part: query.Query) -> bool:
            return self._count_over(conn, allowed, self._tsq(conn, part), 0)

        plain = relaxing.concepts_of(parsed.items)
        if plain is not None and plain[0]:
            concepts, negations = plain
            relaxed = relaxing.relax(concepts, negations, any_match)
            if relaxed is None:
                found.missing = list(dict.fromkeys(c.typed for c in concepts))
            else:
                found.query, found.tsq = relaxed.query, self._tsq(conn, relaxed.query)
                found.missing = relaxed.missing
                found.notes.extend(relaxing.relaxed_notes(relaxed, [c.typed for c in concepts]))
                if relaxed.most_words:
                    self._most_words(conn, allowed, relaxed, found)
        else:
            fq = fuzzify(q)  # OR, NOT, brackets: kept as written, but close spellings allowed
            if fq is not q:
                ftsq = self._tsq(conn, fq)
                if self._count_over(conn, allowed, ftsq, 0):
                    found.query, found.tsq = fq, ftsq
                    found.notes.append("No exact matches, so close spellings are included.")
        found.any = self._count_over(conn, allowed, found.tsq, 0, found.at_least)
        return found

    def _most_words(
        self, conn: Connection, allowed: _Sql, relaxed: relaxing.Relaxed, found: _Found
    ) -> None:
        """Keep the documents holding the most of the found words (``found.at_least``)."""
        parts = [self._tsq(conn, c) for c in relaxed.concepts]
        words = [p for p in parts if isinstance(p, str)]
        negated = [self._tsq(conn, n) for n in relaxed.negations]
        tsq = _and([found.tsq, *negated])
        matching = self._matching(allowed, tsq)
        if matching is None or not words:
            return
        where, params = matching
        counted = " + ".join(f"(tsv @@ CAST(:c{i} AS tsquery))::int" for i in range(len(words)))
        params.update({f"c{i}": w for i, w in enumerate(words)})
        best = conn.execute(
            text(f"SELECT max({counted}) FROM {self._t} WHERE {where}"), params
        ).scalar()
        found.tsq = tsq
        found.at_least = (words, int(best or 1))

    def _matching(
        self, allowed: _Sql, tsq: _TsQuery, at_least: _AtLeast | None = None
    ) -> tuple[str, dict[str, Any]] | None:
        """WHERE clause and parameters for allowed documents matching ``tsq`` (None: none),
        and with ``at_least`` (words, k), holding k of those words."""
        if tsq is None:
            return None
        params = dict(allowed.params)
        where = allowed.where()
        if isinstance(tsq, str):
            params["q"] = tsq
            where += " AND tsv @@ CAST(:q AS tsquery)"
        if at_least is not None:
            words, k = at_least
            counted = " + ".join(f"(tsv @@ CAST(:w{i} AS tsquery))::int"
                                 for i in range(len(words)))
            params.update({f"w{i}": w for i, w in enumerate(words)}, min_words=k)
            where += f" AND {counted} >= :min_words"
        return where, params

    def _run(
        self,
        conn: Connection,
        allowed: _Sql,
        tsq: _TsQuery,
        sort: str,
        offset: int,
        limit: int,
        at_least: _AtLeast | None = None,
        boost: Sequence[str] | None = None,
    ) -> tuple[int, dict[str, list[tuple[str, int]]], list[str]]:
        """Total, facet counts and one page of keys, in one statement (matches found once).

        Totals and facets cover the first ``count_limit`` allowed matches. With relevance,
        the newest ``rank_limit`` of those are ranked by ``ts_rank_cd`` (ties by key) and the
        rest follow newest first. A page past the last one is the last one, as in Whoosh.
        ``at_least`` keeps documents holding that many of the words; documents holding a
        ``boost`` term (year groups typed as words) rank with their score doubled.
        """
        facets: dict[str, list[tuple[str, int]]] = {name: [] for name in FACET_FIELDS}
        matching = self._matching(allowed, tsq, at_least)
        if matching is None:
            return 0, facets, []
        where, params = matching
        n = self.rank_limit
        ranked = sort == "relevance" and isinstance(tsq, str)
        slots = ", ".join(f"slots[{i}] AS f{i}" for i in range(1, len(_FACET_SLOTS) + 1))
        sets = ", ".join(f"(f{i})" for i in range(1, len(_FACET_SLOTS) + 1))
        newest = "ORDER BY updated DESC NULLS LAST, key"
        parts = [
            "SELECT 0, NULL, count(*) FROM m",
            f"SELECT 1, COALESCE({', '.join(f'f{i}' for i in range(1, len(_FACET_SLOTS) + 1))}),"
            f" count(*) FROM (SELECT {slots} FROM m) AS s GROUP BY GROUPING SETS ({sets})",
        ]
        if ranked and offset < n:
            # The newest n matches (top-N sort on two columns), ranked on their tsvectors,
            # fetched by ctid: the rows the scan above just read, in this statement's snapshot.
            parts.append(
                "SELECT 2, key, ord FROM (SELECT d.key, row_number() OVER (ORDER BY "
                "ts_rank_cd(CAST(:w AS float4[]), d.tsv, CAST(:q AS tsquery)) * "
                "(CASE WHEN d.terms && CAST(:boost AS text[]) THEN :factor ELSE 1 END) DESC, "
                "d.key) AS ord "
                f"FROM (SELECT row FROM m {newest} LIMIT :n) AS c "
                f"JOIN {self._t} AS d ON d.ctid = c.row) AS r "
                "WHERE ord > :offset AND ord <= :offset + :limit"
            )
            params.update(w=_RANK_WEIGHTS, boost=list(boost or []), factor=_YEAR_BOOST)
        if not ranked or offset + limit > n:
            # Newest first; with relevance, the matches after the ranked ones.
            start = max(offset, n) if ranked else offset
            parts.append(
                f"SELECT 3, key, row_number() OVER ({newest}) FROM "
                f"(SELECT key, updated FROM m {newest} LIMIT :tail OFFSET :start) AS t"
            )
            params.update(tail=offset + limit - start, start=start)
        sql = (
            f"WITH m AS MATERIALIZED (SELECT ctid AS row, key, updated, "
            f"terms[1:{len(_FACET_SLOTS)}] AS slots FROM {self._t} WHERE {where} LIMIT :cap) "
            + " UNION ALL ".join(parts)
        )
        params.update(cap=self.count_limit, n=n, offset=offset, limit=limit)
        total = 0
        by_field: dict[str, list[tuple[str, int]]] = {}
        page: list[tuple[int, int, str]] = []
        for kind, value, count in conn.execute(text(sql), params):
            if kind == 0:
                total = int(count)
            elif kind == 1:
                fieldname, _, v = (value or "").partition(":")
                if v:
                    by_field.setdefault(fieldname, []).append((v, int(count)))
            else:
                page.append((kind, int(count), value))
        for name, fieldname in FACET_FIELDS.items():
            facets[name] = sorted(by_field.get(fieldname, []), key=lambda vc: (-vc[1], vc[0]))
        if total and offset >= total and limit:
            last = (total - 1) // limit * limit  # asked past the end: the last page
            return total, facets, self._run(conn, allowed, tsq, sort, last, limit, at_least,
                                            boost)[2]
        return total, facets, [key for _, _, key in sorted(page)]

    def _count_over(
        self,
        conn: Connection,
        allowed: _Sql,
        tsq: _TsQuery,
        over: int,
        at_least: _AtLeast | None = None,
    ) -> bool:
        """True if more than ``over`` allowed documents match ``tsq``."""
        matching = self._matching(allowed, tsq, at_least)
        if matching is None:
            return False
        where, params = matching
        found = conn.execute(
            text(f"SELECT count(*) FROM (SELECT 1 FROM {self._t} WHERE {where} LIMIT :k) AS x"),
            {**params, "k": over + 1},
        ).scalar_one()
        return int(found) > over

    def _hits(self, conn: Connection, keys: Sequence[str], terms: Any) -> list[Any]:
        if not keys:
            return []
        rows = conn.execute(
            text(
                "SELECT key, type, title, body, sequence_title, stored, updated "
                f"FROM {self._t} WHERE key = ANY(CAST(:keys AS text[]))"
            ),
            {"keys": list(keys)},
        ).mappings()
        by_key = {r["key"]: r for r in rows}
        hits = []
        for key in keys:
            r = by_key.get(key)
            if r is None:
                continue
            stored = r["stored"] or {}
            updated = r["updated"]
            if updated is not None and updated.tzinfo is not None:
                updated = updated.astimezone(UTC).replace(tzinfo=None)  # as Whoosh returns it
            fields = {
                "key": r["key"],
                "type": r["type"],
                "title": r["title"],
                "body": r["body"],
                "sequence_title": r["sequence_title"],
                "url": stored.get("url", ""),
                "school_name": stored.get("school_name", ""),
                "year_group": stored.get("year_group", ""),
                "extra": stored.get("extra"),
                "updated": updated,
            }
            hits.append(to_hit(fields, terms))
        return hits

    # ---- spelling -----------------------------------------------------------------------

    def _trigram_schema(self) -> str | None:
        """The quoted schema holding pg_trgm, installing it if allowed; checked once."""
        with self._lock:
            if self._trgm_checked:
                return self._trgm
            self._trgm_checked = True
            try:
                with self.engine.begin() as conn:
                    conn.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
            except SQLAlchemyError:
                _log.info("search: cannot create pg_trgm; checking whether it is installed")
            try:
                with self.engine.connect() as conn:
                    schema = conn.execute(
                        text(
                            "SELECT n.nspname FROM pg_extension e "
                            "JOIN pg_namespace n ON n.oid = e.extnamespace "
                            "WHERE e.extname = 'pg_trgm'"
                        )
                    ).scalar()
            except SQLAlchemyError:
                schema = None
            if schema is None:
                _log.warning("search: pg_trgm unavailable, so no 'did you mean' suggestions")
                return None
            quoted = self.engine.dialect.identifier_preparer.quote(schema)
            try:
                with self.engine.begin() as conn:
                    conn.execute(
                        text(
                            f"CREATE INDEX IF NOT EXISTS ix_{WORDS}_trgm ON {self._w} "
                            f"USING gin (word {quoted}.gin_trgm_ops)"
                        )
                    )
            except SQLAlchemyError:
                _log.info("search: no trigram index on %s; suggestions scan it", WORDS)
            self._trgm = quoted
            return quoted

    def _near(self, conn: Connection, stem: str, maxdist: int) -> list[str]:
        """Known words within ``maxdist`` edits of ``stem`` sharing its first letter, closest
        first (pg_trgm finds candidates; the edit distance is Whoosh's). Kept for a minute: a
        search asks for the same word from several places (fuzzy terms per field, relaxing,
        corrections), and words are only ever added."""
        schema = self._trigram_schema()
        if schema is None or not stem:
            return []
        now = time.monotonic()
        with self._lock:
            hit = self._near_cache.get((stem, maxdist))
            if hit is not None and now - hit[0] < _NEAR_SECONDS:
                return hit[1]
        words = self._near_uncached(conn, schema, stem, maxdist)
        with self._lock:
            if len(self._near_cache) >= _NEAR_ENTRIES:
                self._near_cache.clear()
            self._near_cache[(stem, maxdist)] = (now, words)
        return words

    def _near_uncached(self, conn: Connection, schema: str, stem: str, maxdist: int) -> list[str]:
        try:
            with conn.begin_nested():  # a failure here must not abort the search
                conn.execute(
                    text("SELECT set_config('pg_trgm.similarity_threshold', :t, true)"),
                    {"t": _TRIGRAM_THRESHOLD},
                )
                rows = conn.execute(
                    text(
                        f"SELECT word, {schema}.similarity(word, :w) AS s FROM {self._w} "
                        f"WHERE word OPERATOR({schema}.%) :w AND left(word, 1) = left(:w, 1) "
                        "ORDER BY s DESC, word LIMIT 500"
                    ),
                    {"w": stem},
                ).all()
        except SQLAlchemyError:
            _log.warning("search: pg_trgm lookup failed; suggestions off", exc_info=True)
            with self._lock:
                self._trgm = None
            return []
        scored = [(_distance(w, stem), -s, w) for w, s in rows]
        return [w for d, _, w in sorted(scored) if d <= maxdist]

    def _expand_fuzzy(self, conn: Connection, q: query.Query) -> query.Query:
        """Replace fuzzy terms with the known words they stand for (as Whoosh expands them)."""
        if isinstance(q, query.FuzzyTerm):
            words = self._near(conn, q.text, q.maxdist)[:_MAX_EXPANSIONS]
            if not words:
                # The word itself, which is known not to match: NullQuery would be dropped
                # from an And by normalize(), making a required word optional.
                return query.Term(q.fieldname, q.text, boost=q.boost)
            return query.Or([query.Term(q.fieldname, w, boost=q.boost) for w in words])
        if q.is_leaf():
            return q
        return q.apply(lambda child: self._expand_fuzzy(conn, child))

    def _visible(self, conn: Connection, allowed: _Sql, term: str) -> Mapping[str, Any] | None:
        """Title and body of a document the caller may see holding ``term`` in either."""
        matching = self._matching(allowed, f"{_lexeme(term)}:AC")
        if matching is None:
            return None
        where, params = matching
        row = conn.execute(
            text(f"SELECT title, body FROM {self._t} WHERE {where} LIMIT 1"), params
        ).mappings().first()  # fmt: skip
        return dict(row) if row is not None else None

    def _suggest(
        self,
        conn: Connection,
        allowed: _Sql,
        parsed: ParsedText,
        found: _Found,
    ) -> None:
        """One correction per word found in no document the caller may see, when fewer than
        ``SUGGEST_BELOW`` documents match or words were left out."""
        if not found.missing and self._count_over(
                conn, allowed, found.tsq, SUGGEST_BELOW - 1, found.at_least):
            return

        def any_match(part: query.Query) -> bool:
            return self._count_over(conn, allowed, self._tsq(conn, part), 0)

        def nearest(word: str, stem: str) -> str | None:
            for cand in self._near(conn, stem, suggest_distance(stem)):
                fields = self._visible(conn, allowed, cand)
                if fields is not None:
                    return _surface_form(fields, cand, word.lower())
            return None

        found.corrections = relaxing.suggest(
            parsed, any_match, lambda stem: self._visible(conn, allowed, stem) is not None,
            nearest)
        found.suggestion = relaxing.combined(parsed.raw, found.corrections)


#: (tsquery of each word, how many of them a document must hold)
_AtLeast = tuple[list[str], int]


@dataclass(slots=True)
class _Found:
    """What to run in one scope, and how the search got there."""

    query: query.Query
    tsq: _TsQuery
    notes: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    corrections: list[Correction] = field(default_factory=list)
    suggestion: str | None = None
    at_least: _AtLeast | None = None
    #: Some allowed document matches.
    any: bool = False


def _empty(notes: Sequence[str]) -> SearchResults:
    return no_results(notes, FACET_FIELDS)
