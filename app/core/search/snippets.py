"""Snippets and hits: escaped plain text with ``<mark>`` around the matched words.

With app.core.markdown, the only code that builds SafeHtml (tests/test_html_door.py).

A document's body is stored as its Markdown source. A snippet shows it as readable text:
``readable_text`` drops the Markdown syntax (emphasis, headings, list markers, table pipes, code
backticks, link targets), shows a wiki link as the label its author typed (or its default
label: never a looked-up title, which could name something the reader may not open) and keeps
each formula's TeX source, whose place it records. It is a few regular expressions, not the
Markdown parser: a 600-word body costs tens of microseconds (tests/test_search_page.py).

The snippet is then built from that text alone: every piece is escaped, and the only tags added
are ``<mark>`` and ``<span class="math-inline">`` around a formula's escaped source (exactly
what app.core.markdown emits, so the page's KaTeX script typesets it). A fragment never cuts a
formula in half, and a matched word inside a formula marks the whole formula.
"""

from __future__ import annotations

import bisect
import html
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

from app.core.markdown import MAX_MATH_DEPTH, SafeHtml, math_too_complex, wiki_link_label
from app.core.search.analysis import TOKEN_RE, analyse_word
from app.core.search.documents import split_files
from app.core.search.results import Hit
from app.core.search.segments import SegView
from app.core.search.vocabulary import TEXT_FIELD_BOOSTS

_SNIPPET_CHARS = 240
_SNIPPET_MATCHES = 16
#: Longest formula a snippet typesets; a longer one (or one too complex for the pages'
#: KaTeX) shows as "[formula]". A fragment is about 160 characters.
_SNIPPET_MATH_CHARS = 300
#: A fragment edge inside a formula this short takes in the whole formula; a longer one is left
#: out of the fragment instead.
_WHOLE_MATH_CHARS = 80
#: Most characters of Markdown source turned into text for one snippet: a window around the
#: first place a query word may occur, so a 100,000-character plan costs what a short one does.
_READABLE_CHARS = 20_000
_FORMULA = "[formula]"
#: Trimmed from a fragment's ends: spaces and a block separator next to the ellipsis.
_EDGE_NOISE = " \u00b7"

# --- Markdown source -> readable text ------------------------------------------------------

# Whole lines that are only syntax: code fences, rules, a table's delimiter row.
_SYNTAX_LINE_RE = re.compile(
    r"[ \t]*(?:(?:`{3,}|~{3,}).*"
    r"|([-*_])(?:[ \t]*\1){2,}[ \t]*"
    r"|\|?[ \t]*:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)+\|?[ \t]*)"
)
# A table row: its cells' unescaped pipes separate them (GFM: a pipe inside a cell, code and
# maths included, is written "\|").
_TABLE_ROW_RE = re.compile(r"[ \t]*\|(.*?)(?<!\\)\|?[ \t]*")
_CELL_PIPE_RE = re.compile(r"[ \t]*(?<!\\)\|[ \t]*")
# What starts a line: quote markers, then heading, list or numbered-list markers, a task box.
_LINE_START_RE = re.compile(
    r"[ \t]*(?:>[ \t]?)*[ \t]*(?:(?:#{1,6}|[-*+]|\d{1,9}[.)])(?=[ \t]|$)[ \t]*)*"
    r"(?:\[[ xX]\][ \t]+)?"
)
_HEADING_END_RE = re.compile(r"[ \t]+#+[ \t]*$")
#: How a line that holds Markdown line syntax can start (after indentation).
_LINE_SYNTAX_START = frozenset("#>-*+_|`~0123456789")
# Inline constructs, leftmost first. Each alternative opens with a literal character, so the
# scan skips ahead to the next "$", "`", "[", "!", "<", "\\" or "&" (a 600-word body in
# microseconds), and every repeat stops at the character that would close it, so the scan
# stays linear on hostile input ("$" or "`" repeated 100,000 times).
_INLINE_RE = re.compile(
    r"\$\$(?P<block>[^$]{1,4000})\$\$"
    r"|\$(?=[^\s$])(?P<math>[^$\n]{1,4000})(?<=[^\s\\])\$(?!\d)"
    r"|`(?P<ticks>`{0,2})(?P<code>[^`]{1,1000})(?P=ticks)`(?!`)"
    r"|\[\[(?P<wiki>[^\[\]\n]{1,300})\]\]"
    r"|\[\^(?P<note>[^\[\]\s]{1,50})\]"
    r"|\[(?P<link>[^\[\]\n]{0,300})\]\([^()\s]{0,2000}(?:[ \t]+\"[^\"\n]*\")?\)"
    r"|!\[(?P<image>[^\[\]\n]{0,300})\]\([^()\s]{0,2000}(?:[ \t]+\"[^\"\n]*\")?\)"
    r"|<(?P<auto>(?:https?://|mailto:)[^<>\s]{1,2000})>"
    r"|\\(?P<escaped>[!-/:-@\[-`{-~])"
    r"|&(?P<entity>#\d{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});"
)
# Emphasis and strike-through markers ("**bold**", "_em_", "~~old~~"): a run at a word's edge
# goes; "5 * 4", "2*3", "in_review" and a lone "~" stay.
_MARKER_RE = re.compile(r"[*_~]{1,3}")
_BREAK_RE = re.compile(r"\n\s*")  # \s takes in _BLOCK too
#: Marks a line that starts a block (a C0 control: never in saved text, see clean_text).
_BLOCK = "\x1e"
_SENTENCE_END = frozenset(".!?:;,\u00b7")


