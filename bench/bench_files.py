"""Benchmark files as teachers use them: over HTTP, through gunicorn, on both file stores.

Re-run with:  .venv/bin/python bench/bench_files.py          (folder; PostgreSQL when reachable)
              .venv/bin/python bench/bench_files.py --backends folder --uploads 6
              .venv/bin/python bench/bench_files.py --pg-url postgresql://user@host:5432/postgres

For each store (`folder`: SQLite, blobs under FILES_DIR, Whoosh search; `postgres`: a fresh
PostgreSQL database holding the blobs as chunk rows, PostgreSQL search), in one run:

1. a fresh database (`flask db upgrade`) with a small corpus imported through the services
   (bench_rebuild's people and plans; teachers get a password), FILES_DIR in a temporary folder;
2. gunicorn, 2 sync workers, on a free loopback port (the search indexer and file-text reader
   threads start as in production); each Work Group's teacher logs in over HTTP;
3. uploads through the lesson's Files page (multipart POST with the page's CSRF token, each
   file different so nothing is deduplicated), round robin over the teachers: PDFs padded to
   1 MB and 20 MB, and ~1 MB photo-like JPEGs (re-encoded on upload); latency p50/p95 and MB/s;
4. downloads of every uploaded version (GET /files/<id>/<name>, whole body read): p50/p95, MB/s;
5. upload -> findable: a PDF whose text holds a nonsense word is uploaded and /search polled
   until the lesson is found (its text is read after the response, in a child process, then
   indexed). Reported "not available" while app/files/extraction.py is absent;
6. a 20 MB PPTX (40 slides of photos and text) uploaded, and the gunicorn workers and every
   process under them sampled every 20 ms until its word is findable: the peak VmHWM of the
   text-extraction child and the peak VmRSS of the worker. The same deck is also read by
   app.core.files.extract.extract_text in a fresh process, whose RUSAGE_CHILDREN maxrss is the
   child's exact peak.

Prints one table (medians, p95) and the load average; run time ~1-3 minutes. Cleans up:
gunicorn stopped, the PostgreSQL database dropped, the temporary folder removed.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import re
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import bench_search_http as bsh  # noqa: E402 - the shared gunicorn, corpus and HTTP helpers

ROOT = bsh.ROOT
MB = 1024 * 1024
LESSONS = 60  # three sequences, in three Work Groups of bench_rebuild's people
EXTRACTION = ROOT / "app" / "files" / "extraction.py"
FINDABLE_TIMEOUT_S = 60.0


# --- files like teachers' ---------------------------------------------------------------------


def text_pdf(words: str, size: int, rng: random.Random) -> bytes:
    """A real PDF with one page of text, padded to `size` bytes with an unreferenced stream of
    random bytes (as a PDF full of scanned pictures is: incompressible)."""
    content = f"BT /F1 14 Tf 40 700 Td ({words}) Tj ET".encode()
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
               b"/Resources << /Font << /F1 5 0 R >> >> >>",
               b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    padding = max(0, size - len(out) - 400)
    offsets.append(len(out))
    out += b"6 0 obj\n<< /Length %d >>\nstream\n" % padding + rng.randbytes(padding)
    out += b"\nendstream\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(offsets) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(offsets) + 1, xref)
    return bytes(out)


def photo(rng: random.Random, width: int = 2000, height: int = 1500) -> bytes:
    """A photo-like JPEG (~1 MB at this size: gradients, shapes and sensor noise)."""
    from PIL import Image, ImageDraw, ImageFilter

    base = Image.linear_gradient("L").resize((width, height))
    picture = Image.merge("RGB", (base, base.rotate(90).resize((width, height)),
                                  Image.effect_noise((width, height), 60)))
    draw = ImageDraw.Draw(picture)
    for _ in range(40):
        x, y = rng.randrange(width), rng.randrange(height)
        r = rng.randrange(20, 200)
        draw.ellipse((x - r, y - r, x + r, y + r),
                     fill=(rng.randrange(256), rng.randrange(256), rng.randrange(256)))
    picture = picture.filter(ImageFilter.GaussianBlur(1.0))
    noise = Image.effect_noise((width, height), 40).convert("RGB")
    picture = Image.blend(picture, noise, 0.22)
    out = io.BytesIO()
    picture.save(out, format="JPEG", quality=90)
    return out.getvalue()


def big_pptx(word: str, size: int, rng: random.Random) -> bytes:
    """A deck of ~`size` bytes: slides of text, each with a different picture (noise: the
    reader never decodes pictures, so what they show does not matter, only their bytes)."""
    import pptx
    from PIL import Image
    from pptx.util import Inches

    deck = pptx.Presentation()
    slide_no = total = 0
    while total < size:
        slide_no += 1
        slide = deck.slides.add_slide(deck.slide_layouts[5])
        slide.shapes.title.text = (f"Slide {slide_no}: fractions on a number line "
                                   + (word if slide_no == 1 else ""))
        picture = io.BytesIO()
        Image.frombytes("RGB", (800, 600), rng.randbytes(800 * 600 * 3)).save(
            picture, format="JPEG", quality=85)
        total += picture.tell()
        slide.shapes.add_picture(picture, Inches(1), Inches(1.5), Inches(8))
        box = slide.shapes.add_textbox(Inches(1), Inches(6.5), Inches(8), Inches(1))
        box.text_frame.text = " ".join(rng.choice(("part", "whole", "equal", "unit", "tenth",
                                                   "compare", "represent")) for _ in range(25))
    out = io.BytesIO()
    deck.save(out)
    return out.getvalue()


@dataclass
class Files:
    """Every file one run uploads, made once and uploaded to each store (each store has its
    own database, so nothing is deduplicated across them; within one, all differ)."""

    uploads: dict[str, list[bytes]]
    findable: list[tuple[str, bytes]]
    deck_word: str
    deck: bytes


def make_files(args: argparse.Namespace) -> Files:
    rng = random.Random(15)
    started = time.perf_counter()
    made = Files(
        uploads={"pdf1": [text_pdf("Bar models", MB, rng) for _ in range(args.uploads)],
                 "pdf20": [text_pdf("Bar models", 20 * MB, rng)
                           for _ in range(max(3, args.uploads // 3))],
                 "jpeg": [photo(rng) for _ in range(args.uploads)]},
        findable=[(word, text_pdf(f"Fractions worksheet {word}", MB, rng))
                  for word in (bsh.nonsense(rng) for _ in range(args.findable))],
        deck_word=(word := bsh.nonsense(rng)), deck=big_pptx(word, 20 * MB, rng))
    print(f"  files made in {time.perf_counter() - started:.0f} s (photos "
          f"{statistics.median(map(len, made.uploads['jpeg'])) / MB:.2f} MB, deck "
          f"{len(made.deck) / MB:.1f} MB)", flush=True)
    return made


# --- HTTP ----------------------------------------------------------------------------------------


class Teacher(bsh.Browser):
    """A signed-in teacher who uploads and downloads files."""

    def __init__(self, base: str, email: str, lessons: list[int]) -> None:
        super().__init__(base)
        self.login(email)
        self.lessons = lessons
        self.token = ""

    def _open(self, request: urllib.request.Request | str) -> tuple[int, bytes, float]:
        started = time.perf_counter()
        try:
            with self.opener.open(request, timeout=300) as response:
                body, status = response.read(), response.status
        except urllib.error.HTTPError as error:
            body, status = error.read(), error.code
        return status, body, time.perf_counter() - started

    def upload(self, lesson_id: int, name: str, data: bytes) -> float:
        """POST the file as the Files page's form does; seconds until the 303 came back."""
        from werkzeug.datastructures import FileStorage
        from werkzeug.test import encode_multipart

        if not self.token:
            status, page, _ = self.request(f"/lessons/{lesson_id}/files")
            found = re.search(r'name="csrf_token" value="([^"]+)"', page)
            if status != 200 or not found:
                raise RuntimeError(f"Files page of lesson {lesson_id} answered {status}")
            self.token = found[1]
        boundary, body = encode_multipart({"csrf_token": self.token,
                                           "file": FileStorage(io.BytesIO(data), name)})
        request = urllib.request.Request(
            f"{self.base}/lessons/{lesson_id}/files", data=body,
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
        status, answer, seconds = self._open(request)
        if status != 303:
            errors = re.findall(r'class="(?:field-error|error-summary)[^"]*"[^>]*>(.*?)<',
                                answer.decode("utf-8", "replace"), re.S)[:2]
            raise RuntimeError(f"upload of {name} ({len(data)} bytes) answered {status} "
                               f"{errors}")
        return seconds

    def newest_link(self, lesson_id: int) -> str:
        status, page, _ = self.request(f"/lessons/{lesson_id}/files")
        links = re.findall(r'href="(/files/(\d+)/[^"]+)"', page)
        if status != 200 or not links:
            raise RuntimeError(f"no file listed on lesson {lesson_id}'s Files page")
        return max(links, key=lambda link: int(link[1]))[0]

    def download(self, link: str) -> tuple[float, int]:
        status, body, seconds = self._open(self.base + link)
        if status != 200:
            raise RuntimeError(f"GET {link} answered {status}")
        return seconds, len(body)


# --- memory --------------------------------------------------------------------------------------


def status_kb(pid: int | str, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


def children(pid: int | str) -> list[str]:
    """Child processes of every thread of `pid` (the file-text reader runs in a thread of
    the worker, and its child is listed under that thread)."""
    found: list[str] = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            found += (task / "children").read_text().split()
    except OSError:
        pass
    return found


def wait_quiet(master: int, timeout: float = 30.0) -> None:
    """Wait until the workers have no child and used no CPU for 0.2 s: the work after the
    previous response (reading a file's text, indexing) is done, and does not slow the next
    request being timed."""
    deadline = time.monotonic() + timeout
    last = -1.0
    while time.monotonic() < deadline:
        busy = any(children(worker) for worker in children(master))
        cpu = bsh.workers_cpu_seconds(master)
        if not busy and cpu == last:
            return
        last = cpu
        time.sleep(0.2)


@dataclass
class Sampler:
    """Samples the gunicorn workers (VmRSS) and every process under them (VmHWM, their own
    peak) until stopped."""

    master: int
    worker_peak_kb: int = 0
    child_peak_kb: int = 0
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        while not self.stop.is_set():
            for worker in children(self.master):
                try:
                    self.worker_peak_kb = max(self.worker_peak_kb, status_kb(worker, "VmRSS"))
                    for child in children(worker):
                        # Only once it runs the reader: before exec a (v)forked child still
                        # shows the worker's memory.
                        if b"_extract_worker" in Path(f"/proc/{child}/cmdline").read_bytes():
                            self.child_peak_kb = max(self.child_peak_kb,
                                                     status_kb(child, "VmHWM"))
                except OSError:  # it ended between two reads
                    pass
            time.sleep(0.02)


def direct_extraction_peak(path: Path) -> tuple[float, float, str]:
    """The deck read by the app's own reader command (app.core.files.extract, its default
    limits), started from a minimal Python that forks and execs it: wait4's maxrss is the
    reader's own peak (the fork's copy of that small parent, ~10 MB, is all it could add).
    Returns MB, seconds and what it read."""
    from app.core.files.extract import DEFAULT_MAX_MEMORY_MB, DEFAULT_TIMEOUT_S, worker_command

    command = worker_command("pptx", max_chars=100_000, max_memory_mb=DEFAULT_MAX_MEMORY_MB,
                             cpu_seconds=int(DEFAULT_TIMEOUT_S) + 1)
    # The reader may write no file (RLIMIT_FSIZE 0): its text comes back through a pipe.
    probe = (
        "import os, sys, time\n"
        "source, command = sys.argv[1], sys.argv[2:]\n"
        "started = time.perf_counter()\n"
        "read_end, write_end = os.pipe()\n"
        "pid = os.fork()\n"
        "if pid == 0:\n"
        "    os.dup2(os.open(source, os.O_RDONLY), 0)\n"
        "    os.dup2(write_end, 1)\n"
        "    os.execve(command[0], command, {'PATH': os.environ.get('PATH', '')})\n"
        "os.close(write_end)\n"
        "chars = 0\n"
        "while piece := os.read(read_end, 65536):\n"
        "    chars += len(piece.decode('utf-8', 'replace'))\n"
        "_, status, usage = os.wait4(pid, 0)\n"
        "print(usage.ru_maxrss / 1024, time.perf_counter() - started,\n"
        "      os.waitstatus_to_exitcode(status), chars, sep='|')\n")
    done = subprocess.run([sys.executable, "-I", "-c", probe, str(path), *command],
                          check=True, capture_output=True, text=True)
    peak, seconds, code, chars = done.stdout.strip().split("|")
    return float(peak), float(seconds), f"exit {code}, {chars} characters of text"


# --- measuring -----------------------------------------------------------------------------------


def timed(values: dict[str, float], key: str, seconds: list[float], size: int) -> None:
    ms = [s * 1000 for s in seconds]
    values[f"{key}_p50"], values[f"{key}_p95"] = statistics.median(ms), bsh.pct(ms, 95)
    values[f"{key}_mbps"] = size / MB / statistics.median(seconds)


LABELS = {"pdf1": "1 MB PDF", "pdf20": "20 MB PDF", "jpeg": "1 MB JPEG photo"}
EXTENSIONS = {"pdf1": "pdf", "pdf20": "pdf", "jpeg": "jpg"}


def measure(setup: bsh.Setup, files: Files, v: dict[str, float], notes: list[str]) -> None:
    editors = [e for e in setup.meta["editors"] if e["lessons"]]
    with bsh.gunicorn(setup) as (proc, base, _started):
        bsh.wait_booted(proc.pid)
        teachers = [Teacher(base, e["email"], e["lessons"]) for e in editors]
        turn = iter(range(10**6))

        def next_teacher() -> tuple[Teacher, int]:
            """Round robin over the Work Groups' teachers (each far below its upload limit)."""
            n = next(turn)
            teacher = teachers[n % len(teachers)]
            return teacher, teacher.lessons[(n // len(teachers)) % len(teacher.lessons)]

        links: dict[str, list[tuple[Teacher, str]]] = {}
        for key, datas in files.uploads.items():
            seconds, cpu, links[key] = [], [], []
            for n, data in enumerate(datas):
                teacher, lesson = next_teacher()
                wait_quiet(proc.pid)
                before = bsh.workers_cpu_seconds(proc.pid)
                seconds.append(teacher.upload(lesson, f"{key}-{n}.{EXTENSIONS[key]}", data))
                cpu.append(bsh.workers_cpu_seconds(proc.pid) - before)
                links[key].append((teacher, teacher.newest_link(lesson)))
            timed(v, f"up_{key}", seconds, int(statistics.median(map(len, datas))))
            v[f"up_{key}_cpu"] = statistics.median(cpu) * 1000
            print(f"    upload {LABELS[key]}: p50 {v[f'up_{key}_p50']:.0f} ms, "
                  f"p95 {v[f'up_{key}_p95']:.0f} ms, {v[f'up_{key}_mbps']:.1f} MB/s, "
                  f"{v[f'up_{key}_cpu']:.0f} ms worker CPU", flush=True)
        wait_quiet(proc.pid)
        for key, versions in links.items():  # read back by the teacher who uploaded each
            got = [teacher.download(link) for teacher, link in versions]
            timed(v, f"down_{key}", [s for s, _ in got], int(statistics.median(
                n for _, n in got)))
            print(f"    download {LABELS[key]}: p50 {v[f'down_{key}_p50']:.0f} ms, "
                  f"p95 {v[f'down_{key}_p95']:.0f} ms, {v[f'down_{key}_mbps']:.0f} MB/s",
                  flush=True)

        if not EXTRACTION.exists():
            notes.append("findable and extraction RSS: not available (app/files/extraction.py "
                         "is not there yet)")
            return
        # Upload -> findable through /search (each poll a new connection: either worker).
        findable = []
        for word, pdf in files.findable:
            teacher, lesson = next_teacher()
            wait_quiet(proc.pid)
            teacher.upload(lesson, "fractions worksheet.pdf", pdf)
            uploaded = time.perf_counter()
            while f'href="/lessons/{lesson}' not in teacher.search(word)[1]:
                if time.perf_counter() - uploaded > FINDABLE_TIMEOUT_S:
                    raise RuntimeError(f"an uploaded PDF's word was not findable after "
                                       f"{FINDABLE_TIMEOUT_S:.0f} s")
                time.sleep(0.05)
            findable.append((time.perf_counter() - uploaded) * 1000)
        v["findable_p50"], v["findable_max"] = statistics.median(findable), max(findable)
        print(f"    upload -> findable (PDF text): p50 {v['findable_p50']:.0f} ms, "
              f"max {v['findable_max']:.0f} ms over {len(findable)}", flush=True)

        # The 20 MB deck: the reading child's peak and the worker's, sampled until findable.
        wait_quiet(proc.pid)
        sampler = Sampler(proc.pid)
        thread = threading.Thread(target=sampler.run, daemon=True)
        thread.start()
        teacher, lesson = next_teacher()
        try:
            v["up_pptx_ms"] = teacher.upload(lesson, "Fractions deck.pptx", files.deck) * 1000
            uploaded = time.perf_counter()
            while f'href="/lessons/{lesson}' not in teacher.search(files.deck_word)[1]:
                if time.perf_counter() - uploaded > FINDABLE_TIMEOUT_S:
                    notes.append("the 20 MB deck's word was not findable within "
                                 f"{FINDABLE_TIMEOUT_S:.0f} s")
                    break
                time.sleep(0.1)
            else:
                v["pptx_findable_ms"] = (time.perf_counter() - uploaded) * 1000
            wait_quiet(proc.pid)
        finally:
            sampler.stop.set()
            thread.join()
        v["worker_peak"] = sampler.worker_peak_kb / 1024
        if sampler.child_peak_kb:
            v["pptx_child_peak"] = sampler.child_peak_kb / 1024
        else:
            notes.append("no text-reading child was seen under the workers")
        deck_path = setup.workdir / "deck.pptx"
        deck_path.write_bytes(files.deck)
        peak, took, what = direct_extraction_peak(deck_path)
        v["pptx_direct_peak"], v["pptx_direct_s"] = peak, took
        notes.append(f"the 20 MB deck read directly: {what}")
        v["worker_rss_end"] = max(bsh.workers_rss_mb(proc.pid).values())
        for line in bsh.errors_in_log(setup)[:3]:
            notes.append("gunicorn log: " + line[:200])


ROWS: tuple[tuple[str, str, str], ...] = (
    ("up_pdf1_p50", "upload 1 MB PDF p50", "ms"),
    ("up_pdf1_p95", "upload 1 MB PDF p95", "ms"),
    ("up_pdf1_mbps", "upload 1 MB PDF (median)", "MB/s"),
    ("up_pdf20_p50", "upload 20 MB PDF p50", "ms"),
    ("up_pdf20_p95", "upload 20 MB PDF p95", "ms"),
    ("up_pdf20_mbps", "upload 20 MB PDF (median)", "MB/s"),
    ("up_jpeg_p50", "upload 1 MB JPEG photo (re-encoded) p50", "ms"),
    ("up_jpeg_p95", "upload 1 MB JPEG photo (re-encoded) p95", "ms"),
    ("up_pdf1_cpu", "upload 1 MB PDF, worker CPU (median)", "ms"),
    ("up_pdf20_cpu", "upload 20 MB PDF, worker CPU (median)", "ms"),
    ("up_jpeg_cpu", "upload 1 MB photo, worker CPU (median)", "ms"),
    ("down_pdf1_p50", "download 1 MB PDF p50", "ms"),
    ("down_pdf1_p95", "download 1 MB PDF p95", "ms"),
    ("down_pdf1_mbps", "download 1 MB PDF (median)", "MB/s"),
    ("down_pdf20_p50", "download 20 MB PDF p50", "ms"),
    ("down_pdf20_p95", "download 20 MB PDF p95", "ms"),
    ("down_pdf20_mbps", "download 20 MB PDF (median)", "MB/s"),
    ("down_jpeg_p50", "download re-encoded photo p50", "ms"),
    ("down_jpeg_p95", "download re-encoded photo p95", "ms"),
    ("findable_p50", "upload -> PDF text findable p50", "ms"),
    ("findable_max", "upload -> PDF text findable max", "ms"),
    ("up_pptx_ms", "upload 20 MB PPTX", "ms"),
    ("pptx_findable_ms", "upload -> 20 MB PPTX text findable", "ms"),
    ("pptx_child_peak", "reader child peak VmHWM (in app, sampled)", "MB"),
    ("pptx_direct_peak", "reader child peak RSS (direct, wait4)", "MB"),
    ("pptx_direct_s", "reader child time for the deck (direct)", "s"),
    ("worker_peak", "worker VmRSS peak during the deck", "MB"),
    ("worker_rss_end", "worker RSS at the end (larger)", "MB"),
)


def print_table(results: dict[str, dict[str, float]], notes: dict[str, list[str]]) -> None:
    names = list(results)
    head = f"{'measure':<42} {'unit':>5} " + " ".join(f"{n:>10}" for n in names)
    print("\n" + head)
    print("-" * len(head))
    for key, label, unit in ROWS:
        cells = []
        for name in names:
            x = results[name].get(key)
            text = "-" if x is None else f"{x:.1f}" if abs(x) < 100 else f"{x:.0f}"
            cells.append(f"{text:>10}")
        print(f"{label:<42} {unit:>5} " + " ".join(cells))
    for name in names:
        for note in notes[name]:
            print(f"  {name}: {note}")


def pg_reachable(url: str) -> bool:
    try:
        import psycopg

        with psycopg.connect(url, connect_timeout=3):
            return True
    except Exception:
        return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backends", default="folder,postgres",
                        help="file stores: folder (SQLite) and/or postgres")
    parser.add_argument("--pg-url", default=bsh.PG_URL)
    parser.add_argument("--uploads", type=int, default=8,
                        help="1 MB uploads of each kind (a third as many of 20 MB)")
    parser.add_argument("--findable", type=int, default=3, help="upload -> findable trials")
    parser.add_argument("--import-only", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.import_only:
        bsh.import_corpus(int(args.import_only[0]), args.import_only[1], args.import_only[2])
        return 0
    load = os.getloadavg()
    print(f"Files over HTTP: gunicorn 2 sync workers, {os.cpu_count()} CPUs, load average at "
          f"start {' '.join(f'{x:.2f}' for x in load)}", flush=True)
    results: dict[str, dict[str, float]] = {}
    notes: dict[str, list[str]] = {}
    files = make_files(args)
    for store in args.backends.split(","):
        values: dict[str, float] = {}
        said: list[str] = []
        results[store], notes[store] = values, said
        if store == "postgres" and not pg_reachable(args.pg_url):
            said.append(f"skipped: PostgreSQL not reachable at {args.pg_url}")
            continue
        started = time.perf_counter()
        print(f"{store} store ...", flush=True)
        try:
            with bsh.prepared("whoosh" if store == "folder" else "postgres", LESSONS, None,
                              args.pg_url, "service", Path(__file__), "files-") as setup:
                setup.env.update({"FILES_DIR": str(setup.workdir / "files"),
                                  "FILES_GROUP_QUOTA_BYTES": str(100 * 1024 * MB)})
                measure(setup, files, values, said)
        except Exception as error:
            said.append(f"FAILED: {str(error)[:600]}")
            print(f"  FAILED: {error}", flush=True)
        said.append(f"{time.perf_counter() - started:.0f} s, load average now "
                    f"{os.getloadavg()[0]:.2f}")
    print_table(results, notes)
    end = os.getloadavg()
    print(f"\n{os.cpu_count()} CPUs; load average at start {' '.join(f'{x:.2f}' for x in load)}"
          f", at end {' '.join(f'{x:.2f}' for x in end)}")
    print("Re-run: .venv/bin/python bench/bench_files.py")
    return 0


if __name__ == "__main__":
    sys.exit(main())
