"""The text inside attached PDF, DOCX and PPTX files, for search (issue 15, item 6).

Nothing heavy happens in the request that uploads a file: its new version is stored with no
text (`text` and `text_note` both NULL: waiting). Once that response has gone, a thread of the
process that served it reads every waiting version (`extract_pending`); `flask files extract`
does the same by hand or from cron, and picks up whatever a process that died left behind.

Several workers and hosts: a version is claimed with one conditional UPDATE, committed before
its file is read, so two readers never take the same one; a claim older than CLAIM_TIMEOUT
belongs to a reader that died and may be taken again. No process keeps anything another one
needs: the database says what is waiting.

Reading is app.core.files.extract's, in a child process limited in memory, CPU and wall-clock
time (FILES_EXTRACT_MEMORY_MB, FILES_EXTRACT_TIMEOUT_S) and in characters (FILES_TEXT_MAX_CHARS);
whatever goes wrong ends as a note shown on the Files page, never as an error for anyone. No
database transaction is open while the child runs. Pictures and types with no reader are marked
done without reading them.

Search: the text is written in a transaction that also marks the file's plan for re-indexing, so
the host's indexer (or, on the PostgreSQL backend, that very commit) re-indexes it; every other
change to a file (added, replaced, removed, restored, a plan revision restored) marks it too
(`_collect`), so the text of a removed or replaced file stops matching. The plan's search
document holds the text (app.planning.search_docs asks `texts_for_search`), with the plan's
own access tokens: whoever cannot see the plan cannot find it by its files' words either.

FILES_EXTRACTOR: "thread" (after each response that added a file) or "off" (only `flask files
extract`). Unset, it is "thread", except in tests (TESTING), which read files when they say so.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from typing import Any, Final, cast

from flask import (
    Flask,
    Response,
    after_this_request,
    current_app,
    g,
    has_app_context,
    has_request_context,
)
from sqlalchemy import ColumnElement, CursorResult, and_, event, func, inspect, or_, select, update
from sqlalchemy.orm import Session, UOWTransaction

from app import signals
from app.core.files.extract import (
    DEFAULT_MAX_MEMORY_MB,
    DEFAULT_TIMEOUT_S,
    NOTE_UNREADABLE,
    Extracted,
    extract_text,
)
from app.core.markdown import clean_text
from app.database import unit_of_work
from app.extensions import db
from app.files.models import Attachment, AttachmentVersion
from app.files.storage import BlobCorrupt, BlobMissing, get_store
from app.search import indexer, sources
from app.timeutil import utcnow

#: A claim older than this belongs to a reader that died: the version may be taken again. Far
#: longer than one file may take (FILES_EXTRACT_TIMEOUT_S).
CLAIM_TIMEOUT: Final = timedelta(minutes=5)
#: Characters of one file's text kept for search (the rest is noted as not searchable).
DEFAULT_TEXT_MAX_CHARS: Final = 100_000
#: The kinds of file (app.core.files.inspect) a reader may find text in.
READABLE_KINDS: Final = frozenset({"pdf", "document", "slides"})
#: How many waiting versions one look at the database lists.
_BATCH: Final = 50
_RUNNER: Final = "coplan.files_extraction"
_SCHEDULED: Final = "files_extract_scheduled"


def init_app(app: Flask) -> None:
    """Read new files' text after the responses that added them; mark their plans for
    re-indexing whenever a file changes; give search the files' text."""
    app.extensions[_RUNNER] = _Runner()
    signals.files_changed.connect(_on_files_changed, sender=app)
    signals.search_file_texts.connect(texts_for_search, sender=app)
    # On the Session class, like the search indexer's own hooks: one listener serves every app.
    if not event.contains(Session, "after_flush", _collect):
        event.listen(Session, "after_flush", _collect)


# --- in the request --------------------------------------------------------------------------


def _on_files_changed(app: Flask, *, attachment: Attachment, change: str, after: int | None,
                      **_: Any) -> None:
    if change not in ("added", "replaced") or after is None:
        return
    version = next((v for v in attachment.versions if v.number == after), None)
    if version is None:
        return
    if attachment.purpose != "file" or version.kind not in READABLE_KINDS:
        # Nothing to read (a picture, a spreadsheet): done now, so no reader is started.
        version.text = ""


def _read_after_response(app: Flask) -> None:
    """Start this process's reader once the response has gone (and the upload committed)."""
    if not has_request_context() or extractor_mode(app) != "thread" or g.get(_SCHEDULED):
        return
    g.setdefault(_SCHEDULED, True)

    @after_this_request
    def start(response: Response) -> Response:
        # Below 400 the request's unit of work has committed (app/lifecycle.py); otherwise
        # the upload is gone and there is nothing to read.
        if response.status_code < 400:
            response.call_on_close(partial(kick, app))
        return response


