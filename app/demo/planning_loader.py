"""Load the demo Work Group's two lesson sequences with a believable history of revisions.

The seed holds each plan as it is now. Earlier versions are rebuilt here from short lists of
what was different then, following the seed's change summaries, so the history and compare pages
show real, readable differences. Running it twice changes nothing: a sequence already present
(same title, same Work Group) is only looked up.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import select

from app import revisions
from app.accounts.models import User
from app.demo.clock import clock_of
from app.extensions import db
from app.planning import validation
from app.planning.fields import LESSON_MARKDOWN_KEYS, SEQUENCE_MARKDOWN_KEYS
from app.planning.models import Lesson, Sequence
from app.planning.reference_data import STRANDS, YEAR_GROUPS
from app.revisions.models import Revision

#: Same shape as app.demo.loader.Step (not imported: loader.py will import this module).
Step = Callable[[dict[str, Any], dict[str, Any]], None]


@dataclass(frozen=True)
class Version:
    """One saved version: who, when, why, and which seed fields differed from the seed's text."""

    author: str
    at: str
    summary: str
    #: The seed's id for this revision, when the seed lists it (observations refer to it).
    seed_id: str | None = None
    changes: dict[str, Any] = field(default_factory=dict)


# --- the histories ----------------------------------------------------------------------------
# Field names are the seed's; a version without `changes` is the seed's text as it stands.

SEQUENCE_HISTORY: dict[str, list[Version]] = {
    "seq-y3-md-248": [
        Version("p-iqbal", "2024-11-21T15:30:00Z", "Outline of five lessons drafted in Session 2.",
                "rev-seq-y3-v1", {
                    "summary": "Build the 4 and 8 times tables from the 2 times table by "
                               "doubling, then use the facts for division.",
                    "rtp_codes": ["3NF-2"],
                    "big_ideas_emphasis": ["coherence", "fluency"],
                    "pd_material_ids": ["pd-2-07"],
                    "tags": ["KS2 (lower)"],
                    "small_steps": ["Count in fours", "Neighbouring multiples of four",
                                    "4 times table as double the 2 times table",
                                    "8 times table as double the 4 times table",
                                    "Grouping and sharing with 2, 4 and 8 facts"],
                }),
        Version("p-whitaker", "2025-01-20T16:15:00Z",
                "Full lesson detail added for all five lessons.", "rev-seq-y3-v2", {
                    "summary": "Five small-step lessons building the 4 and 8 times tables from the "
                               "2 times table by doubling, then applying the facts to grouping "
                               "and sharing problems.",
                    "rtp_codes": ["3NF-2", "3MD-1"],
                    "pd_material_ids": ["pd-2-06", "pd-2-07", "pd-cp-y3u6"],
                    "tags": ["KS2 (lower)"],
                }),
        Version("p-iqbal", "2025-02-04T09:00:00Z",
                "Incorporates lesson 3 v2; lesson 5 scaling example added after subject-leader "
                "review.", "rev-seq-y3-v3"),
    ],
    "seq-y5-fr-equiv": [
        Version("p-ashdown", "2025-03-03T15:50:00Z", "First full draft of five lessons.",
                "rev-seq-y5-v1", {
                    "summary": "Five lessons on equivalent fractions: finding equivalents by "
                               "multiplying and dividing, simplifying, then comparing.",
                    "rtp_codes": ["5F-2"],
                    "big_ideas_emphasis": ["variation", "representation_and_structure"],
                    "pd_material_ids": ["pd-3-07", "pd-3-08"],
                    "tags": ["KS2 (upper)"],
                }),
        Version("p-kettlewell", "2025-03-18T16:25:00Z",
                "Incorporates lesson 2 v2 after the Session 4 research lesson.", "rev-seq-y5-v2", {
                    "rtp_codes": ["5F-2"],
                    "pd_material_ids": ["pd-3-07", "pd-3-08"],
                }),
        # Not in the seed: the step that took the sequence to "in review".
        Version("p-pemberton", "2025-03-24T15:40:00Z",
                "Ready-to-progress criteria 6F-1 and 6F-2 linked and the Key Stage 3 reading "
                "added before subject-leader review."),
    ],
}

