"""Files attached to lessons: add, replace (a new version), remove and restore, list, download.

Who may do what follows the thing a file belongs to, decided again on every call: whoever may
read the lesson sees and downloads its files, whoever may edit it changes them, and anyone
else gets NotFound (the same answer as for a file that does not exist), so a URL guessed or
kept from a plan that is no longer visible reveals nothing. An upload is judged by
`app.core.files.inspect` (type from the content, size limit, pictures re-encoded) and by the
Work Group's quota before a byte is stored.

Targets other than lessons (sequences, board threads, sessions) add a `Target` to TARGETS.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.orm import selectinload

from app import policy, signals
from app.accounts.models import User, WorkGroup
from app.core.files.inspect import Inspected, inspect_upload
from app.errors import Forbidden, NotFound, ValidationError
from app.extensions import db
from app.files.models import Attachment, AttachmentVersion
from app.files.storage import get_store
from app.planning import services as planning
from app.planning.models import Lesson
from app.timeutil import utcnow

#: The form field an upload's errors are shown beside.
FILE_FIELD = "file"


class UploadRefused(ValidationError):
    """An upload that was not stored; a file over the size limit answers 413, others 400."""

    def __init__(self, message: str, *, too_large: bool = False) -> None:
        super().__init__(message, fields={FILE_FIELD: message})
        if too_large:
            self.status = 413


@dataclass(frozen=True)
class Target:
    """A kind of thing files belong to, and how its access is decided."""

    kind: str
    #: The thing if the user may read it; NotFound otherwise.
    load: Callable[[User, int], Any]
    can_edit: Callable[[User, Any], bool]
    #: The Work Group whose quota its files count against.
    work_group_id: Callable[[Any], int]


LESSON = Target(
    "lesson", load=planning.get_lesson,
    can_edit=lambda user, lesson: policy.can_edit_sequence(user, lesson.sequence),
    work_group_id=lambda lesson: lesson.sequence.work_group_id)

SEQUENCE = Target(
    "sequence", load=planning.get_sequence, can_edit=policy.can_edit_sequence,
    work_group_id=lambda sequence: sequence.work_group_id)

TARGETS: dict[str, Target] = {target.kind: target for target in (LESSON, SEQUENCE)}


@dataclass(frozen=True)
class LessonFiles:
    """What a lesson's Files page shows."""

    lesson: Lesson
    attachments: list[Attachment]
    can_edit: bool
    max_bytes: int


def _max_bytes() -> int:
    return int(current_app.config["FILES_MAX_BYTES"])


def _quota_bytes() -> int:
    return int(current_app.config["FILES_GROUP_QUOTA_BYTES"])


def megabytes(size: int) -> str:
    """A size as teachers read it: "340 KB", "2.5 MB", "2 GB"."""
    if size < 1024 * 1024:
        return f"{max(1, math.ceil(size / 1024))} KB"
    if size < 1024 ** 3:
        return f"{size / 1024 ** 2:.1f}".removesuffix(".0") + " MB"
    return f"{size / 1024 ** 3:.1f}".removesuffix(".0") + " GB"


def _editable(user: User, target: Target, target_id: int) -> Any:
    """The target if the user may change its files: NotFound if they may not even read it,
    Forbidden if they only read it."""
    thing = target.load(user, target_id)
    if not target.can_edit(user, thing):
        raise Forbidden("Only members of the Work Group that owns this plan can change its files.")
    return thing


def editable_lesson(user: User, lesson_id: int) -> Lesson:
    """A lesson whose files the user may change (NotFound or Forbidden otherwise)."""
    lesson: Lesson = _editable(user, LESSON, lesson_id)
    return lesson


def editable_attachment(user: User, lesson_id: int, attachment_id: int) -> Attachment:
    """An attachment of that lesson the user may change (NotFound or Forbidden otherwise)."""
    return _attachment(user, lesson_id, attachment_id)[0]


def _attachment(user: User, lesson_id: int, attachment_id: int) -> tuple[Attachment, Target]:
    """An attachment of the lesson the user may change (NotFound when they may not read it).

    The lesson in the URL must be the file's own: otherwise someone who edits two plans could
    change one plan's file through the other's pages, and what the page says would not be
    what changed."""
    attachment = db.session.get(Attachment, attachment_id,
                                options=[selectinload(Attachment.versions)])
    target = TARGETS.get(attachment.target_kind) if attachment is not None else None
    if (attachment is None or target is None or attachment.target_kind != LESSON.kind
            or attachment.target_id != lesson_id):
        raise NotFound()
    _editable(user, target, attachment.target_id)
    return attachment, target


def _inspected(filename: str, data: bytes) -> Inspected:
    """The upload judged from its content, or UploadRefused with the reason for the teacher."""
    result = inspect_upload(data, filename, max_bytes=_max_bytes())
    if not isinstance(result, Inspected):
        raise UploadRefused(result.message, too_large=result.reason == "too_large")
    return result


def group_usage(work_group_id: int) -> int:
    """Bytes the Work Group's files take: every version, removed files included (they can be
    restored, so their content is kept)."""
    used = db.session.scalar(
        select(func.coalesce(func.sum(AttachmentVersion.size), 0))
        .join(Attachment, Attachment.id == AttachmentVersion.attachment_id)
        .where(Attachment.work_group_id == work_group_id))
    return int(used or 0)