def _drop_marker(match: re.Match[str]) -> str:
    run, text = match.group(0), match.string
    start, end = match.span()
    if run.strip("~") == "" and len(run) != 2:
        return run
    prev = text[start - 1] if start else " "
    after = text[end] if end < len(text) else " "
    opens = not (prev.isalnum() or prev == "_") and not after.isspace()
    closes = not prev.isspace() and not (after.isalnum() or after == "_")
    return "" if opens or closes else run


def _flow(text: str, before: str) -> str:
    """Line breaks become one space inside a sentence, " · " between blocks (a heading, list
    items, paragraphs); ``before`` is the character that precedes ``text`` ("" at the start)."""

    def join(match: re.Match[str]) -> str:
        start, end = match.span()
        while start and text[start - 1] in " \t":
            start -= 1
        prev = text[start - 1] if start else before
        if not prev or prev == " ":
            return "" if not prev else " "
        if prev in _SENTENCE_END:
            return " "
        if _BLOCK in match.group(0):
            return " \u00b7 "
        # A line that goes on in lower case continues its sentence.
        return " " if end == len(text) or text[end].islower() else " \u00b7 "

    return _BREAK_RE.sub(join, text) if "\n" in text else text


def _prose(text: str, before: str) -> str:
    if "*" in text or "_" in text or "~" in text:
        text = _MARKER_RE.sub(_drop_marker, text)
    return _flow(text, before)


def _line(line: str) -> tuple[str, bool]:
    """One line without its Markdown line syntax (markers, pipes, closing #s), and whether it
    is a block of its own (a heading, list item, quote or table row)."""
    if _SYNTAX_LINE_RE.fullmatch(line):
        return "", False
    table = _TABLE_ROW_RE.fullmatch(line)
    if table is not None:
        return _CELL_PIPE_RE.sub(" \u00b7 ", table.group(1).strip()), True
    marker = _LINE_START_RE.match(line).end()  # type: ignore[union-attr] # always matches
    block = line[:marker].strip() != ""
    line = line[marker:]
    return (_HEADING_END_RE.sub("", line) if line.endswith("#") else line), block


def _source_lines(source: str) -> str:
    """The source without line syntax; a line that starts a block of its own begins with
    _BLOCK, so the line break before it reads as a separator whatever follows."""
    if _BLOCK in source:
        source = source.replace(_BLOCK, "")
    # Line by line in Python: most lines start with a letter and cost one look at it, where
    # multi-line regular expressions try every position of the body.
    lines = source.split("\n")
    for n, line in enumerate(lines):
        first = line.lstrip(" \t")[:1]
        if first and first in _LINE_SYNTAX_START:
            text, block = _line(line)
            lines[n] = _BLOCK + text if block and n else text
    return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class Readable:
    """A body as plain text, and where each formula's TeX source lies in it (start, end)."""

    text: str
    maths: tuple[tuple[int, int], ...]