LESSON_HISTORY: dict[str, list[Version]] = {
    "les-y3-1": [Version("p-whitaker", "2025-01-20T15:55:00Z",
                         "Lesson detail written from the Session 2 outline.")],
    "les-y3-2": [Version("p-whitaker", "2025-01-20T16:00:00Z",
                         "Lesson detail written from the Session 2 outline.")],
    "les-y3-3": [
        Version("p-iqbal", "2025-01-20T16:10:00Z", "First draft for the research lesson.",
                "rev-les-y3-3-v1", {
                    "stem_sentences": [
                        "__ x 4 = __ because __ x 2 = __ and double __ is __.",
                        "__ x 2 is half of __ x 4."],
                    "representations": [
                        "array with two rows of 2-groups combined into 4-groups",
                        "double number line aligning multiples of 2 and 4",
                        "two equal bars"],
                    "procedural_variation": "3x2=6 -> 3x4=12; 7x2=14 -> 7x4=28; "
                                            "9x2=18 -> 9x4=36.",
                }),
        Version("p-iqbal", "2025-02-03T17:30:00Z",
                "Double number line moved before the array; non-example 3x2 vs 6x4 made "
                "explicit; stem split into two steps.", "rev-les-y3-3-v2"),
    ],
    "les-y3-4": [Version("p-whitaker", "2025-01-20T16:12:00Z",
                         "Lesson detail written from the Session 2 outline.")],
    "les-y3-5": [
        Version("p-whitaker", "2025-01-20T16:14:00Z",
                "Lesson detail written from the Session 2 outline.", None, {
                    "title": "Using 2, 4 and 8 facts for grouping and sharing",
                    "key_learning_point": "A division can ask 'how many groups?' (grouping) or "
                                          "'how many in each group?' (sharing); both can be "
                                          "solved with known facts.",
                    "key_vocabulary": ["divide", "dividend", "divisor", "quotient",
                                       "share equally", "group"],
                    "stem_sentences": ["__ shared equally between __ is __ each.",
                                       "There are __ groups of __ in __."],
                    "representations": ["bar model with unknown part or unknown number of parts",
                                        "counters shared into hoops"],
                    "manipulatives": ["counters", "hoops"],
                    "difficult_points_and_misconceptions": [
                        "Drawing 8 groups when the story needs groups of 8"],
                    "procedural_variation": "8 / 2, 16 / 4, 32 / 8, then 24 / 4 and 24 / 8 "
                                            "as a pair.",
                    "deepening_questions": ["Write a grouping story and a sharing story for "
                                            "24 / 8."],
                    "pd_material_ids": ["pd-2-06", "pd-2-07"],
                    "rtp_codes": ["3MD-1"],
                }),
        Version("p-fenwick", "2025-02-04T08:40:00Z",
                "Scaling by 10 added after subject-leader review: a '3 tens' stem, base-10 rods "
                "and the 'just add a zero' misconception."),
    ],
    "les-y5-1": [Version("p-ashdown", "2025-03-03T15:30:00Z", "First draft.")],
    "les-y5-2": [
        Version("p-ashdown", "2025-03-03T15:45:00Z", "First draft for the research lesson.",
                "rev-les-y5-2-v1", {
                    "procedural_variation": "2/3 = 4/6 = 6/9 = 8/12, then missing numbers such "
                                            "as 3/5 = ?/20; finish by asking whether 2/3 = 3/4.",
                    "fluency_practice": "True/false sort of equivalent pairs.",
                }),
        Version("p-kettlewell", "2025-03-18T16:20:00Z",
                "Additive non-example placed on a number line at the start; "
                "always/sometimes/never task added.", "rev-les-y5-2-v2", {
                    # The seed's summary names this task; its lesson text predates it.
                    "deepening_questions": [
                        "A pupil says 2/3 = 3/4 because 1 was added to both numbers. Use a "
                        "diagram to prove whether this is right.",
                        "Always, sometimes or never: adding the same number to the numerator "
                        "and the denominator gives an equivalent fraction."],
                }),
    ],
    "les-y5-3": [Version("p-ashdown", "2025-03-03T15:47:00Z", "First draft.")],
    "les-y5-4": [
        Version("p-ashdown", "2025-03-03T15:48:00Z", "First draft.", None, {
            "representations": ["factor lists", "bar model"],
            "difficult_points_and_misconceptions": ["Stopping after one division (8/12 -> 4/6)"],
        }),
        Version("p-marsden", "2025-03-10T16:05:00Z",
                "Venn diagram of factors added, and the belief that simplifying makes a fraction "
                "smaller."),
    ],
    "les-y5-5": [Version("p-ashdown", "2025-03-03T15:49:00Z", "First draft.")],
}

#: Tags on the current version of each sequence (the seed has none).
TAGS: dict[str, list[str]] = {
    "seq-y3-md-248": ["KS2 (lower)", "research lesson"],
    "seq-y5-fr-equiv": ["KS2 (upper)", "research lesson"],
}


# --- seed fields -> plan fields -----------------------------------------------------------------

YEAR_CODES: dict[str, str] = {label: code for code, label in YEAR_GROUPS}


