"""Unit tests for the Flask-free diff and three-way merge engine."""

from __future__ import annotations

import html
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.diffing import (
    MAX_WORD_DIFF_TOKENS,
    DiffRow,
    FieldChange,
    ItemEdit,
    ListItem,
    Rename,
    changed_keys,
    diff_snapshots,
    inline_diff_html,
    merge_snapshots,
    side_by_side_html,
    tokenize,
)
from app.core.markdown import SafeHtml

# No example database: nothing is written into the working tree.
quick = settings(database=None, max_examples=200, deadline=None)

# Text built from a small alphabet so that random pairs share words, lines and blank lines.
texts = st.lists(
    st.sampled_from(["a", "b", "cat", "<b>", "&", " ", "  ", "\n", "\n\n", ".", "é", "'", "\t"]),
    max_size=40,
).map("".join)


def strip_tags(fragment: str, drop: str) -> str:
    """Text of one side of a diff: drop one tag's contents, unwrap the other, unescape."""
    keep = "ins" if drop == "del" else "del"
    without = re.sub(rf"<{drop}>.*?</{drop}>", "", fragment, flags=re.S)
    return html.unescape(without.replace(f"<{keep}>", "").replace(f"</{keep}>", ""))


def assert_well_formed(fragment: str) -> None:
    """Only <ins>/<del> tags, never nested, never empty, every one closed."""
    tags = re.findall(r"<[^>]*>", fragment)
    assert set(tags) <= {"<ins>", "</ins>", "<del>", "</del>"}
    opened = None
    for tag in tags:
        if tag.startswith("</"):
            assert opened == tag[2:-1]
            opened = None
        else:
            assert opened is None, "nested <ins>/<del>"
            opened = tag[1:-1]
    assert opened is None
    assert "<ins></ins>" not in fragment and "<del></del>" not in fragment


# --------------------------------------------------------------------------------------------
# Tokens and inline diffs
# --------------------------------------------------------------------------------------------


@quick
@given(st.text())
def test_joining_tokens_gives_back_the_text(text: str) -> None:
    assert "".join(tokenize(text)) == text


def test_tokens_keep_words_whitespace_and_punctuation_apart() -> None:
    assert tokenize("Don't add 3.5,\n  then") == [
        "Don't",
        " ",
        "add",
        " ",
        "3",
        ".",
        "5",
        ",",
        "\n",
        "  ",
        "then",
    ]


def test_inline_diff_marks_exactly_the_changed_word() -> None:
    html_out = inline_diff_html("Pupils add the fractions.", "Pupils compare the fractions.")
    assert isinstance(html_out, SafeHtml)
    assert html_out == "Pupils <del>add</del><ins>compare</ins> the fractions."


def test_inline_diff_of_one_word_in_a_long_text_touches_only_that_word() -> None:
    old = "".join(f"Line {n} about bar models and number lines.\n" for n in range(300))
    new = old.replace("Line 150 about bar", "Line 150 about part-whole")
    assert inline_diff_html(old, new).count("<del>") == 1
    assert "<del>bar</del><ins>part-whole</ins>" in inline_diff_html(old, new)


def test_inline_diff_escapes_script_everywhere() -> None:
    old = "<script>alert(1)</script> stays\n& old"
    new = "<script>alert(1)</script> stays\n<img src=x onerror=alert(2)> new"
    out = inline_diff_html(old, new)
    assert "<script" not in out and "<img" not in out
    assert "&lt;script&gt;alert(1)&lt;/script&gt; stays\n" in out
    assert "<ins>&lt;img src=x onerror=alert(2)&gt; new</ins>" in out
    assert_well_formed(out)


def test_inline_diff_joins_a_run_of_changed_words_into_one_pair() -> None:
    out = inline_diff_html("the cat sat down", "the dog ran down")
    assert out == "the <del>cat sat</del><ins>dog ran</ins> down"


def test_inline_diff_keeps_newlines_and_shows_whole_line_edits() -> None:
    out = inline_diff_html("one\ntwo\nthree\n", "one\nthree\nfour\n")
    assert out == "one\n<del>two\n</del>three\n<ins>four\n</ins>"


def test_identical_and_empty_texts() -> None:
    assert inline_diff_html("same\n", "same\n") == "same\n"
    assert inline_diff_html("", "") == ""
    assert inline_diff_html("", "new") == "<ins>new</ins>"
    assert inline_diff_html("old", "") == "<del>old</del>"


