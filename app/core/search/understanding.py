"""What a teacher's words mean before they are searched: plain data and string rules, no Whoosh.

Teachers type questions and maths words, not search syntax. These rules turn them into what the
engine looks for; ``querying`` applies them to every search, on both backends, and
``tests/core/test_query_understanding.py`` holds a test for each.

1. **Question words.** A search that starts with a question ("what did we do for …", "how do I
   teach …", "have we got any …") loses its leading run of ``QUESTION_WORDS``; a final "?" goes.
2. **Year groups** typed as words ("year 4", "Y4", "yr 4", "year four", "reception") rank that
   year group's plans first; other years still show (a Year 3 plan may be just what a Year 4
   class needs). With no other words they restrict, like the ``year:`` filter.
3. **Academic years**: "this year", "last year", "2024/25" (also 2024-25, 2024/2025) keep to that
   academic year (September to August). When nothing there matches, the other years are shown,
   with a note.
4. **Codes** are matched as codes only when they look like codes: ready-to-progress codes with
   or without the dash, in any case (3NF-2, 3nf2, 3NF–2; 3NF alone means all of 3NF-1, 3NF-2 …),
   PD segment numbers (2.7), project codes (NCP24-11), strand codes typed in capitals (NPV, NF,
   MD, AS/MD). Any other word is never looked up among codes, so "as" or "f" cannot act as a
   hidden strand filter.
5. **Word forms** (``WORD_FAMILIES``): divide / dividing / division, multiply / multiplication,
   subtract / subtraction / take away … Any form finds every form of its family. A small table of
   maths vocabulary, not a thesaurus.
6. **Numbers and fractions** (``NUMBER_WORDS``, ``DENOMINATORS``): "ten" ↔ 10, "fours" ↔ 4s,
   "three quarters" ↔ 3/4, "half" ↔ 1/2, "tenths" ↔ 1/10 and decimals, "2-digit" ↔ "two-digit".
   The index also holds the parts of such tokens (``analysis.PartsFilter``), so "digit" finds
   "2-digit" and "4" finds "3/4".
7. **Stop words** ("the", "to", "in" …) are never required: the text fields drop them, and rule
   4 keeps them out of the codes field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from app.core.search.vocabulary import STRANDS

#: Words a question starts with, dropped while they lead the search (rule 1).
QUESTION_STARTERS = frozenset(
    "what which how where when who why whats what's did do does have has is are was were can "
    "could should shall would any show find".split()
)
#: Words dropped with them while the question goes on ("what did we do for …").
QUESTION_WORDS = QUESTION_STARTERS | frozenset(
    "we i you they our my us me it there got get give been be a an the some something "
    "anything ideas idea good best way ways teach taught teaching explain introduce plan "
    "planned planning use used did done do for about on with to in of lesson lessons "
    "resources activity activities go went".split()
)

_NUMBERS = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen twenty"
).split()
#: Number words and their digits (rule 6); plurals ("fours") match counting in 4s.
NUMBER_WORDS: dict[str, str] = {w: str(i) for i, w in enumerate(_NUMBERS)} | {
    "thirty": "30", "forty": "40", "fifty": "50", "sixty": "60", "seventy": "70",
    "eighty": "80", "ninety": "90", "hundred": "100", "thousand": "1000", "million": "1000000",
}  # fmt: skip
_PLURAL_NUMBERS = {
    "twos": "2", "threes": "3", "fours": "4", "fives": "5", "sixes": "6", "sevens": "7",
    "eights": "8", "nines": "9", "tens": "10", "elevens": "11", "twelves": "12",
    "twenties": "20", "fifties": "50", "hundreds": "100",
}  # fmt: skip
#: Denominator words (singular and plural) and the denominator they name (rule 6).
DENOMINATORS: dict[str, int] = {
    "half": 2, "halves": 2, "third": 3, "thirds": 3, "quarter": 4, "quarters": 4,
    "fourth": 4, "fourths": 4, "fifth": 5, "fifths": 5, "sixth": 6, "sixths": 6,
    "seventh": 7, "sevenths": 7, "eighth": 8, "eighths": 8, "ninth": 9, "ninths": 9,
    "tenth": 10, "tenths": 10, "twelfth": 12, "twelfths": 12, "hundredth": 100,
    "hundredths": 100,
}  # fmt: skip
_DENOMINATOR_NAMES = {2: ("half", "halves"), 3: ("third", "thirds"), 4: ("quarter", "quarters"),
                      5: ("fifth", "fifths"), 6: ("sixth", "sixths"), 7: ("seventh", "sevenths"),
                      8: ("eighth", "eighths"), 9: ("ninth", "ninths"), 10: ("tenth", "tenths"),
                      12: ("twelfth", "twelfths"), 100: ("hundredth", "hundredths")}
#: Decimal forms of the common fractions a primary plan writes both ways.
_DECIMALS = {"1/2": "0.5", "1/4": "0.25", "3/4": "0.75", "1/10": "0.1", "1/5": "0.2",
             "1/100": "0.01"}

#: Maths word families (rule 5): every form finds every other. Multi-word forms are phrases.
WORD_FAMILIES: tuple[tuple[str, ...], ...] = (
    ("add", "adding", "added", "addition"),
    ("subtract", "subtracting", "subtracted", "subtraction", "take away", "taking away"),
    ("multiply", "multiplying", "multiplied", "multiplication"),
    ("divide", "dividing", "divided", "division"),
    ("partition", "partitioning", "partitioned"),
    ("equivalent", "equivalence"),
    ("compare", "comparing", "comparison"),
    ("estimate", "estimating", "estimation"),
    ("measure", "measuring", "measurement"),
    ("symmetry", "symmetrical"),
    ("percent", "per cent", "percentage", "percentages"),
    ("regroup", "regrouping", "exchange", "exchanging"),
    ("decimal", "decimals"),
)
_FAMILY_OF: dict[str, tuple[str, ...]] = {form: fam for fam in WORD_FAMILIES for form in fam}
#: Longest multi-word expression the scanner looks for.
_MAX_WORDS = 3

_RTP_RE = re.compile(
    r"(?P<year>\d)\s*(?P<strand>npv|nf|as/md|as|md|f|g)(?:\s*[-\u2010\u2011\u2013\u2014\u2212]?"
    r"\s*(?P<n>\d{1,2}))?",
    re.IGNORECASE,
)
_SEGMENT_RE = re.compile(r"\d{1,2}\.\d{1,2}")
_PROJECT_RE = re.compile(r"(?P<p>[A-Za-z]{2,5})(?P<n>\d{2}-\d{1,3})")
_FRACTION_RE = re.compile(r"(?P<n>\d{1,3})/(?P<d>\d{1,3})")
_COMPOUND_RE = re.compile(r"(?P<n>\d+)-(?P<w>[^\W\d_]+)")
_YEAR_CODE_RE = re.compile(r"(?:y|yr|year)(?P<n>[1-6r])", re.IGNORECASE)
_ACADEMIC_RE = re.compile(r"(?P<a>20\d\d)\s*[/\-\u2013]\s*(?P<b>20\d\d|\d\d)")
_TRAILING_PUNCT = "?!.,;:"
_DASHES = str.maketrans(dict.fromkeys("\u2010\u2011\u2013\u2014\u2212", "-"))


def academic_year_of(day: date) -> str:
    """The academic year (September to August) holding ``day``: 2026-12-03 -> "2026/27"."""
    start = day.year if day.month >= 9 else day.year - 1
    return f"{start}/{(start + 1) % 100:02d}"


def _shift(year: str, by: int) -> str:
    start = int(year[:4]) + by
    return f"{start}/{(start + 1) % 100:02d}"


@dataclass(frozen=True, slots=True)
class Meaning:
    """What a run of words stands for: a year group, an academic year, or one search word."""

    kind: str  # "year_group" | "academic_year" | "word"
    value: str
    #: How the note names it ("last year" -> "2025/26 (last year)").
    label: str = ""


def _clean(word: str) -> str:
    low = word.strip(_TRAILING_PUNCT).lower()
    return re.sub(r"['\u2019]s$", "", low)  # "last year's" means "last year"


def question_prefix(words: list[str]) -> int:
    """How many leading words are a question's wording (rule 1)."""
    if not words or _clean(words[0]) not in QUESTION_STARTERS:
        return 0
    n = 0
    while n < len(words) and _clean(words[n]) in QUESTION_WORDS:
        n += 1
    return n


