"""Benchmark search as a user waits for it: over HTTP, through gunicorn, with the index live.

Re-run with:  .venv/bin/python bench/bench_search_http.py                          (10,000 lessons)
              .venv/bin/python bench/bench_search_http.py --lessons 10000,50000 --keep /tmp/kb
              .venv/bin/python bench/bench_search_http.py --backends whoosh --lessons 500

For each size and each backend (`whoosh`: SQLite + the per-host Whoosh index fed by the indexer
thread; `postgres`: a fresh PostgreSQL database with documents written in each save's
transaction), in the same run:

1. a fresh database: `flask db upgrade`, then bench_rebuild's corpus imported through the
   planning and observations services (teachers get a password so they can log in). With
   `--keep DIR` the imported database is kept (a SQLite file, a PostgreSQL template database)
   and reused by later runs of the same size;
2. `flask search rebuild`, timed (lessons/s; target >= 300 at 10k);
3. gunicorn with 2 sync workers on a free loopback port (cwd = repo root, so gunicorn.conf.py
   starts the indexer thread and the warm-up), then over HTTP, logged in as teachers:
   (a) the first /search after start; (b) distinct first-run queries built from the corpus
   vocabulary at concurrency 1; (c) sequential saves of small edits (POST /lessons/<id>/edit
   with the form as the edit page gives it; target p95 <= 100 ms); (d) save -> findable: a
   nonsense word saved into a lesson, /search polled (each request a new connection, so both
   workers answer) until the lesson is found, and until it is found 6 times in a row (every
   worker sees it; target p95 <= 1 s); (e) VmRSS of each gunicorn worker after all that
   (goal <= 250 MB).

Prints one table with the targets and ratios (measured / target), and the load average.
Cleans up: gunicorn is stopped, the PostgreSQL database dropped, the temporary directory removed.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import random
import re
import resource
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
PASSWORD = "bench-password-1234"
PG_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
STABLE_HITS = 6  # found this many times in a row: every worker's searcher sees the save
# name: (target, unit, lower is better)
TARGETS: dict[str, tuple[float, str, bool]] = {
    "rebuild": (300.0, "lessons/s", False),
    "first_query": (300.0, "ms", True),
    "query_p95": (0.0, "ms", True),
    "save_p95": (100.0, "ms", True),
    "findable_p95": (1000.0, "ms", True),
    "findable_stable_p95": (1000.0, "ms", True),
    "rss_max": (250.0, "MB", True),
}


# --- the corpus (run in a child process with the backend's environment) -------------------------


def import_corpus(lessons: int, meta_path: str, mode: str) -> None:
    """Import bench_rebuild's corpus into the database of the environment (schema already
    upgraded): through the services, or in bulk (rows inserted directly: much faster, for
    50k); give every teacher PASSWORD, and write who may edit what."""
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "bench"))
    from bench_rebuild import add_materials, import_bulk, import_with_services, make_people
    from sqlalchemy import or_, select, text

    from app import create_app
    from app.accounts.models import User
    from app.accounts.services import set_password
    from app.extensions import db
    from app.planning.models import Lesson, Sequence

    app = create_app()
    started = time.perf_counter()

    def report(made: int) -> None:
        if made % 2000 == 0:
            print(f"    imported {made:,} lessons, {time.perf_counter() - started:.0f} s",
                  flush=True)

    with app.app_context():
        groups = make_people()
        (import_with_services if mode == "service" else import_bulk)(
            groups, lessons, os.cpu_count() or 1, report)
        if mode == "bulk" and db.engine.dialect.name == "postgresql":
            # import_bulk gives explicit ids: move the sequences past them
            for table in ("document", "sequence", "lesson"):
                db.session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', "
                                        f"'id'), (SELECT max(id) FROM {table}))"))
        add_materials()
        editors = []
        for group in groups:
            user_id = group["teachers"][0][0]
            user = db.session.get(User, user_id)
            assert user is not None
            set_password(user, PASSWORD)
            ids = db.session.scalars(
                select(Lesson.id).join(Sequence, Lesson.sequence_id == Sequence.id)
                .where(Sequence.work_group_id == group["id"], Lesson.archived_at.is_(None),
                       Sequence.archived_at.is_(None),
                       # school-only plans are edited by that school's teachers only
                       or_(Sequence.visibility != "school", Sequence.school_id == user.school_id))
                .order_by(Lesson.id).limit(200)).all()
            editors.append({"email": user.email, "lessons": list(ids)})
        db.session.commit()
    Path(meta_path).write_text(json.dumps({"lessons": lessons, "editors": editors}))
    print(f"    {mode} import done: {time.perf_counter() - started:.0f} s", flush=True)


# --- databases --------------------------------------------------------------------------------


def pg(sql: str, url: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.encode())  # names are ours, not user input


def pg_exists(name: str, url: str) -> bool:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                            (name,)).fetchone() is not None


def pg_db_url(url: str, name: str) -> str:
    return url.rsplit("/", 1)[0] + "/" + name


@dataclass
class Setup:
    backend: str
    lessons: int
    workdir: Path
    env: dict[str, str]
    meta: dict[str, Any]
    import_seconds: float | None  # None: reused from --keep
    mode: str
    pg_name: str | None = None


@contextmanager
def prepared(backend: str, lessons: int, keep: Path | None, pg_url: str,
             mode: str, script: Path | None = None, tag: str = "") -> Iterator[Setup]:
    """A fresh database holding the corpus (imported now, or copied from --keep). Another
    bench may import its own corpus: `script --import-only LESSONS META MODE` does it, and
    `tag` keeps its copies in --keep apart from this one's."""
    workdir = Path(tempfile.mkdtemp(prefix=f"coplan-bench-http-{backend}-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SEARCH_", "DATABASE_"))}
    env.update({"SEARCH_BACKEND": backend, "SEARCH_INDEXER": "thread",
                "SEARCH_INDEX_DIR": str(workdir / "search-index"),
                "SECRET_KEY": secrets.token_hex(16), "FLASK_APP": "wsgi:app",
                "PYTHONPATH": str(ROOT)})
    pg_name = None
    cache_key = f"{tag}{backend}-{lessons}" + ("-bulk" if mode == "bulk" else "")
    template = f"coplan_bench_cache_{tag.replace('-', '_')}{lessons}" + (
        "_bulk" if mode == "bulk" else "")
    cache_meta = keep / f"{cache_key}.json" if keep else None
    cached = cache_meta is not None and cache_meta.exists()
    try:
        if backend == "postgres":
            pg_name = f"coplan_bench_{secrets.token_hex(5)}"
            if cached and pg_exists(template, pg_url):
                pg(f"CREATE DATABASE {pg_name} TEMPLATE {template}", pg_url)
            else:
                cached = False
                pg(f"CREATE DATABASE {pg_name}", pg_url)
            env["DATABASE_URL"] = pg_db_url(pg_url, pg_name)
        else:
            sqlite = workdir / "bench.sqlite"
            if cached and keep and (keep / f"{cache_key}.sqlite").exists():
                shutil.copyfile(keep / f"{cache_key}.sqlite", sqlite)
            else:
                cached = False
            env["DATABASE_URL"] = f"sqlite:///{sqlite}"
        seconds = None
        meta_path = workdir / "meta.json"
        if cached and cache_meta:
            shutil.copyfile(cache_meta, meta_path)
        else:
            run([str(VENV_BIN / "flask"), "db", "upgrade"], env, quiet=True)
            started = time.perf_counter()
            run([sys.executable, str(script or __file__), "--import-only", str(lessons),
                 str(meta_path), mode], env)
            seconds = time.perf_counter() - started
            if keep:
                keep.mkdir(parents=True, exist_ok=True)
                if backend == "postgres":
                    pg(f"DROP DATABASE IF EXISTS {template}", pg_url)
                    pg(f"CREATE DATABASE {template} TEMPLATE {pg_name}", pg_url)
                else:
                    shutil.copyfile(workdir / "bench.sqlite", keep / f"{cache_key}.sqlite")
                shutil.copyfile(meta_path, keep / f"{cache_key}.json")
        yield Setup(backend, lessons, workdir, env, json.loads(meta_path.read_text()),
                    seconds, mode, pg_name)
    except Exception:
        log = workdir / "gunicorn.log"
        if log.exists():  # the server's side of a failure outlives the working directory
            kept = Path(tempfile.mkstemp(prefix="coplan-bench-http-gunicorn-", suffix=".log")[1])
            shutil.copyfile(log, kept)
            print(f"  gunicorn log kept in {kept}", flush=True)
        raise
    finally:
        if pg_name:
            pg(f"DROP DATABASE IF EXISTS {pg_name} WITH (FORCE)", pg_url)
        shutil.rmtree(workdir, ignore_errors=True)