def _dashless(text: str) -> str:
    return text.replace("–", "-").replace("—", "-").casefold()


def strand_code(nc_domain: str) -> str:
    """The strand code for a National Curriculum domain as the seed writes it (hyphen or dash)."""
    for code, name, _phase in STRANDS:
        if _dashless(name) == _dashless(nc_domain):
            return code
    raise ValueError(f"Unknown National Curriculum domain in the demo seed: {nc_domain!r}")


def bullets(items: list[str]) -> str:
    return "\n".join(f"- {item}" for item in items)


def _materials(seed: dict[str, Any], material_ids: list[str]) -> str:
    by_id = {m["id"]: m for m in seed["pd_materials"]}
    return bullets([f"{by_id[i]['segment']} – {by_id[i]['title']}" for i in material_ids])


def lesson_text(seed: dict[str, Any], data: dict[str, Any]) -> dict[str, str]:
    """A seed lesson as the lesson form would post it."""
    representations = bullets(data["representations"])
    if data.get("manipulatives"):
        representations += "\n\nManipulatives: " + ", ".join(data["manipulatives"]) + "."
    codes = ", ".join(validation.normalise_rtp(code) or code for code in data["rtp_codes"])
    body = (f"Duration: {data['duration_minutes']} minutes.\n\n"
            f"Ready-to-progress criteria: {codes}.\n\n"
            f"NCETM PD materials:\n\n{_materials(seed, data['pd_material_ids'])}")
    return {
        "title": data["title"],
        "key_learning_point": data["key_learning_point"],
        "prior_learning": data["prior_learning"],
        "key_vocabulary": bullets(data["key_vocabulary"]),
        "stem_sentences": bullets(data["stem_sentences"]),
        "representations": representations,
        "difficult_points": bullets(data["difficult_points_and_misconceptions"]),
        "conceptual_variation": data["conceptual_variation"],
        "procedural_variation": data["procedural_variation"],
        "fluency_practice": data["fluency_practice"],
        "deeper_questions": bullets(data["deepening_questions"]),
        "checks": bullets(data["assessment_checks"]),
        "body": body,
    }


def sequence_text(seed: dict[str, Any], data: dict[str, Any], steps: list[str]) -> dict[str, Any]:
    """A seed sequence as the sequence form would post it."""
    overview = (f"{data['summary']}\n\nNational Curriculum:\n\n{bullets(data['nc_statements'])}"
                f"\n\nNCETM PD materials:\n\n{_materials(seed, data['pd_material_ids'])}")
    return {
        "title": data["title"],
        "year_group": YEAR_CODES[data["year_group"]],
        "strand": strand_code(data["nc_domain"]),
        "rtp_codes": ", ".join(data["rtp_codes"]),
        "big_ideas": data["big_ideas_emphasis"],
        "tags": ", ".join(data["tags"]),
        "small_steps": "\n".join(f"{n}. {step}" for n, step in enumerate(steps, start=1)),
        "overview": overview,
    }


def _checked(fields: dict[str, Any], errors: dict[str, str], what: str) -> dict[str, Any]:
    if errors:  # a mistake in the seed or the histories above, not in anyone's input
        raise ValueError(f"Demo {what} does not validate: {errors}")
    return fields


# --- loading ----------------------------------------------------------------------------------


def _when(at: str) -> datetime:
    return datetime.fromisoformat(at)


def _moved(seed: dict[str, Any], history: list[Version]) -> list[Version]:
    """The versions dated in the demo's year, like the seed's own dates (app.demo.clock)."""
    clock = clock_of(seed)
    return [replace(version, at=clock.text(version.at)) for version in history]


def _save(document_id: int, author: User, fields: dict[str, Any], version: Version,
          markdown_keys: list[str]) -> Revision:
    """Save one version through the revision engine, dated as the seed says."""
    document = revisions.lock_document(document_id)
    result = revisions.save_revision(document_id, author, fields, document.head_number or None,
                                     version.summary, markdown_keys)
    if result.revision is None:
        raise ValueError(f"Demo version {version.summary!r} repeats the one before it.")
    # Back-dating is fine here: the row was inserted moments ago in this same transaction.
    result.revision.created_at = _when(version.at)
    return result.revision


def load_planning_step(seed: dict[str, Any], ids: dict[str, Any]) -> None:
    """Create (or find) the seed's lesson sequences, their lessons and their revisions."""
    for data in seed["lesson_sequences"]:
        group = ids[data["work_group_id"]]
        sequence = db.session.scalar(select(Sequence).where(
            Sequence.title == data["title"], Sequence.work_group_id == group.id))
        lessons = sorted((lesson for lesson in seed["lessons"]
                          if lesson["sequence_id"] == data["id"]), key=lambda x: x["position"])
        if sequence is None:
            sequence = _create_sequence(seed, data, lessons, ids)
        _remember(sequence, data, lessons, ids)


