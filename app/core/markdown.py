"""Markdown -> safe HTML, the single door through which author text becomes markup.

Flask-free on purpose: the renderer is the riskiest code in the app, so it is tested alone.

Rendered HTML is stored once on an immutable revision and shown to many readers with
different permissions, so wiki links are *not* resolved here. `render_markdown` emits a
neutral placeholder per link, and `resolve_links` turns placeholders into links at view time
for the reader in hand.

`SafeHtml` is the one type a template outputs unescaped. Only this module builds it (plus the
search snippet builder in search/snippets.py); `ruff` bans importing `Markup` anywhere else and
tests/test_html_door.py fails on `SafeHtml(` elsewhere or `|safe` in a template.
"""

from __future__ import annotations

import bisect
import difflib
import html
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from html.parser import HTMLParser
from typing import Any, Literal

import bleach
from bleach import html5lib_shim
from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token
from markupsafe import Markup, escape
from mdit_py_plugins.dollarmath import dollarmath_plugin
from mdit_py_plugins.footnote import footnote_plugin

__all__ = [
    "LinkTarget",
    "SafeHtml",
    "clean_text",
    "diff_html",
    "is_picture_src",
    "extract_links",
    "mark_changed_blocks",
    "mark_mentions",
    "render_markdown",
    "resolve_links",
    "rewrap_stored",
]


class SafeHtml(Markup):
    """HTML a template may output as-is; only the renderer family here (and the search snippet
    builder) constructs it. Markup's own operations (+, %, format, join) escape what they add,
    so values derived from a SafeHtml stay safe."""

    __slots__ = ()


@dataclass(frozen=True)
class LinkTarget:
    """Where a wiki link points, as decided by the caller for one reader."""

    url: str
    title: str | None = None


# --- input hygiene ---------------------------------------------------------------------------

# C0 controls except TAB, LF and CR: they have no meaning in lesson text and some (NUL) upset
# databases, diff tools and browsers.
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def clean_text(text: str) -> str:
    """Drop C0 control characters (bar tab/LF/CR) and normalise line endings to LF."""
    text = _CONTROL_RE.sub("", text)
    # CRLF first, then any lone CR (old Mac files): markdown-it treats both as newlines anyway,
    # but stored source should diff cleanly.
    return text.replace("\r\n", "\n").replace("\r", "\n")


# --- link policy (shared by markdown-it, bleach and resolve_links) ----------------------------

# Allowlist, not denylist: anything that is not plainly http(s), mailto, a site-relative path
# or a fragment loses its href. "//host" and "/\host" are protocol-relative in browsers, so a
# leading slash only counts as relative when a normal path character follows.
_SAFE_HREF_RE = re.compile(r"(?:https?://|mailto:|#|/(?![/\\]))", re.IGNORECASE)
# Browsers silently drop tabs/newlines inside URLs and trim leading controls/spaces, which is
# how "java\tscript:" tricks work; refuse any href containing them rather than guess.
_URL_WHITESPACE_RE = re.compile(r"[\x00-\x20\x7f]")


def _is_safe_href(url: str) -> bool:
    return bool(url) and not _URL_WHITESPACE_RE.search(url) and bool(_SAFE_HREF_RE.match(url))


def _is_external(url: str) -> bool:
    return not (url.startswith("#") or (url.startswith("/") and _is_safe_href(url)))


_EXTERNAL_REL = "nofollow noopener"


# --- wiki links ------------------------------------------------------------------------------

_WIKILINK_MAX_LEN = 300  # bounds the scan for "]]" so a stray "[[" cannot cost O(n) each time
# "\|" as well as "|": inside a GFM table cell the author must escape the pipe.
_WIKILINK_PIPE_RE = re.compile(r"\\?\|")
_PD_PREFIX = "pd:"


def _squash(value: str) -> str:
    return " ".join(value.split())


def _default_label(kind: str, target: str) -> str:
    return f"{_PD_PREFIX}{target}" if kind == "pd" else target


def _parse_wikilink(inner: str) -> tuple[str, str, str] | None:
    """Split the text between [[ and ]] into (kind, target, label), or None if not a link."""
    parts = _WIKILINK_PIPE_RE.split(inner, maxsplit=1)
    target = _squash(parts[0])
    kind = "page"
    if target[: len(_PD_PREFIX)].lower() == _PD_PREFIX:
        kind, target = "pd", _squash(target[len(_PD_PREFIX) :])
    if not target:
        return None
    label = _squash(parts[1]) if len(parts) > 1 else ""
    return kind, target, label or _default_label(kind, target)


