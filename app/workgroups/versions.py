"""History, any-pair comparison and restore for session notes and action plans.

Both are documents of the revision engine; this module gives their pages one shape (a
VersionedSubject) so one set of templates serves both, and reuses the planning diff macros.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

from app.core.diffing import FieldChange, diff_snapshots
from app.planning import revisions
from app.planning.models import Revision


@dataclass(frozen=True)
class VersionedSubject:
    """A session's notes or a school's action plan, seen through its revisions."""

    #: "session" or "action_plan": the prefix of its endpoints (workgroups.session_history…).
    kind: str
    id: int
    title: str
    document_id: int
    head_number: int
    can_restore: bool

    @property
    def url_args(self) -> dict[str, int]:
        return {"session_id": self.id} if self.kind == "session" else {"plan_id": self.id}

    @property
    def noun(self) -> str:
        return "session's notes" if self.kind == "session" else "action plan"


@dataclass
class HistoryPage:
    subject: VersionedSubject
    revisions: list[Revision]


def history_page(subject: VersionedSubject) -> HistoryPage:
    return HistoryPage(subject, revisions.list_revisions(subject.document_id))


@dataclass
class Comparison:
    """Field-by-field changes between two revisions, older → newer (for planning/_diff.html)."""

    subject: VersionedSubject
    older: Revision
    newer: Revision
    changes: list[FieldChange]
    unchanged: list[str]

    def noun(self, key: str) -> str:
        return "Item"

    def position(self, key: str, item_key: Hashable) -> int | None:
        return None


#: Turns two snapshots into (old display, new display, [(key, label)]) for diffing.
Display = Callable[[dict[str, Any], dict[str, Any]],
                   tuple[dict[str, Any], dict[str, Any], list[tuple[str, str]]]]


def compare(subject: VersionedSubject, a: int, b: int, display: Display) -> Comparison:
    """Differences between revisions a and b of the subject, whichever order they come in."""
    older = revisions.get_revision(subject.document_id, min(a, b))
    newer = revisions.get_revision(subject.document_id, max(a, b))
    old, new, fields = display(older.fields, newer.fields)
    everything = diff_snapshots(old, new, fields)
    return Comparison(subject, older, newer,
                      [c for c in everything if c.kind != "unchanged"],
                      [c.label for c in everything if c.kind == "unchanged" and new.get(c.key)])
