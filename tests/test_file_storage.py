"""Content-addressed file storage (issue 15, item 5): both stores pass the same tests, on SQLite
and on PostgreSQL (when TEST_DATABASE_URL is set)."""

from __future__ import annotations

import hashlib
import io
import math
import os
import threading
import tracemalloc
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select, text, update

from app import create_app
from app.extensions import db
from app.files.models import FileBlob, FileChunk
from app.files.storage import (
    CHUNK_SIZE,
    BlobMissing,
    FolderStore,
    PostgresStore,
    files_dir,
    get_store,
)
from tests.conftest import build_app

MIB = 1024 * 1024
SIZES = {"empty": 0, "small": 11, "3 MiB": 3 * MIB + 123}


@pytest.fixture(params=["folder", "postgres"])
def store_app(app: Flask, tmp_path: Path, request: pytest.FixtureRequest) -> Flask:
    """The test app with one of the two stores, its folder inside the test's own directory."""
    app.config.update(FILES_BACKEND=request.param, FILES_DIR=str(tmp_path / "area" / "files"))
    return app


def content(size: int, seed: bytes = b"") -> bytes:
    """`size` bytes that differ from chunk to chunk (a swapped chunk changes the hash)."""
    block = hashlib.sha256(seed).digest()
    out = bytearray()
    while len(out) < size:
        block = hashlib.sha256(block).digest()
        out += block * 64
    return bytes(out[:size])


def put(app: Flask, data: bytes | io.BytesIO) -> str:
    with app.app_context():
        ref = get_store().put(data)
        db.session.commit()
        return ref.hash


def read(app: Flask, key: str) -> bytes:
    with app.app_context(), get_store().open(key) as stream:
        return stream.read()


def blob_rows(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(FileBlob)) or 0


def stored_files(app: Flask) -> list[Path]:
    root = Path(app.config["FILES_DIR"])
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


@pytest.mark.parametrize("size", SIZES.values(), ids=SIZES.keys())
def test_round_trip_as_bytes_and_as_a_stream(store_app, size):
    data = content(size)
    key = put(store_app, data)
    assert key == hashlib.sha256(data).hexdigest()
    assert read(store_app, key) == data
    assert put(store_app, io.BytesIO(data)) == key
    with store_app.app_context():
        store = get_store()
        assert store.exists(key)
        with store.open(key) as stream:  # read in small steps across chunk boundaries
            pieces = iter(lambda: stream.read(100_003), b"")
            assert b"".join(pieces) == data
        assert list(store.verify()) == []


def test_an_unknown_key_is_missing_not_an_error_page(store_app):
    unknown = hashlib.sha256(b"never stored").hexdigest()
    with store_app.app_context():
        store = get_store()
        assert not store.exists(unknown)
        with pytest.raises(BlobMissing):
            store.open(unknown)


def test_identical_content_is_stored_once(store_app):
    data = content(CHUNK_SIZE + 5, b"same")
    keys = {put(store_app, data), put(store_app, io.BytesIO(data)), put(store_app, data)}
    assert len(keys) == 1
    assert blob_rows(store_app) == 1
    with store_app.app_context():
        chunks = db.session.scalar(select(func.count()).select_from(FileChunk))
    if store_app.config["FILES_BACKEND"] == "postgres":
        assert chunks == 2 and stored_files(store_app) == []
    else:
        assert chunks == 0
        assert [p.name for p in stored_files(store_app)] == [keys.pop()]


def test_a_put_belongs_to_the_callers_transaction(store_app):
    with store_app.app_context():
        ref = get_store().put(b"never committed")
        db.session.rollback()
    assert blob_rows(store_app) == 0
    with store_app.app_context():
        assert get_store().exists(ref.hash) == (store_app.config["FILES_BACKEND"] == "folder")
        # A file left by a rolled-back put is not listed, so verify has nothing to say.
        assert list(get_store().verify()) == []


def test_streaming_put_does_not_hold_the_file_in_memory(store_app):
    data = content(16 * MIB, b"big")
    source = io.BytesIO(data)
    with store_app.app_context():
        store = get_store()
        tracemalloc.start()
        try:
            ref = store.put(source)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        db.session.commit()
    assert ref.size == len(data)
    # A few chunks' worth (reading, spooling, the driver's copy), never the file itself.
    assert peak < 6 * MIB, f"put held {peak / MIB:.1f} MiB for a 16 MiB file"
    assert read(store_app, ref.hash) == data