def _wikilink_rule(state: StateInline, silent: bool) -> bool:
    src, pos = state.src, state.pos
    # Never inside [link text]: a resolved wiki link would nest <a> in <a>. (markdown-it already
    # refuses an outer link whose text holds another link; this keeps that true regardless.)
    if state.linkLevel > 0 or not src.startswith("[[", pos):
        return False
    end = src.find("]]", pos + 2, pos + 2 + _WIKILINK_MAX_LEN + 2)
    if end < 0:
        return False
    inner = src[pos + 2 : end]
    if "[" in inner or "]" in inner or "\n" in inner:
        return False
    parsed = _parse_wikilink(inner)
    if parsed is None:
        return False
    if not silent:
        token = state.push("wikilink", "", 0)
        token.content = inner
        token.meta = {"kind": parsed[0], "target": parsed[1], "label": parsed[2]}
    state.pos = end + 2
    return True


def _render_wikilink(self: Any, tokens: Sequence[Token], idx: int, *_: Any) -> str:
    meta = tokens[idx].meta
    return (
        f'<span class="wikilink" data-kind="{meta["kind"]}" '
        f'data-target="{escape(meta["target"])}">{escape(meta["label"])}</span>'
    )


# --- maths: leave typesetting to KaTeX in the browser ----------------------------------------


#: Longest formula handed to KaTeX, and deepest nesting of groups, \\left, \\begin and
#: brackets. KaTeX parses recursively: 5,000 nested braces overflow the browser's stack.
MAX_MATH_CHARS = 4000
MAX_MATH_DEPTH = 50
_MATH_TOO_COMPLEX = "This formula is too complex to display"
_MATH_NESTING_RE = re.compile(r"\\(left|right|begin|end)(?![A-Za-z])|([{(\[])|([})\]])")


def _math_depth(source: str) -> int:
    """Deepest nesting of {, (, [, \\left and \\begin in TeX source (over-counts, never under)."""
    depth = deepest = 0
    for match in _MATH_NESTING_RE.finditer(source):
        if match.group(1) in ("left", "begin") or match.group(2):
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth = max(0, depth - 1)
    return deepest


def _math_too_complex(source: str) -> bool:
    return len(source) > MAX_MATH_CHARS or _math_depth(source) > MAX_MATH_DEPTH


def _math_error(source: str, tag: str) -> str:
    # The source as plain text, never given to KaTeX (math.js only looks at .math-inline and
    # .math-block), with a short visible note.
    return (
        f'<{tag} class="math-error" title="{_MATH_TOO_COMPLEX}"><code>{escape(source)}</code>'
        f" (formula too complex to display)</{tag}>"
    )


def _render_math_inline(self: Any, tokens: Sequence[Token], idx: int, *_: Any) -> str:
    source = tokens[idx].content.strip()
    if _math_too_complex(source):
        return _math_error(source, "span")
    return f'<span class="math-inline">{escape(source)}</span>'


def _render_math_block(self: Any, tokens: Sequence[Token], idx: int, *_: Any) -> str:
    source = tokens[idx].content.strip()
    if _math_too_complex(source):
        return _math_error(source, "div") + "\n"
    return f'<div class="math-block">{escape(source)}</div>\n'


# --- template-looking text -------------------------------------------------------------------

# "{{ a*b }}" and "{% if x*y %}" on one line are shown exactly as typed: without this the
# asterisks turn into emphasis. The scan for the closer is bounded like the wiki-link one.
_TEMPLATE_MAX_LEN = 300
_TEMPLATE_CLOSERS = {"{{": "}}", "{%": "%}"}


def _template_text_rule(state: StateInline, silent: bool) -> bool:
    src, pos = state.src, state.pos
    closer = _TEMPLATE_CLOSERS.get(src[pos : pos + 2])
    if closer is None:
        return False
    stop = min(len(src), pos + 2 + _TEMPLATE_MAX_LEN + 2)
    newline = src.find("\n", pos + 2, stop)
    end = src.find(closer, pos + 2, stop if newline < 0 else newline)
    if end < 0:
        return False
    if not silent:
        state.pending += src[pos : end + 2]  # plain text: escaped when rendered
    state.pos = end + 2
    return True


# --- brackets that cannot close ----------------------------------------------------------------

_BRACKET_RUN_RE = re.compile(r"\[+")
_BRACKET_RE = re.compile(r"[\[\]]")
#: What can hide a "[" from link-label scanning: code spans, escapes, autolinks, maths,
#: template text, link destinations and footnote references (whose label may hold a "[").
_BRACKET_HIDERS_RE = re.compile(r"[`\\<${(]|\[\^")


