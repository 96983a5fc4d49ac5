"""Reading a Word lesson plan into a lesson's fields (app/core/files/word.py), on .docx files
built here with python-docx the way teachers' plans are written: Word headings, bold lines used
as headings, template tables, lists, pictures; and files that must be refused."""

from __future__ import annotations

import io
import time
import zipfile

import docx
import pytest
from docx.oxml.ns import qn
from docx.shared import Inches
from PIL import Image

from app.core.files.inspect import Refused
from app.core.files.word import (
    NOT_WORD,
    TOO_SLOW,
    WordLesson,
    lesson_from_html,
    normalise,
    read_word_lesson,
)
from app.core.markdown import render_markdown
from app.planning.fields import LESSON_FIELDS

FIELDS = {f.key: f.label for f in LESSON_FIELDS}


def read(data: bytes, name: str = "plan.docx", **limits) -> WordLesson | Refused:
    options = {"max_bytes": 25 * 1024 * 1024, "max_pictures": 20, "timeout_s": 20.0,
               "max_memory_mb": 512, **limits}
    return read_word_lesson(data, name, fields=FIELDS, notes_key="body", **options)


def lesson(data: bytes, name: str = "plan.docx", **limits) -> WordLesson:
    result = read(data, name, **limits)
    assert isinstance(result, WordLesson), result
    return result


def saved(document) -> bytes:
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def bold_line(document, text: str, rest: str = "") -> None:
    paragraph = document.add_paragraph()
    paragraph.add_run(text).bold = True
    if rest:
        paragraph.add_run(rest)


def png(colour=(200, 30, 30), size=(12, 8)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format="PNG")
    return out.getvalue()


def add_picture(document, data: bytes, description: str = "") -> None:
    document.add_picture(io.BytesIO(data), width=Inches(1))
    if description:
        # Word keeps a picture's alt text as the description of its drawing.
        inline = document.element.body.findall(".//" + qn("wp:docPr"))[-1]
        inline.set("descr", description)


def test_word_headings_fill_their_fields_and_the_title_comes_from_the_title_style():
    document = docx.Document()
    document.add_paragraph("Dividing fractions by whole numbers", style="Title")
    document.add_heading("Key learning point", 1)
    document.add_paragraph("Dividing a fraction by 2 halves each part.")
    document.add_heading("Key Vocabulary", 2)
    document.add_paragraph("dividend, divisor, quotient")
    document.add_heading("Misconceptions", 2)
    document.add_paragraph("Pupils divide the denominator.")
    document.add_heading("Previous learning", 2)
    document.add_paragraph("Fractions of amounts.")
    document.add_heading("Checks for understanding & same-day intervention", 2)
    document.add_paragraph("Hinge question on a mini-whiteboard.")
    read_lesson = lesson(saved(document))
    assert read_lesson.title == "Dividing fractions by whole numbers"
    fields = read_lesson.fields
    assert fields["key_learning_point"] == "Dividing a fraction by 2 halves each part."
    assert fields["key_vocabulary"] == "dividend, divisor, quotient"
    assert fields["difficult_points"] == "Pupils divide the denominator."
    assert fields["prior_learning"] == "Fractions of amounts."
    assert fields["checks"] == "Hinge question on a mini-whiteboard."
    assert fields["body"] == ""


def test_bold_lines_used_as_headings_and_bold_lead_ins_fill_fields():
    document = docx.Document()
    bold_line(document, "Y5 Lesson 3: Adding fractions")  # the first line: the title
    bold_line(document, "LO:")
    document.add_paragraph("To add fractions with the same denominator.")
    bold_line(document, "Stem sentence")
    document.add_paragraph("When the denominators are the same, add the numerators.")
    bold_line(document, "Vocabulary:", " numerator, denominator")
    bold_line(document, "Challenge")
    document.add_paragraph("Find three ways to make one whole.")
    bold_line(document, "Lesson flow")  # not a field: the notes, under its own heading
    document.add_paragraph("Ten minutes of talk partners.")
    read_lesson = lesson(saved(document))
    assert read_lesson.title == "Y5 Lesson 3: Adding fractions"
    fields = read_lesson.fields
    assert fields["key_learning_point"] == "To add fractions with the same denominator."
    assert fields["stem_sentences"] == ("When the denominators are the same, add the "
                                        "numerators.")
    assert fields["key_vocabulary"] == "numerator, denominator"
    assert fields["deeper_questions"] == "Find three ways to make one whole."
    assert fields["body"] == "### Lesson flow\n\nTen minutes of talk partners."


