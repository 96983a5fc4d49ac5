"""Two app hosts on one PostgreSQL serve each other's uploads (issue 15, item 5).

Two real gunicorn processes, each with its own files folder and search index (no shared
disk), on the same PostgreSQL database: a file uploaded through one host's Files page is
downloaded, byte for byte, through the other's, and neither host's folder holds a file (the
store chosen automatically on PostgreSQL keeps them in the database). Skipped without
PostgreSQL (TEST_DATABASE_URL).
"""

from __future__ import annotations

import hashlib
import http.cookiejar
import io
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from tests.conftest import PASSWORD
from tests.test_attachments import pdf, png, team  # noqa: F401 - fixture

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Host:
    name: str
    base: str
    folder: Path
    log: Path


@contextmanager
def _host(tmp_path: Path, name: str, database_uri: str) -> Iterator[Host]:
    """One gunicorn (one sync worker) in its own process group, with its own folders."""
    port = _free_port()
    folder = tmp_path / f"{name}-files"
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("FILES_", "SEARCH_", "DATABASE_", "COPLAN_", "FLASK_"))}
    env.update({"DATABASE_URL": database_uri, "SECRET_KEY": "two-hosts-secret",
                "FILES_DIR": str(folder), "SEARCH_INDEX_DIR": str(tmp_path / f"{name}-index"),
                "SEARCH_INDEXER": "off"})
    log = tmp_path / f"{name}.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-w", "1", "-b", f"127.0.0.1:{port}",
             "--timeout", "120", "wsgi:app"], cwd=ROOT, env=env, stdout=out,
            stderr=subprocess.STDOUT, start_new_session=True)
    try:
        yield Host(name, f"http://127.0.0.1:{port}", folder, log)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _wait_until_up(host: Host) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(host.base + "/login", timeout=10).close()
            return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"host {host.name} did not start: {host.log.read_text()[-2000:]}")


class Person:
    """A signed-in teacher's browser on one host (its own cookies)."""

    def __init__(self, host: Host, email: str) -> None:
        self.host = host
        jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        page = self.get("/login")[1].decode()
        status, _ = self.post("/login", {"csrf_token": self.token(page), "email": email,
                                         "password": PASSWORD})
        assert status == 200, f"login on {host.name} answered {status}"

    @staticmethod
    def token(page: str) -> str:
        found = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert found, "no CSRF token on the page"
        return found[1]

    def get(self, path: str) -> tuple[int, bytes]:
        try:
            with self.opener.open(self.host.base + path, timeout=60) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def post(self, path: str, fields: dict[str, str], file: tuple[str, bytes] | None = None
             ) -> tuple[int, bytes]:
        if file is None:
            body = urllib.parse.urlencode(fields).encode()
            kind = "application/x-www-form-urlencoded"
        else:
            boundary, body = encode_multipart(
                {**fields, "file": FileStorage(io.BytesIO(file[1]), file[0])})
            kind = f"multipart/form-data; boundary={boundary}"
        request = urllib.request.Request(self.host.base + path, data=body,
                                         headers={"Content-Type": kind})
        try:  # redirects are followed: the answer is the page after them
            with self.opener.open(request, timeout=120) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def upload(self, lesson_id: int, name: str, data: bytes) -> str:
        """Upload through the Files page; the page's link to the new file."""
        files = f"/lessons/{lesson_id}/files"
        status, page = self.get(files)
        assert status == 200
        status, after = self.post(files, {"csrf_token": self.token(page.decode())},
                                  (name, data))
        assert status == 200, f"upload on {self.host.name} answered {status}"
        links = re.findall(r'href="(/files/\d+/[^"]+)"', after.decode())
        assert links, "the uploaded file is not listed"
        return max(links, key=lambda link: int(link.split("/")[2]))  # the newest version


def test_two_hosts_on_one_postgresql_serve_each_others_uploads(app, backend, team,  # noqa: F811
                                                               tmp_path):
    if backend != "postgresql":
        pytest.skip("two hosts share files through PostgreSQL (TEST_DATABASE_URL)")
    assert app.config.get("FILES_BACKEND", "auto") == "auto"  # chosen from the database
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    with ExitStack() as stack:
        a = stack.enter_context(_host(tmp_path, "host-a", uri))
        b = stack.enter_context(_host(tmp_path, "host-b", uri))
        for host in (a, b):
            _wait_until_up(host)
        on_a, on_b = Person(a, team.owner.email), Person(b, team.colleague.email)

        deck = pdf(b"% slides from host A\n", size=3 * 1024 * 1024 + 17)  # several chunks
        link = on_a.upload(team.lesson_id, "Fractions deck.pdf", deck)
        status, served = on_b.get(link)
        assert status == 200
        assert hashlib.sha256(served).hexdigest() == hashlib.sha256(deck).hexdigest()

        picture = png((10, 120, 60))
        link = on_b.upload(team.lesson_id, "bar model.png", picture)
        status, from_b = on_b.get(link)
        status_a, from_a = on_a.get(link)
        assert status == status_a == 200
        assert from_a == from_b and from_a.startswith(b"\x89PNG")  # the re-encoded copy

        # A file page rendered by A lists what B added, and neither host kept a file on disk.
        assert "bar model.png" in on_a.get(f"/lessons/{team.lesson_id}/files")[1].decode()
        for host in (a, b):
            kept = [p for p in host.folder.rglob("*") if p.is_file()] \
                if host.folder.exists() else []
            assert kept == [], f"{host.name} wrote files: {kept}"
        for host in (a, b):
            assert "Traceback" not in host.log.read_text(), host.log.read_text()[-3000:]
