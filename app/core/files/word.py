"""A Word lesson plan (.docx) read into a lesson's fields (issue 15, item 7).

Schools keep years of lesson plans in Word, in headings ("Key vocabulary"), bold one-line
paragraphs used as headings, or a two-column table ("Key vocabulary | dividend, divisor").
This reads such a file into Markdown for each field whose heading it recognises, under the
many names teachers give them; whatever it does not recognise goes into the lesson notes under
its own heading, so nothing in the document is lost. Lists, bold and italic stay Markdown;
pictures are handed back (bytes and alt text) for the caller to store and link.

The file is judged by `inspect.inspect_upload` first (type from the content, size, zip-bomb
bounds, macros refused), then converted by mammoth in a child process with a memory limit,
a CPU limit and a wall-clock timeout, as text extraction does: a hostile document costs a
refusal, never the app. The HTML mammoth writes is then turned into Markdown here, with its
nesting depth bounded so no document can make the conversion recurse without end.

Plain Python, no Flask and no database: the caller passes the fields (key -> label) it has.
"""

from __future__ import annotations

import base64
import json
import math
import re
import secrets
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Final

from app.core.files.extract import worker_env
from app.core.files.inspect import Inspected, Refused, detect_type, inspect_upload

#: Sensible settings for the app to pass.
DEFAULT_MAX_PICTURES: Final = 20
DEFAULT_TIMEOUT_S: Final = 15.0
DEFAULT_MAX_MEMORY_MB: Final = 512
#: HTML mammoth may write for one document: far more than one lesson's text (100,000
#: characters of Markdown) can become, so an over-long plan still reaches the editor, with
#: its field errors, and only a document of a different order is refused.
MAX_HTML_CHARS: Final = 3_000_000
#: Elements nested deeper than this are read as if they were siblings of the deepest one.
MAX_DEPTH: Final = 40
#: A heading longer than this is a paragraph that happens to be bold.
MAX_HEADING_CHARS: Final = 100

_WORKER: Final = Path(__file__).with_name("_word_worker.py")
_EXIT_OUT_OF_MEMORY: Final = 3
_EXIT_TOO_LONG: Final = 4
_PICTURE_KINDS: Final = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})

NOT_WORD: Final = ("Choose a Word document saved as .docx (in Word: File, Save As, Word "
                   "Document).")
UNREADABLE: Final = ("This Word document could not be read; it may be damaged. Open it in Word, "
                     "save it again as .docx and upload that.")
TOO_SLOW: Final = ("This Word document took too long to read, so it was not imported. Save "
                   "the lesson on its own in a new document and upload that.")
TOO_BIG: Final = ("This Word document holds far more than one lesson plan, so it was not "
                  "imported. Save the lesson on its own in a new document and upload that.")

#: Other names teachers give each field's heading (each field's own label counts too). Only
#: unambiguous ones: a plain "Variation" could be conceptual or procedural, "Resources" could
#: be representations or worksheets, so those go to the lesson notes under their own heading.
SYNONYMS: Final[dict[str, tuple[str, ...]]] = {
    "key_learning_point": (
        "key learning point", "key learning", "key point", "key idea", "key concept",
        "learning objective", "lesson objective", "objective", "lo", "walt",
        "we are learning to", "learning intention", "intended learning", "learning outcome"),
    "prior_learning": (
        "prior learning", "previous learning", "prior knowledge", "previous knowledge",
        "prerequisite learning", "prerequisite knowledge", "prerequisites", "building on",
        "assumed knowledge", "what pupils already know"),
    "key_vocabulary": (
        "key vocabulary", "vocabulary", "vocab", "key words", "keywords", "key language",
        "key terms", "mathematical vocabulary", "mathematical language", "language"),
    "stem_sentences": (
        "stem sentence", "stem sentences", "sentence stem", "sentence stems",
        "stem sentences and generalisations", "stem sentences and generalizations",
        "generalisation", "generalisations", "generalization", "generalizations"),
    "representations": (
        "representations", "representation", "representations and manipulatives",
        "manipulatives", "manipulatives and representations", "cpa",
        "concrete pictorial abstract", "concrete pictorial and abstract",
        "models and images", "models and representations"),
    "difficult_points": (
        "difficult points", "difficult point", "misconceptions", "misconception",
        "common misconceptions", "anticipated misconceptions", "possible misconceptions",
        "potential misconceptions", "difficult points and misconceptions",
        "misconceptions and difficult points", "difficult points and anticipated misconceptions",
        "common errors"),
    "conceptual_variation": ("conceptual variation",),
    "procedural_variation": ("procedural variation", "intelligent practice"),
    "fluency_practice": ("fluency", "fluency practice", "key facts", "number facts", "recall",
                         "fluency facts"),
    "deeper_questions": (
        "deeper thinking", "deeper questions", "questions for deeper thinking", "deepening",
        "deepen", "greater depth", "going deeper", "challenge", "challenges",
        "challenge questions", "reasoning and problem solving"),
    "checks": (
        "checks", "check", "checks for understanding", "checking understanding", "assessment",
        "assessment for learning", "afl", "formative assessment", "assessment opportunities",
        "hinge question", "hinge questions", "exit ticket", "exit task",
        "same day intervention", "intervention",
        "checks for understanding and same day intervention"),
    "body": ("lesson notes", "notes"),
}
#: Labels of a row or lead-in that names the lesson ("Lesson title | Dividing fractions").
TITLE_LABELS: Final = frozenset({"title", "lesson title", "lesson name"})
#: Words a non-exact heading may add to a known one ("Fluency practice (5 minutes)").
MAX_EXTRA_WORDS: Final = 3


