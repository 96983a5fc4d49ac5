"""Query text: typed filters, sanitising, parsing.

``parse_text`` splits what the user typed into typed filters (``year:3``) and clean query items,
notes what it dropped, and applies ``understanding``; ``to_query`` builds the query from the
items. There is no field syntax, so typed text can only narrow the permission filter: typed
filters become the narrowing queries of ``constraint_query``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from whoosh import query

from app.core.search import understanding
from app.core.search.analysis import (
    SCHEMA,
    analyse,
    normalise_code,
    normalise_project_code,
    normalise_year_group,
)
from app.core.search.vocabulary import (
    DOCUMENT_TYPES,
    FILTER_NAMES,
    MAX_QUERY_CHARS,
    MAX_QUERY_TERMS,
    STRANDS,
    TEXT_FIELD_BOOSTS,
)

_MIN_PREFIX_CHARS = 2  # "a*" would expand to thousands of terms
_MAX_PREFIXES = 5  # each expands to up to segments._MAX_EXPANSIONS terms per field

_FILTER_RE = re.compile(
    r"(?<![^\s(])(?P<neg>-?)(?P<name>[A-Za-z_]+):(?:\"(?P<quoted>[^\"]*)\"|(?P<value>[^\s()\"]+))"
)
_LEX_RE = re.compile(r'-?"[^"]*"|-?\(|\)|[^\s()"]+')
_OPERATORS = {"AND", "OR", "NOT"}


@dataclass(slots=True)
class _Item:
    kind: Literal["word", "phrase", "open", "close", "op"]
    text: str
    negated: bool = False


@dataclass(slots=True)
class ParsedText:
    items: list[_Item]
    #: (field, values, negated) constraints from typed filters.
    constraints: list[tuple[str, list[str], bool]]
    #: Typed filters as the user wrote them, kept for the suggestion string.
    filter_text: list[str]
    notes: list[str]
    #: Year groups typed as words ("year 4"): their plans rank first.
    year_groups: list[str] = field(default_factory=list)
    #: Academic years typed as words ("last year", "2024/25"): (value, how the note says it).
    academic_years: list[tuple[str, str]] = field(default_factory=list)
    #: The text as typed (corrections replace one word of it).
    raw: str = ""


@dataclass(slots=True)
class Request:
    """A search as both backends start it: the parsed text, every constraint (typed in the
    text or given as ``filters``), the caller's access tokens, and the page wanted."""

    parsed: ParsedText
    constraints: list[tuple[str, list[str], bool]]
    tokens: list[str]
    notes: list[str]
    page: int
    pagelen: int


def prepare(
    text: str,
    access: Sequence[str],
    filters: Mapping[str, Sequence[str]] | None,
    page: int,
    pagelen: int,
    today: date | None = None,
) -> Request:
    """Parse ``text``, add ``filters`` (names as FILTER_NAMES; unknown ones noted) and clamp
    the page; no access tokens means the caller may see nothing. ``today`` places "this year"
    and "last year" (default: the date today)."""
    parsed = parse_text(text or "", today or date.today())
    notes = list(parsed.notes)
    constraints = list(parsed.constraints)
    for name, values in (filters or {}).items():
        target = FILTER_NAMES.get(name)
        vals = [str(v) for v in values if v]
        if target is None:
            notes.append(f"Unknown filter {name} ignored.")
        elif vals:
            constraints.append((target, vals, False))
    tokens = sorted({str(a) for a in access if a})
    return Request(parsed, constraints, tokens, notes, max(1, int(page)),
                   min(max(1, int(pagelen)), 100))


def _split_values(quoted: str | None, value: str | None) -> list[str]:
    if quoted is not None:
        return [quoted.strip()] if quoted.strip() else []
    return [v for v in (value or "").split(",") if v]


