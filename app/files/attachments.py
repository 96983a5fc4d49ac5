"""Files attached to lessons, sequences, board threads and Work Group sessions: add, replace (a
new version), remove and restore, list, download.

Who may do what follows the thing a file belongs to (its `Target`), decided again on every
call: whoever may read the thing sees and downloads its files, whoever may add to it adds and
changes them, and anyone else gets NotFound (the same answer as for a file that does not
exist), so a URL guessed or kept from a thing that is no longer visible reveals nothing. An
upload is judged by `app.core.files.inspect` (type from the content, size limit, pictures
re-encoded) and by the quota of the thing's Work Group before a byte is stored.

Every function takes the target as `kind` ("lesson" unless said) and its id; a kind addressed
inside a Work Group in its URLs (board threads) also takes that `work_group_id`, which must be
the thing's own. A new kind of target is one more `Target` in TARGETS.
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
from app.files import history
from app.files.models import Attachment, AttachmentVersion
from app.files.storage import get_store
from app.observations.research_lessons import get_research_lesson
from app.planning import services as planning
from app.planning.models import Lesson
from app.timeutil import utcnow
from app.workgroups import board, sessions

#: The form field an upload's errors are shown beside.
FILE_FIELD = "file"


class UploadRefused(ValidationError):
    """An upload that was not stored; a file over the size limit answers 413, others 400."""

    def __init__(self, message: str, *, too_large: bool = False) -> None:
        super().__init__(message, fields={FILE_FIELD: message})
        if too_large:
            self.status = 413


PLAN_REFUSAL = "Only members of the Work Group that owns this plan can change its files."


@dataclass(frozen=True)
class Target:
    """A kind of thing files belong to, and how its access is decided."""

    kind: str
    #: The thing if the user may read it; NotFound otherwise.
    load: Callable[[User, int], Any]
    #: Who may add files to it (and, unless `can_change` says otherwise, change them).
    can_edit: Callable[[User, Any], bool]
    #: The Work Group whose quota its files count against.
    work_group_id: Callable[[Any], int]
    #: Who may replace, remove or restore one of its files; None: whoever may add files.
    can_change: Callable[[User, Any, Attachment], bool] | None = None
    #: The thing's name as its pages show it.
    title: Callable[[Any], str] = lambda thing: str(thing.title)
    #: What the thing is called in a sentence ("This session has no files yet").
    noun: str = "plan"
    #: Why someone who reads the thing may not change its files (a 403 page).
    refusal: str = PLAN_REFUSAL


def _posts_in(user: User, thread: board.ThreadRef) -> bool:
    """Files belong to a thread's conversation: whoever may reply adds them (not to a thread
    whose opening post was removed, as replies)."""
    return policy.can_post_on_board(user, thread.group) and not thread.root.is_deleted


def _changes_in(user: User, thread: board.ThreadRef, attachment: Attachment) -> bool:
    """Another member's file is theirs, as their comment is: its adder and the thread's
    author change it (while they may post), and the Lead moderates any."""
    if policy.can_moderate_board(user, thread.group):
        return True
    return policy.can_post_on_board(user, thread.group) and user.id in (
        attachment.created_by_id, thread.root.author_id)


def _edits_notes(user: User, session: Any) -> bool:
    return policy.can_edit_session_notes(user, session.work_group)


LESSON = Target(
    "lesson", load=planning.get_lesson,
    can_edit=lambda user, lesson: policy.can_edit_sequence(user, lesson.sequence),
    work_group_id=lambda lesson: lesson.sequence.work_group_id, noun="lesson")

SEQUENCE = Target(
    "sequence", load=planning.get_sequence, can_edit=policy.can_edit_sequence,
    work_group_id=lambda sequence: sequence.work_group_id, noun="sequence")

BOARD_THREAD = Target(
    "board_thread", load=board.get_thread, can_edit=_posts_in,
    work_group_id=lambda thread: thread.group.id, can_change=_changes_in, noun="thread",
    refusal="Only members of the Work Group add files to its board, and only the person who "
            "added a file, the thread's author or the Work Group Lead change it.")

SESSION = Target(
    "session", load=sessions.get_session, can_edit=_edits_notes,
    work_group_id=lambda session: session.work_group_id, title=lambda session: session.label,
    noun="session", refusal="Only members of the Work Group add files to its sessions.")

#: Pictures in board posts (app.files.pictures): a new thread has no thread yet, so its
#: pictures belong to the board, whose readers read every thread on it. Target id: the
#: Work Group's.
BOARD = Target(
    "board", load=board.get_group,
    can_edit=lambda user, group: policy.can_post_on_board(user, group),
    work_group_id=lambda group: group.id, noun="board",
    refusal="Only members of the Work Group post on its board.")

#: Pictures in observation, discussion and comment notes of a research lesson: its readers
#: are exactly the readers of those notes.
RESEARCH_LESSON = Target(
    "research_lesson", load=get_research_lesson, can_edit=policy.can_record_discussion,
    work_group_id=lambda research_lesson: research_lesson.work_group_id,
    noun="research lesson",
    refusal="Only the research lesson's teacher, observers and Work Group Lead add to it.")

TARGETS: dict[str, Target] = {target.kind: target for target in (
    LESSON, SEQUENCE, BOARD_THREAD, SESSION, BOARD, RESEARCH_LESSON)}


@dataclass(frozen=True)
class FilesPage:
    """What a Files page shows: the thing, its files and what this reader may do to them."""

    kind: str
    target: Any
    title: str
    noun: str
    attachments: list[Attachment]
    #: Whether the reader may add files (the upload form shows).
    can_add: bool
    #: The listed files this reader may replace, remove or restore.
    changeable: frozenset[int]
    max_bytes: int

    @property
    def can_edit(self) -> bool:
        """Whether the reader may change anything here (else the page is for reading)."""
        return self.can_add or bool(self.changeable)


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


def _target(kind: str) -> Target:
    target = TARGETS.get(kind)
    if target is None:
        raise NotFound()
    return target


def _readable(user: User, target: Target, target_id: int, work_group_id: int | None) -> Any:
    """The thing if the user may read it and it is where the URL says; NotFound otherwise.

    A board thread's URL names its Work Group too: another group's id in front of a real
    thread answers as if the thread were not there, so one group's pages never act on
    another's threads."""
    thing = target.load(user, target_id)
    if work_group_id is not None and target.work_group_id(thing) != work_group_id:
        raise NotFound()
    return thing


