"""@mentions: find the Work Group members a comment names, and highlight them as plain text."""

from __future__ import annotations

import re
from collections.abc import Iterable
from html.parser import HTMLParser

from markupsafe import Markup, escape

from app.accounts.models import User

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


# Text inside these is code, maths or a link: leave it exactly as rendered.
_SKIP_TAGS = frozenset({"code", "pre", "a"})


class _Highlighter(HTMLParser):
    """Re-emits sanitised HTML unchanged except for text nodes, where mentions get <mark>.

    Tags are copied verbatim from the input (which render_markdown produced); text is
    unescaped by the parser and escaped again here, so nothing typed can become markup.
    """

    def __init__(self, pattern: re.Pattern[str]) -> None:
        super().__init__(convert_charrefs=True)
        self.pattern = pattern
        self.out: list[str] = []
        self.stack: list[bool] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.out.append(self.get_starttag_text() or "")
        if tag in ("br", "hr", "input"):
            return
        classes = dict(attrs).get("class") or ""
        self.stack.append(tag in _SKIP_TAGS or "math" in classes)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.out.append(self.get_starttag_text() or "")

    def handle_endtag(self, tag: str) -> None:
        self.out.append(f"</{tag}>")
        if self.stack:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        if any(self.stack):
            self.out.append(str(escape(data)))
            return
        for n, piece in enumerate(self.pattern.split(data)):
            text = str(escape(piece))
            self.out.append(f'<mark class="mention">{text}</mark>' if n % 2 else text)


def highlight_mentions(html: str, mentions: Iterable[str]) -> Markup:
    """Wrap each mention's text in <mark class="mention"> within sanitised HTML."""
    texts = sorted({m for m in mentions if m}, key=len, reverse=True)
    if not texts:
        return Markup(html)
    pattern = re.compile("(" + "|".join(re.escape(t) for t in texts) + ")")
    parser = _Highlighter(pattern)
    parser.feed(str(html))
    parser.close()
    return Markup("".join(parser.out))
