"""Materials forms: a material (add, suggest, edit), the subject-knowledge log, the import file.

The material rules live in app/materials/validation.py, shared with the importer (labels typed
in any case, URLs that are safe to link, segments and spines); the forms read the fields and
check what only a form can get wrong: a choice that is not a whole number, a missing file.
"""

from __future__ import annotations

from collections.abc import Mapping

from flask_wtf.file import FileField, FileRequired
from wtforms import StringField
from wtforms.validators import InputRequired, Optional

from app.forms import CoplanForm, ValuesField, WordedNumberField, clip

#: Cut just past any limit a service states, so it can still say "too long" cheaply.
_TEXT = [clip(100_000)]
_LOG_TEXT = [clip(5000)]


class LibraryForm(CoplanForm):
    """The library's filters, read from the address (?spine=&year=&strand=&source=&archived=)."""

    spine = StringField(default="")
    year = StringField(default="")
    strand = StringField(default="")
    source = StringField(default="")
    archived = StringField(default="")

    def offered(self, name: str, choices: Mapping[str, str]) -> str:
        """The filter's value when it is one of `choices`, else "" (no filter)."""
        value = self[name].data
        return value if value in choices else ""


class MaterialForm(CoplanForm):
    """A library material's fields (the same for add, suggest and edit)."""

    title = StringField(default="", filters=_TEXT)
    source = StringField(default="", filters=_TEXT)
    url = StringField(default="", filters=_TEXT)
    kind = StringField(default="teacher_guide", filters=_TEXT)
    segment = StringField(default="", filters=_TEXT)
    spine = StringField(default="", filters=_TEXT)
    theme = StringField(default="", filters=_TEXT)
    core_concept = StringField(default="", filters=_TEXT)
    year_groups = ValuesField(default=list)
    strand = StringField(default="", filters=_TEXT)
    description = StringField(default="", filters=_TEXT)
    teaching_points = StringField(default="", filters=_TEXT)
    tags = StringField(default="", filters=_TEXT)


class StudyForm(CoplanForm):
    """One entry of the user's subject-knowledge log."""

    material_id = WordedNumberField(
        validators=[InputRequired(message="Choose the material you studied.")],
        message="Choose the material you studied.")
    studied_on = StringField(default="", filters=_LOG_TEXT)
    reflection = StringField(default="", filters=_LOG_TEXT)
    sequence_id = WordedNumberField(
        validators=[Optional()],
        message="Choose one of the plans you can see, or leave it empty.")

    def service_data(self) -> dict[str, str]:
        """The entry as the log service reads it (ids as text, "" for none)."""
        return {"material_id": _text(self.material_id.data),
                "studied_on": self.studied_on.data or "", "reflection": self.reflection.data or "",
                "sequence_id": _text(self.sequence_id.data)}


class ImportForm(CoplanForm):
    """A CSV or JSON file of materials."""

    file = FileField(validators=[FileRequired(message="Choose a CSV or JSON file to import.")])


def _text(value: int | None) -> str:
    return "" if value is None else str(value)
