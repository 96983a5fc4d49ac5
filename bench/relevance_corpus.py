"""The relevance benchmark's documents: primary TfM lessons and sequences (seeded, no network).

``documents()`` returns about 290 search documents in the app's dict shape (see
app/core/search/documents.py): the sequences of ``relevance_sequences.SPECS``, each with its
lessons, some re-planned in a second academic year by another school, plus the lessons and
sequences of the demo seed (app/demo/seed.json, read at run time when present).

Text varies per document the way teachers' writing varies: fractions as ``3/4``,
``$\\frac{3}{4}$`` or words, ``2-digit``/``two-digit``, ``2-D``/``2D``, RTP codes with an en
dash (as the app stores them) or a hyphen (as the demo seed writes them). The same seed always
gives the same documents. Imports nothing from the app.
"""

from __future__ import annotations

import json
import random
import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from relevance_sequences import SPECS, Spec

SEED = 2026
#: The app's copy of the demo seed, found from this file so the bench runs in any checkout.
DEMO_SEED = Path(__file__).resolve().parent.parent / "app" / "demo" / "seed.json"
ACADEMIC_YEARS = ("2023/24", "2024/25", "2025/26", "2026/27")
STATUSES = ("draft", "in_review", "approved", "approved", "approved")

#: Strand codes as the app's index stores them, with the names a judge reads as metadata.
STRAND_NAMES: dict[str, str] = {
    "NPV": "Number and place value",
    "NF": "Number facts",
    "AS": "Addition and subtraction",
    "MD": "Multiplication and division",
    "AS/MD": "Addition, subtraction, multiplication and division",
    "F": "Fractions",
    "G": "Geometry",
    "measurement": "Measurement",
    "statistics": "Statistics",
    "ratio": "Ratio and proportion",
    "early-number": "Early Learning Goals - Number",
}
YEAR_NAMES: dict[str, str] = {"R": "Reception", **{f"Y{n}": f"Year {n}" for n in range(1, 7)}}

SCHOOLS: tuple[str, ...] = (
    "Thornmere Primary School", "Wrenfield Park Primary Academy",
    "Eskdyke Community Primary School", "Hollinbrook Church of England Primary School",
    "Kestrelgate Primary School", "Larchwold Primary Academy", "Moorside Infant School",
    "St Aidan's CE Primary School", "Brackenfield Junior School", "Oakhollow Primary School",
)  # fmt: skip
TEACHERS: tuple[str, ...] = (
    "A. Iqbal", "B. Whitaker", "C. Fenwick", "D. Kettlewell", "E. Ashdown", "F. Marsden",
    "G. Pemberton", "H. Holt", "J. Okafor", "K. Castleford",
)  # fmt: skip

#: Compound forms written differently from one document to the next.
VARIANTS: dict[str, tuple[str, ...]] = {
    "2-digit": ("2-digit", "two-digit", "2 digit"),
    "3-digit": ("3-digit", "three-digit"),
    "1-digit": ("1-digit", "one-digit"),
    "four-digit": ("four-digit", "4-digit"),
    "three-digit": ("three-digit", "3-digit"),
    "2-D": ("2-D", "2D"),
    "3-D": ("3-D", "3D"),
    "2D": ("2D", "2-D"),
    "3D": ("3D", "3-D"),
    "times table": ("times table", "times-table"),
}
_VARIANT_RE = re.compile("|".join(re.escape(k) for k in sorted(VARIANTS, key=len, reverse=True)))
FRACTION_WORDS: dict[tuple[int, int], tuple[str, ...]] = {
    (1, 2): ("one half", "a half"),
    (1, 4): ("one quarter", "a quarter"),
    (3, 4): ("three quarters", "three-quarters"),
    (1, 3): ("one third", "a third"),
    (2, 3): ("two thirds", "two-thirds"),
    (1, 5): ("one fifth",),
    (2, 5): ("two fifths",),
    (3, 5): ("three fifths",),
    (1, 8): ("one eighth",),
    (1, 10): ("one tenth",),
}
_FRACTION_RE = re.compile(r"\{(\d+)/(\d+)\}")

