"""Curriculum reference data (public facts): year groups, strands, ready-to-progress codes.

Plain data only, so both the app and the migrations can read it.
"""

from __future__ import annotations

YEAR_GROUPS: list[tuple[str, str]] = [("R", "Reception")] + [
    (f"Y{n}", f"Year {n}") for n in range(1, 12)
]

#: National Curriculum domains (primary by year, KS3/KS4 subject content headings).
STRANDS: list[tuple[str, str, str]] = [
    ("npv", "Number – number and place value", "primary"),
    ("as", "Number – addition and subtraction", "primary"),
    ("md", "Number – multiplication and division", "primary"),
    ("fractions", "Number – fractions (including decimals and percentages)", "primary"),
    ("ratio", "Ratio and proportion", "primary"),
    ("algebra-p", "Algebra", "primary"),
    ("measurement", "Measurement", "primary"),
    ("shape", "Geometry – properties of shapes", "primary"),
    ("position", "Geometry – position and direction", "primary"),
    ("statistics-p", "Statistics", "primary"),
    ("early-number", "Early Learning Goals – Number", "eyfs"),
    ("early-patterns", "Early Learning Goals – Numerical patterns", "eyfs"),
    ("number", "Number", "secondary"),
    ("algebra", "Algebra", "secondary"),
    ("ratio-rates", "Ratio, proportion and rates of change", "secondary"),
    ("geometry", "Geometry and measures", "secondary"),
    ("probability", "Probability", "secondary"),
    ("statistics", "Statistics", "secondary"),
]

#: Curriculum strands as the search index's strand codes (ready-to-progress strands where they
#: match), so `strand:fractions` and `strand:F` find fractions plans, observations and materials
#: alike, and the search page's strand filter lists each strand once.
INDEX_STRANDS = {"npv": "NPV", "as": "AS", "md": "MD", "fractions": "F", "shape": "G",
                 "position": "G"}


def index_strand(strand: str | None) -> str:
    """A strand as the search index stores it ("fractions" -> "F"; others unchanged)."""
    return INDEX_STRANDS.get(strand or "", strand or "")


BIG_IDEAS: list[tuple[str, str]] = [
    ("coherence", "Coherence"),
    ("representation_and_structure", "Representation and structure"),
    ("mathematical_thinking", "Mathematical thinking"),
    ("fluency", "Fluency"),
    ("variation", "Variation"),
]


def _codes(year: int, strand: str, count: int) -> list[str]:
    return [f"{year}{strand}–{n}" for n in range(1, count + 1)]


#: Ready-to-progress criteria codes from the DfE guidance (2020), written with an en dash.
RTP_CODES: list[str] = [
    *_codes(1, "NPV", 2), *_codes(1, "NF", 2), *_codes(1, "G", 2),
    *_codes(2, "NPV", 2), *_codes(2, "NF", 1), *_codes(2, "AS", 4), *_codes(2, "MD", 2),
    *_codes(2, "G", 1),
    *_codes(3, "NPV", 4), *_codes(3, "NF", 3), *_codes(3, "AS", 3), *_codes(3, "MD", 1),
    *_codes(3, "F", 4), *_codes(3, "G", 2),
    *_codes(4, "NPV", 4), *_codes(4, "NF", 3), *_codes(4, "MD", 3), *_codes(4, "F", 3),
    *_codes(4, "G", 3),
    *_codes(5, "NPV", 5), *_codes(5, "NF", 2), *_codes(5, "MD", 4), *_codes(5, "F", 3),
    *_codes(5, "G", 2),
    *_codes(6, "NPV", 4), *_codes(6, "AS/MD", 4), *_codes(6, "F", 3), *_codes(6, "G", 1),
]

#: Short summaries where the guidance's wording was checked (domain brief §4).
RTP_SUMMARIES: dict[str, str] = {
    "3NF–2": "Recall the 10, 5, 2, 4 and 8 table facts and the matching division facts.",
    "3NF–3": "Scale known facts by 10.",
    "3MD–1": "Apply facts to problems with different structures, including quotitive and "
             "partitive division.",
    "5F–1": "Find non-unit fractions of quantities.",
    "5F–2": "Equivalent fractions have the same value and the same position on the number line.",
    "5F–3": "Decimal equivalents of 1/2, 1/4, 1/5, 1/10 and their multiples.",
    "6F–1": "Simplify fractions using common factors.",
}
