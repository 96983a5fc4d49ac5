"""Agreed changes: changes to a lesson's plan agreed after a research lesson, from open to
declined (with a reason), reopened, or addressed by a later revision of the lesson."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import select

from app.accounts.models import User
from app.core.text import is_whole_number
from app.errors import Forbidden, NotFound, ValidationError
from app.extensions import db
from app.observations import permissions, validation
from app.observations.models import (
    FIELD_LABELS,
    AgreedChange,
    ResearchLesson,
)
from app.observations.research_lessons import (
    get_research_lesson,
    tell_teacher,
    visible_research_lessons,
)
from app.observations.validation import MAX_CHANGE
from app.planning.models import Lesson
from app.timeutil import utcnow


def _manageable(user: User, research_lesson_id: int) -> ResearchLesson:
    research_lesson = get_research_lesson(user, research_lesson_id)
    if not permissions.can_manage_agreed_changes(user, research_lesson):
        raise Forbidden("Only the teacher, the observers and the Work Group Lead record agreed "
                        "changes.")
    return research_lesson


def get_change(user: User, change_id: int) -> AgreedChange:
    change = db.session.get(AgreedChange, change_id)
    if change is None or not permissions.can_view_research_lesson(user, change.research_lesson):
        raise NotFound()
    return change


def add_agreed_change(user: User, research_lesson_id: int, text: str,
                      field_key: str = "") -> AgreedChange:
    """Record a change to the plan agreed in the discussion (it starts open)."""
    research_lesson = _manageable(user, research_lesson_id)
    errors: dict[str, str] = {}
    value = validation.text({"change_text": text}, "change_text", "The agreed change", errors,
                            limit=MAX_CHANGE, required="Write the change that was agreed.",
                            pupils=True)
    if field_key and field_key not in FIELD_LABELS:
        errors["change_field"] = "Choose the part of the plan from the list."
    if errors:
        raise ValidationError(fields=errors)
    change = AgreedChange(research_lesson=research_lesson, text=value, field_key=field_key,
                          status="open", created_by_id=user.id)
    db.session.add(change)
    db.session.flush()
    tell_teacher(research_lesson, user, "agreed_change",
          f"Agreed change for “{research_lesson.lesson.title}”: {value}")
    return change


def decline_change(user: User, change_id: int, reason: str) -> AgreedChange:
    """Decline an open change, saying why (the reason stays on the record)."""
    change = get_change(user, change_id)
    _manageable(user, change.research_lesson_id)
    errors: dict[str, str] = {}
    value = validation.text({"reason": reason}, "reason", "The reason", errors,
                            limit=MAX_CHANGE, required="Say why the change is declined.")
    if change.status != "open":
        errors["reason"] = "Only an open change can be declined."
    if errors:
        raise ValidationError(fields=errors)
    change.status, change.declined_reason = "declined", value
    change.declined_by_id, change.declined_at = user.id, utcnow()
    return change


def reopen_change(user: User, change_id: int) -> AgreedChange:
    """Reopen a declined change (an addressed one stays tied to its revision)."""
    change = get_change(user, change_id)
    _manageable(user, change.research_lesson_id)
    if change.status != "declined":
        raise ValidationError("Only a declined change can be reopened.")
    change.status, change.declined_reason = "open", ""
    change.declined_by_id = change.declined_at = None
    return change


def mark_addressed(user: User, change_id: int, revision_number: int | None) -> AgreedChange:
    """Mark one change addressed by a revision of its lesson saved after the one taught."""
    change = get_change(user, change_id)
    if revision_number is None:
        raise ValidationError(fields={"revision_number": "Choose the revision that made it."})
    lesson = change.research_lesson.lesson
    address_changes(user, lesson, revision_number, [change.id], field="revision_number")
    return change


def open_changes_for_lesson(user: User, lesson: Lesson) -> list[AgreedChange]:
    """Open agreed changes from the research lessons on this lesson that the user may see."""
    visible = visible_research_lessons(user, [lesson.id])
    by_id = {r.id: r for r in visible}
    rows = db.session.scalars(select(AgreedChange).where(
        AgreedChange.research_lesson_id.in_(set(by_id) or {-1}), AgreedChange.status == "open")
        .order_by(AgreedChange.research_lesson_id, AgreedChange.id))
    return sorted(rows, key=lambda c: in_order_taught(by_id[c.research_lesson_id], c))


def in_order_taught(research_lesson: ResearchLesson, change: AgreedChange) -> tuple[date, int]:
    """How a lesson's open changes are listed: by the day taught, then as agreed."""
    return research_lesson.taught_on, change.id


def address_changes(user: User, lesson: Lesson, revision_number: int | None,
                    change_ids: Iterable[int | str], *, field: str = "addresses"
                    ) -> list[AgreedChange]:
    """Mark open changes of research lessons on THIS lesson as addressed by a revision of it.

    A change of another lesson, one already closed or one the user may not see is a field error
    on `addresses` (nothing is marked); so is a revision that is not this lesson's or is not
    later than the one taught, and None (the save changed nothing). The caller commits, with
    the lesson save, in one transaction.
    """
    raw = [str(i).strip() for i in change_ids]
    if not raw:
        return []
    if not can_edit_lesson(user, lesson):
        raise Forbidden("Only editors of this lesson can mark agreed changes addressed.")
    ids = list(dict.fromkeys(int(i) if is_whole_number(i) and len(i) < 10 else 0 for i in raw))
    changes = db.session.scalars(select(AgreedChange).where(AgreedChange.id.in_(ids))).all()
    found = {c.id: c for c in changes}
    wrong = [i for i in ids if i not in found
             or found[i].research_lesson.lesson_id != lesson.id
             or not permissions.can_view_research_lesson(user, found[i].research_lesson)]
    if wrong:
        raise ValidationError(fields={field: "Tick only open agreed changes from research "
                                             "lessons on this lesson."})
    closed = [found[i] for i in ids if found[i].status != "open"]
    if closed:
        raise ValidationError(fields={field: f"“{_short(closed[0].text)}” is already "
                                             f"{closed[0].status_label.lower()}."})
    if revision_number is None:
        raise ValidationError(fields={field: "Nothing in the plan changed, so no new revision "
                                             "addresses these changes yet: make the change, "
                                             "then save."})
    if revision_number < 1 or revision_number > lesson.document.head_number:
        raise ValidationError(fields={field: "Choose a revision of this lesson."})
    taught = max(found[i].research_lesson.revision_number for i in ids)
    if revision_number <= taught:
        raise ValidationError(fields={field: f"Revision {revision_number} is not later than "
                                             f"the one taught (revision {taught}): save the "
                                             "change to the plan first."})
    now = utcnow()
    marked = [found[i] for i in ids]
    for change in marked:
        change.status, change.addressed_revision_number = "addressed", revision_number
        change.addressed_by_id, change.addressed_at = user.id, now
    return marked


def can_edit_lesson(user: User, lesson: Lesson) -> bool:
    """Whether the user may revise the lesson's plan (and so mark its changes addressed)."""
    from app import policy

    return policy.can_edit_sequence(user, lesson.sequence)


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