@dataclass(frozen=True)
class _Brackets:
    """Where the brackets are in one inline source (found once per source)."""

    src: str
    run_starts: list[int]
    run_ends: list[int]
    closers: list[int]
    #: Every "[" and "]" in order, the bracket balance before each, and the least balance
    #: after any bracket from each on. Empty when the source holds a character that can hide
    #: a "[" (then only the count of "]" decides).
    positions: list[int]
    balance_before: list[int]
    least_after: list[int]


def _brackets(state: StateInline) -> _Brackets:
    found: _Brackets | None = getattr(state, "_coplan_brackets", None)
    if found is None or found.src is not state.src:
        src = state.src
        runs = [m.span() for m in _BRACKET_RUN_RE.finditer(src)]
        positions: list[int] = []
        balance_before: list[int] = []
        least_after: list[int] = []
        if not _BRACKET_HIDERS_RE.search(src):
            positions = [m.start() for m in _BRACKET_RE.finditer(src)]
            balance = 0
            after: list[int] = []
            for position in positions:
                balance_before.append(balance)
                balance += 1 if src[position] == "[" else -1
                after.append(balance)
            least_after = after[:]
            for index in range(len(after) - 2, -1, -1):
                least_after[index] = min(after[index], least_after[index + 1])
        found = _Brackets(src, [start for start, _ in runs], [end for _, end in runs],
                          [m.start() for m in re.finditer(r"\]", src)],
                          positions, balance_before, least_after)
        state._coplan_brackets = found  # type: ignore[attr-defined]
    return found


def _never_balanced(brackets: _Brackets, pos: int) -> bool:
    """Whether the "[" at `pos` is never matched by a later "]", counting brackets as nested
    pairs (links, wiki links and footnotes inside a label are pairs too): the balance of
    brackets after it never drops back to what it was before it."""
    if not brackets.positions:
        return False
    index = bisect.bisect_left(brackets.positions, pos)
    later = index + 1
    return later >= len(brackets.positions) or \
        brackets.least_after[later] > brackets.balance_before[index]


def _hopeless_until(state: StateInline, pos: int) -> int:
    """Up to where the "[" from `pos` on cannot be closed by any "]" (pos itself if it can).

    A "[" followed (in its run of "[") by k more needs at least k + 1 "]" after the run,
    whatever lies between: each inner "[" either is text (one level deeper) or starts a
    bracket pair of its own. Where nothing can hide a bracket, a "[" whose balance of
    brackets never drops back is hopeless too.
    """
    brackets = _brackets(state)
    run = bisect.bisect_right(brackets.run_starts, pos) - 1  # the run holding pos
    end = brackets.run_ends[run]
    available = len(brackets.closers) - bisect.bisect_left(brackets.closers, end)
    until = max(pos, min(end - available, state.posMax))
    if until == pos and _never_balanced(brackets, pos):
        until = pos + 1
    return until


def _unclosed_bracket_rule(state: StateInline, silent: bool) -> bool:
    """Text for each "[" (or "^[", "![") that no "]" can close.

    Without this every such "[" makes markdown-it scan ahead for its "]" again, many levels
    deep: 100,000 "[" took 1.8 s to render, "[^" repeated 2.2 s. Links, wiki links, footnote
    references and inline footnotes all need a closing "]", so the result is the same.
    """
    src, pos = state.src, state.pos
    end = pos
    while end < state.posMax:
        # "^[" opens an inline footnote; "![" opens a picture, which needs its "]" as a link does.
        opener = end + 1 if src.startswith(("^[", "!["), end) else end
        if src[opener] != "[":
            break
        hopeless_until = _hopeless_until(state, opener)
        if hopeless_until <= opener:
            break
        if silent:
            # One character, exactly as the text fallback skips it (parseLinkLabel counts
            # nesting levels by one-character skips).
            state.pos = pos + 1
            return True
        end = hopeless_until
    if end == pos:
        return False
    state.pending += src[pos:end]
    state.pos = end
    return True


# --- task lists ------------------------------------------------------------------------------

# What mdit_py_plugins.tasklists matches: "[ ]", "[x]" or "[X]" then GFM whitespace.
_TASK_BOX_RE = re.compile(r"\[([ xX])\][ \t\n\v\f\r]+")


