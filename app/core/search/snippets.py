"""Snippets and hits: escaped text with ``<mark>`` around the matched words.

With app.core.markdown, the only code that builds SafeHtml (tests/test_html_door.py).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from markupsafe import escape
from whoosh import highlight, query
from whoosh.analysis import (
    Token,
)

from app.core.markdown import SafeHtml
from app.core.search.analysis import TOKEN_RE, analyse_word
from app.core.search.results import Hit
from app.core.search.segments import SegView
from app.core.search.vocabulary import TEXT_FIELD_BOOSTS

_SNIPPET_CHARS = 240
_SNIPPET_MATCHES = 16


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
class HighlightTerms:
    exact: frozenset[str]
    prefixes: tuple[str, ...]
    finder: re.Pattern[str] | None


def highlight_terms(q: query.Query, views: Sequence[SegView]) -> HighlightTerms:
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
    return HighlightTerms(frozenset(exact), tuple(prefixes), finder)


def matched_tokens(text: str, terms: HighlightTerms, limit: int = 0) -> Iterator[Token]:
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
        tm = TOKEN_RE.match(text, start)
        if tm is None:
            continue
        end = tm.end()
        for form in analyse_word(tm.group(0)):
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


def _snippet(text: str, terms: HighlightTerms) -> SafeHtml:
    """Up to two escaped fragments of ``text`` around matched words; else its opening.

    With app.core.markdown, the only code that builds SafeHtml: MarkFormatter escapes the text
    and adds only <mark> tags.
    """
    tokens = list(matched_tokens(text, terms, limit=_SNIPPET_MATCHES))
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


def to_hit(f: Mapping[str, Any], terms: HighlightTerms) -> Hit:
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
