"""When no document matches every word: close spellings, words not found, most words first.

A teacher's search should not end on an empty page because one word is misspelt or missing
from every plan. When the search has plain words only (no OR, brackets or NOT: those say
exactly what the user wants), both backends relax it the same way:

1. a word no allowed document holds is tried with close spellings (edit distance 1, 2 for
   long words), kept only where they meet the other words;
2. a word still found nowhere is left out, and named in ``SearchResults.missing``;
3. if the words left still never meet in one document, the documents holding the most of
   them are shown (``most_words``), best first.

Exclusions (-word) always apply. Relaxing only ever drops required words: it works on the
already-allowed documents, so it cannot widen what the caller may see.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from whoosh import query

from app.core.search.analysis import DIGIT_RE, analyse_word
from app.core.search.querying import (
    ParsedText,
    Request,
    _Item,
    phrase_query,
    prepare,
    to_query,
    word_query,
)
from app.core.search.results import Correction
from app.core.search.spelling import fuzzify

#: Words tried with close spellings per search (each looks through the word list).
MAX_FUZZY = 8


@dataclass(slots=True)
class Concept:
    """One typed word (or phrase) and its query."""

    typed: str
    query: query.Query


@dataclass(slots=True)
class Relaxed:
    query: query.Query
    #: Words found in no allowed document, as typed.
    missing: list[str] = field(default_factory=list)
    #: Some words were found only by close spellings.
    fuzzy: bool = False
    #: The words found somewhere (their queries) and the exclusions.
    concepts: list[query.Query] = field(default_factory=list)
    negations: list[query.Query] = field(default_factory=list)
    #: The found words never meet in one document: show those holding the most of them.
    most_words: bool = False


def concepts_of(items: Sequence[_Item]) -> tuple[list[Concept], list[query.Query]] | None:
    """The required words and the exclusions of a plain search; None when it uses OR, NOT or
    brackets (kept exactly as written)."""
    if any(it.kind in ("op", "open", "close") for it in items):
        return None
    required: list[Concept] = []
    negations: list[query.Query] = []
    for it in items:
        q = phrase_query(it.text) if it.kind == "phrase" else word_query(it.text)
        if q is query.NullQuery:
            continue
        if it.negated:
            negations.append(query.Not(q))
        else:
            typed = f'"{it.text}"' if it.kind == "phrase" else it.text
            required.append(Concept(typed, q))
    return required, negations


def relax(
    concepts: Sequence[Concept],
    negations: Sequence[query.Query],
    found: Callable[[query.Query], bool],
) -> Relaxed | None:
    """What to search instead of every word, or None when no word is found at all.

    ``found(q)`` says whether any allowed document matches ``q``. A close spelling stands in
    for a word only when it meets the other words in some document (or is all there is):
    "shapes" is not taken for "share" beside "area".
    """
    exact: list[query.Query] = []
    close: list[tuple[str, query.Query]] = []
    missing: list[str] = []
    for concept in concepts:
        if found(concept.query):
            exact.append(concept.query)
            continue
        fuzzy = fuzzify(concept.query) if len(close) + len(missing) < MAX_FUZZY else concept.query
        if fuzzy is not concept.query and found(fuzzy):
            close.append((concept.typed, fuzzy))
        else:
            missing.append(concept.typed)
    if not exact and not close:
        return None

    def together(parts: Sequence[query.Query]) -> query.Query:
        every = [*parts, *negations]
        return every[0] if len(every) == 1 else query.And(every)

    with_close = [*exact, *(q for _, q in close)]
    if close and (not exact or found(together(with_close))):
        present, fuzzy_used = with_close, True
    else:
        present, fuzzy_used = exact, False
        missing = [c.typed for c in concepts if c.query not in exact]
    missing = list(dict.fromkeys(missing))
    q = together(present)
    if len(present) == 1 or found(q):
        return Relaxed(q, missing, fuzzy_used, present, list(negations))
    return Relaxed(query.Or(present), missing, fuzzy_used, present, list(negations),
                   most_words=True)


# ---- what both backends tell the user -----------------------------------------------------

Constraints = list[tuple[str, list[str], bool]]


@dataclass(slots=True)
class Scope:
    """Where a search looks: the constraints to try in order (the academic year typed as words,
    then without it), and the year groups that rank first."""

    attempts: list[Constraints]
    boost_years: list[str]
    notes: list[str]
    academic_label: str = ""


def scope(constraints: Constraints, year_groups: Sequence[str],
          academic: Sequence[tuple[str, str]], has_text: bool, sort: str) -> Scope:
    """Year groups typed as words rank first (alone they restrict; newest-first searches only
    say which year was asked for); academic years restrict, falling back to every year when
    there are words and nothing matches in them."""
    notes: list[str] = []
    constraints = list(constraints)
    boost: list[str] = []
    if year_groups:
        labels = _join([_year_label(y) for y in year_groups])
        if has_text and sort == "relevance":
            boost = list(year_groups)
            notes.append(f"{labels} plans come first.")
        elif has_text:
            boost = []  # newest first: the year group cannot reorder anything
        else:
            constraints.append(("year_group", list(year_groups), False))
            notes.append(f"Showing {labels} plans.")
    if not academic:
        return Scope([constraints], boost, notes)
    within = [*constraints, ("academic_year", [value for value, _ in academic], False)]
    label = _join([said for _, said in academic])
    return Scope([within, constraints] if has_text else [within], boost, notes, label)


@dataclass(slots=True)
class Planned:
    """A search as both backends start it: what was asked, the query, where to look, and
    whether there is nothing to run (``empty``: answer with ``request.notes``)."""

    request: Request
    query: query.Query
    where: Scope
    sort: str
    has_text: bool
    empty: bool = False


def plan(
    text: str,
    access: Sequence[str],
    filters: Mapping[str, Sequence[str]] | None,
    page: int,
    pagelen: int,
    today: date | None,
    sort: str,
) -> Planned:
    """Parse and understand ``text``, and decide the query, the sort and the scopes to try."""
    wanted = prepare(text, access, filters, page, pagelen, today)
    parsed, notes = wanted.parsed, wanted.notes
    has_text = any(it.kind in ("word", "phrase") for it in parsed.items)
    if sort not in ("relevance", "newest") or not has_text:
        sort = "newest"  # nothing to rank by: newest first
    where = scope(wanted.constraints, parsed.year_groups, parsed.academic_years, has_text, sort)
    q: query.Query = to_query(parsed.items) if has_text else query.Every()
    planned = Planned(wanted, q, where, sort, has_text)
    if not wanted.tokens:
        planned.empty = True  # no access tokens: the caller may see nothing
    elif nothing_to_search(parsed, has_text) or q is query.NullQuery:
        notes.append("Your search had no searchable words.")
        planned.empty = True
    else:
        notes.extend(where.notes)
    return planned


def nothing_to_search(parsed: ParsedText, has_text: bool) -> bool:
    """Something was typed, but no word, filter, year group or academic year came of it
    (":", "*", "the"): say so rather than list every document."""
    return bool(parsed.raw) and not (has_text or parsed.constraints or parsed.year_groups
                                     or parsed.academic_years)


def scope_note(chosen: Scope, attempt: int, total: int) -> str | None:
    if not chosen.academic_label:
        return None
    if attempt == 0:
        return f"Showing plans from {chosen.academic_label}."
    if total:
        return f"Nothing from {chosen.academic_label} matched, so other years are shown."
    return None


def relaxed_notes(relaxed: Relaxed, typed: Sequence[str]) -> list[str]:
    notes = []
    if relaxed.fuzzy:
        notes.append("Some words were not found as typed, so close spellings are included.")
    # Words no document holds are in ``SearchResults.missing``; the page names them.
    if relaxed.most_words:
        found = list(dict.fromkeys(w for w in typed if w not in relaxed.missing))
        notes.append(f"No result has all of {_join([f'“{w}”' for w in found])}: "
                     "results with the most of them are shown.")
    return notes


def _year_label(value: str) -> str:
    return "Reception" if value == "R" else f"Year {value.removeprefix('Y')}"


def _join(words: Sequence[str], last: str = "and") -> str:
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} {last} {words[-1]}"


# ---- "did you mean", one word at a time ---------------------------------------------------


#: At most this many words get a correction (each costs a look through the word list).
MAX_CORRECTIONS = 5


def correctable(items: Sequence[_Item]) -> list[tuple[str, str]]:
    """Typed words a spelling correction may replace, with their stems: plain words of 3 to
    30 letters (no digits, no prefix*, not excluded), the first ``MAX_CORRECTIONS``."""
    out: list[tuple[str, str]] = []
    for it in items[:MAX_CORRECTIONS * 4]:
        if it.kind != "word" or it.negated or it.text.endswith("*") or " " in it.text:
            continue
        forms = analyse_word(it.text)
        if len(forms) == 1 and not DIGIT_RE.search(forms[0]) and 3 <= len(forms[0]) <= 30:
            out.append((it.text, forms[0]))
    return out


def correction(raw: str, word: str, better: str) -> Correction:
    """``raw`` with its first ``word`` (as a whole word, any case) replaced by ``better``."""
    pattern = re.compile(rf"(?<!\w){re.escape(word)}(?!\w)", re.IGNORECASE)
    fixed, n = pattern.subn(lambda _m: better, raw, count=1)
    return Correction(word, better, fixed if n else better)


def suggest(
    parsed: ParsedText,
    found: Callable[[query.Query], bool],
    known: Callable[[str], bool],
    nearest: Callable[[str, str], str | None],
) -> list[Correction]:
    """One correction per word no document the caller may see holds (at most
    ``MAX_CORRECTIONS``), each checked to find something. The backend says whether a stem is
    ``known`` in a visible document and finds the ``nearest`` visible word (typed, stem)."""
    fixes: list[tuple[str, str]] = []
    for word, stem in correctable(parsed.items):
        if len(fixes) == MAX_CORRECTIONS:
            break
        if known(stem) or found(word_query(word)):
            continue
        better = nearest(word, stem)
        if better:
            fixes.append((word, better))
    return checked(fixes, parsed, found)


def checked(
    fixes: Sequence[tuple[str, str]],
    parsed: ParsedText,
    found: Callable[[query.Query], bool],
) -> list[Correction]:
    """Corrections whose search finds something the caller may see: a suggestion never leads
    to an empty page. A plain search is relaxed, so its corrected word with the exclusions is
    enough; a search with OR or brackets is not, so it is checked whole."""
    plain = concepts_of(parsed.items)
    out = []
    for word, better in fixes:
        if plain is not None:
            q = query.And([word_query(better), *plain[1]]).normalize()
        else:
            q = to_query([_Item(it.kind, better, it.negated)
                          if it.kind == "word" and it.text == word else it
                          for it in parsed.items])
        if q is not query.NullQuery and found(q):
            out.append(correction(parsed.raw, word, better))
    return out


def combined(raw: str, corrections: Sequence[Correction]) -> str | None:
    """Every correction at once (the old single "did you mean" string)."""
    text = raw
    for c in corrections:
        text = correction(text, c.word, c.replacement).query
    return text if corrections else None
