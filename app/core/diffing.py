"""Diffing and three-way merging of revision snapshots (Flask-free).

A revision snapshot maps field keys to values: Markdown text (``str``), a list of strings (tags,
RTP codes) or a list of small dicts (ordered lessons ``{"id", "title"}``, material links
``{"material_id", "note"}``).

HTML produced here comes from ``app.core.markdown.diff_html`` (the one HTML door): escaped text
plus ``<ins>``/``<del>`` tags that never nest, so templates may output it as-is.

Text diffs work in two passes so that a 2,000-line lesson compares in a few milliseconds: a
line-level diff first, then a word-level diff only inside the line blocks that were replaced.
"""

from __future__ import annotations

import copy
import difflib
import json
import re
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple, TypeVar, cast

import merge3

from app.core.markdown import SafeHtml, diff_html

__all__ = [
    "Chunk",
    "DiffRow",
    "FieldChange",
    "FieldConflict",
    "FieldValue",
    "ID_KEYS",
    "ItemEdit",
    "ListDiff",
    "LABEL_KEYS",
    "ListItem",
    "MAX_LINE_MATCH_WORK",
    "MAX_WORD_DIFF_TOKENS",
    "MergeResult",
    "Rename",
    "changed_keys",
    "diff_snapshots",
    "inline_diff_html",
    "merge_snapshots",
    "side_by_side_html",
    "tokenize",
]

FieldValue = str | list[str] | list[dict[str, Any]]
Snapshot = Mapping[str, Any]
_K = TypeVar("_K", bound=Hashable)

#: Keys that identify an item in a list of dicts, tried in order (lessons, material links).
ID_KEYS: tuple[str, ...] = ("id", "material_id")
#: Keys whose value is an item's display name; a change to it is reported as a rename.
LABEL_KEYS: tuple[str, ...] = ("title", "name", "label")
#: Above this many tokens (both sides together) a replaced block is not word-diffed: difflib's
#: cost grows faster than linearly, and a block this big is a rewrite the reader sees whole.
MAX_WORD_DIFF_TOKENS = 3000
#: Above this many candidate line pairs (see _match_work) the line diff is coarsened (see
#: _coarse_blocks). Unique lines cost one pair each, so a 2,000-line lesson needs a few
#: thousand; a line repeated k times costs k squared, and difflib's time grows faster still
#: (700 alternating copies of two lines: about 1 s; 20,000 copies of "$$": minutes).
MAX_LINE_MATCH_WORK = 40_000

# Newline on its own, runs of other whitespace, words (keeping "don't" and "two-digit" whole),
# then any single other character. Every character matches one branch, so joining the tokens
# gives back the exact text.
_TOKEN_RE = re.compile(r"\n|[^\S\n]+|\w+(?:['’-]\w+)*|[^\w\s]")

Op = tuple[Literal["=", "-", "+"], str]
Chunk = tuple[Literal["same"], str] | tuple[Literal["conflict"], str, str, str]
RowKind = Literal["equal", "replace", "delete", "insert", "skip"]
ChangeKind = Literal["added", "removed", "changed", "unchanged"]


# --------------------------------------------------------------------------------------------
# Tokens, lines and low-level diff operations
# --------------------------------------------------------------------------------------------


def tokenize(text: str) -> list[str]:
    """Split text into word, whitespace, newline and punctuation tokens; ''.join() is lossless."""
    return _TOKEN_RE.findall(text)


