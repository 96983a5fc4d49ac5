"""Comment threads on any registered target: add, reply, edit with history, resolve, remove.

Permissions come from the target registry (app.comments.targets), which each feature fills
from app.policy; a thread the user may not see is NotFound, as is each of its comments.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from sqlalchemy import select, tuple_

from app import signals
from app.accounts.models import User, WorkGroup
from app.comments.mentions import find_mentions, highlight_mentions
from app.comments.models import Comment, CommentRevision, Mention
from app.comments.targets import Target, get_target
from app.core.markdown import SafeHtml, clean_text, render_markdown, rewrap_stored
from app.errors import Forbidden, NotFound, ValidationError
from app.extensions import db
from app.timeutil import utcnow

MAX_BODY = 10_000


# --- reading ------------------------------------------------------------------------------------


def target_for(user: User, kind: str, target_id: int) -> Target:
    """The registered target kind, if the user may see this target; NotFound otherwise."""
    target = get_target(kind)
    if target is None or not target.can_view(user, target_id):
        raise NotFound()
    return target


def get_comment(user: User, comment_id: int) -> tuple[Comment, Target]:
    comment = db.session.get(Comment, comment_id)
    if comment is None:
        raise NotFound()
    return comment, target_for(user, comment.target_type, comment.target_id)


def can_open_comment(user: User, comment_id: int) -> bool:
    """Visibility rule for `comment_id` in notification links (registered by init_app)."""
    try:
        get_comment(user, comment_id)
    except NotFound:
        return False
    return True


@dataclass
class CommentView:
    """One comment as this reader sees it: removed text never reaches the template."""

    comment: Comment
    html: SafeHtml
    anchor_label: str
    can_edit: bool
    can_resolve: bool
    can_delete: bool
    replies: list[CommentView] = field(default_factory=list)
    #: Where the field the comment is about sits on the target's page ("" for no link).
    anchor_url: str = ""

    @property
    def removed(self) -> bool:
        return self.comment.is_deleted

    @property
    def edited(self) -> bool:
        return self.comment.edited_at is not None and not self.removed


@dataclass
class Thread:
    """The comments on one target, threaded one level deep, oldest first."""

    target_type: str
    target_id: int
    title: str
    url: str
    items: list[CommentView]
    can_comment: bool
    anchors: list[tuple[str, str]]

    def __iter__(self) -> Iterator[CommentView]:
        return iter(self.items)

    @property
    def count(self) -> int:
        return sum(1 + len(item.replies) for item in self.items)

    def thread_of(self, comment_id: int | None) -> int | None:
        """The first comment of the thread a comment is in (None if not on this page)."""
        for item in self.items:
            if item.removed:
                continue  # it takes no replies, so its reply box is not on the page
            if comment_id == item.comment.id or any(
                    comment_id == reply.comment.id for reply in item.replies):
                return item.comment.id
        return None


def load_thread(user: User, kind: str, target_id: int) -> Thread:
    """The target's thread for this reader (NotFound if they may not see the target)."""
    target = target_for(user, kind, target_id)
    rows = db.session.scalars(select(Comment).where(
        Comment.target_type == kind, Comment.target_id == target_id)
        .order_by(Comment.created_at, Comment.id)).all()
    return _thread(user, target, target_id, rows)


def thread_from(user: User, kind: str, target_id: int, rows: Iterable[Comment]) -> Thread:
    """The thread from comments a page has already read with its own query (oldest first).

    Checks again that `user` may see the target; once the page has loaded the target, that
    costs no statement.
    """
    target = target_for(user, kind, target_id)
    return _thread(user, target, target_id, [c for c in rows
                                             if (c.target_type, c.target_id) == (kind, target_id)])


