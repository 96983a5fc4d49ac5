"""Judged queries for the relevance benchmark, and the rule that grades every document for each.

THE RULE (applied to each document's own content and metadata; no engine output is read).
Each query carries an *intent*, written by hand together with the query text:

* ``concepts``: groups of surface forms. A group is one idea the teacher is asking about, and
  lists every way of writing it that a human judge accepts (``dividing`` accepts "division",
  "divide", "÷", "sharing"...; ``three quarters`` accepts "3/4", "$\\frac{3}{4}$"...). Typos
  in the query text are not forms: the intent holds the words the teacher meant.
* constraints: ``years`` (year groups), ``rtp`` (a ready-to-progress code), ``segment`` (a PD
  segment) and ``academic_year``. Relative years are resolved against ``TODAY`` (2026-12-03,
  in academic year 2026/27): "last year" is 2025/26, "this year" 2026/27.

A form *occurs* in a text when it appears there, case-insensitively, not inside a longer word
or number (en dashes read as hyphens). A document's *heading* is its title, its sequence title
and its metadata written out: year group code and name ("Y4 Year 4"), strand code and name,
RTP codes, PD segments and academic year. Its *body* is its body text. Then:

* grade 2: every constraint holds and every concept group has a form occurring in the heading;
* grade 1: every constraint holds and every concept group has a form occurring in the heading
  or the body (so at least one only in the body);
* grade 0: otherwise.

A query with no concept groups (``year 4``, ``3NF2``) gives grade 2 to every document meeting
its constraints. RTP codes compare without dash, en dash or case (``3nf2`` = ``3NF–2``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from relevance_corpus import STRAND_NAMES, YEAR_NAMES

#: The fixed "today" of the benchmark (a Thursday in the autumn term of 2026/27).
TODAY = date(2026, 12, 3)
THIS_YEAR = "2026/27"
LAST_YEAR = "2025/26"


@dataclass(frozen=True)
class Judged:
    text: str
    kind: str
    concepts: tuple[tuple[str, ...], ...] = ()
    years: tuple[str, ...] = ()
    rtp: str | None = None
    segment: str | None = None
    academic_year: str | None = None
    #: Named in issue 12 as failing before the query rules.
    named: bool = field(default=False, compare=False)


# ---- surface forms a judge accepts (one idea each) ----------------------------------------
FRACTION = ("fraction", "fractions")
EQUIVALENT = ("equivalent", "equivalence", "equivalents")
DIVISION = ("divide", "divides", "dividing", "divided", "division", "÷", "share", "shares",
            "sharing", "shared", "grouping")  # fmt: skip
MULTIPLICATION = ("multiply", "multiplies", "multiplying", "multiplied", "multiplication",
                  "times table", "times tables", "times-table")  # fmt: skip
SUBTRACTION = ("subtract", "subtracts", "subtracting", "subtracted", "subtraction",
               "take away", "taking away", "minus")  # fmt: skip
ADDITION = ("add", "adds", "adding", "added", "addition")
PARTITION = ("partition", "partitions", "partitioning", "partitioned")
TWO_DIGIT = ("2-digit", "two-digit", "2 digit")
NUMBER_BONDS = ("number bond", "number bonds", "bonds to 10", "bonds of 10", "bonds to 20",
                "bonds of 20", "bonds to 100", "bonds within 10", "bond to 10",
                "bond to 20")  # fmt: skip
TEN = ("10", "ten")
ANGLE = ("angle", "angles")
POLYGON = ("polygon", "polygons", "triangle", "triangles", "quadrilateral", "quadrilaterals",
           "pentagon", "hexagon")  # fmt: skip
AREA = ("area", "areas")
RECTILINEAR = ("rectilinear",)
PERIMETER = ("perimeter", "perimeters")
TIME = ("the time", "o'clock", "half past", "quarter past", "quarter to", "minutes past",
        "to the minute", "to the hour")  # fmt: skip
CLOCK = ("clock", "clocks", "analogue")
FOUR_TABLE = ("4 times table", "4 times-table", "four times table", "counting in fours",
              "count in fours", "groups of four", "groups of 4", "multiples of 4",
              "multiples of four")  # fmt: skip
THREE_QUARTERS = ("three quarters", "three-quarters", "3/4", "\\frac{3}{4}", "¾")
COUNT = ("count", "counts", "counting", "counted")
DECIMAL = ("decimal", "decimals")
MONEY = ("money", "coin", "coins", "pence", "pounds", "£")
TIMES_TABLES = ("times table", "times tables", "times-table", "times-tables",
                "multiplication table", "multiplication tables")  # fmt: skip
PERCENT = ("percent", "per cent", "percentage", "percentages", "%")
SUBITISE = ("subitise", "subitising", "subitize", "subitizing")
SYMMETRY = ("symmetry", "symmetrical")
DENOMINATOR = ("denominator", "denominators")
HALF = ("half", "halves", "1/2", "\\frac{1}{2}", "½", "halving")
QUARTER = ("one quarter", "quarters", "1/4", "\\frac{1}{4}", "¼", "a quarter of")
EXCHANGE = ("exchange", "exchanges", "exchanging", "exchanged", "regroup", "regrouping")
PLACE_VALUE = ("place value",)

QUERIES: tuple[Judged, ...] = (
    # The queries issue 12 names as failing.
    Judged("angles in polygons", "named", (ANGLE, POLYGON), named=True),
    Judged("number bonds to 10", "named", (NUMBER_BONDS, TEN), named=True),
    Judged("area of rectilinear shapes", "named", (AREA, RECTILINEAR), named=True),
    Judged("telling the time analogue clock", "named", (TIME, CLOCK), named=True),
    Judged("Counting in fours is the 4 times table", "named", (FOUR_TABLE,), named=True),
    Judged("3NF2", "named", rtp="3NF-2", named=True),
    Judged("3nf-2", "named", rtp="3NF-2", named=True),
    Judged("dividing", "named", (DIVISION,), named=True),
    Judged("partitioning 2-digit numbers", "named", (PARTITION, TWO_DIGIT), named=True),
    Judged("year 4", "named", years=("Y4",), named=True),
    Judged("three quarters", "named", (THREE_QUARTERS,), named=True),
    Judged("equivalent fractions last year", "named", (EQUIVALENT, FRACTION),
           academic_year=LAST_YEAR, named=True),
    # Questions, as typed into the box.
    Judged("what did we do for equivalent fractions last year?", "question",
           (EQUIVALENT, FRACTION), academic_year=LAST_YEAR, named=True),
    Judged("how do I teach column subtraction with exchange?", "question",
           (("column", "columns"), SUBTRACTION, EXCHANGE)),
    Judged("what representations help with place value?", "question", (PLACE_VALUE,)),
    Judged("how do we teach short division", "question", (("short division",),)),
    Judged("what misconceptions do children have with perimeter?", "question", (PERIMETER,)),
    Judged("ideas for teaching fractions of amounts", "question",
           (FRACTION, ("amount", "amounts", "quantity", "quantities"))),
    # Year-group words.
    Judged("year 4 fractions", "year", (FRACTION,), years=("Y4",)),
    Judged("Y2 number bonds", "year", (NUMBER_BONDS,), years=("Y2",)),
    Judged("reception counting", "year", (COUNT,), years=("R",)),
    Judged("year 6 angles", "year", (ANGLE,), years=("Y6",)),
    Judged("Y3 perimeter", "year", (PERIMETER,), years=("Y3",)),
    Judged("year five decimals", "year", (DECIMAL,), years=("Y5",)),
    Judged("year 1 subtraction", "year", (SUBTRACTION,), years=("Y1",)),
    Judged("y5 area", "year", (AREA,), years=("Y5",)),
    Judged("year 2 money", "year", (MONEY,), years=("Y2",)),
    # Representations.
    Judged("bar model", "representation", (("bar model", "bar models", "bar-model"),)),
    Judged("part-whole model", "representation",
           (("part-whole", "part whole", "part-part-whole"),)),
    Judged("ten frame", "representation", (("ten frame", "ten frames", "tens frame"),)),
    Judged("dienes", "representation", (("dienes", "base 10", "base-10", "base ten"),)),
    Judged("fraction wall", "representation", (("fraction wall", "fraction walls"),)),
    Judged("arrays for multiplication", "representation",
           (("array", "arrays"), MULTIPLICATION)),
    Judged("clock faces", "representation", (("clock face", "clock faces"),)),
    Judged("fractions on a number line", "representation",
           (("number line", "number lines"), FRACTION)),
    Judged("rekenrek", "representation", (("rekenrek",),)),
    Judged("place value counters", "representation", (("place value counters",),)),
    # Misconceptions.
    Judged("bigger denominator means bigger fraction", "misconception",
           (DENOMINATOR, ("bigger", "larger", "greater"))),
    Judged("adding the denominators", "misconception", (ADDITION, DENOMINATOR)),
    Judged("confusing area and perimeter", "misconception", (AREA, PERIMETER)),
    Judged("rotated square is not a square", "misconception",
           (("square", "squares"), ("rotated", "turned", "orientation", "orientations"))),
    Judged("remainder bigger than the divisor", "misconception",
           (("remainder", "remainders"), ("divisor",))),
    Judged("counting the starting number when counting back", "misconception",
           (("counting back", "count back", "counts back"), ("start", "starting"))),
    Judged("thinks 1 is a prime number", "misconception", (("prime", "primes"),)),
    Judged("misconceptions with decimals", "misconception", (DECIMAL,)),
    # Topics across the primary curriculum.
    Judged("times tables", "topic", (TIMES_TABLES,)),
    Judged("column addition", "topic", (("column", "columns"), ADDITION)),
    Judged("subtraction take away", "topic", (("take away", "taking away", "takes away"),)),
    Judged("sharing equally", "topic",
           (("share", "shares", "sharing", "shared"), ("equal", "equally"))),
    Judged("pictograms", "topic", (("pictogram", "pictograms"),)),
    Judged("pie charts", "topic", (("pie chart", "pie charts"),)),
    Judged("mean average", "topic", (("mean", "average", "averages"),)),
    Judged("factor pairs", "topic", (("factor pair", "factor pairs", "factors"),)),
    Judged("negative numbers", "topic", (("negative",),)),
    Judged("rounding to the nearest 100", "topic",
           (("round", "rounds", "rounding", "rounded"), ("100", "hundred"))),
    Judged("roman numerals", "topic", (("roman numeral", "roman numerals"),)),
    Judged("24 hour clock", "topic", (("24-hour", "24 hour"),)),
    Judged("volume of cuboids", "topic", (("volume",), ("cuboid", "cuboids"))),
    Judged("ratio", "topic", (("ratio", "ratios"),)),
    Judged("order of operations", "topic", (("order of operations", "brackets"),)),
    Judged("long division", "topic", (("long division",),)),
    Judged("lines of symmetry", "topic", (SYMMETRY,)),
    Judged("right angles", "topic", (("right angle", "right angles", "right-angle"),)),
    Judged("parallel and perpendicular lines", "topic", (("parallel",), ("perpendicular",))),
    Judged("improper fractions and mixed numbers", "topic",
           (("improper",), ("mixed number", "mixed numbers"))),
    Judged("simplifying fractions", "topic",
           (("simplify", "simplifies", "simplifying", "simplified", "simplest form"),
            FRACTION)),
    Judged("odd and even numbers", "topic", (("odd",), ("even",))),
    Judged("doubling and halving", "topic",
           (("double", "doubles", "doubling", "doubled", "halve", "halving"),)),
    Judged("subitising", "topic", (SUBITISE,)),
    Judged("percentages", "topic", (PERCENT,)),
    # Number words and fractions written as words.
    Judged("tenths", "number words", (("tenth", "tenths", "0.1"),)),
    Judged("half of a shape", "number words", (HALF, ("shape", "shapes"))),
    Judged("one quarter", "number words", (QUARTER,)),
    Judged("two thirds", "number words", (("two thirds", "two-thirds", "2/3",
                                           "\\frac{2}{3}"),)),
    # Codes: RTP criteria (any dash, any case) and PD segments.
    Judged("5F-2", "code", rtp="5F-2"),
    Judged("5f2", "code", rtp="5F-2"),
    Judged("4F-1", "code", rtp="4F-1"),
    Judged("6g1", "code", rtp="6G-1"),
    Judged("2AS-3", "code", rtp="2AS-3"),
    Judged("2.7", "code", segment="2.7"),
    Judged("segment 3.7", "code", segment="3.7"),
    Judged("3.10", "code", segment="3.10"),
    # Typos.
    Judged("equivelant fractions", "typo", (EQUIVALENT, FRACTION)),
    Judged("perimiter", "typo", (PERIMETER,)),
    Judged("multiplcation arrays", "typo", (("array", "arrays"), MULTIPLICATION)),
    Judged("rectilinier area", "typo", (AREA, RECTILINEAR)),
    Judged("subitsing", "typo", (SUBITISE,)),
    Judged("protracter", "typo", (("protractor", "protractors"),)),
    Judged("percentges", "typo", (PERCENT,)),
    Judged("symetry", "typo", (SYMMETRY,)),
    # Academic years, absolute and relative.
    Judged("2024/25 times tables", "academic year", (TIMES_TABLES,), academic_year="2024/25"),
    Judged("fractions this year", "academic year", (FRACTION,), academic_year=THIS_YEAR),
    Judged("last year's column subtraction", "academic year",
           (("column", "columns"), SUBTRACTION), academic_year=LAST_YEAR),
)


# ---- the rule --------------------------------------------------------------------------
def _normal(text: str) -> str:
    return text.lower().replace("\u2013", "-").replace("\u2014", "-")


def _code(code: str) -> str:
    return re.sub(r"[-\u2013\u2014\s]", "", code).upper()


_PATTERNS: dict[str, re.Pattern[str]] = {}


def occurs(form: str, text: str) -> bool:
    """``form`` appears in (normalised) ``text``, not inside a longer word or number."""
    pattern = _PATTERNS.get(form)
    if pattern is None:
        pattern = _PATTERNS[form] = re.compile(
            r"(?<![a-z0-9])" + re.escape(_normal(form)) + r"(?![a-z0-9])"
        )
    return pattern.search(text) is not None


def heading(doc: Mapping[str, Any]) -> str:
    """Title, sequence title and metadata, as the text the rule reads for grade 2."""
    year = str(doc.get("year_group") or "")
    strand = str(doc.get("strand") or "")
    parts = [
        str(doc.get("title") or ""), str(doc.get("sequence_title") or ""),
        year, YEAR_NAMES.get(year, ""), strand, STRAND_NAMES.get(strand, ""),
        " ".join(doc.get("rtp") or []), " ".join(doc.get("segment") or []),
        str(doc.get("academic_year") or ""),
    ]  # fmt: skip
    return _normal(" ".join(parts))


def constraints_hold(q: Judged, doc: Mapping[str, Any]) -> bool:
    if q.years and doc.get("year_group") not in q.years:
        return False
    if q.rtp and _code(q.rtp) not in {_code(c) for c in doc.get("rtp") or []}:
        return False
    if q.segment and q.segment not in (doc.get("segment") or []):
        return False
    return not (q.academic_year and doc.get("academic_year") != q.academic_year)


def grade(q: Judged, doc: Mapping[str, Any]) -> int:
    """0, 1 or 2 for ``doc`` under ``q`` by the rule in this module's docstring."""
    if not constraints_hold(q, doc):
        return 0
    head = heading(doc)
    if all(any(occurs(f, head) for f in group) for group in q.concepts):
        return 2
    body = _normal(str(doc.get("body") or ""))
    if all(any(occurs(f, head) or occurs(f, body) for f in group) for group in q.concepts):
        return 1
    return 0


def judgements(
    docs: Sequence[Mapping[str, Any]], queries: Sequence[Judged] = QUERIES
) -> dict[str, dict[str, int]]:
    """query text -> {document key: grade} for every document graded 1 or 2."""
    out: dict[str, dict[str, int]] = {}
    for q in queries:
        grades = {str(d["key"]): grade(q, d) for d in docs}
        out[q.text] = {k: g for k, g in grades.items() if g}
    return out


if __name__ == "__main__":
    from relevance_corpus import documents

    docs = documents()
    judged = judgements(docs)
    print(f"{len(QUERIES)} queries over {len(docs)} documents (grade 2 / grade 1)")
    for q in QUERIES:
        grades = list(judged[q.text].values())
        print(f"  {grades.count(2):4d} {grades.count(1):4d}  [{q.kind}] {q.text}")
    empty = [q.text for q in QUERIES if not judged[q.text]]
    print("queries with no relevant document:", empty or "none")