def _tasklists_rule(state: StateCore) -> None:
    """GFM task lists, as mdit_py_plugins.tasklists renders them (disabled checkboxes).

    Our own rule because the plugin finds each item's list by scanning back over every earlier
    token, which is quadratic: 20,000 "- [ ] x" lines took minutes. A stack of open tokens
    gives the same answer in one pass.
    """
    tokens = state.tokens
    open_stack: list[int] = []
    for index, token in enumerate(tokens):
        if token.nesting < 0:
            open_stack.pop()
            continue
        if (
            token.type == "inline"
            and index >= 2
            and tokens[index - 1].type == "paragraph_open"
            and tokens[index - 2].type == "list_item_open"
            and (match := _TASK_BOX_RE.match(token.content))
        ):
            checked = ' checked="checked"' if match.group(1) != " " else ""
            checkbox = Token("html_inline", "", 0)
            checkbox.content = (
                f'<input class="task-list-item-checkbox"{checked} disabled="disabled" '
                'type="checkbox">'
            )
            assert token.children is not None
            token.children.insert(0, checkbox)
            token.children[1].content = token.children[1].content[3:]
            token.content = token.content[3:]
            tokens[index - 2].attrSet("class", "task-list-item")
            # open_stack ends [..., list, list_item (index - 2), paragraph (index - 1)].
            tokens[open_stack[-3]].attrSet("class", "contains-task-list")
        if token.nesting > 0:
            open_stack.append(index)


# --- pictures --------------------------------------------------------------------------------

#: The only pictures shown: Coplan's own uploads, by their download address. Anything else
#: (another site's picture is a tracking pixel: it tells that site who read the plan and
#: when) is shown as a link. The name part is what AttachmentVersion.url_name makes
#: (secure_filename: letters, digits, "._-"), so nothing in it can leave the attribute.
_PICTURE_SRC_RE = re.compile(r"/files/[1-9][0-9]{0,17}/[A-Za-z0-9][A-Za-z0-9._-]{0,199}")
#: Said for a picture whose author gave no description, so a screen reader names it at least.
PICTURE_NO_ALT = "Picture (no description given)"


def is_picture_src(url: str) -> bool:
    """Whether a URL is a Coplan picture's address (relative, exactly /files/<id>/<name>)."""
    return _PICTURE_SRC_RE.fullmatch(url) is not None


def _inside_link(tokens: Sequence[Token], idx: int) -> bool:
    depth = 0
    for token in tokens[:idx]:
        if token.type == "link_open":
            depth += 1
        elif token.type == "link_close":
            depth -= 1
    return depth > 0


def _render_image(self: Any, tokens: Sequence[Token], idx: int, options: Any,
                  env: Any) -> str:
    """A Coplan picture as <img> in a link to the full-size picture; any other address as a
    plain link (or just the description, inside a link: links never nest)."""
    token = tokens[idx]
    src = str(token.attrGet("src") or "")
    alt = _squash(self.renderInlineAsText(token.children or [], options, env))
    inside_link = _inside_link(tokens, idx)
    if not is_picture_src(src):
        if inside_link or not _is_safe_href(src):
            return str(escape(alt or src))
        rel = f' rel="{_EXTERNAL_REL}"' if _is_external(src) else ""
        return f'<a href="{escape(src)}"{rel}>{escape(alt or src)}</a>'
    img = (f'<img src="{src}" alt="{escape(alt or PICTURE_NO_ALT)}" loading="lazy" '
           'class="picture">')
    if inside_link:
        return img
    return f'<a href="{src}" class="picture-link">{img}</a>'


# --- post-parse tweaks -----------------------------------------------------------------------

_ALIGNMENTS = frozenset({"left", "center", "right"})


def _iter_tokens(tokens: Sequence[Token]) -> Iterator[Token]:
    for token in tokens:
        yield token
        if token.children:
            yield from _iter_tokens(token.children)


def _coplan_attrs_rule(state: StateCore) -> None:
    """Swap table style="text-align" for a class and mark external links."""
    for token in _iter_tokens(state.tokens):
        if token.type in ("th_open", "td_open"):
            # Inline styles are blocked by our CSP and not allowed through bleach: use a class.
            style = str(token.attrs.pop("style", ""))
            align = style.removeprefix("text-align:")
            if align in _ALIGNMENTS:
                token.attrSet("class", f"align-{align}")
        elif token.type == "link_open":
            href = str(token.attrGet("href") or "")
            if _is_external(href):
                token.attrSet("rel", _EXTERNAL_REL)