def parse_text(raw: str, today: date | None = None) -> ParsedText:
    """Split user text into typed filters and clean query items; record what was dropped, and
    apply the rules of ``understanding`` (question words, year words, word forms)."""
    notes: list[str] = []
    text = raw.replace("\u201c", '"').replace("\u201d", '"').replace("\x00", " ")
    if len(text) > MAX_QUERY_CHARS:
        text = text[:MAX_QUERY_CHARS]
        notes.append(f"Only the first {MAX_QUERY_CHARS} characters of your search were used.")

    constraints: list[tuple[str, list[str], bool]] = []
    filter_text: list[str] = []
    unknown: list[str] = []

    def take_filter(m: re.Match[str]) -> str:
        name = m.group("name").lower()
        target = FILTER_NAMES.get(name)
        if target is None:
            # Not a filter: search what was typed as words ("ratio:proportion"), never nothing
            # (an empty search would list every document).
            unknown.append(m.group(0).lstrip("-"))
            words = f"{m.group('name')} {m.group('quoted') or m.group('value') or ''}"
            return f" -({words}) " if m.group("neg") else f" {words} "
        values = _split_values(m.group("quoted"), m.group("value"))
        if values:
            constraints.append((target, values, bool(m.group("neg"))))
            filter_text.append(m.group(0))
        return " "

    text = _FILTER_RE.sub(take_filter, text)
    if unknown:
        notes.append(
            f"{', '.join(dict.fromkeys(unknown))} is not a filter, so it was searched as words "
            f"(filters: year, strand, type, school, rtp, segment, project, status, author)."
        )

    if text.count('"') % 2:
        # Drop the last, unmatched quote; the words after it become plain words.
        cut = text.rfind('"')
        text = text[:cut] + " " + text[cut + 1 :]
        notes.append("An unmatched quote mark was ignored.")

    items: list[_Item] = []
    dropped_wild = False
    for tok in _LEX_RE.findall(text):
        neg = tok.startswith("-") and len(tok) > 1
        body = tok[1:] if neg else tok
        if body.startswith('"'):
            phrase = body.strip('"').strip()
            if phrase:
                items.append(_Item("phrase", phrase, neg))
        elif body == "(":
            items.append(_Item("open", "(", neg))
        elif body == ")":
            items.append(_Item("close", ")"))
        elif body in _OPERATORS and not neg:
            items.append(_Item("op", body))
        else:
            word = body.lstrip("-")
            stars = word.endswith("*")
            core = word.replace("*", "")
            if "*" in word.rstrip("*") or (
                stars and len(re.sub(r"\W", "", core)) < _MIN_PREFIX_CHARS
            ):
                dropped_wild = True
                stars = False
            if not re.search(r"\w", core):
                if core or stars or word.startswith("*"):
                    dropped_wild = dropped_wild or "*" in word
                continue
            if stars and sum(it.text.endswith("*") for it in items) >= _MAX_PREFIXES:
                dropped_wild = True
                stars = False
            items.append(_Item("word", core + ("*" if stars else ""), neg))
    if dropped_wild:
        notes.append(
            f"Wildcards work only at the end of a word of {_MIN_PREFIX_CHARS}+ letters "
            f"(fract*), {_MAX_PREFIXES} at most; others were ignored."
        )

    items, year_groups, academic_years = _understand(items, today or date.today())
    items, structure_notes = _fix_structure(items)
    notes.extend(structure_notes)

    terms = 0
    capped: list[_Item] = []
    for it in items:
        if it.kind in ("word", "phrase"):
            terms += 1
            if terms > MAX_QUERY_TERMS:
                continue
        capped.append(it)
    if terms > MAX_QUERY_TERMS:
        notes.append(f"Only the first {MAX_QUERY_TERMS} words of your search were used.")
        capped, _ = _fix_structure(capped)
    return ParsedText(capped, constraints, filter_text, notes, year_groups, academic_years,
                      raw.strip())


def _plain(it: _Item) -> bool:
    return it.kind == "word" and not it.negated and not it.text.endswith("*")


def _understand(
    items: list[_Item], today: date
) -> tuple[list[_Item], list[str], list[tuple[str, str]]]:
    """Apply ``understanding``'s rules to runs of plain words: drop a question's wording, take
    out year groups and academic years, join multi-word expressions ("three quarters")."""
    lead: list[str] = []
    for it in items:
        if not _plain(it):
            break
        lead.append(it.text)
    items = items[understanding.question_prefix(lead) :]
    out: list[_Item] = []
    year_groups: list[str] = []
    academic: list[tuple[str, str]] = []
    run: list[str] = []

    def flush() -> None:
        for _, meaning in understanding.scan(run, today):
            if meaning.kind == "year_group":
                year_groups.append(meaning.value)
            elif meaning.kind == "academic_year":
                academic.append((meaning.value, meaning.label))
            else:
                out.append(_Item("word", meaning.value))
        run.clear()

    for it in items:
        if _plain(it):
            run.append(it.text)
        else:
            flush()
            out.append(it)
    flush()
    return out, list(dict.fromkeys(year_groups)), list(dict.fromkeys(academic))


