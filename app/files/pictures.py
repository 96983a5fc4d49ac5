"""Pictures inside Markdown text (issue 15, item 1): a teacher adds a picture to the text she is
writing, and the text gets `![description](/files/<version id>/<name>)`.

A picture is an Attachment with purpose "picture", stored on the thing whose readers read the
text, so that exactly they can fetch it (app.files.attachments.version_for_download decides
every download from the attachment's target): a lesson's or sequence's fields and comments
belong to that plan, a board post to the Work Group's board, session notes to the session,
observation and discussion notes to the research lesson (whose readers are the observation's:
never wider than the notes). Who may *add* one is decided per context, from the permission to
write that text: a member who may comment on a lesson but not edit it adds pictures to her
comment only.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app import policy
from app.accounts.models import User
from app.comments.targets import get_target
from app.errors import Forbidden, NotFound
from app.extensions import db
from app.files import attachments
from app.files.models import Attachment, AttachmentVersion
from app.timeutil import utcnow

#: The form field a picture's description errors are shown beside.
ALT_FIELD = "picture_alt"
#: Longest description kept (a sentence or two; longer text belongs in the lesson itself).
MAX_ALT_CHARS = 250

NOT_A_PICTURE = ("Only pictures (PNG, JPEG, GIF or WebP) can go into the text. To share a "
                 "PDF, document, slides or a spreadsheet, add it on the plan's Files page.")


def _comment_rule(kind: str) -> Callable[[User, Any], bool]:
    """May the user comment on this thing (the comment engine's own rule for its kind)?"""
    def may(user: User, thing: Any) -> bool:
        target = get_target(kind)
        return target is not None and target.can_comment(user, thing.id)
    return may


@dataclass(frozen=True)
class Context:
    """Where a text with pictures is written; the context id is its target's id."""

    name: str
    #: The attachment target (app.files.attachments.TARGETS) whose readers read this text.
    target_kind: str
    #: May the user write this text (and so add pictures to it)? The target is readable.
    may_add: Callable[[User, Any], bool]


CONTEXTS: dict[str, Context] = {context.name: context for context in (
    # The editors' fields: whoever may edit the plan.
    Context("lesson", "lesson", lambda user, lesson: policy.can_edit_sequence(user,
                                                                              lesson.sequence)),
    Context("sequence", "sequence", policy.can_edit_sequence),
    # Comments on plans and research lessons: whoever may comment there.
    Context("lesson-comment", "lesson", _comment_rule("lesson")),
    Context("sequence-comment", "sequence", _comment_rule("sequence")),
    Context("observation-comment", "research_lesson", _comment_rule("observation")),
    # Board threads and replies: the board's members (target id: the Work Group's id).
    Context("board", "board", lambda user, group: policy.can_post_on_board(user, group)),
    Context("session", "session",
            lambda user, session: policy.can_edit_session_notes(user, session.work_group)),
    # Observation and discussion notes: the observers, the teacher, who scheduled it, the Lead.
    Context("observation", "research_lesson", policy.can_record_discussion),
)}

#: The picture context of each comment kind that takes pictures (app.comments.targets).
COMMENT_CONTEXTS = {"lesson": "lesson-comment", "sequence": "sequence-comment",
                    "observation": "observation-comment", "board": "board"}


def _target(context: str) -> tuple[Context, attachments.Target]:
    found = CONTEXTS.get(context)
    target = attachments.TARGETS.get(found.target_kind) if found is not None else None
    if found is None or target is None:
        raise NotFound()
    return found, target


def may_add(user: User, context: str, context_id: int) -> Any:
    """The target if the user may add a picture there: NotFound if they may not read it (or
    the context is unknown), Forbidden if they only read it."""
    found, target = _target(context)
    thing = target.load(user, context_id)
    if not found.may_add(user, thing):
        raise Forbidden("You can add pictures only to text you may write here.")
    return thing


def picture_url(version: AttachmentVersion) -> str:
    """The download address a picture is written with: exactly the shape the Markdown
    renderer shows as a picture (app.core.markdown.is_picture_src)."""
    return f"/files/{version.id}/{version.url_name}"


# Markdown that would end the description early or change how it reads: brackets, emphasis,
# code, maths, HTML-looking text, table pipes, footnotes and template braces. A backslash
# before any of them keeps it as typed.
_ALT_SPECIAL_RE = re.compile(r"([\\`*_\[\]<>&$|~^{}])")


def clean_alt(alt: str) -> str:
    """A description on one line, at most MAX_ALT_CHARS characters."""
    return " ".join(alt.split())[:MAX_ALT_CHARS].strip()


def picture_markdown(version: AttachmentVersion, alt: str) -> str:
    """`![description](address)` for a stored picture, the description kept as typed."""
    description = _ALT_SPECIAL_RE.sub(r"\\\1", clean_alt(alt))
    return f"![{description}]({picture_url(version)})"


def add_picture(user: User, context: str, context_id: int, filename: str, data: bytes,
                alt: str = "") -> AttachmentVersion:
    """Store a picture for a text written in `context` (see CONTEXTS; the id is the lesson's,
    sequence's, research lesson's, session's or, for "board", the Work Group's).

    Judged like any upload (type from the content, re-encoded without EXIF/GPS, the size
    limit, the Work Group's quota) and refused unless it is a raster picture. `alt` is only
    checked for length here; the forms ask for it. Use picture_markdown(version, alt) for
    the text to insert."""
    found, target = _target(context)
    thing = may_add(user, context, context_id)
    upload = attachments._inspected(filename, data)
    if upload.kind != "image":
        raise attachments.UploadRefused(NOT_A_PICTURE)
    work_group_id = target.work_group_id(thing)
    attachments._lock_group(work_group_id)
    attachments._check_quota(work_group_id, upload.size)
    attachment = Attachment(target_kind=found.target_kind, target_id=context_id,
                            work_group_id=work_group_id, created_by_id=user.id,
                            created_at=utcnow(), purpose="picture")
    db.session.add(attachment)
    version = attachments._store_version(user, attachment, 1, upload)
    db.session.flush()
    attachments._changed(attachment, user, "added", None, 1)
    return version


# --- taking a picture down ------------------------------------------------------------------


@dataclass(frozen=True)
class PicturesPage:
    """The pictures added to a thing's texts, for one of its readers."""

    context: str
    context_id: int
    title: str
    noun: str
    pictures: list[Attachment]
    #: The listed pictures this reader may take down or put back.
    changeable: frozenset[int]


def _may_take_down(user: User, target: attachments.Target, thing: Any,
                   attachment: Attachment) -> bool:
    """Whoever added a picture takes it down (a photo that shows a pupil's face must be able
    to go at once), as do the people who change the thing's files."""
    return (attachment.created_by_id == user.id
            or attachments._may_change(user, target, thing, attachment))


def list_pictures(user: User, context: str, context_id: int) -> PicturesPage:
    """Every picture added to texts of the context's thing (newest first), for a reader of
    it. Taken-down pictures are listed only to those who may put them back."""
    found, target = _target(context)
    thing = target.load(user, context_id)
    found_pictures = list(db.session.scalars(
        select(Attachment)
        .where(Attachment.target_kind == found.target_kind,
               Attachment.target_id == context_id, Attachment.purpose == "picture")
        .options(selectinload(Attachment.versions).joinedload(AttachmentVersion.created_by))
        .order_by(Attachment.created_at.desc(), Attachment.id.desc())))
    changeable = frozenset(picture.id for picture in found_pictures
                           if _may_take_down(user, target, thing, picture))
    listed = [p for p in found_pictures if p.removed_at is None or p.id in changeable]
    return PicturesPage(context, context_id, target.title(thing), target.noun, listed,
                        changeable)


def _changeable_picture(user: User, context: str, context_id: int,
                        attachment_id: int) -> Attachment:
    """A picture of the context's thing the user may take down or put back: NotFound when
    it is not that thing's picture or they may not read the thing, Forbidden otherwise."""
    found, target = _target(context)
    attachment = db.session.get(Attachment, attachment_id)
    if (attachment is None or attachment.purpose != "picture"
            or attachment.target_kind != found.target_kind
            or attachment.target_id != context_id):
        raise NotFound()
    thing = target.load(user, context_id)
    if not _may_take_down(user, target, thing, attachment):
        raise Forbidden("Only the person who added a picture, or those who may change this "
                        f"{target.noun}'s files, can take it down.")
    return attachment


def take_down(user: User, context: str, context_id: int, attachment_id: int) -> Attachment:
    """Stop showing a picture to the thing's readers (reversible: its bytes are kept, and
    the text that shows it then shows its description only)."""
    attachment = _changeable_picture(user, context, context_id, attachment_id)
    if attachment.removed_at is None:
        attachment.removed_at = utcnow()
        attachment.removed_by_id = user.id
        db.session.flush()
        attachments._changed(attachment, user, "removed", attachment.current_number, None)
    return attachment


def put_back(user: User, context: str, context_id: int, attachment_id: int) -> Attachment:
    """Show a taken-down picture again."""
    attachment = _changeable_picture(user, context, context_id, attachment_id)
    if attachment.removed_at is not None:
        attachment.removed_at = None
        attachment.removed_by_id = None
        db.session.flush()
        attachments._changed(attachment, user, "restored", None, attachment.current_number)
    return attachment