def run(cmd: list[str], env: dict[str, str], quiet: bool = False) -> str:
    """Run a command from the repo root; its output is echoed (indented) unless quiet."""
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        saved = Path(tempfile.mkstemp(prefix="coplan-bench-http-failed-", suffix=".log")[1])
        saved.write_text(done.stdout + "\n" + done.stderr)
        errors = [line for line in done.stderr.splitlines()
                  if re.match(r"[\w.]*(Error|Exception|Violation)\b", line)]
        raise RuntimeError(f"{' '.join(cmd[:3])} failed ({done.returncode}): "
                           f"{' | '.join(errors[-2:])[:600]} (output in {saved})")
    if not quiet:
        for line in done.stdout.splitlines():
            if line.strip():
                print("  " + line.strip().split("\r")[-1], flush=True)
    return done.stdout


# --- gunicorn ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def gunicorn(setup: Setup) -> Iterator[tuple[subprocess.Popen[bytes], str, float]]:
    """Two sync workers from the repo root (gunicorn.conf.py applies); yields the master, the
    base URL and when it was started, once the port accepts connections."""
    with serve([str(VENV_BIN / "gunicorn"), "-w", "2", "-k", "sync", "wsgi:app"], ROOT,
               setup.env, setup.workdir / "gunicorn.log") as served:
        yield served