def extractor_mode(app: Flask) -> str:
    """FILES_EXTRACTOR: "thread" or "off" (tests default to "off")."""
    return str(app.config.get("FILES_EXTRACTOR") or ("off" if app.testing else "thread"))


def _collect(session: Session, _context: UOWTransaction) -> None:
    """After each flush, mark the plans whose files changed for re-indexing, and have a
    request that added a version to read start the reader after its response (an upload, a
    copy made by "Adapt for my school": whatever made it)."""
    if not has_app_context():
        return
    if has_request_context() and any(
            isinstance(obj, AttachmentVersion) and obj.kind in READABLE_KINDS
            # The state's own dict: reading the deferred column here would load it mid-flush.
            and inspect(obj).dict.get("text") is None for obj in session.new):
        _read_after_response(current_app._get_current_object())  # type: ignore[attr-defined]
    keys = {f"{obj.target_kind}:{obj.target_id}"
            for obj in (*session.new, *session.dirty, *session.deleted)
            if isinstance(obj, Attachment) and obj.purpose != "picture"}
    searchable = [key for key in keys if sources.is_searchable(key.partition(":")[0])]
    if searchable:
        indexer.touch(searchable)


# --- for search documents ------------------------------------------------------------------


def texts_for_search(_app: Flask, *, kind: str, ids: list[int]
                     ) -> dict[int, list[dict[str, str]]]:
    """{id: [{"name", "text"}, ...]}: the current version of each file (not picture) of these
    lessons or sequences that is not removed, in the order they were added; one query."""
    if not ids:
        return {}
    rows = db.session.execute(
        select(Attachment.target_id, AttachmentVersion.display_name, AttachmentVersion.text)
        .join(AttachmentVersion, and_(AttachmentVersion.attachment_id == Attachment.id,
                                      AttachmentVersion.number == Attachment.current_number))
        .where(Attachment.target_kind == kind, Attachment.target_id.in_(ids),
               Attachment.purpose == "file", Attachment.removed_at.is_(None))
        .order_by(Attachment.target_id, Attachment.id))
    files: dict[int, list[dict[str, str]]] = {}
    for target_id, name, text in rows:
        files.setdefault(target_id, []).append({"name": name, "text": text or ""})
    return files


# --- reading -------------------------------------------------------------------------------


@dataclass
class Summary:
    """What one pass did."""

    #: Versions whose text is now searchable (all of it or its beginning).
    read: int = 0
    #: Versions that got a note instead (unreadable, too slow, no text, no reader).
    noted: int = 0
    #: Pictures and types with no reader, marked done without reading.
    skipped: int = 0
    notes: list[str] = field(default_factory=list)


def _waiting(now: Any) -> ColumnElement[bool]:
    return and_(AttachmentVersion.text.is_(None), AttachmentVersion.text_note.is_(None),
                or_(AttachmentVersion.extract_claimed_at.is_(None),
                    AttachmentVersion.extract_claimed_at < now - CLAIM_TIMEOUT))


def pending_count() -> int:
    """Versions waiting for their text (claims of readers that died included)."""
    count = db.session.scalar(select(func.count()).select_from(AttachmentVersion)
                              .where(_waiting(utcnow())))
    db.session.rollback()  # only read
    return int(count or 0)


def extract_pending(progress: Callable[[int], None] | None = None) -> Summary:
    """Read every waiting version, oldest first, each at most once per call (one that comes
    back to waiting meanwhile waits for the next call).

    Every step is its own small unit of work, so call it with no work of your own open.
    """
    summary = Summary()
    after = 0
    while True:
        with unit_of_work() as session:
            ids = list(session.scalars(
                select(AttachmentVersion.id)
                .where(_waiting(utcnow()), AttachmentVersion.id > after)
                .order_by(AttachmentVersion.id).limit(_BATCH)))
        if not ids:
            return summary
        for version_id in ids:
            after = version_id
            outcome = extract_version(version_id)
            if outcome == "read":
                summary.read += 1
            elif outcome == "skipped":
                summary.skipped += 1
            elif outcome is not None:
                summary.noted += 1
                summary.notes.append(outcome)
            if progress is not None:
                progress(1)


