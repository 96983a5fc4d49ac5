"""What an uploaded file is, decided from its bytes, and whether Coplan takes it.

The name and the browser's Content-Type are whatever the sender chose, so neither decides
anything: a page of HTML named `evil.png` is not a picture, and a PDF named `notes.png` is a
PDF. The type comes from the content (`filetype`'s magic bytes; for ZIP containers, the names
of their members) and must be on a short allowlist of what plans need: pictures, PDF, office
documents, slides and spreadsheets. Everything else is refused with a message a teacher can act
on: SVG always (it can carry script), files over the size limit, empty files and archives
built to explode when opened.

A ZIP is judged from its central directory first: member count, declared sizes and
compression ratios are bounded before `zipfile` lists it. Only small bookkeeping members are
then decompressed: an OpenDocument file's few-byte `mimetype`, and an Office file's
`[Content_Types].xml` and `.rels` parts (size-bounded), which say whether it carries macros
whatever the macro part is named. Web pages, scripts and programs inside any container are
refused, whatever its type.

Pictures are re-encoded here (`images.reencode`), so `Inspected.data` (what the caller
stores and serves) is clean by construction; other files are kept as uploaded and must be
served as attachments.
"""

from __future__ import annotations

import io
import math
import zipfile
from dataclasses import dataclass, field
from typing import Final, Literal
from xml.etree import ElementTree

import filetype

from app.core.files.images import ImageRefused, reencode
from app.core.files.names import safe_display_name, with_extension

__all__ = [
    "DEFAULT_MAX_BYTES", "FileType", "Inspected", "Refused", "detect_type", "inspect_upload",
    "safe_display_name",
]

Kind = Literal["image", "document", "slides", "spreadsheet", "pdf"]

#: The default per-file limit (issue 15): 25 MB, counted in MiB as file managers do.
DEFAULT_MAX_BYTES: Final = 25 * 1024 * 1024

#: ZIP limits. A 300-slide deck has about 1,500 members; office XML compresses up to ~100:1.
MAX_ZIP_MEMBERS: Final = 10_000
MAX_ZIP_UNCOMPRESSED: Final = 512 * 1024 * 1024
MAX_ZIP_RATIO: Final = 200
#: Members smaller than this are not ratio-checked: a tiny, very repetitive part is harmless.
ZIP_RATIO_FLOOR: Final = 1024 * 1024
#: Bounds on the Office bookkeeping parts read for macros. A 300-slide deck's are ~1 MB in all.
MAX_OOXML_PART: Final = 4 * 1024 * 1024
MAX_OOXML_PARTS_TOTAL: Final = 16 * 1024 * 1024

#: Members no document, deck or sheet needs: web pages, scripts and programs. The container is
#: only ever downloaded, but a file that carries them is not what it claims to be.
_FOREIGN_MEMBER_EXTENSIONS: Final = frozenset({
    "htm", "html", "xht", "xhtml", "mht", "mhtml", "hta", "js", "mjs", "jse", "vbs", "vbe",
    "wsf", "ps1", "sh", "bat", "cmd", "com", "exe", "dll", "scr", "msi", "jar", "swf", "lnk",
    "svg", "svgz"})
#: ...except SVG where editors keep inserted pictures (Office icons are SVG with a PNG
#: fallback; LibreOffice and Keynote keep SVG drawings as they were inserted).
_SVG_FOLDERS: Final = ("word/media/", "ppt/media/", "xl/media/", "pictures/", "data/")

_ZIP_MAGIC = b"PK\x03\x04"
_ZIP_CENTRAL_ENTRY = b"PK\x01\x02"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


@dataclass(frozen=True)
class FileType:
    """One allowlisted type: what it is to a teacher and how it is served."""

    kind: Kind
    media_type: str
    extension: str
    #: Other spellings of the extension a name may already carry (`photo.jpeg`).
    aliases: frozenset[str] = frozenset()

    @property
    def all_extensions(self) -> frozenset[str]:
        return self.aliases | {self.extension}


_OOXML = "application/vnd.openxmlformats-officedocument"
_ODF = "application/vnd.oasis.opendocument"

PNG = FileType("image", "image/png", "png")
JPEG = FileType("image", "image/jpeg", "jpg", frozenset({"jpeg", "jpe", "jfif"}))
GIF = FileType("image", "image/gif", "gif")
WEBP = FileType("image", "image/webp", "webp")
PDF = FileType("pdf", "application/pdf", "pdf")
DOCX = FileType("document", f"{_OOXML}.wordprocessingml.document", "docx")
PPTX = FileType("slides", f"{_OOXML}.presentationml.presentation", "pptx")
XLSX = FileType("spreadsheet", f"{_OOXML}.spreadsheetml.sheet", "xlsx")
ODT = FileType("document", f"{_ODF}.text", "odt")
ODP = FileType("slides", f"{_ODF}.presentation", "odp")
ODS = FileType("spreadsheet", f"{_ODF}.spreadsheet", "ods")
KEYNOTE = FileType("slides", "application/vnd.apple.keynote", "key")