def _year_group(words: list[str]) -> str | None:
    joined = "".join(_clean(w) for w in words)
    if joined in ("reception", "eyfs", "yearr"):
        return "R"
    if len(words) == 2 and _clean(words[0]) in ("year", "yr", "y"):
        second = _clean(words[1])
        second = NUMBER_WORDS.get(second, second)
        if second in {"1", "2", "3", "4", "5", "6"}:
            return f"Y{second}"
        return None
    m = _YEAR_CODE_RE.fullmatch(joined) if len(words) == 1 else None
    if m is None or (joined == "yr" and words[0].strip(_TRAILING_PUNCT) != "YR"):
        return None  # "yr" is short for "year"; only "YR" is Reception
    return "R" if m.group("n").lower() == "r" else f"Y{m.group('n')}"


def _academic_year(words: list[str], today: date) -> Meaning | None:
    phrase = " ".join(_clean(w) for w in words)
    current = academic_year_of(today)
    named = {
        "this year": (current, "this year"),
        "this academic year": (current, "this year"),
        "last year": (_shift(current, -1), "last year"),
        "last academic year": (_shift(current, -1), "last year"),
        "previous year": (_shift(current, -1), "last year"),
        "the year before last": (_shift(current, -2), "the year before last"),
    }
    if phrase in named:
        value, said = named[phrase]
        return Meaning("academic_year", value, f"{value} ({said})")
    if len(words) == 1:
        m = _ACADEMIC_RE.fullmatch(_clean(words[0]))
        if m:
            a, b = int(m.group("a")), int(m.group("b")[-2:])
            if (a + 1) % 100 == b:
                value = f"{a}/{b:02d}"
                return Meaning("academic_year", value, value)
    return None


