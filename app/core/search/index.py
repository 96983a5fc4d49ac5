"""The index on disk: lifecycle (create, apply, rebuild with an atomic swap), the cached
searcher and per-segment caches, and ``SearchIndex.search``, which ties the modules together.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import logging
import math
import os
import shutil
import tempfile
import threading
import time
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any, Literal, TypeVar

from whoosh import query
from whoosh.filedb.filestore import FileStorage
from whoosh.index import TOC, FileIndex, LockError
from whoosh.searching import Searcher
from whoosh.util.filelock import try_for

from app.core.search import relaxing
from app.core.search.analysis import SCHEMA
from app.core.search.budget import Budget
from app.core.search.documents import to_fields
from app.core.search.evaluation import evaluate, match
from app.core.search.facets import count_facets
from app.core.search.querying import (
    ParsedText,
    constraint_query,
    parse_text,
    to_query,
)
from app.core.search.ranking import rank
from app.core.search.results import Correction, IndexBusyError, SearchResults, no_results
from app.core.search.segments import Scored, SegmentCache, SegView
from app.core.search.snippets import highlight_terms, to_hit
from app.core.search.spelling import correct, fuzzify, visible_doc
from app.core.search.vocabulary import FACET_FIELDS, SUGGEST_BELOW, TEXT_FIELD_BOOSTS

_log = logging.getLogger(__name__)
_INDEX_NAME = "MAIN"
_WRITELOCK = f"{_INDEX_NAME}_WRITELOCK"
#: The file in the index directory holding its change-log position.
_POSITION = "POSITION"
#: Score factor for plans of a year group typed as words ("year 4 fractions").
_YEAR_BOOST = 2.0


def _write_position(directory: Path | int, position: int) -> None:
    """Replace the position file atomically (readers see the old or the new number).

    ``directory`` may be an open directory descriptor: the directory it was opened on, even
    if a rebuild has since swapped another one in at the same path.
    """
    tmp = f".{_POSITION}.{os.getpid()}.{threading.get_ident()}"
    if isinstance(directory, int):
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644, dir_fd=directory)
        except FileNotFoundError:  # swapped out and removed by a rebuild: nothing to record
            return
        with os.fdopen(fd, "w") as handle:
            handle.write(str(int(position)))
        os.replace(tmp, _POSITION, src_dir_fd=directory, dst_dir_fd=directory)
        return
    (directory / tmp).write_text(str(int(position)))
    os.replace(directory / tmp, directory / _POSITION)


def _read_position(directory_fd: int) -> int:
    try:
        fd = os.open(_POSITION, os.O_RDONLY, dir_fd=directory_fd)
    except FileNotFoundError:
        return 0
    with os.fdopen(fd) as handle:
        text = handle.read().strip()
    return int(text) if text.isdigit() else 0


def _stored_seqs(writer: Any, keys: Sequence[str]) -> dict[str, int]:
    """The change-log position stored with each of ``keys`` that is in the index."""
    if not keys:
        return {}
    out: dict[str, int] = {}
    with writer.searcher() as s:
        for key in keys:
            docnum = s.document_number(key=key)
            if docnum is not None:
                out[key] = int(s.stored_fields(docnum).get("seq") or 0)
    return out


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

    #: Cache budget when the app passes none (SEARCH_MEMORY_MB).
    default_memory_mb = 64

    def __init__(self, path: str | os.PathLike[str], memory_mb: float | None = None) -> None:
        self.path = Path(path)
        self._lock = threading.RLock()
        self._ix: FileIndex | None = None
        self._searcher: Searcher | None = None
        self._ident: tuple[int, int] | None = None
        # Segment id -> its view of the cache (doc sets, scores, allowed sets, ...).
        self._segcaches: dict[str, SegmentCache] = {}
        # Everything derived from the index, least recently used evicted first.
        mb = self.default_memory_mb if memory_mb is None else memory_mb
        self._budget = Budget(max(1, int(mb * 2**20)))
        self._warming: threading.Thread | None = None

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

    def position(self) -> int | None:
        """How far this index has applied the app's change log (None: there is no index).

        Kept in a file inside the index directory, written after each commit, so it travels
        with the index through a rebuild's swap; a kill between the two only means the last
        batch is applied again, which is harmless.
        """
        if not self.exists():
            return None
        try:
            return int((self.path / _POSITION).read_text().strip() or 0)
        except (OSError, ValueError):
            return 0

    def apply(
        self, upserts: Sequence[Mapping[str, Any]], deletes: Sequence[str], timeout: float = 2.0
    ) -> bool:
        """Add/replace and delete documents in one commit; False if locked or unavailable.

        Raises ValueError for an invalid document (before any change is made).
        """
        fields = [to_fields(d) for d in upserts]
        if not fields and not deletes:
            return True
        return self._write(lambda: (fields, list(deletes)), None, None, timeout) == "applied"

    def update(
        self,
        build: Callable[[], tuple[Sequence[Mapping[str, Any]], Sequence[str]]],
        *,
        from_position: int,
        position: int,
        timeout: float = 2.0,
    ) -> Literal["applied", "busy", "moved"]:
        """Apply the documents ``build()`` returns, building them while the write lock is held,
        and move the position from ``from_position`` to ``position``.

        "busy": another writer kept the lock (nothing done, try later). "moved": the index
        is no longer at ``from_position`` (a rebuild swapped in), so nothing was done.
        """

        def fields() -> tuple[list[dict[str, Any]], list[str]]:
            upserts, deletes = build()
            return [to_fields(d) for d in upserts], list(deletes)

        return self._write(fields, from_position, position, timeout)

    def _write(
        self,
        build: Callable[[], tuple[list[dict[str, Any]], list[str]]],
        from_position: int | None,
        position: int | None,
        timeout: float,
    ) -> Literal["applied", "busy", "moved"]:
        try:
            ix = _guarded(self._open)
            writer = _guarded(lambda: ix.writer(timeout=timeout, delay=0.05))
        except Exception:  # noqa: BLE001 - locked, missing or corrupt: the caller retries
            return "busy"
        # Opened while the write lock is held, so it is the directory being written (a rebuild
        # swaps only with the lock); the position then goes to that same directory, even if a
        # rebuild swaps a new one in between this commit and the position write.
        directory = os.open(self.path, os.O_RDONLY | os.O_DIRECTORY)
        try:
            return self._write_locked(writer, directory, build, from_position, position)
        finally:
            os.close(directory)

    def _write_locked(
        self,
        writer: Any,
        directory: int,
        build: Callable[[], tuple[list[dict[str, Any]], list[str]]],
        from_position: int | None,
        position: int | None,
    ) -> Literal["applied", "busy", "moved"]:
        try:
            if from_position is not None and _read_position(directory) != from_position:
                writer.cancel()
                return "moved"
            fields, deletes = build()

            def write() -> None:
                stored = _stored_seqs(writer, [f["key"] for f in fields if f["seq"]])
                for key in deletes:
                    writer.delete_by_term("key", str(key))
                for doc in fields:
                    # Versions only move forward: of two appliers, the one that built an older
                    # document (for an earlier log entry) never overwrites the newer one.
                    if doc["seq"] and stored.get(doc["key"], 0) > doc["seq"]:
                        continue
                    writer.update_document(**doc)
                writer.commit()

            _guarded(write)
        except BaseException as exc:
            with contextlib.suppress(Exception):
                writer.cancel()
            if not isinstance(exc, _Damaged):
                raise
            _log.error("search index %s: writing failed (%s); rebuild it", self.path, exc)
            return "busy"
        if position is not None:
            _write_position(directory, position)
        return "applied"

    def rebuild(
        self,
        docs: Iterable[Mapping[str, Any]],
        total: int | None = None,
        progress: Callable[[int], None] | None = None,
        *,
        procs: int | None = None,
        position: int = 0,
    ) -> int:
        """Build a new index beside the live one, then swap it in; returns documents indexed.

        The live index keeps answering searches and taking writes while the new one is
        built; only the swap takes its write lock. The new index starts at ``position`` (the
        change-log position its documents stand for), so writes made meanwhile are applied
        again after the swap. ``procs`` defaults to 2 worker processes for 1,000+ documents
        on a multi-core machine, else 1. ``progress(n)`` gets the documents added since its
        last call.
        """
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{self.path.name}.build-", dir=self.path.parent))
        try:
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
            n = reported = 0
            try:
                for doc in docs:
                    writer.add_document(**to_fields(doc))
                    n += 1
                    if progress is not None and n % step == 0:
                        progress(n - reported)
                        reported = n
                writer.commit()
            except BaseException:
                writer.cancel()
                raise
            ix.close()
            if progress is not None and n > reported:
                progress(n - reported)
            _write_position(tmp, position)
            live_lock = None
            if self.path.is_dir():
                # Wait for a write in progress, so it is not made to the index swapped out
                # after it has read the position (it would then be lost).
                live_lock = FileStorage(str(self.path)).lock(_WRITELOCK)
                if not try_for(live_lock.acquire, self.rebuild_lock_timeout, 0.05):
                    raise IndexBusyError(f"{self.path} is locked by another writer")
            try:
                self._swap_in(tmp)
            finally:
                if live_lock is not None:
                    with contextlib.suppress(Exception):
                        live_lock.release()
            return n
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
            self._drop_searcher()

    def close(self) -> None:
        """Close the cached searcher (it reopens on the next search)."""
        self._drop_searcher()

    def __del__(self) -> None:
        # The searcher holds its segment files open (no mmap, see _open): an index dropped
        # without close() closes them here rather than leaving them to the garbage collector.
        searcher = getattr(self, "_searcher", None)
        if searcher is not None:
            with contextlib.suppress(Exception):
                searcher.close()

    # ---- internals ---------------------------------------------------------------------

    def _open(self) -> FileIndex:
        # Passing SCHEMA means the pickled schema in the TOC is never unpickled. No mmap: with
        # it, whoosh-reloaded 2.7.5 copies every file of a segment into a BytesIO when a
        # reader opens (BufferFile), i.e. the whole index (250 MB at 50k lessons) into each
        # worker's memory on every reopen; plain reads through the OS page cache are shared.
        storage = FileStorage(str(self.path), supports_mmap=False)
        return FileIndex(storage, schema=SCHEMA, indexname=_INDEX_NAME)

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
            self._budget.clear()

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
        today: date | None = None,
    ) -> SearchResults:
        """Search as a caller holding ``access`` tokens; never raises on user input.

        ``text`` may hold words (all must match, else see ``relaxing``), "phrases",
        -exclusions, OR, brackets, prefix* and typed filters (year:3, strand:fractions,
        type:lesson, school:7, rtp:3NF-2, segment:2.7, project:NCP24-11, status:approved,
        author:, spine:, wg:, ay:). ``filters``
        takes the same names (or facet names) mapped to lists of values; values of one name
        are OR-ed, names are AND-ed. Empty text lists everything allowed, newest first.
        ``today`` places "this year" and "last year" (``understanding``).
        """
        planned = relaxing.plan(text, access, filters, page, pagelen, today, sort)
        wanted, q, where = planned.request, planned.query, planned.where
        parsed, tokens, notes = wanted.parsed, wanted.tokens, wanted.notes
        page, pagelen, has_text = wanted.page, wanted.pagelen, planned.has_text
        if planned.empty:
            return _empty(notes)

        with self._lock:
            s = self._current_searcher()
            if s is None:
                return SearchResults(
                    [], 0, 1, 0, {name: [] for name in FACET_FIELDS}, None,
                    "Search is unavailable while its index is rebuilt. Please try again soon.",
                    available=False,
                )  # fmt: skip
            # Every word in the academic year typed, then in any year; only then fewer words.
            for relax in (False, True) if has_text else (False,):
                for attempt, constraints in enumerate(where.attempts):
                    views = self._views(s, *self._filter(tokens, include_archived, constraints))
                    found, chosen = self._find(views, parsed, q, relax), attempt
                    if found.total:
                        break
                if found.total:
                    break
            if has_text and (found.total < SUGGEST_BELOW or found.missing):
                self._suggest(s, views, parsed, found)
            scope_note = relaxing.scope_note(where, chosen, found.total)
            notes.extend([scope_note] if scope_note else [])
            notes.extend(found.notes)
            if not any(v.allowed for v in views):
                return _empty(notes)
            total = found.total
            pages = math.ceil(total / pagelen)
            page = min(page, max(pages, 1))
            boosted = [
                (sum((v.term_bits("year_group", y) for y in where.boost_years), 0), _YEAR_BOOST)
                for v in views
            ] if where.boost_years else None
            docnums = rank(views, found.matched, found.lists, page * pagelen, planned.sort,
                           boosted)
            terms = highlight_terms(found.query, views)
            hits = [
                to_hit(s.stored_fields(d), terms)
                for d in docnums[(page - 1) * pagelen : page * pagelen]
            ]
            facets = count_facets(views, found.matched)
            if total == 0 and not found.corrections:
                notes.append("No results. Try fewer words or remove a filter.")
            return SearchResults(
                hits, total, page, pages, facets, found.suggestion, " ".join(notes) or None,
                missing=found.missing, corrections=found.corrections,
            )

    @staticmethod
    def _filter(
        tokens: Sequence[str], include_archived: bool, constraints: relaxing.Constraints
    ) -> tuple[Any, query.Query]:
        """The permission filter and its cache key: a Whoosh query over the access field,
        AND-ed with the typed filters and the archive flag. Nothing the user types reaches it
        except as a narrower constraint."""
        must: list[query.Query] = [query.Or([query.Term("access", t) for t in tokens])]
        if not include_archived:
            must.append(query.Term("archived", False))
        nots: list[query.Query] = []
        for fieldname, values, negated in constraints:
            (nots if negated else must).append(constraint_query(fieldname, values))
        filter_q: query.Query = query.And(must)
        if nots:
            filter_q = query.AndNot(filter_q, query.Or(nots))
        key = (tuple(tokens), include_archived,
               tuple((f, tuple(v), n) for f, v, n in constraints))
        return key, filter_q

    def _find(
        self, views: Sequence[SegView], parsed: ParsedText, q: query.Query, relax: bool
    ) -> _Found:
        """The allowed documents matching ``q``; with ``relax``, relaxed when none match every
        word (``relaxing``)."""
        if not any(v.allowed for v in views):
            return _Found(q, [0] * len(views), [[] for _ in views], 0)
        matched, lists = match(q, views)
        found = _Found(q, matched, lists, sum(m.bit_count() for m in matched))
        if not relax:
            return found
        plain = relaxing.concepts_of(parsed.items)
        if found.total == 0 and plain is not None and plain[0]:
            self._relax(views, found, *plain)
        elif found.total == 0:
            fq = fuzzify(q)  # OR, NOT, brackets: kept as written, but close spellings allowed
            if fq is not q:
                fmatched, flists = match(fq, views)
                ftotal = sum(m.bit_count() for m in fmatched)
                if ftotal:
                    found.query, found.matched, found.lists, found.total = (
                        fq, fmatched, flists, ftotal)
                    found.notes.append("No exact matches, so close spellings are included.")
        return found

    def _relax(
        self,
        views: Sequence[SegView],
        found: _Found,
        concepts: list[relaxing.Concept],
        negations: list[query.Query],
    ) -> None:
        def any_match(q: query.Query) -> bool:
            return any(evaluate(q, v, None) & v.allowed for v in views)

        relaxed = relaxing.relax(concepts, negations, any_match)
        if relaxed is None:
            found.missing = list(dict.fromkeys(c.typed for c in concepts))
            return
        matched, lists = match(relaxed.query, views)
        if relaxed.most_words:
            matched = self._most_words(views, relaxed)
        found.query, found.matched, found.lists = relaxed.query, matched, lists
        found.total = sum(m.bit_count() for m in matched)
        found.missing = relaxed.missing
        found.notes.extend(relaxing.relaxed_notes(relaxed, [c.typed for c in concepts]))

    @staticmethod
    def _most_words(views: Sequence[SegView], relaxed: relaxing.Relaxed) -> list[int]:
        """Per segment, the allowed documents holding the most of the found words."""
        levels: list[list[int]] = []  # per segment: [docs with >= 1 word, >= 2 words, ...]
        for v in views:
            at_least = [0] * (len(relaxed.concepts) + 1)
            at_least[0] = v.allowed
            for concept in relaxed.concepts:
                bits = evaluate(concept, v, None) & v.allowed
                for j in range(len(relaxed.concepts), 0, -1):
                    at_least[j] |= at_least[j - 1] & bits
            keep = v.allowed
            for negation in relaxed.negations:
                keep &= evaluate(negation, v, None)
            levels.append([bits & keep for bits in at_least])
        best = max((j for seg in levels for j, bits in enumerate(seg) if j and bits), default=0)
        return [seg[best] if best else 0 for seg in levels]

    def _segment_views(self, s: Searcher) -> list[SegView]:
        """One view per segment, with its cache (caches of merged-away segments dropped)."""
        views = []
        for sub, offset in s.leaf_searchers():
            segment = sub.reader().segment()
            if segment is None:  # an empty index has no segments
                continue
            segid = segment.segment_id()
            cache = self._segcaches.get(segid)
            if cache is None:
                cache = self._segcaches[segid] = SegmentCache(segid, self._budget)
            views.append(SegView(s, sub, offset, cache))
        # Collection statistics depend on the segments alone (see SegView.stats_key).
        stats_key = tuple(v.cache.segid for v in views)
        for v in views:
            v.stats_key = stats_key
        gone = set(self._segcaches) - set(stats_key)
        if gone:
            for segid in gone:
                del self._segcaches[segid]
            self._budget.drop(lambda key: key[0] not in gone)  # type: ignore[index]
        return views

    def _views(self, s: Searcher, filter_key: Any, filter_q: query.Query) -> list[SegView]:
        """Per-segment views with the caller's allowed doc set (cached per filter)."""
        views = self._segment_views(s)
        for v in views:
            cache = v.cache
            live = v.live()
            key = (filter_key, live.bit_count())
            allowed = cache.get("allowed", key)
            if allowed is None:
                allowed = cache.put("allowed", key, evaluate(filter_q, v, None) & live)
            v.allowed = allowed
        return views

    def warm(self) -> None:
        """Load what the first searches would (facet, access and archive doc sets, field
        lengths, key and newest-first order), e.g. at worker start; optional.

        Each step (one kind of data for one segment) holds the index lock on its own, so
        searches running meanwhile wait for one step at most, never for the whole warm-up.
        """
        tasks: list[Callable[[SegView], object]] = [
            *(partial(_warm_terms, fieldname=f) for f in (*FACET_FIELDS.values(), "access")),
            partial(SegView.term_bits, fieldname="archived", text=False),
            *(partial(SegView.load_lengths, fieldname=f) for f in TEXT_FIELD_BOOSTS),
            SegView.keyrank,
            SegView.newest,
        ]
        segment = 0
        while True:
            for task in tasks:
                with self._lock:
                    s = self._current_searcher()
                    views = [] if s is None else self._segment_views(s)
                    if segment >= len(views):
                        return
                    task(views[segment])
                # A released lock goes to whichever thread asks first: pausing lets a waiting
                # search take it, and then run alone rather than share the CPU with warm-up.
                time.sleep(0.001)
            segment += 1

    def warm_in_background(self) -> threading.Thread:
        """Run ``warm()`` in a daemon thread (one at a time) and return it; searches may run
        meanwhile. Failures are logged: warming is only an optimisation."""
        with self._lock:
            if self._warming is None or not self._warming.is_alive():
                self._warming = threading.Thread(
                    target=self._warm_logged, name="search-warm-up", daemon=True
                )
                self._warming.start()
            return self._warming

    def _warm_logged(self) -> None:
        started = time.perf_counter()
        try:
            self.warm()
        except Exception:  # noqa: BLE001 - the first searches will load what they need
            _log.exception("search index %s: warm-up failed", self.path)
            return
        _log.info(
            "search index %s: warmed in %.0f ms", self.path, (time.perf_counter() - started) * 1e3
        )

    def cache_bytes(self) -> int:
        """Estimated bytes of cached data (kept within ``memory_mb``)."""
        with self._lock:
            return self._budget.bytes

    def _parse(self, qstring: str) -> query.Query:
        """The query for ``qstring`` as a search would build it (benchmarks use this)."""
        return to_query(parse_text(qstring).items)

    # ---- suggestions -------------------------------------------------------------------

    def _suggest(
        self, s: Searcher, views: Sequence[SegView], parsed: ParsedText, found: _Found
    ) -> None:
        """One correction per word found in no document the caller may see."""

        def any_match(q: query.Query) -> bool:
            return any(evaluate(q, v, None) & v.allowed for v in views)

        found.corrections = relaxing.suggest(
            parsed, any_match, lambda stem: visible_doc(views, stem) is not None,
            lambda word, stem: correct(s, views, word.lower(), stem))
        found.suggestion = relaxing.combined(parsed.raw, found.corrections)


@dataclass(slots=True)
class _Found:
    """What a search found in one scope, and how it got there."""

    query: query.Query
    matched: list[int]
    lists: list[list[Scored]]
    total: int
    notes: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    corrections: list[Correction] = field(default_factory=list)
    suggestion: str | None = None


def _warm_terms(v: SegView, fieldname: str) -> None:
    for value in v.facet_values(fieldname):
        v.term_bits(fieldname, value)


def _empty(notes: Sequence[str]) -> SearchResults:
    return no_results(notes, FACET_FIELDS)
