"""A lesson imported from a Word plan (issue 15, item 7): read, reviewed, then created.

Importing saves no lesson. The document is read (app.core.files.word) into the fields of a
new-lesson form that the teacher checks and saves herself; only her Save creates the lesson,
with the text she reviewed as its first revision. The document's pictures are stored as the
sequence's pictures when it is read, so the form can show them and the saved lesson's readers
(the sequence's readers) can see them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePath
from typing import Any, Final

from app.accounts.models import User
from app.core.files.inspect import Refused
from app.core.files.word import (
    DEFAULT_MAX_MEMORY_MB,
    DEFAULT_MAX_PICTURES,
    DEFAULT_TIMEOUT_S,
    placeholder,
    read_word_lesson,
)
from app.errors import ValidationError
from app.files.attachments import UploadRefused
from app.files.pictures import add_picture, picture_markdown
from app.planning import services, validation
from app.planning.fields import LESSON_FIELDS
from app.planning.models import Lesson, Sequence

#: The field the lesson notes are; everything the reader does not recognise goes there.
NOTES_KEY: Final = "body"
EMPTY: Final = ("This document has no text or pictures to import. Choose the Word file of a "
                "lesson plan.")


@dataclass(frozen=True)
class ImportedLesson:
    """A new-lesson form filled from a document, for the teacher to check and save."""

    sequence: Sequence
    #: The form's values (title, duration, each field, materials), as the editor takes them.
    data: dict[str, Any]
    #: Field errors of the text as read (a field over the length limit), shown at once.
    errors: dict[str, str]
    file_name: str
    #: Pictures stored, and pictures left as "[picture: …]" text.
    pictures: int
    not_kept: int


def importable_sequence(user: User, sequence_id: int) -> Sequence:
    """The sequence if the user may add lessons to it: NotFound if they cannot read it,
    Forbidden if they only read it."""
    return services.editable_sequence(user, sequence_id)


def import_word(user: User, sequence_id: int, file_name: str, data: bytes, *,
                max_bytes: int) -> ImportedLesson:
    """Read a Word lesson plan into a new-lesson form for `sequence_id` (nothing is saved as
    a lesson). A refused file raises UploadRefused (413 when it is over `max_bytes`)."""
    sequence = importable_sequence(user, sequence_id)
    read = read_word_lesson(data, file_name, fields={f.key: f.label for f in LESSON_FIELDS},
                            notes_key=NOTES_KEY, max_bytes=max_bytes,
                            max_pictures=DEFAULT_MAX_PICTURES, timeout_s=DEFAULT_TIMEOUT_S,
                            max_memory_mb=DEFAULT_MAX_MEMORY_MB)
    if isinstance(read, Refused):
        raise UploadRefused(read.message, too_large=read.reason == "too_large")
    if read.is_empty:
        raise UploadRefused(EMPTY)
    stem = PurePath(file_name.replace("\\", "/")).stem[:80] or "Word document"
    markdown: dict[str, str] = {}
    not_kept = read.not_kept
    for number, picture in enumerate(read.pictures, start=1):
        try:
            version = add_picture(user, "sequence", sequence.id, f"{stem} picture {number}",
                                  picture.data, picture.alt)
        except ValidationError:
            # Not a picture Coplan takes after all, or the Work Group's space is full: the
            # text says where it was, and the notice says how many.
            markdown[picture.token] = placeholder(picture.alt)
            not_kept += 1
        else:
            markdown[picture.token] = picture_markdown(version, picture.alt)
    values: dict[str, Any] = {"title": read.title, "duration": "",
                              **read.with_pictures(markdown), "materials": []}
    errors: dict[str, str] = {}
    validation.lesson_fields(values, errors)
    return ImportedLesson(sequence=sequence, data=values, errors=errors, file_name=file_name,
                          pictures=len(read.pictures) - (not_kept - read.not_kept),
                          not_kept=not_kept)


def create_lesson(user: User, sequence_id: int, data: dict[str, Any]) -> Lesson:
    """A new lesson at the end of the sequence whose first revision holds `data` (checked
    as any lesson save is: field errors raise ValidationError with the text kept)."""
    sequence = importable_sequence(user, sequence_id)
    errors: dict[str, str] = {}
    fields = validation.lesson_fields(data, errors)
    if errors:
        raise ValidationError(fields=errors)
    lesson = services.add_lesson(user, sequence.id, fields["title"], None, fields)
    services.sync_material_links(sequence.id, lesson.id, fields)
    return lesson