def readable_text(source: str) -> Readable:
    """Markdown source as the plain text a reader sees, formulas kept as their TeX source."""
    source = _source_lines(source.replace("\r\n", "\n").replace("\r", "\n"))
    parts: list[str] = []
    maths: list[tuple[int, int]] = []
    length = 0

    def add(piece: str) -> None:
        nonlocal length
        if piece:
            parts.append(piece)
            length += len(piece)

    def before() -> str:
        return parts[-1][-1] if parts else ""

    pos = 0
    for m in _INLINE_RE.finditer(source):
        kind = m.lastgroup
        if m.start() > pos:
            add(_prose(source[pos : m.start()], before()))
        pos = m.end()
        if kind in ("block", "math"):
            tex = " ".join(m.group(kind).split())
            # (Nesting deeper than MAX_MATH_DEPTH needs more characters than that.)
            if len(tex) > _SNIPPET_MATH_CHARS or (len(tex) > MAX_MATH_DEPTH
                                                  and math_too_complex(tex)):
                add(_FORMULA)
                continue
            maths.append((length, length + len(tex)))
            add(tex)
        elif kind == "code":
            add(_flow(m.group("code"), before()))
        elif kind == "wiki":
            label = wiki_link_label(m.group("wiki"))
            add(label if label is not None else _prose(m.group(0), before()))
        elif kind in ("link", "image"):
            add(_prose(m.group(kind), before()))
        elif kind == "entity":
            add(html.unescape(m.group(0)))
        elif kind in ("auto", "escaped"):
            add(m.group(kind))
        # "note" (a footnote reference, "[^1]") adds nothing.
    add(_prose(source[pos:], before()))
    text = "".join(parts)
    return Readable(text.rstrip(), tuple(maths))


def _source_window(source: str, terms: HighlightTerms) -> tuple[int, str]:
    """All of a short body; of a long one, the lines around the first possible match (and
    where they start)."""
    if len(source) <= _READABLE_CHARS:
        return 0, source
    first = terms.finder.search(source) if terms.finder is not None else None
    start = 0
    if first is not None and first.start() > _READABLE_CHARS // 4:
        # From a line's start where one is near, so the window does not open inside a
        # construct's syntax; else from a word's.
        target = first.start() - _READABLE_CHARS // 4
        start = source.rfind("\n", target - 2000, target) + 1 or \
            source.rfind(" ", target - 200, target) + 1 or target
    return start, source[start : start + _READABLE_CHARS]


# --- which words match ---------------------------------------------------------------------


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
        if limit and found == limit:
            return


# --- fragments and markup ------------------------------------------------------------------


def _containing(maths: Sequence[tuple[int, int]], starts: Sequence[int], at: int
                ) -> tuple[int, int] | None:
    """The formula that holds character ``at`` (strictly after its start), if any."""
    i = bisect.bisect_right(starts, at) - 1
    if i >= 0 and maths[i][0] <= at < maths[i][1]:
        return maths[i]
    return None


def _whole_formulas(tokens: list[Token], readable: Readable) -> list[Token]:
    """Matched words, each one inside a formula replaced by the whole formula (once)."""
    if not readable.maths:
        return tokens
    starts = [s for s, _ in readable.maths]
    out: list[Token] = []
    for tok in tokens:
        span = _containing(readable.maths, starts, tok.startchar)
        if span is not None:
            if out and out[-1].startchar == span[0]:
                continue
            tok.startchar, tok.endchar = span
        out.append(tok)
    return out


def _edge(readable: Readable, starts: Sequence[int], at: int, *, is_start: bool) -> int:
    """Move a fragment edge off the inside of a formula: out to take in a short formula
    whole, else past it to leave it out."""
    span = _containing(readable.maths, starts, at)
    if span is None or at == span[0]:
        return at
    short = span[1] - span[0] <= _WHOLE_MATH_CHARS
    if is_start:
        return span[0] if short else span[1]
    return span[1] if short else span[0]


def _markup(readable: Readable, start: int, end: int, marks: Sequence[tuple[int, int]]) -> str:
    """``text[start:end]`` escaped, with <mark> around ``marks`` and each formula in a
    math-inline span. The only place snippet markup is written."""
    text = readable.text
    marked = set(marks)
    spans = [(s, e, "math") for s, e in readable.maths if s >= start and e <= end]
    math_set = {(s, e) for s, e, _ in spans}
    spans += [(s, e, "mark") for s, e in marks if (s, e) not in math_set]
    spans.sort()
    out: list[str] = []
    pos = start
    for s, e, kind in spans:
        if s < pos:  # overlaps what is already written (cannot happen; never nest tags)
            continue
        out.append(str(escape(text[pos:s])))
        inner = str(escape(text[s:e]))
        if kind == "math":
            inner = f'<span class="math-inline">{inner}</span>'
            if (s, e) in marked:
                inner = f"<mark>{inner}</mark>"
        else:
            inner = f"<mark>{inner}</mark>"
        out.append(inner)
        pos = e
    out.append(str(escape(text[pos:end])))
    return "".join(out)


