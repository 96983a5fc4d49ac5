"""Text analysis: one tokenizer for indexing and queries, maths-aware stemming, the schema.

Maths tokens (RTP codes, fractions, decimals, 2x, 10%) stay whole, and en dashes and minus signs
become "-", so 3NF–2 and 3NF-2 are one term. ``normalise_*`` put typed codes in stored form.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

from whoosh.analysis import (
    Filter,
    LowercaseFilter,
    RegexTokenizer,
    StemFilter,
    StopFilter,
    Token,
)
from whoosh.fields import BOOLEAN, DATETIME, ID, KEYWORD, NUMERIC, STORED, TEXT, Schema

from app.core.text import is_whole_number

_DASH_CHARS = "\u2010\u2011\u2013\u2212"  # hyphen, non-breaking hyphen, en dash, minus sign
_HYPHENS = "\\-" + _DASH_CHARS
# One regular expression for both indexing and queries. Maths tokens come first so they stay
# whole: RTP codes (3NF-2, 6AS/MD–3), fractions (3/4), decimals and segment numbers (2.7, 3.10,
# 12.5%), then any word holding a digit, optionally hyphen-joined (2x, 10%, NCP24-11, Y2-Y4).
# Plain words split on hyphens, so "part-whole" matches "whole". The first branch is a fast path
# for the common case, a run of letters not followed by a digit.
TOKEN_PATTERN = (
    r"[^\W\d_]+(?!\w)|"
    # TeX fractions in maths ($\frac{3}{4}$) are indexed as 3/4 (see ``PartsFilter``).
    r"\\[dt]?frac\s*\{\s*\d+\s*\}\s*\{\s*\d+\s*\}|"
    rf"\d+[^\W\d_]+(?:/[^\W\d_]+)?[{_HYPHENS}]\d+"
    rf"|\d+(?:/\d+)+(?![\w{_HYPHENS}])"
    rf"|\d+(?:\.\d+)+%?(?![\w{_HYPHENS}])"
    rf"|\w*\d\w*(?:[{_HYPHENS}]\w+)*%?"
    r"|\w+"
)
TOKEN_RE = re.compile(TOKEN_PATTERN)
_DASH_TABLE = str.maketrans(dict.fromkeys(_DASH_CHARS, "-"))
DIGIT_RE = re.compile(r"\d")
_TEX_FRACTION_RE = re.compile(r"\\[dt]?frac\s*\{\s*(\d+)\s*\}\s*\{\s*(\d+)\s*\}")
#: Where a maths token (2-digit, 3/4, 2.7, 10%, 3nf-2) splits into the parts also indexed.
_PART_SPLIT_RE = re.compile(r"[-/.%]")
#: Bumped whenever indexing analysis changes: documents built before it are stale (their
#: content version includes it), so `flask search verify` reports them and a rebuild fixes them.
ANALYSIS_VERSION = 2


class DashFilter(Filter):
    """Map en dashes and minus signs to "-", so 3NF–2 and 3NF-2 are the same term."""

    def __call__(self, tokens: Iterable[Token]) -> Iterator[Token]:
        for t in tokens:
            t.text = t.text.translate(_DASH_TABLE)
            yield t


class PartsFilter(Filter):
    """Normalise maths tokens (en dashes and minus signs become "-", so 3NF–2 and 3NF-2 are one
    term; TeX \\frac{3}{4} becomes 3/4). When indexing, also follow a maths token (2-digit,
    3/4, 2.7, 10%) with its parts at the same position, so "digit", "3" and "2" find it too;
    queries keep the token whole, so a typed "2-digit" still needs the compound (or one of the
    alternatives the query adds)."""

    def __call__(self, tokens: Iterable[Token]) -> Iterator[Token]:
        split = _PART_SPLIT_RE.split
        for t in tokens:
            whole = t.text
            if not DIGIT_RE.search(whole):
                yield t
                continue
            if whole.startswith("\\"):  # \frac{3}{4}
                whole = _TEX_FRACTION_RE.sub(r"\1/\2", whole)
            whole = t.text = whole.translate(_DASH_TABLE)
            yield t
            # Whoosh puts the mode on each token ("index" when writing, "query" when parsing).
            if t.mode != "index" or t.stopped or not _PART_SPLIT_RE.search(whole):
                continue
            parts = [p for p in split(whole) if p]
            if whole.endswith("%"):
                parts.append("percent")
            for part in dict.fromkeys(parts):
                if part != whole:
                    t.text = part
                    yield t
            t.text = whole


class MathsStemFilter(StemFilter):
    """Porter-stem words; tokens holding a digit (2x, 3NF-2, 10%) stay as they are.

    A plain dict caches stems: Whoosh's LRU wrapper costs more than the stemming it saves on a
    corpus with a few thousand words.
    """

    def __call__(self, tokens: Iterable[Token]) -> Iterator[Token]:
        cache = _STEMS
        stem = self.stemfn
        digit = DIGIT_RE.search
        for t in tokens:
            text = t.text
            if not t.stopped and not digit(text):
                stemmed = cache.get(text)
                if stemmed is None:
                    if len(cache) > 100_000:
                        cache.clear()
                    stemmed = cache[text] = stem(text)
                t.text = stemmed
            yield t


_STEMS: dict[str, str] = {}


def _text_analyzer() -> Any:
    # minsize=1 keeps single digits and letters ("2 times table", "x"); stop words still go.
    return (
        RegexTokenizer(TOKEN_PATTERN)
        | LowercaseFilter()
        | StopFilter(minsize=1)
        | PartsFilter()
        | MathsStemFilter()
    )


def _code_analyzer() -> Any:
    # Codes and names: no stemming and no stop list ("AS" is a strand, "R" a year group).
    return RegexTokenizer(TOKEN_PATTERN) | LowercaseFilter() | DashFilter()


def _updated_field() -> DATETIME:
    # Sorting reads the column; a range-query trie (8 terms per document) would only slow
    # indexing down.
    f = DATETIME(stored=True, sortable=True)
    f.shift_step = 0
    return f


_TEXT = _text_analyzer()

#: The Whoosh schema. Always passed when opening, so the pickled copy in the index is never read.
SCHEMA = Schema(
    key=ID(stored=True, unique=True, sortable=True),
    type=KEYWORD(stored=True, sortable=True),
    title=TEXT(analyzer=_TEXT, stored=True),
    body=TEXT(analyzer=_TEXT, stored=True),
    sequence_title=TEXT(analyzer=_TEXT, stored=True),
    #: Year group, strand, RTP codes, segments and project code as searchable words.
    codes=TEXT(analyzer=_code_analyzer()),
    year_group=KEYWORD(stored=True, sortable=True),
    strand=KEYWORD(stored=True, sortable=True),
    rtp=KEYWORD(stored=True),
    segment=KEYWORD(stored=True),
    spine=KEYWORD(stored=True),
    work_group=KEYWORD(stored=True),
    sequence=KEYWORD(stored=True),
    project_code=KEYWORD(stored=True),
    school=KEYWORD(stored=True, sortable=True),
    school_name=TEXT(analyzer=_code_analyzer(), stored=True, phrase=False),
    academic_year=KEYWORD(stored=True, sortable=True),
    status=KEYWORD(stored=True, sortable=True),
    author=TEXT(analyzer=_code_analyzer(), stored=True, phrase=False),
    updated=_updated_field(),
    archived=BOOLEAN(stored=True),
    access=KEYWORD(),
    # shift_step=0: one term per document, not a 16-term trie; nobody range-queries versions.
    version=NUMERIC(int, bits=64, stored=True, sortable=True, shift_step=0),
    # The change-log position a document was built for: an older one never replaces it.
    seq=NUMERIC(int, bits=64, stored=True, shift_step=0),
    url=STORED(),
    extra=STORED(),
)

_analysis_cache: dict[str, tuple[str, ...]] = {}


def analyse(text: str) -> list[str]:
    """Terms the free-text analyzer makes of query ``text`` (lower-cased, stop words out,
    stemmed; maths tokens whole)."""
    return [t.text for t in _TEXT(text, mode="query")]


def analyse_for_index(text: str) -> list[tuple[str, int]]:
    """(term, position) as indexed: ``analyse`` plus the parts of maths tokens at their token's
    position (for backends that build their own index from the same analysis)."""
    return [(t.text, t.pos) for t in _TEXT(text, positions=True, mode="index")]


def analyse_word(word: str) -> tuple[str, ...]:
    # Snippets and suggestions analyse the same few hundred words over and over.
    hit = _analysis_cache.get(word)
    if hit is None:
        if len(_analysis_cache) > 20_000:
            _analysis_cache.clear()
        hit = _analysis_cache[word] = tuple(analyse(word))
    return hit


def normalise_code(value: str) -> str:
    """Upper-case a code and turn en dashes into hyphens: ``3nf–2`` -> ``3NF-2``."""
    return value.strip().translate(_DASH_TABLE).upper()


def normalise_project_code(value: str) -> str:
    """``NCP 24-11`` / ``ncp24–11`` -> ``NCP24-11``."""
    return re.sub(r"\s+", "", normalise_code(value))


def normalise_year_group(value: str) -> str:
    """``3``, ``y3``, ``Year 3`` -> ``Y3``; ``R``, ``YR``, ``Reception`` -> ``R``."""
    v = re.sub(r"[\s_]+", "", value).upper()
    if v in {"R", "YR", "YEARR", "RECEPTION", "EYFS"}:
        return "R"
    v = re.sub(r"^(YEAR|YR|Y)", "", v)
    if is_whole_number(v):
        return f"Y{int(v)}"
    return value.strip().upper()
