"""Raster pictures re-encoded from their pixels, so what Coplan serves is only a picture.

Why re-encode rather than pass the upload through:
- metadata: a phone photo of pupils' work carries EXIF (GPS position, camera owner, time), XMP
  and comments. None of it survives: the new file is built from pixels alone.
- polyglots: a real GIF or JPEG can carry HTML or script in a comment or after its end. Only
  decoded pixels are written back, so those bytes are gone too.
- decompression bombs: a few kilobytes can declare a 100,000 x 100,000 picture. The size is
  read from the header and checked against `MAX_PIXELS` before any pixel is decoded, and at
  most `MAX_AT_ONCE` pictures are decoded at a time in a process.

Orientation is applied before the EXIF goes, so photos taken sideways stay upright. An
animated GIF or WebP keeps its first frame only: a picture in a plan is a still picture, and
one frame keeps the memory used bounded by `MAX_PIXELS` whatever the frame count.
"""

from __future__ import annotations

import io
import threading
from typing import Final

from PIL import Image, ImageOps

#: 24 megapixels: a classroom photo or scan needs no more, and it keeps today's phone photos
#: (12 MP is 4032 x 3024; 24 MP is 6000 x 4000). Pillow holds an RGB or RGBA pixel in 4 bytes,
#: so one decoded frame is at most ~96 MB. Measured growth of a process's peak memory while
#: re-encoding one 6000 x 4000 picture (Pillow 13): JPEG and PNG ~160 MB, WebP ~390 MB (Pillow
#: decodes WebP through a full-size canvas and a copy of it). Before (40 MP limit, pixels
#: copied through `tobytes`) the same JPEG or PNG took ~320 MB, the WebP ~570 MB, and a 40 MP
#: WebP ~1.3 GB.
MAX_PIXELS: Final = 24_000_000

#: Re-encodes running at once in a process; more wait their turn. Each may take the memory
#: above for a second or two, so a burst of uploads (or one person sending many pictures)
#: costs at most this many times that, not one per request thread.
MAX_AT_ONCE: Final = 2
_AT_ONCE = threading.BoundedSemaphore(MAX_AT_ONCE)

#: Pillow's format name for each extension `inspect` can decide.
PILLOW_FORMATS: Final = {"png": "PNG", "jpg": "JPEG", "gif": "GIF", "webp": "WEBP"}


class ImageRefused(ValueError):
    """The bytes are not a picture Coplan will re-encode; `str(error)` is for teachers."""


def reencode(data: bytes, *, extension: str | None = None, max_pixels: int = MAX_PIXELS) -> bytes:
    """A clean copy of the PNG, JPEG, GIF or WebP picture in `data`, in the same format.

    `extension` ("png", "jpg", "gif", "webp"), when given, is the only format Pillow may decode
    it as. Raises ImageRefused when the picture cannot be decoded, is of another format, or is
    larger than `max_pixels`.
    """
    formats = [PILLOW_FORMATS[extension]] if extension else list(PILLOW_FORMATS.values())
    # Pillow's own bomb check (in open) only warns below twice its limit; ours, on the size
    # read from the header, comes before any pixel is decoded. (No warnings.catch_warnings
    # here: it changes process-wide state, and a web server has threads.)
    try:
        with Image.open(io.BytesIO(data), formats=formats) as img:
            # A multi-picture JPEG (MPO: some phones and 3D cameras) opens as "MPO"; it is a
            # JPEG to browsers, and its first picture is kept as one.
            fmt = "JPEG" if img.format == "MPO" else img.format or ""
            width, height = img.size
            if width * height > max_pixels:
                raise ImageRefused(_too_many_pixels(width, height, max_pixels))
            with _AT_ONCE:
                img.seek(0)
                img.load()
                transparency = img.info.get("transparency")
                ImageOps.exif_transpose(img, in_place=True)
                return _save(_pixels_only(img), fmt, transparency)
    except ImageRefused:
        raise
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as error:
        raise ImageRefused(_too_many_pixels(0, 0, max_pixels)) from error
    except (OSError, ValueError, SyntaxError, EOFError, MemoryError) as error:
        # UnidentifiedImageError is an OSError.
        raise ImageRefused("This picture could not be read; it may be damaged.") from error


def _pixels_only(img: Image.Image) -> Image.Image:
    """A new image holding `img`'s pixels (and palette), and nothing from its `info`.

    `img` is closed (its pixels freed) once copied, so two decoded frames exist only while
    copying, and the encoder works with one.
    """
    mode = img.mode
    if mode not in {"1", "L", "LA", "P", "RGB", "RGBA"}:
        # CMYK, 16-bit and other modes: converted to what every browser shows.
        converted = img.convert("RGBA" if "A" in mode else "RGB")
        img.close()
        img = converted
        mode = img.mode
    clean = Image.new(mode, img.size)
    clean.paste(img)
    if mode == "P":
        palette = img.getpalette()
        if palette is not None:
            clean.putpalette(palette)
    img.close()
    return clean


def _save(img: Image.Image, fmt: str, transparency: object) -> bytes:
    out = io.BytesIO()
    if fmt == "JPEG":
        if img.mode not in {"L", "RGB"}:
            img = img.convert("RGB")
        img.save(out, format="JPEG", quality=90, optimize=True)
    elif fmt == "GIF":
        options: dict[str, object] = {}
        if img.mode == "P" and isinstance(transparency, int):
            options["transparency"] = transparency
        img.save(out, format="GIF", **options)
    elif fmt == "WEBP":
        if img.mode not in {"RGB", "RGBA"}:
            img = img.convert("RGBA" if img.mode in {"LA", "P"} else "RGB")
        img.save(out, format="WEBP", quality=90)
    else:
        if img.mode == "P" and transparency is not None:
            # A palette's transparency lives in `info`, which is not copied: keep it as alpha.
            img = _with_palette_transparency(img, transparency)
        img.save(out, format="PNG", optimize=False)
    return out.getvalue()


def _with_palette_transparency(img: Image.Image, transparency: object) -> Image.Image:
    img.info["transparency"] = transparency
    rgba = img.convert("RGBA")
    img.info.clear()
    return rgba


def _too_many_pixels(width: int, height: int, max_pixels: int) -> str:
    size = f" ({width} x {height})" if width and height else ""
    return (f"This picture is too large{size}: the limit is {max_pixels // 1_000_000} "
            "megapixels. Make it smaller and upload it again.")