def _may_change(user: User, target: Target, thing: Any, attachment: Attachment) -> bool:
    if target.can_change is None:
        return target.can_edit(user, thing)
    return target.can_change(user, thing, attachment)


def _editable(user: User, target: Target, target_id: int,
              work_group_id: int | None = None) -> Any:
    """The target if the user may add files to it: NotFound if they may not even read it,
    Forbidden if they only read it."""
    thing = _readable(user, target, target_id, work_group_id)
    if not target.can_edit(user, thing):
        raise Forbidden(target.refusal)
    return thing


def editable_target(user: User, target_id: int, *, kind: str = "lesson",
                    work_group_id: int | None = None) -> Any:
    """A thing the user may add files to (NotFound or Forbidden otherwise)."""
    return _editable(user, _target(kind), target_id, work_group_id)


def editable_lesson(user: User, lesson_id: int) -> Lesson:
    """A lesson whose files the user may change (NotFound or Forbidden otherwise)."""
    lesson: Lesson = _editable(user, LESSON, lesson_id)
    return lesson


def editable_attachment(user: User, target_id: int, attachment_id: int, *,
                        kind: str = "lesson", work_group_id: int | None = None) -> Attachment:
    """A file of that thing the user may change (NotFound or Forbidden otherwise)."""
    return _attachment(user, kind, target_id, attachment_id, work_group_id)[0]


def _attachment(user: User, kind: str, target_id: int, attachment_id: int,
                work_group_id: int | None = None) -> tuple[Attachment, Target]:
    """A file of the thing the user may change (NotFound when they may not read the thing).

    The thing in the URL must be the file's own: otherwise someone who edits two plans could
    change one plan's file through the other's pages, and what the page says would not be
    what changed. Only files (not pictures inside Markdown text) are changed here: those are
    the ones the Files page lists."""
    target = _target(kind)
    attachment = db.session.get(Attachment, attachment_id,
                                options=[selectinload(Attachment.versions)])
    if (attachment is None or attachment.target_kind != target.kind
            or attachment.target_id != target_id or attachment.purpose != "file"):
        raise NotFound()
    thing = _readable(user, target, target_id, work_group_id)
    if not _may_change(user, target, thing, attachment):
        raise Forbidden(target.refusal)
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


