"""What can be commented on: each app's target kinds and who may see or comment on each.

A feature plugs its things in with register_target(app, kind, can_view, can_comment, …) from
its init_app; the kinds live in the app's registry (app.registry), so two apps never share them.
The comment services ask the registry and never decide permissions themselves. The kinds
registered here:

* "lesson" and "sequence": plans, read and edited under app.policy;
* "observation": a research-lesson record (the whole TRG record, as the domain model calls an
  observation), under app.observations.permissions. target_id is the ResearchLesson id.

app.workgroups registers "board" and "action_plan" the same way (app/workgroups/targets.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from flask import Flask, url_for

from app import policy
from app.accounts.models import User
from app.extensions import db
from app.observations import permissions
from app.observations.models import ResearchLesson
from app.planning.fields import LESSON_FIELDS, SEQUENCE_TEXT_FIELDS
from app.planning.models import Lesson, Sequence
from app.registry import registry

Check = Callable[[User, int], bool]
_T = TypeVar("_T")


@dataclass(frozen=True)
class Target:
    """How one kind of thing takes comments. Every callable gets the target's id."""

    kind: str
    #: May this user read the thing (and so its comments)? False for a missing id.
    can_view: Check
    #: May they add comments and replies?
    can_comment: Check
    #: May they resolve and unresolve anyone's comments (authors always may their own)?
    can_moderate: Check
    #: The Work Group whose members can be @mentioned; None for none.
    work_group_id: Callable[[int], int | None]
    #: The page the thread appears on (called inside a request or app context).
    url: Callable[[int], str]
    title: Callable[[int], str]
    #: The fields a comment may be anchored to, as (key, label).
    anchors: Callable[[int], list[tuple[str, str]]]
    #: Does the page have an element id="field-<key>" for each anchor, for a comment to link to?
    anchor_links: bool = False


def register_target(app: Flask, kind: str, can_view: Check, can_comment: Check, *,
                    can_moderate: Check | None = None,
                    work_group_id: Callable[[int], int | None] = lambda _id: None,
                    url: Callable[[int], str] = lambda _id: "/",
                    title: Callable[[int], str] = lambda _id: "",
                    anchors: Callable[[int], list[tuple[str, str]]] = lambda _id: [],
                    anchor_links: bool = False) -> None:
    """Make a kind of thing commentable (registering a kind again replaces it)."""
    registry(app).comment_targets[kind] = Target(kind, can_view, can_comment,
                           can_moderate or (lambda _user, _id: False), work_group_id, url,
                           title, anchors, anchor_links)


def get_target(kind: str) -> Target | None:
    """The current app's target for a kind, or None when nothing registered it."""
    return registry().comment_targets.get(kind)


def existing(load: Callable[[int], _T | None], target_id: int) -> _T:
    """The thing `load` finds for a target id that can_view has already found."""
    item = load(target_id)
    # The engine asks a target's group, title and anchors only after can_view found it.
    assert item is not None, f"no comment target {target_id}"
    return item


# --- the kinds this app has now ---------------------------------------------------------------


def _lesson(target_id: int) -> Lesson | None:
    return db.session.get(Lesson, target_id)


def _sequence(target_id: int) -> Sequence | None:
    return db.session.get(Sequence, target_id)


def _research_lesson(target_id: int) -> ResearchLesson | None:
    return db.session.get(ResearchLesson, target_id)


def _plan_rules(load: Callable[[int], _T | None], sequence_of: Callable[[_T], Sequence]
                ) -> tuple[Check, Check, Check]:
    """can_view, can_comment and can_moderate for a plan (a lesson or a sequence)."""
    def can_view(user: User, target_id: int) -> bool:
        item = load(target_id)
        return item is not None and policy.can_view_sequence(user, sequence_of(item))

    def can_comment(user: User, target_id: int) -> bool:
        # Readers from elsewhere in the hub may read a shared plan's thread, not join it.
        item = load(target_id)
        return item is not None and policy.can_view_sequence(user, sequence_of(item)) and \
            permissions.in_work_group(user, sequence_of(item).work_group)

    def can_moderate(user: User, target_id: int) -> bool:
        item = load(target_id)
        return item is not None and policy.can_edit_sequence(user, sequence_of(item))

    return can_view, can_comment, can_moderate


def register_targets(app: Flask) -> None:
    """Register "lesson", "sequence" and "observation" (called by app.comments.init_app)."""
    view, comment, moderate = _plan_rules(_lesson, lambda lesson: lesson.sequence)
    register_target(
        app, "lesson", view, comment, can_moderate=moderate,
        work_group_id=lambda i: existing(_lesson, i).sequence.work_group_id,
        url=lambda i: url_for("planning.lesson", lesson_id=i),
        title=lambda i: existing(_lesson, i).title,
        anchors=lambda _i: [(f.key, f.label) for f in LESSON_FIELDS], anchor_links=True)

    view, comment, moderate = _plan_rules(_sequence, lambda sequence: sequence)
    register_target(
        app, "sequence", view, comment, can_moderate=moderate,
        work_group_id=lambda i: existing(_sequence, i).work_group_id,
        url=lambda i: url_for("planning.sequence", sequence_id=i),
        title=lambda i: existing(_sequence, i).title,
        anchors=lambda _i: [("title", "Title")] + [(f.key, f.label)
                                                  for f in SEQUENCE_TEXT_FIELDS],
        anchor_links=True)

    def rl_check(rule: Callable[[User, ResearchLesson], bool]) -> Check:
        def check(user: User, target_id: int) -> bool:
            item = _research_lesson(target_id)
            return item is not None and rule(user, item)
        return check

    register_target(
        app, "observation", rl_check(permissions.can_view_research_lesson),
        rl_check(permissions.can_view_research_lesson),
        can_moderate=rl_check(permissions.can_edit_research_lesson),
        work_group_id=lambda i: existing(_research_lesson, i).work_group_id,
        url=lambda i: url_for("observations.research_lesson", research_lesson_id=i),
        title=lambda i: existing(_research_lesson, i).title,
        anchors=lambda _i: OBSERVATION_ANCHORS)


OBSERVATION_ANCHORS: list[tuple[str, str]] = [
    ("pre_lesson", "Pre-lesson notes"), ("plan", "The plan as taught"),
    ("observations", "Observations"), ("discussion", "Post-lesson discussion"),
    ("agreed_changes", "Agreed changes"),
]