def _damage(app: Flask, corrupt: str, lose: str) -> None:
    """Change one byte of `corrupt` and remove the content of `lose`, behind the store's back."""
    with app.app_context():
        if app.config["FILES_BACKEND"] == "postgres":
            db.session.execute(update(FileChunk).where(
                FileChunk.hash == corrupt, FileChunk.seq == 1).values(data=b"x" * 100))
            db.session.execute(FileChunk.__table__.delete().where(FileChunk.hash == lose))
            db.session.commit()
        else:
            store = get_store()
            assert isinstance(store, FolderStore)
            path = store.path(corrupt)
            damaged = bytearray(path.read_bytes())
            damaged[CHUNK_SIZE + 7] ^= 0xFF  # same size, one bit pattern changed
            path.write_bytes(bytes(damaged))
            store.path(lose).unlink()


def test_verify_and_the_cli_report_a_corrupt_and_a_missing_blob(store_app):
    good = put(store_app, content(2 * MIB, b"good"))
    corrupt = put(store_app, content(2 * MIB, b"corrupt"))
    lose = put(store_app, content(3000, b"lose"))
    empty = put(store_app, b"")
    runner = store_app.test_cli_runner()
    healthy = runner.invoke(args=["files", "verify"])
    assert healthy.exit_code == 0, healthy.output
    assert "All 4 files are intact" in healthy.output
    assert "Checking files" in healthy.output

    _damage(store_app, corrupt, lose)
    with store_app.app_context():
        problems = {(p.hash, p.kind) for p in get_store().verify()}
    assert problems == {(corrupt, "corrupt"), (lose, "missing")}

    result = runner.invoke(args=["files", "verify"])
    assert result.exit_code == 1
    assert f"corrupt: {corrupt}" in result.output
    assert f"missing: {lose}" in result.output
    reported = [line for line in result.output.splitlines()
                if line.startswith(("missing:", "corrupt:"))]
    assert not [line for line in reported if good in line or empty in line]
    assert "2 of 4 files need attention" in result.output


def test_a_database_blob_with_a_lost_or_an_extra_chunk_is_corrupt(app):
    app.config["FILES_BACKEND"] = "postgres"
    short = put(app, content(3 * MIB, b"short"))
    long = put(app, content(MIB, b"long"))
    with app.app_context():
        db.session.execute(FileChunk.__table__.delete().where(
            FileChunk.hash == short, FileChunk.seq == 1))
        db.session.add(FileChunk(hash=long, seq=1, data=b"more"))
        db.session.commit()
        problems = {p.hash: p for p in get_store().verify()}
    assert {key: p.kind for key, p in problems.items()} == {short: "corrupt", long: "corrupt"}
    assert "chunk 1 is missing" in problems[short].detail
    assert "beyond" in problems[long].detail


def test_the_folder_store_never_writes_outside_its_folder(app, tmp_path):
    area = tmp_path / "area"
    area.mkdir()
    victim = area / "victim.txt"
    victim.write_text("not yours")
    app.config.update(FILES_BACKEND="folder", FILES_DIR=str(area / "files"))
    # The folder's parent holds nothing else of the test's (the database is elsewhere).
    before = set(area.rglob("*"))
    keys = {put(app, content(n, b"x")) for n in (0, 10, CHUNK_SIZE * 2 + 1)}
    keys.add(put(app, io.BytesIO(content(5000))))

    class Broken(io.RawIOBase):
        def readable(self) -> bool:
            return True

        def readinto(self, buffer) -> int:
            raise OSError("the upload was cut off")

    with app.app_context(), pytest.raises(OSError, match="cut off"):
        get_store().put(Broken())
    new = set(area.rglob("*")) - before
    root = area / "files"
    assert all(p.is_relative_to(root) for p in new), sorted(new)
    # Only `ab/cd/<key>` files: no temporary file left behind, not even by the failed put.
    assert sorted(p.relative_to(root).as_posix() for p in new if p.is_file()) == sorted(
        f"{k[:2]}/{k[2:4]}/{k}" for k in keys)

    with app.app_context():
        store = get_store()
        for bad in ("../victim.txt", "../../area/victim.txt", str(victim), "A" * 64,
                    "g" * 64, "a" * 63, "a" * 65, keys.copy().pop() + "/../../victim.txt"):
            for action in (store.open, store.exists, store.delete):
                with pytest.raises(ValueError):
                    action(bad)
    assert victim.read_text() == "not yours"


