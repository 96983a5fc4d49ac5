"""Uploads judged by content (issue 15, "safe by construction"): tries to slip past each guard."""

from __future__ import annotations

import io
import struct
import subprocess
import sys
import textwrap
import threading
import time
import zipfile
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import docx
import pptx
import pytest
from PIL import ExifTags, Image, ImageCms

from app.core.files import images
from app.core.files.images import ImageRefused, reencode
from app.core.files.inspect import (
    DEFAULT_MAX_BYTES,
    MAX_ZIP_MEMBERS,
    Inspected,
    Refused,
    inspect_upload,
    safe_display_name,
)

LIMIT = DEFAULT_MAX_BYTES


def accepted(data: bytes, name: str = "upload") -> Inspected:
    result = inspect_upload(data, name, max_bytes=LIMIT)
    assert isinstance(result, Inspected), result
    return result


def refused(data: bytes, name: str = "upload") -> Refused:
    result = inspect_upload(data, name, max_bytes=LIMIT)
    assert isinstance(result, Refused), result
    assert result.message  # A teacher always gets a sentence, never a blank error.
    return result


def picture(fmt: str, size: tuple[int, int] = (8, 6), **save: object) -> bytes:
    out = io.BytesIO()
    mode = "P" if fmt == "GIF" else "RGB"
    Image.new(mode, size, 1 if mode == "P" else (200, 30, 30)).save(out, format=fmt, **save)
    return out.getvalue()


def docx_bytes(text: str = "Bar models") -> bytes:
    document = docx.Document()
    document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def pptx_bytes() -> bytes:
    deck = pptx.Presentation()
    deck.slides.add_slide(deck.slide_layouts[1]).shapes.title.text = "Part-whole"
    out = io.BytesIO()
    deck.save(out)
    return out.getvalue()