def _fix_structure(items: list[_Item]) -> tuple[list[_Item], list[str]]:
    """Remove unbalanced brackets, empty groups and operators with nothing to join."""
    notes: list[str] = []
    stack: list[int] = []
    unmatched: set[int] = set()
    for i, it in enumerate(items):
        if it.kind == "open":
            stack.append(i)
        elif it.kind == "close":
            if stack:
                stack.pop()
            else:
                unmatched.add(i)
    unmatched.update(stack)
    if unmatched:
        notes.append("An unmatched bracket was ignored.")
        items = [it for i, it in enumerate(items) if i not in unmatched]

    dropped_op = False
    changed = True
    while changed:
        changed = False
        out: list[_Item] = []
        for i, it in enumerate(items):
            prev = out[-1] if out else None
            nxt = items[i + 1] if i + 1 < len(items) else None
            if it.kind == "op":
                starts_ok = it.text == "NOT" or (
                    prev is not None and prev.kind in ("word", "phrase", "close")
                )
                ends_ok = nxt is not None and (
                    nxt.kind in ("word", "phrase", "open")
                    or (nxt.kind == "op" and nxt.text == "NOT" and it.text != "NOT")
                )
                if not (starts_ok and ends_ok):
                    dropped_op = changed = True
                    continue
            if it.kind == "close" and prev is not None and prev.kind == "open":
                out.pop()  # "()" or "-()" says nothing
                changed = True
                continue
            out.append(it)
        items = out
    if dropped_op:
        notes.append("AND, OR and NOT need a word on each side; a lone one was ignored.")
    return items, notes


def items_to_string(items: Sequence[_Item], replace: Mapping[int, str] | None = None) -> str:
    """Rebuild a clean query string for Whoosh's parser (``-x`` becomes ``NOT x``)."""
    parts: list[str] = []
    for i, it in enumerate(items):
        if it.negated:
            parts.append("NOT")
        if it.kind == "phrase":
            parts.append(f'"{it.text}"')
        elif it.kind == "word":
            parts.append(replace.get(i, it.text) if replace else it.text)
        else:
            parts.append(it.text)
    return " ".join(parts)


_TEXT_FIELDS = tuple((f, b) for f, b in TEXT_FIELD_BOOSTS.items() if f != "codes")
_CODES_BOOST = TEXT_FIELD_BOOSTS["codes"]


def word_query(word: str) -> query.Query:
    """One search word (or expression) as an Or of every form it is looked for as, in every
    text field (``understanding.alternatives``); NullQuery for a stop word."""
    if word.endswith("*"):
        # As typed and as stemmed ("fractions*" -> "fraction"), in the text fields; as typed
        # in the codes ("3nf*", "ncp24*").
        core = normalise_code(word[:-1]).lower()
        stems = analyse(core)
        heads = dict.fromkeys([core, *(stems if len(stems) == 1 else [])])
        return query.Or([query.Prefix(f, head, boost=b) for head in heads
                         for f, b in _TEXT_FIELDS]
                        + [query.Prefix("codes", core, boost=_CODES_BOOST)])
    alts = understanding.alternatives(word)
    leaves: dict[tuple[str, tuple[str, ...]], query.Query] = {}
    for form in alts.texts:
        terms = tuple(analyse(form))
        if not terms:
            continue  # a stop word is required nowhere
        for f, boost in _TEXT_FIELDS:
            leaves.setdefault((f, terms), query.Term(f, terms[0], boost=boost) if len(terms) == 1
                              else query.Phrase(f, list(terms), boost=boost))
    found = list(leaves.values())
    found.extend(query.Term("codes", c, boost=_CODES_BOOST) for c in alts.codes)
    found.extend(query.Prefix("codes", c, boost=_CODES_BOOST) for c in alts.code_prefixes)
    if not found:
        return query.NullQuery
    return found[0] if len(found) == 1 else query.Or(found)


def phrase_query(text: str) -> query.Query:
    """A quoted phrase, in every text field."""
    terms = analyse(text)
    if not terms:
        return query.NullQuery
    if len(terms) == 1:
        return query.Or([query.Term(f, terms[0], boost=b) for f, b in _TEXT_FIELDS])
    return query.Or([query.Phrase(f, terms, boost=b) for f, b in _TEXT_FIELDS])