FLUENCY: dict[str, tuple[str, ...]] = {
    "number": (
        "Count forwards and backwards in ones and tens from any number.",
        "Quick recall of known facts with a ten frame flash.",
        "Choral counting on the rekenrek, then 'show me' on fingers.",
    ),
    "tables": (
        "Chant the table forwards and backwards, then quick-fire mixed facts.",
        "Multiplication tables check practice: 20 facts in 2 minutes.",
        "Related division facts from each multiplication fact.",
    ),
    "fractions": (
        "Count in unit fractions along a number line.",
        "Quick recall of equivalents of one half.",
        "Say the fraction shaded on flashed images.",
    ),
    "other": (
        "Quick recall of related number facts on mini-whiteboards.",
        "Two-minute warm-up on the previous lesson's key point.",
        "Revisit vocabulary with 'I say, you say, we say'.",
    ),
}
CHECKS = (
    "Hinge question on mini-whiteboards before independent practice.",
    "Exit task: three questions, one of them a non-example.",
    "Same-day intervention for pupils who could not explain the key point.",
    "Check with a true or false statement: pupils explain their reasoning.",
    "Observe the focus pupils during paired talk; note who needs same-day catch-up.",
)
NOTES = (
    "Input 15 minutes, paired talk 10 minutes, independent practice 20 minutes.",
    "Keep the representation on the working wall for the next lesson.",
    "Taught as a TRG research lesson; observers to watch the focus pupils.",
    "Revised after the post-lesson discussion: the non-example now comes earlier.",
    "Resources: mini-whiteboards, manipulatives on every table.",
)


def _render(text: str, rng: random.Random, *, latex: bool = True) -> str:
    """Write the fractions and compound forms of ``text`` the way this document's author does."""

    def fraction(m: re.Match[str]) -> str:
        a, b = int(m.group(1)), int(m.group(2))
        forms = [f"{a}/{b}"]
        if latex:
            forms.append(f"$\\frac{{{a}}}{{{b}}}$")
        forms.extend(FRACTION_WORDS.get((a, b), ()))
        return rng.choice(forms)

    text = _FRACTION_RE.sub(fraction, text)
    return _VARIANT_RE.sub(lambda m: rng.choice(VARIANTS[m.group(0)]), text)


def _capitalised(title: str) -> str:
    # A title may start with a fraction written in words ("three quarters of a quantity").
    return title[:1].upper() + title[1:]


def _bullets(items: list[str]) -> str:
    return "\n".join(f"- {item}" for item in items)


def _fluency_kind(spec: Spec) -> str:
    if spec.strand in ("MD", "NF") and "times table" in spec.title:
        return "tables"
    if spec.strand == "F":
        return "fractions"
    if spec.strand in ("NPV", "NF", "AS", "early-number"):
        return "number"
    return "other"


def _lesson_body(spec: Spec, index: int, rng: random.Random) -> str:
    _title, key_point = spec.lessons[index]
    prior = spec.lessons[index - 1][0] if index else "Previous year's work on this topic."
    reps = rng.sample(spec.reps, min(len(spec.reps), rng.randint(2, 4)))
    vocab = rng.sample(spec.vocab, min(len(spec.vocab), rng.randint(3, 5)))
    difficult = rng.sample(spec.difficult, min(len(spec.difficult), rng.randint(1, 2)))
    segment = f" See [[pd:{rng.choice(spec.segments)}]]." if spec.segments and rng.random() < .4 \
        else ""
    fields = [
        f"**{key_point}**" if rng.random() < 0.3 else key_point,
        f"Prior learning: {prior}",
        ", ".join(vocab),
        _bullets(list(rng.sample(spec.stems, len(spec.stems)))),
        _bullets(reps),
        _bullets(difficult),
        f"Show the same structure with {reps[0]} and {reps[-1]}; include a non-example.",
        "A chain of linked questions where one number changes each time, so pupils notice "
        "what stays the same.",
        rng.choice(FLUENCY[_fluency_kind(spec)]),
        _bullets(rng.sample(spec.questions, len(spec.questions))),
        rng.choice(CHECKS),
        rng.choice(NOTES) + segment,
    ]
    return _render("\n\n".join(fields), rng)


def _sequence_body(spec: Spec, lessons: list[str], rng: random.Random) -> str:
    steps = "\n".join(f"{i}. {t}" for i, t in enumerate(lessons, 1))
    tags = " ".join(sorted({spec.strand.lower(), spec.year.lower(), *spec.vocab[:3]}))
    return _render("\n\n".join([steps, spec.overview, tags, "\n".join(lessons)]), rng)


def _updated(academic_year: str, rng: random.Random) -> datetime:
    start = datetime(int(academic_year[:4]), 9, 3, 8, 0)
    return start + timedelta(days=rng.randint(0, 300), minutes=rng.randint(0, 600))


def _rtp(code: str, rng: random.Random) -> str:
    # The app stores the guidance's en dash; a few plans were typed with a hyphen.
    return code if rng.random() < 0.2 else code.replace("-", "\u2013")


class _Builder:
    def __init__(self) -> None:
        self.docs: list[dict[str, Any]] = []
        self.next_lesson = 1
        self.next_sequence = 1

    def sequence(
        self, meta: dict[str, Any], title: str, body: str, lessons: list[tuple[str, str, list[str]]]
    ) -> None:
        """Add a sequence and its lessons: (title, body, segments) each; ``meta`` is shared."""
        seq_id = self.next_sequence
        self.next_sequence += 1
        common = {**meta, "sequence_title": title, "sequence": str(seq_id), "access": ["all"]}
        self.docs.append({
            **common, "key": f"sequence:{seq_id}", "type": "sequence", "title": title,
            "body": body, "url": f"/sequences/{seq_id}",
        })  # fmt: skip
        for lesson_title, lesson_body, segments in lessons:
            lesson_id = self.next_lesson
            self.next_lesson += 1
            self.docs.append({
                **common, "key": f"lesson:{lesson_id}", "type": "lesson", "title": lesson_title,
                "body": lesson_body, "segment": segments, "url": f"/lessons/{lesson_id}",
            })  # fmt: skip


