"""The Work Group's discussion board: threads between sessions, on the comment engine.

A thread is a top-level comment on target ("board", work group id); its replies are the
engine's replies, so Markdown, mentions, edit history, resolve and remove all come from
app.comments. The title and category live on a BoardThread row that points at the first
comment. A top-level board comment posted some other way (say from the engine's generic page)
still shows, titled by its first line.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from app.accounts.models import User, WorkGroup
from app.comments import services as comments
from app.comments.models import Comment
from app.core.text import one_line
from app.errors import Forbidden, NotFound, ValidationError
from app.extensions import db
from app.timeutil import aware
from app.workgroups import permissions
from app.workgroups.models import BOARD_CATEGORIES, BoardThread

KIND = "board"
MAX_TITLE = 200


def get_group(user: User, work_group_id: int) -> WorkGroup:
    """A Work Group whose board the user may see; NotFound otherwise."""
    group = db.session.get(WorkGroup, work_group_id)
    if group is None or not permissions.can_view_board(user, group):
        raise NotFound()
    return group


def _fallback_title(body: str) -> str:
    line = next((x.strip(" #*_>") for x in body.splitlines() if x.strip()), "")
    return (line[:80] + "…") if len(line) > 80 else (line or "Untitled thread")


@dataclass
class ThreadSummary:
    comment: Comment
    title: str
    category: str
    replies: int
    reply_ids: list[int]
    last_activity: object

    @property
    def category_label(self) -> str:
        return BOARD_CATEGORIES.get(self.category, self.category)


def list_threads(user: User, work_group_id: int, category: str = "",
                 show: str = "open") -> tuple[WorkGroup, list[ThreadSummary]]:
    """The board's threads, most recently active first; filter by category and open/resolved."""
    group = get_group(user, work_group_id)
    roots = db.session.scalars(select(Comment).where(
        Comment.target_type == KIND, Comment.target_id == group.id,
        Comment.parent_id.is_(None))).all()
    meta = {t.comment_id: t for t in db.session.scalars(select(BoardThread).where(
        BoardThread.work_group_id == group.id))}
    # Keyed by Comment.parent_id, a nullable column; the query keeps only replies.
    replies: dict[int | None, list[tuple[int, datetime]]] = {}
    for reply_id, parent_id, created in db.session.execute(
            select(Comment.id, Comment.parent_id, Comment.created_at).where(
                Comment.target_type == KIND, Comment.target_id == group.id,
                Comment.parent_id.is_not(None), Comment.deleted_at.is_(None))):
        replies.setdefault(parent_id, []).append((reply_id, created))
    out = []
    for root in roots:
        thread = meta.get(root.id)
        kind = thread.category if thread else "general"
        if category and kind != category:
            continue
        if (show == "open" and root.resolved) or (show == "resolved" and not root.resolved):
            continue
        mine = replies.get(root.id, [])
        last = max([aware(root.created_at)] + [aware(c) for _i, c in mine])
        title = thread.title if thread else _fallback_title("" if root.is_deleted else root.body)
        out.append(ThreadSummary(root, title, kind, len(mine), [i for i, _c in mine], last))
    out.sort(key=lambda t: (t.last_activity, t.comment.id), reverse=True)
    return group, out


def create_thread(user: User, work_group_id: int, title: str, category: str,
                  body: str) -> BoardThread:
    """Start a thread: its first comment (through the engine) and its title."""
    group = get_group(user, work_group_id)
    if not permissions.can_post_on_board(user, group):
        raise Forbidden("Only members of the Work Group post on its board.")
    errors: dict[str, str] = {}
    title = one_line(title or "")
    if not title:
        errors["title"] = "Give the thread a title, e.g. “Bar models for sharing vs grouping?”."
    elif len(title) > MAX_TITLE:
        errors["title"] = f"Keep the title to {MAX_TITLE} characters (it has {len(title)})."
    if category not in BOARD_CATEGORIES:
        errors["category"] = "Choose what kind of thread this is."
    try:
        comment = comments.add_comment(user, KIND, group.id, body)
    except ValidationError as error:
        errors.update(error.fields or {"body": error.message})
    if errors:
        raise ValidationError(fields=errors)
    thread = BoardThread(work_group_id=group.id, comment_id=comment.id, title=title,
                         category=category, created_by_id=user.id)
    db.session.add(thread)
    db.session.flush()
    return thread


@dataclass(frozen=True)
class ThreadRef:
    """A board thread without its replies: enough to name it and decide who may act on it."""

    group: WorkGroup
    #: The thread's first comment: its id is the thread's id in URLs.
    root: Comment
    title: str

    @property
    def id(self) -> int:
        return self.root.id


def get_thread(user: User, comment_id: int) -> ThreadRef:
    """A thread on a board the user may see; NotFound otherwise (also for a reply's id)."""
    root = db.session.get(Comment, comment_id)
    if root is None or root.target_type != KIND or root.parent_id is not None:
        raise NotFound()
    group = get_group(user, root.target_id)
    meta = db.session.scalar(select(BoardThread).where(BoardThread.comment_id == root.id))
    title = meta.title if meta else _fallback_title("" if root.is_deleted else root.body)
    return ThreadRef(group, root, title)


@dataclass
class ThreadPage:
    group: WorkGroup
    title: str
    category: str
    #: The engine's Thread, narrowed to this thread's first comment and its replies.
    thread: comments.Thread
    root: comments.CommentView
    can_reply: bool

    @property
    def category_label(self) -> str:
        return BOARD_CATEGORIES.get(self.category, self.category)


def thread_page(user: User, work_group_id: int, comment_id: int) -> ThreadPage:
    """One thread: its opening post and replies, as this reader may see and act on them."""
    group = get_group(user, work_group_id)
    root = db.session.get(Comment, comment_id)
    if root is None or root.target_type != KIND or root.target_id != group.id or \
            root.parent_id is not None:
        raise NotFound()
    full = comments.load_thread(user, KIND, group.id)
    view = next(v for v in full.items if v.comment.id == root.id)
    meta = db.session.scalar(select(BoardThread).where(BoardThread.comment_id == root.id))
    narrowed = comments.Thread(full.target_type, full.target_id, full.title, full.url, [view],
                               full.can_comment, [])
    title = meta.title if meta else _fallback_title("" if root.is_deleted else root.body)
    return ThreadPage(group, title, meta.category if meta else "general", narrowed, view,
                      full.can_comment and not root.is_deleted)


def thread_count(work_group_id: int) -> int:
    """Open threads on a group's board (for the Work Group page)."""
    return db.session.scalar(select(func.count(Comment.id)).where(
        Comment.target_type == KIND, Comment.target_id == work_group_id,
        Comment.parent_id.is_(None), Comment.resolved.is_(False),
        Comment.deleted_at.is_(None))) or 0
