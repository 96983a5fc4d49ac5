"""Facet counts: how many allowed matches hold each value of each facet, on every page."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from app.core.search.segments import SegView
from app.core.search.vocabulary import FACET_FIELDS


def count_facets(
    views: Sequence[SegView], matched: Sequence[int]
) -> dict[str, list[tuple[str, int]]]:
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
