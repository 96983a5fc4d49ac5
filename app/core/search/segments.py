"""Per-segment data: doc sets as Python ints, cached postings and BM25 scores.

Why not Searcher.search(): Whoosh scores every matching document in Python (about 2.5 us per
document per field), and exact totals plus facets need every match, so a common word over
50,000 lessons costs well over 100 ms; its block-quality skipping rarely fires with BM25
length normalisation. Instead, doc sets are Python ints used as bitsets (AND, OR and popcount
run in C), cached per segment (segments never change; deletions are masked at query time),
and ranking walks per-term lists sorted by score (Fagin's threshold algorithm, in ranking.py),
stopping once the page is certain. Whoosh still does analysis, storage, parsing, term
expansion and locking.

All cached data lives in the index's byte-bounded LRU (budget.py), keyed by segment id. Scores
depend on collection statistics (idf, average field lengths), which change with every commit;
they are read from the current searcher, rounded to 3 significant digits and made part of the
key of a cached score list, so every worker that sees the same index ranks the same query the
same way, while a list survives the commits that move no statistic it uses past a rounding
step. Equal scores are ordered by document key, never by document number.
"""

from __future__ import annotations

import math
import sys
from array import array
from bisect import bisect_left
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from whoosh import query
from whoosh.codec.whoosh3 import LENGTHS_COLUMN
from whoosh.matching.wrappers import FilterMatcher
from whoosh.reading import TermNotFound
from whoosh.searching import Searcher
from whoosh.util.numeric import byte_to_length

from app.core.search.analysis import SCHEMA
from app.core.search.budget import Budget

_BM25_K1 = 1.2
_BM25_B = 0.75

#: Prefix and fuzzy terms expand to at most this many index terms (most frequent kept).
_MAX_EXPANSIONS = 128
_BYTE_BITS = tuple(tuple(i for i in range(8) if b >> i & 1) for b in range(256))


def bits_from_ids(ids: Iterable[int], n: int) -> int:
    """A doc set (bit d set for doc d) from document numbers below n."""
    buf = bytearray((n >> 3) + 1)
    for d in ids:
        buf[d >> 3] |= 1 << (d & 7)
    return int.from_bytes(buf, "little")


def iter_bits(bits: int) -> Iterator[int]:
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


def _fixed_column(col: Any, n: int) -> array[int] | None:
    """All n values of a fixed-width numeric Whoosh column in one read, or None if ``col``
    is not one. Reading value by value costs a seek and a read each (no mmap, see index.py):
    40 ms per 25,000 documents, against 1 ms for one read."""
    try:
        data = col._dbfile.get(col._basepos, col._count * col._fixedlen)
        values = array(col._typecode, data)
        default = col._default
    except (AttributeError, TypeError, ValueError):
        return None
    if values.itemsize > 1 and sys.byteorder == "little":
        values.byteswap()  # stored big-endian ("!" struct formats)
    values.extend([default] * (n - len(values)))
    return values


@dataclass(slots=True)
class Scored:
    """BM25 contributions of one term (or expanded term) in one segment."""

    ids: array[int]  # ascending document numbers
    parts: array[float]  # score of ids[i]
    order: array[int]  # document numbers, best first
    ranked: array[float]  # score of order[i]

    @classmethod
    def build(cls, scores: Mapping[int, float], keyrank: Sequence[int]) -> Scored:
        ids = array("i", sorted(scores))
        ranked_pairs = sorted(scores.items(), key=lambda kv: (-kv[1], keyrank[kv[0]]))
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


def _sig3(x: float) -> float:
    """``x`` rounded to 3 significant digits (collection statistics in score list keys)."""
    return float(f"{x:.3g}")