@cache
def _markdown(line_breaks: bool = False) -> MarkdownIt:
    """Build the parser once (per option); markdown-it instances are safe to share between
    threads. `line_breaks` keeps each typed newline as a line break (short notes)."""
    options = {"html": False, "linkify": False, "typographer": False, "breaks": line_breaks}
    md = MarkdownIt("commonmark", options).enable(["table", "strikethrough"])
    md.core.ruler.after("inline", "tasklists", _tasklists_rule)
    md.use(footnote_plugin)
    md.use(
        dollarmath_plugin,
        allow_space=False,  # "$5 and $6" stays text
        allow_digits=False,  # "5$" / "$5-$10" stays text
        allow_labels=False,  # labels would add ids and anchors we do not need
        allow_blank_lines=False,
        double_inline=False,
    )
    md.add_render_rule("math_inline", _render_math_inline)
    md.add_render_rule("math_block", _render_math_block)
    md.inline.ruler.before("link", "wikilink", _wikilink_rule)
    md.inline.ruler.before("wikilink", "unclosed_bracket", _unclosed_bracket_rule)
    md.inline.ruler.before("emphasis", "template_text", _template_text_rule)
    md.add_render_rule("wikilink", _render_wikilink)
    md.core.ruler.after("inline", "coplan_attrs", _coplan_attrs_rule)
    md.add_render_rule("image", _render_image)
    # Replace markdown-it's denylist with our allowlist so a bad link stays visible as text.
    md.validateLink = _is_safe_href  # type: ignore[method-assign]
    return md


# --- sanitising ------------------------------------------------------------------------------

_ALLOWED_TAGS = frozenset(
    {
        *(f"h{n}" for n in range(1, 7)),
        "p", "br", "hr", "blockquote", "pre", "code", "em", "strong", "del", "s", "sup",
        "ul", "ol", "li", "a", "img", "input", "section", "span", "div",
        "table", "thead", "tbody", "tr", "th", "td",
    }
)  # fmt: skip

_FOOTNOTE_ID_RE = re.compile(r"fn(?:ref)?\d+(?::\d+)?")
_LANGUAGE_CLASS_RE = re.compile(r"language-[A-Za-z0-9_+#.-]{1,40}")


def _one_of(*values: str) -> Callable[[str], bool]:
    allowed = frozenset(values)
    return allowed.__contains__


def _boolean(name: str) -> Callable[[str], bool]:
    return _one_of("", name)


def _any(_: str) -> bool:
    return True


# Per tag, per attribute: a predicate on the value. Every class value is an exact string the
# renderer itself emits, so author text cannot smuggle in styling hooks.
_ALLOWED_ATTRS: dict[str, dict[str, Callable[[str], bool]]] = {
    "a": {
        "href": _is_safe_href,
        "title": _any,
        "rel": _one_of(_EXTERNAL_REL),
        "class": _one_of("footnote-backref", "picture-link"),
        "id": _FOOTNOTE_ID_RE.fullmatch,  # type: ignore[dict-item]
    },
    "img": {
        "src": is_picture_src,
        "alt": _any,
        "loading": _one_of("lazy"),
        "class": _one_of("picture"),
    },
    "code": {"class": _LANGUAGE_CLASS_RE.fullmatch},  # type: ignore[dict-item]
    "ol": {"start": str.isdigit, "class": _one_of("footnotes-list")},
    "ul": {"class": _one_of("contains-task-list")},
    "li": {
        "class": _one_of("task-list-item", "footnote-item"),
        "id": _FOOTNOTE_ID_RE.fullmatch,  # type: ignore[dict-item]
    },
    "input": {
        "type": _one_of("checkbox"),
        "class": _one_of("task-list-item-checkbox"),
        "disabled": _boolean("disabled"),
        "checked": _boolean("checked"),
    },
    "th": {"class": _one_of(*(f"align-{a}" for a in _ALIGNMENTS))},
    "td": {"class": _one_of(*(f"align-{a}" for a in _ALIGNMENTS))},
    "sup": {"class": _one_of("footnote-ref")},
    "hr": {"class": _one_of("footnotes-sep")},
    "section": {"class": _one_of("footnotes")},
    "span": {
        "class": _one_of("math-inline", "math-error", "wikilink"),
        "title": _one_of(_MATH_TOO_COMPLEX),
        "data-kind": _one_of("page", "pd"),
        "data-target": _any,
    },
    "div": {"class": _one_of("math-block", "math-error"), "title": _one_of(_MATH_TOO_COMPLEX)},
}


def _allow_attribute(tag: str, name: str, value: str) -> bool:
    check = _ALLOWED_ATTRS.get(tag, {}).get(name)
    return check is not None and bool(check(value))


# bleach re-exports html5lib's getTreeWalker here; its stubs leave the name out.
_EtreeWalker: Any = html5lib_shim.getTreeWalker("etree")  # type: ignore[attr-defined]


