"""What Coplan accepts from a request, decided once for every form and every URL.

The input policy (the README's "Security and input" section says the same):

* Text must be UTF-8. A form body or query string with bytes that are not is refused with a
  400 that says so; nothing is stored (Werkzeug would otherwise keep them as "%FF" text).
* Every value is normalised before any view sees it: Unicode NFC, line endings to "\\n", and
  control characters removed (C0 except tab and line feed, DEL, C1 and NUL). They cannot be
  typed, only pasted from binary data, and no page could show them. Passwords are left exactly
  as typed (their hash depends on every character).
* A single-valued field sent twice (`body=A&body=B`, a second `csrf_token`) is a 400: the first
  value no longer silently wins. Fields that are lists by design are named in MULTI_VALUED.
* Numbers (ids, page numbers) are ASCII digits. Anything else counts as absent; a number too
  large for the database names no row and reads as NO_SUCH_ID (-1), so a filter gives an empty
  list and a look-up a 404 or a field error, never a 500.
* Titles and names must contain something visible: see app/core/text.py.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from typing import IO, Any, TypeVar, overload
from urllib.parse import parse_qsl

from flask import Request, request
from werkzeug.datastructures import FileStorage, ImmutableMultiDict, MultiDict
from werkzeug.formparser import FormDataParser
from werkzeug.utils import cached_property

from app.core.text import is_whole_number
from app.errors import ValidationError

#: Form fields that are lists by design (checkbox groups and repeated rows).
MULTI_VALUED = frozenset({
    "addresses", "attendees", "big_ideas", "continuing", "links", "material_id", "material_note",
    "material_position", "observers", "roles", "school_ids", "year_groups",
})

#: Fields kept exactly as typed.
VERBATIM = frozenset({"password", "current_password", "new_password", "confirm"})

_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
#: What an id too large for the database reads as: no row has it.
NO_SUCH_ID = -1


class InputRejected(ValidationError):
    """A request whose input breaks the policy above (answered with a 400 page)."""

    title = "Please check what you sent"


def clean_text(value: str) -> str:
    """NFC, "\\n" line endings and no control characters (tab and line feed stay)."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return unicodedata.normalize("NFC", _CONTROL.sub("", value))


def parse_int(value: Any) -> int:
    """ASCII digits as a number the database can hold (NO_SUCH_ID if too large), else
    ValueError (so `get(..., type=int)` gives its default)."""
    text = value.strip() if isinstance(value, str) else ""
    if not (text.isascii() and text.isdigit()):
        raise ValueError(f"not a whole number: {value!r}")
    return int(text) if is_whole_number(text) else NO_SUCH_ID


_T = TypeVar("_T")
#: What Werkzeug's form parsers return: (stream, form, files).
_ParseResult = tuple[IO[bytes], MultiDict[str, str], MultiDict[str, FileStorage]]


class InputDict(ImmutableMultiDict[str, str]):
    """Request parameters whose `get(..., type=int)` stays within the database's range."""

    # Werkzeug's TypeConversionDict.get overloads, for string keys and values, with `type`
    # keyword-only as every caller passes it. Like Werkzeug's own, they cannot match dict.get's
    # positional-only signature, hence the ignore.
    @overload  # type: ignore[override]
    def get(self, key: str) -> str | None: ...
    @overload
    def get(self, key: str, default: str) -> str: ...
    @overload
    def get(self, key: str, default: _T) -> str | _T: ...
    @overload
    def get(self, key: str, *, type: Callable[[str], _T]) -> _T | None: ...
    @overload
    def get(self, key: str, default: _T, *, type: Callable[[str], _T]) -> _T: ...
    def get(self, key: str, default: Any = None, type: Callable[[str], Any] | None = None) -> Any:
        if type is None:
            return super().get(key, default)
        if type is int:
            type = parse_int
        return super().get(key, default, type=type)


def _normalised(items: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(clean_text(k), v if k in VERBATIM else clean_text(v)) for k, v in items]


def _decode_pairs(raw: bytes, where: str) -> list[tuple[str, str]]:
    try:
        return parse_qsl(raw.decode("utf-8"), keep_blank_values=True, errors="strict")
    except UnicodeDecodeError:
        raise InputRejected(
            f"The {where} contained characters that are not valid text (not UTF-8), so nothing "
            "was saved. Go back, retype the last change (or paste it again as plain text) and "
            "try again.") from None


class InputFormParser(FormDataParser):
    """URL-encoded bodies decoded strictly; every form's values normalised."""

    def _parse_urlencoded(
        self, stream: IO[bytes], mimetype: str, content_length: int | None, options: dict[str, str]
    ) -> _ParseResult:
        items = _normalised(_decode_pairs(stream.read(), "form"))
        return stream, self.cls(items), self.cls()

    def _parse_multipart(
        self, stream: IO[bytes], mimetype: str, content_length: int | None, options: dict[str, str]
    ) -> _ParseResult:
        stream, form, files = super()._parse_multipart(stream, mimetype, content_length, options)
        return stream, self.cls(_normalised(list(form.items(multi=True)))), files


class InputRequest(Request):
    """Flask's request with the input policy applied to `args` and `form`."""

    parameter_storage_class = InputDict
    form_data_parser_class = InputFormParser

    @cached_property
    def args(self) -> InputDict:
        return InputDict(_normalised(_decode_pairs(self.query_string, "address")))


def check_request_input() -> None:
    """Before every view (and before the CSRF check reads its token): refuse bad input."""
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        reject_repeated_fields(request.form)


def reject_repeated_fields(form: ImmutableMultiDict) -> None:
    """A single-valued field sent more than once is refused, never resolved silently."""
    for name in form:
        if name not in MULTI_VALUED and len(form.getlist(name)) > 1:
            raise InputRejected(
                f"The form sent the field “{name[:40]}” more than once, so Coplan cannot tell "
                "which value you meant and saved nothing. Reload the page and submit it again.")
