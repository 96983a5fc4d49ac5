"""The revision engine: append-only snapshots, row-locked numbering, three-way merges on save
and restore (a restore is a save of an old snapshot, so it merges and numbers like any other)."""

from __future__ import annotations

import copy
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from app.accounts.models import User
from app.core.diffing import MergeResult, merge_snapshots
from app.core.markdown import render_markdown
from app.errors import NotFound, RevisionConflict
from app.extensions import db
from app.revisions.models import Document, Revision


@dataclass
class SaveResult:
    """What a save did: the new revision (None when nothing changed) and what was merged."""

    revision: Revision | None
    head: Revision
    merged: list[Revision] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return self.revision is not None


class MergeConflict(RevisionConflict):
    """Someone saved meanwhile and both changed the same part: the user must choose."""

    def __init__(self, result: MergeResult, head: Revision, mine: dict[str, Any],
                 base_number: int | None) -> None:
        super().__init__("Someone else saved changes to the same part while you were editing.")
        self.result = result
        self.head = head
        self.mine = mine
        self.base_number = base_number


def new_document(kind: str) -> Document:
    """A new, empty document of a kind ("lesson", "session_notes"…); its first save is 1."""
    document = Document(kind=kind, head_number=0)
    db.session.add(document)
    db.session.flush()
    return document


def lock_document(document_id: int) -> Document:
    """Take the document's row lock for the rest of the transaction.

    An UPDATE locks the row on PostgreSQL and takes SQLite's write lock, so concurrent
    saves of one document queue here instead of racing for the next number.
    """
    db.session.execute(update(Document).where(Document.id == document_id)
                       .values(head_number=Document.head_number))
    document = db.session.scalar(select(Document).where(Document.id == document_id)
                                 .execution_options(populate_existing=True))
    if document is None:
        raise NotFound()
    return document


def get_revision(document_id: int, number: int) -> Revision:
    """A document's revision by number; NotFound when it does not exist or is another's."""
    revision = db.session.scalar(select(Revision).where(
        Revision.document_id == document_id, Revision.number == number)
        .options(joinedload(Revision.author)))
    if revision is None:
        raise NotFound("That version does not exist.")
    return revision


def head_revision(document: Document) -> Revision | None:
    if document.head_number == 0:
        return None
    return get_revision(document.id, document.head_number)


def head_revisions(document_ids: Collection[int]) -> dict[int, Revision]:
    """The head revision of each document that has one, by document id, in one query
    (search rebuilds read thousands of documents at a time)."""
    if not document_ids:
        return {}
    rows = db.session.scalars(
        select(Revision).join(Document, (Revision.document_id == Document.id)
                              & (Revision.number == Document.head_number))
        .where(Document.id.in_(list(document_ids))))
    return {revision.document_id: revision for revision in rows}


def list_revisions(document_id: int) -> list[Revision]:
    """Every revision, newest first."""
    return list(db.session.scalars(select(Revision).where(Revision.document_id == document_id)
                                   .order_by(Revision.number.desc())))


def render_fields(fields: dict[str, Any], markdown_keys: Sequence[str],
                  previous: Revision | None,
                  rendered: dict[str, tuple[str, str]] | None = None) -> dict[str, str]:
    """Render each Markdown field, reusing the previous HTML where the text is unchanged and
    `rendered` (text, html) pairs made earlier for the same text."""
    html: dict[str, str] = {}
    for key in markdown_keys:
        text = fields.get(key) or ""
        if previous is not None and previous.fields.get(key, "") == text and key in previous.html:
            html[key] = previous.html[key]
        elif rendered and key in rendered and rendered[key][0] == text:
            html[key] = rendered[key][1]
        else:
            html[key] = str(render_markdown(text)) if text else ""
    return html


@dataclass
class _Prepared:
    """A save's expensive work, done before the document is locked (see _prepare_unlocked)."""

    #: (text, html) per Markdown field of what will be saved: the merged snapshot when the
    #: save is merged, else the submitted one.
    rendered: dict[str, tuple[str, str]]
    #: The head the merge below was made against (0: no head yet).
    head_number: int
    merge: MergeResult | None = None


