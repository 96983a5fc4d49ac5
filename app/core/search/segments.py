"""Per-segment data: doc sets as Python ints, cached postings and BM25 scores.

Why not Searcher.search(): Whoosh scores every matching document in Python (about 2.5 us per
document per field), and exact totals plus facets need every match, so a common word over
50,000 lessons costs well over 100 ms; its block-quality skipping rarely fires with BM25
length normalisation. Instead, doc sets are Python ints used as bitsets (AND, OR and popcount
run in C), cached per segment (segments never change; deletions are masked at query time),
and ranking walks per-term lists sorted by score (Fagin's threshold algorithm, in ranking.py),
stopping once the page is certain. Whoosh still does analysis, storage, parsing, term
expansion and locking.
"""

from __future__ import annotations

import math
from array import array
from bisect import bisect_left
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from whoosh import query
from whoosh.matching.wrappers import FilterMatcher
from whoosh.reading import TermNotFound
from whoosh.searching import Searcher

from app.core.search.analysis import SCHEMA

_BM25_K1 = 1.2
_BM25_B = 0.75

#: Prefix and fuzzy terms expand to at most this many index terms (most frequent kept).
_MAX_EXPANSIONS = 128
#: Per segment: cached scored postings (entries) and doc-set ints (count) before eviction.
_SCORED_BUDGET = 1_500_000  # about 16 bytes each
_BITS_BUDGET = 4096
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


@dataclass(slots=True)
class Scored:
    """BM25 contributions of one term (or expanded term) in one segment."""

    ids: array[int]  # ascending document numbers
    parts: array[float]  # score of ids[i]
    order: array[int]  # document numbers, best first
    ranked: array[float]  # score of order[i]

    @classmethod
    def build(cls, scores: Mapping[int, float]) -> Scored:
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


class SegmentCache:
    """Data derived from one immutable segment, reused until the segment is merged away."""

    def __init__(self) -> None:
        self.bits: OrderedDict[Any, int] = OrderedDict()
        self.scored: OrderedDict[Any, Scored] = OrderedDict()
        self.scored_size = 0
        self.phrases: dict[Any, tuple[int, int]] = {}  # key -> (checked, verified)
        self.lengths: dict[str, list[int]] = {}
        self.newest: list[int] | None = None
        self.updated: list[int] | None = None
        self.facet_terms: dict[str, list[str]] = {}
        self.expansions: dict[Any, list[str]] = {}
        self.live: tuple[int, int] | None = None  # (deleted count, live docs)
        self.allowed: OrderedDict[Any, int] = OrderedDict()


class SegView:
    """One segment during one search: its reader, offset, cache and the caller's allowed set."""

    def __init__(self, searcher: Searcher, sub: Searcher, offset: int, cache: SegmentCache):
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
            mask = bits_from_ids(deleted, self.n) if deleted else 0
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
        bits = 0 if m is None else bits_from_ids(m.all_ids(), self.n)
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

    def scored(self, key: Any, terms: Callable[[], Sequence[tuple[str, str, float]]]) -> Scored:
        """Cached scores for ``terms()`` ((field, text, factor)) summed per document."""
        cache = self.cache.scored
        found = cache.get(key)
        if found is not None:
            cache.move_to_end(key)
            return found
        parts: dict[int, float] = {}
        for fieldname, text, factor in terms():
            self._add_parts(parts, fieldname, text, factor)
        found = cache[key] = Scored.build(parts)
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
            self.cache.phrases[key] = (checked, verified)
        return verified & candidates