def test_a_plan_template_table_fills_fields_row_by_row():
    document = docx.Document()
    table = document.add_table(rows=5, cols=2)
    rows = [("Lesson title", "Multiplying by 10"), ("Key learning", "Digits move, not the point."),
            ("Representations / manipulatives", "Place value chart and counters"),
            ("Assessment", "Exit ticket"), ("Resources", "Worksheet 4")]
    for row, (label, text) in zip(table.rows, rows, strict=True):
        row.cells[0].text, row.cells[1].text = label, text
    heading_table = document.add_table(rows=2, cols=1)  # a heading row above its content
    heading_table.rows[0].cells[0].text = "Fluency"
    heading_table.rows[1].cells[0].text = "Count in tens from 30."
    read_lesson = lesson(saved(document), "Y4 place value.docx")
    assert read_lesson.title == "Multiplying by 10"
    fields = read_lesson.fields
    assert fields["key_learning_point"] == "Digits move, not the point."
    assert fields["representations"] == "Place value chart and counters"
    assert fields["checks"] == "Exit ticket"
    assert fields["fluency_practice"] == "Count in tens from 30."
    assert fields["body"] == "### Resources\n\nWorksheet 4"


def test_lists_bold_and_italic_stay_markdown_and_text_stays_as_typed():
    document = docx.Document()
    document.add_heading("Procedural variation", 1)
    document.add_paragraph("3 × 4 = 12", style="List Number")
    document.add_paragraph("30 × 4 = 120", style="List Number")
    paragraph = document.add_paragraph("Notice ")
    paragraph.add_run("what stays the same").bold = True
    paragraph.add_run(" and ")
    paragraph.add_run("what changes").italic = True
    document.add_heading("Stem sentences", 1)
    document.add_paragraph("a * b is _not_ [b] # 5", style="List Bullet")
    document.add_paragraph("# not a heading")
    fields = lesson(saved(document)).fields
    assert fields["procedural_variation"] == ("1. 3 × 4 = 12\n2. 30 × 4 = 120\n\n"
                                              "Notice **what stays the same** and "
                                              "*what changes*")
    # Markdown's own characters typed in Word show as typed, not as formatting.
    html = str(render_markdown(fields["stem_sentences"]))
    assert "a * b is _not_ [b] # 5" in html and "<h1" not in html and "<em>" not in html
    assert "# not a heading" in html


def test_pictures_are_handed_back_with_their_description_or_the_file_name():
    document = docx.Document()
    document.add_heading("Representations", 1)
    add_picture(document, png(), "Bar model of 3/4 of 12")
    add_picture(document, png((0, 90, 0)))
    read_lesson = lesson(saved(document), "Bar models.docx")
    first, second = read_lesson.pictures
    assert first.alt == "Bar model of 3/4 of 12" and second.alt == "Picture from Bar models.docx"
    assert first.media_type == "image/png" and Image.open(io.BytesIO(first.data)).size == (12, 8)
    assert read_lesson.fields["representations"] == f"{first.token}\n\n{second.token}"
    filled = read_lesson.with_pictures({first.token: "![Bar model](/files/7/a.png)"})
    assert filled["representations"] == ("![Bar model](/files/7/a.png)\n\n"
                                         "[picture: Picture from Bar models.docx]")


def test_pictures_past_the_limit_or_not_raster_stay_as_text():
    document = docx.Document()
    for colour in ((1, 2, 3), (4, 5, 6), (7, 8, 9)):
        add_picture(document, png(colour), f"Picture {colour[0]}")
    read_lesson = lesson(saved(document), max_pictures=2)
    assert len(read_lesson.pictures) == 2 and read_lesson.not_kept == 1
    assert "[picture: Picture 7]" in read_lesson.fields["body"]
    # A picture mammoth hands back that is not a PNG, JPEG, GIF or WebP (Word drawings are
    # often EMF): its place is kept as text.
    html = '<p><img src="picture:0" alt="Equation"></p>'
    emf = lesson_from_html(html, [("Equation", b"\x01\x00\x00\x00" + b"\x00" * 80)],
                           file_name="x.docx", fields=FIELDS, notes_key="body")
    assert emf.pictures == [] and emf.not_kept == 1
    assert emf.fields["body"] == "[picture: Equation]"


