"""Planning's forms: sequences, lessons, their buttons, and adapting a sequence.

Forms check the shape of what was posted (whole numbers, one of the offered directions, a
value that must be there); the services keep the planning rules (app/planning/validation.py:
titles, year groups, RTP codes, plan size). Plan text is never clipped: it comes back whole
with its error, so nothing typed is lost.
"""

from __future__ import annotations

from typing import Any

from wtforms import StringField
from wtforms.validators import InputRequired

from app.core.text import is_whole_number
from app.forms import (
    BaseRevisionField,
    CoplanForm,
    ValuesField,
    WholeNumberField,
    WordedNumberField,
    clip,
)
from app.planning.fields import LESSON_FIELDS

#: Linked-material rows read from one form (the page offers a few; more is a forged post).
MAX_MATERIAL_ROWS = 60
MAX_MATERIAL_NOTE = 2000
#: Where a material row without a usable order number goes: after the numbered ones.
UNNUMBERED = 999
#: The services' own words for a place that is not one of the offered ones.
CHOOSE_GROUP = "Choose one of your Work Groups."
CHOOSE_SCHOOL = "Choose your school in this Work Group."
CHOOSE_TARGET = "Choose the sequence to move it to."


class PositionField(WholeNumberField):
    """A lesson position: ASCII digits; one too large to store means "at the end" (None)."""

    def process_formdata(self, valuelist: list[str]) -> None:
        value = valuelist[0] if valuelist else ""
        if value.isascii() and value.isdigit() and not is_whole_number(value):
            self.data = None
            return
        super().process_formdata(valuelist)


class _MaterialRows(CoplanForm):
    """Linked-material rows: three parallel lists posted under the same names each row."""

    material_id = ValuesField()
    material_note = ValuesField()
    material_position = ValuesField()
    base_number = BaseRevisionField()
    summary = StringField(default="", filters=[clip(300)])

    def material_rows(self) -> list[dict[str, str]]:
        """The rows ordered by their position boxes (unnumbered rows last, as typed)."""
        ids = self.material_id.data or []
        notes = self.material_note.data or []
        positions = self.material_position.data or []
        rows = []
        for index, material_id in enumerate(ids[:MAX_MATERIAL_ROWS]):
            position = positions[index] if index < len(positions) else ""
            note = notes[index][:MAX_MATERIAL_NOTE] if index < len(notes) else ""
            order = int(position) if is_whole_number(position.strip()) else UNNUMBERED
            rows.append(({"material_id": material_id.strip(), "position": position,
                          "note": note}, (order, index)))
        return [row for row, _ in sorted(rows, key=lambda pair: pair[1])]


def _plan_text() -> StringField:
    """Plan text: kept whole (app/planning/validation.py bounds the plan's total size)."""
    return StringField(default="")


class SequenceForm(_MaterialRows):
    """A new sequence, or an edit of one (then base_number and summary come too)."""

    title = _plan_text()
    year_group = _plan_text()
    strand = _plan_text()
    rtp_codes = _plan_text()
    tags = _plan_text()
    small_steps = _plan_text()
    overview = _plan_text()
    visibility = _plan_text()
    #: New sequences only: one lesson title per line, created with the sequence.
    lesson_titles = _plan_text()
    work_group_id = WordedNumberField(message=CHOOSE_GROUP)
    school_id = WordedNumberField(message=CHOOSE_SCHOOL)
    big_ideas = ValuesField()
    #: "preview" shows the text fields rendered instead of saving (edits only).
    action = StringField(default="save")

    def plan_data(self) -> dict[str, Any]:
        """What the planning service takes, and what the page shows again if it is refused."""
        data: dict[str, Any] = {
            key: getattr(self, key).data or ""
            for key in ("title", "year_group", "strand", "rtp_codes", "tags", "small_steps",
                        "overview", "visibility", "lesson_titles")}
        for key in ("work_group_id", "school_id"):
            number = getattr(self, key).data
            data[key] = "" if number is None else str(number)
        data["big_ideas"] = self.big_ideas.data or []
        data["materials"] = self.material_rows()
        return data


class LessonForm(_MaterialRows):
    """A lesson plan edit: its title and text fields, materials, and agreed changes it meets."""

    title = _plan_text()
    duration = StringField(default="", filters=[clip(20)])
    addresses = ValuesField()
    action = StringField(default="save")

    def plan_data(self) -> dict[str, Any]:
        """The lesson's fields as the planning service takes them (text whole)."""
        data: dict[str, Any] = {"title": self.title.data or "",
                                "duration": self.duration.data or ""}
        data.update({spec.key: self[spec.key].data or "" for spec in LESSON_FIELDS})
        data["materials"] = self.material_rows()
        return data


for _spec in LESSON_FIELDS:  # one text field per section of a lesson plan
    setattr(LessonForm, _spec.key, _plan_text())


class AddLessonForm(CoplanForm):
    """The "add a lesson" box on a sequence page."""

    title = StringField(default="", filters=[clip(300)])
    position = PositionField()


class SettingsForm(CoplanForm):
    """Sharing and status of a sequence (the service checks the choices and who may approve)."""

    visibility = StringField(default="", filters=[clip(20)])
    status = StringField(default="", filters=[clip(20)])


class MoveLessonForm(CoplanForm):
    """The up and down buttons beside a lesson (the service says when it cannot move)."""

    direction = StringField(default="", filters=[clip(10)])


class MoveToForm(CoplanForm):
    """Moving a lesson to another sequence: the sequence must be named."""

    target_id = WordedNumberField(validators=[InputRequired(CHOOSE_TARGET)],
                                  message=CHOOSE_TARGET)


class AdaptForm(CoplanForm):
    """Where a copy of someone's sequence goes: one of my Work Groups and my school in it."""

    work_group_id = WordedNumberField(message=CHOOSE_GROUP)
    school_id = WordedNumberField(message=CHOOSE_SCHOOL)

    def place(self) -> dict[str, str]:
        """The chosen place as the page shows it again."""
        return {key: "" if self[key].data is None else str(self[key].data)
                for key in ("work_group_id", "school_id")}