def to_query(items: Sequence[_Item]) -> query.Query:
    """The query for cleaned items (``_fix_structure`` balanced them): adjacent parts and AND
    join, OR binds looser, NOT and -x negate, brackets group. NullQuery when nothing is left."""
    pos = 0

    def peek() -> _Item | None:
        return items[pos] if pos < len(items) else None

    def either() -> query.Query:
        nonlocal pos
        parts = [both()]
        while (it := peek()) is not None and it.kind == "op" and it.text == "OR":
            pos += 1
            parts.append(both())
        return parts[0] if len(parts) == 1 else query.Or(parts)

    def both() -> query.Query:
        nonlocal pos
        parts = [one()]
        while (it := peek()) is not None and it.kind != "close" and it.text != "OR":
            if it.kind == "op" and it.text == "AND":
                pos += 1
            parts.append(one())
        return parts[0] if len(parts) == 1 else query.And(parts)

    def one() -> query.Query:
        nonlocal pos
        it = items[pos]
        pos += 1
        if it.kind == "op":  # NOT (AND and OR are consumed by both() and either())
            return query.Not(one()) if pos < len(items) else query.NullQuery
        if it.kind == "open":
            inner = either()
            if (close := peek()) is not None and close.kind == "close":
                pos += 1
            node = inner
        elif it.kind == "phrase":
            node = phrase_query(it.text)
        elif it.kind == "word":
            node = word_query(it.text)
        else:
            node = query.NullQuery
        return query.Not(node) if it.negated else node

    if not items:
        return query.NullQuery
    try:
        result = either()
        while pos < len(items):  # a stray ")" cannot survive _fix_structure; belt and braces
            pos += 1
            result = query.And([result, either()]) if pos < len(items) else result
    except IndexError:
        return query.NullQuery
    return result.normalize()


def _strand_codes(value: str) -> list[str]:
    """Strand codes for a ``strand:`` value: a code (``F``, ``AS/MD``) or name words."""
    code = normalise_code(value)
    if code in STRANDS:
        return [code]
    words = [w.rstrip("s") for w in re.findall(r"[a-z]+", value.lower()) if w != "and"]
    if words:
        found = [
            c
            for c, name in STRANDS.items()
            if all(w in {n.rstrip("s") for n in re.findall(r"[a-z]+", name.lower())} for w in words)
        ]
        if found:
            return found
    return [code]  # unknown codes (e.g. KS3 ones) are matched as given


def constraint_query(fieldname: str, values: Sequence[str]) -> query.Query:
    """A filter query for one filter name: the values are OR-ed."""
    subs: list[query.Query] = []
    for raw in values:
        value = raw.strip()
        if not value:
            continue
        if fieldname == "year_group":
            if re.fullmatch(r"\d{4}/\d{2}", value):  # year:2024/25 means the academic year
                subs.append(query.Term("academic_year", value))
            else:
                subs.append(query.Term("year_group", normalise_year_group(value)))
        elif fieldname == "strand":
            subs.extend(query.Term("strand", c) for c in _strand_codes(value))
        elif fieldname == "rtp":
            # rtp:3nf2 and rtp:3NF–2 mean 3NF-2; rtp:3NF every 3NF criterion.
            code = understanding.rtp_code(value) or re.sub(r"\s+", "", normalise_code(value))
            if re.search(r"-\d+$", code):
                subs.append(query.Term("rtp", code))
            else:  # rtp:3NF matches 3NF-1, 3NF-2, ...
                subs.append(query.Prefix("rtp", code.rstrip("-") + "-"))
        elif fieldname == "project_code":
            subs.append(query.Term("project_code", normalise_project_code(value)))
        elif fieldname == "type":
            v = value.lower()
            subs.append(
                query.Term("type", v[:-1] if v.endswith("s") and v[:-1] in DOCUMENT_TYPES else v)
            )
        elif fieldname in ("status", "academic_year", "segment", "spine", "work_group", "sequence"):
            subs.append(query.Term(fieldname, value.lower() if fieldname == "status" else value))
        elif fieldname == "school":
            words = [t.text for t in SCHEMA["school_name"].analyzer(value)]
            name_q = query.And([query.Term("school_name", w) for w in words]) if words else None
            subs.append(query.Or([query.Term("school", value)] + ([name_q] if name_q else [])))
        elif fieldname == "author":
            words = [t.text for t in SCHEMA["author"].analyzer(value)]
            if words:
                subs.append(query.And([query.Term("author", w) for w in words]))
    if not subs:
        return query.NullQuery
    return subs[0] if len(subs) == 1 else query.Or(subs)
