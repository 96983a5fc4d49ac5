"""Version history of lessons and sequences: read, compare, restore, visits, source and export.

Every function that takes the acting user reads through services.get_lesson/get_sequence, so a
plan the user may not see is NotFound here too, and restore goes through the services' edit
checks (policy.can_edit_sequence).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import select

from app import policy, revisions
from app.accounts.models import User
from app.core.diffing import FieldChange, diff_snapshots
from app.core.markdown import LinkTarget, SafeHtml, resolve_links, rewrap_stored
from app.extensions import db
from app.files import history as file_history
from app.materials.models import Material
from app.planning import services
from app.planning.fields import (
    LESSON_DIFF_FIELDS,
    LESSON_FIELDS,
    SEQUENCE_DIFF_FIELDS,
    SEQUENCE_TEXT_FIELDS,
)
from app.planning.links import link_resolver as planning_resolver
from app.planning.models import Lesson, Sequence
from app.planning.reference_data import BIG_IDEAS, STRANDS, YEAR_GROUPS
from app.revisions import SaveResult
from app.revisions.models import Revision
from app.revisions.pages import (
    Crumb,
    FileItem,
    Reading,
    RenderedChange,
    RevisionPage,
    Section,
    rendered_change,
)
from app.timeutil import aware

Kind = Literal["lesson", "sequence"]

YEAR_LABELS: dict[str, str] = dict(YEAR_GROUPS)
STRAND_LABELS: dict[str, str] = {code: name for code, name, _phase in STRANDS}
BIG_IDEA_LABELS: dict[str, str] = dict(BIG_IDEAS)
#: What one item of a list field is called when it is added, removed, moved or renamed.
ITEM_NOUNS: dict[str, str] = {"lessons": "Lesson", "tags": "Tag", "files": "File",
                              "rtp_codes": "Criterion", "big_ideas": "Big Idea"}


# --- stored HTML ------------------------------------------------------------------------------


def link_resolver(user: User) -> Callable[[str, str], LinkTarget | None]:
    """The wiki-link resolver for this reader (only to what they may see)."""
    return planning_resolver(user)


def stored_html(revision: Revision, key: str) -> SafeHtml:
    """A field's HTML as stored on the revision.

    Only ever wraps Revision.html, which render_markdown (the one sanitising renderer) produced
    at save time; never call it with anything else.
    """
    return rewrap_stored(revision.html.get(key))


def reader_html(revision: Revision, key: str,
                resolve: Callable[[str, str], LinkTarget | None]) -> SafeHtml:
    """Stored HTML with its wiki links resolved for one reader."""
    return resolve_links(stored_html(revision, key), resolve)


# --- the thing whose history we show ---------------------------------------------------------


@dataclass(frozen=True)
class Subject:
    """A lesson or a sequence, seen through its revisions."""

    kind: Kind
    item: Lesson | Sequence

    @property
    def id(self) -> int:
        return self.item.id

    @property
    def title(self) -> str:
        return self.item.title

    @property
    def document_id(self) -> int:
        return self.item.document_id

    @property
    def head_number(self) -> int:
        return self.item.document.head_number

    @property
    def sequence(self) -> Sequence:
        return self.item.sequence if isinstance(self.item, Lesson) else self.item

    @property
    def url_args(self) -> dict[str, int]:
        """Keyword arguments for url_for: {"lesson_id": 3} or {"sequence_id": 3}."""
        return {f"{self.kind}_id": self.item.id}

    @property
    def diff_fields(self) -> list[tuple[str, str]]:
        return LESSON_DIFF_FIELDS if self.kind == "lesson" else SEQUENCE_DIFF_FIELDS

    # --- what templates/revisions/ read (app.revisions.pages.Versioned) ---

    #: Headings quote the title; the newest revision is "current"; restore is on each revision.
    heading_names_noun = False
    newest = "current"
    restore_in_list = False
    stylesheet = None

    @property
    def source_endpoint(self) -> str | None:
        return "planning.lesson_revision_source" if self.kind == "lesson" else None

    @property
    def noun(self) -> str:
        return self.kind

    @property
    def endpoint(self) -> str:
        return f"planning.{self.kind}"

    @property
    def restore_endpoint(self) -> str:
        return f"planning.{self.kind}_revision_restore"

    @property
    def crumbs(self) -> list[Crumb]:
        """A lesson sits under its sequence in the breadcrumb."""
        if isinstance(self.item, Lesson):
            return [(self.sequence.title, "planning.sequence", {"sequence_id": self.sequence.id})]
        return []


def get_subject(user: User, kind: Kind, item_id: int) -> Subject:
    """A lesson or sequence the user may read; NotFound otherwise."""
    if kind == "lesson":
        return Subject(kind, services.get_lesson(user, item_id))
    return Subject(kind, services.get_sequence(user, item_id))


# --- history ----------------------------------------------------------------------------------


@dataclass
class HistoryPage:
    subject: Subject
    revisions: list[Revision]
    contributors: list[User]
    can_edit: bool


def history_page(user: User, kind: Kind, item_id: int) -> HistoryPage:
    """Every revision, newest first, and (for lessons) who contributed."""
    subject = get_subject(user, kind, item_id)
    people = services.contributors(subject.item) if isinstance(subject.item, Lesson) else []
    return HistoryPage(subject, revisions.list_revisions(subject.document_id), people,
                       policy.can_edit_sequence(user, subject.sequence))


# --- reading one revision ----------------------------------------------------------------------


def reading(kind: Kind, revision: Revision,
            resolve: Callable[[str, str], LinkTarget | None],
            files: list[FileItem] | None = None) -> Reading:
    """The non-empty fields of a revision, with stored HTML for the Markdown ones, and the
    files it had (looked up here unless the caller looked up several revisions' at once)."""
    fields = revision.fields
    specs = LESSON_FIELDS if kind == "lesson" else SEQUENCE_TEXT_FIELDS
    sections = [Section(spec.key, spec.label, reader_html(revision, spec.key, resolve))
                for spec in specs if revision.html.get(spec.key)]
    out = Reading(fields.get("title", ""), sections=sections,
                  files=files if files is not None else file_history.revision_files(revision))
    if kind == "sequence":
        shown = _sequence_display(fields)
        out.facts = [(label, _as_line(shown.get(key))) for key, label in SEQUENCE_DIFF_FIELDS
                     if key in ("year_group", "strand", "rtp_codes", "big_ideas", "tags")
                     and shown.get(key)]
        out.lessons = [item.get("title", "") for item in fields.get("lessons", [])]
    return out


def revision_page(user: User, kind: Kind, item_id: int, number: int) -> RevisionPage:
    """One old (or current) revision as a reader sees it."""
    subject = get_subject(user, kind, item_id)
    revision = revisions.get_revision(subject.document_id, number)
    return RevisionPage(subject, revision, reading(kind, revision, link_resolver(user)),
                        policy.can_edit_sequence(user, subject.sequence),
                        empty_text="" if kind == "sequence" else
                        "This version of the lesson has no plan written yet.",
                        lists_lessons=kind == "sequence", math=True)


def restore(user: User, kind: Kind, item_id: int, number: int) -> SaveResult:
    """Bring back revision `number` as a new revision (editors only; the caller commits)."""
    if kind == "lesson":
        return services.restore_revision(user, item_id, number)
    return services.restore_sequence_revision(user, item_id, number)


# --- comparing two revisions ------------------------------------------------------------------


@dataclass
class Comparison:
    subject: Subject
    older: Revision
    newer: Revision
    #: Fields that differ, in reading order.
    changes: list[FieldChange]
    #: Labels of fields that are the same and not empty.
    unchanged: list[str]
    #: 1-based position of each item in the newer version of each list field.
    positions: dict[str, dict[Hashable, int]]
    #: Resolves wiki links in the rendered view for the reader.
    resolve: Callable[[str, str], LinkTarget | None] | None = None

    def noun(self, key: str) -> str:
        return ITEM_NOUNS.get(key, "Item")

    def position(self, key: str, item_key: Hashable) -> int | None:
        return self.positions.get(key, {}).get(item_key)

    def rendered(self, key: str) -> RenderedChange | None:
        """A Markdown field as readers saw it in each revision (the rendered view)."""
        return rendered_change(self.older, self.newer, key, self.resolve)


def compare(user: User, kind: Kind, item_id: int, a: int, b: int) -> Comparison:
    """Field-by-field differences between two revisions, shown older → newer."""
    subject = get_subject(user, kind, item_id)
    older = revisions.get_revision(subject.document_id, min(a, b))
    newer = revisions.get_revision(subject.document_id, max(a, b))
    old_fields, new_fields = older.fields, newer.fields
    if kind == "sequence":
        old_fields, new_fields = _sequence_display(old_fields), _sequence_display(new_fields)
    all_changes = diff_snapshots(old_fields, new_fields, subject.diff_fields)
    changes = [c for c in all_changes if c.kind != "unchanged"]
    unchanged = [c.label for c in all_changes if c.kind == "unchanged" and new_fields.get(c.key)]
    positions = {key: {_item_key(item): n for n, item in enumerate(value, start=1)}
                 for key, value in new_fields.items() if isinstance(value, list)}
    return Comparison(subject, older, newer, changes, unchanged, positions, link_resolver(user))


def _item_key(item: Any) -> Hashable:
    """The identity diffing gives a list item: a dict's id, else the item itself."""
    if isinstance(item, dict):
        return item.get("id", item.get("material_id", repr(item)))
    return item if isinstance(item, Hashable) else repr(item)


def _sequence_display(fields: dict[str, Any]) -> dict[str, Any]:
    """A sequence snapshot with codes swapped for the labels teachers read."""
    shown = dict(fields)
    if fields.get("year_group"):
        shown["year_group"] = YEAR_LABELS.get(fields["year_group"], fields["year_group"])
    if fields.get("strand"):
        shown["strand"] = STRAND_LABELS.get(fields["strand"], fields["strand"])
    shown["big_ideas"] = [BIG_IDEA_LABELS.get(code, code) for code in fields.get("big_ideas", [])]
    return shown


def _as_line(value: Any) -> str:
    return ", ".join(str(v) for v in value) if isinstance(value, list) else str(value or "")


# --- Markdown source, export and print ----------------------------------------------------------


def _markdown_sections(fields: dict[str, Any], specs: list[tuple[str, str]], level: int) -> str:
    hashes = "#" * level
    parts = []
    for key, label in specs:
        text = (fields.get(key) or "").strip("\n")
        if text.strip():
            parts.append(f"{hashes} {label}\n\n{text}\n")
    return "\n".join(parts)


def _lesson_markdown(fields: dict[str, Any], heading: str, level: int) -> str:
    body = _markdown_sections(fields, [(f.key, f.label) for f in LESSON_FIELDS], level + 1)
    return f"{'#' * level} {heading}\n" + (f"\n{body}" if body else "")


@dataclass
class SourcePage:
    """A lesson revision's Markdown, shown as a page and downloadable as a file."""

    subject: Subject
    revision: Revision
    #: Whether the address named a revision (/revisions/<n>/source) rather than the lesson.
    addressed_by_number: bool
    title: str
    text: str

    @property
    def filename(self) -> str:
        stem = slugify(self.title) or f"lesson-{self.subject.id}"
        return f"{stem}-revision-{self.revision.number}.md" if self.addressed_by_number \
            else f"{stem}.md"


def lesson_source_page(user: User, lesson_id: int, number: int | None = None) -> SourcePage:
    """A lesson revision (the current one by default) as Markdown: # Title, ## each field."""
    subject = get_subject(user, "lesson", lesson_id)
    revision = revisions.get_revision(subject.document_id,
                                      number if number is not None else subject.head_number)
    title = revision.fields.get("title", subject.title)
    return SourcePage(subject, revision, number is not None, title,
                      _lesson_markdown(revision.fields, title, 1))


def sequence_markdown(sequence: Sequence) -> str:
    """The whole sequence as one Markdown file: details, then every lesson in order."""
    head = revisions.get_revision(sequence.document_id, sequence.document.head_number)
    shown = _sequence_display(head.fields)
    facts = [f"- {label}: {_as_line(shown.get(key))}" for key, label in SEQUENCE_DIFF_FIELDS
             if key in ("year_group", "strand", "rtp_codes", "big_ideas", "tags")
             and shown.get(key)]
    facts.append(f"- Work Group: {sequence.work_group.title}")
    facts.append(f"- Version: revision {head.number}, {_day(head.created_at)}")
    parts = [f"# {head.fields.get('title', sequence.title)}\n", "\n".join(facts) + "\n"]
    details = _markdown_sections(head.fields, [(f.key, f.label) for f in SEQUENCE_TEXT_FIELDS], 2)
    if details:
        parts.append(details)
    for position, lesson in enumerate(sequence.active_lessons, start=1):
        lesson_head = revisions.get_revision(lesson.document_id, lesson.document.head_number)
        title = lesson_head.fields.get("title", lesson.title)
        parts.append(_lesson_markdown(lesson_head.fields, f"Lesson {position}: {title}", 2))
    return "\n".join(parts)


def export_sequence(user: User, sequence_id: int) -> tuple[str, str]:
    """(file name, Markdown) for downloading a sequence the user may read."""
    sequence = services.get_sequence(user, sequence_id)
    return f"{slugify(sequence.title) or f'sequence-{sequence.id}'}.md", \
        sequence_markdown(sequence)


def slugify(text: str) -> str:
    """ASCII lower-case words joined by hyphens, safe in a file name and a header."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:80].strip("-")


def _day(value: datetime) -> str:
    return aware(value).strftime("%-d %b %Y")


@dataclass(frozen=True)
class PrintedMaterial:
    """A linked PD material as paper shows it: links cannot be clicked, so addresses are written."""

    title: str
    #: The segment or core concept teachers quote ("2.7"); empty when the material has none.
    code: str
    note: str
    #: The material's own address (NCETM and so on); empty when the reader may not see it.
    url: str
    material_id: int | None


@dataclass
class PrintPage:
    sequence: Sequence
    head: Revision
    reading: Reading
    lessons: list[tuple[Lesson, Revision, Reading]]
    #: Linked PD materials of the sequence itself, in the plan's order.
    materials: list[PrintedMaterial] = field(default_factory=list)
    #: Linked PD materials of each lesson, by lesson id.
    lesson_materials: dict[int, list[PrintedMaterial]] = field(default_factory=dict)


def printed_materials(user: User, revisions_: list[Revision]) -> list[list[PrintedMaterial]]:
    """Each revision's linked materials, looked up in one query. A material since removed, or
    one this reader may not see, keeps the title stored with the link and shows no address."""
    wanted = {item.get("material_id") for r in revisions_ for item in r.fields.get("materials")
              or [] if isinstance(item, dict) and isinstance(item.get("material_id"), int)}
    found = {m.id: m for m in db.session.scalars(select(Material).where(
        Material.id.in_(wanted)))} if wanted else {}
    out = []
    for revision in revisions_:
        shown = []
        for item in revision.fields.get("materials") or []:
            if not isinstance(item, dict):
                continue
            raw = item.get("material_id")
            material = found.get(raw) if isinstance(raw, int) else None
            if material is not None and policy.can_view_material(user, material):
                shown.append(PrintedMaterial(material.title, material.code,
                                             str(item.get("note") or ""), material.url,
                                             material.id))
            else:
                shown.append(PrintedMaterial(str(item.get("title") or "A PD material"), "",
                                             str(item.get("note") or ""), "", None))
        out.append(shown)
    return out


def print_page(user: User, sequence_id: int) -> PrintPage:
    """A sequence and all its current lessons, with their linked PD materials, for printing."""
    sequence = services.get_sequence(user, sequence_id)
    resolve = link_resolver(user)
    head = revisions.get_revision(sequence.document_id, sequence.document.head_number)
    heads = [revisions.get_revision(lesson.document_id, lesson.document.head_number)
             for lesson in sequence.active_lessons]
    files = file_history.file_items([r.fields for r in [head, *heads]])
    lessons = [(lesson, lesson_head, reading("lesson", lesson_head, resolve, lesson_files))
               for lesson, lesson_head, lesson_files
               in zip(sequence.active_lessons, heads, files[1:], strict=True)]
    materials = printed_materials(user, [head] + [r for _, r, _ in lessons])
    return PrintPage(sequence, head, reading("sequence", head, resolve, files[0]), lessons,
                     materials[0],
                     {lesson.id: m for (lesson, _, _), m in zip(lessons, materials[1:],
                                                                 strict=True)})