def _fraction_words(words: list[str]) -> str | None:
    """"three quarters" / "a half" / "one tenth" -> "3/4", "1/2", "1/10"."""
    if len(words) != 2:
        return None
    first, second = _clean(words[0]), _clean(words[1])
    numerator = {"a": "1", "an": "1"}.get(first) or NUMBER_WORDS.get(first)
    if numerator is None and first.isdigit():
        numerator = first
    denominator = DENOMINATORS.get(second)
    if numerator is None or denominator is None or not 0 < int(numerator) < 1000:
        return None
    return f"{numerator}/{denominator}"


def scan(words: list[str], today: date) -> list[tuple[int, Meaning]]:
    """Split plain words into meanings: (number of words, meaning), in order."""
    out: list[tuple[int, Meaning]] = []
    i = 0
    while i < len(words):
        for size in range(min(_MAX_WORDS + 1, len(words) - i), 0, -1):
            run = words[i : i + size]
            found = _meaning(run, today)
            if found is not None:
                out.append((size, found))
                i += size
                break
        else:  # pragma: no cover - size 1 always gives a meaning
            i += 1
    return out


def _meaning(run: list[str], today: date) -> Meaning | None:
    year = _year_group(run) if len(run) <= 2 else None
    if year is not None:
        label = "Reception" if year == "R" else f"Year {year[1:]}"
        return Meaning("year_group", year, label)
    academic = _academic_year(run, today)
    if academic is not None:
        return academic
    if len(run) == 2 and _project_code("".join(run)):
        return Meaning("word", "".join(run))  # "NCP 24-11"
    if len(run) > 1:
        phrase = " ".join(_clean(w) for w in run)
        if phrase in _FAMILY_OF:
            return Meaning("word", phrase)
        fraction = _fraction_words(run)
        if fraction is not None:
            return Meaning("word", " ".join(_clean(w) for w in run))
        return None
    word = run[0].rstrip(_TRAILING_PUNCT) or run[0]
    return Meaning("word", word)


@dataclass(frozen=True, slots=True)
class Alternatives:
    """What one search word is looked for as (any of them matches)."""

    #: Forms looked for in the text fields (each analysed there; several words = a phrase).
    texts: tuple[str, ...]
    #: Terms looked for in the codes field, lower-case as the code analyzer stores them.
    codes: tuple[str, ...] = ()
    #: Code prefixes ("3nf-" for 3NF: every 3NF criterion).
    code_prefixes: tuple[str, ...] = ()


