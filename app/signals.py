"""Every cross-feature event and question, as blinker signals in one place.

The sender is always the Flask app. A feature subscribes in its own `init_app` with
`signal.connect(handler, sender=app)`, so a handler fires only for the app that wired it: two
apps built in one process (as the tests do) never see each other's handlers. Senders use
`send(current_app, ...)` for events and `answers(signal, ...)` for questions whose
receivers return a value; with nobody subscribed an event is a no-op and a question gets [].
"""

from __future__ import annotations

from typing import Any

from blinker import NamedSignal, Namespace
from flask import current_app

_signals = Namespace()

#: A revision of any versioned document (a lesson, a sequence, session notes, an action
#: plan) was flushed and is about to be committed; sent by app.revisions.events.
#: Keyword arguments: session (the SQLAlchemy session), revision (app.revisions.models.Revision).
revision_saved = _signals.signal("revision-saved")

#: Someone asked for a review (the request is flushed, so it has an id). Keyword arguments:
#: review (app.reviews.models.ReviewRequest), subject (app.planning.history.Subject: the
#: lesson or sequence), user (who asked).
review_requested = _signals.signal("review-requested")

#: A reviewer decided a review (flushed). Keyword arguments: review (the ReviewRequest),
#: subject (its Subject), user (the reviewer), decision (app.reviews.models.ReviewDecision).
review_decided = _signals.signal("review-decided")

#: An observer recorded their observation of a research lesson (the first save, not later
#: edits). Keyword arguments: observation (app.observations.models.Observation), user.
observation_recorded = _signals.signal("observation-recorded")

#: People were invited to observe a research lesson (flushed; only those newly added).
#: Keyword arguments: research_lesson (app.observations.models.ResearchLesson), user (who
#: invited them), user_ids (list of int).
observers_invited = _signals.signal("observers-invited")

#: Someone posted a comment or reply (flushed, body rendered). Keyword arguments: comment
#: (app.comments.models.Comment), user (its author), title (the target's title), url (a site
#: path to the comment), about (the label of the field it is about, or ""), mentioned (set of
#: user ids the comment @mentions).
comment_posted = _signals.signal("comment-posted")

#: Something wants a person told: user_id, kind, message, url (a site path).
notify = _signals.signal("notify")

#: Question: the link target for a `[[pd:key]]` reference (key); a LinkTarget or None.
material_link = _signals.signal("material-link")

#: Question: the evidence behind a plan change (user, item, from_number, to_number);
#: each receiver returns a list of (title, url, text).
review_evidence = _signals.signal("review-evidence")

#: Question: awareness sections for a Work Group page (user, group, since); each receiver
#: returns a list of (heading, [(title, url, text), ...]).
session_digest = _signals.signal("session-digest")

#: Question: the date of a Work Group's last session before today (group); a date or None.
last_session_date = _signals.signal("last-session-date")


def send(signal: NamedSignal, **kwargs: Any) -> None:
    """Announce an event to the current app's subscribers."""
    # Flask types current_app as Flask, but it is a LocalProxy that has this method.
    signal.send(current_app._get_current_object(), **kwargs)  # type: ignore[attr-defined]


def answers(signal: NamedSignal, **kwargs: Any) -> list[Any]:
    """Ask the current app's subscribers; their return values, in subscription order."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # as in send()
    return [value for _receiver, value in signal.send(app, **kwargs)]

#: A file of a plan, board thread or session was added, replaced, removed or restored
#: (flushed). Keyword arguments: attachment (app.files.models.Attachment), user, change
#: ("added", "replaced", "removed" or "restored"), before (the version number it had, or
#: None), after (the version number it has now, or None when removed).
files_changed = _signals.signal("files-changed")

#: Question: the files of lessons or sequences that their search documents include (kind,
#: ids); each receiver returns {id: [{"name": shown name, "text": extracted text}, ...]}, the
#: current version of each file not removed, in the order they were added.
search_file_texts = _signals.signal("search-file-texts")

#: A lesson was moved to another sequence (flushed). Keyword arguments: lesson
#: (app.planning.models.Lesson, already in its new sequence), source (the sequence it left).
lesson_moved = _signals.signal("lesson-moved")