def _thread(user: User, target: Target, target_id: int, rows: Iterable[Comment]) -> Thread:
    kind = target.kind
    anchors = target.anchors(target_id)
    labels = dict(anchors)
    moderate = target.can_moderate(user, target_id)
    page = target.url(target_id) if target.anchor_links else ""
    views: dict[int, CommentView] = {}
    top: list[CommentView] = []
    for row in rows:
        mine = row.author_id == user.id and not row.is_deleted
        view = CommentView(
            comment=row, html=rewrap_stored(None if row.is_deleted else row.body_html),
            anchor_label=labels.get(row.anchor, row.anchor), can_edit=mine,
            can_resolve=row.parent_id is None and not row.is_deleted and (mine or moderate),
            can_delete=mine,
            anchor_url=f"{page}#field-{row.anchor}" if page and row.anchor in labels else "")
        views[row.id] = view
        parent = views.get(row.parent_id) if row.parent_id else None
        (parent.replies if parent else top).append(view)
    return Thread(kind, target_id, target.title(target_id), target.url(target_id), top,
                  target.can_comment(user, target_id), anchors)


def comment_history(user: User, comment_id: int
                    ) -> tuple[Comment, Target, list[CommentRevision]]:
    """Every version of a comment, oldest first; a removed comment's text only for its author."""
    comment, target = get_comment(user, comment_id)
    if comment.is_deleted and comment.author_id != user.id:
        return comment, target, []
    return comment, target, list(comment.revisions)


def comments_on(user: User, targets: Iterable[tuple[str, int]]) -> list[Comment]:
    """Comments (not removed) on the given targets that the user may see, oldest first."""
    visible = [(kind, target_id) for kind, target_id in dict.fromkeys(targets)
               if (t := get_target(kind)) is not None and t.can_view(user, target_id)]
    if not visible:
        return []
    return list(db.session.scalars(select(Comment).where(
        tuple_(Comment.target_type, Comment.target_id).in_(visible),
        Comment.deleted_at.is_(None)).order_by(Comment.created_at, Comment.id)))


# --- writing ------------------------------------------------------------------------------------


def _body(text: str, errors: dict[str, str]) -> str:
    body = clean_text(text or "").strip()
    if not body:
        errors["body"] = "Write your comment first."
    elif len(body) > MAX_BODY:
        errors["body"] = (f"The comment is too long: {len(body):,} characters; the limit is "
                          f"{MAX_BODY:,}. Shorten it and post again.")
    return body


def add_comment(user: User, kind: str, target_id: int, body: str, anchor: str = "",
                parent_id: int | None = None) -> Comment:
    """Post a comment (or a reply) on a target; @mentions of members are stored and notified."""
    target = target_for(user, kind, target_id)
    if not target.can_comment(user, target_id):
        raise Forbidden("Only members of the Work Group can comment here.")
    errors: dict[str, str] = {}
    text = _body(body, errors)
    anchor = (anchor or "").strip()
    if anchor and anchor not in dict(target.anchors(target_id)):
        errors["anchor"] = "Choose the part of the page from the list, or leave it blank."
    parent = None
    if parent_id is not None:
        parent = db.session.get(Comment, parent_id) if 0 < parent_id < 2**31 else None
        if parent is None or (parent.target_type, parent.target_id) != (kind, target_id):
            errors["body"] = "The comment you replied to is not on this page."
        elif parent.is_deleted:
            errors["body"] = "That comment was removed, so it cannot take replies."
        elif parent.parent_id is not None:
            parent = parent.parent  # replies are one level deep: join the thread instead
    if errors:
        raise ValidationError(fields=errors)
    comment = Comment(target_type=kind, target_id=target_id, anchor=anchor if not parent else
                      parent.anchor, parent=parent, author_id=user.id, body=text,
                      created_at=utcnow())
    comment.revisions.append(CommentRevision(number=1, body=text, edited_at=comment.created_at))
    db.session.add(comment)
    db.session.flush()
    mentioned = _render(user, comment, target)
    # Watchers of the plan hear of it (app.notifications decides who and how); those just
    # mentioned already have their own notification.
    signals.send(signals.comment_posted, comment=comment, user=user,
                 title=target.title(target_id), url=_comment_path(target, comment),
                 about=dict(target.anchors(target_id)).get(comment.anchor, ""),
                 mentioned=mentioned)
    return comment


