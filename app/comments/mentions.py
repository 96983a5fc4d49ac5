"""@mentions: find the Work Group members a comment names, and highlight them as plain text."""

from __future__ import annotations

import re
from collections.abc import Iterable

from app.accounts.models import User
from app.core.markdown import SafeHtml, mark_mentions

#: "@" that starts a mention: not inside a word or an e-mail address such as jo@school.org.
_AT_RE = re.compile(r"(?<![\w@.+-])@")
_WORD_RE = re.compile(r"\w")


def find_mentions(body: str, people: Iterable[User]) -> list[tuple[User, str]]:
    """(person, text as typed) for each person named as @Display Name or @email-local-part.

    Only the people given (the target's Work Group members) can match; the longest name wins,
    so "@Jo Castleford" is not read as "@Jo" when both exist.
    """
    candidates: list[tuple[str, User]] = []
    for person in people:
        candidates.append((person.display_name.casefold(), person))
        candidates.append((person.email.split("@", 1)[0].casefold(), person))
    candidates = sorted({(n, p.id): (n, p) for n, p in candidates if n}.values(),
                        key=lambda item: -len(item[0]))
    found: dict[int, tuple[User, str]] = {}
    for match in _AT_RE.finditer(body):
        start = match.end()
        for name, person in candidates:
            typed = body[start:start + len(name)]
            if typed.casefold() == name and _ends_word(body, start + len(name)):
                found.setdefault(person.id, (person, "@" + typed))
                break
    return list(found.values())


def _ends_word(text: str, index: int) -> bool:
    """True when the name stops here: "@jo." ends a sentence, "@jo.castleford" goes on."""
    if index >= len(text):
        return True
    char = text[index]
    if _WORD_RE.match(char):
        return False
    if char in ".-'’" and index + 1 < len(text) and _WORD_RE.match(text[index + 1]):
        return False
    return True


def highlight_mentions(html: SafeHtml, mentions: Iterable[str]) -> SafeHtml:
    """Wrap each mention's text in <mark class="mention"> within sanitised HTML."""
    # The HTML work lives in the one HTML door (app.core.markdown).
    return mark_mentions(html, mentions)