def extract_version(version_id: int) -> str | None:
    """Claim one waiting version, read its text and store it (or a note).

    Returns "read", "skipped" (nothing to read), the note stored, or None when the version
    was not waiting (done, or another reader holds it)."""
    if not _claim(version_id):
        return None
    with unit_of_work() as session:
        row = session.execute(
            select(AttachmentVersion.blob_hash, AttachmentVersion.kind, Attachment.purpose,
                   Attachment.target_kind, Attachment.target_id)
            .join(Attachment, Attachment.id == AttachmentVersion.attachment_id)
            .where(AttachmentVersion.id == version_id)).one_or_none()
        if row is None:
            return None
        blob_hash, kind, purpose, target_kind, target_id = row
        data = None
        if purpose == "file" and kind in READABLE_KINDS:
            data = _read_blob(blob_hash, version_id)
    # The child runs with no transaction open: a slow file holds no lock and no connection.
    if purpose != "file" or kind not in READABLE_KINDS:
        result, outcome = Extracted(""), "skipped"
    elif data is None:
        result = Extracted("", NOTE_UNREADABLE)
        outcome = NOTE_UNREADABLE
    else:
        config = current_app.config
        result = extract_text(
            data, kind,
            max_chars=int(config.get("FILES_TEXT_MAX_CHARS", DEFAULT_TEXT_MAX_CHARS)),
            timeout_s=float(config.get("FILES_EXTRACT_TIMEOUT_S", DEFAULT_TIMEOUT_S)),
            max_memory_mb=int(config.get("FILES_EXTRACT_MEMORY_MB", DEFAULT_MAX_MEMORY_MB)))
        outcome = result.note if result.note and not result.text else "read"
    with unit_of_work() as session:
        # Still waiting: a reader that retook an expired claim and finished first wins.
        stored = cast("CursorResult[Any]", session.execute(
            update(AttachmentVersion)
            .where(AttachmentVersion.id == version_id, AttachmentVersion.text.is_(None),
                   AttachmentVersion.text_note.is_(None))
            .values(text=clean_text(result.text), text_note=result.note,
                    extract_claimed_at=None)
            .execution_options(synchronize_session=False))).rowcount
        if stored and purpose == "file" and sources.is_searchable(target_kind):
            indexer.touch([f"{target_kind}:{target_id}"])
    return outcome if stored else None


def _claim(version_id: int) -> bool:
    """Take the version if it is waiting and nobody holds it (committed at once)."""
    now = utcnow()
    with unit_of_work() as session:
        claimed = cast("CursorResult[Any]", session.execute(
            update(AttachmentVersion)
            .where(AttachmentVersion.id == version_id, _waiting(now))
            .values(extract_claimed_at=now)
            .execution_options(synchronize_session=False))).rowcount
    return bool(claimed)


def _read_blob(blob_hash: str, version_id: int) -> bytes | None:
    """The stored bytes, or None (logged) when the store has lost or damaged them."""
    try:
        with get_store().open(blob_hash) as handle:
            return handle.read()
    except (BlobMissing, BlobCorrupt, FileNotFoundError) as error:
        current_app.logger.warning("File version %s: stored content unreadable (%s); "
                                   "`flask files verify` lists what is missing", version_id,
                                   error)
        return None


# --- the after-response reader ---------------------------------------------------------------


@dataclass
class _Runner:
    """This process's reader thread: at most one, started when needed, gone when idle."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    thread: threading.Thread | None = None
    pid: int = 0
    #: Asked again while running: another pass before it stops.
    again: bool = False


def kick(app: Flask) -> None:
    """Make sure this process reads the waiting files soon (a thread; one at most)."""
    runner: _Runner = app.extensions[_RUNNER]
    with runner.lock:
        running = runner.thread
        # A forked worker inherits the parent's object but not its thread: check the pid.
        if running is not None and runner.pid == os.getpid() and running.is_alive():
            runner.again = True
            return
        runner.again = False
        runner.pid = os.getpid()
        runner.thread = threading.Thread(target=_run, args=(app, runner), daemon=True,
                                         name="files-extract")
        runner.thread.start()


def _run(app: Flask, runner: _Runner) -> None:
    while True:
        with app.app_context():
            try:
                extract_pending()
            except Exception:  # the rows keep the work: a later pass or the CLI retries
                app.logger.exception("Reading attached files' text failed; "
                                     "`flask files extract` will retry")
            finally:
                db.session.remove()
        with runner.lock:
            if not runner.again:
                runner.thread = None
                return
            runner.again = False


def wait_idle(app: Flask, timeout: float = 60.0) -> bool:
    """Wait for this process's reader to finish (tests, shutdown); False if it still runs."""
    runner: _Runner = app.extensions[_RUNNER]
    thread = runner.thread
    if thread is not None:
        thread.join(timeout)
        return not thread.is_alive()
    return True