def _lock_group(work_group_id: int) -> None:
    """Make this Work Group's uploads and replacements wait for each other until commit.

    Without it, two uploads at once each find room under the quota and together overshoot
    it, and two replacements of one file both take the same next version number (the second
    failed on the unique key: a 500). PostgreSQL: FOR NO KEY UPDATE, so rows that merely
    refer to the group (a new plan) are not held up. SQLite reads outside the transaction
    until its first write, so a write that changes nothing takes its one writer lock now."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(select(WorkGroup.id).where(WorkGroup.id == work_group_id)
                           .with_for_update(key_share=True))
    else:
        db.session.execute(update(WorkGroup).where(WorkGroup.id == work_group_id)
                           .values(title=WorkGroup.title))


def _check_quota(work_group_id: int, size: int) -> None:
    quota = _quota_bytes()
    used = group_usage(work_group_id)
    if used + size > quota:
        raise UploadRefused(
            f"This file ({megabytes(size)}) does not fit: your Work Group's files already use "
            f"{megabytes(used)} of the {megabytes(quota)} it may keep. Nothing was added. Ask "
            "your Work Group Lead or Maths Hub to make room or raise the limit.")


def _store_version(user: User, attachment: Attachment, number: int,
                   upload: Inspected) -> AttachmentVersion:
    ref = get_store().put(upload.data)
    version = AttachmentVersion(
        attachment=attachment, number=number, blob_hash=ref.hash,
        display_name=upload.display_name, media_type=upload.media_type,
        extension=upload.extension, kind=upload.kind, size=ref.size, created_by_id=user.id,
        created_at=utcnow())
    db.session.add(version)
    return version


def _changed(attachment: Attachment, user: User, change: str, before: int | None,
             after: int | None) -> None:
    """Tell the other features (plan history, text extraction) what happened to a file."""
    signals.send(signals.files_changed, attachment=attachment, user=user, change=change,
                 before=before, after=after)


def add(user: User, lesson_id: int, filename: str, data: bytes) -> Attachment:
    """Attach a new file to a lesson the user may edit (its version 1)."""
    lesson = editable_lesson(user, lesson_id)
    upload = _inspected(filename, data)
    work_group_id = LESSON.work_group_id(lesson)
    _lock_group(work_group_id)
    _check_quota(work_group_id, upload.size)
    attachment = Attachment(target_kind=LESSON.kind, target_id=lesson.id,
                            work_group_id=work_group_id, created_by_id=user.id,
                            created_at=utcnow())
    db.session.add(attachment)
    _store_version(user, attachment, 1, upload)
    db.session.flush()
    _changed(attachment, user, "added", None, 1)
    return attachment


def replace(user: User, lesson_id: int, attachment_id: int, filename: str,
            data: bytes) -> AttachmentVersion:
    """A new version of a file; the older versions stay and can still be downloaded."""
    attachment, _ = _attachment(user, lesson_id, attachment_id)
    upload = _inspected(filename, data)
    _lock_group(attachment.work_group_id)
    # Read again under the lock: a replacement or removal committed meanwhile counts.
    db.session.refresh(attachment, ["removed_at"])
    if attachment.removed_at is not None:
        raise ValidationError("This file was removed. Restore it before replacing it.",
                              fields={FILE_FIELD: "This file was removed. Restore it first."})
    _check_quota(attachment.work_group_id, upload.size)
    latest = db.session.scalar(select(func.max(AttachmentVersion.number))
                               .where(AttachmentVersion.attachment_id == attachment.id))
    before = attachment.current_number
    version = _store_version(user, attachment, int(latest or 0) + 1, upload)
    attachment.current_number = version.number
    db.session.flush()
    _changed(attachment, user, "replaced", before, version.number)
    return version


def remove(user: User, lesson_id: int, attachment_id: int) -> Attachment:
    """Take a file off the list (reversible: nothing is deleted)."""
    attachment, _ = _attachment(user, lesson_id, attachment_id)
    if attachment.removed_at is None:
        attachment.removed_at = utcnow()
        attachment.removed_by_id = user.id
        db.session.flush()
        _changed(attachment, user, "removed", attachment.current_number, None)
    return attachment


def restore(user: User, lesson_id: int, attachment_id: int) -> Attachment:
    """Put a removed file back on the list."""
    attachment, _ = _attachment(user, lesson_id, attachment_id)
    if attachment.removed_at is not None:
        attachment.removed_at = None
        attachment.removed_by_id = None
        db.session.flush()
        _changed(attachment, user, "restored", None, attachment.current_number)
    return attachment


def list_for_lesson(user: User, lesson_id: int) -> LessonFiles:
    """A lesson's files (newest first) with their versions, for a reader of the lesson.

    Removed files are listed only to those who may restore them."""
    lesson = LESSON.load(user, lesson_id)
    can_edit = LESSON.can_edit(user, lesson)
    query = (select(Attachment)
             .where(Attachment.target_kind == LESSON.kind, Attachment.target_id == lesson.id)
             .options(selectinload(Attachment.versions).joinedload(AttachmentVersion.created_by),
                      selectinload(Attachment.created_by))
             .order_by(Attachment.created_at.desc(), Attachment.id.desc()))
    if not can_edit:
        query = query.where(Attachment.removed_at.is_(None))
    attachments = list(db.session.scalars(query))
    return LessonFiles(lesson=lesson, attachments=attachments, can_edit=can_edit,
                       max_bytes=_max_bytes())


def version_for_download(user: User, version_id: int) -> AttachmentVersion:
    """A version the user may download: its target readable now, and its file not removed
    (unless the user may restore it). NotFound otherwise, whatever the reason."""
    version = db.session.get(AttachmentVersion, version_id)
    if version is None:
        raise NotFound()
    attachment = version.attachment
    target = TARGETS.get(attachment.target_kind)
    if target is None:
        raise NotFound()
    thing = target.load(user, attachment.target_id)
    if attachment.removed_at is not None and not target.can_edit(user, thing):
        raise NotFound()
    return version
