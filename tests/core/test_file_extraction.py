"""Text out of PDF, DOCX and PPTX attachments for search (issue 15, item 6), within limits.

Every file here is built in the test. The child process's limits are tried for real: a
document that inflates past the memory limit, a reader that never finishes, a CPU-bound loop.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import textwrap
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import docx
import pptx
import pytest
from pptx.util import Inches

from app.core.files import extract
from app.core.files._extract_worker import collect
from app.core.files.extract import (
    NOTE_MEMORY,
    NOTE_NO_TEXT,
    NOTE_NOT_COVERED,
    NOTE_TIMEOUT,
    NOTE_TRUNCATED,
    NOTE_UNREADABLE,
    Extracted,
    extract_text,
    run_worker,
)

LIMITS = {"max_chars": 10_000, "timeout_s": 15.0, "max_memory_mb": 256}


def pdf_with_pages(*pages: str, extra_catalog: str = "") -> bytes:
    """A small, valid PDF: one Helvetica line of text per page."""
    count = len(pages)
    kids = " ".join(f"{4 + 2 * i} 0 R" for i in range(count))
    objects = [f"<< /Type /Catalog /Pages 2 0 R {extra_catalog}>>",
               f"<< /Type /Pages /Kids [{kids}] /Count {count} >>",
               "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    for i, line in enumerate(pages):
        stream = f"BT /F1 12 Tf 20 150 Td ({line}) Tj ET"
        objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 200] "
                       f"/Resources << /Font << /F1 3 0 R >> >> /Contents {5 + 2 * i} 0 R >>")
        objects.append(f"<< /Length {len(stream)} >>\nstream\n{stream}\nendstream")
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode()
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\n".encode()
    out += f"startxref\n{xref}\n%%EOF\n".encode()
    return out


def docx_bytes(*paragraphs: str, table: tuple[str, str] | None = None) -> bytes:
    document = docx.Document()
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    if table:
        cells = document.add_table(rows=1, cols=2).rows[0].cells
        cells[0].text, cells[1].text = table
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def pptx_bytes() -> bytes:
    deck = pptx.Presentation()
    slide = deck.slides.add_slide(deck.slide_layouts[1])
    slide.shapes.title.text = "Fractions of amounts"
    slide.placeholders[1].text = "Bar model: 3/4 of 20"
    slide.notes_slide.notes_text_frame.text = "Ask: what is one quarter?"
    second = deck.slides.add_slide(deck.slide_layouts[6])
    group = second.shapes.add_group_shape()
    group.shapes.add_textbox(Inches(1), Inches(1), Inches(2), Inches(1)).text_frame.text = (
        "Part-whole model")
    table = second.shapes.add_table(1, 2, Inches(1), Inches(3), Inches(4), Inches(1)).table
    table.cell(0, 0).text, table.cell(0, 1).text = "whole", "parts"
    out = io.BytesIO()
    deck.save(out)
    return out.getvalue()


def text_of(data: bytes, kind: str, **limits: float) -> Extracted:
    return extract_text(data, kind, **{**LIMITS, **limits})  # type: ignore[arg-type]


# --- Real files ----------------------------------------------------------------------------

def test_pdf_text_is_extracted_page_by_page() -> None:
    result = text_of(pdf_with_pages("Bar models for fractions", "Number bonds to 10"), "pdf")
    assert result == Extracted("Bar models for fractions\nNumber bonds to 10", None)


def test_docx_text_is_extracted_with_its_tables() -> None:
    data = docx_bytes("Lesson: equivalent fractions", "Ask pupils to fold paper.",
                      table=("Key question", "Which is bigger?"))
    result = text_of(data, "document")
    assert result.note is None
    assert result.text.split("\n") == ["Lesson: equivalent fractions", "Ask pupils to fold paper.",
                                       "Key question", "Which is bigger?"]


def test_pptx_slide_text_tables_groups_and_notes_are_extracted() -> None:
    result = text_of(pptx_bytes(), "slides")
    assert result.note is None
    for expected in ("Fractions of amounts", "Bar model: 3/4 of 20", "Ask: what is one quarter?",
                     "Part-whole model", "whole\tparts"):
        assert expected in result.text


def test_text_is_truncated_at_max_chars_with_a_note() -> None:
    result = text_of(docx_bytes("a" * 300, "b" * 300), "document", max_chars=250)
    assert result == Extracted("a" * 250, NOTE_TRUNCATED)
    assert text_of(docx_bytes("a" * 250), "document", max_chars=250) == Extracted("a" * 250, None)


def test_pdf_without_text_says_so() -> None:
    assert text_of(pdf_with_pages(""), "pdf") == Extracted("", NOTE_NO_TEXT)


def test_pdf_with_javascript_gives_its_text_and_nothing_runs() -> None:
    js = "/OpenAction << /S /JavaScript /JS (app.alert(1)) >> "
    assert text_of(pdf_with_pages("Worksheet", extra_catalog=js), "pdf").text == "Worksheet"


# --- Files that cannot be read: a note, never an exception ---------------------------------

@pytest.mark.parametrize(("data", "kind"), [
    (pdf_with_pages("Bar models")[:120], "pdf"),                   # Cut short.
    (b"%PDF-1.7\n" + os.urandom(4000), "pdf"),                     # Header, then noise.
    (b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 1 0 R >> endobj\ntrailer << /Root 1 0 R >>\n"
     b"%%EOF", "pdf"),                                             # Pages point at themselves.
    (b"not a file at all", "pdf"),
    (docx_bytes("x")[:-300], "document"),                          # A damaged ZIP.
    (b"PK\x03\x04" + bytes(200), "slides"),
])
def test_a_file_that_cannot_be_read_gives_a_note_not_an_exception(data: bytes, kind: str) -> None:
    result = text_of(data, kind)
    assert result.text == ""
    assert result.note is not None and result.note.startswith(NOTE_UNREADABLE)


def test_a_docx_whose_xml_is_broken_gives_a_note() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", b"<Types/>")
        archive.writestr("word/document.xml", b"<w:document><unclosed")
    assert text_of(out.getvalue(), "document") == Extracted("", NOTE_UNREADABLE)


def test_types_without_a_reader_are_not_covered() -> None:
    odt = io.BytesIO()
    with zipfile.ZipFile(odt, "w") as archive:
        archive.writestr("mimetype", b"application/vnd.oasis.opendocument.text")
        archive.writestr("content.xml", b"<x/>")
    assert text_of(odt.getvalue(), "document") == Extracted("", NOTE_NOT_COVERED)
    assert text_of(b"\x89PNG\r\n\x1a\n", "image") == Extracted("", NOTE_NOT_COVERED)
    # The kind says "pdf" but the content decides: a DOCX is read as one.
    assert text_of(docx_bytes("Hello"), "pdf").text == "Hello"


def test_kinds_without_a_reader_are_not_even_parsed(monkeypatch: pytest.MonkeyPatch) -> None:
    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("a picture or spreadsheet was parsed for text")

    monkeypatch.setattr(extract, "detect_type", never)
    for kind in ("image", "spreadsheet"):
        assert text_of(b"PK\x03\x04" + bytes(100), kind) == Extracted("", NOTE_NOT_COVERED)


def test_the_reader_stops_once_it_has_max_chars() -> None:
    def endless() -> Iterator[str]:
        yield "a" * 10
        raise AssertionError("read past max_chars")

    assert collect(endless(), 5) == "a" * 6  # One more than the limit: the caller can tell.


# --- Limits --------------------------------------------------------------------------------

def bomb_docx(uncompressed_mb: int, *, fill: bytes = b"\x00") -> bytes:
    """A .docx whose document part inflates to `uncompressed_mb` MiB (~1000:1)."""
    out = io.BytesIO()
    with (zipfile.ZipFile(io.BytesIO(docx_bytes("x"))) as real,
          zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive):
        for name in real.namelist():  # A real .docx, except for its document part.
            if name != "word/document.xml":
                archive.writestr(name, real.read(name))
        with archive.open("word/document.xml", "w", force_zip64=True) as member:
            member.write(b'<w:document xmlns:w="http://schemas.openxmlformats.org/'
                         b'wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>')
            chunk = fill * (1024 * 1024)
            for _ in range(uncompressed_mb):
                member.write(chunk)
            member.write(b"</w:t></w:r></w:p></w:body></w:document>")
    return out.getvalue()


def test_zip_bomb_disguised_as_docx_is_not_opened() -> None:
    started = time.monotonic()
    result = text_of(bomb_docx(64), "document")
    assert result == Extracted("", NOTE_UNREADABLE)
    assert time.monotonic() - started < 2


def test_a_bomb_that_reaches_the_reader_stops_at_the_memory_limit() -> None:
    # Past the upload checks somehow (run_worker skips them): the child's address space is
    # capped, so reading the 160 MB part fails there, quickly, and the app only gets a note.
    bomb = bomb_docx(160, fill=b"a")
    started = time.monotonic()
    result = run_worker("docx", bomb, max_chars=1000, timeout_s=15, max_memory_mb=150)
    assert result == Extracted("", NOTE_MEMORY)
    assert time.monotonic() - started < 10


def test_the_wall_clock_timeout_kills_a_reader_that_never_finishes(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    hang = f"import os, time; open({str(pid_file)!r}, 'w').write(str(os.getpid())); time.sleep(60)"
    monkeypatch.setattr(extract, "worker_command", lambda *a, **k: [sys.executable, "-c", hang])
    started = time.monotonic()
    result = text_of(pdf_with_pages("Bar models"), "pdf", timeout_s=1.0)
    assert result == Extracted("", NOTE_TIMEOUT)
    assert time.monotonic() - started < 5
    with pytest.raises(ProcessLookupError):  # Killed and reaped, not left running.
        os.kill(int(pid_file.read_text()), 0)


def test_a_child_that_cannot_start_gives_a_note(monkeypatch: pytest.MonkeyPatch,
                                                tmp_path: Path) -> None:
    missing = str(tmp_path / "no-such-python")
    monkeypatch.setattr(extract, "worker_command", lambda *a, **k: [missing])
    assert text_of(pdf_with_pages("Bar models"), "pdf") == Extracted("", NOTE_UNREADABLE)


def test_a_real_extraction_past_its_timeout_gives_the_timeout_note() -> None:
    assert text_of(pptx_bytes(), "slides", timeout_s=0.001) == Extracted("", NOTE_TIMEOUT)


def test_the_child_is_limited_in_cpu_time_too() -> None:
    # The second fence, if the parent were gone: the worker's own limits end a busy loop.
    worker = Path(extract.__file__).with_name("_extract_worker.py")
    script = textwrap.dedent(f"""
        import runpy
        worker = runpy.run_path({str(worker)!r})
        worker["set_limits"](200, 1)
        while True:
            pass
    """)
    started = time.monotonic()
    finished = subprocess.run([sys.executable, "-I", "-c", script], timeout=20, check=False)
    assert finished.returncode != 0
    assert time.monotonic() - started < 10


def test_the_child_sees_none_of_the_apps_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    # The real command, with the worker swapped for a script that prints its environment.
    monkeypatch.setenv("COPLAN_SECRET_PROBE", "s3cret")
    real = extract.worker_command
    dump = "import os, sys; sys.stdout.write(repr(sorted(os.environ)))"
    monkeypatch.setattr(extract, "worker_command",
                        lambda *a, **k: [*real(*a, **k)[:3], "-c", dump])
    seen = text_of(pdf_with_pages("Bar models"), "pdf").text
    assert "PATH" in seen
    assert "COPLAN_SECRET_PROBE" not in seen and "s3cret" not in seen


def test_the_child_can_write_no_file_and_open_few(tmp_path: Path) -> None:
    worker = Path(extract.__file__).with_name("_extract_worker.py")
    target = tmp_path / "written"
    script = textwrap.dedent(f"""
        import runpy, signal, sys
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of being killed
        worker = runpy.run_path({str(worker)!r})
        worker["set_limits"](200, 5)
        try:
            with open({str(target)!r}, "wb") as out:
                out.write(b"x" * 10)
        except OSError:
            print("write refused")
        handles = []
        try:
            for _ in range(100):
                handles.append(open({str(worker)!r}, "rb"))
        except OSError:
            print("open refused")
    """)
    finished = subprocess.run([sys.executable, "-I", "-c", script], capture_output=True,
                              timeout=20, check=False)
    assert finished.stdout.split() == [b"write", b"refused", b"open", b"refused"]
    assert not target.exists() or target.stat().st_size == 0