@dataclass(frozen=True)
class WordPicture:
    """A picture from the document: store `data`, then put its Markdown where `token` is."""

    token: str
    data: bytes = field(repr=False)
    alt: str
    media_type: str


@dataclass(frozen=True)
class WordLesson:
    """A document read as a lesson: its title, Markdown per field key, and its pictures."""

    title: str
    fields: dict[str, str]
    pictures: list[WordPicture]
    #: Pictures shown as "[picture: …]" text: over the limits, or not a PNG, JPEG, GIF or
    #: WebP picture (Word drawings and equations are often EMF or WMF).
    not_kept: int = 0

    @property
    def is_empty(self) -> bool:
        return not self.pictures and not any(text.strip() for text in self.fields.values())

    def with_pictures(self, markdown: Mapping[str, str]) -> dict[str, str]:
        """The fields with each picture's token replaced by the Markdown `markdown` gives for
        it (the stored picture's), or by "[picture: alt]" text when it gives none."""
        result = dict(self.fields)
        for picture in self.pictures:
            replacement = markdown.get(picture.token) or placeholder(picture.alt)
            for key, text in result.items():
                if picture.token in text:
                    result[key] = text.replace(picture.token, replacement)
        return result


def placeholder(alt: str) -> str:
    """What stands for a picture that was not kept."""
    return f"[picture: {alt}]"


def read_word_lesson(data: bytes, claimed_name: str, *, fields: Mapping[str, str],
                     notes_key: str, max_bytes: int, max_pictures: int, timeout_s: float,
                     max_memory_mb: int) -> WordLesson | Refused:
    """The lesson in a .docx file, or why it cannot be read.

    `fields` maps each field key to its label (headings matching a label or one of SYNONYMS
    fill that field); `notes_key` is the field for everything else. Pictures are kept up to
    `max_pictures`, and up to `max_bytes` in all.
    """
    inspected = inspect_upload(data, claimed_name, max_bytes=max_bytes)
    if isinstance(inspected, Refused):
        return inspected
    if inspected.extension != "docx":
        return Refused("type", NOT_WORD)
    converted = _convert(inspected, max_pictures=max_pictures, max_picture_bytes=max_bytes,
                         timeout_s=timeout_s, max_memory_mb=max_memory_mb)
    if isinstance(converted, Refused):
        return converted
    html, pictures = converted
    return lesson_from_html(html, pictures, file_name=inspected.display_name, fields=fields,
                            notes_key=notes_key)


