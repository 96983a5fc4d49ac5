"""Resolving [[wiki links]] for one reader: only to what that reader may see."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote

from flask import url_for
from sqlalchemy import ColumnElement, func, select

from app import policy, signals
from app.accounts.models import User
from app.core.markdown import LinkTarget
from app.extensions import db
from app.planning.models import Sequence


def find_visible_sequence(visible: ColumnElement[bool], title: str) -> Sequence | None:
    """The newest sequence with this title (case-insensitive) among those `visible` (the
    reader's visibility clause) matches. Newest by creation, not by last save: a save must
    not retarget links (cached resolutions move only with the links epoch)."""
    query = (select(Sequence)
             .where(func.lower(Sequence.title) == title.strip().lower(),
                    Sequence.archived_at.is_(None), visible)
             .order_by(Sequence.created_at.desc(), Sequence.id.desc()).limit(1))
    return db.session.scalar(query)


def link_resolver(user: User) -> Callable[[str, str], LinkTarget | None]:
    """A resolver for app.core.markdown.resolve_links that never reveals hidden titles."""
    visible: list[ColumnElement[bool]] = []  # the reader's clause, built on the first link

    def resolve(kind: str, target: str) -> LinkTarget | None:
        if kind == "pd":
            return material_target(target)
        sequence_title, _, lesson_title = target.partition("/")
        if not visible:
            visible.append(policy.visible_sequences_clause(user))
        sequence = find_visible_sequence(visible[0], sequence_title)
        if sequence is None:
            return None
        if not lesson_title:
            return LinkTarget(url_for("planning.sequence", sequence_id=sequence.id),
                              sequence.title)
        wanted = lesson_title.strip().lower()
        for lesson in sequence.active_lessons:
            if lesson.title.lower() == wanted:
                return LinkTarget(url_for("planning.lesson", lesson_id=lesson.id), lesson.title)
        return None

    return resolve


def material_target(key: str) -> LinkTarget | None:
    """A `[[pd:key]]` link, answered by the materials feature through app.signals."""
    return next((found for found in signals.answers(signals.material_link, key=key)
                 if found is not None), None)


def create_url(target: str) -> str | None:
    """Offer to create a missing sequence; lesson links point at the sequence instead."""
    title = target.partition("/")[0].strip()
    return url_for("planning.new_sequence") + "?title=" + quote(title) if title else None

