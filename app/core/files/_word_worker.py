"""The child process that turns one .docx file into HTML with mammoth (see `word`).

Run as a script (`python -I -B _word_worker.py MAX_PICTURES MAX_PICTURE_BYTES MAX_HTML_CHARS
MAX_MEMORY_MB CPU_SECONDS`), never imported by the app: like `_extract_worker.py` it imports no
part of Coplan (under -I the script's folder is not on `sys.path`, so the limits are set here
again rather than shared). The limits are set before the file is read from stdin.

Output on stdout: one JSON object {"html": ..., "pictures": [{"alt", "type", "data"}, ...],
"left_out": n}. Pictures past MAX_PICTURES, or over MAX_PICTURE_BYTES, are not read: their
<img> says `left-out:` so the page can name them. Exit status: 0 on success; 3 when the memory
limit was hit; 4 when the HTML is over MAX_HTML_CHARS; 2 for any other failure.
"""

from __future__ import annotations

import base64
import io
import json
import sys
from typing import Any

EXIT_UNREADABLE = 2
EXIT_OUT_OF_MEMORY = 3
EXIT_TOO_LONG = 4
MAX_OPEN_FILES = 16

#: Word's own style for a document's title, marked so the reader can tell it from a heading.
STYLE_MAP = "p[style-name='Title'] => h1.title:fresh"


def set_limits(max_memory_mb: int, cpu_seconds: int) -> None:
    """Cap this process's address space, CPU time and open files; it may write no file."""
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


def convert(data: bytes, max_pictures: int, max_picture_bytes: int) -> dict[str, Any]:
    import mammoth

    pictures: list[dict[str, str]] = []
    left_out = 0

    def picture(image: Any) -> dict[str, str]:
        nonlocal left_out
        if len(pictures) >= max_pictures:
            left_out += 1
            return {"src": "left-out:"}
        with image.open() as stream:
            # One byte past the limit at most: enough to know it is too big.
            content = stream.read(max_picture_bytes + 1)
        if len(content) > max_picture_bytes:
            left_out += 1
            return {"src": "left-out:"}
        pictures.append({"alt": image.alt_text or "", "type": image.content_type or "",
                         "data": base64.b64encode(content).decode("ascii")})
        return {"src": f"picture:{len(pictures) - 1}"}

    result = mammoth.convert_to_html(io.BytesIO(data), style_map=STYLE_MAP,
                                     convert_image=mammoth.images.img_element(picture))
    return {"html": result.value, "pictures": pictures, "left_out": left_out}


def main(argv: list[str]) -> int:
    max_pictures, max_picture_bytes, max_html_chars, max_memory_mb, cpu_seconds = (
        int(value) for value in argv[:5])
    set_limits(max_memory_mb, cpu_seconds)
    try:
        data = sys.stdin.buffer.read()
        converted = convert(data, max_pictures, max_picture_bytes)
        if len(converted["html"]) > max_html_chars:
            return EXIT_TOO_LONG
        sys.stdout.write(json.dumps(converted))
        sys.stdout.flush()
    except MemoryError:
        return EXIT_OUT_OF_MEMORY
    except Exception:  # noqa: BLE001 - any failure of the reader on any file is "unreadable"
        return EXIT_UNREADABLE
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
