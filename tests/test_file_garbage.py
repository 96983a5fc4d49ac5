"""Stored content nothing uses (issue 15, item 5): `flask files verify` lists it and
`flask files gc` deletes it once older than a grace period, on both stores, never content a
file version names (removed files included: removal can be undone)."""

from __future__ import annotations

import os
import time
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import select, update

from app.accounts.models import User
from app.extensions import db
from app.files import attachments, garbage
from app.files.models import AttachmentVersion, FileBlob, FileChunk
from app.files.storage import FolderStore, get_store
from app.timeutil import utcnow
from tests.planning_helpers import signed_in
from tests.test_attachments import pdf, team  # noqa: F401 - fixture
from tests.test_file_storage import content

HOUR = 3600


@pytest.fixture(params=["folder", "postgres"])
def files(request, app, team) -> SimpleNamespace:  # noqa: F811
    """The team's app with one of the two stores."""
    app.config["FILES_BACKEND"] = request.param
    return team


def attach(app, user_id: int, lesson_id: int, name: str, data: bytes) -> tuple[int, str]:
    """A file attached through the service (committed): its attachment id and blob key."""
    with app.app_context():
        user = db.session.get(User, user_id)
        attachment = attachments.add(user, lesson_id, name, data)
        result = attachment.id, attachment.current.blob_hash
        db.session.commit()
        return result


def put(app, data: bytes, *, keep: bool = True) -> str:
    """Content stored with no version naming it; `keep=False` rolls the put back (the folder
    store's file stays behind: a stray)."""
    with app.app_context():
        key = get_store().put(data).hash
        if keep:
            db.session.commit()
        else:
            db.session.rollback()
        return key


def blob_path(app, key: str) -> Path:
    with app.app_context():
        store = get_store()
        return store.path(key) if isinstance(store, FolderStore) else Path("/nonexistent")


def age(app, key: str, hours: float) -> None:
    """Make a blob (its row, and its file on the folder store) look `hours` old."""
    when = utcnow() - timedelta(hours=hours)
    with app.app_context():
        db.session.execute(update(FileBlob).where(FileBlob.hash == key)
                           .values(created_at=when))
        db.session.commit()
    age_file(blob_path(app, key), hours)


def age_file(path: Path, hours: float) -> None:
    if path.exists():
        then = time.time() - hours * HOUR
        os.utime(path, (then, then))


def catalogued(app) -> set[str]:
    with app.app_context():
        return set(db.session.scalars(select(FileBlob.hash)))


def readable(app, key: str) -> bytes | None:
    with app.app_context():
        store = get_store()
        if not store.exists(key):
            return None
        with store.open(key) as stream:
            return stream.read()


def folder_files(app) -> set[str]:
    root = Path(app.config["FILES_DIR"])
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()} \
        if root.exists() else set()


def where(key: str) -> str:
    return f"{key[:2]}/{key[2:4]}/{key}"


def test_verify_lists_unused_blobs_and_stray_files_but_not_what_versions_use(app, files):
    used_data, unused_data, stray_data = pdf(b"% used\n"), content(5000, b"u"), content(70, b"s")
    attachment_id, used = attach(app, files.owner.id, files.lesson_id, "used.pdf", used_data)
    unused = put(app, unused_data)
    stray = put(app, stray_data, keep=False)
    result = app.test_cli_runner().invoke(args=["files", "verify"])
    assert result.exit_code == 0, result.output
    assert "All 2 files are intact" in result.output
    assert f"unused: {unused} (5000 bytes" in result.output
    assert used not in result.output
    if app.config["FILES_BACKEND"] == "folder":
        assert f"stray: {where(stray)} (70 bytes" in result.output
        assert "2 stored files are used by no file version" in result.output
    else:
        assert stray not in result.output
        assert "1 stored files are used by no file version" in result.output