def zip_of(members: dict[str, bytes], *, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return out.getvalue()


def minimal_pdf(extra_catalog: str = "") -> bytes:
    objects = [f"<< /Type /Catalog /Pages 2 0 R {extra_catalog}>>",
               "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>"]
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


# --- The type comes from the content ------------------------------------------------------

@pytest.mark.parametrize(("data", "kind", "extension"), [
    (picture("PNG"), "image", "png"),
    (picture("JPEG"), "image", "jpg"),
    (picture("GIF"), "image", "gif"),
    (picture("WEBP"), "image", "webp"),
    (minimal_pdf(), "pdf", "pdf"),
])
def test_allowlisted_files_are_accepted_whatever_their_name(data: bytes, kind: str,
                                                            extension: str) -> None:
    result = accepted(data, "lesson.txt")
    assert (result.kind, result.extension) == (kind, extension)
    assert result.display_name == f"lesson.{extension}"
    assert result.media_type.endswith(extension if extension != "jpg" else "jpeg")


def test_office_files_are_told_apart_by_their_members() -> None:
    assert accepted(docx_bytes(), "plan.pptx").extension == "docx"
    slides = accepted(pptx_bytes(), "x")
    assert (slides.kind, slides.extension, slides.display_name) == ("slides", "pptx", "x.pptx")
    sheet = zip_of({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"})
    assert accepted(sheet).kind == "spreadsheet"


@pytest.mark.parametrize(("mimetype", "kind", "extension"), [
    (b"application/vnd.oasis.opendocument.text", "document", "odt"),
    (b"application/vnd.oasis.opendocument.presentation", "slides", "odp"),
    (b"application/vnd.oasis.opendocument.spreadsheet", "spreadsheet", "ods"),
])
def test_opendocument_files_are_told_apart_by_their_mimetype_member(
        mimetype: bytes, kind: str, extension: str) -> None:
    data = zip_of({"mimetype": mimetype, "content.xml": b"<office:document-content/>"},
                  compression=zipfile.ZIP_STORED)
    result = accepted(data, "notes")
    assert (result.kind, result.extension) == (kind, extension)


def test_an_odf_mimetype_member_is_read_only_when_it_is_a_few_bytes() -> None:
    padded = b"application/vnd.oasis.opendocument.text" + b" " * 100
    data = zip_of({"mimetype": padded, "content.xml": b"<x/>"})
    assert refused(data, "notes.odt").reason == "archive"


def test_keynote_is_accepted_as_slides_but_pages_is_not() -> None:
    keynote = zip_of({"Index/Document.iwa": b"x", "Index/Slide-1.iwa": b"x",
                      "Metadata/Properties.plist": b"x"})
    assert (accepted(keynote, "talk.key").kind, accepted(keynote).extension) == ("slides", "key")
    pages = zip_of({"Index/Document.iwa": b"x", "Metadata/Properties.plist": b"x"})
    assert refused(pages, "talk.key").reason == "archive"


def test_any_zip_with_an_index_apxl_is_not_taken_for_keynote() -> None:
    old_form = zip_of({"index.apxl": b"", "evil.html": b"<script>alert(1)</script>",
                       "run.exe": b"MZ"})
    assert refused(old_form, "talk.key").reason == "archive"
    assert refused(zip_of({"index.apxl": b"<key:presentation/>"}), "talk.key").reason == "archive"


def test_keynote_must_keep_keynotes_layout() -> None:
    layout = {"Index/Document.iwa": b"x", "Index/Slide-1.iwa": b"x",
              "Index/Tables/DataList.iwa": b"x", "Data/photo-12.jpg": b"x",
              "Data/drawing-3.svg": b"<svg/>", "Metadata/Properties.plist": b"x",
              "preview.jpg": b"x"}
    assert accepted(zip_of(layout), "talk.key").extension == "key"
    for extra in ({"notes.txt": b"x"}, {"Index/payload.bin": b"x"}, {"Data/evil.html": b"<p>"},
                  {"Data/run.exe": b"MZ"}):
        assert refused(zip_of(layout | extra), "talk.key").reason == "archive", extra


@pytest.mark.parametrize("member", ["word/evil.html", "word/media/run.exe", "docProps/x.js",
                                    "word/drawing.svg", "customXml/a.HTM"])
def test_office_files_holding_web_pages_or_programs_are_refused(member: str) -> None:
    out = io.BytesIO(docx_bytes())
    with zipfile.ZipFile(out, "a") as archive:
        archive.writestr(member, b"<script>alert(1)</script>")
    result = refused(out.getvalue(), "plan.docx")
    assert result.reason == "archive" and "programs" in result.message


def test_svg_pictures_where_office_keeps_them_are_fine() -> None:
    out = io.BytesIO(docx_bytes())
    with zipfile.ZipFile(out, "a") as archive:
        archive.writestr("word/media/image1.svg", b"<svg/>")
    assert accepted(out.getvalue(), "plan.docx").extension == "docx"


def test_html_renamed_png_is_refused_as_not_a_picture() -> None:
    page = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
    result = refused(page, "evil.png")
    assert result.reason == "not_a_picture"
    assert "named like a picture" in result.message
    assert refused(page, "evil.docx").reason == "type"


def test_png_header_followed_by_html_is_refused() -> None:
    # Passes a magic-bytes check; only decoding shows it is not a picture.
    fake = b"\x89PNG\r\n\x1a\n" + b"<html><script>alert(1)</script></html>" * 4
    assert refused(fake, "evil.png").reason == "unreadable"


@pytest.mark.parametrize("svg", [
    b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
    b'\xef\xbb\xbf<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" onload="x()"/>',
    b'<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "x"><svg/>',
])
def test_svg_is_always_refused_with_a_way_forward(svg: bytes) -> None:
    for name in ("drawing.svg", "drawing.png", "drawing"):
        result = refused(svg, name)
        assert result.reason == "svg"
        assert "PNG" in result.message


def test_gzipped_svg_is_refused_by_its_name_too() -> None:
    assert refused(zlib.compress(b"<svg/>"), "drawing.svgz").reason == "svg"


def test_gif_html_polyglot_that_is_no_picture_is_refused() -> None:
    assert refused(b"GIF89a<script>alert(1)</script>", "cat.gif").reason == "unreadable"


def test_gif_html_polyglot_is_served_as_a_clean_picture() -> None:
    # A real GIF, with script in its comment and HTML after its end: still a picture, so it
    # is accepted, and the bytes Coplan keeps are pixels only.
    polyglot = picture("GIF", comment=b"<script>alert(1)</script>") + b"<html><script>x()</script>"
    result = accepted(polyglot, "cat.gif")
    assert b"<script" in polyglot
    assert b"<script" not in result.data and b"<html" not in result.data
    with Image.open(io.BytesIO(result.data)) as img:
        assert (img.format, img.size) == ("GIF", (8, 6))
        assert "comment" not in img.info
    assert result.size == len(result.data)


def test_pdf_with_javascript_is_kept_as_a_pdf_file_never_a_picture() -> None:
    # Decision: accepted as a PDF (teachers' forms can carry script); it is only ever served
    # as a download (Content-Disposition: attachment, sandboxed), never shown inline.
    js_pdf = minimal_pdf("/OpenAction << /S /JavaScript /JS (app.alert(1)) >> ")
    result = accepted(js_pdf, "worksheet.png")
    assert (result.kind, result.media_type, result.display_name) == (
        "pdf", "application/pdf", "worksheet.pdf")
    assert result.data == js_pdf


def test_old_office_and_other_types_are_refused_with_what_is_accepted() -> None:
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600)
    assert "Save it as .docx" in refused(ole, "plan.doc").message
    for data in (b"plain text notes", b"MZ\x90\x00" + bytes(100), b"\x1f\x8b\x08" + bytes(30)):
        assert "Coplan accepts pictures" in refused(data, "x.bin").message


def test_a_plain_zip_is_refused() -> None:
    assert refused(zip_of({"notes.txt": b"hello"}), "plan.docx").reason == "archive"


def test_office_files_with_macros_are_refused() -> None:
    with_macros = zip_of({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w/>",
                          "word/vbaProject.bin": b"\x00"})
    assert refused(with_macros, "plan.docx").reason == "macros"
    odf_macros = zip_of({"mimetype": b"application/vnd.oasis.opendocument.text",
                         "content.xml": b"<x/>", "Basic/Standard/Module1.xml": b"<x/>"})
    assert refused(odf_macros, "plan.odt").reason == "macros"


def docx_with(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(docx_bytes())) as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            if info.filename not in members:
                target.writestr(info, source.read(info))
        for name, body in members.items():
            target.writestr(name, body)
    return out.getvalue()


def test_a_renamed_macro_part_is_found_by_its_content_type() -> None:
    with zipfile.ZipFile(io.BytesIO(docx_bytes())) as source:
        types = source.read("[Content_Types].xml")
    declared = types.replace(b"</Types>", b'<Override PartName="/word/data.dat" ContentType='
                             b'"application/vnd.ms-office.vbaProject"/></Types>')
    data = docx_with({"[Content_Types].xml": declared, "word/data.dat": b"\x00"})
    assert refused(data, "plan.docx").reason == "macros"
    # Character references do not hide it: Office reads the XML, so do we.
    hidden = declared.replace(b"vbaProject", b"vba&#80;roject")
    assert b"vbaProject" not in hidden
    assert refused(docx_with({"[Content_Types].xml": hidden, "word/data.dat": b"\x00"}),
                   "plan.docx").reason == "macros"
    enabled = types.replace(b"wordprocessingml.document.main+xml",
                            b"ms-word.document.macroEnabled.main+xml")
    assert enabled != types
    assert refused(docx_with({"[Content_Types].xml": enabled}), "plan.docx").reason == "macros"


def test_a_renamed_macro_part_is_found_by_its_relationship() -> None:
    with zipfile.ZipFile(io.BytesIO(docx_bytes())) as source:
        rels = source.read("word/_rels/document.xml.rels")
    linked = rels.replace(b"</Relationships>", b'<Relationship Id="rIdX" Type="http://schemas.'
                          b'microsoft.com/office/2006/relationships/vbaProject" '
                          b'Target="data.dat"/></Relationships>')
    assert linked != rels
    data = docx_with({"word/_rels/document.xml.rels": linked, "word/data.dat": b"\x00"})
    assert refused(data, "plan.docx").reason == "macros"


def test_damaged_zip_is_refused() -> None:
    assert refused(docx_bytes()[:-200], "plan.docx").reason == "unreadable"


# --- Size ----------------------------------------------------------------------------------

def test_empty_file_is_refused() -> None:
    assert refused(b"", "plan.pdf").reason == "empty"


def test_25_mb_plus_one_byte_is_refused_and_25_mb_accepted() -> None:
    just_right = minimal_pdf().ljust(25 * 1024 * 1024, b" ")
    assert accepted(just_right, "big.pdf").size == 25 * 1024 * 1024
    result = refused(just_right + b" ", "big.pdf")
    assert result.reason == "too_large"
    assert result.message == "This file is 25.1 MB; the limit is 25 MB per file."


# --- Zip bombs ----------------------------------------------------------------------------

def bomb_docx(uncompressed_mb: int) -> bytes:
    """A .docx whose document part inflates `uncompressed_mb` MiB of zeros (~1000:1)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("[Content_Types].xml", b"<Types/>")
        with archive.open("word/document.xml", "w", force_zip64=True) as member:
            chunk = bytes(1024 * 1024)
            for _ in range(uncompressed_mb):
                member.write(chunk)
    return out.getvalue()


def test_zip_bomb_disguised_as_docx_is_refused() -> None:
    bomb = bomb_docx(64)
    assert len(bomb) < 1024 * 1024
    result = refused(bomb, "lesson.docx")
    assert result.reason == "archive"
    assert "harmful" in result.message


def test_archive_declaring_more_than_the_total_limit_is_refused(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # Each member compresses modestly; together they declare more than the limit.
    members = {"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w/>"}
    members |= {f"word/media/part{i}.xml": bytes(range(256)) * 400 for i in range(4)}
    data = zip_of(members)
    assert accepted(data).extension == "docx"
    monkeypatch.setattr("app.core.files.inspect.MAX_ZIP_UNCOMPRESSED", 4 * 256 * 400)
    assert refused(data).reason == "archive"


def test_archive_with_too_many_members_is_refused() -> None:
    members = {"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w/>"}
    members |= {f"word/media/{i}": b"" for i in range(MAX_ZIP_MEMBERS)}
    assert refused(zip_of(members, compression=zipfile.ZIP_STORED)).reason == "archive"


def test_member_count_is_checked_before_zipfile_reads_the_directory(
        monkeypatch: pytest.MonkeyPatch) -> None:
    members = {"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w/>"}
    members |= {f"m{i}": b"" for i in range(20)}
    data = zip_of(members, compression=zipfile.ZIP_STORED)
    monkeypatch.setattr("app.core.files.inspect.MAX_ZIP_MEMBERS", 10)

    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("zipfile was asked to list an archive with too many members")

    monkeypatch.setattr("app.core.files.inspect.zipfile.ZipFile", never)
    assert refused(data).reason == "archive"


# --- Names ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "shown"), [
    ("../../evil.png", "evil.png"),
    ("..\\..\\Windows\\evil.png", "evil.png"),
    ("C:\\Users\\teacher\\Desktop\\Fractions: Year 3.pdf", "Fractions: Year 3.pdf"),
    ('a"\r\nX: y.pdf', "a X: y.pdf"),
    ("photo\u202egnp.exe", "photognp.exe"),
    ("nul\x00byte.pdf", "nulbyte.pdf"),
    (".htaccess", "htaccess"),
    ("../../", "file"),
    ("", "file"),
    ("\u200b\u200b", "file"),
    ("report.pdf.", "report.pdf"),
])
def test_safe_display_name_keeps_only_a_one_line_name(name: str, shown: str) -> None:
    assert safe_display_name(name) == shown


def test_safe_display_name_is_bounded_and_keeps_the_extension() -> None:
    shown = safe_display_name("x" * 5000 + ".pptx")
    assert len(shown) <= 120 and shown.endswith("x.pptx")
    assert len(safe_display_name("y" * 5000)) <= 120


@pytest.mark.parametrize(("name", "data", "shown"), [
    ('a"\r\nX: y.pdf', minimal_pdf(), "a X: y.pdf"),
    ("../../evil.png", minimal_pdf(), "evil.pdf"),   # The content decided: a PDF.
    ("photo.JPEG", picture("JPEG"), "photo.JPEG"),  # Another spelling of the same type stays.
    ("photo.html", picture("JPEG"), "photo.jpg"),
    ("Fractions 3.5", minimal_pdf(), "Fractions 3.5.pdf"),
])
def test_the_shown_extension_is_the_one_the_content_decided(name: str, data: bytes,
                                                            shown: str) -> None:
    assert accepted(data, name).display_name == shown


# --- Pictures: re-encoded, metadata gone ---------------------------------------------------

def gps_photo() -> bytes:
    """A JPEG as a phone writes it: GPS position, owner, orientation, XMP, ICC and a comment.

    Wide (40 x 20), red on the left, blue on the right, and EXIF orientation 6: shown upright
    it is tall, red at the top.
    """
    img = Image.new("RGB", (40, 20), (0, 0, 255))
    img.paste((255, 0, 0), (0, 0, 20, 20))
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    exif[ExifTags.Base.CameraOwnerName] = "Ms Example, Oakfield Primary"
    exif[ExifTags.Base.GPSInfo] = {ExifTags.GPS.GPSLatitudeRef: "N",
                                   ExifTags.GPS.GPSLatitude: (51.0, 30.0, 12.0),
                                   ExifTags.GPS.GPSLongitudeRef: "W",
                                   ExifTags.GPS.GPSLongitude: (0.0, 7.0, 39.0)}
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    out = io.BytesIO()
    img.save(out, format="JPEG", exif=exif, icc_profile=icc, comment=b"<script>x()</script>",
             xmp=b'<x:xmpmeta xmlns:x="adobe:ns:meta/">Oakfield</x:xmpmeta>')
    return out.getvalue()


def test_jpeg_with_gps_exif_is_reencoded_without_it_and_upright() -> None:
    photo = gps_photo()
    with Image.open(io.BytesIO(photo)) as original:  # The test photo really carries it all.
        assert original.getexif().get_ifd(ExifTags.IFD.GPSInfo)
        assert "icc_profile" in original.info and "comment" in original.info
    result = accepted(photo, "IMG_0001.JPG")
    assert (result.kind, result.display_name) == ("image", "IMG_0001.JPG")
    for leak in (b"Exif", b"Oakfield", b"Ms Example", b"<script", b"xmpmeta"):
        assert leak not in result.data
    with Image.open(io.BytesIO(result.data)) as clean:
        assert clean.format == "JPEG"
        assert not clean.getexif()
        assert not {"exif", "icc_profile", "xmp", "comment"} & set(clean.info)
        assert clean.size == (20, 40)  # Turned upright before the orientation tag went.
        top, bottom = clean.getpixel((10, 5)), clean.getpixel((10, 35))
        assert isinstance(top, tuple) and isinstance(bottom, tuple)
        assert top[0] > 200 and top[2] < 60 and bottom[2] > 200 and bottom[0] < 60


def test_png_text_chunks_are_dropped_and_transparency_kept() -> None:
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "<script>alert(1)</script>")
    info.add_itxt("XML:com.adobe.xmp", "<x:xmpmeta>Oakfield</x:xmpmeta>")
    out = io.BytesIO()
    Image.new("RGBA", (4, 4), (0, 0, 0, 0)).save(out, format="PNG", pnginfo=info)
    result = accepted(out.getvalue(), "model.png")
    assert b"script" not in result.data and b"Oakfield" not in result.data
    with Image.open(io.BytesIO(result.data)) as clean:
        assert clean.mode == "RGBA" and clean.getpixel((0, 0)) == (0, 0, 0, 0)


def test_animated_gif_keeps_its_first_frame_and_its_colours() -> None:
    frames = [Image.new("RGB", (6, 6), colour) for colour in ((250, 120, 0), (0, 0, 250))]
    out = io.BytesIO()
    frames[0].save(out, format="GIF", save_all=True, append_images=frames[1:], duration=100)
    with Image.open(io.BytesIO(reencode(out.getvalue()))) as clean:
        assert getattr(clean, "n_frames", 1) == 1
        assert clean.convert("RGB").getpixel((0, 0)) == (250, 120, 0)


@pytest.mark.parametrize("fmt", ["PNG", "GIF"])
def test_palette_transparency_survives(fmt: str) -> None:
    img = Image.new("P", (4, 4), 0)
    img.putpalette([255, 255, 255, 200, 0, 0] + [0] * 762)
    img.putpixel((1, 1), 1)
    out = io.BytesIO()
    img.save(out, format=fmt, transparency=0)
    with Image.open(io.BytesIO(reencode(out.getvalue()))) as clean:
        rgba = clean.convert("RGBA")
        assert rgba.getpixel((0, 0))[3] == 0  # type: ignore[index]
        assert rgba.getpixel((1, 1)) == (200, 0, 0, 255)


def test_reencode_refuses_formats_outside_the_four() -> None:
    bmp = io.BytesIO()
    Image.new("RGB", (4, 4)).save(bmp, format="BMP")
    with pytest.raises(ImageRefused):
        reencode(bmp.getvalue())


def png_declaring(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims `width` x `height` pixels (a decompression bomb)."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body)))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\x00" * 1000)) + chunk(b"IEND", b""))


@pytest.mark.parametrize(("width", "height"), [(6000, 4001), (8000, 6000), (20_000, 20_000),
                                             (60_000, 60_000)])
def test_decompression_bomb_is_refused_before_decoding(width: int, height: int) -> None:
    result = refused(png_declaring(width, height), "bomb.png")
    assert result.reason == "unreadable"
    assert "too large" in result.message and "24 megapixels" in result.message


def test_pixel_limit_counts_width_times_height() -> None:
    assert reencode(picture("PNG", (100, 100)), max_pixels=10_000)
    with pytest.raises(ImageRefused, match="too large"):
        reencode(picture("PNG", (100, 100)), max_pixels=9_999)
    assert images.MAX_PIXELS == 24_000_000


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads Linux's VmHWM")
def test_a_24_megapixel_photo_is_reencoded_within_a_memory_bound() -> None:
    # Pillow's pixels live outside Python's allocator: measure the peak of a fresh process.
    # VmHWM, not ru_maxrss, which Linux carries over from the parent (pytest) across exec.
    photo = io.BytesIO()
    Image.new("RGB", (6000, 4000), (200, 120, 40)).save(photo, "JPEG", quality=90)
    script = textwrap.dedent("""
        import sys
        from app.core.files.images import reencode
        def peak_kb():
            with open("/proc/self/status") as status:
                return next(int(line.split()[1]) for line in status if line.startswith("VmHWM"))
        data = sys.stdin.buffer.read()
        before = peak_kb()
        out = reencode(data, extension="jpg")
        print((peak_kb() - before) // 1024, len(out))
    """)
    finished = subprocess.run([sys.executable, "-c", script], input=photo.getvalue(),
                              capture_output=True, cwd=Path(__file__).parents[2], timeout=60,
                              check=True)
    grown_mb, size = map(int, finished.stdout.split())
    # One RGB frame is 96 MB in Pillow; measured ~160 MB (it was ~320 MB copying via bytes).
    assert size > 0 and grown_mb < 230, grown_mb


def test_only_a_few_pictures_are_reencoded_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    running, most = 0, 0
    lock = threading.Lock()
    save = images._save

    def slow_save(*args: object) -> bytes:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        time.sleep(0.2)
        with lock:
            running -= 1
        return save(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(images, "_save", slow_save)
    data = picture("PNG")
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(lambda _: reencode(data), range(6)))
    assert all(results)
    assert most == images.MAX_AT_ONCE == 2


def test_a_multi_picture_jpeg_stays_a_jpeg() -> None:
    first, second = Image.new("RGB", (40, 30), "red"), Image.new("RGB", (40, 30), "blue")
    mpo = io.BytesIO()
    first.save(mpo, "MPO", save_all=True, append_images=[second])
    result = accepted(mpo.getvalue(), "photo.jpg")
    assert (result.media_type, result.extension) == ("image/jpeg", "jpg")
    with Image.open(io.BytesIO(result.data)) as clean:
        assert clean.format == "JPEG" and clean.convert("RGB").getpixel((20, 15))[0] > 200


def test_reencode_only_decodes_the_format_the_content_decided() -> None:
    with pytest.raises(ImageRefused):
        reencode(picture("PNG"), extension="gif")


def test_office_bookkeeping_parts_are_read_only_when_small(monkeypatch: pytest.MonkeyPatch) -> None:
    from app.core.files import inspect as inspect_module
    assert accepted(docx_bytes(), "plan.docx").extension == "docx"
    monkeypatch.setattr(inspect_module, "MAX_OOXML_PART", 100)
    assert refused(docx_bytes(), "plan.docx").reason == "archive"
