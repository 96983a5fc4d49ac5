"""A database that is away or locked answers 503 with Retry-After, and Coplan recovers alone.

PostgreSQL is reached through a small TCP proxy so the test can cut the connection (and every
open one) and bring it back on the same port, as a restart or network blip would. SQLite is
locked by another connection holding the write lock past a short busy timeout.
"""

from __future__ import annotations

import socket
import sqlite3
import threading
import uuid
from types import SimpleNamespace

import pytest
from flask import Flask, request, session
from sqlalchemy import text
from sqlalchemy.engine import make_url

from app.extensions import db, login_manager
from tests.conftest import PASSWORD, PASSWORD_HASH, PG_URL, build_app, pg_schema_url

AWAY = "Coplan will be back shortly"
KEPT = "what you typed is still on the page you came from"
LEAKS = ("Traceback", "OperationalError", "psycopg", "sqlite3", "SELECT", "UPDATE")


class TcpProxy:
    """Forwards 127.0.0.1:<port> to the real database; stop() cuts every open connection."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = 0
        self._listener: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()

    def start(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        # The same port again after stop(): closed connections linger in TIME_WAIT on it.
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(16)
        listener.settimeout(0.05)
        self.port = listener.getsockname()[1]
        self._listener = listener
        self._stopping.clear()
        self._thread = threading.Thread(target=self._accept, args=(listener,), daemon=True)
        self._thread.start()

    def _accept(self, listener: socket.socket) -> None:
        while not self._stopping.is_set():
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            client.settimeout(None)
            try:
                upstream = socket.create_connection(self.target, timeout=5)
                upstream.settimeout(None)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._sockets.update((client, upstream))
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(src, dst), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            self._close(src, dst)

    def _close(self, *socks: socket.socket) -> None:
        for sock in socks:
            with self._lock:
                self._sockets.discard(sock)
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()

    def stop(self) -> None:
        """Refuse new connections and kill the open ones (the app's pooled connections die)."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        with self._lock:
            open_sockets = list(self._sockets)
        self._close(*open_sockets)


def add_user(app: Flask) -> SimpleNamespace:
    from app.accounts.models import User

    with app.app_context():
        user = User(email=f"outage-{uuid.uuid4().hex[:8]}@school.example.org",
                    display_name="Outage Teacher", password_hash=PASSWORD_HASH)
        db.session.add(user)
        db.session.commit()
        return SimpleNamespace(id=user.id, email=user.email, table=User.__tablename__)


def log_in(client, user: SimpleNamespace) -> None:
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]


def change_password(client):
    new = "a brand new passphrase for coplan " + uuid.uuid4().hex[:6]
    return client.post("/account", data={"current_password": PASSWORD, "new_password": new,
                                         "confirm": new})


def assert_unavailable(response) -> None:
    body = response.get_data(as_text=True)
    assert response.status_code == 503, body[:500]
    assert response.headers["Retry-After"] == "30"
    assert AWAY in body and KEPT in body
    for leak in LEAKS:
        assert leak not in body, leak


def dispose(app: Flask) -> None:
    from app.search.worker import stop_thread

    stop_thread(app)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.mark.postgres
@pytest.mark.skipif(not PG_URL, reason="PostgreSQL not configured: set TEST_DATABASE_URL")
def test_postgresql_going_away_is_a_503_and_comes_back_without_a_restart(
        tmp_path, pg_schema, monkeypatch) -> None:
    real = make_url(PG_URL)
    proxy = TcpProxy((real.host or "127.0.0.1", real.port or 5432))
    proxy.start()
    via_proxy = real.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    app = build_app(tmp_path, "postgresql", pg_schema,
                    SQLALCHEMY_DATABASE_URI=pg_schema_url(via_proxy, pg_schema))
    try:
        user = add_user(app)
        client = app.test_client()
        log_in(client, user)
        assert client.get("/").status_code == 200

        # A blip between two requests kills the pooled connections; the next page must not
        # be the one to find out (the pool tests a connection before handing it out).
        proxy.stop()
        proxy.start()
        assert client.get("/").status_code == 200

        # Record what the user loader meets, to show the failure starts there.
        loader_errors: list[Exception] = []
        loader = login_manager._user_callback

        def watched_loader(value):
            try:
                return loader(value)
            except Exception as error:
                loader_errors.append(error)
                raise

        monkeypatch.setattr(login_manager, "_user_callback", watched_loader)

        proxy.stop()
        assert_unavailable(client.get("/"))
        assert loader_errors, "the outage should be met in Flask-Login's user loader"
        assert_unavailable(change_password(client))
        json = client.get("/", headers={"Accept": "application/json"})
        assert json.status_code == 503 and json.headers["Retry-After"] == "30"
        assert json.get_json()["error"] == AWAY

        proxy.start()  # the same port: the app is not rebuilt or told anything
        assert client.get("/").status_code == 200
        assert client.get("/account").status_code == 200
    finally:
        proxy.stop()
        dispose(app)


def test_sqlite_write_lock_is_a_503_not_a_500(tmp_path) -> None:
    app = build_app(tmp_path, "sqlite", None, SQLITE_BUSY_TIMEOUT_MS=150)

    @app.before_request
    def write_first() -> None:
        """A hook that writes, as a last-seen stamp would: its failure is a 503 too."""
        if request.headers.get("X-Test-Write"):
            # Start the browser session afresh first, as logging in again does: the 503 must
            # hand back the cookie the request came with, or the user would be signed out.
            session.clear()
            db.session.execute(text(f"UPDATE {user.table} SET display_name = display_name"))
            db.session.commit()
        if request.headers.get("X-Test-Broken"):
            db.session.execute(text("SELECT * FROM no_such_table"))

    try:
        user = add_user(app)
        client = app.test_client()
        log_in(client, user)
        assert client.get("/").status_code == 200

        locker = sqlite3.connect(tmp_path / "test.sqlite", isolation_level=None, timeout=0)
        locker.execute("BEGIN EXCLUSIVE")  # held until rollback: every other writer waits
        try:
            assert_unavailable(change_password(client))
            assert_unavailable(client.get("/", headers={"X-Test-Write": "1"}))
            # Still signed in, and reading works under the write lock (WAL): no false 503.
            assert client.get("/").status_code == 200
        finally:
            locker.rollback()
            locker.close()

        assert change_password(client).status_code == 302
        assert client.get("/account").status_code == 200
        # Only a locked or unreachable database is a 503: a broken query is still our bug.
        broken = client.get("/", headers={"X-Test-Broken": "1"})
        assert broken.status_code == 500 and "Retry-After" not in broken.headers
    finally:
        dispose(app)