def rtp_code(word: str) -> str | None:
    """A ready-to-progress code in stored form ("3nf2" -> "3NF-2"), or None. A code without a
    number gives its prefix ("3nf" -> "3NF-")."""
    m = _RTP_RE.fullmatch(word.strip())
    if not m:
        return None
    strand = m.group("strand").upper()
    if strand not in STRANDS:
        return None
    n = m.group("n")
    return f"{m.group('year')}{strand}-{int(n) if n else ''}"


def _project_code(word: str) -> str | None:
    """A Maths Hubs project code as the code analyzer stores it: "NCP24–11" -> "ncp24-11"."""
    m = _PROJECT_RE.fullmatch(word.translate(_DASHES).replace(" ", ""))
    return m.group(0).lower() if m and m.group("p").upper() == "NCP" else None


def alternatives(word: str) -> Alternatives:
    """The forms one typed word (or multi-word expression from ``scan``) is searched as."""
    typed = word.strip()
    low = typed.lower()
    code = rtp_code(typed)
    if code is not None:
        lower = code.lower()
        if lower.endswith("-"):
            return Alternatives((typed,), code_prefixes=(lower,))
        return Alternatives((lower,), codes=(lower,))
    if _SEGMENT_RE.fullmatch(low):
        return Alternatives((low,), codes=(low,))
    project = _project_code(typed)
    if project:
        return Alternatives((project,), codes=(project,))
    if typed.upper() in STRANDS and typed == typed.upper() and len(typed) > 1:
        return Alternatives((low,), codes=(low,))
    forms: dict[str, None] = {low: None}
    if low in _FAMILY_OF:
        forms.update(dict.fromkeys(_FAMILY_OF[low]))
    for form in list(forms):
        for extra in _number_forms(form):
            forms[extra] = None
    return Alternatives(tuple(forms))


def _number_forms(word: str) -> list[str]:
    """Other ways of writing a number, a fraction or a number compound (rule 6)."""
    out: list[str] = []
    if word in NUMBER_WORDS:
        out.append(NUMBER_WORDS[word])
    elif word in _PLURAL_NUMBERS:
        out.append(f"{_PLURAL_NUMBERS[word]}s")
    elif word.isdigit():
        out.extend(w for w, d in NUMBER_WORDS.items() if d == word)
    elif re.fullmatch(r"\d+s", word):
        out.extend(w for w, d in _PLURAL_NUMBERS.items() if d == word[:-1])
    if word in DENOMINATORS:
        fraction = f"1/{DENOMINATORS[word]}"
        out.extend([*_DENOMINATOR_NAMES[DENOMINATORS[word]], fraction])
        if word in ("tenth", "tenths", "hundredth", "hundredths"):
            out.append("decimal")
    if word in ("decimal", "decimals"):
        out.extend(["tenths", "hundredths"])
    parts = word.split()
    if len(parts) == 2 and _fraction_words(parts):
        fraction = _fraction_words(parts) or ""
        out.append(fraction)
        out.extend([_DECIMALS[fraction]] if fraction in _DECIMALS else [])
    m = _FRACTION_RE.fullmatch(word)
    if m:
        n, d = int(m.group("n")), int(m.group("d"))
        names = _DENOMINATOR_NAMES.get(d)
        if names and 0 < n < len(_NUMBERS):
            out.append(f"{_NUMBERS[n]} {names[0] if n == 1 else names[1]}")
            if n == 1:
                out.append(f"a {names[0]}")
        if word in _DECIMALS:
            out.append(_DECIMALS[word])
    m = _COMPOUND_RE.fullmatch(word)
    if m and int(m.group("n")) < len(_NUMBERS):
        out.append(f"{_NUMBERS[int(m.group('n'))]} {m.group('w')}")  # "two digit"
    halves = re.split(r"[\s-]", word)
    if (len(halves) == 2 and halves[0] in NUMBER_WORDS and halves[1].isalpha()
            and halves[1] not in DENOMINATORS):
        out.append(f"{NUMBER_WORDS[halves[0]]}-{halves[1]}")  # "two-digit" -> "2-digit"
    return out