def _fragment(readable: Readable, start: int, end: int, marks: Sequence[tuple[int, int]],
              cut: tuple[bool, bool]) -> str:
    """One fragment, with an ellipsis where it cuts into the text (``cut``: the readable text
    itself is a window cut from the body, before and after)."""
    lead = "\u2026 " if start > 0 or cut[0] else ""
    tail = " \u2026" if end < len(readable.text) or cut[1] else ""
    # A block separator at a fragment's edge is noise next to the ellipsis.
    inner = _markup(readable, start, end, marks).strip(_EDGE_NOISE)
    return f"{lead}{inner}{tail}"


_FRAGMENTER = highlight.PinpointFragmenter(maxchars=160, surround=50, autotrim=True, charlimit=0)


def _snippet(source: str, terms: HighlightTerms,
             files: Sequence[tuple[str, str]] = ()) -> tuple[SafeHtml, str]:
    """Up to two fragments of the body's readable text around matched words; else of the
    first attached file whose text (or name) matches, with that file's name; else the body's
    opening. Returns (snippet, file name or "").

    With app.core.markdown, the only code that builds SafeHtml: _markup escapes the text and
    adds only <mark> and math-inline span tags.
    """
    offset, windowed = _source_window(source, terms)
    readable = readable_text(windowed)
    cut_off = (offset > 0, offset + len(windowed) < len(source))
    found = _around_matches(readable, terms, cut_off)
    if found is not None:
        return found, ""
    for name, text in files:
        found = _file_snippet(text, terms)
        if found is not None:
            return found, name
    for name, text in files:
        # Found by its name alone: the start of its text says what the file is.
        if next(matched_tokens(name, terms, limit=1), None) is not None:
            return _opening(_plain(text[:_SNIPPET_CHARS * 2]), (False, False)), name
    return _opening(readable, cut_off), ""


def _plain(text: str) -> Readable:
    """A file's text as one line: its line breaks are layout (slides, PDF lines), not prose."""
    return Readable(" ".join(text.split()), ())


def _file_snippet(text: str, terms: HighlightTerms) -> SafeHtml | None:
    """Fragments of a file's plain text around matched words (never read as Markdown), or
    None when no word matches."""
    offset, windowed = _source_window(text, terms)
    return _around_matches(_plain(windowed), terms,
                           (offset > 0, offset + len(windowed) < len(text)))


def _around_matches(readable: Readable, terms: HighlightTerms, cut_off: tuple[bool, bool]
                    ) -> SafeHtml | None:
    """Up to two fragments around matched words, or None when no word matches."""
    text = readable.text
    starts = [s for s, _ in readable.maths]
    tokens = _whole_formulas(list(matched_tokens(text, terms, limit=_SNIPPET_MATCHES)),
                             readable)
    if tokens and len(text) <= _SNIPPET_CHARS:
        return SafeHtml(_fragment(readable, 0, len(text),
                                  [(t.startchar, t.endchar) for t in tokens], cut_off))
    if tokens:
        fragments = highlight.top_fragments(
            _FRAGMENTER.fragment_matches(text, tokens),
            2,
            highlight.BasicFragmentScorer(),
            highlight.FIRST,
        )
        if fragments:
            pieces = []
            for f in fragments:
                start = _edge(readable, starts, f.startchar, is_start=True)
                end = _edge(readable, starts, f.endchar, is_start=False)
                marks = [(t.startchar, t.endchar) for t in f.matches]
                pieces.append(_fragment(readable, start, end, marks, cut_off))
            # One ellipsis between two fragments, not one from each.
            return SafeHtml(" ".join(pieces).replace(" \u2026 \u2026 ", " \u2026 "))
    return None


def _opening(readable: Readable, cut_off: tuple[bool, bool]) -> SafeHtml:
    """The start of the text, cut at a word."""
    text = readable.text
    starts = [s for s, _ in readable.maths]
    if len(text) <= _SNIPPET_CHARS:
        return SafeHtml(_fragment(readable, 0, len(text), [], cut_off))
    cut = text.rfind(" ", 0, _SNIPPET_CHARS)
    cut = _edge(readable, starts, cut if cut > 0 else _SNIPPET_CHARS, is_start=False)
    return SafeHtml(_fragment(readable, 0, cut, [], cut_off))


def to_hit(f: Mapping[str, Any], terms: HighlightTerms) -> Hit:
    """A Hit from stored fields, with its snippet (and the file it comes from, if any)."""
    body, files = split_files(f.get("body", ""))
    snippet, in_file = _snippet(body, terms, files)
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
        snippet=snippet,
        extra=extra,
        in_file=in_file,
    )