class _LinearTreeWalker(_EtreeWalker):
    """html5lib's etree walker, but linear in the number of siblings.

    Climbing back to a parent, the stock walker finds the parent's position among *its*
    siblings with list.count() and list.index(), so an element with many children that have
    children of their own (a table of 20,000 rows, a list of 20,000 footnotes) costs quadratic
    time. Here the ancestor stack keeps (element, position) pairs. Nodes are the same
    (element, position, ancestors, flag) tuples, so getNodeDetails is inherited unchanged.
    """

    def getFirstChild(self, node: Any) -> Any:  # noqa: N802 - html5lib's name
        if isinstance(node, tuple):
            element, key, parents, flag = node
        else:
            element, key, parents, flag = node, None, [], None
        if flag in ("text", "tail"):
            return None
        if element.text:
            return element, key, parents, "text"
        if len(element):
            parents.append((element, key))
            return element[0], 0, parents, None
        return None

    def getNextSibling(self, node: Any) -> Any:  # noqa: N802 - html5lib's name
        if not isinstance(node, tuple):
            return None
        element, key, parents, flag = node
        if flag == "text":
            if len(element):
                parents.append((element, key))
                return element[0], 0, parents, None
            return None
        if element.tail and flag != "tail":
            return element, key, parents, "tail"
        parent = parents[-1][0]
        if key < len(parent) - 1:
            return parent[key + 1], key + 1, parents, None
        return None

    def getParentNode(self, node: Any) -> Any:  # noqa: N802 - html5lib's name
        if not isinstance(node, tuple):
            return None
        element, key, parents, flag = node
        if flag == "text":
            return (element, key, parents, None) if parents else element
        parent, parent_key = parents.pop()
        return (parent, parent_key, parents, None) if parents else parent


_thread_local = threading.local()


def _sanitize(fragment: str) -> str:
    """Clean HTML against the allowlist.

    bleach is archived upstream: keep every use of it inside this function so it can be
    swapped (e.g. for nh3) without touching anything else.
    """
    # bleach documents Cleaner as not thread-safe, so build one per thread, once.
    cleaner = getattr(_thread_local, "cleaner", None)
    if cleaner is None:
        cleaner = bleach.Cleaner(
            tags=_ALLOWED_TAGS,
            attributes=_allow_attribute,
            protocols=frozenset({"http", "https", "mailto"}),
            strip=True,
            strip_comments=True,
        )
        # bleach keeps the walker *class* here; its stubs type the attribute as an instance.
        cleaner.walker = _LinearTreeWalker  # type: ignore[assignment]
        _thread_local.cleaner = cleaner
    return str(cleaner.clean(fragment))


# --- public API ------------------------------------------------------------------------------


#: Longest text rendered as Markdown: the longest field any form accepts
#: (app.planning.fields.MAX_FIELD_CHARS). Longer text is shown as written (see _plain).
MAX_RENDER_CHARS = 100_000
#: Most tags plus character references the parser may produce for one text before it is shown
#: as written instead. The sanitiser costs tens of microseconds for each; 100,000 characters
#: of ordinary prose with emphasis in every sentence make about 7,500.
MAX_RENDER_MARKUP = 30_000


def _plain(text: str) -> SafeHtml:
    """Text too long or too dense in markup to format, shown as written (escaped)."""
    return SafeHtml(
        "<p>This text is too long or too complex to format, so it is shown as written.</p>\n"
        f"<pre>{escape(text)}</pre>\n"
    )


def render_markdown(text: str, *, line_breaks: bool = False) -> SafeHtml:
    """Render author Markdown to sanitised HTML; the only HTML a template may mark safe.

    Cost is bounded: over MAX_RENDER_CHARS, or when the parser's output holds more than
    MAX_RENDER_MARKUP tags and character references, the text is shown as written instead.
    `line_breaks` keeps single newlines as <br> (for short notes typed line by line, which
    were shown with their line breaks before they were rendered as Markdown).
    """
    text = clean_text(text)
    if len(text) > MAX_RENDER_CHARS:
        return _plain(text)
    rendered = _markdown(line_breaks).render(text)
    if rendered.count("<") + rendered.count("&") > MAX_RENDER_MARKUP:
        return _plain(text)
    return SafeHtml(_sanitize(rendered))


def extract_links(text: str) -> list[tuple[str, str]]:
    """Return the distinct (kind, target) wiki links in Markdown source, in order."""
    found: dict[tuple[str, str], None] = {}
    for token in _iter_tokens(_markdown().parse(clean_text(text))):
        if token.type == "wikilink":
            found[(token.meta["kind"], token.meta["target"])] = None
    return list(found)


