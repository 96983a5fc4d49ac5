"""Seeded, realistic-looking corpus of TfM lesson plans for benchmarks (no app imports).

``generate_lessons(n, seed=1)`` yields plain dicts of about 600 words each, shaped like the
lesson plans Work Groups co-plan: a key learning point, difficult points, vocabulary, stem
sentences, representations, variation, fluency, deeper-thinking questions and checks. Each
lesson carries a year group, strand, ready-to-progress codes, a PD segment, a school, a work
group, an academic year, a status and an update time. A few rare words (``RARE_WORDS``) are
sprinkled in so benchmarks can time needle-in-a-haystack queries.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

#: Words that appear in roughly one lesson in 200 (rarer towards the end of the tuple).
RARE_WORDS: tuple[str, ...] = (
    "cuisenaire", "quipu", "soroban", "napier", "zorbing", "nomogram", "tessellation", "dodecagon",
)  # fmt: skip

YEAR_GROUPS = ("R", "Y1", "Y2", "Y3", "Y4", "Y5", "Y6")
STATUSES = ("draft", "draft", "in_review", "approved", "approved", "approved")
ACADEMIC_YEARS = ("2022/23", "2023/24", "2024/25", "2025/26")
PROJECT_CODES = ("NCP 24-11", "NCP24-11", "NCP 25-15", "NCP23-10")
SCHOOLS = 120
WORK_GROUPS = 20

# strand -> (name, spine, segments, topic phrases, strand nouns)
STRANDS: dict[str, tuple[str, int, tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "NPV": (
        "Number and place value",
        1,
        ("1.10", "1.11", "1.14", "1.19", "1.20"),
        (
            "Composition of numbers to 100",
            "Partitioning three-digit numbers",
            "Comparing and ordering numbers",
            "Rounding to the nearest 10 and 100",
            "Place value in four-digit numbers",
        ),
        (
            "place value",
            "tens",
            "ones",
            "hundreds",
            "thousands",
            "partition",
            "number line",
            "Dienes",
            "place value counters",
            "digit",
            "value",
            "compare",
            "order",
            "round",
            "estimate",
            "regroup",
        ),
    ),
    "NF": (
        "Number facts",
        1,
        ("1.5", "1.6", "1.12", "2.7", "2.8"),
        (
            "Number bonds within 10",
            "Doubles and near doubles",
            "Recall of multiplication facts",
            "Bridging through ten",
            "Fact families",
        ),
        (
            "number bonds",
            "facts",
            "recall",
            "fluency",
            "doubles",
            "near doubles",
            "fact family",
            "ten frame",
            "rekenrek",
            "automaticity",
            "inverse",
            "related facts",
        ),
    ),
    "AS": (
        "Addition and subtraction",
        1,
        ("1.8", "1.9", "1.13", "1.15", "1.16"),
        (
            "Column addition with exchange",
            "Subtraction as difference",
            "Adding and subtracting across ten",
            "Inverse operations to check",
            "Mental strategies for subtraction",
        ),
        (
            "addition",
            "subtraction",
            "sum",
            "difference",
            "minuend",
            "subtrahend",
            "addend",
            "column method",
            "exchange",
            "regroup",
            "bar model",
            "part-whole model",
            "inverse",
        ),
    ),
    "MD": (
        "Multiplication and division",
        2,
        ("2.2", "2.6", "2.7", "2.8", "2.13"),
        (
            "Times tables: 2, 4 and 8",
            "Times tables: 3, 6 and 9",
            "Quotitive and partitive division",
            "Arrays and commutativity",
            "Scaling known facts by 10",
        ),
        (
            "multiplication",
            "division",
            "times table",
            "array",
            "equal groups",
            "multiple",
            "factor",
            "product",
            "quotient",
            "divisor",
            "dividend",
            "commutativity",
            "doubling",
            "halving",
            "grouping",
            "sharing",
            "scaling",
        ),
    ),
    "F": (
        "Fractions",
        3,
        ("3.1", "3.2", "3.3", "3.7", "3.10"),
        (
            "Unit fractions",
            "Non-unit fractions",
            "Equivalent fractions on a number line",
            "Improper fractions and mixed numbers",
            "Linking fractions, decimals and percentages",
        ),
        (
            "fraction",
            "fractions",
            "numerator",
            "denominator",
            "equivalent",
            "unit fraction",
            "non-unit fraction",
            "whole",
            "parts",
            "bar model",
            "number line",
            "simplify",
            "improper fraction",
            "mixed number",
            "decimal",
            "percentage",
        ),
    ),
    "G": (
        "Geometry",
        0,
        (),
        (
            "Recognising right angles",
            "Properties of quadrilaterals",
            "Lines of symmetry",
            "Parallel and perpendicular lines",
            "Classifying triangles",
        ),
        (
            "shape",
            "angle",
            "right angle",
            "polygon",
            "vertex",
            "vertices",
            "symmetry",
            "parallel",
            "perpendicular",
            "quadrilateral",
            "triangle",
            "geoboard",
            "tangram",
        ),
    ),
}

GENERAL = (
    "pupils", "children", "teacher", "class", "lesson", "representation", "structure",
    "stem sentence", "generalisation", "misconception", "reasoning", "explanation", "pattern",
    "manipulatives", "concrete", "pictorial", "abstract", "partner talk", "mini-whiteboards",
    "intelligent practice", "variation", "non-example", "small steps", "key point",
)  # fmt: skip
VERBS = (
    "explore", "represent", "explain", "compare", "reason about", "notice", "generalise",
    "model", "practise", "connect", "justify", "describe", "visualise", "check",
)  # fmt: skip
PURPOSES = (
    "expose the structure",
    "connect to prior learning",
    "address the difficult point",
    "build fluency with key facts",
    "prepare for the next small step",
    "make the relationship visible",
    "reduce cognitive load",
    "support same-day intervention",
)
# Everyday classroom words, so the vocabulary is not just the maths terms.
EVERYDAY = (
    "carefully", "together", "quickly", "first", "next", "finally", "table", "group", "board",
    "worksheet", "display", "chorus", "question", "answer", "listen", "share", "record", "draw",
    "write", "count", "build", "sort", "match", "move", "point", "hold", "show", "label",
    "colour", "circle", "underline", "predict", "prove", "convince", "challenge", "support",
    "adult", "assistant", "intervention", "homework", "starter", "plenary", "review", "recap",
    "assessment", "feedback", "marking", "book", "journal", "resource", "slide", "video",
    "animation", "teaching", "point", "guide", "segment", "spine", "objective", "outcome",
    "success", "criteria", "confidence", "attainment", "progress", "expectation", "language",
    "sentence", "precise", "vocabulary", "language", "talk", "discussion", "think", "pair",
    "whole-class", "interactive", "response", "hinge", "exit", "ticket", "observation",
    "research", "focus", "noticing", "reflection", "agreed", "change", "revision", "version",
    "sequence", "coherence", "fluency", "mastery", "depth", "breadth", "enrichment", "puzzle",
    "game", "story", "context", "money", "coins", "pounds", "pence", "length", "metres", "mass",
    "grams", "capacity", "litres", "time", "minutes", "hours", "calendar", "temperature",
    "shop", "recipe", "garden", "playground", "football", "sweets", "apples", "biscuits",
)  # fmt: skip
HEADINGS = (
    "Key learning point",
    "Prior learning",
    "Difficult points and misconceptions",
    "Key vocabulary",
    "Stem sentences",
    "Representations",
    "Conceptual and procedural variation",
    "Fluency practice",
    "Questions for deeper thinking",
    "Checks for understanding",
)
TEMPLATES = (
    "Pupils {verb} {noun} using {noun2} to {purpose}.",
    "The teacher models {noun} with {noun2}, then pupils {verb} {noun3} in pairs.",
    "Ask: how does {noun} help us {verb} {noun2}? Expect a full-sentence answer.",
    "Some children may confuse {noun} with {noun2}; show a non-example such as {token}.",
    "Use the stem sentence: 'If I know {token}, then I also know {token2}.'",
    "Intelligent practice: a chain of questions where only {noun} changes, e.g. {token}.",
    "Link to {code} and segment {segment}: {noun} and {noun2} in the same representation.",
    "Checks for understanding: mini-whiteboards show {token}; same-day intervention on {noun}.",
    "Deeper thinking: always, sometimes or never true that {noun} {verb2} {noun2}?",
    "Revisit {noun} from the previous small step before introducing {noun2}.",
    "Note: {e1} {e2} and {e3}, then {e4} the {noun} {e5} {e6}.",
    "In the {e1} part, pupils {e2} and {e3} {noun} with the {e4} before they {verb} {noun2}.",
)
TOKENS = (
    "3/4", "1/2", "2/3", "6/8", "3 x 4 = 12", "24 ÷ 4 = 6", "10%", "25%", "50%", "0.5", "0.25",
    "2x", "4x", "8x", "12 = 10 + 2", "36", "100", "1,000", "5 × 8 = 40",
)  # fmt: skip


def _sentence(rng: random.Random, nouns: tuple[str, ...], ctx: dict[str, str]) -> str:
    template = rng.choice(TEMPLATES)
    pool = nouns + nouns + GENERAL  # strand words twice as likely as general ones
    return template.format(
        verb=rng.choice(VERBS),
        verb2=rng.choice(("equals", "matches", "doubles", "is greater than", "shows")),
        noun=rng.choice(pool),
        noun2=rng.choice(pool),
        noun3=rng.choice(pool),
        purpose=rng.choice(PURPOSES),
        token=rng.choice(TOKENS),
        e1=rng.choice(EVERYDAY),
        e2=rng.choice(EVERYDAY),
        e3=rng.choice(EVERYDAY),
        e4=rng.choice(EVERYDAY),
        e5=rng.choice(EVERYDAY),
        e6=rng.choice(EVERYDAY),
        token2=rng.choice(TOKENS),
        code=ctx["code"],
        segment=ctx["segment"],
    )


def generate_lessons(n: int, seed: int = 1) -> Iterator[dict[str, Any]]:
    """Yield ``n`` lesson dicts (about 600 words of body each), reproducibly for a seed."""
    rng = random.Random(seed)
    base = datetime(2022, 9, 1, 8, 0)
    codes = list(STRANDS)
    for i in range(n):
        strand = rng.choice(codes)
        name, spine, segments, topics, nouns = STRANDS[strand]
        year = rng.choice(YEAR_GROUPS[1:]) if strand != "NF" else rng.choice(YEAR_GROUPS)
        digit = "0" if year == "R" else year[1:]
        rtp_strand = "AS/MD" if digit == "6" and strand in ("AS", "MD") else strand
        rtp = [f"{digit}{rtp_strand}\u2013{rng.randint(1, 4)}" for _ in range(rng.randint(1, 2))]
        segment = rng.choice(segments) if segments else ""
        ctx = {"code": rtp[0], "segment": segment or "n/a"}
        topic = rng.choice(topics)
        lesson_no = rng.randint(1, 6)
        paragraphs: list[str] = []
        words = 0
        for heading in HEADINGS:
            sentences = [_sentence(rng, nouns, ctx) for _ in range(rng.randint(4, 6))]
            para = f"## {heading}\n" + " ".join(sentences)
            paragraphs.append(para)
            words += para.count(" ") + 1
            if words > 580:
                break
        if rng.random() < 0.03:  # sprinkle rare words: each appears in ~0.4% of lessons
            paragraphs.append(f"Resource note: try the {rng.choice(RARE_WORDS)} with this group.")
        body = "\n\n".join(paragraphs)
        school = rng.randrange(SCHOOLS)
        work_group = school % WORK_GROUPS
        yield {
            "id": i,
            "title": f"{year} {name}: {topic} (lesson {lesson_no})",
            "sequence_title": f"{year} {topic}",
            "body": body,
            "year_group": year,
            "strand": strand,
            "rtp": rtp,
            "segment": segment,
            "spine": str(spine) if spine else "",
            "school": str(school),
            "school_name": f"School {school} Primary",
            "work_group": str(work_group),
            "project_code": PROJECT_CODES[work_group % len(PROJECT_CODES)],
            "academic_year": rng.choice(ACADEMIC_YEARS),
            "status": rng.choice(STATUSES),
            "author": f"teacher-{school}-{rng.randrange(4)}",
            "updated": base + timedelta(minutes=rng.randrange(60 * 24 * 365 * 3)),
        }