#: `filetype`'s answer for the allowlisted types that are not ZIP containers.
_BY_MAGIC: Final = {t.media_type: t for t in (PNG, JPEG, GIF, WEBP, PDF)}
_ODF_BY_MIMETYPE: Final = {t.media_type: t for t in (ODT, ODP, ODS)}
_PICTURE_EXTENSIONS: Final = frozenset().union(*(t.all_extensions for t in (PNG, JPEG, GIF, WEBP)))

ACCEPTED = ("Coplan accepts pictures (PNG, JPEG, GIF, WebP), PDF, Word, PowerPoint and Excel "
            "files (.docx, .pptx, .xlsx), OpenDocument files (.odt, .odp, .ods) and Keynote "
            "files (.key).")


@dataclass(frozen=True)
class Inspected:
    """An accepted upload. Store and serve `data`, show `display_name`, never the upload's name."""

    kind: Kind
    media_type: str
    extension: str
    display_name: str
    #: Size of `data` in bytes.
    size: int
    #: The bytes to keep: a re-encoded copy for pictures, the upload unchanged otherwise.
    data: bytes = field(repr=False)


@dataclass(frozen=True)
class Refused:
    """A refused upload: `message` is for the teacher, `reason` for code (and a 413 on size)."""

    reason: Literal["empty", "too_large", "type", "svg", "not_a_picture", "old_office",
                    "archive", "macros", "unreadable"]
    message: str


def inspect_upload(data: bytes, claimed_name: str, *, max_bytes: int) -> Inspected | Refused:
    """Accept `data` as one of the allowlisted types, or say why not.

    `claimed_name` is used only for the display name and for a clearer refusal when it
    promises a picture; it never decides the type.
    """
    if not data:
        return Refused("empty", "This file is empty. Choose the file again and upload it.")
    if len(data) > max_bytes:
        return Refused("too_large", f"This file is {_megabytes(len(data), up=True)}; the limit is "
                                    f"{_megabytes(max_bytes)} per file.")
    name = safe_display_name(claimed_name)
    decided = detect_type(data, claimed_name=name)
    if isinstance(decided, Refused):
        return decided
    if decided.kind == "image":
        try:
            data = reencode(data, extension=decided.extension)
        except ImageRefused as error:
            return Refused("unreadable", str(error))
    return Inspected(kind=decided.kind, media_type=decided.media_type,
                     extension=decided.extension,
                     display_name=with_extension(name, decided.extension, decided.all_extensions),
                     size=len(data), data=data)


def detect_type(data: bytes, *, claimed_name: str = "") -> FileType | Refused:
    """The allowlisted type of `data`, from its content alone (the name only words a refusal)."""
    if data.startswith(_ZIP_MAGIC):
        return _zip_type(data)
    guessed = filetype.guess_mime(data)
    if guessed in _BY_MAGIC:
        return _BY_MAGIC[guessed]
    if _looks_like_svg(data) or _extension(claimed_name) in {"svg", "svgz"}:
        return Refused("svg", "SVG drawings are not accepted because they can contain scripts. "
                              "Export the drawing as a PNG picture and upload that instead.")
    if _extension(claimed_name) in _PICTURE_EXTENSIONS:
        return Refused("not_a_picture", "This file is named like a picture but its content is "
                                        "not a PNG, JPEG, GIF or WebP picture, so it was not "
                                        "added.")
    if data.startswith(_OLE_MAGIC):
        return Refused("old_office", "This looks like an older Office file (.doc, .ppt, .xls) or "
                                     "one with a password. Save it as .docx, .pptx or .xlsx "
                                     "without a password and upload that.")
    return Refused("type", f"Coplan cannot take this type of file. {ACCEPTED}")


def _zip_type(data: bytes) -> FileType | Refused:
    """The office format inside a ZIP, judged from its directory without decompressing it."""
    # zipfile builds an object per directory entry before we can count them: count first.
    # Every entry it reads starts with this signature, so the count is an upper bound.
    if data.count(_ZIP_CENTRAL_ENTRY) > MAX_ZIP_MEMBERS:
        return _archive_refused()
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            refusal = _unsafe_archive(members)
            if refusal is not None:
                return refusal
            names = {member.filename for member in members}
            return _office_type(archive, names)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError,
            NotImplementedError, RuntimeError):
        return Refused("unreadable", "This file could not be opened; it may be damaged.")


def _unsafe_archive(members: list[zipfile.ZipInfo]) -> Refused | None:
    """Declared sizes are enough: zipfile never inflates a member past its declared size."""
    if sum(member.file_size for member in members) > MAX_ZIP_UNCOMPRESSED:
        return _archive_refused()
    for member in members:
        if (member.file_size > ZIP_RATIO_FLOOR
                and member.file_size > MAX_ZIP_RATIO * max(member.compress_size, 1)):
            return _archive_refused()
    return None