def _convert(inspected: Inspected, *, max_pictures: int, max_picture_bytes: int,
             timeout_s: float, max_memory_mb: int
             ) -> tuple[str, list[tuple[str, bytes]]] | Refused:
    """mammoth's HTML and the pictures (alt, bytes) it found, read in a limited child."""
    command = [sys.executable, "-I", "-B", str(_WORKER), str(max_pictures),
               str(max_picture_bytes), str(MAX_HTML_CHARS), str(max_memory_mb),
               str(math.ceil(timeout_s) + 1)]
    try:
        finished = subprocess.run(command, input=inspected.data, stdout=subprocess.PIPE,
                                  stderr=subprocess.DEVNULL, timeout=timeout_s, check=False,
                                  env=worker_env())
    except subprocess.TimeoutExpired:
        return Refused("unreadable", TOO_SLOW)  # run() has killed and reaped the child.
    except OSError:
        return Refused("unreadable", UNREADABLE)
    if finished.returncode in (_EXIT_OUT_OF_MEMORY, _EXIT_TOO_LONG):
        return Refused("archive", TOO_BIG)
    if finished.returncode != 0:
        return Refused("unreadable", UNREADABLE)
    try:
        output = json.loads(finished.stdout)
        pictures = [(str(p["alt"]), base64.b64decode(p["data"], validate=True))
                    for p in output["pictures"]]
        return str(output["html"]), pictures
    except (ValueError, KeyError, TypeError):
        return Refused("unreadable", UNREADABLE)


# --- headings -------------------------------------------------------------------------------


def normalise(text: str) -> str:
    """A heading as compared: lower case, no numbering, punctuation, "and" or plurals."""
    text = re.sub(r"^\s*(?:\d+|[a-z])[.)]\s+", "", text.lower())  # "1. ", "a) "
    # "Representations & manipulatives", "... / manipulatives", "... and manipulatives".
    words = [word for word in re.sub(r"[\W_]+", " ", text).split() if word != "and"]
    # "Checks" and "Check", "Misconceptions" and "Misconception" are the same heading.
    return " ".join(word[:-1] if len(word) > 3 and word.endswith("s") else word
                    for word in words)


@dataclass(frozen=True)
class _Match:
    key: str
    #: The heading is a known name exactly (not a known name with words added).
    exact: bool


class Headings:
    """Which field a heading names, from the fields' labels and SYNONYMS."""

    def __init__(self, fields: Mapping[str, str]) -> None:
        self.names: dict[str, str] = {}
        for key, label in fields.items():
            for name in (label, *SYNONYMS.get(key, ())):
                self.names.setdefault(normalise(name), key)
        self.titles = {normalise(name) for name in TITLE_LABELS}

    def match(self, heading: str) -> _Match | None:
        words = normalise(heading)
        if not words or len(heading) > MAX_HEADING_CHARS:
            return None
        if words in self.names:
            return _Match(self.names[words], True)
        # "Fluency practice (5 minutes)": the known name, with a few words more.
        without_brackets = normalise(re.sub(r"\([^)]*\)", " ", heading))
        if without_brackets in self.names:
            return _Match(self.names[without_brackets], False)
        found = [name for name in self.names
                 if words.startswith(name + " ")
                 and len(words[len(name):].split()) <= MAX_EXTRA_WORDS]
        if found:
            return _Match(self.names[max(found, key=len)], False)
        return None

    def is_title(self, label: str) -> bool:
        return normalise(label) in self.titles


# --- HTML as a small tree -------------------------------------------------------------------


class _Node:
    __slots__ = ("tag", "attrs", "children")

    def __init__(self, tag: str, attrs: dict[str, str]) -> None:
        self.tag = tag
        self.attrs = attrs
        self.children: list[_Node | str] = []


_VOID: Final = frozenset({"img", "br", "hr"})