# Matches exactly what _render_wikilink emits after bleach re-serialises it. The label is plain
# escaped text (never markup), hence [^<]*.
_PLACEHOLDER_RE = re.compile(
    r'<span class="wikilink" data-kind="(page|pd)" data-target="([^"<>]*)">([^<]*)</span>'
)


def wiki_link_label(inner: str) -> str | None:
    """What an unresolved wiki link shows: the text between ``[[`` and ``]]`` gives its label or
    its default label ("pd:3.2", "lesson:12"); None when it is not a link. Never a looked-up
    title, so plain-text views (search snippets) reveal nothing beyond what the author typed."""
    parsed = _parse_wikilink(inner)
    return parsed[2] if parsed is not None else None


def math_too_complex(source: str) -> bool:
    """Whether TeX source is past what the pages hand to KaTeX (shown as text instead)."""
    return _math_too_complex(source)


def has_wiki_links(html_in: str) -> bool:
    """Whether rendered HTML holds wiki links still to be resolved for a reader."""
    return _PLACEHOLDER_RE.search(html_in) is not None


#: Most distinct wiki-link targets looked up for one text. Each lookup is a database query for
#: the reader; a field of 100,000 characters can hold 9,000 distinct links (5 s of lookups).
#: Later links show their label, unlinked, with a note in the tooltip.
MAX_RESOLVED_LINKS = 100
_TOO_MANY_LINKS = f"Not linked: only the first {MAX_RESOLVED_LINKS} different links are followed"


def resolve_links(
    html_in: SafeHtml,
    resolve: Callable[[str, str], LinkTarget | None],
    create_url: Callable[[str], str | None] | None = None,
) -> SafeHtml:
    """Replace wiki-link placeholders in rendered HTML with links for the current reader.

    `html_in` must be output of render_markdown. `resolve(kind, target)` returns a LinkTarget
    or None when the target is missing *or* hidden from this reader; both look the same, so
    nothing leaks beyond the label the author typed. `create_url(target)` may offer a link
    to create a missing page; it must return an already URL-encoded URL (or None for none).
    Only the first MAX_RESOLVED_LINKS distinct targets are looked up.
    """
    memo: dict[tuple[str, str], LinkTarget | None] = {}

    def replace(match: re.Match[str]) -> str:
        kind = match.group(1)
        target = html.unescape(match.group(2))
        label = html.unescape(match.group(3))
        key = (kind, target)
        if key not in memo:
            if len(memo) >= MAX_RESOLVED_LINKS:
                return f'<span class="wikilink" title="{_TOO_MANY_LINKS}">{escape(label)}</span>'
            memo[key] = resolve(kind, target)
        found = memo[key]
        # Defence in depth: the resolver is our code, but never emit a dangerous href.
        if found is not None and _is_safe_href(found.url):
            # Prefer the canonical title unless the author chose their own label.
            text = found.title if found.title and label == _default_label(kind, target) else label
            return f'<a class="wikilink" href="{escape(found.url)}">{escape(text)}</a>'
        if kind == "pd":
            return (
                '<span class="wikilink missing" title="unknown material">'
                f"{escape(label)} (unknown material)</span>"
            )
        out = f'<span class="wikilink missing">{escape(label)}</span>'
        url = create_url(target) if create_url is not None else None
        if url and _is_safe_href(url):
            out += f' <a class="wikilink-create" href="{escape(url)}">create</a>'
        return out

    return SafeHtml(_PLACEHOLDER_RE.sub(replace, str(html_in)))


def rewrap_stored(stored: str | None) -> SafeHtml:
    """HTML that this module produced earlier and the caller stored, ready for a template again.

    Only for columns written from render_markdown / mark_mentions output at save time (revision
    rows, comment bodies, material descriptions, review comments, observation notes); never
    for anything a user or another module wrote.
    """
    return SafeHtml(stored or "")


# --- mentions --------------------------------------------------------------------------------

# Text inside these is code, maths or a link: leave it exactly as rendered.
_MENTION_SKIP_TAGS = frozenset({"code", "pre", "a"})


class _MentionHighlighter(HTMLParser):
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
        if tag in _VOID_TAGS:
            return
        classes = dict(attrs).get("class") or ""
        self.stack.append(tag in _MENTION_SKIP_TAGS or "math" in classes)

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