def test_huge_replaced_block_falls_back_to_one_deletion_and_one_insertion() -> None:
    words = MAX_WORD_DIFF_TOKENS // 2
    old = " ".join(f"w{n}" for n in range(words))
    new = " ".join(f"w{n}" if n % 2 else f"x{n}" for n in range(words))
    assert inline_diff_html(old, new) == f"<del>{old}</del><ins>{new}</ins>"


@quick
@given(texts, texts)
def test_inline_diff_is_lossless_and_well_formed(old: str, new: str) -> None:
    out = str(inline_diff_html(old, new))
    assert_well_formed(out)
    assert strip_tags(out, drop="ins") == old
    assert strip_tags(out, drop="del") == new


# --------------------------------------------------------------------------------------------
# Side by side
# --------------------------------------------------------------------------------------------


def test_side_by_side_aligns_lines_and_marks_each_side() -> None:
    old = "Starter: <recap>\nCount in tens.\nExplain why.\n"
    new = "Starter: <recap>\nNew line.\nCount in fives.\nExplain why.\n"
    rows = side_by_side_html(old, new)
    assert rows == [
        DiffRow(
            "equal", 1, SafeHtml("Starter: &lt;recap&gt;"), 1, SafeHtml("Starter: &lt;recap&gt;")
        ),
        DiffRow("insert", None, SafeHtml(""), 2, SafeHtml("<ins>New line.</ins>")),
        DiffRow(
            "replace",
            2,
            SafeHtml("Count in <del>tens</del>."),
            3,
            SafeHtml("Count in <ins>fives</ins>."),
        ),
        DiffRow("equal", 3, SafeHtml("Explain why."), 4, SafeHtml("Explain why.")),
    ]


def test_side_by_side_deleted_line_and_pairs_rewritten_lines() -> None:
    rows = side_by_side_html("keep\nfoo\nbar\n", "keep\nbaz\n")
    assert [(r.kind, r.old_no, r.new_no) for r in rows] == [
        ("equal", 1, 1),
        ("replace", 2, 2),
        ("delete", 3, None),
    ]
    assert rows[1].old_html == "<del>foo</del>" and rows[1].new_html == "<ins>baz</ins>"
    assert rows[2].old_html == "<del>bar</del>" and rows[2].new_html == ""


def test_side_by_side_folds_unchanged_runs_when_context_is_given() -> None:
    old = "".join(f"line {n}\n" for n in range(1, 21))
    new = old.replace("line 10\n", "line ten\n")
    rows = side_by_side_html(old, new, context=2)
    assert [(r.kind, r.old_no, r.skipped) for r in rows] == [
        ("skip", 1, 7),
        ("equal", 8, 0),
        ("equal", 9, 0),
        ("replace", 10, 0),
        ("equal", 11, 0),
        ("equal", 12, 0),
        ("skip", 13, 8),
    ]


def test_side_by_side_escapes_script() -> None:
    rows = side_by_side_html("<script>x</script>\n", "<script>y</script>\n")
    for row in rows:
        assert "<script" not in row.old_html and "<script" not in row.new_html
    assert rows[0].old_html == "&lt;script&gt;<del>x</del>&lt;/script&gt;"


@quick
@given(texts, texts)
def test_side_by_side_rows_cover_both_texts_in_order(old: str, new: str) -> None:
    rows = side_by_side_html(old, new)
    old_rows = [row for row in rows if row.old_no is not None]
    new_rows = [row for row in rows if row.new_no is not None]
    old_lines = old.split("\n")[: old.count("\n") + (not old.endswith("\n"))] if old else []
    new_lines = new.split("\n")[: new.count("\n") + (not new.endswith("\n"))] if new else []
    assert [row.old_no for row in old_rows] == list(range(1, len(old_lines) + 1))
    assert [row.new_no for row in new_rows] == list(range(1, len(new_lines) + 1))
    for row in rows:
        assert_well_formed(row.old_html)
        assert_well_formed(row.new_html)
        assert "<ins>" not in row.old_html and "<del>" not in row.new_html
    assert [strip_tags(row.old_html, "ins") for row in old_rows] == old_lines
    assert [strip_tags(row.new_html, "del") for row in new_rows] == new_lines


