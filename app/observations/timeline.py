"""A lesson's (or a sequence's) story in time order: revisions, research lessons, observations,
agreed changes and comments, interleaved.

Each kind of event comes from a provider: a function from a TimelineScope to events. Providers
filter by the same permission rules as the pages (the scope carries the reader). A later
feature adds its own with register_timeline_provider (reviews will, for example).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from flask import url_for
from sqlalchemy import select

from app import policy
from app.accounts.models import User
from app.comments import services as comments
from app.comments.targets import get_target
from app.errors import NotFound
from app.extensions import db
from app.observations.models import AgreedChange, Noticing, ResearchLesson
from app.observations.services import visible_research_lessons
from app.planning import services as planning
from app.planning.models import Lesson, Sequence
from app.revisions.models import Revision
from app.timeutil import aware

KIND_LABELS: dict[str, str] = {
    "revision": "Plan revised",
    "research_lesson": "Research lesson taught",
    "observation": "Observation recorded",
    "discussion": "Post-lesson discussion",
    "change_raised": "Change agreed",
    "change_addressed": "Change addressed",
    "change_declined": "Change declined",
    "comment": "Comment",
}
#: Order of kinds at the same moment: the lesson is taught before it is observed, and so on.
_RANK: dict[str, int] = {kind: n for n, kind in enumerate(KIND_LABELS)}


@dataclass(frozen=True)
class TimelineEvent:
    time: dt.datetime
    kind: str
    title: str
    url: str
    #: Who did it (a display name), or "".
    actor: str = ""
    #: A plain-text line under the title (escaped when shown).
    detail: str = ""
    #: Where it sorts, when not at `time` (an event known only by its day).
    sort_time: dt.datetime | None = None

    @property
    def label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind.replace("_", " ").capitalize())

    @property
    def date_only(self) -> bool:
        """Research lessons are known by their day, not their time."""
        return self.kind == "research_lesson"


@dataclass(frozen=True)
class TimelineScope:
    """What a provider is asked about: lessons the reader may see, and perhaps their sequence."""

    user: User
    lessons: list[Lesson]
    sequence: Sequence | None = None

    @property
    def lesson_ids(self) -> list[int]:
        return [lesson.id for lesson in self.lessons]

    def lesson_title(self, lesson: Lesson) -> str:
        """"Lesson title: " on a sequence's timeline, where several lessons interleave."""
        return f"{lesson.title}: " if self.sequence is not None else ""


Provider = Callable[[TimelineScope], Iterable[TimelineEvent]]


def register_timeline_provider(provider: Provider) -> None:
    """Add a source of events to every timeline (registering the same function twice is a no-op)."""
    if provider not in PROVIDERS:
        PROVIDERS.append(provider)


def timeline(user: User, lesson: Lesson | None = None,
             sequence: Sequence | None = None) -> list[TimelineEvent]:
    """Every event of a lesson, or of a sequence and all its lessons, oldest first."""
    if lesson is not None:
        scope = TimelineScope(user, [lesson])
        shown = lesson.sequence
    elif sequence is not None:
        scope = TimelineScope(user, list(sequence.lessons), sequence)
        shown = sequence
    else:
        raise ValueError("timeline() needs a lesson or a sequence")
    if not policy.can_view_sequence(user, shown):
        raise NotFound()
    events = [event for provider in PROVIDERS for event in provider(scope)]
    return sorted(events, key=lambda e: (aware(e.sort_time or e.time),
                                         _RANK.get(e.kind, len(_RANK))))


# --- the providers this feature brings ----------------------------------------------------------


def revision_events(scope: TimelineScope) -> Iterable[TimelineEvent]:
    by_document = {lesson.document_id: lesson for lesson in scope.lessons}
    documents = set(by_document)
    if scope.sequence is not None:
        documents.add(scope.sequence.document_id)
    rows = db.session.scalars(select(Revision).where(Revision.document_id.in_(documents))
                              .order_by(Revision.created_at, Revision.id))
    for revision in rows:
        lesson = by_document.get(revision.document_id)
        summary = f": {revision.summary}" if revision.summary else ""
        if lesson is not None:
            title = f"{scope.lesson_title(lesson)}revision {revision.number}{summary}"
            url = url_for("planning.lesson_revision", lesson_id=lesson.id,
                          number=revision.number)
        else:
            assert scope.sequence is not None
            title = f"Sequence revision {revision.number}{summary}"
            url = url_for("planning.sequence_revision", sequence_id=scope.sequence.id,
                          number=revision.number)
        yield TimelineEvent(revision.created_at, "revision", title[0].upper() + title[1:], url,
                            revision.author.display_name)


def research_lesson_events(scope: TimelineScope) -> Iterable[TimelineEvent]:
    for rl in visible_research_lessons(scope.user, scope.lesson_ids):
        yield from _research_lesson_events(scope, rl)