def test_unknown_headings_go_to_the_notes_and_their_subheadings_stay_with_them():
    document = docx.Document()
    document.add_heading("Main teaching", 1)
    document.add_paragraph("Model on the board.")
    document.add_heading("Part 1", 2)
    document.add_paragraph("Partner talk.")
    document.add_heading("Variation", 1)  # conceptual or procedural? The teacher decides.
    document.add_paragraph("Examples and non-examples.")
    document.add_heading("Representations", 1)
    document.add_paragraph("Counters.")
    document.add_heading("Bar model", 2)  # a sub-heading of a field stays in the field
    document.add_paragraph("Drawn to scale.")
    read_lesson = lesson(saved(document), "notes.docx")
    assert read_lesson.title == "Main teaching"  # the first heading, not a field's
    assert read_lesson.fields["body"] == ("Model on the board.\n\n### Part 1\n\nPartner talk."
                                          "\n\n### Variation\n\nExamples and non-examples.")
    assert read_lesson.fields["representations"] == ("Counters.\n\n### Bar model\n\n"
                                                     "Drawn to scale.")


def test_a_field_named_twice_keeps_both_under_their_headings():
    document = docx.Document()
    document.add_heading("Difficult points", 1)
    document.add_paragraph("Unit fractions.")
    document.add_heading("Common misconceptions", 1)
    document.add_paragraph("Bigger denominator, bigger fraction.")
    document.add_heading("Fluency (5 minutes)", 1)
    document.add_paragraph("Times tables.")
    fields = lesson(saved(document)).fields
    assert fields["difficult_points"] == ("**Difficult points**\n\nUnit fractions.\n\n"
                                          "**Common misconceptions**\n\nBigger denominator, "
                                          "bigger fraction.")
    assert fields["fluency_practice"] == "**Fluency (5 minutes)**\n\nTimes tables."


def test_headings_compare_without_case_spacing_punctuation_numbering_or_plurals():
    assert normalise("  2. KEY   Vocabulary: ") == normalise("key vocabulary")
    assert normalise("Checks for understanding & same-day intervention") == normalise(
        "Check for understanding and same day interventions")


def test_an_empty_document_reads_as_empty_with_the_file_name_as_title():
    read_lesson = lesson(saved(docx.Document()), "dividing_fractions-y6.docx")
    assert read_lesson.is_empty and read_lesson.title == "dividing fractions y6"


def test_files_that_are_not_word_documents_are_refused():
    refused = read(b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n", "plan.docx")
    assert isinstance(refused, Refused) and refused.message == NOT_WORD
    older = read(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "plan.doc")
    assert isinstance(older, Refused) and older.reason == "old_office"
    assert isinstance(read(b"just text", "plan.docx"), Refused)
    assert isinstance(read(b""), Refused)
    too_big = read(saved(docx.Document()), max_bytes=1000)
    assert isinstance(too_big, Refused) and too_big.reason == "too_large"


def test_a_macro_enabled_document_is_refused():
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(saved(docx.Document()))) as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            target.writestr(item, source.read(item))
        target.writestr("word/vbaProject.bin", b"Attribute VB_Name = \"Module1\"")
    refused = read(out.getvalue(), "plan.docm")
    assert isinstance(refused, Refused) and refused.reason == "macros"


def test_a_document_that_takes_too_long_is_refused_in_time():
    document = docx.Document()
    for number in range(200):
        document.add_paragraph(f"Paragraph {number}")
    started = time.monotonic()
    refused = read(saved(document), timeout_s=0.05)
    assert isinstance(refused, Refused) and refused.message == TOO_SLOW
    assert time.monotonic() - started < 5


def test_a_converter_without_enough_memory_is_a_refusal_not_a_crash():
    refused = read(saved(docx.Document()), max_memory_mb=40)
    assert isinstance(refused, Refused)


@pytest.mark.parametrize("depth", [5_000])
def test_deeply_nested_lists_and_tables_cost_no_recursion(depth):
    html = "<ul><li>" * depth + "deep" + "</li></ul>" * depth
    html += "<table><tr><td>" * depth + "cell" + "</td></tr></table>" * depth
    read_lesson = lesson_from_html(html, [], file_name="x.docx", fields=FIELDS,
                                   notes_key="body")
    assert "deep" in read_lesson.fields["body"] and "cell" in read_lesson.fields["body"]