class SegmentCache:
    """Data derived from one immutable segment, kept in the index's shared LRU budget until
    evicted or the segment is merged away. Kinds: bits, allowed, live, phrase, scored,
    lengths, newest, keyrank, facets, expand."""

    def __init__(self, segid: str, budget: Budget) -> None:
        self.segid = segid
        self.budget = budget

    def get(self, kind: str, key: Hashable) -> Any:
        return self.budget.get((self.segid, kind, key))

    def put(self, kind: str, key: Hashable, value: Any) -> Any:
        return self.budget.put((self.segid, kind, key), value)

    def get_or_make(self, kind: str, key: Hashable, make: Callable[[], Any]) -> Any:
        return self.budget.get_or_make((self.segid, kind, key), make)


class SegView:
    """One segment during one search: its reader, offset, cache and the caller's allowed set."""

    def __init__(
        self,
        searcher: Searcher,
        sub: Searcher,
        offset: int,
        cache: SegmentCache,
        stats_key: Hashable = None,
    ) -> None:
        self.searcher = searcher  # top level, for collection statistics
        #: Identifies the collection statistics: the searcher's segment ids (Whoosh counts
        #: deleted documents in doc counts, frequencies and lengths, so deletions leave them).
        self.stats_key = stats_key
        self.sub = sub
        self.reader = sub.reader()
        self.offset = offset
        self.cache = cache
        self.n = self.reader.doc_count_all()
        self.all = (1 << self.n) - 1
        self.allowed = 0
        self._keys: Any = None

    # -- doc sets --------------------------------------------------------------------------

    def live(self) -> int:
        """Undeleted documents (deletions only grow, so their count identifies them)."""
        deleted = list(self.reader.segment().deleted_docs() or ())
        count = len(deleted)

        def make() -> int:
            return self.all & ~bits_from_ids(deleted, self.n) if count else self.all

        live: int = self.cache.get_or_make("live", count, make)
        return live

    def term_bits(self, fieldname: str, text: Any) -> int:
        key = (fieldname, text)
        bits = self.cache.get("bits", key)
        if bits is None:
            m = _raw_postings(self.reader, fieldname, text)
            bits = self.cache.put(
                "bits", key, 0 if m is None else bits_from_ids(m.all_ids(), self.n)
            )
        return int(bits)

    def expand(self, node: query.Query) -> list[str]:
        """Index terms a Prefix or FuzzyTerm stands for in this segment (most frequent first)."""
        fuzzy = isinstance(node, query.FuzzyTerm)
        key = (
            (node.fieldname, node.text, node.maxdist, node.prefixlength)
            if fuzzy
            else (node.fieldname, node.text)
        )
        terms: list[str] = self.cache.get_or_make("expand", key, lambda: self._expand(node))
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

    def newest(self) -> tuple[array[int], array[int]]:
        """(update times, document numbers newest first; equal times by key), from columns."""

        def make() -> tuple[array[int], array[int]]:
            column = self.reader.column_reader("updated", translate=False)
            values = _fixed_column(column, self.n) or array("Q", column)
            rank = self.keyrank()
            return values, array("i", sorted(range(self.n), key=lambda d: (-values[d], rank[d])))

        found: tuple[array[int], array[int]] = self.cache.get_or_make("newest", None, make)
        return found

    def keyrank(self) -> array[int]:
        """Each document's position in this segment's documents sorted by key (tie-breaks)."""

        def make() -> array[int]:
            keys = list(self.reader.column_reader("key", translate=False))
            rank = array("i", bytes(4 * self.n))
            for i, d in enumerate(sorted(range(self.n), key=keys.__getitem__)):
                rank[d] = i
            return rank

        rank: array[int] = self.cache.get_or_make("keyrank", None, make)
        return rank

    def key(self, d: int) -> bytes:
        """The document key of document ``d`` (as stored: UTF-8 bytes), to order equal scores
        across segments."""
        column = self._keys
        if column is None:
            column = self._keys = self.reader.column_reader("key", translate=False)
        key: bytes = column[d]
        return key

    def facet_values(self, fieldname: str) -> list[str]:
        def make() -> list[str]:
            return list(self.reader.field_terms(fieldname))

        values: list[str] = self.cache.get_or_make("facets", fieldname, make)
        return values

    # -- scores ----------------------------------------------------------------------------

    def idf(self, fieldname: str, text: Any) -> float:
        """BM25 idf over the whole current index, rounded (see the module docstring)."""

        def make() -> float:
            n = self.searcher.doc_count_all()
            df = self.searcher.doc_frequency(fieldname, text)
            return _sig3(math.log(1 + (n - df + 0.5) / (df + 0.5)))

        idf: float = self.cache.budget.get_or_make((self.stats_key, "idf", fieldname, text), make)
        return idf

    def avg_length(self, fieldname: str) -> float:
        """Average length of the field over the whole current index, rounded."""

        def make() -> float:
            return _sig3(self.searcher.avg_field_length(fieldname) or 1.0)

        avg: float = self.cache.budget.get_or_make((self.stats_key, "avg", fieldname), make)
        return avg

    def lengths(self, fieldname: str) -> array[int] | None:
        """Every document's length in the field if cached, else None."""
        found: array[int] | None = self.cache.get("lengths", fieldname)
        return found

    def load_lengths(self, fieldname: str) -> array[int]:
        def make() -> array[int]:
            try:  # the codec's length column: one byte per document, log-scaled
                column = self.reader._perdoc._cached_reader(f"_{fieldname}_len", LENGTHS_COLUMN)
            except AttributeError:
                column = None
            codes = _fixed_column(column, self.n) if column is not None else None
            if codes is not None:
                return array("I", (byte_to_length(c) for c in codes))
            dfl = self.reader.doc_field_length
            return array("I", (dfl(d, fieldname) or 0 for d in range(self.n)))

        lengths: array[int] = self.cache.get_or_make("lengths", fieldname, make)
        return lengths

    def _add_parts(self, into: dict[int, float], fieldname: str, text: str, factor: float) -> None:
        m = _raw_postings(self.reader, fieldname, text)
        if m is None:
            return
        lengths: Any = self.lengths(fieldname)
        if lengths is None:
            if self.reader.doc_frequency(fieldname, text) * 8 > self.n:
                lengths = self.load_lengths(fieldname)
            else:  # a rare term: look up just its documents rather than load the whole column
                dfl = self.reader.doc_field_length
                lengths = _LazyLengths(lambda d: dfl(d, fieldname))
        avg = self.avg_length(fieldname)
        k1, b = _BM25_K1, _BM25_B
        norm = k1 * (1 - b)
        slope = k1 * b / avg
        while m.is_active():
            d = m.id()
            tf = m.weight()
            into[d] = into.get(d, 0.0) + factor * tf * (k1 + 1) / (tf + norm + slope * lengths[d])
            m.next()

    def scored(self, key: Hashable, terms: Sequence[tuple[str, str, float]]) -> Scored:
        """Cached scores for ``terms`` ((field, text, factor)) summed per document. ``key``
        must name everything the scores depend on: the terms, their factors (idf included)
        and the average lengths of their fields."""

        def make() -> Scored:
            parts: dict[int, float] = {}
            for fieldname, text, factor in terms:
                self._add_parts(parts, fieldname, text, factor)
            return Scored.build(parts, self.keyrank())

        found: Scored = self.cache.get_or_make("scored", key, make)
        return found

    # -- phrases ---------------------------------------------------------------------------

    def phrase_bits(self, fieldname: str, words: Sequence[str], candidates: int) -> int:
        """Candidates (holding every word) where the words are adjacent, in order."""
        key = (fieldname, tuple(words))
        checked, verified = self.cache.get("phrase", key) or (0, 0)
        todo = candidates & ~checked
        if todo:
            matchers = [_raw_postings(self.reader, fieldname, w) for w in words]
            if any(m is None for m in matchers):
                return 0
            found = []
            for d in iter_bits(todo):
                positions = []
                for m in matchers:
                    m.skip_to(d)
                    positions.append(m.value_as("positions"))
                later = [set(p) for p in positions[1:]]
                if any(all(p + i in s for i, s in enumerate(later, 1)) for p in positions[0]):
                    found.append(d)
            verified |= bits_from_ids(found, self.n)
            checked |= todo
            self.cache.put("phrase", key, (checked, verified))
        return verified & candidates
