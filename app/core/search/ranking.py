"""The first k matches: by BM25 (a threshold walk over sorted lists) or newest first.

Equal scores (and equal update times) are ordered by document key, so the order never
depends on document numbers, which differ between rebuilds of the same content.
"""

from __future__ import annotations

import heapq
import itertools
from bisect import bisect_left
from collections.abc import Iterator, Sequence

from app.core.search.segments import Scored, SegView, iter_bits

#: At or below this many matches in a segment, always score them all instead of walking lists.
_EXHAUSTIVE = 64


def _top(
    lists: Sequence[Scored],
    matched: int,
    k: int,
    keyrank: Sequence[int],
    boosted: tuple[int, float] = (0, 1.0),
) -> list[tuple[float, int]]:
    """The k best (score, doc) of ``matched`` under the summed lists, best first; equal
    scores by ``keyrank`` (the document's key order). ``boosted`` is (documents, factor):
    their scores are multiplied by the factor (>= 1)."""
    if not lists or not matched or k <= 0:
        return []
    columns = [(sc.ids, sc.parts, len(sc.ids)) for sc in lists]
    boost_bits, factor = boosted

    def score(d: int) -> float:
        total = 0.0
        for ids, parts, n in columns:
            i = bisect_left(ids, d)
            if i < n and ids[i] == d:
                total += parts[i]
        return total * factor if boost_bits >> d & 1 else total

    # Scoring every match costs |M| x lists; the threshold walk costs about k / density steps
    # per list, where density = |M| / longest list. Pick the cheaper (tests set _EXHAUSTIVE
    # to 0 to force the walk).
    count = matched.bit_count()
    longest = max(len(sc.order) for sc in lists)
    if count <= _EXHAUSTIVE or (_EXHAUSTIVE and count * count <= 4 * k * longest):
        best = heapq.nlargest(k, ((score(d), -keyrank[d], d) for d in iter_bits(matched)))
        return [(sc, d) for sc, _, d in best]
    member = matched.to_bytes((matched.bit_length() + 7) >> 3, "little")
    size = len(member)
    heap: list[tuple[float, int, int]] = []  # k best so far (score, -keyrank, doc), worst on top
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
                    item = (score(d), -keyrank[d], d)
                    if len(heap) < k:
                        heapq.heappush(heap, item)
                    elif item > heap[0]:
                        heapq.heapreplace(heap, item)
        # No unseen document can score more than the sum of the current list heads, times the
        # boost (strictly more is needed: an unseen document with an equal score might have a
        # smaller key).
        if len(heap) >= k and heap[0][0] > threshold * (factor if boost_bits else 1.0):
            break
        depth += 1
    return [(sc, d) for sc, _, d in sorted(heap, reverse=True)]


def rank(
    views: Sequence[SegView],
    matched: Sequence[int],
    lists: Sequence[Sequence[Scored]],
    k: int,
    sort: str,
    boosted: Sequence[tuple[int, float]] | None = None,
) -> list[int]:
    """Global document numbers of the k first matches, by relevance or newest first.
    ``boosted`` gives per segment (documents, factor) whose relevance is multiplied."""
    if sort == "relevance" and any(lists):
        best: list[tuple[float, bytes, int]] = []
        for i, (v, m, seg_lists) in enumerate(zip(views, matched, lists, strict=True)):
            if seg_lists and m:
                top = _top(seg_lists, m, k, v.keyrank(), boosted[i] if boosted else (0, 1.0))
                best.extend((sc, v.key(d), v.offset + d) for sc, d in top)
        best.sort(key=lambda item: (-item[0], item[1]))
        return [d for _, _, d in best[:k]]

    def newest(v: SegView, m: int) -> Iterator[tuple[int, bytes, int]]:
        updated, order = v.newest()
        member = m.to_bytes((m.bit_length() + 7) >> 3, "little")
        for d in order:
            i = d >> 3
            if i < len(member) and member[i] >> (d & 7) & 1:
                yield (-updated[d], v.key(d), v.offset + d)

    merged = heapq.merge(*(newest(v, m) for v, m in zip(views, matched, strict=True) if m))
    return [d for _, _, d in itertools.islice(merged, k)]