def test_auto_chooses_by_database_and_a_wrong_setting_fails_at_start(app, backend, tmp_path):
    with app.app_context():
        store = get_store()
    assert app.config["FILES_BACKEND"] == "auto"
    assert type(store) is (PostgresStore if backend == "postgresql" else FolderStore)
    # Unset, files live in the instance folder (the test apps keep theirs in tmp_path).
    bare = create_app({"TESTING": True, "SECRET_KEY": "x", "SEARCH_INDEXER": "off",
                       "SEARCH_INDEX_DIR": str(tmp_path / "index-bare"),
                       "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'bare.sqlite'}"})
    assert files_dir(bare) == os.path.join(bare.instance_path, "files")
    with pytest.raises(ValueError, match="FILES_BACKEND"):
        create_app({"TESTING": True, "SECRET_KEY": "x", "FILES_BACKEND": "s3",
                    "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.sqlite'}"})


def test_two_apps_on_one_database_read_each_others_blobs(store_app, backend, pg_schema,
                                                         tmp_path):
    """Two hosts on one PostgreSQL (postgres store: each has its own folder, unused), or two
    workers on one host (folder store: one folder)."""
    kind = store_app.config["FILES_BACKEND"]
    folder = (store_app.config["FILES_DIR"] if kind == "folder"
              else str(tmp_path / "other-host-files"))
    # The first app's tmp_path: on SQLite the second app opens the same database file.
    other = build_app(tmp_path, backend, pg_schema, FILES_BACKEND=kind, FILES_DIR=folder)
    try:
        first = put(store_app, content(CHUNK_SIZE + 1, b"one"))
        second = put(other, content(77, b"two"))
        assert read(other, first) == content(CHUNK_SIZE + 1, b"one")
        assert read(store_app, second) == content(77, b"two")
        if kind == "postgres":
            assert stored_files(store_app) == [] and stored_files(other) == []
    finally:
        with other.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.mark.parametrize("size", [10, 2 * MIB + 3], ids=["small", "chunked"])
def test_concurrent_puts_of_the_same_bytes_both_succeed(store_app, backend, size):
    """The second put waits on the first's uncommitted row, then finds it (PostgreSQL)."""
    if backend != "postgresql":
        pytest.skip("two writers at once: PostgreSQL")
    data = content(size, b"race")
    first_put, second_started = threading.Event(), threading.Event()
    second_pid: list[int] = []
    saw_wait: list[bool] = []
    errors: list[BaseException] = []
    keys: list[str] = []

    def first() -> None:
        with store_app.app_context():
            try:
                keys.append(get_store().put(data).hash)
                first_put.set()
                second_started.wait(10)
                # Commit only once the second put is blocked behind our row.
                with db.engine.connect() as watcher:
                    for _ in range(200):
                        waiting = watcher.scalar(text(
                            "SELECT count(*) FROM pg_locks WHERE pid = :pid AND NOT granted"),
                            {"pid": second_pid[0]})
                        if waiting:
                            saw_wait.append(True)
                            break
                        threading.Event().wait(0.025)
                db.session.commit()
            except BaseException as error:
                errors.append(error)
            finally:
                first_put.set()
                db.session.remove()

    def second() -> None:
        first_put.wait(10)
        with store_app.app_context():
            try:
                second_pid.append(db.session.scalar(text("SELECT pg_backend_pid()")))
                second_started.set()
                keys.append(get_store().put(data).hash)
                db.session.commit()
            except BaseException as error:
                errors.append(error)
            finally:
                second_started.set()
                db.session.remove()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert saw_wait == [True]
    assert len(keys) == 2 and len(set(keys)) == 1
    assert blob_rows(store_app) == 1
    assert read(store_app, keys[0]) == data
    with store_app.app_context():
        assert list(get_store().verify()) == []
        chunks = db.session.scalar(select(func.count()).select_from(FileChunk))
    assert chunks == (math.ceil(size / CHUNK_SIZE) if store_app.config["FILES_BACKEND"]
                      == "postgres" else 0)
