""""Since my last visit": plans in my Work Groups that others changed after I last looked."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, and_, exists, func, literal_column, or_, select, union_all
from sqlalchemy.orm import aliased

from app import policy, visibility
from app.accounts.models import User
from app.extensions import db
from app.notifications.services import site_path
from app.planning.models import Lesson, Sequence, Visit
from app.revisions.models import Document, Revision
from app.timeutil import utcnow

#: Plans never opened count as news when they changed this recently.
NEW_TO_YOU_DAYS = 30


@dataclass
class ChangedItem:
    kind: str
    item_id: int
    title: str
    #: The revision the user last saw (None: never opened it).
    seen: int | None
    head: int
    changed_at: datetime
    authors: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return site_path(f"planning.{self.kind}", **{f"{self.kind}_id": self.item_id})

    @property
    def compare_url(self) -> str | None:
        """One click from what the user saw to the current version (None if never seen)."""
        if self.seen is None:
            return None
        return site_path(f"planning.{self.kind}_compare", a=self.seen, b=self.head,
                         **{f"{self.kind}_id": self.item_id})


def my_group_ids(user: User) -> set[int]:
    """Groups the user is a member of or leads."""
    return visibility.GROUP.values(user)


def changes_since_last_visit(user: User, limit: int = 20) -> list[ChangedItem]:
    """Sequences and lessons in the user's Work Groups, visible to them, whose newest revision
    is newer than the one they last saw (or, never opened, changed in the last 30 days), where
    someone else made a change since. Newest change first."""
    groups = my_group_ids(user)
    if not groups:
        return []
    cutoff = utcnow() - timedelta(days=NEW_TO_YOU_DAYS)
    visible = policy.visible_sequences_clause(user)
    head = aliased(Revision)
    other = aliased(Revision)

    def changed(kind: str, query: Select[int, str]) -> Select[*tuple[Any, ...]]:
        seen = func.coalesce(Visit.number, 0)
        return (query.add_columns(
            literal_column(f"'{kind}'").label("kind"), Document.id.label("document_id"),
            Document.head_number.label("head"), Visit.number.label("seen"),
            head.created_at.label("changed_at"))
            .join(head, and_(head.document_id == Document.id,
                             head.number == Document.head_number))
            .outerjoin(Visit, and_(Visit.document_id == Document.id, Visit.user_id == user.id))
            .where(or_(and_(Visit.number.is_not(None), Document.head_number > Visit.number),
                       and_(Visit.number.is_(None), head.created_at >= cutoff)),
                   exists().where(other.document_id == Document.id, other.number > seen,
                                  other.author_id != user.id)))

    sequences = changed("sequence", select(Sequence.id.label("item_id"),
                                           Sequence.title.label("title"))
                        .join(Document, Document.id == Sequence.document_id)
                        .where(Sequence.work_group_id.in_(groups), visible,
                               Sequence.archived_at.is_(None)))
    lessons = changed("lesson", select(Lesson.id.label("item_id"), Lesson.title.label("title"))
                      .join(Sequence, Sequence.id == Lesson.sequence_id)
                      .join(Document, Document.id == Lesson.document_id)
                      .where(Sequence.work_group_id.in_(groups), visible,
                             Sequence.archived_at.is_(None), Lesson.archived_at.is_(None)))
    both = union_all(sequences, lessons).subquery()
    rows = db.session.execute(select(both).order_by(both.c.changed_at.desc(), both.c.kind,
                                                    both.c.item_id.desc()).limit(limit)).all()
    # Who changed each item since: one statement for every row (the dashboard's cost must not
    # grow with the number of changed plans), newest author first.
    since = {row.document_id: row.seen or 0 for row in rows}
    authors: dict[int, list[str]] = {document_id: [] for document_id in since}
    if since:
        latest = func.max(Revision.number)
        for document_id, name, number in db.session.execute(
                select(Revision.document_id, User.display_name, latest)
                .join(User, User.id == Revision.author_id)
                .where(Revision.document_id.in_(since), Revision.author_id != user.id)
                .group_by(Revision.document_id, User.id, User.display_name)
                .order_by(Revision.document_id, latest.desc())):
            if number > since[document_id]:
                authors[document_id].append(name)
    return [ChangedItem(row.kind, row.item_id, row.title, row.seen, row.head, row.changed_at,
                        authors[row.document_id]) for row in rows]