# --------------------------------------------------------------------------------------------
# Snapshot diffs
# --------------------------------------------------------------------------------------------

FIELDS = [("title", "Title"), ("body", "Lesson plan"), ("tags", "Tags"), ("lessons", "Lessons")]


def test_diff_snapshots_reports_each_field_in_order() -> None:
    old = {"title": "Fractions", "body": "Use a bar model.\n", "tags": ["y3", "fractions"]}
    new = {"title": "Fractions", "body": "Use a number line.\n", "lessons": [{"id": 1}]}
    changes = diff_snapshots(old, new, FIELDS)
    assert [(c.key, c.label, c.kind, c.value_type) for c in changes] == [
        ("title", "Title", "unchanged", "text"),
        ("body", "Lesson plan", "changed", "text"),
        ("tags", "Tags", "removed", "list"),
        ("lessons", "Lessons", "added", "list"),
    ]
    assert changes[0] == FieldChange("title", "Title", "unchanged", "text")
    body = changes[1]
    assert body.inline_html == "Use a <del>bar model</del><ins>number line</ins>.\n"
    assert [row.kind for row in body.rows] == ["replace"]
    assert changes[2].list_diff is not None
    assert changes[2].list_diff.removed == (
        ListItem("y3", "y3"),
        ListItem("fractions", "fractions"),
    )


def test_diff_snapshots_shows_sequence_structure_changes() -> None:
    old = {
        "lessons": [
            {"id": 1, "title": "Unit fractions"},
            {"id": 2, "title": "Non-unit fractions"},
            {"id": 3, "title": "Equivalent fractions"},
            {"id": 4, "title": "Comparing fractions"},
        ]
    }
    new = {
        "lessons": [
            {"id": 1, "title": "Unit fractions"},
            {"id": 3, "title": "Equivalence with bar models"},
            {"id": 2, "title": "Non-unit fractions"},
            {"id": 5, "title": "Fractions of amounts"},
        ]
    }
    [change] = diff_snapshots(old, new, [("lessons", "Lessons")])
    diff = change.list_diff
    assert change.kind == "changed" and diff is not None and diff.changed
    assert diff.added == (ListItem(5, "Fractions of amounts"),)
    assert diff.removed == (ListItem(4, "Comparing fractions"),)
    assert len(diff.moved) == 1 and diff.moved[0].key in {2, 3}
    assert diff.renamed == (Rename(3, "Equivalent fractions", "Equivalence with bar models"),)
    assert diff.edited == ()


def test_diff_snapshots_reports_moves_and_note_edits_of_material_links() -> None:
    old = {"links": [{"material_id": 5, "note": "Read first"}, {"material_id": 6, "note": ""}]}
    new = {"links": [{"material_id": 6, "note": ""}, {"material_id": 5, "note": "Read after"}]}
    [change] = diff_snapshots(old, new, [("links", "Materials")])
    diff = change.list_diff
    assert diff is not None
    assert diff.added == diff.removed == diff.renamed == ()
    assert len(diff.moved) == 1
    assert diff.edited == (ItemEdit(5, "material_id 5", (("note", "Read first", "Read after"),)),)


def test_changed_keys_treats_missing_as_empty() -> None:
    old = {"title": "A", "body": "", "tags": ["x"], "rtp": []}
    new = {"title": "B", "tags": ["x"], "codes": ["3NF-1"]}
    assert changed_keys(old, new) == ["title", "codes"]
    assert changed_keys({}, {}) == []


# --------------------------------------------------------------------------------------------
# Three-way merge: text
# --------------------------------------------------------------------------------------------

BASE_BODY = "## Starter\nCount in tens.\n\n## Main\nUse a bar model.\n\n## Plenary\nExplain why.\n"


def test_non_overlapping_edits_to_one_text_merge_cleanly() -> None:
    mine = BASE_BODY.replace("Count in tens.", "Count in fives.")
    theirs = BASE_BODY.replace("Explain why.", "Convince a partner.")
    result = merge_snapshots({"body": BASE_BODY}, {"body": mine}, {"body": theirs})
    assert result.clean and result.conflicts == {}
    assert result.merged["body"] == BASE_BODY.replace("Count in tens.", "Count in fives.").replace(
        "Explain why.", "Convince a partner."
    )
    assert result.theirs_changed == ["body"]


