"""Plain-text rules for one-line names: titles, people's names, labels. No Flask here."""

from __future__ import annotations

import re
import unicodedata

_LINE_BREAKS = re.compile("[\t\n\x0b\x0c\r\x85]")
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
#: Explicit bidi embeddings and overrides (LRE, RLE, PDF, LRO, RLO) and isolates (LRI, RLI,
#: FSI, PDI): a name never needs them, and an unclosed one reorders the text around it.
_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")
#: Characters that draw nothing but are not in a "format" or "separator" category.
_BLANK_LOOKALIKES = frozenset("\u115f\u1160\u180e\u2800\u3164\uffa0")
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zs", "Zl", "Zp", "Mn", "Me"})


def has_visible(text: str) -> bool:
    """True when `text` shows at least one letter, digit, mark or symbol on screen."""
    return any(ch not in _BLANK_LOOKALIKES
               and unicodedata.category(ch) not in _INVISIBLE_CATEGORIES for ch in text)


def one_line(text: str) -> str:
    """A name as stored: NFC, no control or bidi-override characters, single spaces.

    Returns "" when nothing visible is left, so "required" checks refuse a title made only of
    zero-width or other invisible characters.
    """
    text = _LINE_BREAKS.sub(" ", unicodedata.normalize("NFC", text))
    text = _BIDI_CONTROLS.sub("", _CONTROL.sub("", text))
    text = " ".join(text.split())
    return text if has_visible(text) else ""


#: The largest whole number a form may carry (PostgreSQL's INTEGER).
MAX_WHOLE_NUMBER = 2**31 - 1


def is_whole_number(value: object) -> bool:
    """ASCII digits naming a number the database can hold: "12", not "²", "١", "１" (which
    str.isdigit() accepts, and int() then fails on some of) or "99999999999"."""
    # Length first: int() of thousands of digits is slow, and refused past 4,300.
    return (isinstance(value, str) and value.isascii() and value.isdigit()
            and len(value.lstrip("0")) <= 10 and int(value) <= MAX_WHOLE_NUMBER)