class _TreeBuilder(HTMLParser):
    """mammoth's HTML (well formed, few tags) as nested nodes, at most MAX_DEPTH deep."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = _Node("root", {})
        self.stack = [self.root]
        #: Every open element and whether it was pushed (deeper ones are not).
        self.open: list[tuple[str, bool]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = _Node(tag, {name: value or "" for name, value in attrs})
        self.stack[-1].children.append(node)
        if tag in _VOID:
            return
        pushed = len(self.stack) < MAX_DEPTH
        if pushed:
            self.stack.append(node)
        self.open.append((tag, pushed))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack[-1].children.append(_Node(tag, {name: value or "" for name, value in attrs}))

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self.open) - 1, -1, -1):
            if self.open[index][0] == tag:
                for _tag, pushed in self.open[index:]:
                    if pushed:
                        self.stack.pop()
                del self.open[index:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parse_html(html: str) -> _Node:
    builder = _TreeBuilder()
    builder.feed(html)
    builder.close()
    return builder.root


def _elements(node: _Node) -> list[_Node]:
    return [child for child in node.children if isinstance(child, _Node)]


def _grouped(node: _Node, tags: set[str], wrapper: str) -> list[_Node]:
    """The children with one of `tags` (list items, rows, cells), any other content between
    them wrapped in a `wrapper` of its own: text the depth bound moved up is not dropped."""
    out: list[_Node] = []
    stray: list[_Node | str] = []
    for child in node.children:
        if isinstance(child, _Node) and child.tag in tags:
            if any(not isinstance(item, str) or item.strip() for item in stray):
                out.append(_with(stray, wrapper))
            stray = []
            out.append(child)
        else:
            stray.append(child)
    if any(not isinstance(item, str) or item.strip() for item in stray):
        out.append(_with(stray, wrapper))
    return out


def plain_text(node: _Node | str) -> str:
    """The text of a node, whitespace collapsed (for titles and heading matching)."""
    if isinstance(node, str):
        return node
    return " ".join("".join(plain_text(child) for child in node.children).split())


# --- Markdown -------------------------------------------------------------------------------

_HEADINGS: Final = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_BLOCKS: Final = frozenset({"p", "ul", "ol", "table", "div", "blockquote", "hr"}) | _HEADINGS
_ESCAPE: Final = re.compile(r"([\\`*\[\]])|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")
_BLOCK_START: Final = re.compile(r"^(#{1,6}(?:\s|$)|>)")
_SAFE_LINK: Final = re.compile(r"^(?:https?://|mailto:)", re.IGNORECASE)


def escape(text: str) -> str:
    """Text that Markdown shows as typed (maths in $…$ is left to be typeset)."""
    return _ESCAPE.sub(lambda m: "\\" + m.group(0), text)


def _wrap(marker: str, text: str) -> str:
    """`**bold**` with the spaces around the words kept outside the markers."""
    inner = text.strip()
    if not inner:
        return text
    lead = text[: len(text) - len(text.lstrip())]
    trail = text[len(text.rstrip()):]
    return f"{lead}{marker}{inner}{marker}{trail}"


def _coalesced(children: list[_Node | str]) -> list[_Node | str]:
    """Neighbouring runs of one emphasis as one: `**Key words**`, not `**Key****words**`."""
    out: list[_Node | str] = []
    for child in children:
        previous = out[-1] if out else None
        if (isinstance(child, _Node) and isinstance(previous, _Node)
                and child.tag == previous.tag and child.tag in {"strong", "em", "b", "i"}):
            merged = _Node(child.tag, {})
            merged.children = previous.children + child.children
            out[-1] = merged
        else:
            out.append(child)
    return out


class _Writer:
    """HTML nodes as Markdown; pictures become tokens (or placeholders) as they are met."""

    def __init__(self, pictures: list[tuple[str, bytes]], default_alt: str) -> None:
        self.raw = pictures
        self.default_alt = default_alt
        self.nonce = secrets.token_hex(8)
        self.kept: list[WordPicture] = []
        self.not_kept = 0

    def picture(self, node: _Node) -> str:
        src = node.attrs.get("src", "")
        index = int(src[8:]) if src.startswith("picture:") and src[8:].isdigit() else -1
        alt_source = self.raw[index][0] if 0 <= index < len(self.raw) else node.attrs.get("alt")
        alt = " ".join((alt_source or "").replace("[", "(").replace("]", ")").split())
        alt = alt.replace("\\", "/")[:200] or self.default_alt
        if 0 <= index < len(self.raw):
            data = self.raw[index][1]
            decided = detect_type(data)
            if not isinstance(decided, Refused) and decided.media_type in _PICTURE_KINDS:
                token = f"coplan-picture-{self.nonce}-{len(self.kept)}"
                self.kept.append(WordPicture(token, data, alt, decided.media_type))
                return token
        self.not_kept += 1
        return placeholder(alt)

    def inline(self, children: list[_Node | str], *, in_table: bool = False) -> str:
        parts: list[str] = []
        for child in _coalesced(children):
            if isinstance(child, str):
                text = escape(re.sub(r"\s+", " ", child))
                parts.append(text.replace("|", "\\|") if in_table else text)
                continue
            tag = child.tag
            if tag in {"strong", "b"}:
                parts.append(_wrap("**", self.inline(child.children, in_table=in_table)))
            elif tag in {"em", "i"}:
                parts.append(_wrap("*", self.inline(child.children, in_table=in_table)))
            elif tag == "img":
                parts.append(self.picture(child))
            elif tag == "br":
                parts.append(" " if in_table else "\\\n")
            elif tag == "a":
                text = self.inline(child.children, in_table=in_table)
                href = child.attrs.get("href", "")
                if _SAFE_LINK.match(href) and text.strip() and not re.search(r"[\s<>]", href):
                    href = href.replace("(", "%28").replace(")", "%29")
                    parts.append(f"[{text}]({href})")
                else:
                    parts.append(text)
            elif tag in _BLOCKS or tag == "li":
                parts.append(" " + self.inline(child.children, in_table=in_table) + " ")
            else:  # span, sup, sub, u, s...: their text
                parts.append(self.inline(child.children, in_table=in_table))
        return "".join(parts)

    def paragraph(self, children: list[_Node | str]) -> str:
        lines = [line.strip() for line in self.inline(children).split("\n")]
        # A heading or quote marker starting any line would change what the text is.
        lines = [_BLOCK_START.sub(lambda m: "\\" + m.group(0), line)
                 for line in lines if line and line != "\\"]
        text = "\n".join(lines)
        return text[:-1].rstrip() if text.endswith("\\") else text

    def blocks(self, nodes: list[_Node | str]) -> list[str]:
        """Markdown blocks for a run of block-level nodes (inline ones become paragraphs)."""
        out: list[str] = []
        run: list[_Node | str] = []

        def flush() -> None:
            if run:
                text = self.paragraph(run)
                if text:
                    out.append(text)
                run.clear()

        for node in nodes:
            if isinstance(node, str) or node.tag not in _BLOCKS:
                run.append(node)
                continue
            flush()
            out.extend(self.block(node))
        flush()
        return out

    def block(self, node: _Node) -> list[str]:
        if node.tag == "p":
            text = self.paragraph(node.children)
            return [text] if text else []
        if node.tag in _HEADINGS:
            text = self.paragraph(node.children)
            return [f"### {text}"] if text else []
        if node.tag in {"ul", "ol"}:
            text = self.bullets(node)
            return [text] if text else []
        if node.tag == "table":
            return self.table(node)
        if node.tag == "hr":
            return ["---"]
        return self.blocks(node.children)

    def bullets(self, node: _Node) -> str:
        lines: list[str] = []
        number = 1
        for item in _grouped(node, {"li"}, "li"):
            marker = f"{number}. " if node.tag == "ol" else "- "
            number += 1
            indent = " " * len(marker)
            content = self.list_item(item) or ""
            first, *rest = content.split("\n")
            lines.append((marker + first).rstrip())
            lines.extend(indent + line if line else "" for line in rest)
        return "\n".join(lines)

    def list_item(self, item: _Node) -> str:
        """An item's paragraphs, with a nested list straight after its line (a tight list)."""
        pieces: list[tuple[bool, str]] = []
        run: list[_Node | str] = []

        def flush() -> None:
            if run:
                text = self.paragraph(run)
                if text:
                    pieces.append((False, text))
                run.clear()

        for child in item.children:
            if isinstance(child, str) or child.tag not in _BLOCKS:
                run.append(child)
                continue
            flush()
            pieces.extend((child.tag in {"ul", "ol"}, text) for text in self.block(child))
        flush()
        text = ""
        for index, (is_list, piece) in enumerate(pieces):
            if index:
                text += "\n" if is_list else "\n\n"
            text += piece
        return text

    def table(self, node: _Node) -> list[str]:
        rows = [[self.cell(cell) for cell in cells] for cells in table_rows(node)]
        rows = [row for row in rows if any(row)]
        if not rows:
            return []
        width = max(len(row) for row in rows)
        if width == 1:  # a one-column table is a box around paragraphs
            return [cell for row in rows for cell in row if cell]
        rows = [row + [""] * (width - len(row)) for row in rows]
        lines = ["| " + " | ".join(rows[0]) + " |", "|" + " --- |" * width]
        lines += ["| " + " | ".join(row) + " |" for row in rows[1:]]
        return ["\n".join(lines)]

    def cell(self, cell: _Node) -> str:
        return " ".join(self.inline(cell.children, in_table=True).split())