def test_edits_to_different_fields_merge_cleanly() -> None:
    base = {"title": "Fractions", "body": BASE_BODY, "tags": ["y3"]}
    mine = {**base, "title": "Fractions of shapes"}
    theirs = {**base, "body": BASE_BODY + "Homework: none.\n"}
    result = merge_snapshots(base, mine, theirs)
    assert result.clean
    assert result.merged == {
        "title": "Fractions of shapes",
        "body": BASE_BODY + "Homework: none.\n",
        "tags": ["y3"],
    }
    assert result.theirs_changed == ["body"]


def test_same_line_changed_differently_is_a_conflict_with_exact_chunks() -> None:
    mine = BASE_BODY.replace("Use a bar model.", "Use a number line.").replace(
        "Explain why.", "Explain how."
    )
    theirs = BASE_BODY.replace("Use a bar model.", "Use cubes.")
    result = merge_snapshots({"body": BASE_BODY}, {"body": mine}, {"body": theirs})
    assert not result.clean
    conflict = result.conflicts["body"]
    assert (conflict.base, conflict.mine, conflict.theirs) == (BASE_BODY, mine, theirs)
    assert conflict.chunks == [
        ("same", "## Starter\nCount in tens.\n\n## Main\n"),
        ("conflict", "Use a bar model.\n", "Use a number line.\n", "Use cubes.\n"),
        ("same", "\n## Plenary\nExplain how.\n"),
    ]
    # Prefill keeps mine where they clash and every clean edit from either side.
    assert result.merged["body"] == mine
    assert result.theirs_changed == []


def test_conflict_chunks_rebuild_theirs_and_prefill() -> None:
    base = "a\nb\nc\nd\ne"
    mine = "a\nB\nc\nd\ne"
    theirs = "a\nbee\nc\nd\nE"
    result = merge_snapshots({"t": base}, {"t": mine}, {"t": theirs})
    chunks = result.conflicts["t"].chunks
    assert chunks == [("same", "a\n"), ("conflict", "b\n", "B\n", "bee\n"), ("same", "c\nd\nE")]
    assert "".join(c[1] if c[0] == "same" else c[3] for c in chunks) == theirs
    assert result.merged["t"] == "a\nB\nc\nd\nE"


def test_both_sides_making_the_same_change_is_clean() -> None:
    same = {"body": BASE_BODY.replace("tens", "twos"), "tags": ["y3", "new"]}
    result = merge_snapshots({"body": BASE_BODY, "tags": ["y3"]}, same, dict(same))
    assert result.clean and result.merged == same and result.theirs_changed == []


@pytest.mark.parametrize(
    ("base", "mine", "theirs", "merged"),
    [
        # Text without a trailing newline: appends and edits near the end still merge.
        ("a\n\nb", "A\n\nb", "a\n\nb\nc", "A\n\nb\nc"),
        ("a\n\nb", "a\n\nb\n", "A\n\nb", "A\n\nb\n"),
        ("a\n\nb\n", "A\n\nb\n", "a\n\nB", "A\n\nB"),
        # Empty strings and missing keys count as "".
        ("", "", "new", "new"),
        ("old", "", "old", ""),
        (None, "mine", None, "mine"),
        ("x\n\ny\n", "x\n\n", "X\n\ny\n", "X\n\n"),
    ],
)
def test_text_merge_edges(
    base: str | None, mine: str | None, theirs: str | None, merged: str
) -> None:
    def snap(value: str | None) -> dict[str, str]:
        return {} if value is None else {"t": value}

    result = merge_snapshots(snap(base), snap(mine), snap(theirs))
    assert result.clean
    assert result.merged == {"t": merged}


def test_both_adding_different_text_to_an_empty_field_conflicts() -> None:
    result = merge_snapshots({}, {"t": "mine"}, {"t": "theirs"})
    assert result.conflicts["t"].chunks == [("conflict", "", "mine", "theirs")]
    assert result.merged["t"] == "mine"


@quick
@given(texts, texts)
def test_merging_with_an_unchanged_side_takes_the_other(base: str, other: str) -> None:
    assert merge_snapshots({"t": base}, {"t": other}, {"t": base}).merged == {"t": other}
    result = merge_snapshots({"t": base}, {"t": base}, {"t": other})
    assert result.merged == {"t": other}
    assert result.theirs_changed == ([] if other == base else ["t"])