def _prepare_unlocked(document_id: int, fields: dict[str, Any], base_number: int | None,
                      markdown_keys: Sequence[str], live_keys: Collection[str]) -> _Prepared:
    """Merge with the head and render what will be saved before the document (and SQLite's
    write lock, or PostgreSQL's row lock) is taken, so a large or pathological plan never
    makes other writers wait. The head read here may be stale: the locked part checks it and
    merges again only if someone saved in between."""
    document = db.session.get(Document, document_id)
    current = head_revision(document) if document is not None else None
    prepared = _Prepared({}, current.number if current else 0)
    if current is not None and base_number != current.number:
        prepared.merge = _merge(document_id, fields, base_number, current, live_keys)
        if not prepared.merge.clean:
            return prepared  # a conflict: nothing is saved, so nothing to render
        # Only the merged text is saved: render that (most of it is usually the head's).
        fields = prepared.merge.merged
    html = render_fields(fields, markdown_keys, current)
    prepared.rendered = {key: (fields.get(key) or "", html[key]) for key in markdown_keys}
    return prepared


def _merge(document_id: int, fields: dict[str, Any], base_number: int | None,
           head: Revision, live_keys: Collection[str] = ()) -> MergeResult:
    base = None
    if base_number is not None and 0 < base_number < head.number:
        base = get_revision(document_id, base_number)

    def merged_part(snapshot: dict[str, Any]) -> dict[str, Any]:
        # Live fields follow the database, not anyone's edit: they are set after the merge.
        return {key: value for key, value in snapshot.items() if key not in live_keys}

    # A forged or unknown base has nothing to merge against: every difference conflicts.
    return merge_snapshots(merged_part(base.fields) if base else {}, merged_part(fields),
                           merged_part(head.fields))


def save_revision(document_id: int, author: User, fields: dict[str, Any],
                  base_number: int | None, summary: str, markdown_keys: Sequence[str], *,
                  restored_from: int | None = None,
                  live: Callable[[], dict[str, Any]] | None = None) -> SaveResult:
    """Save a new snapshot based on `base_number`, merging with anything saved since.

    A stale base is merged three ways; a conflict raises MergeConflict and saves nothing.
    Saving unchanged content makes no revision. Rendering and merging happen before the
    document is locked; the lock is held only for reads of the head and the inserts.

    `live` reads fields that follow the database rather than the editor (a plan's files):
    read again once the document is locked (so a change committed meanwhile is seen), they
    replace whatever was submitted and are left out of the merge, so they never conflict.
    """
    live_keys: Collection[str] = list(live()) if live is not None else ()
    prepared = _prepare_unlocked(document_id, fields, base_number, markdown_keys, live_keys)
    document = lock_document(document_id)
    head = head_revision(document)
    now = live() if live is not None else {}
    fields = {**fields, **now}
    merged: list[Revision] = []
    if head is not None and base_number != head.number:
        result = prepared.merge
        if result is None or prepared.head_number != head.number:
            # saved meanwhile
            result = _merge(document_id, fields, base_number, head, live_keys)
        if not result.clean:
            raise MergeConflict(result, head, fields, base_number)
        fields = {**result.merged, **now}
        merged = list(db.session.scalars(
            select(Revision).where(Revision.document_id == document_id,
                                   Revision.number > (base_number or 0),
                                   Revision.author_id != author.id)
            .order_by(Revision.number.desc())))
    if head is not None and _same(fields, head.fields):
        return SaveResult(None, head, merged)
    number = document.head_number + 1
    revision = Revision(document_id=document_id, number=number, author_id=author.id,
                        summary=summary.strip()[:300], fields=fields,
                        base_number=head.number if head else None,
                        merged_numbers=sorted(r.number for r in merged),
                        restored_from=restored_from,
                        html=render_fields(fields, markdown_keys, head, prepared.rendered))
    if head is not None and base_number is not None and base_number < head.number:
        revision.base_number = base_number
    db.session.add(revision)
    document.head_number = number
    db.session.flush()
    return SaveResult(revision, revision, merged)


def restore_revision(document_id: int, author: User, number: int, markdown_keys: Sequence[str],
                     *, keep: dict[str, Any] | None = None) -> SaveResult:
    """Bring back revision `number` as a new revision (history is never rewritten).

    `keep` holds fields that stay as they are now (a sequence keeps today's lesson list).
    The caller checks the user may edit the document first.
    """
    old = get_revision(document_id, number)
    # The revision exists, so its document does: restore on top of the current head.
    head_number = db.session.scalar(select(Document.head_number)
                                    .where(Document.id == document_id))
    fields = {**copy.deepcopy(old.fields), **(keep or {})}
    return save_revision(document_id, author, fields, head_number,
                         f"Restored revision {number}.", markdown_keys, restored_from=number)


def _same(a: dict[str, Any], b: dict[str, Any]) -> bool:
    keys = set(a) | set(b)
    return all((a.get(k) or _empty(b.get(k))) == (b.get(k) or _empty(a.get(k))) for k in keys)


def _empty(value: Any) -> Any:
    return [] if isinstance(value, list) else ""