def table_rows(table: _Node) -> list[list[_Node]]:
    """A table's rows (inside thead/tbody too) as lists of cells; nested tables stay in cells."""
    rows: list[list[_Node]] = []
    for child in _grouped(table, {"tr", "thead", "tbody", "tfoot"}, "tr"):
        if child.tag == "tr":
            rows.append(_grouped(child, {"td", "th"}, "td"))
        else:
            rows.extend(table_rows(child))
    return rows


# --- sections -------------------------------------------------------------------------------

#: A bold paragraph used as a heading ranks below every real heading.
_PSEUDO_RANK: Final = 7


@dataclass
class _Part:
    #: The field key, or None for the lesson notes under `heading`.
    key: str | None
    heading: str
    rank: int
    #: Show `heading` in the field (it is more than the field's name).
    keep_heading: bool = False
    blocks: list[str] = field(default_factory=list)


class _Reader:
    """The document's blocks sorted into parts, each for one field or the notes."""

    def __init__(self, writer: _Writer, headings: Headings, notes_key: str) -> None:
        self.writer = writer
        self.headings = headings
        self.notes_key = notes_key
        self.title = ""
        self.parts = [_Part(None, "", 0)]

    @property
    def current(self) -> _Part:
        return self.parts[-1]

    def start(self, key: str | None, heading: str, rank: int, keep: bool = False) -> _Part:
        part = _Part(key, heading, rank, keep_heading=keep)
        self.parts.append(part)
        return part

    def heading_part(self, text: str, rank: int) -> bool:
        """Start a part for a (pseudo-)heading's text if it names a field; the words after a
        colon ("Key vocabulary: dividend, divisor") are its first content."""
        label, colon, rest = text.partition(":")
        found = self.headings.match(label if colon else text)
        if found is None:
            return False
        if colon and rest.strip():
            part = self.start(found.key, escape(label.strip()), rank, keep=not found.exact)
            part.blocks.append(self.writer.paragraph([rest.strip()]))
        else:
            self.start(found.key, escape(text.strip().rstrip(":")), rank, keep=not found.exact)
        return True

    def read(self, root: _Node) -> None:
        nodes = [node for node in root.children
                 if not (isinstance(node, str) and not node.strip())]
        titled = [node for node in nodes
                  if isinstance(node, _Node) and node.tag == "h1"
                  and "title" in node.attrs.get("class", "").split()]
        if titled:
            self.title = plain_text(titled[0])
        for index, node in enumerate(nodes):
            if isinstance(node, str):
                self.current.blocks.extend(self.writer.blocks([node]))
            elif node.tag == "h1" and titled and node is titled[0]:
                continue
            elif node.tag in _HEADINGS:
                self.heading(node, int(node.tag[1]), first=index == 0)
            elif node.tag == "p" and self.pseudo_heading(node):
                self.heading(node, _PSEUDO_RANK, first=index == 0)
            elif node.tag == "p" and self.lead_in(node):
                continue
            elif node.tag == "table" and self.template_table(node):
                continue
            else:
                self.current.blocks.extend(self.writer.block(node))

    def heading(self, node: _Node, rank: int, *, first: bool) -> None:
        text = plain_text(node)
        if not text:
            return
        if self.heading_part(text, rank):
            return
        if first and not self.title:
            self.title = text
            return
        current = self.current
        if current.rank and current.rank < rank:
            # A sub-heading of the part being read ("Bar model" under "Representations").
            current.blocks.extend(self.writer.block(node) if rank < _PSEUDO_RANK
                                  else [self.writer.paragraph(node.children)])
            return
        self.start(None, escape(text), rank)

    @staticmethod
    def pseudo_heading(node: _Node) -> bool:
        """A short paragraph all in bold, with no picture: a heading in all but style."""
        content = [child for child in node.children
                   if not (isinstance(child, str) and not child.strip())]
        return (bool(content)
                and all(isinstance(child, _Node) and child.tag in {"strong", "b"}
                        for child in content)
                and not any(isinstance(child, _Node) and _has_picture(child) for child in content)
                and 0 < len(plain_text(node)) <= MAX_HEADING_CHARS)

    def lead_in(self, node: _Node) -> bool:
        """`**Key vocabulary:** dividend, divisor`: a bold label naming a field, then text."""
        content = [child for child in node.children
                   if not (isinstance(child, str) and not child.strip())]
        if len(content) < 2 or not isinstance(content[0], _Node) \
                or content[0].tag not in {"strong", "b"}:
            return False
        label = plain_text(content[0])
        rest = list(node.children[node.children.index(content[0]) + 1:])
        if not label.endswith(":"):
            if not (isinstance(rest[0], str) and rest[0].lstrip().startswith(":")):
                return False
            rest[0] = rest[0].lstrip()[1:]
        label = label.rstrip(":").strip()
        if self.headings.is_title(label) and not self.title:
            self.title = " ".join(plain_text(_with(rest)).split())
            return bool(self.title)
        found = self.headings.match(label)
        if found is None:
            return False
        part = self.start(found.key, escape(label), _PSEUDO_RANK, keep=not found.exact)
        text = self.writer.paragraph(rest)
        if text:
            part.blocks.append(text)
        return True

    def template_table(self, table: _Node) -> bool:
        """A plan template's table ("Key vocabulary | dividend, divisor" rows, or heading rows
        above their content): each labelled row fills its field. False for any other table."""
        rows = table_rows(table)
        labelled = any(row and (self.headings.match(plain_text(row[0]))
                                or (len(row) > 1 and self.headings.is_title(plain_text(row[0]))))
                       for row in rows)
        if not labelled:
            return False
        target: _Part | None = None  # the part a one-cell heading row opened
        for row in rows:
            if len(row) == 1:
                text = plain_text(row[0])
                found = self.headings.match(text)
                if found is not None and text:
                    target = self.start(found.key, escape(text.rstrip(":")), _PSEUDO_RANK,
                                        keep=not found.exact)
                    continue
                blocks = self.writer.blocks(row[0].children)
                (target or self.start(None, "", _PSEUDO_RANK)).blocks.extend(blocks)
                continue
            for label_cell, content_cell in zip(row[0::2], row[1::2], strict=False):
                self.labelled_cell(plain_text(label_cell), content_cell)
            if len(row) % 2:
                self.start(None, "", _PSEUDO_RANK).blocks.extend(
                    self.writer.blocks(row[-1].children))
            target = None
        # Text after a template's table belongs to no field the table named: the notes.
        self.start(None, "", 0)
        return True

    def labelled_cell(self, label: str, cell: _Node) -> None:
        blocks = self.writer.blocks(cell.children)
        if self.headings.is_title(label) and not self.title:
            self.title = plain_text(cell)
            if self.title:
                return
        found = self.headings.match(label)
        if found is not None:
            self.start(found.key, escape(label.rstrip(":")), _PSEUDO_RANK,
                       keep=not found.exact).blocks.extend(blocks)
        elif blocks or label:
            self.start(None, escape(label.rstrip(":")), _PSEUDO_RANK).blocks.extend(blocks)

    def fields(self, keys: list[str]) -> dict[str, str]:
        by_key: dict[str, list[_Part]] = {key: [] for key in keys}
        for part in self.parts:
            key = part.key if part.key is not None else self.notes_key
            if part.key is None and part.heading:
                # Unrecognised: in the notes under its own heading, even with nothing below.
                part.blocks.insert(0, f"### {part.heading}")
            if part.blocks:
                by_key.setdefault(key, []).append(part)
        result: dict[str, str] = {}
        for key, parts in by_key.items():
            named = [part for part in parts if part.key is not None and part.heading]
            several = len(named) > 1
            texts = []
            for part in parts:
                blocks = list(part.blocks)
                if part.key is not None and part.heading and (several or part.keep_heading):
                    blocks.insert(0, f"**{part.heading}**")
                texts.append("\n\n".join(blocks))
            result[key] = "\n\n".join(text for text in texts if text.strip())
        return result


def _has_picture(node: _Node) -> bool:
    return node.tag == "img" or any(isinstance(child, _Node) and _has_picture(child)
                                    for child in node.children)


def _with(children: list[_Node | str], tag: str = "span") -> _Node:
    node = _Node(tag, {})
    node.children = list(children)
    return node


def lesson_from_html(html: str, pictures: list[tuple[str, bytes]], *, file_name: str,
                     fields: Mapping[str, str], notes_key: str) -> WordLesson:
    """mammoth's HTML (and the pictures its `picture:N` sources name) as a lesson."""
    writer = _Writer(pictures, f"Picture from {file_name}")
    reader = _Reader(writer, Headings(fields), notes_key)
    reader.read(parse_html(html))
    title = " ".join(reader.title.split()) or _title_from_name(file_name)
    return WordLesson(title=title, fields=reader.fields(list(fields)), pictures=writer.kept,
                      not_kept=writer.not_kept)


def _title_from_name(file_name: str) -> str:
    """"dividing_fractions-y5.docx" -> "dividing fractions y5": a title to edit, not none."""
    stem = file_name.rsplit(".", 1)[0] if "." in file_name else file_name
    return " ".join(re.sub(r"[_\-]+", " ", stem).split())
