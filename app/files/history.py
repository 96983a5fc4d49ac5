"""Files in a plan's revision history (issue 15, item 3).

A lesson or sequence revision records the attachment versions the plan had in
`fields["files"]`: [{"id": attachment id, "name": shown name, "version": number}], files only
(pictures live in the Markdown text), removed ones left out, in the order they were added.
Revisions from before files were recorded have no "files" key; they read as "no files".

Who keeps the list true:
- every file change (app.signals.files_changed) saves a revision of its lesson or sequence
  with a summary ("Replaced slides.pptx (version 2 → 3)");
- every save from the editor reads the list from the database under the document's lock
  (`live_files`, the engine's `live`), so an edit never drops, invents or conflicts over it;
- restoring a revision sets the attachments back to the versions it lists (`apply_files`);
- pages turn a revision's list into links to those exact versions (`file_items`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask, url_for
from sqlalchemy import select, tuple_, update

from app import revisions, signals
from app.accounts.models import User
from app.extensions import db
from app.files.models import Attachment, AttachmentVersion
from app.planning.fields import LESSON_MARKDOWN_KEYS, SEQUENCE_MARKDOWN_KEYS
from app.planning.models import Lesson, Sequence
from app.reviews.models import Approval
from app.revisions.models import Revision
from app.revisions.pages import FileItem
from app.timeutil import utcnow

#: The revision field that lists a plan's files.
FILES_KEY = "files"
#: The targets whose files are part of a revision history, and their Markdown fields.
PLAN_KINDS: dict[str, list[str]] = {"lesson": LESSON_MARKDOWN_KEYS,
                                    "sequence": SEQUENCE_MARKDOWN_KEYS}


def init_app(app: Flask) -> None:
    """Record every file change of a lesson or sequence in its history."""
    signals.files_changed.connect(on_files_changed, sender=app)
    signals.lesson_moved.connect(on_lesson_moved, sender=app)


def on_lesson_moved(_app: Flask, *, lesson: Lesson, source: Sequence) -> None:
    """A lesson moved into another Work Group's sequence takes its files with it: from now on
    they count against the quota of the group that owns the lesson."""
    if lesson.sequence.work_group_id != source.work_group_id:
        db.session.execute(update(Attachment).where(
            Attachment.target_kind == "lesson", Attachment.target_id == lesson.id)
            .values(work_group_id=lesson.sequence.work_group_id))


# --- what a plan has now ------------------------------------------------------------------


def files_field(kind: str, target_id: int) -> list[dict[str, Any]]:
    """The plan's files as a revision records them, read from the attachment rows."""
    rows = db.session.execute(
        select(Attachment.id, AttachmentVersion.display_name, Attachment.current_number)
        .join(AttachmentVersion, (AttachmentVersion.attachment_id == Attachment.id)
              & (AttachmentVersion.number == Attachment.current_number))
        .where(Attachment.target_kind == kind, Attachment.target_id == target_id,
               Attachment.purpose == "file", Attachment.removed_at.is_(None))
        .order_by(Attachment.id))
    return [{"id": attachment_id, "name": name, "version": number}
            for attachment_id, name, number in rows]


def live_files(kind: str, target_id: int) -> Callable[[], dict[str, Any]]:
    """The engine's `live` reader for a plan: its files as the database has them."""
    return lambda: {FILES_KEY: files_field(kind, target_id)}


def _document_id(kind: str, target_id: int) -> int | None:
    thing: Lesson | Sequence | None = (db.session.get(Lesson, target_id) if kind == "lesson"
                                       else db.session.get(Sequence, target_id))
    return thing.document_id if thing is not None else None


def kept_by_approval(version: AttachmentVersion) -> bool:
    """Whether an approved revision of the version's plan lists this very version.

    A file removed after approval stays part of what was approved: the approved page keeps
    offering it to every reader of the plan, so its download must keep working for them."""
    attachment = version.attachment
    if attachment.target_kind not in ("lesson", "sequence"):
        return False
    document_id = _document_id(attachment.target_kind, attachment.target_id)
    if document_id is None:
        return False
    approved = db.session.scalars(
        select(Revision.fields).join(Approval, (Approval.document_id == Revision.document_id)
                                     & (Approval.revision_number == Revision.number))
        .where(Revision.document_id == document_id))
    return any(item.get("id") == attachment.id and item.get("version") == version.number
               for fields in approved for item in (recorded(fields) or []))


# --- file changes become revisions ----------------------------------------------------------


