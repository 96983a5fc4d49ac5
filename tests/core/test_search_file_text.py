"""Attached files' text in search documents (issue 15, item 6), with no app: how a document
carries its files, and how a hit says which file matched."""

from __future__ import annotations

from pathlib import Path

from whoosh import query

from app.core.search import SearchIndex
from app.core.search.analysis import analyse_word
from app.core.search.documents import (
    FILE_NAME_END,
    FILE_START,
    MAX_FILE_TEXT_CHARS,
    join_files,
    split_files,
    to_fields,
)
from app.core.search.snippets import highlight_terms, to_hit


def _terms(*words: str):
    return highlight_terms(query.Or([query.Term("body", form) for word in words
                                     for form in analyse_word(word)]), [])


def _doc(key: str, body: str, files: list[dict[str, str]] | None = None,
         access: str = "wg:1") -> dict:
    doc = {"key": key, "type": "lesson", "title": "Fractions", "body": body, "access": [access]}
    if files is not None:
        doc["files"] = files
    return doc


def test_files_travel_in_the_body_and_come_back_apart() -> None:
    body = join_files("Our **lesson**", [{"name": "slides.pptx", "text": "Slide one\nQuokka"},
                                         {"name": "sheet.pdf", "text": ""}])
    assert split_files(body) == ("Our **lesson**", [("slides.pptx", "Slide one\nQuokka"),
                                                    ("sheet.pdf", "")])
    assert split_files("No files here") == ("No files here", [])
    # A mark smuggled into any part cannot forge a file or a name.
    forged = join_files(f"Plan{FILE_START}fake.pdf{FILE_NAME_END}x",
                        [{"name": f"a{FILE_START}b.pdf", "text": f"t{FILE_START}u"}])
    own, files = split_files(forged)
    assert FILE_START not in own and [name for name, _ in files] == ["a b.pdf"]
    assert to_fields(_doc("lesson:1", f"x{FILE_START}y"))["body"] == "x y"


def test_a_documents_file_text_is_bounded() -> None:
    long = "word " * MAX_FILE_TEXT_CHARS
    body = join_files("", [{"name": "a.docx", "text": long}, {"name": "b.docx", "text": long}])
    _, files = split_files(body)
    assert len(files[0][1]) == MAX_FILE_TEXT_CHARS and files[1] == ("b.docx", "")


def test_a_hit_says_which_file_matched_and_prefers_the_plans_own_text() -> None:
    body = join_files("Pupils share counters.", [
        {"name": "slides.pptx", "text": "Starter\n\nA quokka shares 12 counters"},
        {"name": "quokka notes.pdf", "text": "Nothing about it here"}])
    hit = to_hit({"key": "lesson:1", "body": body}, _terms("quokka"))
    assert hit.in_file == "slides.pptx"
    assert str(hit.snippet) == "Starter A <mark>quokka</mark> shares 12 counters"
    hit = to_hit({"key": "lesson:1", "body": body}, _terms("counters"))
    assert hit.in_file == "" and "<mark>counters</mark>" in str(hit.snippet)
    # Matched by a file's name only: that file, from the start of its text.
    hit = to_hit({"key": "lesson:1", "body": body}, _terms("notes"))
    assert (hit.in_file, str(hit.snippet)) == ("quokka notes.pdf", "Nothing about it here")
    # Nothing matched: the plan's own opening, as before.
    hit = to_hit({"key": "lesson:1", "body": body}, _terms("zebra"))
    assert (hit.in_file, str(hit.snippet)) == ("", "Pupils share counters.")


def test_file_text_is_plain_text_escaped_never_markdown() -> None:
    body = join_files("", [{"name": "x.docx", "text": "**quokka** <b>bold</b> [link](y)"}])
    hit = to_hit({"key": "lesson:1", "body": body}, _terms("quokka"))
    assert str(hit.snippet) == "**<mark>quokka</mark>** &lt;b&gt;bold&lt;/b&gt; [link](y)"


def test_whoosh_finds_a_plan_by_its_files_words_only_for_its_readers(tmp_path: Path) -> None:
    index = SearchIndex(tmp_path / "index")
    index.create()
    assert index.apply([
        _doc("lesson:1", "Counting in fours", [{"name": "slides.pptx", "text": "Quokka arrays"}]),
        _doc("lesson:2", "Counting in threes", access="wg:2"),
    ], [])
    found = index.search("quokka", access=["wg:1"])
    assert [hit.key for hit in found.hits] == ["lesson:1"]
    assert found.hits[0].in_file == "slides.pptx"
    hidden = index.search("quokka", access=["wg:2"])
    assert hidden.total == 0 and not hidden.hits
    assert all(count == 0 for options in hidden.facets.values() for _, count in options)
    index.close()