def mark_mentions(html_in: SafeHtml, mentions: Iterable[str]) -> SafeHtml:
    """Wrap each mention's text in <mark class="mention"> within render_markdown's HTML."""
    texts = sorted({m for m in mentions if m}, key=len, reverse=True)
    if not texts:
        return SafeHtml(html_in)
    pattern = re.compile("(" + "|".join(re.escape(t) for t in texts) + ")")
    parser = _MentionHighlighter(pattern)
    parser.feed(str(html_in))
    parser.close()
    return SafeHtml("".join(parser.out))


# --- diffs -----------------------------------------------------------------------------------

_DIFF_TAGS = {"-": "del", "+": "ins"}


def diff_html(ops: Iterable[tuple[Literal["=", "-", "+"], str]]) -> SafeHtml:
    """Escaped text with removed pieces ("-") in <del> and added ones ("+") in <ins>.

    The diff engine (core/diffing.py) decides what changed; this only turns its ops into HTML,
    so the tags never nest and nothing in the text can become markup. Empty pieces add nothing.
    """
    parts: list[str] = []
    for op, text in ops:
        if not text:
            continue
        tag = _DIFF_TAGS.get(op)
        parts.append(f"<{tag}>{escape(text)}</{tag}>" if tag else str(escape(text)))
    return SafeHtml("".join(parts))


# --- rendered diffs --------------------------------------------------------------------------

_VOID_TAGS = frozenset({"br", "hr", "input", "img", "wbr"})


class _BlockSplitter(HTMLParser):
    """Splits sanitised HTML into its top-level elements, re-emitting tags verbatim and text
    escaped again (as _MentionHighlighter does), so no piece can hold more markup than the
    input had."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[str] = []
        self.current: list[str] = []
        self.open: list[str] = []

    def _close_block(self) -> None:
        if not self.open and self.current:
            self.blocks.append("".join(self.current))
            self.current = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.current.append(self.get_starttag_text() or "")
        if tag in _VOID_TAGS:
            self._close_block()
        else:
            self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.current.append(self.get_starttag_text() or "")
        self._close_block()

    def handle_endtag(self, tag: str) -> None:
        if tag not in self.open:
            return  # a stray end tag: the sanitiser never leaves one, so drop it
        while self.open:  # close what the sanitiser would have closed before it
            name = self.open.pop()
            self.current.append(f"</{name}>")
            if name == tag:
                break
        self._close_block()

    def handle_data(self, data: str) -> None:
        if not self.open and not data.strip():
            return  # the newlines between blocks
        self.current.append(str(escape(data)))
        self._close_block()


def _blocks(html_in: str) -> list[str]:
    splitter = _BlockSplitter()
    splitter.feed(html_in)
    splitter.close()
    if splitter.current:  # unclosed at the end (never from the sanitiser): close it
        splitter.blocks.append("".join(splitter.current)
                               + "".join(f"</{tag}>" for tag in reversed(splitter.open)))
    return splitter.blocks


#: How each kind of changed block is marked: (CSS class, visible label). The label means the
#: change reads without colour.
_BLOCK_MARKS = {"delete": ("removed", "Removed"), "insert": ("added", "Added"),
                "replace": ("changed", "Changed")}


def _marked(blocks: list[str], marks: dict[int, str]) -> SafeHtml:
    parts = []
    for index, block in enumerate(blocks):
        if index in marks:
            css, label = _BLOCK_MARKS[marks[index]]
            parts.append(f'<div class="diff-block diff-block-{css}">'
                         f'<span class="diff-block-label">{label}</span>{block}</div>')
        else:
            parts.append(block)
    return SafeHtml("\n".join(parts))


def mark_changed_blocks(old: SafeHtml, new: SafeHtml) -> tuple[SafeHtml, SafeHtml]:
    """Two versions of a field's rendered HTML (render_markdown output, stored on revisions or
    fresh, links resolved or not) with each top-level block (paragraph, list, table, formula)
    that differs wrapped in a labelled <div class="diff-block …">: "Removed" and "Added" for
    blocks only one side has, "Changed" on both sides for blocks that replace each other.

    The pieces are the input's own elements, never diff output: what a reader sees in a
    rendered comparison is exactly what each version showed, plus the marks.
    """
    old_blocks, new_blocks = _blocks(str(old)), _blocks(str(new))
    matcher = difflib.SequenceMatcher(None, old_blocks, new_blocks, autojunk=False)
    old_marks: dict[int, str] = {}
    new_marks: dict[int, str] = {}
    for tag, a1, a2, b1, b2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        old_marks.update((index, "delete" if tag == "delete" else "replace")
                         for index in range(a1, a2))
        new_marks.update((index, "insert" if tag == "insert" else "replace")
                         for index in range(b1, b2))
    return _marked(old_blocks, old_marks), _marked(new_blocks, new_marks)