def change_summary(attachment: Attachment, change: str, before: int | None,
                   after: int | None) -> str:
    """How the history list names a file change: "Replaced slides.pptx (version 2 → 3)"."""
    names = {version.number: version.display_name for version in attachment.versions}
    name = names.get(after or before or attachment.current_number,
                     attachment.current.display_name)
    if change == "replaced":
        old = names.get(before or 0, name)
        what = old if old == name else f"{old} with {name}"
        return f"Replaced {what} (version {before} → {after})"
    return f"{change.capitalize()} {name}"


def on_files_changed(_app: Flask, *, attachment: Attachment, user: User, change: str,
                     before: int | None, after: int | None, **_extra: Any) -> None:
    """A file of a lesson or sequence changed: its plan gets a revision listing the files now.

    Saved on top of the head (the document is locked first), so it never merges or
    conflicts; the list is read under that lock. A picture changes no revision: it is in
    the text that shows it."""
    kind = attachment.target_kind
    if attachment.purpose != "file" or kind not in PLAN_KINDS:
        return
    document_id = _document_id(kind, attachment.target_id)
    if document_id is None:
        return
    document = revisions.lock_document(document_id)
    head = revisions.head_revision(document)
    if head is None:
        return
    result = revisions.save_revision(
        document_id, user, dict(head.fields), document.head_number,
        change_summary(attachment, change, before, after), PLAN_KINDS[kind],
        live=live_files(kind, attachment.target_id))
    if result.changed:
        now = utcnow()
        if kind == "lesson":
            lesson = db.session.get(Lesson, attachment.target_id)
            if lesson is not None:
                lesson.updated_at = now
                lesson.sequence.updated_at = now
        else:
            sequence = db.session.get(Sequence, attachment.target_id)
            if sequence is not None:
                sequence.updated_at = now


# --- restoring a revision brings its files back ------------------------------------------------


def lock_files(kind: str, target_id: int) -> None:
    """Hold the plan's attachment rows before its document, in the order a file change
    takes them (the row, then the document), so a restore and a file change at the same
    moment wait for each other instead of deadlocking. (SQLite has one writer anyway.)"""
    db.session.execute(select(Attachment.id).where(
        Attachment.target_kind == kind, Attachment.target_id == target_id)
        .order_by(Attachment.id).with_for_update())


def recorded(fields: dict[str, Any]) -> list[dict[str, Any]] | None:
    """A revision's file list, or None when the revision is older than file recording."""
    value = fields.get(FILES_KEY)
    if value is None:
        return None
    return [item for item in value if isinstance(item, dict)
            and isinstance(item.get("id"), int) and isinstance(item.get("version"), int)]


def apply_files(user: User, kind: str, target_id: int, wanted: list[dict[str, Any]]) -> None:
    """Make the plan's files what a restored revision lists: each at the version it had,
    removed ones back, newer ones removed (reversibly). No files_changed is sent: the
    restore's own revision records all of it."""
    versions = {item["id"]: item["version"] for item in wanted}
    attachments = db.session.scalars(select(Attachment).where(
        Attachment.target_kind == kind, Attachment.target_id == target_id,
        Attachment.purpose == "file"))
    now = utcnow()
    for attachment in attachments:
        number = versions.get(attachment.id)
        if number is None:
            if attachment.removed_at is None:
                attachment.removed_at, attachment.removed_by_id = now, user.id
            continue
        if any(version.number == number for version in attachment.versions):
            attachment.current_number = number
        attachment.removed_at, attachment.removed_by_id = None, None
    db.session.flush()


# --- pages ------------------------------------------------------------------------------------


def file_items(fields_list: Iterable[dict[str, Any]]) -> list[list[FileItem]]:
    """Each revision's files with a link to that exact version's download, looked up in one
    query (none when no revision has files). Reading a download still needs the right to
    read the plan the file belongs to now (app.files.attachments.version_for_download)."""
    lists = [recorded(fields) or [] for fields in fields_list]
    wanted = {(item["id"], item["version"]) for items in lists for item in items}
    found: dict[tuple[int, int], AttachmentVersion] = {}
    if wanted:
        for row in db.session.scalars(select(AttachmentVersion).where(
                tuple_(AttachmentVersion.attachment_id, AttachmentVersion.number)
                .in_(sorted(wanted)))):
            found[(row.attachment_id, row.number)] = row
    out = []
    for items in lists:
        shown = []
        for item in items:
            version: AttachmentVersion | None = found.get((item["id"], item["version"]))
            name = str(item.get("name") or (version.display_name if version else "A file"))
            url = url_for("files.download", version_id=version.id,
                          name=version.url_name) if version is not None else ""
            shown.append(FileItem(name, item["version"], url))
        out.append(shown)
    return out


def revision_files(revision: Revision) -> list[FileItem]:
    """One revision's files (no query when it has none)."""
    return file_items([revision.fields])[0]