@contextmanager
def serve(cmd: list[str], cwd: Path, env: dict[str, str], log_path: Path
          ) -> Iterator[tuple[subprocess.Popen[bytes], str, float]]:
    """A gunicorn command (`-b` added: a free loopback port) in its own process group; yields
    the master, the base URL and when it was started, once the port accepts connections.
    Stopped with SIGTERM, then the whole group killed (no worker outlives a failed run)."""
    port = free_port()
    log = open(log_path, "wb")
    started = time.perf_counter()
    proc = subprocess.Popen([*cmd, "-b", f"127.0.0.1:{port}"], cwd=cwd, env=env, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"gunicorn did not start; see {log_path}") from None
                time.sleep(0.05)
        yield proc, f"http://127.0.0.1:{port}", started
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            pass
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # workers or their children left behind
        except ProcessLookupError:
            pass
        proc.wait()
        log.close()


def workers_cpu_seconds(master: int) -> float:
    """CPU time (user + system) the gunicorn workers have used so far: on a loaded machine,
    CPU per request says what the app costs where wall-clock latency also says who else ran."""
    return sum(proc_cpu_seconds(pid)
               for pid in Path(f"/proc/{master}/task/{master}/children").read_text().split())


def proc_cpu_seconds(pid: int | str) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def database_cpu(setup: Setup, pg_url: str) -> dict[int, float]:
    """CPU seconds of each PostgreSQL backend serving the bench database (the PostgreSQL
    search backend does much of its work there, outside the gunicorn workers)."""
    if not setup.pg_name:
        return {}
    import psycopg

    with psycopg.connect(pg_url, autocommit=True) as conn:
        pids = [row[0] for row in conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s", (setup.pg_name,))]
    found = {}
    for pid in pids:
        try:
            found[pid] = proc_cpu_seconds(pid)
        except OSError:  # ended meanwhile
            pass
    return found


def database_cpu_since(setup: Setup, pg_url: str, before: dict[int, float]) -> float:
    after = database_cpu(setup, pg_url)
    return sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())