def _add_specs(builder: _Builder, rng: random.Random) -> None:
    for spec in SPECS:
        years = spec.years or (rng.choice(ACADEMIC_YEARS),)
        for academic_year in years:
            school = rng.randrange(len(SCHOOLS))
            indexes = list(range(len(spec.lessons)))
            if len(years) > 1 and academic_year != years[0] and len(indexes) > 3:
                indexes.pop(rng.randrange(1, len(indexes)))  # a re-plan dropped one step
            titles = [_capitalised(_render(spec.lessons[i][0], rng, latex=False))
                      for i in indexes]
            lessons = []
            for i, title in zip(indexes, titles, strict=True):
                body = _lesson_body(spec, i, rng)
                segments = sorted(set(re.findall(r"\[\[pd:([\d.]+)\]\]", body)))
                lessons.append((title, body, segments))
            updated = _updated(academic_year, rng)
            meta = {
                "year_group": spec.year, "strand": spec.strand,
                "rtp": [_rtp(c, rng) for c in spec.rtp], "school": str(school + 1),
                "school_name": SCHOOLS[school], "academic_year": academic_year,
                "status": rng.choice(STATUSES), "updated": updated,
                "author": rng.choice(TEACHERS), "work_group": str(1 + school % 3),
                "project_code": "NCP 24-11",
            }  # fmt: skip
            builder.sequence(
                meta, _render(spec.title, rng, latex=False),
                _sequence_body(spec, titles, rng), lessons,
            )


_DEMO_LESSON_FIELDS = (
    "key_learning_point", "prior_learning", "key_vocabulary", "stem_sentences",
    "representations", "manipulatives", "difficult_points_and_misconceptions",
    "conceptual_variation", "procedural_variation", "fluency_practice", "deepening_questions",
    "assessment_checks",
)  # fmt: skip


def _demo_text(value: Any) -> str:
    if isinstance(value, list):
        return _bullets([str(v) for v in value])
    return "" if value is None else str(value)


def _add_demo(builder: _Builder, path: Path) -> None:
    """The demo seed's sequences and lessons, as the app would index them."""
    if not path.exists():
        return
    seed = json.loads(path.read_text())
    schools = {s["id"]: (i, s["name"]) for i, s in enumerate(seed["schools"])}
    segments = {m["id"]: m["segment"] for m in seed["pd_materials"] if m.get("segment")}
    academic_year = seed["_meta"].get("academic_year", "2024/25")
    for n, seq in enumerate(seed["lesson_sequences"]):
        year = "Y" + seq["year_group"].split()[-1]
        strand = "F" if "fraction" in seq["nc_domain"] else "MD"
        school_index, school_name = schools[seq["owner_school_id"]]
        lessons = [les for les in seed["lessons"] if les["sequence_id"] == seq["id"]]
        lessons.sort(key=lambda les: les["position"])
        meta = {
            "year_group": year, "strand": strand, "rtp": list(seq["rtp_codes"]),
            "school": str(school_index + 1), "school_name": school_name,
            "academic_year": academic_year, "status": seq["status"],
            "updated": datetime(2025, 2, 3 + n, 17, 30), "author": TEACHERS[n],
            "work_group": "1", "project_code": "NCP 24-11",
        }  # fmt: skip
        body = "\n\n".join([
            "\n".join(f"{i}. {les['title']}" for i, les in enumerate(lessons, 1)),
            seq["summary"], _demo_text(seq["nc_statements"]),
        ])  # fmt: skip
        builder.sequence(meta, seq["title"], body, [
            (les["title"], "\n\n".join(_demo_text(les.get(f)) for f in _DEMO_LESSON_FIELDS),
             sorted({segments[p] for p in les.get("pd_material_ids", []) if p in segments}))
            for les in lessons
        ])  # fmt: skip


def documents(seed: int = SEED, demo_seed: Path = DEMO_SEED) -> list[dict[str, Any]]:
    """Every benchmark document, in the same order with the same content for the same seed."""
    builder = _Builder()
    _add_specs(builder, random.Random(seed))
    _add_demo(builder, demo_seed)
    return builder.docs


if __name__ == "__main__":
    docs = documents()
    print(f"{len(docs)} documents")
    for doc in docs[:12]:
        print(doc["key"], doc["year_group"], doc["academic_year"], doc["rtp"], doc["title"])
