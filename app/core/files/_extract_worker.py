"""The child process that reads text out of one PDF, DOCX or PPTX file (see `extract`).

Run as a script (`python -I -B _extract_worker.py FORMAT MAX_CHARS MAX_MEMORY_MB CPU_SECONDS`),
never imported by the app: it imports no part of Coplan, so the child starts with only the
one reader it needs. Its limits are set first, before it reads the file from stdin, so the
file's bytes, the reader and everything the reader builds count against them.

Exit status: 0 and the text (UTF-8) on stdout; 3 when the memory limit was hit; 2 when the
file could not be read for any other reason.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Iterator

EXIT_UNREADABLE = 2
EXIT_OUT_OF_MEMORY = 3


#: Open files at once: stdin, stdout, stderr and the module a reader is importing, with room to
#: spare. A crafted file cannot make the reader hold many descriptors.
MAX_OPEN_FILES = 16


def set_limits(max_memory_mb: int, cpu_seconds: int) -> None:
    """Cap this process's address space, CPU time and open files; it may write no file.

    RLIMIT_FSIZE 0 applies to regular files only (stdout is a pipe): a reader tricked into
    writing somewhere fails instead of filling the disk. No core file if it crashes.
    """
    try:
        import resource
    except ImportError:  # pragma: no cover - not on Linux or macOS: the parent's timeout remains
        return
    memory = max_memory_mb * 1024 * 1024
    for limit, value in ((resource.RLIMIT_AS, memory), (resource.RLIMIT_CPU, cpu_seconds),
                         (resource.RLIMIT_CORE, 0), (resource.RLIMIT_FSIZE, 0),
                         (resource.RLIMIT_NOFILE, MAX_OPEN_FILES)):
        try:
            resource.setrlimit(limit, (value, value))
        except (ValueError, OSError):  # pragma: no cover - e.g. RLIMIT_AS on macOS
            pass


def pdf_text(data: bytes) -> Iterator[str]:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data), strict=False)
    if reader.is_encrypted:
        reader.decrypt("")  # Readable without a password, or this raises.
    for page in reader.pages:
        yield page.extract_text()


def docx_text(data: bytes) -> Iterator[str]:
    import docx
    from docx.oxml.ns import qn

    body = docx.Document(io.BytesIO(data)).element.body
    # Every paragraph in document order: body text, table cells and text boxes alike.
    for paragraph in body.iter(qn("w:p")):
        yield "".join(node.text or "" for node in paragraph.iter(qn("w:t")))


def pptx_text(data: bytes) -> Iterator[str]:
    import pptx
    from pptx.shapes.group import GroupShape

    def shape_text(shapes: object) -> Iterator[str]:
        for shape in shapes:  # type: ignore[attr-defined]
            if isinstance(shape, GroupShape):
                yield from shape_text(shape.shapes)
            elif getattr(shape, "has_text_frame", False):
                yield shape.text_frame.text
            elif getattr(shape, "has_table", False):
                for row in shape.table.rows:
                    yield "\t".join(cell.text for cell in row.cells)

    for slide in pptx.Presentation(io.BytesIO(data)).slides:
        yield from shape_text(slide.shapes)
        if slide.has_notes_slide:
            notes = slide.notes_slide.notes_text_frame
            if notes is not None:
                yield notes.text


READERS = {"pdf": pdf_text, "docx": docx_text, "pptx": pptx_text}


def collect(parts: Iterator[str], max_chars: int) -> str:
    """Non-empty parts joined by newlines, stopping once `max_chars` (+1, to tell) are read."""
    text: list[str] = []
    length = 0
    for part in parts:
        part = part.strip()
        if part:
            text.append(part)
            length += len(part) + 1
            if length > max_chars:
                break
    return "\n".join(text)[: max_chars + 1]


def main(argv: list[str]) -> int:
    fmt, max_chars, max_memory_mb, cpu_seconds = argv[0], int(argv[1]), int(argv[2]), int(argv[3])
    set_limits(max_memory_mb, cpu_seconds)
    try:
        data = sys.stdin.buffer.read()
        text = collect(READERS[fmt](data), max_chars)
        sys.stdout.buffer.write(text.encode("utf-8", "replace"))
        sys.stdout.flush()
    except MemoryError:
        return EXIT_OUT_OF_MEMORY
    except Exception:  # noqa: BLE001 - any failure of a reader on any file is "unreadable"
        return EXIT_UNREADABLE
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