def add(user: User, target_id: int, filename: str, data: bytes, *, kind: str = "lesson",
        work_group_id: int | None = None) -> Attachment:
    """Attach a new file to a thing the user may add files to (its version 1)."""
    target = _target(kind)
    thing = _editable(user, target, target_id, work_group_id)
    upload = _inspected(filename, data)
    # The quota is the thing's own Work Group's (a board thread's and a session's: theirs).
    owner_id = target.work_group_id(thing)
    _lock_group(owner_id)
    _check_quota(owner_id, upload.size)
    attachment = Attachment(target_kind=target.kind, target_id=target_id,
                            work_group_id=owner_id, created_by_id=user.id,
                            created_at=utcnow(), purpose="file")
    db.session.add(attachment)
    _store_version(user, attachment, 1, upload)
    db.session.flush()
    _changed(attachment, user, "added", None, 1)
    return attachment


def replace(user: User, target_id: int, attachment_id: int, filename: str, data: bytes, *,
            kind: str = "lesson", work_group_id: int | None = None) -> AttachmentVersion:
    """A new version of a file; the older versions stay and can still be downloaded."""
    attachment, _ = _attachment(user, kind, target_id, attachment_id, work_group_id)
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


def remove(user: User, target_id: int, attachment_id: int, *, kind: str = "lesson",
           work_group_id: int | None = None) -> Attachment:
    """Take a file off the list (reversible: nothing is deleted)."""
    attachment, _ = _attachment(user, kind, target_id, attachment_id, work_group_id)
    if attachment.removed_at is None:
        attachment.removed_at = utcnow()
        attachment.removed_by_id = user.id
        db.session.flush()
        _changed(attachment, user, "removed", attachment.current_number, None)
    return attachment


def restore(user: User, target_id: int, attachment_id: int, *, kind: str = "lesson",
            work_group_id: int | None = None) -> Attachment:
    """Put a removed file back on the list."""
    attachment, _ = _attachment(user, kind, target_id, attachment_id, work_group_id)
    if attachment.removed_at is not None:
        attachment.removed_at = None
        attachment.removed_by_id = None
        db.session.flush()
        _changed(attachment, user, "restored", None, attachment.current_number)
    return attachment


def list_files(user: User, target_id: int, *, kind: str = "lesson",
               work_group_id: int | None = None) -> FilesPage:
    """A thing's files (newest first) with their versions, for a reader of the thing.

    Pictures shown inside its Markdown text are not listed (they belong to the text). Removed
    files are listed only to those who may restore them."""
    target = _target(kind)
    thing = _readable(user, target, target_id, work_group_id)
    query = (select(Attachment)
             .where(Attachment.target_kind == target.kind, Attachment.target_id == target_id,
                    Attachment.purpose == "file")
             .options(selectinload(Attachment.versions).joinedload(AttachmentVersion.created_by),
                      selectinload(Attachment.removed_by))
             .order_by(Attachment.created_at.desc(), Attachment.id.desc()))
    found = list(db.session.scalars(query))
    changeable = frozenset(a.id for a in found if _may_change(user, target, thing, a))
    listed = [a for a in found if a.removed_at is None or a.id in changeable]
    return FilesPage(kind=target.kind, target=thing, title=target.title(thing),
                     noun=target.noun, attachments=listed,
                     can_add=target.can_edit(user, thing), changeable=changeable,
                     max_bytes=_max_bytes())


def list_for_lesson(user: User, lesson_id: int) -> FilesPage:
    """A lesson's files (see list_files)."""
    return list_files(user, lesson_id)


def file_count(kind: str, target_id: int) -> int:
    """How many files a thing's Files page lists to everyone (for a "Files (2)" link).

    For pages that already showed the thing to this reader: it says nothing about who may
    read it."""
    return int(db.session.scalar(
        select(func.count(Attachment.id)).where(
            Attachment.target_kind == kind, Attachment.target_id == target_id,
            Attachment.purpose == "file", Attachment.removed_at.is_(None))) or 0)


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
    if (attachment.removed_at is not None and not _may_change(user, target, thing, attachment)
            and not history.kept_by_approval(version)):
        raise NotFound()
    return version
