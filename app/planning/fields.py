"""The fields of a lesson and a sequence: labels, hints and kinds, in reading order."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Field:
    key: str
    label: str
    hint: str = ""
    #: "markdown" is rendered through the one sanitising renderer; "list" holds short strings.
    kind: str = "markdown"
    rows: int = 4


LESSON_FIELDS: list[Field] = [
    Field("key_learning_point", "Key learning point",
          "The one thing every pupil should understand by the end of the lesson.", rows=2),
    Field("prior_learning", "Prior learning", "What pupils already know that this builds on."),
    Field("key_vocabulary", "Key vocabulary",
          "Precise terms pupils use in full sentences, e.g. dividend, divisor, quotient."),
    Field("stem_sentences", "Stem sentences and generalisations",
          "Sentences practised chorally: I say, you say, we say."),
    Field("representations", "Representations and manipulatives",
          "Concrete, pictorial and abstract representations that expose the structure."),
    Field("difficult_points", "Difficult points and anticipated misconceptions"),
    Field("conceptual_variation", "Conceptual variation",
          "The same concept shown in different ways, including non-standard examples and "
          "non-examples."),
    Field("procedural_variation", "Procedural variation",
          "Linked sequences of questions (intelligent practice)."),
    Field("fluency_practice", "Fluency practice", "Recall of key facts."),
    Field("deeper_questions", "Questions for deeper thinking"),
    Field("checks", "Checks for understanding and same-day intervention",
          "Hinge questions, mini-whiteboards, exit tasks; who gets same-day intervention."),
    Field("body", "Lesson notes", "Anything else: the flow of the lesson, timings, resources.",
          rows=10),
]

#: The editor's sections (fieldsets with headings), in reading order: the lesson's core, its
#: representations and variation, practice and checks, then free notes. Every field is in one.
LESSON_SECTIONS: list[tuple[str, list[str]]] = [
    ("The learning", ["key_learning_point", "prior_learning", "key_vocabulary",
                      "stem_sentences"]),
    ("Representations and variation", ["representations", "difficult_points",
                                       "conceptual_variation", "procedural_variation"]),
    ("Practice and checks", ["fluency_practice", "deeper_questions", "checks"]),
    ("Lesson notes", ["body"]),
]

#: A lesson's duration in minutes (optional): a short input to a whole school day.
MIN_DURATION, MAX_DURATION = 5, 240

SEQUENCE_TEXT_FIELDS: list[Field] = [
    Field("small_steps", "Small-step summary",
          "The steps of the sequence, one lesson each, in order.", rows=4),
    Field("overview", "Overview", "Why this sequence, how it builds, what to watch for.",
          rows=8),
]

#: Fields compared on a lesson's history, with labels (title first).
LESSON_DIFF_FIELDS: list[tuple[str, str]] = [("title", "Title"),
                                             ("duration", "Duration (minutes)")] + [
    (f.key, f.label) for f in LESSON_FIELDS
] + [("materials", "PD materials"), ("files", "Files")]
SEQUENCE_DIFF_FIELDS: list[tuple[str, str]] = [
    ("title", "Title"), ("year_group", "Year group"), ("strand", "Strand"),
    ("rtp_codes", "Ready-to-progress criteria"), ("big_ideas", "Five Big Ideas emphasis"),
    ("tags", "Tags"), ("small_steps", "Small-step summary"), ("overview", "Overview"),
    ("materials", "PD materials"), ("files", "Files"), ("lessons", "Lessons"),
]

#: Longest note on a linked PD material ("teacher subject knowledge before step 3").
MAX_LINK_NOTE = 500

LESSON_MARKDOWN_KEYS: list[str] = [f.key for f in LESSON_FIELDS]
SEQUENCE_MARKDOWN_KEYS: list[str] = [f.key for f in SEQUENCE_TEXT_FIELDS]

#: Longest text a field may hold; longer gets a field error with the text kept.
MAX_FIELD_CHARS = 100_000
#: Longest text a whole plan (all its Markdown fields together) may hold. It bounds what one
#: save costs to render: a 100,000-character field of pathological Markdown takes up to ~3 s.
MAX_PLAN_CHARS = 100_000
MAX_TITLE_CHARS = 200