@quick
@given(texts, texts, texts)
def test_conflict_chunks_rebuild_the_prefill(base: str, mine: str, theirs: str) -> None:
    result = merge_snapshots({"t": base}, {"t": mine}, {"t": theirs})
    if result.clean:
        return
    chunks = result.conflicts["t"].chunks
    assert any(chunk[0] == "conflict" for chunk in chunks)
    assert "".join(c[1] if c[0] == "same" else c[2] for c in chunks) == result.merged["t"]


# --------------------------------------------------------------------------------------------
# Three-way merge: lists
# --------------------------------------------------------------------------------------------


def test_string_lists_merge_as_sets() -> None:
    base = {"tags": ["y3", "fractions", "bar-model"]}
    mine = {"tags": ["fractions", "y3", "bar-model", "reasoning"]}
    theirs = {"tags": ["y3", "fractions", "equivalence"]}
    result = merge_snapshots(base, mine, theirs)
    assert result.clean
    assert result.merged["tags"] == ["fractions", "y3", "reasoning", "equivalence"]
    assert result.theirs_changed == ["tags"]


def lessons(*pairs: tuple[int, str]) -> list[dict[str, object]]:
    return [{"id": lesson_id, "title": title} for lesson_id, title in pairs]


BASE_LESSONS = lessons((1, "One"), (2, "Two"), (3, "Three"))


def test_lesson_lists_merge_by_id() -> None:
    # Mine: rename 1, add 4 after 2.  Theirs: move 3 to the front, remove 2, add 5 at the end.
    mine = lessons((1, "One!"), (2, "Two"), (4, "Four"), (3, "Three"))
    theirs = lessons((3, "Three"), (1, "One"), (5, "Five"))
    result = merge_snapshots({"l": BASE_LESSONS}, {"l": mine}, {"l": theirs})
    assert result.clean
    # 4 followed 2, which theirs removed, so it goes after the item before it on mine's side.
    assert result.merged["l"] == lessons((3, "Three"), (1, "One!"), (4, "Four"), (5, "Five"))


def test_lesson_dicts_merge_key_by_key() -> None:
    base = [{"material_id": 5, "note": "Read", "pages": "1-4"}]
    mine = [{"material_id": 5, "note": "Read first", "pages": "1-4"}]
    theirs = [{"material_id": 5, "note": "Read", "pages": "1-6"}]
    result = merge_snapshots({"m": base}, {"m": mine}, {"m": theirs})
    assert result.merged["m"] == [{"material_id": 5, "note": "Read first", "pages": "1-6"}]


@pytest.mark.parametrize(
    ("mine", "theirs", "reason"),
    [
        (
            lessons((1, "Uno"), (2, "Two"), (3, "Three")),
            lessons((1, "Eins"), (2, "Two"), (3, "Three")),
            "“Uno” was changed differently in both versions.",
        ),
        (
            lessons((1, "One"), (2, "Two")),
            lessons((1, "One"), (2, "Two"), (3, "Trois")),
            "“Trois” was removed in one version and changed in the other.",
        ),
        (
            lessons((2, "Two"), (1, "One"), (3, "Three")),
            lessons((1, "One"), (3, "Three"), (2, "Two")),
            "Both versions changed the order differently.",
        ),
    ],
)
def test_lesson_list_conflicts(
    mine: list[dict[str, object]], theirs: list[dict[str, object]], reason: str
) -> None:
    result = merge_snapshots({"l": BASE_LESSONS}, {"l": mine}, {"l": theirs})
    conflict = result.conflicts["l"]
    assert conflict.reason == reason
    assert conflict.chunks == []
    assert (conflict.base, conflict.mine, conflict.theirs) == (BASE_LESSONS, mine, theirs)
    assert result.merged["l"] == mine


def test_lists_of_dicts_without_ids_conflict_when_both_change() -> None:
    result = merge_snapshots({"x": [{"a": 1}]}, {"x": [{"a": 2}]}, {"x": [{"a": 3}]})
    assert result.conflicts["x"].reason == "Both versions changed this list."


def test_merge_does_not_share_lists_with_its_inputs() -> None:
    mine = {"l": lessons((1, "One"))}
    result = merge_snapshots({}, mine, {})
    result.merged["l"][0]["title"] = "changed"
    assert mine["l"][0]["title"] == "One"