def test_gc_deletes_only_old_content_no_version_uses(app, files):
    folder = app.config["FILES_BACKEND"] == "folder"
    kept_data = pdf(b"% kept\n")
    removed_data = pdf(b"% removed\n")
    _, kept = attach(app, files.owner.id, files.lesson_id, "kept.pdf", kept_data)
    removed_id, removed = attach(app, files.owner.id, files.lesson_id, "removed.pdf",
                                 removed_data)
    with app.app_context():
        attachments.remove(db.session.get(User, files.owner.id), files.lesson_id, removed_id)
        db.session.commit()
    old_unused = put(app, content(3 * 1024 * 1024 + 5, b"old"))  # several chunks
    young_unused = put(app, content(900, b"young"))
    old_stray = put(app, content(80, b"old stray"), keep=False)
    young_stray = put(app, content(81, b"young stray"), keep=False)
    temporary = Path(app.config["FILES_DIR"]) / ".put-abc123.tmp"
    if folder:
        temporary.write_bytes(b"half an upload")
        age_file(temporary, 3)
    for key in (kept, removed, old_unused, old_stray):
        age(app, key, 2)
    age(app, young_unused, 0.5)

    dry = app.test_cli_runner().invoke(args=["files", "gc", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert f"would delete unused: {old_unused}" in dry.output
    assert young_unused not in dry.output and kept not in dry.output
    assert removed not in dry.output
    assert old_unused in catalogued(app)  # a dry run deletes nothing

    result = app.test_cli_runner().invoke(args=["files", "gc"])
    assert result.exit_code == 0, result.output
    assert "Collecting unused files" in result.output
    assert catalogued(app) == {kept, removed, young_unused}
    # Files in use, a removed one (it can be restored) and young content still serve.
    assert readable(app, kept) == kept_data and readable(app, removed) == removed_data
    assert readable(app, young_unused) == content(900, b"young")
    assert readable(app, old_unused) is None
    with app.app_context():
        assert db.session.scalar(select(FileChunk.hash).where(
            FileChunk.hash == old_unused)) is None
    if folder:
        assert "Deleted 3 unused files" in result.output
        assert folder_files(app) == {where(kept), where(removed), where(young_unused),
                                     where(young_stray)}
    else:
        assert "Deleted 1 unused files (3 MB)" in result.output
    verify = app.test_cli_runner().invoke(args=["files", "verify"])
    assert verify.exit_code == 0 and "All 3 files are intact" in verify.output

    # Removal undone: the file is downloadable again, with its content.
    with app.app_context():
        attachments.restore(db.session.get(User, files.owner.id), files.lesson_id, removed_id)
        db.session.commit()
    owner = signed_in(app, files.owner)
    with app.app_context():
        version_id = db.session.scalar(select(AttachmentVersion.id).where(
            AttachmentVersion.blob_hash == removed))
    assert owner.get(f"/files/{version_id}/removed.pdf").data == removed_data


def test_gc_checks_again_as_it_deletes(app, files):
    """What was unused and old when found, but is in use or stored again by the time it is
    deleted, stays: a version named it, or an upload stored the same content again."""
    reused_data = pdf(b"% reused\n")
    reused = put(app, reused_data)
    renewed_data = content(2000, b"renewed")
    renewed = put(app, renewed_data)
    stray_data = content(60, b"stray")
    stray = put(app, stray_data, keep=False)
    for key in (reused, renewed, stray):
        age(app, key, 2)
    with app.app_context():
        found = list(garbage.find(get_store()))
    assert {item.name for item in found} >= {reused, renewed}

    # Meanwhile: a teacher uploads the same bytes as `reused` (a version names it now), the
    # same as `renewed` is stored again, and the stray file's row is committed.
    attach(app, files.owner.id, files.lesson_id, "reused.pdf", reused_data)
    assert put(app, renewed_data) == renewed
    folder = app.config["FILES_BACKEND"] == "folder"
    if folder:  # (the database store keeps nothing of a rolled-back put)
        with app.app_context():
            db.session.add(FileBlob(hash=stray, size=len(stray_data)))
            db.session.commit()
    for key in (reused, stray):  # as old as before, so only the in-use checks protect them
        age(app, key, 2)
    age_file(blob_path(app, renewed), 2)  # only its renewed row protects it

    with app.app_context():
        done = garbage.collect(get_store(), found)
    assert done.deleted == []
    assert readable(app, reused) == reused_data
    assert readable(app, renewed) == renewed_data
    if folder:
        assert readable(app, stray) == stray_data
    with app.app_context():
        assert list(get_store().verify()) == []


def test_gc_grace_period_can_be_shortened_and_refuses_nonsense(app, files):
    young = put(app, content(500, b"young"))
    age(app, young, 0.2)
    runner = app.test_cli_runner()
    kept = runner.invoke(args=["files", "gc"])
    assert "Deleted 0 unused files" in kept.output and young in catalogued(app)
    assert runner.invoke(args=["files", "gc", "--grace-minutes", "-5"]).exit_code == 2
    done = runner.invoke(args=["files", "gc", "--grace-minutes", "5"])
    assert done.exit_code == 0 and "Deleted 1 unused files" in done.output
    assert young not in catalogued(app)
    assert "grace-minutes" in runner.invoke(args=["files", "gc", "--help"]).output


def test_gc_leaves_a_stray_file_an_upload_is_storing_again_right_now(app, files):
    """Folder store: a file left by a rolled-back upload, old when found, is written again by
    an upload of the same content whose row is not committed yet: the file stays."""
    if app.config["FILES_BACKEND"] != "folder":
        pytest.skip("stray files: folder store")
    data = content(3000, b"again")
    stray = put(app, data, keep=False)
    age_file(blob_path(app, stray), 2)
    with app.app_context():
        found = list(garbage.find(get_store()))
    assert [(item.kind, item.name) for item in found] == [("stray", where(stray))]
    with app.app_context():
        get_store().put(data)  # in flight: written, its row not committed yet
        with app.app_context():  # the collector's own session
            done = garbage.collect(get_store(), found)
        db.session.commit()
    assert done.deleted == [] and done.kept == 1
    assert readable(app, stray) == data
    with app.app_context():
        assert list(get_store().verify()) == []