def editable_comment(user: User, comment_id: int) -> tuple[Comment, Target]:
    """The user's own comment, not removed; Forbidden for anyone else's."""
    comment, target = get_comment(user, comment_id)
    if comment.author_id != user.id:
        raise Forbidden("Only the author can edit a comment.")
    if comment.is_deleted:
        raise ValidationError("That comment was removed, so it cannot be edited.")
    return comment, target


def edit_comment(user: User, comment_id: int, body: str) -> Comment:
    """Change your own comment; the earlier text is kept in its history."""
    comment, target = editable_comment(user, comment_id)
    errors: dict[str, str] = {}
    text = _body(body, errors)
    if errors:
        raise ValidationError(fields=errors)
    if text == comment.body:
        return comment
    now = utcnow()
    number = max((r.number for r in comment.revisions), default=0) + 1
    comment.revisions.append(CommentRevision(number=number, body=text, edited_at=now))
    comment.body, comment.edited_at = text, now
    _render(user, comment, target)
    return comment


def set_resolved(user: User, comment_id: int, resolved: bool) -> Comment:
    """Resolve or reopen a thread: its author, or someone who edits the target."""
    comment, target = get_comment(user, comment_id)
    if comment.author_id != user.id and not target.can_moderate(user, comment.target_id):
        raise Forbidden("Only the comment's author and the people who edit this page can "
                        "resolve it.")
    if comment.parent_id is not None or comment.is_deleted:
        raise ValidationError("Resolve the thread from its first comment.")
    comment.resolved = resolved
    comment.resolved_by_id, comment.resolved_at = (user.id, utcnow()) if resolved else (None,
                                                                                        None)
    return comment


def delete_comment(user: User, comment_id: int) -> Comment:
    """Remove your own comment: it shows as "comment removed"; the rows and history stay."""
    comment, _target = get_comment(user, comment_id)
    if comment.author_id != user.id:
        raise Forbidden("Only the author can remove a comment.")
    if comment.deleted_at is None:
        comment.deleted_at = utcnow()
    return comment


# --- rendering and mentions ----------------------------------------------------------------------


def _members(target: Target, target_id: int) -> list[User]:
    """Who can be mentioned: active members of the target's Work Group who can see it."""
    group_id = target.work_group_id(target_id)
    group = db.session.get(WorkGroup, group_id) if group_id else None
    if group is None:
        return []
    people = {m.user.id: m.user for m in group.memberships if not m.user.disabled}
    if group.lead is not None and not group.lead.disabled:
        people.setdefault(group.lead.id, group.lead)
    return [p for p in people.values() if target.can_view(p, target_id)]


def _comment_path(target: Target, comment: Comment) -> str:
    # Notifications carry site paths only, even when url_for built a full URL.
    parts = urlsplit(target.url(comment.target_id))
    return f"{parts.path}#comment-{comment.id}"


def _render(author: User, comment: Comment, target: Target) -> set[int]:
    """Render the body once (the one Markdown door), store mentions and notify new ones;
    returns the ids of everyone the comment mentions."""
    found = find_mentions(comment.body, _members(target, comment.target_id))
    html = render_markdown(comment.body)
    comment.body_html = str(highlight_mentions(html, [typed for _user, typed in found]))
    wanted = {person.id for person, _typed in found}
    had = {m.user_id for m in comment.mentions}
    comment.mentions = [m for m in comment.mentions if m.user_id in wanted]
    comment.mentions.extend(Mention(user_id=i) for i in sorted(wanted - had))
    url = _comment_path(target, comment)
    title = target.title(comment.target_id)
    for person_id in sorted(wanted - had - {author.id}):
        signals.send(signals.notify, user_id=person_id, kind="mention",
                     message=f"{author.display_name} mentioned you in a comment on “{title}”.",
                     url=url)
    return wanted
