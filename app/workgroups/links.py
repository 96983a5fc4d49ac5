"""What a session links to: sequences, research lessons and observation records, per reader.

Research lessons and observations belong to app.observations, which may not be installed:
every lookup imports it inside a guard, so sessions work (and keep their links) without it.
A link the reader may not see is left out, never shown with its title.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import current_app, has_request_context, url_for
from sqlalchemy import select

from app import policy
from app.accounts.models import User, WorkGroup
from app.extensions import db
from app.observations.models import Observation, ResearchLesson
from app.observations.permissions import can_view_research_lesson
from app.planning.models import Sequence
from app.workgroups.models import LINK_KINDS


@dataclass(frozen=True)
class LinkInfo:
    kind: str
    target_id: int
    title: str
    #: None when the page is not available in this app.
    url: str | None

    @property
    def kind_label(self) -> str:
        return LINK_KINDS.get(self.kind, self.kind)

    @property
    def value(self) -> str:
        """The form value for this link: "sequence:12"."""
        return f"{self.kind}:{self.target_id}"


def _url(endpoint: str, **values: int) -> str | None:
    # Outside a request (the demo loader, CLI) there is no page to link to, only the title.
    if not has_request_context() or endpoint not in current_app.view_functions:
        return None
    params: dict[str, Any] = values  # url_for's own keywords (_anchor, ...) are typed
    return url_for(endpoint, **params)


def _sequence(user: User, target_id: int) -> LinkInfo | None:
    sequence = db.session.get(Sequence, target_id)
    if sequence is None or not policy.can_view_sequence(user, sequence):
        return None
    return LinkInfo("sequence", sequence.id, sequence.title,
                    _url("planning.sequence", sequence_id=sequence.id))


def _research_lesson(user: User, target_id: int) -> LinkInfo | None:
    item = db.session.get(ResearchLesson, target_id)
    if item is None or not can_view_research_lesson(user, item):
        return None
    return LinkInfo("research_lesson", item.id, item.title,
                    _url("observations.research_lesson", research_lesson_id=item.id))


def _observation(user: User, target_id: int) -> LinkInfo | None:
    item = db.session.get(Observation, target_id)
    if item is None or not can_view_research_lesson(user, item.research_lesson):
        return None
    title = f"{item.observer.display_name}'s observation of {item.research_lesson.title}"
    return LinkInfo("observation", item.id, title,
                    _url("observations.observation", observation_id=item.id))


LOOKUPS: dict[str, Callable[[User, int], LinkInfo | None]] = {
    "sequence": _sequence,
    "research_lesson": _research_lesson,
    "observation": _observation,
}


def resolve(user: User, kind: str, target_id: int) -> LinkInfo | None:
    """The link as this reader may see it, or None (unknown, missing or not theirs to see)."""
    lookup = LOOKUPS.get(kind)
    return lookup(user, target_id) if lookup else None


def candidates(user: User, group: WorkGroup) -> list[LinkInfo]:
    """What the user could link a session of this group to, grouped by kind."""
    out: list[LinkInfo] = []
    rows = db.session.scalars(select(Sequence).where(
        Sequence.work_group_id == group.id, Sequence.archived_at.is_(None),
        policy.visible_sequences_clause(user)).order_by(Sequence.title))
    out += [LinkInfo("sequence", s.id, s.title, None) for s in rows]
    lessons = db.session.scalars(select(ResearchLesson).where(
        ResearchLesson.work_group_id == group.id).order_by(ResearchLesson.taught_on)).all()
    for item in lessons:
        if (info := _research_lesson(user, item.id)) is not None:
            out.append(info)
    records = db.session.scalars(select(Observation).join(ResearchLesson).where(
        ResearchLesson.work_group_id == group.id).order_by(ResearchLesson.taught_on,
                                                            Observation.id)).all()
    for record in records:
        if (info := _observation(user, record.id)) is not None:
            out.append(info)
    return out