def children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def workers_rss_mb(master: int) -> dict[int, float]:
    """VmRSS of each child of the gunicorn master."""
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    rss = {}
    for pid in children:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                rss[int(pid)] = int(line.split()[1]) / 1024
    return rss


def wait_booted(master: int, timeout: float = 60) -> bool:
    """Wait until the master has 2 workers whose memory stopped growing (app loaded)."""
    deadline = time.monotonic() + timeout
    last: dict[int, float] = {}
    while time.monotonic() < deadline:
        time.sleep(0.5)
        try:
            rss = workers_rss_mb(master)
        except OSError:
            continue
        if len(rss) == 2 and rss == last and min(rss.values()) > 50:
            return True
        last = rss
    return False


def errors_in_log(setup: Setup) -> list[str]:
    text = (setup.workdir / "gunicorn.log").read_text(errors="replace")
    return [line for line in text.splitlines()
            if "Traceback" in line or "ERROR" in line or "Exception" in line]


# --- HTTP as a browser does it -----------------------------------------------------------------


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a save answers with a redirect: time the save, not the page after it


class FormParser(HTMLParser):
    """The fields a browser would post from each POST form on a page."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[list[tuple[str, str]]] = []
        self.fields: list[tuple[str, str]] = []
        self.in_form = False
        self.textarea: str | None = None
        self.text: list[str] = []
        self.select: str | None = None
        self.options: list[tuple[str, bool]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and a.get("method", "").lower() == "post":
            self.in_form, self.fields = True, []
            self.forms.append(self.fields)
        if not self.in_form:
            return
        if tag == "input" and a.get("name"):
            kind = a.get("type", "text").lower()
            if kind in ("submit", "button", "image", "file"):
                return
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            self.fields.append((a["name"], a.get("value", "on" if kind == "checkbox" else "")))
        elif tag == "textarea" and a.get("name"):
            self.textarea, self.text = a["name"], []
        elif tag == "select" and a.get("name"):
            self.select, self.options = a["name"], []
        elif tag == "option" and self.select is not None:
            self.options.append((a.get("value", ""), "selected" in a))

    def handle_data(self, data: str) -> None:
        if self.textarea is not None:
            self.text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea" and self.textarea is not None:
            text = "".join(self.text)
            self.fields.append((self.textarea, text[1:] if text.startswith("\n") else text))
            self.textarea = None
        elif tag == "select" and self.select is not None:
            chosen = [v for v, sel in self.options if sel] or [v for v, _ in self.options[:1]]
            self.fields.extend((self.select, v) for v in chosen)
            self.select = None
        elif tag == "form":
            self.in_form = False


def form_fields(page: str, having: str) -> list[tuple[str, str]]:
    """The fields of the page's POST form that has a field named `having` (the header's
    log-out form comes first on every page)."""
    parser = FormParser()
    parser.feed(page)
    for form in parser.forms:
        if any(name == having for name, _value in form):
            return form
    raise RuntimeError(f"no form with a field {having!r} on the page")


class Browser:
    """One person's session: a cookie jar; each request opens a new connection (as gunicorn's
    sync workers close them), so consecutive requests may reach either worker."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar),
                                                  NoRedirect())

    def request(self, path: str, data: list[tuple[str, str]] | None = None
                ) -> tuple[int, str, float]:
        """Status, body and seconds until the whole body was read."""
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        started = time.perf_counter()
        try:
            with self.opener.open(self.base + path, data=body, timeout=60) as response:
                text = response.read().decode("utf-8", "replace")
                status = response.status
        except urllib.error.HTTPError as error:
            text = error.read().decode("utf-8", "replace")
            status = error.code
        return status, text, time.perf_counter() - started

    def login(self, email: str) -> None:
        status, page, _ = self.request("/login")
        fields = [(k, v) for k, v in form_fields(page, "email") if k not in ("email", "password")]
        status, _, _ = self.request("/login", fields + [("email", email), ("password", PASSWORD)])
        if status != 302:
            raise RuntimeError(f"login as {email} answered {status}")

    def save(self, lesson_id: int, edit: str) -> float:
        """Open the edit page, append `edit` to the checks, save: seconds the save took."""
        status, page, _ = self.request(f"/lessons/{lesson_id}/edit")
        if status != 200:
            raise RuntimeError(f"edit page of lesson {lesson_id} answered {status}")
        fields = [(k, v + edit if k == "checks" else v)
                  for k, v in form_fields(page, "checks")]
        fields += [("action", "save")]
        status, text, seconds = self.request(f"/lessons/{lesson_id}/edit", fields)
        if status != 302:
            errs = re.findall(r'class="error[^"]*"[^>]*>([^<]+)', text)[:3]
            raise RuntimeError(f"save of lesson {lesson_id} answered {status} {errs}")
        return seconds

    def search(self, query: str) -> tuple[float, str]:
        status, text, seconds = self.request("/search?" + urllib.parse.urlencode({"q": query}))
        if status != 200:
            raise RuntimeError(f"/search?q={query} answered {status}")
        return seconds, text


