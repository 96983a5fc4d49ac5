""" "Did you mean" suggestions, and close spellings when nothing matches exactly."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from whoosh import query
from whoosh.searching import Searcher

from app.core.search.analysis import DIGIT_RE
from app.core.search.segments import SegView
from app.core.search.snippets import HighlightTerms, matched_tokens

_FUZZY_MIN_CHARS = 5
#: Stems this long may be two edits away ("protracter" -> "protractor"); shorter ones one.
_FUZZY_TWO_EDITS = 8
#: "Did you mean" looks two edits away for stems this long.
_SUGGEST_TWO_EDITS = 5


def suggest_distance(stem: str) -> int:
    """How many edits away "did you mean" looks: two turn most short words into others ("did"
    -> "dienes"), so only longer stems get two."""
    return 2 if len(stem) >= _SUGGEST_TWO_EDITS else 1


def visible_doc(views: Sequence[SegView], term: str) -> int | None:
    """A global doc number the caller may see holding ``term`` in title or body, else None."""
    for v in views:
        bits = (v.term_bits("title", term) | v.term_bits("body", term)) & v.allowed
        if bits:
            return v.offset + (bits & -bits).bit_length() - 1
    return None


def correct(
    s: Searcher,
    views: Sequence[SegView],
    word: str,
    stem: str,
) -> str | None:
    """The closest index term (edit distance 1, then 2 for longer stems) in a visible doc, as a
    written word."""
    if not views:
        return None
    reader = s.reader()
    budget = views[0].cache.budget
    for dist in range(1, suggest_distance(stem) + 1):

        def make(dist: int = dist) -> list[str]:
            # The word list does not depend on the caller; visibility is checked below.
            found: dict[str, int] = {}
            for fieldname in ("title", "body"):
                for cand in set(reader.terms_within(fieldname, stem, dist, prefix=1)):
                    if cand not in found and not DIGIT_RE.search(cand):
                        found[cand] = reader.doc_frequency(fieldname, cand)
            return sorted(found, key=lambda c: (-found[c], c))

        # Cached per set of segments (the index's word list), in the index's budget.
        candidates: list[str] = budget.get_or_make((views[0].stats_key, "spell", stem, dist), make)
        for cand in candidates:
            docnum = visible_doc(views, cand)
            if docnum is not None:
                return _surface_form(s.stored_fields(docnum), cand, word)
    return None


def _surface_form(fields: Mapping[str, Any], term: str, typed: str) -> str:
    """How ``term`` (a stem) is written in a document, choosing the form closest to ``typed``."""
    terms = HighlightTerms(
        frozenset([term]), (), re.compile(rf"(?<!\w){re.escape(term[:3])}", re.IGNORECASE)
    )
    seen: Counter[str] = Counter()
    for name in ("title", "body"):
        text = fields.get(name) or ""
        for tok in matched_tokens(text, terms):
            seen[text[tok.startchar : tok.endchar].lower()] += 1
    if not seen:
        return term
    return min(seen, key=lambda w: (_distance(w, typed), -seen[w], w))


def _distance(a: str, b: str) -> int:
    """Levenshtein distance (short words only)."""
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def fuzzify(q: query.Query) -> query.Query:
    """Replace long free-text terms with fuzzy terms, one edit away (two for stems of 8+
    letters); returns q if none."""
    if isinstance(q, query.Not):
        return q
    if isinstance(q, query.Term) and not isinstance(q, query.FuzzyTerm):
        if (
            q.fieldname in ("title", "body", "sequence_title")
            and _FUZZY_MIN_CHARS <= len(q.text) <= 30
            and not DIGIT_RE.search(q.text)
        ):
            dist = 2 if len(q.text) >= _FUZZY_TWO_EDITS else 1
            return query.FuzzyTerm(q.fieldname, q.text, boost=q.boost, maxdist=dist,
                                   prefixlength=1)
        return q
    if isinstance(q, query.AndNot):
        a = fuzzify(q.a)
        return q if a is q.a else query.AndNot(a, q.b)
    if q.is_leaf():
        return q
    children = list(q.children())
    new = [fuzzify(c) for c in children]
    if all(a is b for a, b in zip(children, new, strict=True)):
        return q
    replacements = iter(new)  # apply() calls the function on each child, in order
    return q.apply(lambda _child: next(replacements))