def _split_lines(text: str) -> list[str]:
    # str.splitlines() also breaks on \x0b, \x0c, \u2028 ...; only "\n" is a line break here,
    # so line numbers agree with the editor and joining the lines gives back the text.
    if not text:
        return []
    parts = text.split("\n")
    lines = [part + "\n" for part in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


def _is_blank_line(line: str) -> bool:
    return line.isspace()


def _is_space_token(token: str) -> bool:
    return token.isspace()


class _Matcher(difflib.SequenceMatcher[str]):
    """difflib.SequenceMatcher with the state this module reads declared (typeshed omits it)."""

    a: Sequence[str]
    b: Sequence[str]
    b2j: dict[str, list[int]]
    matching_blocks: list[difflib.Match] | None


class _LineMatcher(_Matcher):
    """SequenceMatcher for lines: blank lines are junk, and autojunk is off.

    Blank lines are very common in Markdown; as match candidates they make difflib quadratic
    (over 10x slower on a 2,000-line lesson). As junk they still join matches next to them. autojunk
    would instead drop *popular* lines entirely, which hides real edits in long texts.
    """

    def __init__(
        self,
        isjunk: Callable[[str], bool] | None = None,
        a: Sequence[str] = (),
        b: Sequence[str] = (),
        autojunk: bool = True,
    ) -> None:
        # isjunk and autojunk are accepted for merge3's matcher protocol and deliberately unused.
        super().__init__(_is_blank_line, a, b, autojunk=False)

    def get_matching_blocks(self) -> list[difflib.Match]:
        # Without autojunk, many copies of one line make difflib quadratic (20,000 "$$" lines
        # took minutes). Past a work bound, fall back to a coarser diff; see _coarse_blocks.
        if self.matching_blocks is None and _match_work(self.a, self.b2j) > MAX_LINE_MATCH_WORK:
            self.matching_blocks = _coarse_blocks(self.a, self.b)
        return super().get_matching_blocks()


def _match_work(a: Sequence[str], b2j: Mapping[str, list[int]]) -> int:
    """How many (line in a, equal line in b) pairs difflib would visit on its first pass."""
    return sum(len(b2j.get(line, ())) for line in a)


def _coarse_blocks(a: Sequence[str], b: Sequence[str]) -> list[difflib.Match]:
    """Matching blocks in linear time: the common first and last lines, with the middle matched
    by difflib only if that is cheap, else shown as one replaced block."""
    limit = min(len(a), len(b))
    prefix = 0
    while prefix < limit and a[prefix] == b[prefix]:
        prefix += 1
    suffix = 0
    while suffix < limit - prefix and a[-1 - suffix] == b[-1 - suffix]:
        suffix += 1
    mid_a, mid_b = a[prefix : len(a) - suffix], b[prefix : len(b) - suffix]
    blocks = [difflib.Match(0, 0, prefix)]
    middle = _Matcher(_is_blank_line, mid_a, mid_b, autojunk=False)
    if _match_work(mid_a, middle.b2j) <= MAX_LINE_MATCH_WORK:
        blocks += [
            difflib.Match(i + prefix, j + prefix, size)
            for i, j, size in middle.get_matching_blocks()
        ]
    blocks.append(difflib.Match(len(a) - suffix, len(b) - suffix, suffix))
    # difflib's contract: no empty blocks but the sentinel, adjacent blocks merged.
    merged: list[difflib.Match] = []
    for block in blocks:
        if not block.size:
            continue
        if merged and merged[-1].a + merged[-1].size == block.a and (
            merged[-1].b + merged[-1].size == block.b
        ):
            merged[-1] = difflib.Match(merged[-1].a, merged[-1].b, merged[-1].size + block.size)
        else:
            merged.append(block)
    merged.append(difflib.Match(len(a), len(b), 0))
    return merged


def _normalise(ops: Iterable[Op]) -> list[Op]:
    """Merge runs: each gap between equal text becomes one deletion then one insertion."""
    out: list[Op] = []
    dels: list[str] = []
    ins: list[str] = []

    def flush() -> None:
        if dels:
            out.append(("-", "".join(dels)))
            dels.clear()
        if ins:
            out.append(("+", "".join(ins)))
            ins.clear()

    for op, text in ops:
        if not text:
            continue
        if op == "=":
            flush()
            if out and out[-1][0] == "=":
                out[-1] = ("=", out[-1][1] + text)
            else:
                out.append(("=", text))
        elif op == "-":
            dels.append(text)
        else:
            ins.append(text)
    flush()
    return out


def _token_ops(a: list[str], b: list[str]) -> list[Op]:
    # Whitespace tokens are junk: they cannot start a match (keeps difflib fast and stops single
    # spaces from "matching" between unrelated words, so "cat sat" -> "dog ran" is one
    # <del>/<ins> pair rather than two) but they still extend matches next to them.
    matcher = difflib.SequenceMatcher(_is_space_token, a, b, autojunk=False)
    ops: list[Op] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            ops.append(("=", "".join(a[i1:i2])))
        else:
            ops += [("-", "".join(a[i1:i2])), ("+", "".join(b[j1:j2]))]
    return ops


def _block_ops(old_lines: list[str], new_lines: list[str]) -> list[Op]:
    """Word-level ops for one replaced line block, with a guard against huge blocks."""
    old_text = "".join(old_lines)
    new_text = "".join(new_lines)
    a = tokenize(old_text)
    b = tokenize(new_text)
    if len(a) + len(b) <= MAX_WORD_DIFF_TOKENS:
        return _token_ops(a, b)
    return [("-", old_text), ("+", new_text)]


def _diff_blocks(old: str, new: str) -> Iterable[tuple[str, list[str], list[str]]]:
    """Line-level opcodes as (tag, old lines, new lines)."""
    a = _split_lines(old)
    b = _split_lines(new)
    for tag, i1, i2, j1, j2 in _LineMatcher(None, a, b).get_opcodes():
        yield tag, a[i1:i2], b[j1:j2]


# --------------------------------------------------------------------------------------------
# Text diffs rendered as HTML
# --------------------------------------------------------------------------------------------


def inline_diff_html(old: str, new: str) -> SafeHtml:
    """Word-level diff of two texts as escaped HTML with <del>/<ins>; newlines are kept."""
    ops: list[Op] = []
    for tag, old_lines, new_lines in _diff_blocks(old, new):
        if tag == "equal":
            ops.append(("=", "".join(old_lines)))
        elif tag == "replace":
            ops += _block_ops(old_lines, new_lines)
        else:
            ops += [("-", "".join(old_lines)), ("+", "".join(new_lines))]
    return diff_html(_normalise(ops))


class DiffRow(NamedTuple):
    """One row of a side-by-side diff table.

    ``kind`` is 'equal', 'replace' (a changed line: both cells), 'delete' (old cell only),
    'insert' (new cell only) or 'skip' (``skipped`` unchanged lines folded away; the numbers are
    those of the first folded line and both cells are empty). A missing side has number None and
    an empty cell. Cells hold one line without its newline; the old cell marks only deletions
    (<del>), the new cell only insertions (<ins>).
    """

    kind: RowKind
    old_no: int | None
    old_html: SafeHtml
    new_no: int | None
    new_html: SafeHtml
    skipped: int = 0


_EMPTY = diff_html([])


def _side_lines(ops: list[Op], side: Literal["-", "+"]) -> list[SafeHtml]:
    """Render one side of a block's ops, one SafeHtml per line, tags closed at each line end."""
    lines: list[SafeHtml] = []
    current: list[Op] = []
    for op, text in ops:
        if op != "=" and op != side:
            continue
        pieces = text.split("\n")
        for index, piece in enumerate(pieces):
            if index:
                lines.append(diff_html(current))
                current = []
            if piece:
                current.append((op, piece))
    if current:
        lines.append(diff_html(current))
    return lines


def _links(ops: list[Op]) -> list[tuple[int, int]]:
    """(old line, new line) pairs that share unchanged words, in order."""
    links: list[tuple[int, int]] = []
    old_line = new_line = 0
    for op, text in ops:
        for index, piece in enumerate(text.split("\n")):
            if index:
                old_line += op != "+"
                new_line += op != "-"
            # Shared whitespace alone says nothing about which lines correspond.
            if op == "=" and piece.strip() and (old_line, new_line) not in links[-1:]:
                links.append((old_line, new_line))
    return links


def _align(
    links: list[tuple[int, int]], old_count: int, new_count: int
) -> list[tuple[int | None, int | None]]:
    """Row pairs for a block: lines sharing words side by side, other lines paired in order."""
    pairs: list[tuple[int | None, int | None]] = []
    last_old = last_new = -1
    # Sentinel anchor past the end flushes the trailing gap.
    for i, j in [*links, (old_count, new_count)]:
        if i <= last_old or j <= last_new:
            continue  # a line already paired (one old line split over two new ones, say)
        gap_old = range(last_old + 1, i)
        gap_new = range(last_new + 1, j)
        for k in range(max(len(gap_old), len(gap_new))):
            pairs.append(
                (
                    gap_old[k] if k < len(gap_old) else None,
                    gap_new[k] if k < len(gap_new) else None,
                )
            )
        if i < old_count or j < new_count:
            pairs.append((i, j))
        last_old, last_new = i, j
    return pairs


def side_by_side_html(old: str, new: str, context: int | None = None) -> list[DiffRow]:
    """Rows for a two-column diff table, aligned line by line; see DiffRow.

    Unchanged lines are all kept unless ``context`` is given: then only that many unchanged lines
    around each change stay and longer runs become one 'skip' row. Render as a <table> with
    <th scope="col"> headers (old line, before, new line, after) so screen readers announce the
    columns; style rows by ``kind``.
    """
    rows: list[DiffRow] = []
    old_no = new_no = 1
    for tag, old_lines, new_lines in _diff_blocks(old, new):
        if tag == "equal":
            for line in old_lines:
                html = diff_html([("=", line.removesuffix("\n"))])
                rows.append(DiffRow("equal", old_no, html, new_no, html))
                old_no += 1
                new_no += 1
            continue
        if tag == "replace":
            ops = _normalise(_block_ops(old_lines, new_lines))
            left = _side_lines(ops, "-")
            right = _side_lines(ops, "+")
            pairs = _align(_links(ops), len(left), len(right))
        else:
            # Whole lines deleted or inserted: mark each line's text, not the gap.
            left = [diff_html([("-", line.removesuffix("\n"))]) for line in old_lines]
            right = [diff_html([("+", line.removesuffix("\n"))]) for line in new_lines]
            pairs = _align([], len(left), len(right))
        for i, j in pairs:
            if i is not None and j is not None:
                same = old_lines[i] == new_lines[j]
                kind: RowKind = "equal" if same else "replace"
            else:
                kind = "delete" if i is not None else "insert"
            rows.append(
                DiffRow(
                    kind,
                    None if i is None else old_no + i,
                    _EMPTY if i is None else left[i],
                    None if j is None else new_no + j,
                    _EMPTY if j is None else right[j],
                )
            )
        old_no += len(old_lines)
        new_no += len(new_lines)
    return rows if context is None else _fold_unchanged(rows, context)


def _fold_unchanged(rows: list[DiffRow], context: int) -> list[DiffRow]:
    keep = [False] * len(rows)
    for index, row in enumerate(rows):
        if row.kind != "equal":
            for near in range(max(0, index - context), min(len(rows), index + context + 1)):
                keep[near] = True
    out: list[DiffRow] = []
    run: list[DiffRow] = []
    for row, kept in zip(rows, keep, strict=True):
        if kept:
            if run:
                out.append(DiffRow("skip", run[0].old_no, _EMPTY, run[0].new_no, _EMPTY, len(run)))
                run = []
            out.append(row)
        else:
            run.append(row)
    if run:
        out.append(DiffRow("skip", run[0].old_no, _EMPTY, run[0].new_no, _EMPTY, len(run)))
    return out


# --------------------------------------------------------------------------------------------
# Lists: identity, labels and structural diffs
# --------------------------------------------------------------------------------------------


def _identity_key(*lists: Sequence[Any]) -> str | None:
    """The ID key every dict in every list carries, unique within each list; None if none."""
    items = [item for items in lists for item in items]
    if not items or not all(isinstance(item, dict) for item in items):
        return None
    for key in ID_KEYS:
        if all(key in item for item in items) and all(
            len({_hashable(item[key]) for item in items}) == len(items) for items in lists
        ):
            return key
    return None


def _hashable(value: Any) -> Hashable:
    try:
        hash(value)
    except TypeError:
        return json.dumps(value, sort_keys=True, default=str)
    return value


def _key_function(id_key: str | None) -> Callable[[Any], Hashable]:
    if id_key is not None:
        return lambda item: _hashable(item[id_key])
    # Strings are their own identity; a dict without an ID is identified by its whole content,
    # so editing it shows as one item removed and one added.
    return lambda item: item if isinstance(item, str) else _hashable(item)


def _label(item: Any, id_key: str | None) -> str:
    if isinstance(item, str):
        return item
    if isinstance(item, dict):
        for key in LABEL_KEYS:
            if isinstance(item.get(key), str) and item[key]:
                return item[key]
        if id_key is not None:
            return f"{id_key} {item[id_key]}"
    return json.dumps(item, sort_keys=True, default=str)


def _index(items: Sequence[Any], key: Callable[[Any], Hashable]) -> dict[Hashable, Any]:
    # Lists are treated as ordered sets: a repeated item keeps its first position.
    index: dict[Hashable, Any] = {}
    for item in items:
        index.setdefault(key(item), item)
    return index


@dataclass(frozen=True)
class ListItem:
    """An item of a list field: its identity (the string itself, or the dict's ID) and label."""

    key: Hashable
    label: str


@dataclass(frozen=True)
class Rename:
    """An item whose title changed."""

    key: Hashable
    old_label: str
    new_label: str


@dataclass(frozen=True)
class ItemEdit:
    """An item whose other fields changed: (field, old value, new value) triples."""

    key: Hashable
    label: str
    changes: tuple[tuple[str, Any, Any], ...]


@dataclass(frozen=True)
class ListDiff:
    """Structural changes between two lists (e.g. lessons added, removed, moved, renamed)."""

    added: tuple[ListItem, ...] = ()
    removed: tuple[ListItem, ...] = ()
    #: Items kept on both sides whose relative position changed (the fewest that explain it).
    moved: tuple[ListItem, ...] = ()
    renamed: tuple[Rename, ...] = ()
    edited: tuple[ItemEdit, ...] = ()

    @property
    def changed(self) -> bool:
        """True when anything at all changed."""
        return bool(self.added or self.removed or self.moved or self.renamed or self.edited)


def _list_diff(old: Sequence[Any], new: Sequence[Any]) -> ListDiff:
    id_key = _identity_key(old, new)
    key = _key_function(id_key)
    old_index = _index(old, key)
    new_index = _index(new, key)
    added = tuple(
        ListItem(k, _label(v, id_key)) for k, v in new_index.items() if k not in old_index
    )
    removed = tuple(
        ListItem(k, _label(v, id_key)) for k, v in old_index.items() if k not in new_index
    )
    old_order = [k for k in old_index if k in new_index]
    new_order = [k for k in new_index if k in old_index]
    stable: set[Hashable] = set()
    for i, _j, size in difflib.SequenceMatcher(
        None, old_order, new_order, autojunk=False
    ).get_matching_blocks():
        stable.update(old_order[i : i + size])
    moved = tuple(ListItem(k, _label(new_index[k], id_key)) for k in new_order if k not in stable)
    renamed: list[Rename] = []
    edited: list[ItemEdit] = []
    if id_key is not None:
        for k in new_order:
            before, after = old_index[k], new_index[k]
            if before == after:
                continue
            label_key = next((lk for lk in LABEL_KEYS if lk in before or lk in after), None)
            if label_key is not None and before.get(label_key) != after.get(label_key):
                renamed.append(Rename(k, _label(before, id_key), _label(after, id_key)))
            changes = tuple(
                (field, before.get(field), after.get(field))
                for field in _ordered_union(before, after)
                if field != label_key and before.get(field) != after.get(field)
            )
            if changes:
                edited.append(ItemEdit(k, _label(after, id_key), changes))
    return ListDiff(added, removed, moved, tuple(renamed), tuple(edited))


def _ordered_union(*iterables: Iterable[_K]) -> list[_K]:
    return list(dict.fromkeys(key for iterable in iterables for key in iterable))


# --------------------------------------------------------------------------------------------
# Snapshot diffs
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldChange:
    """How one field changed between two revisions.

    Text fields carry ``inline_html`` and side-by-side ``rows``; list fields carry ``list_diff``.
    Unchanged fields carry neither (nothing to show, and nothing computed).
    """

    key: str
    label: str
    kind: ChangeKind
    value_type: Literal["text", "list"]
    inline_html: SafeHtml | None = None
    rows: tuple[DiffRow, ...] = ()
    list_diff: ListDiff | None = None


def _empty_like(*values: Any) -> str | list[Any]:
    return [] if any(isinstance(value, list) for value in values) else ""


def _coerced(snapshots: Sequence[Snapshot], key: str) -> list[Any]:
    """The key's value in each snapshot, a missing (or None) value read as '' or []."""
    values = [snapshot.get(key) for snapshot in snapshots]
    empty = _empty_like(*values)
    return [copy.copy(empty) if value is None else value for value in values]


def _as_text(value: Any) -> str:
    # Only reached when a field changed type between revisions (text <-> list).
    if isinstance(value, str):
        return value
    return "".join(_label(item, _identity_key(value)) + "\n" for item in value)


def changed_keys(old: Snapshot, new: Snapshot) -> list[str]:
    """Keys whose values differ (missing counts as empty), in old's order then new's."""
    return [
        key
        for key in _ordered_union(old, new)
        if (values := _coerced((old, new), key))[0] != values[1]
    ]


def diff_snapshots(
    old: Snapshot,
    new: Snapshot,
    fields: Sequence[tuple[str, str]],
    context: int | None = 3,
) -> list[FieldChange]:
    """Compare two snapshots field by field, in the order of ``fields`` (key, label) pairs."""
    changes: list[FieldChange] = []
    for key, label in fields:
        before, after = _coerced((old, new), key)
        is_list = isinstance(before, list) and isinstance(after, list)
        value_type: Literal["text", "list"] = "list" if is_list else "text"
        if before == after:
            changes.append(FieldChange(key, label, "unchanged", value_type))
            continue
        kind: ChangeKind = "added" if not before else "removed" if not after else "changed"
        if is_list:
            changes.append(
                FieldChange(key, label, kind, value_type, list_diff=_list_diff(before, after))
            )
            continue
        old_text, new_text = _as_text(before), _as_text(after)
        changes.append(
            FieldChange(
                key,
                label,
                kind,
                value_type,
                inline_html=inline_diff_html(old_text, new_text),
                rows=tuple(side_by_side_html(old_text, new_text, context)),
            )
        )
    return changes


# --------------------------------------------------------------------------------------------
# Three-way merge
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldConflict:
    """A field both sides changed in ways that cannot be combined automatically.

    For text, ``chunks`` covers the whole text in order: ("same", text) parts merged cleanly and
    ("conflict", base, mine, theirs) parts that need a person. Joining the "same" texts with the
    mine parts gives the prefilled value; with the theirs parts, theirs plus mine's clean edits.
    For lists, ``chunks`` is empty and ``reason`` says what clashed.
    """

    key: str
    base: Any
    mine: Any
    theirs: Any
    chunks: list[Chunk]
    reason: str


@dataclass(frozen=True)
class MergeResult:
    """Outcome of merging mine and theirs against their common base.

    ``merged`` has every field: the clean result, or for a conflicting field a prefill (text: the
    clean parts plus mine at each conflict; lists: mine). ``theirs_changed`` lists fields that
    merged cleanly and took something from theirs (so the user can be told).
    """

    merged: dict[str, Any]
    conflicts: dict[str, FieldConflict]
    theirs_changed: list[str]

    @property
    def clean(self) -> bool:
        """True when no field conflicts, so ``merged`` can be saved as it is."""
        return not self.conflicts


def merge_snapshots(base: Snapshot, mine: Snapshot, theirs: Snapshot) -> MergeResult:
    """Three-way merge of two snapshots that both started from ``base``, field by field."""
    merged: dict[str, Any] = {}
    conflicts: dict[str, FieldConflict] = {}
    theirs_changed: list[str] = []
    for key in _ordered_union(base, mine, theirs):
        b, m, t = _coerced((base, mine, theirs), key)
        if m == t or t == b:
            merged[key] = copy.deepcopy(m)
            continue
        if m == b:
            merged[key] = copy.deepcopy(t)
            theirs_changed.append(key)
            continue
        value: Any
        chunks: list[Chunk] | None
        reason: str | None
        if isinstance(b, str) and isinstance(m, str) and isinstance(t, str):
            value, chunks = _merge_text(b, m, t)
            reason = "Both versions changed the same lines."
        elif isinstance(b, list) and isinstance(m, list) and isinstance(t, list):
            value, reason = _merge_list(b, m, t)
            chunks = None if reason is None else []
        else:
            value, chunks, reason = m, [], "The field changed type."
        if chunks is None:
            merged[key] = value
            if value != m:
                theirs_changed.append(key)
        else:
            merged[key] = copy.deepcopy(value)
            conflicts[key] = FieldConflict(
                key, copy.deepcopy(b), copy.deepcopy(m), copy.deepcopy(t), chunks, reason or ""
            )
    return MergeResult(merged, conflicts, theirs_changed)


def _ends_with_newline(text: str) -> bool | None:
    return text.endswith("\n") if text else None


def _merge_text(base: str, mine: str, theirs: str) -> tuple[str, list[Chunk] | None]:
    """Line-based merge3; returns (merged, None) when clean, else (prefill, chunks)."""
    # A last line without "\n" would differ from the same line with one and make appends at the
    # end conflict. Merge with every text ending in "\n", then decide the final newline alone.
    flags = [_ends_with_newline(text) for text in (base, mine, theirs)]
    flag_b = flags[0]
    flag_m, flag_t = (flag_b if flag is None else flag for flag in flags[1:])
    final_newline = flag_m if flag_m == flag_t or flag_t == flag_b else flag_t
    base_lines, mine_lines, theirs_lines = (
        _split_lines(text if not text or text.endswith("\n") else text + "\n")
        for text in (base, mine, theirs)
    )
    # merge3's matcher protocol declares list[tuple[int, int, int]] blocks, which no
    # difflib.SequenceMatcher (whose blocks are list[Match]) satisfies under list invariance.
    merger = merge3.Merge3(
        base_lines, mine_lines, theirs_lines, sequence_matcher=_LineMatcher  # type: ignore[arg-type]
    )
    chunks: list[Chunk] = []
    for group in merger.merge_groups():
        if group[0] == "conflict":
            chunks.append(("conflict", "".join(group[1]), "".join(group[2]), "".join(group[3])))
        elif not (text := "".join(group[1])):
            continue  # a deletion taken from one side: nothing to show
        elif chunks and chunks[-1][0] == "same":
            chunks[-1] = ("same", chunks[-1][1] + text)
        else:
            chunks.append(("same", text))
    if chunks:
        last = chunks[-1]
        if last[0] == "same":
            chunks[-1] = ("same", _strip_newline(last[1], final_newline is False))
        else:
            base_text, mine_text, theirs_text = (
                _strip_newline(text, flag is False)
                for text, flag in zip(last[1:], flags, strict=True)
            )
            chunks[-1] = ("conflict", base_text, mine_text, theirs_text)
    prefill = "".join(chunk[1] if chunk[0] == "same" else chunk[2] for chunk in chunks)
    if any(chunk[0] == "conflict" for chunk in chunks):
        return prefill, chunks
    return prefill, None


def _strip_newline(text: str, strip: bool) -> str:
    return text[:-1] if strip and text.endswith("\n") else text


def _merge_list(
    base: list[Any], mine: list[Any], theirs: list[Any]
) -> tuple[list[Any], str | None]:
    """Merge lists changed on both sides; returns (merged, None) or (mine, reason)."""
    if all(isinstance(item, str) for item in [*base, *mine, *theirs]):
        return _merge_string_list(base, mine, theirs), None
    id_key = _identity_key(base, mine, theirs)
    if id_key is None:
        return copy.deepcopy(mine), "Both versions changed this list."
    return _merge_id_list(base, mine, theirs, id_key)


def _merge_string_list(base: list[str], mine: list[str], theirs: list[str]) -> list[str]:
    base_set, mine_set, theirs_set = set(base), set(mine), set(theirs)
    removed = (base_set - mine_set) | (base_set - theirs_set)
    merged = list(dict.fromkeys(item for item in mine if item not in removed))
    seen = set(merged)
    # Theirs' additions go after mine's items: tags and codes have no meaningful position.
    merged += [item for item in dict.fromkeys(theirs) if item not in base_set | seen]
    return merged


_MISSING = object()


def _merge_item(base: Any, mine: Any, theirs: Any) -> tuple[Any, bool]:
    """Three-way merge of one dict key by key; returns (merged dict, ok)."""
    merged: dict[str, Any] = {}
    for field in _ordered_union(mine, theirs, base):
        b, m, t = (d.get(field, _MISSING) for d in (base, mine, theirs))
        if m == t or t == b:
            value = m
        elif m == b:
            value = t
        else:
            return mine, False
        if value is not _MISSING:
            merged[field] = copy.deepcopy(value)
    return merged, True


def _merge_id_list(
    base: list[dict[str, Any]],
    mine: list[dict[str, Any]],
    theirs: list[dict[str, Any]],
    id_key: str,
) -> tuple[list[Any], str | None]:
    key = _key_function(id_key)
    b_index, m_index, t_index = _index(base, key), _index(mine, key), _index(theirs, key)
    result: dict[Hashable, dict[str, Any]] = {}
    for k in _ordered_union(b_index, m_index, t_index):
        b, m, t = b_index.get(k), m_index.get(k), t_index.get(k)
        label = _label(m or t or b, id_key)
        if b is not None and (m is None or t is None):
            survivor = m if t is None else t
            if survivor is not None and survivor != b:
                # Dropping an item the other person just edited would lose their edit unseen.
                reason = f"“{label}” was removed in one version and changed in the other."
                return copy.deepcopy(mine), reason
            continue
        if m is None or t is None:
            # Not in base (handled above) but in the union, so mine or theirs has the item.
            result[k] = copy.deepcopy(cast(dict[str, Any], m if t is None else t))
            continue
        item, ok = _merge_item(b if b is not None else {}, m, t)
        if not ok:
            return copy.deepcopy(mine), f"“{label}” was changed differently in both versions."
        result[k] = item

    def kept_base_order(index: Mapping[Hashable, Any]) -> list[Hashable]:
        return [k for k in index if k in result and k in b_index]

    b_order, m_order, t_order = (kept_base_order(i) for i in (b_index, m_index, t_index))
    # The side that reordered decides the order; the other side's additions then go in after
    # the item they followed on that side (a lesson added "after lesson 3" stays there).
    if t_order in (b_order, m_order):
        primary, secondary = m_index, t_index
    elif m_order == b_order:
        primary, secondary = t_index, m_index
    else:
        return copy.deepcopy(mine), "Both versions changed the order differently."
    order = [k for k in primary if k in result]
    placed = set(order)
    previous: Hashable | None = None
    for k in secondary:
        if k in result and k not in placed:
            position = order.index(previous) + 1 if previous is not None else 0
            order.insert(position, k)
            placed.add(k)
        if k in placed:
            previous = k
    return [result[k] for k in order], None