# --- queries ----------------------------------------------------------------------------------


def first_run_queries(count: int, seed: int) -> list[str]:
    """Distinct queries from the corpus vocabulary: words, two-word combinations, phrases and
    filters, none repeated (no searcher or page cache has seen them)."""
    sys.path.insert(0, str(ROOT / "bench"))
    from bench_planning import CONCEPTS, MISTAKES, REPS, TERMS, VERBS

    rng = random.Random(seed)
    phrases = [p for p in (*REPS, *CONCEPTS, *MISTAKES) if " " in p]
    words = sorted({w.strip("()").lower() for p in (*REPS, *CONCEPTS, *MISTAKES, *TERMS, *VERBS)
                    for w in p.split() if len(w) > 3 and w.isascii()})
    makers = (
        lambda: rng.choice(words),
        lambda: f"{rng.choice(words)} {rng.choice(words)}",
        lambda: f'"{rng.choice(phrases)}"',
        lambda: f"{rng.choice(words)} year:{rng.randint(1, 6)}",
        lambda: f"{rng.choice(TERMS)} strand:{rng.choice(('fractions', 'md', 'as', 'npv'))}",
        lambda: f"{rng.choice(words)} {rng.choice(words)} type:lesson",
        lambda: f'"{rng.choice(phrases)}" {rng.choice(words)} year:{rng.randint(1, 6)}',
    )
    seen: dict[str, None] = {}
    while len(seen) < count:
        seen.setdefault(rng.choice(makers)(), None)
    return list(seen)


def nonsense(rng: random.Random) -> str:
    return "zq" + "".join(rng.choice("bcdfghjklmnpvwxz") for _ in range(9))


# --- measuring --------------------------------------------------------------------------------


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