def _research_lesson_events(scope: TimelineScope,
                            rl: ResearchLesson) -> Iterable[TimelineEvent]:
    page = url_for("observations.research_lesson", research_lesson_id=rl.id)
    prefix = scope.lesson_title(rl.lesson)
    # Known by its day only: shown on that day and sorted at its start, except after a
    # revision written that same day (a plan revised in the morning, taught that afternoon).
    taught = dt.datetime.combine(rl.taught_on, dt.time(0, 0), tzinfo=dt.UTC)
    written = aware(rl.revision.created_at)
    yield TimelineEvent(taught, "research_lesson",
                        f"{prefix}{rl.kind_label} of revision {rl.revision_number}, taught by "
                        f"{rl.teacher.display_name}", page, rl.teacher.display_name,
                        rl.research_focus,
                        sort_time=written if written.date() == rl.taught_on else None)
    for observation in rl.observations:
        yield TimelineEvent(observation.created_at, "observation",
                            f"{prefix}Observation by {observation.observer.display_name}",
                            f"{page}#observation-{observation.id}",
                            observation.observer.display_name)
    if rl.discussion is not None:
        yield TimelineEvent(rl.discussion.created_at, "discussion",
                            f"{prefix}Post-lesson discussion recorded", f"{page}#discussion",
                            rl.discussion.updated_by.display_name)
    for change in rl.agreed_changes:
        anchor = f"{page}#change-{change.id}"
        yield TimelineEvent(change.created_at, "change_raised", f"{prefix}Change agreed",
                            anchor, change.created_by.display_name, change.text)
        if change.status == "addressed" and change.addressed_at is not None:
            yield TimelineEvent(
                change.addressed_at, "change_addressed",
                f"{prefix}Change addressed in revision {change.addressed_revision_number}",
                url_for("planning.lesson_compare", lesson_id=rl.lesson_id,
                        a=rl.revision_number, b=change.addressed_revision_number),
                change.addressed_by.display_name if change.addressed_by else "", change.text)
        if change.status == "declined" and change.declined_at is not None:
            yield TimelineEvent(change.declined_at, "change_declined",
                                f"{prefix}Change declined", anchor,
                                change.declined_by.display_name if change.declined_by else "",
                                f"{change.text} — {change.declined_reason}")


def comment_events(scope: TimelineScope) -> Iterable[TimelineEvent]:
    targets = [("lesson", lesson.id) for lesson in scope.lessons]
    if scope.sequence is not None:
        targets.append(("sequence", scope.sequence.id))
    targets += [("observation", rl.id)
                for rl in visible_research_lessons(scope.user, scope.lesson_ids)]
    for comment in comments.comments_on(scope.user, targets):
        target = get_target(comment.target_type)
        assert target is not None
        where = target.title(comment.target_id)
        text = " ".join(comment.body.split())
        yield TimelineEvent(comment.created_at, "comment", f"Comment on “{where}”",
                            f"{target.url(comment.target_id)}#comment-{comment.id}",
                            comment.author.display_name,
                            text if len(text) <= 140 else text[:139].rstrip() + "…")


# --- threads: observation → agreed change → the revision that made it -------------------------


@dataclass(frozen=True)
class Evidence:
    """One "I noticed" note behind a change, with who noticed it."""

    observer: str
    noticing: Noticing


@dataclass(frozen=True)
class Thread:
    """An agreed change read as a story: what observers noticed in the research lesson, the
    change agreed, and the revision that addressed it (or why it was declined, or still open)."""

    research_lesson: ResearchLesson
    change: AgreedChange
    evidence: list[Evidence]
    #: True when the notes are about the change's own field; False when they are all the
    #: lesson's notes (the change names no field, or no note was about that field).
    evidence_matches_field: bool
    #: The comparison of the revision taught with the one that addressed the change, or "".
    revision_url: str


def threads(user: User, lessons: list[Lesson]) -> list[Thread]:
    """The agreed changes of the research lessons the user may see on these lessons, in the
    order taught and agreed, each with its evidence and the revision that addressed it."""
    out: list[Thread] = []
    rls = visible_research_lessons(user, [lesson.id for lesson in lessons])
    for rl in sorted(rls, key=lambda r: (r.taught_on, r.id)):
        noted = [Evidence(o.observer.display_name, n) for o in rl.observations
                 for n in o.noticings]
        for change in rl.agreed_changes:
            about = [e for e in noted if change.field_key
                     and e.noticing.field_key == change.field_key]
            url = ""
            if change.status == "addressed" and change.addressed_revision_number:
                url = url_for("planning.lesson_compare", lesson_id=rl.lesson_id,
                              a=rl.revision_number, b=change.addressed_revision_number)
            out.append(Thread(rl, change, about or noted, bool(about), url))
    return out


def lesson_page(user: User, lesson_id: int) -> tuple[Lesson, list[TimelineEvent]]:
    """A lesson the user may read and its timeline (NotFound otherwise)."""
    lesson = planning.get_lesson(user, lesson_id)
    return lesson, timeline(user, lesson=lesson)


def sequence_page(user: User, sequence_id: int) -> tuple[Sequence, list[TimelineEvent]]:
    sequence = planning.get_sequence(user, sequence_id)
    return sequence, timeline(user, sequence=sequence)


#: Every timeline asks each of these, in turn; other features append theirs.
PROVIDERS: list[Provider] = [revision_events, research_lesson_events, comment_events]
