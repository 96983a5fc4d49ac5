"""The original name of an uploaded file, kept only as text to show and to offer on download.

Files are stored under app-made names (their content hash); the uploaded name never becomes a
path. It still travels: into pages, into a `Content-Disposition` header, into a teacher's
Downloads folder. So it loses any folder part (`../../evil.png`), every control character
(CR/LF could split a header), bidi overrides (`photo\u202egnp.exe` shows as "photoexe.png"),
double quotes (they end a quoted `filename="…"`), and is capped in length.
"""

from __future__ import annotations

import re

from app.core.text import one_line

#: Long enough for any real title; short enough for a list column and every file system.
MAX_NAME_CHARS = 120
#: What a name made only of path, dots or invisible characters becomes.
FALLBACK_STEM = "file"

_PATH_SEPARATORS = re.compile(r"[/\\]")


def safe_display_name(name: str) -> str:
    """`name` as a one-line label: last path part only, no control characters, never empty."""
    text = one_line(name.replace("\x00", ""))
    # The last non-empty part: "../../evil.png" and "C:\\Users\\x\\evil.png" give "evil.png".
    parts = [part for part in _PATH_SEPARATORS.split(text) if part.strip()]
    base = parts[-1] if parts else ""
    # Leading dots hide a downloaded file; trailing dots and spaces are dropped by Windows.
    base = base.replace('"', "").strip(" .")
    if not base:
        return FALLBACK_STEM
    stem, dot, suffix = base.rpartition(".")
    if dot and stem and 0 < len(suffix) < MAX_NAME_CHARS // 2:
        return _shorten(stem, MAX_NAME_CHARS - len(suffix) - 1).rstrip(" .") + "." + suffix
    return _shorten(base, MAX_NAME_CHARS)


def with_extension(display_name: str, extension: str, aliases: frozenset[str]) -> str:
    """`display_name` ending in the extension its *content* decided.

    A name already ending in one of the type's spellings (`photo.jpeg`) keeps it; one ending
    in another known extension has it replaced (`evil.html` holding a PNG -> `evil.png`);
    anything else gets the extension added ("Fractions 3.5" -> "Fractions 3.5.pdf").
    """
    stem, dot, suffix = display_name.rpartition(".")
    suffix = suffix.lower()
    if dot and stem and suffix in aliases:
        return display_name
    if dot and stem and suffix in KNOWN_EXTENSIONS:
        display_name = stem
    room = MAX_NAME_CHARS - len(extension) - 1
    return _shorten(display_name, room).rstrip(" .") + "." + extension


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit].rstrip()


#: Extensions a name may wrongly carry, replaced by the one the content decided. Not an
#: allowlist (that is the content check in `inspect`): only what counts as "an extension".
KNOWN_EXTENSIONS = frozenset({
    "png", "jpg", "jpeg", "jpe", "jfif", "gif", "webp", "bmp", "tif", "tiff", "ico", "heic",
    "heif", "avif", "svg", "svgz", "pdf", "doc", "docx", "docm", "dot", "dotx", "ppt", "pptx",
    "pptm", "pps", "ppsx", "xls", "xlsx", "xlsm", "csv", "odt", "odp", "ods", "key", "pages",
    "numbers", "rtf", "txt", "md", "htm", "html", "xhtml", "xml", "js", "mjs", "css", "json",
    "exe", "bat", "cmd", "com", "scr", "msi", "ps1", "sh", "vbs", "jar", "php", "zip", "gz",
    "rar", "7z", "tar",
})