@dataclass
class Result:
    backend: str
    lessons: int
    values: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def measure(setup: Setup, args: argparse.Namespace, result: Result) -> None:
    v = result.values
    if setup.import_seconds is not None:
        v["import_s"] = setup.import_seconds
    result.notes.append(
        ("corpus inserted in bulk (rows, not through the services)" if setup.mode == "bulk"
         else "corpus imported through the services")
        + (", reused from --keep" if setup.import_seconds is None else ""))
    # The CLI's own start-up (imports, create_app), to tell it apart from the rebuild
    started = time.perf_counter()
    run([str(VENV_BIN / "flask"), "search", "status"], setup.env, quiet=True)
    v["cli_start_s"] = time.perf_counter() - started
    print(f"  flask search rebuild ({setup.backend}) ...", flush=True)
    started = time.perf_counter()
    cpu = children_cpu_seconds()
    out = run([str(VENV_BIN / "flask"), "search", "rebuild"], setup.env, quiet=True)
    v["rebuild_s"] = time.perf_counter() - started
    v["rebuild_cpu"] = setup.lessons / (children_cpu_seconds() - cpu)
    v["rebuild"] = setup.lessons / v["rebuild_s"]
    v["rebuild_net"] = setup.lessons / max(0.1, v["rebuild_s"] - v["cli_start_s"])
    print(f"    {out.strip().splitlines()[-1]} in {v['rebuild_s']:.1f} s: "
          f"{v['rebuild']:.0f} lessons/s ({v['rebuild_net']:.0f} without the "
          f"{v['cli_start_s']:.1f} s of CLI start-up); {v['rebuild_cpu']:.0f} lessons per "
          "CPU-second", flush=True)

    editors = [e for e in setup.meta["editors"] if e["lessons"]]  # tiny corpora leave gaps
    with gunicorn(setup) as (proc, base, started):
        print(f"    port open {time.perf_counter() - started:.1f} s after start", flush=True)
        browsers = []
        for editor in editors:
            browser = Browser(base)
            browser.login(editor["email"])
            browsers.append(browser)
        reader = browsers[0]
        # (b) first-run queries at concurrency 1
        cpu, db_cpu = workers_cpu_seconds(proc.pid), database_cpu(setup, args.pg_url)
        times = [reader.search(q)[0] * 1000 for q in first_run_queries(args.queries, 7)]
        v["query_cpu"] = (workers_cpu_seconds(proc.pid) - cpu) * 1000 / len(times)
        if setup.pg_name:
            v["query_db_cpu"] = database_cpu_since(setup, args.pg_url, db_cpu) * 1000 / len(times)
        v["query_p50"], v["query_p95"] = statistics.median(times), pct(times, 95)
        print(f"    {len(times)} queries: p50 {v['query_p50']:.0f} ms, "
              f"p95 {v['query_p95']:.0f} ms, max {max(times):.0f} ms", flush=True)
        # (c) sequential saves, round robin over the Work Groups' teachers (each stays far
        # below the per-person save limit)
        rng = random.Random(11)
        saves = []
        cpu, db_cpu = workers_cpu_seconds(proc.pid), database_cpu(setup, args.pg_url)
        for n in range(args.saves):
            who = n % len(editors)
            lesson = editors[who]["lessons"][(n // len(editors)) % len(editors[who]["lessons"])]
            edit = f"\n- Check {n}: {rng.choice(('ask', 'show', 'explain'))} why."
            saves.append(browsers[who].save(lesson, edit) * 1000)
        # edit page + save + the indexer's work for it, per save
        v["save_cpu"] = (workers_cpu_seconds(proc.pid) - cpu) * 1000 / len(saves)
        if setup.pg_name:
            v["save_db_cpu"] = database_cpu_since(setup, args.pg_url, db_cpu) * 1000 / len(saves)
        v["save_p50"], v["save_p95"] = statistics.median(saves), pct(saves, 95)
        print(f"    {len(saves)} saves: p50 {v['save_p50']:.0f} ms, p95 {v['save_p95']:.0f} ms, "
              f"max {max(saves):.0f} ms", flush=True)
        # (d) save -> findable (first hit, and STABLE_HITS hits in a row)
        first, stable, polls = [], [], []
        for n in range(args.trials):
            who = n % len(editors)
            lesson = editors[who]["lessons"][-1 - (n // len(editors))]
            word = nonsense(rng)
            browsers[who].save(lesson, f"\n- Remember {word}.")
            saved = time.perf_counter()
            link = f'href="/lessons/{lesson}"'
            found_at: float | None = None  # the first hit of the current streak
            first_hit: float | None = None
            streak, count = 0, 0
            while streak < STABLE_HITS:
                _seconds, page = browsers[who].search(word)
                count += 1
                now = time.perf_counter()
                if link in page:
                    streak += 1
                    if found_at is None:
                        found_at = now
                    if first_hit is None:
                        first_hit = now
                else:
                    if found_at is not None:
                        result.notes.append(f"lesson {lesson} found, then missing on a later "
                                            f"request ({now - saved:.2f} s after the save)")
                    streak, found_at = 0, None
                if now - saved > 30:
                    status = run([str(VENV_BIN / "flask"), "search", "status"], setup.env,
                                 quiet=True)
                    files = sorted((f.stat().st_mtime, f.stat().st_size, str(f)) for f in
                                   Path(setup.env["SEARCH_INDEX_DIR"]).parent.rglob("*")
                                   if f.is_file())[-12:]
                    raise RuntimeError(f"'{word}' in lesson {lesson} not findable after 30 s "
                                       f"(trial {n + 1}); flask search status: {status}; "
                                       f"newest index files (mtime, bytes, path): {files}")
                time.sleep(0.01)
            assert found_at is not None and first_hit is not None
            first.append((first_hit - saved) * 1000)
            polls.append(count)
            # stable: when the streak of hits began that every later request confirmed
            stable.append((found_at - saved) * 1000)
        v["findable_p50"], v["findable_p95"] = statistics.median(first), pct(first, 95)
        v["findable_stable_p95"] = pct(stable, 95)
        print(f"    save->findable over {len(first)} trials: p50 {v['findable_p50']:.0f} ms, "
              f"p95 {v['findable_p95']:.0f} ms; {STABLE_HITS} hits in a row: p95 "
              f"{v['findable_stable_p95']:.0f} ms ({statistics.mean(polls):.1f} searches a trial)",
              flush=True)
        # (e) RSS of each worker
        rss = workers_rss_mb(proc.pid)
        v["rss_max"] = max(rss.values())
        v["rss_min"] = min(rss.values())
        print("    worker RSS: " + ", ".join(f"{pid}: {mb:.0f} MB" for pid, mb in rss.items()),
              flush=True)
        for line in errors_in_log(setup)[:5]:
            result.notes.append("gunicorn log: " + line[:200])
    # (a) the first search a freshly started gunicorn answers, once its workers have booted
    # (a person still logged in from before the restart: the session cookie outlives it)
    with gunicorn(setup) as (proc, base, started):
        booted = wait_booted(proc.pid)
        reader.base = base
        since_start = time.perf_counter() - started
        seconds, _page = reader.search("partition the whole")
        v["first_query"] = seconds * 1000
        seconds, _page = reader.search("remainder year:5")
        v["second_query"] = seconds * 1000
        print(f"    first query after a restart {v['first_query']:.0f} ms "
              f"({since_start:.1f} s after start, workers booted: {booted}); "
              f"the next one {v['second_query']:.0f} ms", flush=True)
    if setup.backend == "whoosh":
        status = run([str(VENV_BIN / "flask"), "search", "status"], setup.env, quiet=True)
        result.notes.extend("status: " + line for line in status.splitlines()[3:6])


def verdict(name: str, value: float) -> str:
    target, _unit, lower = TARGETS.get(name, (0.0, "", True))
    if not target:
        return ""
    ratio = value / target
    ok = ratio <= 1 if lower else ratio >= 1
    return f"{ratio:5.2f}x {'ok' if ok else 'MISS'}"


ROWS = (("import_s", "corpus import (see notes)", "s", "%.0f"),
        ("rebuild", "flask search rebuild", "lessons/s", "%.0f"),
        ("rebuild_net", "... without CLI start-up", "lessons/s", "%.0f"),
        ("rebuild_cpu", "... per CPU-second", "lessons", "%.0f"),
        ("first_query", "first query after start", "ms", "%.0f"),
        ("second_query", "... the query after it", "ms", "%.0f"),
        ("query_p50", "first-run query p50", "ms", "%.0f"),
        ("query_p95", "first-run query p95", "ms", "%.0f"),
        ("query_cpu", "... worker CPU per query", "ms", "%.0f"),
        ("query_db_cpu", "... PostgreSQL CPU per query", "ms", "%.0f"),
        ("save_p50", "save p50", "ms", "%.0f"),
        ("save_p95", "save p95", "ms", "%.0f"),
        ("save_cpu", "... worker CPU per edit+save", "ms", "%.0f"),
        ("save_db_cpu", "... PostgreSQL CPU per edit+save", "ms", "%.0f"),
        ("findable_p50", "save->findable p50", "ms", "%.0f"),
        ("findable_p95", "save->findable p95", "ms", "%.0f"),
        ("findable_stable_p95", f"... {STABLE_HITS} hits in a row p95", "ms", "%.0f"),
        ("rss_max", "worker RSS, larger", "MB", "%.0f"),
        ("rss_min", "worker RSS, smaller", "MB", "%.0f"))


def print_table(results: list[Result]) -> None:
    head = f"{'measure':<34} {'target':>14}"
    for r in results:
        head += f" | {r.backend + ' ' + format(r.lessons, ','):>24}"
    print(head)
    print("-" * len(head))
    for key, label, unit, fmt in ROWS:
        target, _u, lower = TARGETS.get(key, (0.0, unit, True))
        goal = f"{'<=' if lower else '>='} {target:.0f} {unit}" if target else unit
        line = f"{label:<34} {goal:>14}"
        for r in results:
            if key in r.values:
                cell = f"{fmt % r.values[key]} {verdict(key, r.values[key])}"
            else:
                cell = "-"
            line += f" | {cell:>24}"
        print(line)
    for r in results:
        for note in r.notes:
            print(f"  [{r.backend} {r.lessons:,}] {note}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backends", default="whoosh,postgres")
    parser.add_argument("--lessons", default="10000", help="sizes, comma-separated")
    parser.add_argument("--keep", type=Path, default=None,
                        help="keep imported databases here and reuse them")
    parser.add_argument("--pg-url", default=PG_URL, help="PostgreSQL server (maintenance db)")
    parser.add_argument("--prepare-only", action="store_true",
                        help="only import the corpora into --keep (measure in a later run)")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--saves", type=int, default=100)
    parser.add_argument("--trials", type=int, default=30)
    parser.add_argument("--import", dest="mode", choices=("service", "bulk"),
                        default="service", help="bulk: rows inserted directly (for 50k)")
    parser.add_argument("--import-only", nargs=3, metavar=("LESSONS", "META", "MODE"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.import_only:
        import_corpus(int(args.import_only[0]), args.import_only[1], args.import_only[2])
        return 0

    load = os.getloadavg()
    print(f"Coplan search over HTTP: gunicorn 2 sync workers, {os.cpu_count()} CPUs, "
          f"load average at start {' '.join(f'{x:.2f}' for x in load)}", flush=True)
    results = []
    for size in (int(s) for s in args.lessons.split(",")):
        for backend in args.backends.split(","):
            print(f"{backend}, {size:,} lessons (load {os.getloadavg()[0]:.2f})", flush=True)
            result = Result(backend, size)
            try:
                with prepared(backend, size, args.keep, args.pg_url, args.mode) as setup:
                    if setup.import_seconds is None:
                        print("  corpus reused from --keep", flush=True)
                    if args.prepare_only:
                        result.values["import_s"] = setup.import_seconds or 0.0
                    else:
                        measure(setup, args, result)
            except Exception as error:  # report what was measured, and go on to the next
                print(f"  FAILED: {error}", flush=True)
                result.notes.append(f"FAILED: {str(error)[:3000]}")
            results.append(result)
            print_table(results)  # after each run, so a later failure loses nothing
    print(f"load average at end {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