def _office_type(archive: zipfile.ZipFile, names: set[str]) -> FileType | Refused:
    lowered = {name.lower() for name in names}
    if any(_is_foreign(name) for name in lowered):
        return Refused("archive", "This file holds web pages, scripts or programs, which no "
                                  "document needs, so it was not added.")
    if "[Content_Types].xml" in names:
        if any(name.endswith("vbaproject.bin") for name in lowered):
            return _macros_refused()
        macros = _ooxml_declares_macros(archive)
        if macros is not None:
            return macros
        for main_part, found in (("word/document.xml", DOCX), ("ppt/presentation.xml", PPTX),
                                 ("xl/workbook.xml", XLSX)):
            if main_part in names:
                return found
    if "mimetype" in names and "content.xml" in names:
        if any(name.startswith(("basic/", "scripts/")) for name in lowered):
            return _macros_refused()
        info = archive.getinfo("mimetype")
        if info.file_size <= 100:
            mimetype = archive.read(info).decode("ascii", "replace").strip()
            if mimetype in _ODF_BY_MIMETYPE:
                return _ODF_BY_MIMETYPE[mimetype]
    if _is_keynote(names):
        return KEYNOTE
    return Refused("archive", f"ZIP archives and other packed files are not accepted. {ACCEPTED}")


def _is_foreign(lowered_name: str) -> bool:
    extension = _extension(lowered_name.rpartition("/")[2])
    if extension in {"svg", "svgz"}:
        return not lowered_name.startswith(_SVG_FOLDERS)
    return extension in _FOREIGN_MEMBER_EXTENSIONS


def _ooxml_declares_macros(archive: zipfile.ZipFile) -> Refused | None:
    """Macros refused by what the package declares, not by the macro part's name.

    Office finds a VBA project through a relationship of type `.../vbaProject` and its content
    type (`application/vnd.ms-office.vbaProject`, or a `macroEnabled` main part), so a renamed
    `vbaProject.bin` is still found here. The XML is parsed (not searched as bytes) so that
    character references cannot hide the words; expat bounds entity expansion.
    """
    parts = [info for info in archive.infolist()
             if info.filename == "[Content_Types].xml" or info.filename.lower().endswith(".rels")]
    if (any(info.file_size > MAX_OOXML_PART for info in parts)
            or sum(info.file_size for info in parts) > MAX_OOXML_PARTS_TOTAL):
        return _archive_refused()
    for info in parts:
        try:
            root = ElementTree.fromstring(archive.read(info))
        except ElementTree.ParseError:
            return Refused("unreadable", "This file could not be opened; it may be damaged.")
        for element in root.iter():
            for value in element.attrib.values():
                if "vbaproject" in value.lower() or "macroenabled" in value.lower():
                    return _macros_refused()
    return None


def _is_keynote(names: set[str]) -> bool:
    """Keynote 2013 and later: `Index/Document.iwa` and slide archives, all in Keynote's layout.

    Pages and Numbers files share the layout; only Keynote's have slide archives. Keynote '09
    files (`index.apxl`, a bare XML file any ZIP can hold) are not taken: nothing tells them
    from an arbitrary archive, and Keynote has saved the newer layout for over a decade.
    """
    if "Index/Document.iwa" not in names:
        return False
    if not any(name.startswith(("Index/Slide", "Index/MasterSlide")) for name in names):
        return False
    # Keynote's package: archives under Index/, media under Data/, plists under Metadata/,
    # and preview pictures at the top.
    return all(
        (name.startswith("Index/") and (name.endswith(".iwa") or name.endswith("/")))
        or name.startswith(("Data/", "Metadata/"))
        or (name.startswith("preview") and "/" not in name and name.endswith(".jpg"))
        for name in names)


def _looks_like_svg(data: bytes) -> bool:
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith((b"<svg", b"<?xml", b"<!doctype svg")) and b"<svg" in head


def _extension(name: str) -> str:
    stem, dot, suffix = name.rpartition(".")
    return suffix.lower() if dot and stem else ""


def _archive_refused() -> Refused:
    return Refused("archive", "This file holds far more than its size suggests, as damaged "
                              "or deliberately harmful files do, so it was not added.")


def _macros_refused() -> Refused:
    return Refused("macros", "Files with macros are not accepted. Save it without macros (as "
                             ".docx, .pptx, .xlsx or OpenDocument) and upload that.")


def _megabytes(size: int, *, up: bool = False) -> str:
    """"25 MB", "25.1 MB": rounded up for a file over the limit, so it never reads as equal."""
    tenths = size * 10 / (1024 * 1024)
    shown = math.ceil(tenths) if up else round(tenths)
    return f"{shown / 10:.1f}".removesuffix(".0") + " MB"