def _create_sequence(seed: dict[str, Any], data: dict[str, Any], lessons: list[dict[str, Any]],
                     ids: dict[str, Any]) -> Sequence:
    history = _moved(seed, SEQUENCE_HISTORY[data["id"]])
    group, school = ids[data["work_group_id"]], ids[data["owner_school_id"]]
    final = {**data, "tags": TAGS[data["id"]]}
    current = _checked(*_sequence_fields(seed, final, [x["title"] for x in lessons]), "sequence")
    document = revisions.new_document("sequence")
    sequence = Sequence(document_id=document.id, work_group_id=group.id, school_id=school.id,
                        academic_year=group.academic_year, title=current["title"],
                        year_group=current["year_group"], strand=current["strand"],
                        visibility="work_group", status=data["status"],
                        created_by_id=ids[history[0].author].id,
                        created_at=_when(history[0].at), updated_at=_when(history[-1].at))
    db.session.add(sequence)
    db.session.flush()

    # Lessons first: each sequence version lists the lessons (and titles) of its day.
    made: list[tuple[Lesson, list[tuple[datetime, str]]]] = []
    for data_lesson in lessons:
        lesson, titles = _create_lesson(seed, data_lesson, sequence, ids)
        made.append((lesson, titles))
    for version in history:
        at = _when(version.at)
        structure = [{"id": lesson.id, "title": [t for when, t in titles if when <= at][-1]}
                     for lesson, titles in made if titles[0][0] <= at]
        steps = version.changes.get("small_steps") or [item["title"] for item in structure]
        fields = _checked(*_sequence_fields(seed, {**final, **version.changes}, steps),
                          "sequence")
        fields["lessons"] = structure
        _save(document.id, ids[version.author], fields, version, SEQUENCE_MARKDOWN_KEYS)
    return sequence


def _sequence_fields(seed: dict[str, Any], data: dict[str, Any],
                     steps: list[str]) -> tuple[dict[str, Any], dict[str, str]]:
    errors: dict[str, str] = {}
    return validation.sequence_fields(sequence_text(seed, data, steps), errors), errors


def _create_lesson(seed: dict[str, Any], data: dict[str, Any], sequence: Sequence,
                   ids: dict[str, Any]) -> tuple[Lesson, list[tuple[datetime, str]]]:
    """A lesson with every version in its history; returns it and its titles over time."""
    history = _moved(seed, LESSON_HISTORY[data["id"]])
    document = revisions.new_document("lesson")
    lesson = Lesson(document_id=document.id, sequence=sequence, position=data["position"],
                    title=history[-1].changes.get("title", data["title"]),
                    created_by_id=ids[history[0].author].id,
                    created_at=_when(history[0].at), updated_at=_when(history[-1].at))
    db.session.add(lesson)
    db.session.flush()
    titles: list[tuple[datetime, str]] = []
    for version in history:
        errors: dict[str, str] = {}
        fields = _checked(validation.lesson_fields(
            lesson_text(seed, {**data, **version.changes}), errors), errors, "lesson")
        _save(document.id, ids[version.author], fields, version, LESSON_MARKDOWN_KEYS)
        titles.append((_when(version.at), fields["title"]))
    return lesson, titles


def _remember(sequence: Sequence, data: dict[str, Any], lessons: list[dict[str, Any]],
              ids: dict[str, Any]) -> None:
    """Record the sequence, its lessons and the seed's named revisions for later loaders."""
    ids[data["id"]] = sequence
    by_position = {lesson.position: lesson for lesson in sequence.lessons}
    pairs = [(sequence.document_id, SEQUENCE_HISTORY[data["id"]])]
    for data_lesson in lessons:
        lesson = by_position[data_lesson["position"]]
        ids[data_lesson["id"]] = lesson
        pairs.append((lesson.document_id, LESSON_HISTORY[data_lesson["id"]]))
    for document_id, history in pairs:
        for number, version in enumerate(history, start=1):
            if version.seed_id:
                ids[version.seed_id] = revisions.get_revision(document_id, number)


def load_planning(ids: dict[str, Any]) -> None:
    """Load the demo sequences into a database that already has the demo people and group."""
    from app.demo.loader import read_seed  # local: app.demo.loader imports this module

    load_planning_step(read_seed(), ids)


#: For app.demo.loader.STEPS: runs after "memberships".
STEP: tuple[str, Step] = ("sequences", load_planning_step)
