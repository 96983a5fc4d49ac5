"""History lists, any-pair comparisons and single revisions of a versioned document, for the
templates in templates/revisions/.

The templates (history.html, compare.html, revision.html) render any subject that offers the
attributes of `Versioned`; a feature describes its document once (a `VersionedSubject`, or its
own class with the same attributes, as planning's history.Subject) and gets the same pages.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, Protocol

from app.core.diffing import FieldChange, diff_snapshots
from app.core.markdown import (
    LinkTarget,
    SafeHtml,
    mark_changed_blocks,
    resolve_links,
    rewrap_stored,
)
from app.revisions import engine
from app.revisions.models import Revision

#: A crumb shown before the subject's own in the breadcrumb: (title, endpoint, url_for args).
Crumb = tuple[str, str, dict[str, Any]]
#: Finds a wiki link's target for one reader (None when missing or hidden).
Resolver = Callable[[str, str], LinkTarget | None]

#: How a comparison page shows changes: the Markdown source inline or side by side, or each
#: changed field rendered (as readers see it) before and after.
COMPARISON_VIEWS = ("inline", "side", "rendered")


def comparison_view(asked: str | None) -> str:
    """The ?view= a comparison page was asked for, "inline" unless it is one we know."""
    return asked if asked in COMPARISON_VIEWS else "inline"


class Versioned(Protocol):
    """What the revision templates read from a subject."""

    @property
    def title(self) -> str: ...
    @property
    def document_id(self) -> int: ...
    @property
    def head_number(self) -> int: ...
    @property
    def url_args(self) -> dict[str, int]: ...
    #: The subject's own page; its history, revision and compare pages are this endpoint with
    #: "_history", "_revision" and "_compare" appended.
    @property
    def endpoint(self) -> str: ...
    @property
    def restore_endpoint(self) -> str: ...
    #: What the document is called: "lesson", "session's notes", "action plan".
    @property
    def noun(self) -> str: ...
    @property
    def crumbs(self) -> list[Crumb]: ...
    #: Headings name the noun ("History of the action plan: …") rather than quote the title.
    @property
    def heading_names_noun(self) -> bool: ...
    #: What the newest revision is called: "current" or "latest".
    @property
    def newest(self) -> str: ...
    #: Whether the history list offers a Restore button on each older revision.
    @property
    def restore_in_list(self) -> bool: ...
    #: A feature stylesheet the history page adds (static path), if any.
    @property
    def stylesheet(self) -> str | None: ...
    #: The endpoint of a revision's Markdown source (with number=), if the feature has one.
    @property
    def source_endpoint(self) -> str | None: ...


@dataclass(frozen=True)
class VersionedSubject:
    """A versioned document described for the revision pages (session notes, action plans)."""

    title: str
    document_id: int
    head_number: int
    endpoint: str
    restore_endpoint: str
    url_args: dict[str, int]
    noun: str
    #: Whether the reader may restore old revisions (the history list then offers it).
    can_restore: bool
    crumbs: list[Crumb] = field(default_factory=list)
    heading_names_noun: bool = True
    newest: str = "latest"
    #: A feature stylesheet the history page adds (static path), if any.
    stylesheet: str | None = None
    source_endpoint: str | None = None

    @property
    def restore_in_list(self) -> bool:
        return self.can_restore


@dataclass
class HistoryPage:
    subject: Versioned
    revisions: list[Revision]


def history_page(subject: Versioned) -> HistoryPage:
    """Every revision of the subject, newest first."""
    return HistoryPage(subject, engine.list_revisions(subject.document_id))


@dataclass(frozen=True)
class RenderedChange:
    """A Markdown field as readers saw it in the older and the newer revision, with the blocks
    that differ marked (app.core.markdown.mark_changed_blocks)."""

    old: SafeHtml
    new: SafeHtml


def rendered_change(older: Revision, newer: Revision, key: str,
                    resolve: Resolver | None = None) -> RenderedChange | None:
    """The field's stored HTML (render_markdown's, made at save) in both revisions, links
    resolved for the reader; None for a field that is not Markdown (a title, a list).

    Never built from diff output: the rendered view shows what each version showed.
    """
    if key not in older.html and key not in newer.html:
        return None
    old, new = rewrap_stored(older.html.get(key)), rewrap_stored(newer.html.get(key))
    if resolve is not None:
        old, new = resolve_links(old, resolve), resolve_links(new, resolve)
    marked_old, marked_new = mark_changed_blocks(old, new)
    return RenderedChange(marked_old, marked_new)


@dataclass
class Comparison:
    """Field-by-field changes between two revisions, older → newer (for revisions/_diff.html)."""

    subject: Versioned
    older: Revision
    newer: Revision
    changes: list[FieldChange]
    unchanged: list[str]
    #: Resolves wiki links in the rendered view for the reader (None: labels only).
    resolve: Resolver | None = None

    def noun(self, key: str) -> str:
        return "Item"

    def position(self, key: str, item_key: Hashable) -> int | None:
        return None

    def rendered(self, key: str) -> RenderedChange | None:
        return rendered_change(self.older, self.newer, key, self.resolve)


@dataclass(frozen=True)
class Section:
    """One field of a revision as a reader sees it (html is "" for an empty field)."""

    key: str
    label: str
    html: SafeHtml


@dataclass(frozen=True)
class FileItem:
    """A file as one revision had it: its name, version and that version's download."""

    name: str
    version: int
    #: Site path of that exact version's download ("" when it cannot be found).
    url: str = ""


@dataclass
class Reading:
    """What a reader sees of one revision: its title, facts, fields, (a sequence's) lessons
    and the files it had."""

    title: str
    facts: list[tuple[str, str]] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    lessons: list[str] = field(default_factory=list)
    files: list[FileItem] = field(default_factory=list)


@dataclass
class RevisionPage:
    """One old (or current) revision of a subject, for revisions/revision.html."""

    subject: Versioned
    revision: Revision
    reading: Reading
    #: Whether the reader may restore it.
    can_edit: bool
    #: Shown instead of the fields when the revision has none to show.
    empty_text: str = ""
    #: Whether the page lists the lessons in this version (a sequence's).
    lists_lessons: bool = False
    #: Whether the fields may hold maths for KaTeX to typeset.
    math: bool = False

    @property
    def is_current(self) -> bool:
        return self.revision.number == self.subject.head_number


#: Turns two snapshots into (old display, new display, [(key, label)]) for diffing.
Display = Callable[[dict[str, Any], dict[str, Any]],
                   tuple[dict[str, Any], dict[str, Any], list[tuple[str, str]]]]


def compare(subject: Versioned, a: int, b: int, display: Display,
            resolve: Resolver | None = None) -> Comparison:
    """Differences between revisions a and b of the subject, whichever order they come in."""
    older = engine.get_revision(subject.document_id, min(a, b))
    newer = engine.get_revision(subject.document_id, max(a, b))
    old, new, fields = display(older.fields, newer.fields)
    everything = diff_snapshots(old, new, fields)
    return Comparison(subject, older, newer,
                      [c for c in everything if c.kind != "unchanged"],
                      [c.label for c in everything if c.kind == "unchanged" and new.get(c.key)],
                      resolve)
