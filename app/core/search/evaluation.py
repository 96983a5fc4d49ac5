"""Evaluate a parsed query on one segment: the matching doc set and the lists that rank it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from whoosh import query

from app.core.search.segments import Scored, SegView, bits_from_ids
from app.core.search.vocabulary import TEXT_FIELD_BOOSTS

_LEAVES = (query.Term, query.Phrase, query.Prefix)  # FuzzyTerm is a Term


def _is_text_leaf(node: query.Query) -> bool:
    return isinstance(node, _LEAVES) and node.fieldname in TEXT_FIELD_BOOSTS


def _leaf_bits(node: query.Query, v: SegView) -> int:
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


def _add_ranking(lists: list[Scored], v: SegView, leaves: Sequence[query.Query]) -> None:
    """One ranking list for leaves that stand for one word (its Or across text fields)."""

    def key(leaf: query.Query) -> tuple[Any, ...]:
        text = tuple(leaf.words) if isinstance(leaf, query.Phrase) else leaf.text
        return (type(leaf).__name__, leaf.fieldname, text, leaf.boost)

    specs: list[tuple[str, str, float]] = []
    for leaf in leaves:
        f = leaf.fieldname
        if isinstance(leaf, query.Phrase):
            terms = list(dict.fromkeys(leaf.words))
        elif isinstance(leaf, query.Prefix | query.FuzzyTerm):
            terms = v.expand(leaf)
        else:
            terms = [leaf.text]
        specs.extend((f, t, leaf.boost * v.idf(f, t)) for t in terms)
    # The collection statistics the scores use are part of the key: a list built before
    # other documents changed them is never reused, so every worker ranks alike.
    fields = sorted({leaf.fieldname for leaf in leaves})
    stats = (tuple(s[2] for s in specs), tuple(v.avg_length(f) for f in fields))
    lists.append(v.scored((tuple(key(leaf) for leaf in leaves), stats), specs))


def evaluate(node: query.Query, v: SegView, lists: list[Scored] | None) -> int:
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
            bits &= evaluate(child, v, lists)
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
            bits |= evaluate(child, v, lists)
        return bits
    if isinstance(node, query.AndNot):
        return evaluate(node.a, v, lists) & ~evaluate(node.b, v, None)
    if isinstance(node, query.Not):
        return v.all & ~evaluate(node.query, v, None)
    if isinstance(node, _LEAVES):
        bits = _leaf_bits(node, v)
        if bits and lists is not None and node.fieldname in TEXT_FIELD_BOOSTS:
            _add_ranking(lists, v, [node])
        return bits
    # Anything else (not produced by our parser): let Whoosh enumerate it, unscored.
    return bits_from_ids(node.docs(v.sub), v.n)


def match(q: query.Query, views: Sequence[SegView]) -> tuple[list[int], list[list[Scored]]]:
    """Per segment: allowed documents matching ``q``, and the lists that rank them."""
    matched: list[int] = []
    lists: list[list[Scored]] = []
    for v in views:
        seg_lists: list[Scored] = []
        matched.append(evaluate(q, v, seg_lists) & v.allowed if v.allowed else 0)
        lists.append(seg_lists)
    return matched, lists
