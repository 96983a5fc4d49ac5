"""Duplicating a lesson into this or another sequence the user may edit."""

from __future__ import annotations

from dataclasses import dataclass

from app import policy, revisions
from app.accounts.models import User
from app.errors import ValidationError
from app.planning import presenters, services
from app.planning.fields import MAX_TITLE_CHARS
from app.planning.models import Lesson


def duplicate_lesson(user: User, lesson_id: int, target_id: int) -> Lesson:
    """A new lesson at the end of `target_id` with the source's current plan (its text,
    duration and linked PD materials); the source is only read, the target must be editable
    (NotFound or Forbidden otherwise, as for any edit)."""
    source = services.get_lesson(user, lesson_id)
    target = services.editable_sequence(user, target_id)
    if target.is_archived:
        raise ValidationError(fields={"target_id": "Restore that sequence before adding to it."})
    head = revisions.head_revision(source.document)
    assert head is not None  # a lesson has its first revision from the moment it is added
    fields = dict(head.fields)
    # In the same sequence a second lesson of the same name would be confusing.
    title = source.title if target.id != source.sequence_id else f"{source.title} (copy)"
    lesson = services.add_lesson(user, target.id, title[:MAX_TITLE_CHARS], fields=fields)
    services.sync_material_links(target.id, lesson.id, fields)
    return lesson


@dataclass
class DuplicateTargets:
    """The choices on the "Duplicate this lesson" page."""

    here: bool
    others: presenters.MoveTargets


def duplicate_targets(user: User, lesson: Lesson, query: str) -> DuplicateTargets:
    """This sequence (when the user may edit it) and the Work Group's other editable ones."""
    return DuplicateTargets(policy.can_edit_sequence(user, lesson.sequence) and
                            not lesson.sequence.is_archived,
                            presenters.move_targets(user, lesson, query))
